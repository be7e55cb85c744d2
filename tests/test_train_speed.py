"""The fast training path computes what the plain path computes; budgeted runs keep their best weights."""
import copy

import pytest
import torch
import torch.nn.functional as F

from pixelcnn_studio import ModelConfig, build_model, load_checkpoint
from pixelcnn_studio.cli import main
from pixelcnn_studio.core.likelihood import nll_from_logits
from pixelcnn_studio.train.budget import TimeBudget
from pixelcnn_studio.train.metrics import read_metrics
from pixelcnn_studio.train.schedule import lr_at
from pixelcnn_studio.train.settings import TrainSettings
from pixelcnn_studio.train.step import TrainStep, make_optimizer, set_fast_path

from test_train import make_npz, train_args

SHAPES = {
    "gray-class": dict(image_size=(6, 7), channels=1, num_classes=3),
    "colour-location": dict(image_size=(5, 6), channels=3, num_classes=2, embedding_dim=3,
                            location_conditioning=True),
    "original-colour": dict(image_size=(5, 5), channels=3, variant="original"),
}


def _inputs(cfg, batch=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, cfg.levels, (batch, cfg.channels, cfg.height, cfg.width), generator=g)
    kw = {}
    if cfg.num_classes:
        kw["class_ids"] = torch.randint(0, cfg.num_classes, (batch,), generator=g)
    if cfg.embedding_dim:
        kw["embedding"] = torch.randn(batch, cfg.embedding_dim, generator=g)
    return x, kw


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_fast_and_plain_paths_agree_on_logits_loss_and_gradients(name):
    cfg = ModelConfig(hidden=12, layers=3, kernel_size=3, **SHAPES[name])
    torch.manual_seed(0)
    fast = build_model(cfg)
    plain = copy.deepcopy(fast)
    set_fast_path(plain, False)
    x, kw = _inputs(cfg)
    fast_logits, plain_logits = fast(x, **kw), plain(x, **kw)
    # The fast path really runs channels-last (each sub-pixel's levels side by side in memory) ...
    assert fast_logits.permute(0, 3, 4, 2, 1).is_contiguous()
    assert not plain_logits.permute(0, 3, 4, 2, 1).is_contiguous()
    # ... and computes the same numbers.
    torch.testing.assert_close(fast_logits, plain_logits, rtol=1e-5, atol=1e-5)
    fast_loss, plain_loss = nll_from_logits(fast_logits, x), F.cross_entropy(plain_logits, x.long())
    torch.testing.assert_close(fast_loss, plain_loss)
    fast_loss.backward()
    plain_loss.backward()
    for (key, a), b in zip(fast.named_parameters(), plain.parameters()):
        if b.grad is None:
            assert a.grad is None or not a.grad.any(), key
        else:
            torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-6, msg=key)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_from_logit_rows_equals_cross_entropy(reduction):
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 3, 4, 5, 256, generator=g, dtype=torch.float64)    # (B, H, W, C, levels) memory
    logits = logits.permute(0, 4, 3, 1, 2)                                        # viewed (B, levels, C, H, W)
    x = torch.randint(0, 256, (2, 5, 3, 4), generator=g)
    expected = F.cross_entropy(logits, x, reduction=reduction)
    torch.testing.assert_close(nll_from_logits(logits, x, reduction=reduction), expected)
    torch.testing.assert_close(nll_from_logits(logits.contiguous(), x, reduction=reduction), expected)


def test_fast_and_plain_training_steps_follow_the_same_trajectory():
    cfg = ModelConfig(image_size=6, hidden=8, layers=2, kernel_size=3, num_classes=2)
    torch.manual_seed(0)
    models = {True: build_model(cfg)}
    models[False] = copy.deepcopy(models[True])
    steps = {}
    for fast, model in models.items():
        set_fast_path(model, fast)
        ema = copy.deepcopy(model).requires_grad_(False)
        steps[fast] = TrainStep(model, model, make_optimizer(model, 1e-2, 0.0, fast), ema, grad_clip=1.0, fast=fast)
    x, kw = _inputs(cfg, batch=8)
    for _ in range(3):
        losses = [float(steps[fast](x, kw["class_ids"], lr=1e-2, ema_decay=0.9)) for fast in (True, False)]
        assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for a, b in zip(models[True].parameters(), models[False].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_learning_rate_decays_over_the_time_budget_when_asked():
    s = TrainSettings(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    # Early in a long step schedule, but at the end of the time budget: fully decayed.
    assert lr_at(50, 100_000, s, time_fraction=1.0) == pytest.approx(0.1)
    assert lr_at(50, 100_000, s, time_fraction=0.5) == pytest.approx(0.55)
    assert lr_at(50, 100_000, s, time_fraction=None) == pytest.approx(lr_at(50, 100_000, s))
    assert lr_at(5, 100, s, time_fraction=0.9) == pytest.approx(0.6)          # warm-up goes by steps


def test_time_budget_keeps_room_for_the_final_evaluation():
    budget = TimeBudget(minutes=10.0, final_images=1000)
    assert budget.reserve() == 0.0                       # nothing measured yet
    budget.note_training(images=40, seconds=2.0)         # the slow first steps are not trusted
    assert budget.reserve() == 0.0
    budget.note_training(images=760, seconds=38.0)       # 20 images/s: the evaluations guessed at 30/s
    assert budget.reserve() == pytest.approx(1000 / 30 * 1.15 + 10.0)
    budget.note_evaluation(images=100, seconds=2.0)      # measured: 50 images/s, 20 s for the last 1,000
    assert budget.reserve() == pytest.approx(1000 / 50 * 1.15 + 10.0)
    budget.started -= 100.0
    assert budget.fraction() == pytest.approx(100.0 / (600.0 - budget.reserve()), rel=1e-2)
    assert not budget.out_of_time()
    budget.started -= 480.0                              # 580 s in: past 600 s minus the reserve
    assert budget.out_of_time()
    budget.note_evaluation(images=10, seconds=100.0)     # far too slow to fit: a quarter of the budget at most
    assert budget.reserve() == pytest.approx(150.0)
    assert TimeBudget(None).fraction() is None and not TimeBudget(None).out_of_time()


def test_budgeted_run_scores_its_best_weights_on_the_whole_split(tmp_path):
    data = make_npz(tmp_path / "stripes.npz", n_test=48)
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 3, "--eval-limit", 16, "--final-full-eval",
                           "--time-schedule", "--max-minutes", 5)) == 0
    rows = read_metrics(out / "metrics.csv")
    best = load_checkpoint(out / "best.pt")
    metrics = best.metadata["metrics"]
    assert metrics["test_bpd"] == pytest.approx(min(r["test_bpd"] for r in rows), abs=1e-4)
    assert metrics["test_images_full"] == 48
    # The figure is that of the saved weights on all 48 held-out images (up to their float16 rounding).
    from pixelcnn_studio.train.evaluate import evaluate_checkpoint
    again = evaluate_checkpoint(out / "best.pt", f"npz:{data}")
    assert again["images"] == 48
    assert again["bits_per_dim"] == pytest.approx(metrics["test_bpd_full"], abs=2e-3)


def test_one_pass_scores_the_whole_split_and_its_first_images():
    from pixelcnn_studio.train.evaluate import heldout_nll, heldout_nll_and_prefix
    torch.manual_seed(3)
    model = build_model(ModelConfig(image_size=6, hidden=8, layers=2, kernel_size=3, num_classes=3))
    images = torch.randint(0, 256, (23, 1, 6, 6))
    labels = torch.randint(0, 3, (23,))
    # A batch of 5 with a prefix of 7: the prefix ends inside the second batch.
    whole, first = heldout_nll_and_prefix(model, images, labels, prefix=7, batch_size=5)
    assert whole == pytest.approx(heldout_nll(model, images, labels, batch_size=23), rel=1e-6)
    assert first == pytest.approx(heldout_nll(model, images[:7], labels[:7], batch_size=7), rel=1e-6)
    assert first != pytest.approx(whole, rel=1e-3)


def test_a_compiled_step_and_its_compiled_loss_follow_the_eager_step():
    from pixelcnn_studio.train.step import compile_model
    torch.manual_seed(0)
    eager = build_model(ModelConfig(image_size=6, hidden=8, layers=2, kernel_size=3, num_classes=3))
    twin = copy.deepcopy(eager)
    compiled = TrainStep(compile_model(twin), twin, make_optimizer(twin, 1e-2, 0.0), None, grad_clip=1.0,
                         eager=twin, compile_loss=True)
    assert compiled.loss_of is not TrainStep(eager, eager, None, None, grad_clip=1.0).loss_of
    plain = TrainStep(eager, eager, make_optimizer(eager, 1e-2, 0.0), None, grad_clip=1.0)
    x, y = torch.randint(0, 256, (4, 1, 6, 6)), torch.tensor([0, 1, 2, 0])
    for _ in range(3):
        assert float(compiled(x, y, lr=1e-2, ema_decay=0.0)) == pytest.approx(float(plain(x, y, lr=1e-2, ema_decay=0.0)),
                                                                              rel=1e-4)
    for a, b in zip(eager.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)


def test_bench_train_compares_the_paths_in_one_run(capsys):
    assert main(["bench", "--train", "--quick", "--repeats", "2", "--threads", "1", "--batch", "8"]) == 0
    out = capsys.readouterr().out
    assert "1 torch thread(s)" in out
    for path in ("| previous |", "| current |"):
        assert path in out
    assert "1.00x" in out                                 # the previous path against itself


def test_bench_profile_splits_a_step_into_phases_and_operators(capsys):
    assert main(["bench", "--profile", "--quick", "--threads", "1", "--batch", "4"]) == 0
    out = capsys.readouterr().out
    for row in ("| forward |", "| backward |", "| optimiser |", "| EMA |", "**whole step**",
                "| convolutions, backward |", "| softmax + cross-entropy, fwd + bwd |"):
        assert row in out, row
