"""What a training run was asked to do: built-in defaults < preset < explicit flags.

Settings are a dataclass of plain values so they can be stored in the checkpoint and
restored by `--resume`, which then needs no flags but the output folder.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from .presets import DEFAULTS, get_preset

LR_DECAYS = ("cosine", "linear")

# Flags that may change when resuming: how long to run and where, not what is trained.
RESUME_OVERRIDABLE = ("epochs", "steps", "max_minutes", "threads", "eval_every", "device", "bf16", "compile",
                      "cpu_bf16", "progress_json", "sample_every", "eval_every_seconds")


@dataclass
class TrainSettings:
    data: str | None = None
    out: str = "runs/train"
    preset: str | None = None
    image_size: int | None = None
    unconditional: bool = False
    # auto | class | none | embedding | autoencoder (see train/conditioning.py)
    conditioning: str = "auto"
    embedder: str | None = None
    code_dim: int = 16
    limit_train: int | None = None
    flip: bool = False
    shift: int = 0
    hidden: int = 32
    layers: int = 6
    kernel_size: int = 5
    output_hidden: int = 64
    variant: str = "gated"
    epochs: int = 10
    steps: int | None = None
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    dropout: float = 0.0
    warmup_steps: int = 200
    min_lr_ratio: float = 0.05
    # How the learning rate falls from its peak to lr * min_lr_ratio: "cosine" or "linear".
    lr_decay: str = "cosine"
    # Adam's second-moment decay; 0.99 forgets old gradient scales faster than the usual 0.999,
    # which suits short, high-learning-rate runs (the cpu-quick tuning in docs/benchmarks.md).
    adam_beta2: float = 0.999
    grad_clip: float = 1.0
    ema: float = 0.999
    eval_every: int | None = None
    eval_limit: int | None = None
    seed: int = 0
    max_minutes: float | None = None
    threads: int | None = None
    device: str | None = None
    bf16: bool = False
    compile: bool = False
    # bf16 autocast on a CPU that multiplies bf16 natively (AVX-512 BF16, AMX); float32 elsewhere.
    cpu_bf16: bool = False
    # Decay the learning rate over --max-minutes as well as over the steps (whichever ends first).
    time_schedule: bool = False
    # Score the best weights on the whole held-out split at the end (when --eval-limit cut it).
    final_full_eval: bool = False
    resume: str | None = None
    # Start from these weights (fine-tuning): architecture and classes come from the checkpoint.
    init_from: str | None = None
    # JSON lines on stdout and in DIR/progress.jsonl (train/live.py); a sample grid every N seconds.
    progress_json: bool = False
    sample_every: float | None = None
    # Also evaluate every N seconds of training (a live curve on a machine of unknown speed).
    eval_every_seconds: float | None = None
    command: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def resolve(explicit: dict) -> TrainSettings:
    """Merge defaults, the named preset and the explicitly given values (None = not given)."""
    from ..errors import UserError
    merged = dict(DEFAULTS)
    preset = explicit.get("preset")
    if preset:
        try:
            merged.update(get_preset(preset))
        except KeyError as exc:
            raise UserError(exc.args[0]) from None
    known = {f.name for f in fields(TrainSettings)}
    merged.update({k: v for k, v in explicit.items() if v is not None and k in known})
    merged = {k: v for k, v in merged.items() if k in known}
    settings = TrainSettings(**merged)
    check(settings)
    return settings


def resume_settings(saved: dict, explicit: dict) -> TrainSettings:
    """The stored settings of a run, with only the run-length flags taken from the command line."""
    from ..errors import UserError
    known = {f.name for f in fields(TrainSettings)}
    settings = TrainSettings(**{k: v for k, v in saved.items() if k in known})
    conflicts = []
    for key, value in explicit.items():
        if value is None or key not in known or key in ("out", "resume", "command", "preset"):
            continue
        if key in RESUME_OVERRIDABLE:
            setattr(settings, key, value)
        elif value != getattr(settings, key):
            conflicts.append(f"--{key.replace('_', '-')} {value} (the run used {getattr(settings, key)})")
    if conflicts:
        raise UserError("cannot change these when resuming: " + ", ".join(conflicts) +
                        "; start a new run in another --out folder instead")
    settings.out, settings.resume = explicit.get("out") or settings.out, explicit.get("resume")
    check(settings)
    return settings


def check(s: TrainSettings) -> None:
    from ..errors import UserError
    if not s.data:
        raise UserError("--data is required (or a --preset that names its dataset)")
    from ..ranges import TRAIN, problems
    # Every numeric flag against its documented range (shown in --help), presets and resumed runs too.
    bad = problems(s.to_dict(), TRAIN)
    device = (s.device or "auto").strip().lower()
    if not (device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())):
        bad.append(f"--device must be auto, cpu, cuda or cuda:N for training, got {s.device!r:.40}")
    if s.lr_decay not in LR_DECAYS:
        bad.append(f"--lr-decay must be one of {', '.join(LR_DECAYS)} (got {s.lr_decay!r:.40})")
    from .conditioning import KINDS
    if s.conditioning not in KINDS:
        bad.append(f"--conditioning must be one of {', '.join(KINDS)} (got {s.conditioning})")
    if s.conditioning == "embedding" and not s.embedder:
        bad.append("--conditioning embedding needs --embedder NAME (e.g. face-dlib-128)")
    if s.init_from and s.conditioning == "embedding":
        bad.append("--init-from fine-tunes class-conditional, unconditional, style, auto-encoder and box models "
                   "(got --conditioning embedding)")
    if bad:
        raise UserError("; ".join(bad))
