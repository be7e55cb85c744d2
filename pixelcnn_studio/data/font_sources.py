"""Where the `letters` dataset's fonts come from: the sources listed in letters_sources.txt.

Two kinds of source, both installed by `scripts/fetch_datasets.sh letters` and read here without any
download: npm packages of the @fontsource project (Google Fonts families as web fonts: the Latin subset
of each style, a .woff file FreeType opens), and Debian `fonts-*` packages (TrueType/OpenType files
listed by dpkg). Each font found is a FontFile: its file, family, style and licence.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import store

SOURCES_FILE = "letters_sources.txt"
# The styles taken from each @fontsource family, where it has them: (weight, style).
NPM_STYLES = ((400, "normal"), (700, "normal"), (400, "italic"))
# Licences open enough to train on and ship a model of (SPDX names as @fontsource records them).
OPEN_LICENCES = ("ofl-1.1", "apache-2.0", "ufl-1.0", "mit", "cc0-1.0", "unlicense")
# Font files in the Debian packages that hold no letters, or the same letters as another file.
DEB_SKIP = re.compile(r"dingbat|symbol|d050000l|math|sym\.|emoji", re.IGNORECASE)
DEB_EXTENSIONS = (".ttf", ".otf")


@dataclass(frozen=True)
class FontFile:
    path: str
    family: str          # the family's display name, e.g. "Open Sans"
    style: str           # e.g. "400 normal", "Bold Italic"
    source: str          # "npm @fontsource/open-sans" or "deb fonts-dejavu-core"
    licence: str         # SPDX-style name, or the Debian package's licence note
    category: str = ""   # sans-serif, serif, monospace, display, handwriting (where the source says)

    @property
    def family_key(self) -> str:
        """The family name reduced to lower-case letters and digits: one key across sources."""
        return re.sub(r"[^a-z0-9]", "", self.family.lower())


def read_sources(text: str | None = None) -> list[tuple[str, str]]:
    """(kind, package) pairs from the sources file (or the given text), comments and blanks skipped."""
    if text is None:
        text = resources.files(__package__).joinpath(SOURCES_FILE).read_text(encoding="utf-8")
    pairs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, package = line.partition(" ")
        if kind in ("npm", "deb") and package.strip():
            pairs.append((kind, package.strip()))
    return pairs


# --- npm @fontsource packages -------------------------------------------------------------------

def npm_prefix(root=None) -> Path:
    """The fonts' own npm prefix: kept apart from <data root>/npm so that one `npm install` of
    several hundred packages never races another dataset's install."""
    return store.data_root(root) / "letters"


def npm_dirs(package: str, root=None) -> list[Path]:
    return [npm_prefix(root) / "node_modules" / package] + store.npm_package_dirs(package, root)


def npm_fonts(package: str, root=None) -> tuple[list[FontFile], str | None]:
    """The chosen styles of one @fontsource package, or ([], why not) when it is missing or closed."""
    folder = next((p for p in npm_dirs(package, root) if (p / "metadata.json").is_file()), None)
    if folder is None:
        return [], "not installed"
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], "unreadable metadata.json"
    licence = _npm_licence(folder, meta)
    if licence.lower() not in OPEN_LICENCES:
        return [], f"licence {licence!r} not in the open list"
    if "latin" not in (meta.get("subsets") or []):
        return [], "no Latin subset"
    weights = [int(w) for w in meta.get("weights") or [] if str(w).isdigit()]
    styles = list(meta.get("styles") or ["normal"])
    fid, family = str(meta.get("id") or folder.name), str(meta.get("family") or folder.name)
    chosen = []
    for weight, style in NPM_STYLES:
        if style not in styles or not weights:
            continue
        if weight == 400 and 400 not in weights:
            weight = min(weights, key=lambda w: (abs(w - 400), w))   # a family without a regular weight
        elif weight not in weights:
            continue
        path = folder / "files" / f"{fid}-latin-{weight}-{style}.woff"
        if path.is_file() and (weight, style) not in [(c[0], c[1]) for c in chosen]:
            chosen.append((weight, style, path))
    if not chosen:
        return [], "no Latin .woff file"
    return [FontFile(str(p), family, f"{w} {s}", f"npm {package}", licence, str(meta.get("category") or ""))
            for w, s, p in chosen], None


def _npm_licence(folder: Path, meta: dict) -> str:
    found = (meta.get("license") or {}).get("type") if isinstance(meta.get("license"), dict) else None
    if not found:
        try:
            found = json.loads((folder / "package.json").read_text(encoding="utf-8")).get("license")
        except (OSError, ValueError):
            found = None
    return str(found or "unknown")


# --- Debian fonts-* packages --------------------------------------------------------------------

DEB_LICENCES = {
    "fonts-urw-base35": "AGPL-3.0 with font exception",
    "fonts-dejavu-core": "Bitstream Vera (permissive)",
    "fonts-dejavu-extra": "Bitstream Vera (permissive)",
    "fonts-liberation2": "OFL-1.1",
    "fonts-freefont-ttf": "GPL-3.0 with font exception",
    "fonts-texgyre": "GUST Font License",
    "fonts-linuxlibertine": "OFL-1.1 / GPL-2.0 with font exception",
    "fonts-cantarell": "OFL-1.1",
    "fonts-ebgaramond": "OFL-1.1",
    "fonts-crosextra-carlito": "OFL-1.1",
}


def deb_font_paths(package: str) -> list[Path]:
    """The package's TrueType/OpenType files, as dpkg lists them ([] where it or dpkg is missing)."""
    if shutil.which("dpkg") is None:
        return []
    try:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    if listed.returncode != 0:
        return []
    paths = [Path(line.strip()) for line in listed.stdout.splitlines()]
    return sorted(p for p in paths if p.suffix.lower() in DEB_EXTENSIONS and not DEB_SKIP.search(p.name)
                  and p.is_file())


def deb_fonts(package: str) -> tuple[list[FontFile], str | None]:
    from PIL import ImageFont
    paths = deb_font_paths(package)
    if not paths:
        return [], "not installed"
    fonts = []
    for path in paths:
        try:
            family, style = ImageFont.truetype(str(path), 16).getname()
        except OSError:
            family, style = path.stem, ""
        family, style = family or path.stem, style or "Regular"
        if DEB_SKIP.search(family):
            continue
        fonts.append(FontFile(str(path), family, style, f"deb {package}",
                              DEB_LICENCES.get(package, "see /usr/share/doc/" + package + "/copyright")))
    return fonts, None


def find_fonts(root=None, sources: list[tuple[str, str]] | None = None) -> tuple[list[FontFile], dict]:
    """Every font file of the listed sources that is here, a family seen in an earlier source not taken
    twice; and a report: sources missing or refused, with the reason."""
    sources = read_sources() if sources is None else sources
    fonts, seen_families, report = [], set(), {"missing": [], "refused": {}, "duplicate_families": 0}
    # npm first: its families carry their own licence records; a Debian copy of one is skipped.
    for kind, package in sorted(sources, key=lambda s: s[0] != "npm"):
        found, why = npm_fonts(package, root) if kind == "npm" else deb_fonts(package)
        if why == "not installed":
            report["missing"].append(f"{kind} {package}")
            continue
        if why:
            report["refused"][f"{kind} {package}"] = why
            continue
        families = {f.family_key for f in found}
        fresh = [f for f in found if f.family_key not in seen_families]
        report["duplicate_families"] += len(families - {f.family_key for f in fresh})
        fonts.extend(fresh)
        seen_families |= families
    return fonts, report
