"""Figures for pictures and surprise, printed as tables (their values go to docs/benchmarks.md).

    python scripts/measure_pictures.py drawn       # drawn digits -> auto-encoder samples -> Bayes classifier
    python scripts/measure_pictures.py ceiling     # the same with real held-out MNIST digits as inputs
    python scripts/measure_pictures.py card OUT.png --samples 6   # the auto-encoder's model-card figure
    python scripts/measure_pictures.py posterior   # class posterior accuracy on Fashion-MNIST test images
    python scripts/measure_pictures.py timing      # seconds to score one 28x28 picture (surprise)
    python scripts/measure_pictures.py ood         # Fashion-MNIST model on clothes vs MNIST digits
    python scripts/measure_pictures.py maps OUT.png  # their heat maps side by side

Options: --n N (images for posterior/ood/ceiling), --samples K (per input), --threads T,
--autoencoder NAME|PATH and --temperature T (drawn and ceiling; the app samples at temperature 1).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pixelcnn_studio import load_checkpoint
from pixelcnn_studio.core.sampling import sample
from pixelcnn_studio.core.surprise import class_log_likelihoods, surprise
from pixelcnn_studio.render.surprise_map import map_picture
from pixelcnn_studio.embed import embedder_for_checkpoint
from pixelcnn_studio.embed.images import open_image
from pixelcnn_studio.paths import bundled_model

ROOT = Path(__file__).resolve().parents[1]
DRAWN = ROOT / "tests" / "data" / "drawn"


def bundled(name: str) -> Path:
    path = bundled_model(name)
    if path is None:
        raise SystemExit(f"the bundled model {name!r} is not installed")
    return path


def _judged(judge, images: torch.Tensor) -> list[int]:
    """The digit the class-conditional MNIST model makes most likely: argmax over c of log p(x | c)."""
    return class_log_likelihoods(judge.model, images).argmax(1).tolist()


def _samples_of(autoencoder, embedder, picture: torch.Tensor, samples: int, seed: int, temperature: float):
    """`samples` auto-encoder samples conditioned on the code of one prepared picture (1, 1, 28, 28)."""
    from pixelcnn_studio.embed.prepare import PreparedPicture
    x = embedder.input_of(PreparedPicture(picture[0].numpy(), "as-is", False, ""))
    code = torch.as_tensor(embedder.encode(x)).unsqueeze(0)
    return sample(autoencoder.model, samples, embedding=code.expand(samples, -1), seed=seed, temperature=temperature)


def drawn_digits(args) -> None:
    """Each drawing's code conditions `samples` auto-encoder samples; the class-conditional MNIST model,
    used as a Bayes classifier (argmax over c of log p(x | c)), says which digit each sample is."""
    autoencoder, judge = load_checkpoint(args.autoencoder), load_checkpoint(bundled("mnist"))
    embedder = embedder_for_checkpoint(autoencoder)
    rows, right, total, tiles, inputs_right = [], 0, 0, [], 0
    for path in sorted(DRAWN.glob("digit-*.png")):
        digit = int(path.stem.split("-")[1])
        prepared = embedder.prepared(open_image(path)).as_input()
        images = _samples_of(autoencoder, embedder, prepared, args.samples, digit, args.temperature)
        tiles.append(torch.cat([prepared, images]))
        said = _judged(judge, images)
        inputs_right += int(_judged(judge, prepared)[0] == digit)
        hits = sum(int(s == digit) for s in said)
        right, total = right + hits, total + args.samples
        rows.append((path.name, open_image(path).size, digit, hits, args.samples, said))
    print(f"auto-encoder {Path(args.autoencoder).name}, temperature {args.temperature}")
    print("| drawing | sheet | digit | samples judged that digit | judged as |")
    print("|---|---|---:|---:|---|")
    for name, size, digit, hits, n, said in rows:
        print(f"| {name} | {size[0]}x{size[1]} | {digit} | {hits}/{n} | {' '.join(map(str, said))} |")
    print(f"\nshare: {right}/{total} = {right / total:.1%}; the prepared drawings themselves judged right: "
          f"{inputs_right}/{len(rows)}")
    if args.out:
        from pixelcnn_studio.core.export import make_grid, save_png
        save_png(args.out, make_grid(torch.cat(tiles), columns=args.samples + 1, scale=3))
        print(f"wrote {args.out}: each row a drawing as prepared, then its samples")


def ceiling(args) -> None:
    """The drawn-digit figure with real held-out MNIST digits in place of drawings: how far the
    auto-encoder and the judge can go when the input is exactly what they were trained on."""
    from pixelcnn_studio.data import load_dataset
    autoencoder, judge = load_checkpoint(args.autoencoder), load_checkpoint(bundled("mnist"))
    embedder = embedder_for_checkpoint(autoencoder)
    test = load_dataset("mnist", "test")
    test.keep_stratified(args.n)
    per_digit = torch.zeros(10, 2, dtype=torch.int64)         # (right, total) of samples per digit
    inputs_right = 0
    for i, (picture, digit) in enumerate(zip(test.images, test.labels.tolist())):
        images = _samples_of(autoencoder, embedder, picture[None], args.samples, i, args.temperature)
        said = _judged(judge, images)
        inputs_right += int(_judged(judge, picture[None])[0] == digit)
        per_digit[digit] += torch.tensor([sum(int(s == digit) for s in said), len(said)])
    right, total = int(per_digit[:, 0].sum()), int(per_digit[:, 1].sum())
    print(f"auto-encoder {Path(args.autoencoder).name}, temperature {args.temperature}: {len(test)} held-out digits "
          f"(stratified), {args.samples} samples each")
    print("per digit: " + ", ".join(f"{d}: {int(r)}/{int(t)}" for d, (r, t) in enumerate(per_digit.tolist())))
    print(f"ceiling: {right}/{total} = {right / total:.1%} of the samples judged the digit encoded; "
          f"the digits themselves judged right: {inputs_right}/{len(test)} = {inputs_right / len(test):.1%}")


def card(args) -> None:
    """The model card's figure: one held-out digit of each class (the first of each), then `samples`
    auto-encoder samples conditioned on its code."""
    from pixelcnn_studio.core.export import make_grid, save_png
    from pixelcnn_studio.data import load_dataset
    autoencoder = load_checkpoint(args.autoencoder)
    embedder = embedder_for_checkpoint(autoencoder)
    test = load_dataset("mnist", "test")
    test.keep_stratified(10)
    tiles = []
    for i, picture in enumerate(test.images):
        tiles.append(torch.cat([picture[None], _samples_of(autoencoder, embedder, picture[None], args.samples, i,
                                                            args.temperature)]))
    save_png(args.out, make_grid(torch.cat(tiles), columns=args.samples + 1, scale=3))
    print(f"wrote {args.out}: digits {test.labels.tolist()}, each then {args.samples} samples of its code")


def fashion_test(n: int):
    from pixelcnn_studio.data import load_dataset
    test = load_dataset("fashion-mnist", "test")
    # A fixed spread over the whole test set: the first n of a seeded permutation.
    order = torch.randperm(len(test.images), generator=torch.Generator().manual_seed(0))[:n]
    return test.images[order], test.labels[order]


def mnist_images(n: int):
    from pixelcnn_studio.data import load_dataset
    test = load_dataset("mnist", "test")
    order = torch.randperm(len(test.images), generator=torch.Generator().manual_seed(0))[:n]
    return test.images[order], test.labels[order]


def posterior_accuracy(n: int) -> None:
    model = load_checkpoint(bundled("fashion-mnist"))
    images, labels = fashion_test(n)
    started = time.perf_counter()
    log_likelihood = class_log_likelihoods(model.model, images)
    seconds = time.perf_counter() - started
    said = log_likelihood.argmax(1)
    accuracy = float((said == torch.as_tensor(labels)).double().mean())
    print(f"Fashion-MNIST posterior accuracy (argmax_c p(c | x), uniform prior) on {n} test images: "
          f"{accuracy:.1%} ({seconds:.0f} s, {seconds / n:.2f} s per image)")
    names = model.class_names
    for c, name in enumerate(names):
        mask = torch.as_tensor(labels) == c
        if mask.any():
            print(f"  {name}: {float((said[mask] == c).double().mean()):.1%} of {int(mask.sum())}")


def timing(repeats: int) -> None:
    loaded = load_checkpoint(bundled("fashion-mnist"))
    images, _ = fashion_test(1)
    surprise(loaded.model, images[:1])                         # warm-up
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        surprise(loaded.model, images[:1])
        seconds.append(time.perf_counter() - started)
    print(f"surprise of one 28x28 picture, fashion-mnist model (10 classes), {torch.get_num_threads()} thread(s): "
          f"median {statistics.median(seconds):.3f} s of {repeats} (min {min(seconds):.3f}, max {max(seconds):.3f})")


def log_marginal_bits_per_dim(log_likelihood: torch.Tensor, dims: int) -> torch.Tensor:
    """-log2 p(x) / dims with p(x) = mean over classes of p(x | c): the model's likelihood of x, class unknown."""
    classes = log_likelihood.shape[1]
    return -(torch.logsumexp(log_likelihood, 1) - math.log(classes)) / math.log(2.0) / dims


def ood(n: int) -> None:
    loaded = load_checkpoint(bundled("fashion-mnist"))
    clothes, _ = fashion_test(n)
    digits, _ = mnist_images(n)
    table = {}
    for name, images in (("Fashion-MNIST test", clothes), ("MNIST digits", digits)):
        bpd = log_marginal_bits_per_dim(class_log_likelihoods(loaded.model, images), 28 * 28)
        table[name] = bpd
        print(f"{name}: {n} images, bits/dim median {float(bpd.median()):.3f}, mean {float(bpd.mean()):.3f}, "
              f"10th-90th percentile {float(bpd.quantile(0.1)):.3f}-{float(bpd.quantile(0.9)):.3f}")
    clothes_bpd, digits_bpd = table["Fashion-MNIST test"], table["MNIST digits"]
    lower = float((digits_bpd[:, None] < clothes_bpd[None, :]).double().mean())
    print(f"a random digit scores a higher likelihood than a random garment in {lower:.1%} of pairs")


def maps(out: str) -> None:
    """Two digits and two garments under the Fashion-MNIST model, one shared colour scale."""
    from pixelcnn_studio.core.export import save_png
    loaded = load_checkpoint(bundled("fashion-mnist"))
    clothes, _ = fashion_test(2)
    digits, _ = mnist_images(2)
    results = [(x, surprise(loaded.model, x[None])) for x in (*clothes, *digits)]
    top = max(float(r.bits_per_pixel.max()) for _, r in results)
    panels = [map_picture(x.numpy(), r, scale=6, top=top) for x, r in results]
    gap = np.full((panels[0].shape[0], 12, 3), 255, np.uint8)
    row = np.concatenate([p for panel in panels for p in (panel, gap)][:-1], axis=1)
    save_png(out, row)
    for (_, r), what in zip(results, ("garment", "garment", "digit", "digit")):
        print(f"{what}: {r.bits_per_dim:.3f} bits/dim, scored as {loaded.class_names[r.class_id]}")
    print(f"wrote {out} (colour scale 0 to {top:.1f} bits per pixel)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["drawn", "ceiling", "card", "posterior", "timing", "ood", "maps"])
    parser.add_argument("out", nargs="?", default=None, help="maps: the PNG to write; drawn: a figure of the samples")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--autoencoder", default=None, help="checkpoint (default: the bundled mnist-autoencoder)")
    parser.add_argument("--temperature", type=float, default=1.0)
    args = parser.parse_args(argv)
    args.autoencoder = args.autoencoder or bundled("mnist-autoencoder")
    torch.set_num_threads(args.threads)
    if args.what == "drawn":
        drawn_digits(args)
    elif args.what == "ceiling":
        ceiling(args)
    elif args.what == "card":
        card(args)
    elif args.what == "posterior":
        posterior_accuracy(args.n)
    elif args.what == "timing":
        timing(args.repeats)
    elif args.what == "ood":
        ood(args.n)
    else:
        maps(args.out or "surprise-maps.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
