"""The letters cards' figures: the style strip of letters-style, and the alphabet sheet of letters.

Style strip: one glyph of a font never seen, the word written in its style.

Each row: the one glyph given (a held-out font's), a gap, the word sampled with that glyph's style code,
a gap, the same word in the held-out font itself (what a perfect copy of the style would be), a gap, and
the word in the training font whose code is nearest to the glyph's (so an audience can see the samples
are not copies of a training font).

    python scripts/letters_figures.py letters-style --word Pixel --glyph a --rows 6 --out style-strip.png

Alphabet sheet (--alphabet): a class-only model writes A-Z, a-z and 0-9, two samples of each, each kind
of character on its own rows, all sampled at once:

    python scripts/letters_figures.py letters --alphabet --out letters-samples.png
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from PIL import Image

GAP = 12


def font_glyphs(dataset, group: int) -> dict[str, np.ndarray]:
    chosen = torch.nonzero(dataset.groups == group).flatten()
    return {dataset.class_names[int(dataset.labels[i])]: dataset.images[i, 0].numpy() for i in chosen}


def word_strip(glyphs: list[np.ndarray | None], size: int) -> np.ndarray:
    cells = [np.zeros((size, size), np.uint8) if g is None else g for g in glyphs]
    return np.concatenate(cells, axis=1)


def alphabet_sheet(checkpoint: str, seed: int, scale: int, out: str) -> None:
    """Rows of 26: A-Z twice, a-z twice, then 0-9 twice (one sampling run for every cell)."""
    import string
    from pixelcnn_studio import load_checkpoint, sample
    from pixelcnn_studio.core.export import make_grid
    from pixelcnn_studio.paths import resolve_checkpoint
    torch.set_num_threads(1)
    loaded = load_checkpoint(resolve_checkpoint(checkpoint))
    names = list(loaded.class_names)
    columns = 26
    rows = [string.ascii_uppercase] * 2 + [string.ascii_lowercase] * 2 + [string.digits * 2]
    order = [names.index(c) for row in rows for c in row]
    images = sample(loaded.model, len(order), class_ids=torch.tensor(order), seed=seed)
    # Short rows are padded with blank cells so that every kind of character starts a row.
    blank = torch.zeros_like(images[:1])
    cells, at = [], 0
    for row in rows:
        cells.append(images[at:at + len(row)])
        cells += [blank] * (columns - len(row))
        at += len(row)
    grid = make_grid(torch.cat(cells), columns=columns, scale=scale)
    Image.fromarray(np.asarray(grid).squeeze()).save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="a letters-style checkpoint or bundled name")
    parser.add_argument("--word", default="Pixel")
    parser.add_argument("--glyph", default="a", help="the one character each held-out font gives")
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--out", required=True)
    parser.add_argument("--alphabet", action="store_true", help="the alphabet sheet of a class-only model")
    args = parser.parse_args()
    if args.alphabet:
        alphabet_sheet(args.checkpoint, args.seed, args.scale, args.out)
        return
    from pixelcnn_studio import load_checkpoint, sample
    from pixelcnn_studio.core.plan import plan_text
    from pixelcnn_studio.data import load_dataset
    from pixelcnn_studio.embed.autoencoder import encoder_from_checkpoint_entry
    from pixelcnn_studio.paths import resolve_checkpoint
    torch.set_num_threads(1)
    loaded = load_checkpoint(resolve_checkpoint(args.checkpoint))
    encoder = encoder_from_checkpoint_entry(loaded.embedder)
    test, train = load_dataset("letters", "test"), load_dataset("letters", "train")
    size = test.images.shape[-1]
    source = test.class_names.index(args.glyph)
    # Training fonts' codes for the same character: the nearest is the font the style is "closest" to.
    train_src = torch.nonzero(train.labels == source).flatten()
    with torch.no_grad():
        train_codes = encoder(train.images[train_src])
    # Held-out fonts that have the glyph and the whole word.
    wanted = set(args.word.replace(" ", ""))
    fonts = [int(g) for g in torch.unique(test.groups)
             if wanted | {args.glyph} <= set(font_glyphs(test, int(g)))]
    # As different from each other as the codes say: farthest-point picks, from the first font on.
    with torch.no_grad():
        codes = encoder(torch.stack([torch.from_numpy(font_glyphs(test, g)[args.glyph])[None] for g in fonts]))
    chosen = [0]
    while len(chosen) < min(args.rows, len(fonts)):
        distance = torch.cdist(codes, codes[chosen]).min(dim=1).values
        chosen.append(int(distance.argmax()))
    picks = [fonts[i] for i in chosen]
    rows = []
    for row, group in enumerate(picks):
        glyphs = font_glyphs(test, group)
        given = torch.from_numpy(glyphs[args.glyph])[None, None]
        with torch.no_grad():
            code = encoder(given)
        plan = plan_text(args.word, loaded.class_names, embedding=code.numpy(), seed=args.seed + row)
        drawn = sample(loaded.model, plan.n, **{k: v for k, v in plan.sampler_arguments().items()
                                                 if k not in ("greedy", "method")})
        written = plan.laid_out(drawn)[:, 0].numpy()
        nearest = int(train.groups[train_src[int(torch.cdist(code, train_codes).argmin())]])
        near = font_glyphs(train, nearest)
        gap = np.zeros((size, GAP), np.uint8)
        rows.append(np.concatenate([
            glyphs[args.glyph], gap, np.concatenate(list(written), axis=1), gap,
            word_strip([None if c == " " else glyphs[c] for c in args.word], size), gap,
            word_strip([None if c == " " else near.get(c) for c in args.word], size)], axis=1))
        print(f"row {row}: {test.info['font_names'][group]}; nearest training font "
              f"{train.info['font_names'][nearest]}")
    picture = np.concatenate([np.pad(r, ((2, 2), (0, 0))) for r in rows], axis=0)
    image = Image.fromarray(picture).resize((picture.shape[1] * args.scale, picture.shape[0] * args.scale),
                                            Image.Resampling.NEAREST)
    image.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
