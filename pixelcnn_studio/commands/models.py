"""`pixelcnn-studio models`: the bundled models, each with a line of description, size and test bits/dim.

The description is the model card's own (the "data" column of the summary table in the bundled
models' README.md), so the list and the cards never disagree; a model without a card row is
described from its checkpoint header.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..core.card import metric_bits_per_dim, summary_line
from ..core.checkpoint import CheckpointError, read_checkpoint_dict
from ..core.config import ModelConfig
from ..core.safe_text import json_text, shown
from ..paths import bundled_model_entries, bundled_models, bundled_models_dir, default_model

CARD_ROW = re.compile(r"^\|\s*`([^`|]+)\.pt`[^|]*\|\s*([^|]+?)\s*\|")


def card_descriptions(readme: Path) -> dict[str, str]:
    """Model name -> the card's one-line description of its data."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return {}
    return {m.group(1): m.group(2) for m in map(CARD_ROW.match, text.splitlines()) if m}


def list_models() -> list[dict]:
    cards = card_descriptions(bundled_models_dir() / "README.md")
    default = default_model()
    rows = []
    readable = set(bundled_models())
    for path in bundled_model_entries():
        row = {"name": path.stem, "path": str(path), "size_mb": None,
               "default": path == default, "description": cards.get(path.stem), "test_bits_per_dim": None}
        if path not in readable:
            row["description"] = "unreadable: " + ("a link to nothing" if not path.exists() else "not a regular file")
            rows.append(row)
            continue
        row["size_mb"] = round(path.stat().st_size / 1e6, 2)
        try:
            payload = read_checkpoint_dict(path)
            config = ModelConfig.from_dict(dict(payload["config"]))
        except (CheckpointError, KeyError, TypeError, ValueError) as exc:
            row["description"] = row["description"] or f"unreadable: {exc}"
        else:
            bpd = metric_bits_per_dim(payload.get("metrics") or {})
            row["test_bits_per_dim"] = round(bpd[1], 4) if bpd else None
            row["description"] = row["description"] or summary_line(config, {**payload, "metrics": {}})
        rows.append(row)
    return rows


def format_models(rows: list[dict]) -> str:
    if not rows:
        return f"no bundled models in {shown(bundled_models_dir(), 200)}"
    # Names are file names and descriptions come from the card or the file: shown with control
    # characters escaped, so a crafted name cannot move the cursor or recolour the terminal.
    names = [shown(r["name"], 40) + (" (default)" if r["default"] else "") for r in rows]
    width = max(len(name) for name in names)
    lines = [f"{'name':<{width}}  {'size':>7}  {'bits/dim':>8}  description"]
    for name, r in zip(names, rows):
        bpd = f"{r['test_bits_per_dim']:.3f}" if r["test_bits_per_dim"] is not None else "—"
        size = f"{r['size_mb']:>4.1f} MB" if r["size_mb"] is not None else f"{'—':>7}"
        lines.append(f"{name:<{width}}  {size}  {bpd:>8}  {shown(r['description'], 200)}")
    lines.append("\nUse a name wherever a command takes a checkpoint, "
                 "e.g. pixelcnn-studio sample emoji --n 16 --out e.png")
    return "\n".join(lines)


def run_models(args) -> int:
    rows = list_models()
    print(json_text(rows) if args.json else format_models(rows))
    return 0
