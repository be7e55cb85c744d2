"""Sampling, one sub-pixel at a time, as an iterator the app (or a script) pulls from.

Order: pixels in raster order, and within a pixel R -> G -> B. The random numbers for every
step are drawn up front from the seed, so a run is reproducible and both engines consume
identical randomness; forking at step k redraws only the numbers for steps >= k.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .engines import ENGINES


@dataclass
class SampleStep:
    index: int                 # position in raster-then-channel order, 0-based
    row: int
    col: int
    channel: int
    values: torch.Tensor       # (n,) sampled levels
    probs: torch.Tensor        # (n, levels) the distribution sampled from (after temperature)
    log_probs: torch.Tensor    # (n,) log p(value) under the model itself (temperature 1), nats
    image: torch.Tensor        # (n, C, H, W) uint8, the live image (a view: copy it to keep it)
    total: int                 # number of steps of a complete image


class SampleStream:
    """A sampling run over n images; iterate it, or call `step()`; `fork()` rewinds."""

    def __init__(self, model, n: int, *, class_ids=None, embedding=None, seed: int = 0,
                 temperature: float = 1.0, greedy: bool = False, method: str = "cached",
                 prefix=None, prefix_pixels: int = 0):
        if method not in ENGINES:
            raise ValueError(f"method must be one of {sorted(ENGINES)}, got {method!r}")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if not greedy and not temperature > 0:
            raise ValueError(f"temperature must be > 0 (use greedy for the limit), got {temperature}")
        cfg = model.config
        self.model, self.n, self.config = model, n, cfg
        self.C, self.H, self.W, self.levels = cfg.channels, cfg.height, cfg.width, cfg.levels
        self.total = self.C * self.H * self.W
        self.temperature, self.greedy, self.method = float(temperature), bool(greedy), method
        param = next(model.parameters())
        self.dtype, self.device = param.dtype, param.device
        # The distribution is drawn from in float64, which Apple's MPS lacks: there, on the CPU.
        self.draw_device = torch.device("cpu") if self.device.type == "mps" else self.device
        with torch.no_grad():
            # Conditioning depends on the class or embedding only: computed once per run.
            self.terms = model.layer_terms(class_ids, embedding, batch=n)
        self.image = torch.zeros(n, self.C, self.H, self.W, dtype=torch.uint8, device=self.device)
        self.start = self._apply_prefix(prefix, prefix_pixels)
        self.log_probs = torch.zeros(self.total, n, dtype=torch.float64)
        self.uniforms = self._draw_uniforms(seed)
        self.seed = seed
        self.engine = ENGINES[method](model, self.terms, n)
        self._reset_engine(self.start)
        self._cancelled = False

    # -- set-up -------------------------------------------------------------------------
    def _apply_prefix(self, prefix, prefix_pixels: int) -> int:
        if prefix is None:
            if prefix_pixels:
                raise ValueError("prefix_pixels given without a prefix image")
            return 0
        prefix = torch.as_tensor(prefix)
        if prefix.dim() == 3:
            prefix = prefix.unsqueeze(0).expand(self.n, -1, -1, -1)
        expected = (self.n, self.C, self.H, self.W)
        if tuple(prefix.shape) != expected:
            raise ValueError(f"prefix must have shape {expected} (or {expected[1:]}), got {tuple(prefix.shape)}")
        if prefix.is_floating_point() or int(prefix.min()) < 0 or int(prefix.max()) >= self.levels:
            raise ValueError(f"prefix must hold integer levels in 0..{self.levels - 1}")
        if not 0 <= prefix_pixels <= self.H * self.W:
            raise ValueError(f"prefix_pixels must be in 0..{self.H * self.W}, got {prefix_pixels}")
        flat = self.image.view(self.n, self.C, -1)
        flat[:, :, :prefix_pixels] = prefix.reshape(self.n, self.C, -1)[:, :, :prefix_pixels].to(torch.uint8)
        return prefix_pixels * self.C

    def _draw_uniforms(self, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(int(seed))
        return torch.rand(self.total, self.n, generator=generator, dtype=torch.float64)

    def _scaled(self, values: torch.Tensor) -> torch.Tensor:
        # The same arithmetic as PixelCNN.scale_input, so both engines see identical inputs.
        return values.to(self.dtype) * (2.0 / (self.levels - 1)) - 1.0

    def _reset_engine(self, step: int) -> None:
        with torch.no_grad():
            self.engine.reset(self._scaled(self.image), step)
        self.next_index = step

    # -- positions ------------------------------------------------------------------------
    def position(self, index: int) -> tuple[int, int, int]:
        """(row, col, channel) of step `index`."""
        pixel, channel = divmod(index, self.C)
        row, col = divmod(pixel, self.W)
        return row, col, channel

    @property
    def done(self) -> bool:
        return self.next_index >= self.total or self._cancelled

    def image_at(self, index: int) -> torch.Tensor:
        """A copy of the images as they were before step `index` (later sub-pixels zero)."""
        index = max(self.start, min(index, self.total))
        img = self.image.clone()
        flat = img.permute(0, 2, 3, 1).reshape(self.n, -1)   # raster-then-channel order
        flat[:, index:] = 0
        return flat.view(self.n, self.H, self.W, self.C).permute(0, 3, 1, 2).contiguous()

    # -- stepping ---------------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self) -> SampleStep:
        step = self.step()
        if step is None:
            raise StopIteration
        return step

    def step(self) -> SampleStep | None:
        """Sample the next sub-pixel; None when the run is complete or cancelled."""
        if self.done:
            return None
        index = self.next_index
        row, col, channel = self.position(index)
        with torch.no_grad():
            logits = self.engine.logits(row, col, channel).to(self.draw_device, torch.float64)
            log_model = torch.log_softmax(logits, dim=1)
            if self.greedy:
                probs = torch.zeros_like(logits)
                values = logits.argmax(dim=1)
                probs[torch.arange(self.n), values] = 1.0
            else:
                probs = torch.softmax(logits / self.temperature, dim=1)
                cdf = probs.cumsum(dim=1)
                u = self.uniforms[index].to(cdf.device).unsqueeze(1) * cdf[:, -1:]
                values = torch.searchsorted(cdf, u, right=True).squeeze(1).clamp_(max=self.levels - 1)
            self.image[:, channel, row, col] = values.to(torch.uint8)
            self.engine.update(row, col, channel, self._scaled(values.to(self.device)))
        self.log_probs[index] = log_model.gather(1, values.unsqueeze(1)).squeeze(1).cpu()
        self.next_index = index + 1
        return SampleStep(index, row, col, channel, values.cpu(), probs.float().cpu(),
                          self.log_probs[index], self.image, self.total)

    def run(self) -> torch.Tensor:
        """Sample to the end (or until cancelled); return the images."""
        while self.step() is not None:
            pass
        return self.image

    def cancel(self) -> None:
        """Stop cooperatively: the next step() returns None."""
        self._cancelled = True

    def fork(self, index: int, *, seed: int | None = None, temperature: float | None = None,
             greedy: bool | None = None) -> None:
        """Rewind to just before step `index` and continue from there, optionally with new settings.

        Steps before `index` keep their values exactly; with a new seed, the random numbers of
        every later step are redrawn from it.
        """
        if not self.start <= index <= self.next_index:
            raise ValueError(f"can only fork at a step in {self.start}..{self.next_index}, got {index}")
        if seed is not None:
            self.uniforms[index:] = self._draw_uniforms(seed)[index:]
            self.seed = seed
        if temperature is not None:
            if not temperature > 0:
                raise ValueError(f"temperature must be > 0, got {temperature}")
            self.temperature = float(temperature)
        if greedy is not None:
            self.greedy = bool(greedy)
        self.image.copy_(self.image_at(index))
        self.log_probs[index:] = 0
        self._cancelled = False
        self._reset_engine(index)

    def bits_per_dim(self) -> torch.Tensor:
        """Running -log2 p per sampled sub-pixel so far, for each of the n images."""
        done = self.next_index - self.start
        if done <= 0:
            return torch.zeros(self.n, dtype=torch.float64)
        return -self.log_probs[self.start:self.next_index].sum(0) / done / torch.log(torch.tensor(2.0, dtype=torch.float64))


def sample(model, n: int, *, class_ids=None, embedding=None, seed: int = 0, temperature: float = 1.0,
           method: str = "cached", prefix=None, prefix_pixels: int = 0, greedy: bool = False) -> torch.Tensor:
    """n images as a uint8 tensor (n, C, H, W); see SampleStream for the arguments."""
    was_training = model.training
    model.eval()
    try:
        stream = SampleStream(model, n, class_ids=class_ids, embedding=embedding, seed=seed,
                              temperature=temperature, greedy=greedy, method=method,
                              prefix=prefix, prefix_pixels=prefix_pixels)
        return stream.run().cpu().clone()
    finally:
        model.train(was_training)


def run_bytes(config, n: int, method: str = "cached") -> int:
    """About the most memory a run of `n` images takes, from the config alone: the per-step random
    numbers and log-probabilities (float64 per sub-pixel), every layer's cached activations (float32),
    and for the naive engine the activations and full logits of each pass."""
    pad, area = config.kernel_size, config.height * config.width
    sub_pixels = config.channels * area
    per_image = 17 * sub_pixels
    per_image += 4 * (config.layers + 2) * config.hidden * (config.height + pad) * (config.width + pad)
    if config.location_conditioning:
        per_image += 4 * config.layers * 2 * config.hidden * area
    if method == "naive":
        per_image += 4 * (6 * config.hidden + config.levels * config.channels) * area
    else:
        per_image += 4 * config.levels * config.channels
    return n * per_image
