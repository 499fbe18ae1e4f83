"""The dense training loop: a sentence-transformers encoder, trained by any dense method.

A method (``ir_harness.train.methods``, one per module) maps a batch to a scalar loss; the order
of batches, optimiser, precision and steps come from the shared ``ir_harness.train.engine``.
This module adds what only dense training needs: batches of retrieval examples, resumable
checkpoints with the model's weights, and a sentence-transformers folder plus
``harness_train.json`` at the end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ir_harness.errors import ConfigError
from ir_harness.train.config import OptimConfig
from ir_harness.train.data import STSExample, TrainExample
from ir_harness.train.encoder import Encoder
from ir_harness.train.engine import (
    Engine,
    batch_indices,
    resolve_device,
    seed_everything,
    step_rng,
)
from ir_harness.train.methods import names

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import random
    from collections.abc import Sequence

TRAIN_FILE = "harness_train.json"
STATE_DIR = ".train_state"


@dataclass
class TrainConfig(OptimConfig):
    """Everything that determines a dense training run (stored in ``harness_train.json``)."""

    scale: float = 20.0
    n_negatives: int = 1
    # The methods' own options (``harness train`` passes every method's, validated and merged,
    # so the record shows them all); a name missing here takes its method's default.
    options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    save_every: int = 50
    max_length: int | None = None
    data_source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Hash of what must match for a resume to continue the same run."""
        d = {k: v for k, v in asdict(self).items() if k not in ("save_every", "device", "out")}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- batching
def retrieval_batch(
    examples: Sequence[TrainExample], n_negatives: int, rng: random.Random
) -> tuple[list[str], list[str], torch.Tensor]:
    """Queries, passages (each query's sampled positive first, then negatives) and the
    positive mask: cell (i, j) is positive when passage j is any positive of query i."""
    queries = [e.query for e in examples]
    docs: list[str] = []
    keys: list[str] = []
    for e in examples:
        i = rng.randrange(len(e.positives))
        docs.append(e.positives[i])
        keys.append(e.positive_ids[i] if e.positive_ids else e.positives[i])
    for e in examples:
        if not e.negatives or n_negatives <= 0:
            continue
        idx = rng.sample(range(len(e.negatives)), min(n_negatives, len(e.negatives)))
        for i in idx:
            docs.append(e.negatives[i])
            keys.append(e.negative_ids[i] if e.negative_ids else e.negatives[i])
    pos_keys = [set(e.positive_ids or e.positives) for e in examples]
    mask = torch.tensor([[k in pk for k in keys] for pk in pos_keys], dtype=torch.bool)
    return queries, docs, mask


def candidate_set(
    e: TrainExample, others: Sequence[TrainExample], size: int, rng: random.Random
) -> tuple[list[str], list[int]]:
    """PG-Rank's candidates for one query: its positives plus negatives (mined first, then other
    queries' positives), capped at ``size``; returns texts and graded gains."""
    n_pos = min(len(e.positives), max(1, size // 2))
    texts = list(e.positives[:n_pos])
    gains = list(e.grades[:n_pos] or [1] * n_pos)
    pool = list(e.negatives)
    rng.shuffle(pool)
    own = set(e.positives)
    pool += [p for o in others if o is not e for p in o.positives if p not in own]
    texts += pool[: size - n_pos]
    gains += [0] * (len(texts) - len(gains))
    return texts, gains


# ---------------------------------------------------------------- per-method losses
class Stepper:
    """Turns a batch into a loss for the configured method (``ir_harness.train.methods``)."""

    def __init__(self, cfg: TrainConfig, enc: Encoder, data: Sequence[Any]) -> None:
        from ir_harness.train.methods import get_method

        self.cfg = cfg
        self.enc = enc
        self.data = data
        self.method = get_method(cfg.method, "dense")
        self.gen = torch.Generator(device=enc.device)
        self.gen.manual_seed(cfg.seed)
        if self.method.setup is not None:
            self.method.setup(self)

    def option(self, name: str) -> Any:
        """The method's option ``name``: the configured value, else its options model's default."""
        if name in self.cfg.options:
            return self.cfg.options[name]
        return self.method.options.model_fields[name].default

    def loss(self, idx: list[int], step: int) -> torch.Tensor:
        """The method's loss on batch ``idx`` at ``step``, with a per-step generator so resumes repeat it."""
        batch = [self.data[i] for i in idx]
        return self.method.loss(self, batch, step_rng(self.cfg.seed, step))  # type: ignore[no-any-return]

    def in_batch_scores(
        self, batch: Sequence[TrainExample], rng: random.Random
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Query x passage scores of a retrieval batch, the targets (each query's sampled
        positive) and the positive mask, for methods scoring in-batch negatives."""
        q, d, mask = retrieval_batch(batch, self.cfg.n_negatives, rng)
        mask = mask.to(self.enc.device)
        targets = torch.arange(len(q), device=self.enc.device)
        return self.enc.embed(q) @ self.enc.embed(d).T, targets, mask


# ---------------------------------------------------------------- the loop
def train(
    cfg: TrainConfig,
    data: Sequence[Any],
    resume: bool = True,
    progress: bool = True,
    training_queries: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``cfg.base_model`` on ``data`` and save it to ``cfg.out``; returns the training
    record also written to ``<out>/harness_train.json``. ``training_queries``
    (``ir_harness.store.training_record.training_queries_record``) says which queries taught the model, so a
    result scored on them can be marked."""
    from ir_harness.models import resolve_model
    from ir_harness.train.methods import get_method

    method = get_method(cfg.method, "dense")
    if not data:
        raise ConfigError("no training examples")
    sts = isinstance(data[0], STSExample)
    if sts and not method.sts:
        takes = ", ".join(n for n in names("dense") if get_method(n).sts) or "none"
        raise ConfigError(f"--method {cfg.method}: STS pairs train only these methods: {takes}")
    t0 = time.perf_counter()
    out = Path(cfg.out)
    state_dir = out / STATE_DIR
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    resolved = resolve_model(cfg.base_model)
    enc = Encoder.load(resolved, device=device, max_length=cfg.max_length)
    enc.model.train()
    stepper = Stepper(cfg, enc, data)
    params = [p for p in enc.model.parameters() if p.requires_grad]
    engine = Engine(cfg, device, params, t0=t0)
    state_file = state_dir / "state.pt"
    if resume and state_file.exists():
        st = torch.load(state_file, map_location=device, weights_only=False)
        if st["fingerprint"] != cfg.fingerprint():
            raise ConfigError(
                f"{state_file} belongs to a different training config; remove it or use --no-resume"
            )
        enc.model.load_state_dict(st["model"])
        engine.load_state(st)
        stepper.gen.set_state(st["gen"])
        log.info("train: resuming from step %d of %d (%s)", engine.start, cfg.steps, state_file)
    start = engine.start
    batches = batch_indices(len(data), cfg.batch_size, cfg.steps, cfg.seed)

    def checkpoint(done: int) -> None:
        if cfg.save_every and done % cfg.save_every == 0 and done < cfg.steps:
            _save_state(state_file, cfg, enc, engine, stepper.gen, done)

    engine.run(lambda step: stepper.loss(batches[step], step), progress, checkpoint)
    enc.model.eval()
    out.mkdir(parents=True, exist_ok=True)
    enc.save(str(out))
    record = engine.record(
        resolved_base_model=resolved,
        data_source=cfg.data_source,
        n_examples=len(data),
        resumed_from_step=start,
        training_queries=training_queries,
        **(method.record(stepper, sts) if method.record is not None else {}),
    )
    (out / TRAIN_FILE).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    shutil.rmtree(state_dir, ignore_errors=True)
    return record


def _save_state(
    path: Path,
    cfg: TrainConfig,
    enc: Encoder,
    engine: Engine,
    gen: torch.Generator,
    step: int,
) -> None:
    """Atomic checkpoint of everything a resume needs (weights, optimiser, RNGs, step)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "fingerprint": cfg.fingerprint(),
            "model": enc.model.state_dict(),
            **engine.state(step),
            "gen": gen.get_state(),
        },
        tmp,
    )
    tmp.replace(path)
