"""What a checkpoint's header says about it in a line: its telling bits/dim figure and a summary.

Shared by the app's model list and `pixelcnn-studio models`; reads plain values only, so it works
on the raw dict from `read_checkpoint_dict` before any weights are checked or built.
"""
from __future__ import annotations


FULL_SPLIT_KEY = "test_bpd_full"


def metric_bits_per_dim(metrics: dict) -> tuple[str, float] | None:
    """The most telling bits/dim figure in a checkpoint's metrics (test before validation before train)."""
    found = {k: v for k, v in (metrics or {}).items()
             if isinstance(v, (int, float)) and ("bits" in k.lower() or "bpd" in k.lower())}
    # A run that drew its curve on part of the held-out split scored its best weights on all of it.
    if isinstance(found.get(FULL_SPLIT_KEY), (int, float)) and not isinstance(found[FULL_SPLIT_KEY], bool):
        return FULL_SPLIT_KEY, float(found[FULL_SPLIT_KEY])
    for word in ("test", "val", "best", ""):
        # The plainest name first: "test_bpd" rather than "best_test_bpd".
        for key in sorted(found, key=lambda k: (len(k), k)):
            if word in key.lower():
                return key, float(found[key])
    return None


def summary_line(config, payload: dict) -> str:
    """e.g. "fashion-mnist · 28×28 grey · 10 classes · 3.13 bits/dim"."""
    from .safe_text import shown           # a name from a file, shown safely and kept short
    parts = [shown((payload.get("dataset") or {}).get("name") or "", 30)]
    parts.append(f"{config.height}×{config.width} {'RGB' if config.channels == 3 else 'grey'}")
    if config.num_classes:
        parts.append(f"{config.num_classes} classes")
    if config.embedding_dim:
        # An auto-encoder's code comes from any picture; other embedders (the face network) from portraits.
        # ("autoencoder" is the embedder name the trainer writes; the core does not import embed/.)
        entry = payload.get("embedder") if isinstance(payload.get("embedder"), dict) else {}
        embedder = entry.get("name")
        # A style model's encoder reads a sibling glyph ("conditions_on"), not the picture being drawn.
        if embedder == "autoencoder" and entry.get("conditions_on") == "sibling":
            embedder = "style"
        parts.append({"autoencoder": "auto-encoder", "style": "+ style", "box": "+ box"}.get(embedder, "portraits"))
    bpd = metric_bits_per_dim(payload.get("metrics") or {})
    if bpd:
        parts.append(f"{bpd[1]:.2f} bits/dim")
    return " · ".join(p for p in parts if p)
