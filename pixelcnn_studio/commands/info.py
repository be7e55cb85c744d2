"""`pixelcnn-studio info`: what a checkpoint holds, without building anything heavy."""
from __future__ import annotations

import os

import torch

from ..core.checkpoint import load_checkpoint
from ..core.safe_text import shown


def describe_checkpoint(path) -> dict:
    loaded = load_checkpoint(path)
    cfg = loaded.config
    params = sum(p.numel() for p in loaded.model.parameters())
    conditioning = []
    if cfg.num_classes:
        conditioning.append(f"class ({cfg.num_classes})")
    if cfg.embedding_dim:
        conditioning.append(f"embedding ({cfg.embedding_dim}-D)")
    if cfg.location_conditioning:
        conditioning.append("location map")

    def plain(value):
        if isinstance(value, torch.Tensor):
            return value.tolist() if value.numel() <= 16 else f"tensor{tuple(value.shape)}"
        if isinstance(value, dict):
            # Resume state and encoder weights are bulk tensors, not information for a reader.
            return {k: plain(v) for k, v in value.items() if k not in ("resume", "state_dict")}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {
        "path": str(path),
        "file_size_bytes": os.path.getsize(path),
        "parameters": params,
        "config": cfg.to_dict(),
        "conditioning": conditioning or ["none"],
        "class_names": loaded.class_names,
        "embedder": plain(loaded.embedder),
        "dataset": plain(loaded.metadata.get("dataset") or {}),
        "metrics": plain(loaded.metadata.get("metrics") or {}),
        "training": plain(loaded.metadata.get("training") or {}),
    }


def format_info(info: dict) -> str:
    cfg = info["config"]
    size = cfg["image_size"]
    size = f"{size[0]}x{size[1]}" if isinstance(size, list) else f"{size}x{size}"
    lines = [
        f"checkpoint   {shown(info['path'], 100)}  ({info['file_size_bytes'] / 1e6:.2f} MB, {info['parameters']:,} parameters)",
        f"model        {cfg['variant']} PixelCNN, {size}, {cfg['channels']} channel(s), {cfg['levels']} levels, "
        f"{cfg['layers']} layers x {cfg['hidden']} hidden, kernel {cfg['kernel_size']}",
        f"conditioning {', '.join(info['conditioning'])}",
    ]
    if info["class_names"]:
        lines.append("classes      " + ", ".join(f"{i}={shown(n, 40)}" for i, n in enumerate(info["class_names"])))
    if info["embedder"]:
        emb = info["embedder"]
        lines.append(f"embedder     {shown(emb.get('name', '?'), 40)} ({emb.get('dim', '?')}-D)")
    for key in ("dataset", "metrics", "training"):
        if info[key]:
            text = ", ".join(f"{shown(k, 40)}={shown(v, 80)}" for k, v in info[key].items() if not isinstance(v, (dict, list)))
            if text:
                lines.append(f"{key:<12} {text}")
    return "\n".join(lines)
