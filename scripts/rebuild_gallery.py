"""Rebuild an auto-encoder checkpoint's gallery: training images of every class with their codes.

The gallery (`metadata["gallery"]`) is what "nearest training images" and the Interpolation tab's
defaults draw from. The codes come from the encoder stored in the checkpoint itself, so nothing is
retrained; the weights and every other record are kept as they are. The images are taken from the
checkpoint's own training split, stratified over the classes (see embed.gallery.stratified_indices).

    python scripts/rebuild_gallery.py CHECKPOINT [--count 250] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys

import torch

from pixelcnn_studio import load_checkpoint
from pixelcnn_studio.core.checkpoint import read_checkpoint_dict
from pixelcnn_studio.core.export import atomic_path
from pixelcnn_studio.data import load_dataset
from pixelcnn_studio.embed import embedder_for_checkpoint
from pixelcnn_studio.embed.gallery import stratified_indices


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--count", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    loaded = load_checkpoint(args.checkpoint)
    embedder = embedder_for_checkpoint(loaded)
    if embedder is None or not hasattr(embedder, "encoder"):
        raise SystemExit(f"{args.checkpoint}: not an auto-encoder checkpoint")
    dataset = loaded.metadata["dataset"]
    train = load_dataset(dataset["spec"], "train")
    if len(train.images) != dataset.get("train_size", len(train.images)):
        raise SystemExit(f"the {dataset['spec']} training split here has {len(train.images)} images, "
                         f"the checkpoint's had {dataset['train_size']}")
    chosen = stratified_indices(train.labels, args.count, seed=args.seed)
    images = train.images[chosen].clone()
    with torch.no_grad():
        codes = embedder.encoder(images).float()
    raw = read_checkpoint_dict(args.checkpoint)
    labels = torch.as_tensor(train.labels)[chosen].clone()
    raw.setdefault("extra", {})["gallery"] = {"images": images, "embeddings": codes, "labels": labels}
    with atomic_path(args.checkpoint) as tmp:
        torch.save(raw, tmp)
    counts = torch.bincount(labels, minlength=len(train.class_names or []))
    print(f"{args.checkpoint}: gallery of {len(chosen)} training images, per class {counts.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
