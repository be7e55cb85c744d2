"""The model's causal structure, conditioning and likelihood, checked exhaustively on small images."""
import math

import pytest
import torch
import torch.nn.functional as F

from pixelcnn_studio import ConditioningError, ModelConfig, bits_per_dim, build_model, nll_per_subpixel

CASES = {
    "gray-5x6": dict(image_size=(5, 6), channels=1),
    "gray-7x7-class": dict(image_size=(7, 7), channels=1, num_classes=3),
    "colour-5x6": dict(image_size=(5, 6), channels=3),
    "colour-7x7-class": dict(image_size=(7, 7), channels=3, num_classes=4),
    "gray-5x6-embedding": dict(image_size=(5, 6), channels=1, embedding_dim=5),
    "colour-5x6-location": dict(image_size=(5, 6), channels=3, num_classes=2, embedding_dim=3,
                                location_conditioning=True),
}


def conditioning_inputs(cfg, batch=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    kw = {}
    if cfg.num_classes:
        kw["class_ids"] = torch.randint(0, cfg.num_classes, (batch,), generator=g)
    if cfg.embedding_dim:
        kw["embedding"] = torch.randn(batch, cfg.embedding_dim, generator=g, dtype=torch.float64)
    return kw


def raster_order(cfg):
    return [(r, c, ch) for r in range(cfg.height) for c in range(cfg.width) for ch in range(cfg.channels)]


def dependency_sets(model, cfg, inputs=3, seed=0):
    """For every output sub-pixel, the input sub-pixels whose change alters its logits.

    Each changed image gets its own batch-of-one forward pass, like the baseline, so that no
    difference can come from batch-dependent arithmetic; the union over a few random images
    guards against a ReLU that happens to be dead for one of them.
    """
    order = raster_order(cfg)
    deps = {pos: set() for pos in order}
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for trial in range(inputs):
            x = torch.randint(0, cfg.levels, (1, cfg.channels, cfg.height, cfg.width), generator=g)
            kw = conditioning_inputs(cfg, seed=trial)
            base = model(x, **kw)
            for (r, c, ch) in order:
                changed = x.clone()
                changed[0, ch, r, c] = (changed[0, ch, r, c] + 97) % cfg.levels
                moved = (model(changed, **kw) - base).abs().amax(dim=1)[0] != 0   # (C, H, W)
                for (ch2, r2, c2) in moved.nonzero().tolist():
                    deps[(r2, c2, ch2)].add((r, c, ch))
    return deps


def keep_output_relus_open(model):
    """Shift the output head's ReLUs into their open range.

    Near the top-left corner the activations hardly vary with the input, so a random model can
    have every ReLU of a colour group closed there and hide a real dependency. The shifts are
    biases only: they change no path of the network, so causality is tested just the same.
    """
    with torch.no_grad():
        for layer in model.layers:
            layer.skip.bias.add_(1.0)
        model.head.hidden.bias.add_(2.0)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("kernel", [3, 5])
def test_causality_exhaustive_and_no_blind_spot(name, kernel):
    cfg = ModelConfig(hidden=15, layers=6, kernel_size=kernel, **CASES[name])
    torch.manual_seed(1)
    model = build_model(cfg).double().eval()
    keep_output_relus_open(model)
    deps = dependency_sets(model, cfg)
    order = raster_order(cfg)
    for j, target in enumerate(order):
        later = {order[i] for i in range(j, len(order))}
        # Nothing at or after the target in raster-then-channel order may reach its logits...
        assert not (deps[target] & later), f"{target} depends on {sorted(deps[target] & later)}"
        # ...and, with enough layers to cover the image, everything before it does.
        assert deps[target] == set(order[:j]), f"{target} misses {sorted(set(order[:j]) - deps[target])}"


@pytest.mark.parametrize("channels", [1, 3])
def test_original_variant_is_causal_but_has_a_blind_spot(channels):
    cfg = ModelConfig(image_size=(7, 7), channels=channels, hidden=9, layers=6, kernel_size=3, variant="original")
    torch.manual_seed(2)
    model = build_model(cfg).double().eval()
    deps = dependency_sets(model, cfg)
    order = raster_order(cfg)
    for j, target in enumerate(order):
        assert not (deps[target] & set(order[j:]))
    # Target (3, 3): the pixel up-and-right at (2, 5) is earlier in raster order but unseen.
    target = (3, 3, 0)
    missed = set(order[:order.index(target)]) - deps[target]
    assert (2, 5, 0) in missed and (1, 6, 0) in missed
    assert all((r < 3 and c > 3) for (r, c, _) in missed), "the blind spot lies above and to the right"


def test_logits_shape_and_float_input():
    cfg = ModelConfig(image_size=(4, 5), channels=3, hidden=6, layers=2, levels=16)
    model = build_model(cfg).eval()
    x = torch.randint(0, 16, (2, 3, 4, 5))
    logits = model(x)
    assert logits.shape == (2, 16, 3, 4, 5)
    scaled = x.float() * (2 / 15) - 1
    assert torch.allclose(model(scaled), logits, atol=1e-6)
    loss = F.cross_entropy(logits, x)
    assert loss.dim() == 0 and math.isfinite(loss.item())


def test_class_and_embedding_change_the_output():
    cfg = ModelConfig(image_size=(4, 4), hidden=8, layers=2, num_classes=3, embedding_dim=4,
                      location_conditioning=True)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    x = torch.randint(0, 256, (1, 1, 4, 4))
    e = torch.randn(1, 4)
    a = model(x, class_ids=torch.tensor([0]), embedding=e)
    b = model(x, class_ids=torch.tensor([1]), embedding=e)
    c = model(x, class_ids=torch.tensor([0]), embedding=e + 1)
    assert (a - b).abs().max() > 1e-4
    assert (a - c).abs().max() > 1e-4


def test_bad_conditioning_is_a_clear_error():
    cfg = ModelConfig(image_size=(4, 4), hidden=8, layers=2, num_classes=3, embedding_dim=4)
    model = build_model(cfg).eval()
    x = torch.zeros(2, 1, 4, 4, dtype=torch.long)
    good_e = torch.zeros(2, 4)
    with pytest.raises(ConditioningError, match="class id 3 is out of range 0..2"):
        model(x, class_ids=torch.tensor([0, 3]), embedding=good_e)
    with pytest.raises(ConditioningError, match="embedding must have size 4"):
        model(x, class_ids=torch.tensor([0, 1]), embedding=torch.zeros(2, 5))
    with pytest.raises(ConditioningError, match="give class_ids"):
        model(x, embedding=good_e)
    unconditional = build_model(ModelConfig(image_size=(4, 4), hidden=8, layers=2))
    with pytest.raises(ConditioningError, match="no classes"):
        unconditional(x, class_ids=torch.tensor([0, 0]))


def test_invalid_configs_are_rejected():
    with pytest.raises(ValueError, match="channels"):
        ModelConfig(channels=2)
    with pytest.raises(ValueError, match="location_conditioning"):
        ModelConfig(location_conditioning=True)
    with pytest.raises(ValueError, match="variant"):
        ModelConfig(variant="lstm")
    with pytest.raises(ValueError, match="unknown config fields"):
        ModelConfig.from_dict({"image_size": 8, "dropout_of_the_future": 0.1})


def test_bits_per_dim_matches_independent_computation():
    cfg = ModelConfig(image_size=(6, 5), channels=3, hidden=9, layers=3, num_classes=2)
    torch.manual_seed(3)
    model = build_model(cfg).double().eval()
    x = torch.randint(0, 256, (5, 3, 6, 5))
    ids = torch.tensor([0, 1, 1, 0, 1])
    with torch.no_grad():
        logits = model(x, class_ids=ids)
        # log-softmax by hand, picking the probability of each true level.
        shifted = logits - logits.max(dim=1, keepdim=True).values
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
        nll = -log_probs.gather(1, x.unsqueeze(1)).squeeze(1)
    expected = float(nll.sum() / nll.numel() / math.log(2))
    assert bits_per_dim(model, x, class_ids=ids, batch_size=2) == pytest.approx(expected, rel=1e-9)
    per = nll_per_subpixel(model, x, class_ids=ids)
    assert per.shape == x.shape
    assert torch.allclose(per.double(), nll, rtol=1e-5)


def test_untrained_model_is_near_uniform():
    cfg = ModelConfig(image_size=(4, 4), hidden=8, layers=2)
    model = build_model(cfg)
    x = torch.randint(0, 256, (4, 1, 4, 4))
    assert abs(bits_per_dim(model, x) - 8.0) < 0.5


def test_receptive_field_of_the_first_subpixel_is_empty():
    from pixelcnn_studio import receptive_field
    grey = ModelConfig(image_size=(3, 4), layers=2, kernel_size=3)
    assert not receptive_field(grey, (0, 0)).any()
    colour = ModelConfig(image_size=(3, 4), channels=3, layers=2, kernel_size=3)
    green = receptive_field(colour, (0, 0), channel=1)
    assert green[0, 0, 0] and green.sum() == 1          # G of the first pixel sees only its R
