"""`pixelcnn-studio install-desktop`: a freedesktop launcher entry and icon for the current user."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ...paths import data_home, resources_dir
from ...core.export import atomic_path

APP_ID = "pixelcnn-studio"


def launcher_command() -> list[str]:
    """The command the launcher runs: the installed script if there is one, else this Python."""
    script = Path(sys.executable).with_name("pixelcnn-studio")
    if script.exists():
        return [str(script)]
    found = shutil.which("pixelcnn-studio")
    return [found] if found else [sys.executable, "-m", "pixelcnn_studio"]


def desktop_entry(command: list[str], icon: str) -> str:
    # No %f: the bare command opens the default model, and `open` needs a path.
    exec_line = " ".join(f'"{part}"' if " " in part else part for part in command)
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",
        "Name=PixelCNN Studio",
        "GenericName=Image generator explorer",
        "Comment=Watch Gated PixelCNN models sample images pixel by pixel",
        f"Exec={exec_line}",
        f"TryExec={command[0]}",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Education;Science;Graphics;",
        "Keywords=PixelCNN;generative;neural network;sampling;",
        f"StartupWMClass={APP_ID}",
        "",
    ])


def install_desktop(command: list[str] | None = None) -> tuple[Path, Path]:
    """Write the launcher entry and the icon under XDG_DATA_HOME; returns their paths."""
    home = data_home()
    icon_src = resources_dir() / "icon.png"
    icon_dir = home / "icons" / "hicolor" / "256x256" / "apps"
    icon_dir.mkdir(parents=True, exist_ok=True)
    icon_path = icon_dir / f"{APP_ID}.png"
    # Every file is written beside its place and renamed over it: a link there (to another user's
    # file, when run as root) is replaced, never written through, and a crash leaves the old file.
    if icon_src.exists():
        _copy_atomically(icon_src, icon_path)
    svg_src = resources_dir() / "icon.svg"
    if svg_src.exists():
        svg_dir = home / "icons" / "hicolor" / "scalable" / "apps"
        svg_dir.mkdir(parents=True, exist_ok=True)
        _copy_atomically(svg_src, svg_dir / f"{APP_ID}.svg")
    apps = home / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    entry = apps / f"{APP_ID}.desktop"
    with atomic_path(entry) as tmp:
        # An absolute icon path works even where the icon theme cache is not refreshed.
        tmp.write_text(desktop_entry(command or launcher_command(), str(icon_path)), encoding="utf-8")
    return entry, icon_path


def _copy_atomically(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def main() -> int:
    entry, icon = install_desktop()
    print(f"installed {entry}\n      icon {icon}")
    return 0
