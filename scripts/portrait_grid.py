"""The portrait model's card figure: one row of samples per sample portrait, the same seeds in every
row (so rows differ only through the face embedding), and the nearest training faces beside them.

    python scripts/portrait_grid.py CHECKPOINT OUT.png [--n 8] [--seed 0] [--scale 4] [--temperature 1]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from PIL import Image

from pixelcnn_studio import load_checkpoint, sample
from pixelcnn_studio.embed import embedder_for_checkpoint
from pixelcnn_studio.embed.gallery import gallery_of, nearest
from pixelcnn_studio.embed.images import open_image
from pixelcnn_studio.paths import resource

PORTRAITS = ("astronaut.jpg", "grace_hopper.jpg")
GAP = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--nearest", type=int, default=3, help="nearest training faces shown after the samples")
    args = parser.parse_args()
    loaded = load_checkpoint(args.checkpoint)
    embedder = embedder_for_checkpoint(loaded)
    gallery = gallery_of(loaded.metadata)
    rows = []
    for name in PORTRAITS:
        vector = torch.as_tensor(embedder.embed(open_image(resource("portraits") / name))).float()
        drawn = sample(loaded.model, args.n, embedding=vector.expand(args.n, -1), seed=args.seed,
                       temperature=args.temperature)
        tiles = list(drawn)
        neighbours = nearest(gallery, vector.numpy(), k=args.nearest)
        if neighbours:
            tiles += [torch.full_like(drawn[0], 255)] + [torch.from_numpy(n.image) for n in neighbours]
        rows.append(tiles)
    c, h, w = rows[0][0].shape
    columns = max(len(r) for r in rows)
    canvas = np.full((len(rows) * (h + GAP) - GAP, columns * (w + GAP) - GAP, c), 255, np.uint8)
    for r, tiles in enumerate(rows):
        for k, tile in enumerate(tiles):
            top, left = r * (h + GAP), k * (w + GAP)
            canvas[top:top + h, left:left + w] = tile.permute(1, 2, 0).numpy()
    picture = Image.fromarray(canvas[:, :, 0] if c == 1 else canvas)
    picture.resize((picture.width * args.scale, picture.height * args.scale), Image.NEAREST).save(args.out)


if __name__ == "__main__":
    main()
