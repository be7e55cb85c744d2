"""Do a letters model's samples read as the characters asked for? A plain CNN judges.

The classifier is trained on the held-out fonts' glyphs only (fonts no letters model saw) and its own
accuracy is measured on the training fonts' glyphs (fonts the classifier never saw): that figure is the
ceiling beside which the samples' share reads. Some characters are ambiguous in many fonts at 28x28
(l, I, 1; O, 0), so neither figure can reach 100%.

    python scripts/letters_classifier.py letters [letters-style] [--per-class 8] [--json OUT.json]

A style model (conditioned on a sibling glyph) is sampled with the style code of a random held-out glyph
for each image. Prints one line per model; --json writes every figure.
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn
import torch.nn.functional as F


def make_classifier(classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, classes))


def as_input(images: torch.Tensor) -> torch.Tensor:
    return images.float() / 127.5 - 1.0


def shifted(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image moved by up to one pixel: samples need not sit exactly where the fonts' glyphs do."""
    dy, dx = (int(v) for v in torch.randint(-1, 2, (2,), generator=generator))
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


def train_classifier(images, labels, classes: int, *, epochs: int = 12, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = make_classifier(classes)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            loss = F.cross_entropy(model(as_input(shifted(images[idx], generator))), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return torch.cat([model(as_input(images[i:i + 1024])).argmax(1) for i in range(0, len(images), 1024)])


def sample_share(classifier, checkpoint: str, test_set, per_class: int, seed: int) -> dict:
    from pixelcnn_studio import load_checkpoint, sample
    from pixelcnn_studio.paths import resolve_checkpoint
    loaded = load_checkpoint(resolve_checkpoint(checkpoint))
    names = list(loaded.class_names)
    ids = torch.arange(len(names)).repeat_interleave(per_class)
    embedding = None
    if loaded.config.embedding_dim:   # the style of a random held-out glyph for each image
        from pixelcnn_studio.embed.autoencoder import encoder_from_checkpoint_entry
        encoder = encoder_from_checkpoint_entry(loaded.embedder)
        pick = torch.randint(0, len(test_set), (len(ids),), generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            embedding = encoder(test_set.images[pick])
    started = time.perf_counter()
    images = sample(loaded.model, len(ids), class_ids=ids, embedding=embedding, seed=seed)
    seconds = time.perf_counter() - started
    # The classifier's classes are the dataset's; the model's are matched by name.
    data_index = {n: i for i, n in enumerate(test_set.class_names)}
    asked = torch.tensor([data_index[names[i]] for i in ids.tolist()])
    read = predict(classifier, images)
    per = {names[c]: float((read[ids == c] == asked[ids == c]).float().mean()) for c in range(len(names))}
    return {"checkpoint": checkpoint, "samples": len(ids), "share_read_as_asked": float((read == asked).float().mean()),
            "sampling_seconds": round(seconds, 1), "worst": sorted(per.items(), key=lambda kv: kv[1])[:6],
            "style_from": "a random held-out glyph per image" if embedding is not None else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="*", help="letters checkpoints or bundled names")
    parser.add_argument("--per-class", type=int, default=8, help="samples of each character (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=12, help="classifier training epochs (default 12)")
    parser.add_argument("--json", metavar="OUT.json")
    args = parser.parse_args()
    from pixelcnn_studio.data import load_dataset
    torch.set_num_threads(1)
    held_out, seen = load_dataset("letters", "test"), load_dataset("letters", "train")
    classifier = train_classifier(held_out.images, held_out.labels, len(held_out.class_names),
                                  epochs=args.epochs, seed=args.seed)
    accuracy = float((predict(classifier, seen.images) == seen.labels).float().mean())
    report = {"classifier": {"trained_on": f"{len(held_out)} glyphs of {held_out.info['fonts']} held-out fonts",
                             "accuracy": accuracy,
                             "measured_on": f"{len(seen)} glyphs of {seen.info['fonts']} other fonts"},
              "models": []}
    print(f"classifier: {accuracy:.1%} of {len(seen)} glyphs of fonts it never saw read right")
    for checkpoint in args.checkpoints:
        found = sample_share(classifier, checkpoint, held_out, args.per_class, args.seed)
        report["models"].append(found)
        print(f"{checkpoint}: {found['share_read_as_asked']:.1%} of {found['samples']} samples read as the "
              f"character asked (worst: {', '.join(f'{k} {v:.0%}' for k, v in found['worst'])})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main()
