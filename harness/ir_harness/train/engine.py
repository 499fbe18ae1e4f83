"""The training engine both loops share (dense retrievers and rerankers).

Seeding, device and mixed precision, AdamW with linear warmup then decay, one optimiser step
(finite-loss check, gradient clipping, GradScaler), epoch-wise seeded batches, resumable state
(optimiser, schedule, scaler, RNG) and the common part of the training record. A training method
(``ir_harness.train.methods``) only supplies its model and its loss; everything that decides
how a step is taken lives here, once.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ir_harness.train.config import OptimConfig


def resolve_device(name: str) -> str:
    """``auto`` to cuda when present, else cpu: the same rule as ``harness run``."""
    from ir_harness.run.context import resolve_device as resolve

    return resolve(name)


def amp_mode(device: str, enabled: bool) -> tuple[torch.dtype | None, bool]:
    """(autocast dtype, whether a GradScaler is needed); None on CPU or when disabled."""
    if not enabled or not device.startswith("cuda"):
        return None, False
    if torch.cuda.is_bf16_supported():
        return torch.bfloat16, False
    return torch.float16, True


def seed_everything(seed: int) -> None:
    """Seeds Python, NumPy and torch so a run with the same seed takes the same steps."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass


def batch_indices(n: int, batch_size: int, steps: int, seed: int) -> list[list[int]]:
    """Epoch-wise shuffled batches, the same sequence for the same seed (resume skips a prefix)."""
    rng = random.Random(seed)
    order: list[int] = []
    out = []
    bs = min(batch_size, n)
    for _ in range(steps):
        if len(order) < bs:
            perm = list(range(n))
            rng.shuffle(perm)
            order += perm
        out.append(order[:bs])
        order = order[bs:]
    return out


def step_rng(seed: int, step: int) -> random.Random:
    """The sampling RNG of one step: a function of (seed, step), so a resume samples the same."""
    return random.Random(seed * 1_000_003 + step)


def optimizer_step(
    loss: Any, step: int, opt: Any, scaler: Any, sched: Any, params: Any, grad_clip: float, bar: Any
) -> float:
    """One mixed-precision AdamW step; returns the loss value."""
    if not torch.isfinite(loss):
        raise ConfigError(f"train: loss became {loss.item()} at step {step}; lower --lr")
    opt.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(params, grad_clip)
    scaler.step(opt)
    scaler.update()
    sched.step()
    value = float(loss.detach())
    if bar is not None:
        bar.update(1)
        bar.set_postfix(loss=f"{value:.4f}")
    return value


def thin(xs: list[float], n: int) -> list[list[float]]:
    """At most ``n`` (step, loss) points for the record."""
    if not xs:
        return []
    every = max(1, math.ceil(len(xs) / n))
    return [[i + 1, round(x, 5)] for i, x in enumerate(xs) if i % every == 0 or i == len(xs) - 1]


@dataclass
class Engine:
    """Optimiser, schedule and precision for one training run over ``params``.

    ``cfg`` is an ``OptimConfig`` with ``seed`` and ``amp`` (both loops' configs have them).
    """

    cfg: OptimConfig
    device: str
    params: list[Any]
    history: list[float] = field(default_factory=list)
    start: int = 0
    t0: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        cfg = self.cfg
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        warm = max(1, int(cfg.warmup * cfg.steps))
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt,
            lambda s: min((s + 1) / warm, max(0.0, (cfg.steps - s) / max(1, cfg.steps - warm))),
        )
        self.amp_dtype, use_scaler = amp_mode(self.device, getattr(cfg, "amp", False))
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Autocast in the run's AMP dtype, a no-op when AMP is off, so methods need not branch."""
        with torch.autocast(
            device_type="cuda" if self.device.startswith("cuda") else "cpu",
            dtype=self.amp_dtype or torch.bfloat16,
            enabled=self.amp_dtype is not None,
        ):
            yield

    def run(
        self,
        loss_at: Callable[[int], Any],
        progress: bool = True,
        after_step: Callable[[int], None] | None = None,
    ) -> list[float]:
        """Steps ``start .. cfg.steps - 1``: the method's loss under autocast, then one optimiser
        step; ``after_step(done)`` runs after each (checkpoints). Returns the loss history."""
        cfg = self.cfg
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.steps, initial=self.start, desc=f"train {cfg.method}", unit="step")
        for step in range(self.start, cfg.steps):
            with self.autocast():
                loss = loss_at(step)
            self.history.append(
                optimizer_step(
                    loss, step, self.opt, self.scaler, self.sched, self.params, cfg.grad_clip, bar
                )
            )
            if after_step is not None:
                after_step(step + 1)
        if bar is not None:
            bar.close()
        return self.history

    def state(self, step: int) -> dict[str, Any]:
        """What a resume at ``step`` needs from the engine (the caller adds weights, its RNGs)."""
        return {
            "optim": self.opt.state_dict(),
            "sched": self.sched.state_dict(),
            "scaler": self.scaler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state() if self.device.startswith("cuda") else None,
            "step": step,
            "history": self.history,
        }

    def load_state(self, st: dict[str, Any]) -> None:
        """Restores optimiser, scheduler, scaler and RNG states, so a resume continues the run."""
        self.opt.load_state_dict(st["optim"])
        self.sched.load_state_dict(st["sched"])
        self.scaler.load_state_dict(st["scaler"])
        torch.set_rng_state(st["torch_rng"])
        if self.device.startswith("cuda") and st.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(st["cuda_rng"])
        self.start, self.history = st["step"], st["history"]

    def record(self, **specific: Any) -> dict[str, Any]:
        """The training record: the method's own fields (``specific``) among the shared ones."""
        cfg, history = self.cfg, self.history
        tail = history[-max(1, min(10, len(history))) :]
        return {
            "method": cfg.method,
            "base_model": cfg.base_model,
            **specific,
            "steps": cfg.steps,
            "seed": getattr(cfg, "seed", 0),
            "device": self.device,
            "amp": str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off",
            "first_loss": history[0] if history else math.nan,
            "final_loss": sum(tail) / len(tail) if tail else math.nan,
            "loss_curve": thin(history, 50),
            "wall_s": round(time.perf_counter() - self.t0, 2),
            "config": {k: v for k, v in asdict(cfg).items() if k != "out"},  # type: ignore[call-overload]
        }
