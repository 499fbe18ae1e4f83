"""One training loop for every method: seeded batches, AdamW with warmup, CUDA mixed precision,
resumable checkpoints, a progress bar with the loss, and a sentence-transformers folder plus
``harness_train.json`` at the end.

A method is a step function mapping a batch to a scalar loss (``step_loss``); everything else
(order of batches, optimiser, precision, saving) is shared so methods differ only in the loss.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from harness.errors import ConfigError
from harness.runtime import log
from systems.training import losses as L
from systems.training.config import OptimConfig
from systems.training.data import STSExample, TrainExample
from systems.training.encoder import Encoder

if TYPE_CHECKING:
    from collections.abc import Sequence

METHODS = ("infonce", "mw", "pgrank", "starbucks")
TRAIN_FILE = "harness_train.json"
STATE_DIR = ".train_state"


@dataclass
class TrainConfig(OptimConfig):
    """Everything that determines a dense training run (stored in ``harness_train.json``)."""

    scale: float = 20.0
    n_negatives: int = 1
    mw_chunk: int = 1024
    mw_within_query: bool = False
    pg_samples: int = 8
    pg_candidates: int = 16
    pg_k: int = 10
    starbucks_pairs: list[list[int]] | None = None
    kl_weight: float = 1.0
    kl_temperature: float = 1.0
    # Starbucks on STS pairs: "embedding" (default) is the authors' form, KL over the truncated
    # embedding coordinates with weight sts_kl_weight = their kl_temperature 0.3 x kl_div_weight 1,
    # teacher not detached; "scores" is ours, KL over in-batch score rows with kl_weight /
    # kl_temperature, teacher detached (the retrieval form). See Stepper._starbucks_sts.
    sts_kl: str = "embedding"
    sts_kl_weight: float = 0.3
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
    """Turns a batch into a loss for the configured method."""

    def __init__(self, cfg: TrainConfig, enc: Encoder, data: Sequence[Any]) -> None:
        self.cfg = cfg
        self.enc = enc
        self.data = data
        self.gen = torch.Generator(device=enc.device)
        self.gen.manual_seed(cfg.seed)
        pairs = cfg.starbucks_pairs or L.starbucks_pairs(enc.num_layers, enc.hidden_size)
        self.pairs = [(int(a), int(b)) for a, b in pairs]
        for n, d in self.pairs:
            if not (1 <= n <= enc.num_layers and 1 <= d <= enc.hidden_size):
                raise ConfigError(
                    f"starbucks pair ({n}, {d}) does not fit a {enc.num_layers}-layer "
                    f"{enc.hidden_size}-d model"
                )

    def loss(self, idx: list[int], step: int) -> torch.Tensor:
        rng = random.Random(self.cfg.seed * 1_000_003 + step)
        batch = [self.data[i] for i in idx]
        m = self.cfg.method
        if m == "starbucks" and isinstance(batch[0], STSExample):
            return self._starbucks_sts(batch)
        if m == "pgrank":
            return self._pgrank(batch, rng)
        q, d, mask = retrieval_batch(batch, self.cfg.n_negatives, rng)
        mask = mask.to(self.enc.device)
        targets = torch.arange(len(q), device=self.enc.device)
        if m == "starbucks":
            return self._starbucks_retrieval(q, d, mask, targets)
        scores = self.enc.embed(q) @ self.enc.embed(d).T
        if m == "infonce":
            return L.infonce_loss(scores.float(), targets, self.cfg.scale, ignore=mask)
        if m == "mw":
            return L.mw_loss(
                scores.float(), mask, self.cfg.scale, self.cfg.mw_chunk, self.cfg.mw_within_query
            )
        raise ConfigError(f"--method {m!r}: expected one of {', '.join(METHODS)}")

    def _pgrank(self, batch: list[TrainExample], rng: random.Random) -> torch.Tensor:
        sets = [candidate_set(e, batch, self.cfg.pg_candidates, rng) for e in batch]
        keep = [i for i, (texts, _) in enumerate(sets) if len(texts) >= 2]
        if not keep:
            raise ConfigError("pgrank: no query has two or more candidates")
        # one forward for all queries and one for all candidates of the batch
        qv = self.enc.embed([batch[i].query for i in keep])
        dv = self.enc.embed([t for i in keep for t in sets[i][0]])
        total, start = [], 0
        for row, i in enumerate(keep):
            texts, gains = sets[i]
            s = (dv[start : start + len(texts)] @ qv[row]).float()
            start += len(texts)
            ranks = L.gumbel_rankings(s * self.cfg.scale, self.cfg.pg_samples, self.gen)
            g = torch.tensor(gains, device=s.device)
            total.append(L.pgrank_loss(s, g, ranks, self.cfg.pg_k, self.cfg.scale))
        return torch.stack(total).mean()

    def _vec(self, v: torch.Tensor, dim: int | None = None, cosine: bool = False) -> torch.Tensor:
        """The model's vector truncated to ``dim``; with ``cosine``, unit length *after* the
        truncation whatever the model's own normalisation (a backbone without a Normalize module,
        e.g. bert-base + mean pooling, would otherwise give dot products of partial vectors)."""
        v = self.enc.finish(v, dim)
        return F.normalize(v, dim=-1) if cosine and not self.enc.normalize else v

    def _sub_scores(
        self, a: dict[int, torch.Tensor], b: dict[int, torch.Tensor], cosine: bool = False
    ) -> tuple[list[torch.Tensor], torch.Tensor, bool]:
        full_l, full_d = self.enc.num_layers, self.enc.hidden_size
        subs = [
            (self._vec(a[n], d, cosine) @ self._vec(b[n], d, cosine).T).float()
            for n, d in self.pairs
        ]
        full = (self._vec(a[full_l], None, cosine) @ self._vec(b[full_l], None, cosine).T).float()
        return subs, full, (full_l, full_d) not in self.pairs

    def _layers(self) -> list[int]:
        return sorted({n for n, _ in self.pairs} | {self.enc.num_layers})

    def _starbucks_retrieval(
        self, q: list[str], d: list[str], mask: torch.Tensor, targets: torch.Tensor
    ) -> torch.Tensor:
        layers = self._layers()
        subs, full, add_full = self._sub_scores(
            self.enc.layer_embeddings(q, layers), self.enc.layer_embeddings(d, layers)
        )
        s = self.cfg.scale
        return L.starbucks_loss(
            [x * s for x in subs],
            full * s,
            lambda x: L.infonce_loss(x, targets, 1.0, ignore=mask),
            self.cfg.kl_weight,
            self.cfg.kl_temperature,
            include_full=add_full,
        )

    def _starbucks_sts(self, batch: list[STSExample]) -> torch.Tensor:
        """Starbucks on STS pairs: CoSENT on the true cosine of every (layers, dims) sub-model
        (truncate, then normalise, as the grid evaluation scores it), plus a KL term per
        sub-model in one of two forms (``sts_kl``):

        * ``embedding`` (default, the authors' code): KL(softmax(full[:, :d]) ||
          softmax(sub[:, :d])) over the embedding coordinates of every sentence of the batch,
          weight ``sts_kl_weight`` (0.3 = their kl_temperature 0.3 x kl_div_weight 1), the full
          model not detached;
        * ``scores`` (this harness's earlier form, also used for retrieval): KL between the
          in-batch score rows of the full model and the sub-model, weight ``kl_weight``,
          temperature ``kl_temperature``, full model detached.
        """
        layers = self._layers()
        a = self.enc.layer_embeddings([e.sentence1 for e in batch], layers)
        b = self.enc.layer_embeddings([e.sentence2 for e in batch], layers)
        subs, full, add_full = self._sub_scores(a, b, cosine=True)
        gold = torch.tensor([e.score for e in batch], device=full.device)
        s = self.cfg.scale
        if self.cfg.sts_kl == "scores":
            return L.starbucks_loss(
                [x * s for x in subs],
                full * s,
                lambda x: L.cosent_loss(torch.diagonal(x) / s, gold, s),
                self.cfg.kl_weight,
                self.cfg.kl_temperature,
                include_full=add_full,
            )
        if self.cfg.sts_kl != "embedding":
            raise ConfigError(f"sts_kl={self.cfg.sts_kl!r}: expected embedding or scores")
        full_l = self.enc.num_layers
        teacher = torch.cat([self._vec(a[full_l]), self._vec(b[full_l])])
        total = L.cosent_loss(torch.diagonal(full), gold, s) if add_full else full.sum() * 0.0
        for (n, d), x in zip(self.pairs, subs, strict=True):
            total = total + L.cosent_loss(torch.diagonal(x), gold, s)
            if self.cfg.sts_kl_weight and n != full_l:  # the authors skip the last layer
                student = torch.cat([self._vec(a[n]), self._vec(b[n])])
                total = total + self.cfg.sts_kl_weight * L.embedding_kl(teacher, student, d)
        return total


# ---------------------------------------------------------------- the loop
def _device(name: str) -> str:
    from harness.runtime import resolve_device

    return resolve_device(name)


def _amp(device: str, enabled: bool) -> tuple[torch.dtype | None, bool]:
    """(autocast dtype, whether a GradScaler is needed); None on CPU or when disabled."""
    if not enabled or not device.startswith("cuda"):
        return None, False
    if torch.cuda.is_bf16_supported():
        return torch.bfloat16, False
    return torch.float16, True


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:
        pass


def optimizer_step(
    loss: Any, step: int, opt: Any, scaler: Any, sched: Any, params: Any, grad_clip: float, bar: Any
) -> float:
    """One mixed-precision AdamW step shared by every training loop; returns the loss value."""
    import torch

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


def train(
    cfg: TrainConfig,
    data: Sequence[Any],
    resume: bool = True,
    progress: bool = True,
    training_queries: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``cfg.base_model`` on ``data`` and save it to ``cfg.out``; returns the training
    record also written to ``<out>/harness_train.json``. ``training_queries``
    (``harness.trainrec.training_queries_record``) says which queries taught the model, so a
    result scored on them can be marked."""
    from harness.models import resolve_model

    if cfg.method not in METHODS:
        raise ConfigError(f"--method {cfg.method!r}: expected one of {', '.join(METHODS)}")
    if not data:
        raise ConfigError("no training examples")
    if cfg.method != "starbucks" and isinstance(data[0], STSExample):
        raise ConfigError(f"--method {cfg.method}: STS pairs train only starbucks")
    sts = isinstance(data[0], STSExample)
    if sts and cfg.sts_kl not in ("embedding", "scores"):
        raise ConfigError(f"--sts-kl {cfg.sts_kl!r}: expected embedding (authors') or scores")
    t0 = time.perf_counter()
    out = Path(cfg.out)
    state_dir = out / STATE_DIR
    device = _device(cfg.device)
    seed_everything(cfg.seed)
    resolved = resolve_model(cfg.base_model)
    enc = Encoder.load(resolved, device=device, max_length=cfg.max_length)
    enc.model.train()
    stepper = Stepper(cfg, enc, data)
    params = [p for p in enc.model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    warm = max(1, int(cfg.warmup * cfg.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (cfg.steps - s) / max(1, cfg.steps - warm)))
    )
    amp_dtype, use_scaler = _amp(device, cfg.amp)
    scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
    start, history = 0, []
    state_file = state_dir / "state.pt"
    if resume and state_file.exists():
        st = torch.load(state_file, map_location=device, weights_only=False)
        if st["fingerprint"] != cfg.fingerprint():
            raise ConfigError(
                f"{state_file} belongs to a different training config; remove it or use --no-resume"
            )
        enc.model.load_state_dict(st["model"])
        opt.load_state_dict(st["optim"])
        sched.load_state_dict(st["sched"])
        scaler.load_state_dict(st["scaler"])
        torch.set_rng_state(st["torch_rng"])
        stepper.gen.set_state(st["gen"])
        if device.startswith("cuda") and st.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(st["cuda_rng"])
        start, history = st["step"], st["history"]
        log.info("train: resuming from step %d of %d (%s)", start, cfg.steps, state_file)
    batches = batch_indices(len(data), cfg.batch_size, cfg.steps, cfg.seed)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=start, desc=f"train {cfg.method}", unit="step")
    for step in range(start, cfg.steps):
        with torch.autocast(
            device_type="cuda" if device.startswith("cuda") else "cpu",
            dtype=amp_dtype or torch.bfloat16,
            enabled=amp_dtype is not None,
        ):
            loss = stepper.loss(batches[step], step)
        history.append(optimizer_step(loss, step, opt, scaler, sched, params, cfg.grad_clip, bar))
        done = step + 1
        if cfg.save_every and done % cfg.save_every == 0 and done < cfg.steps:
            _save_state(
                state_file, cfg, enc, opt, sched, scaler, stepper.gen, done, history, device
            )
    if bar is not None:
        bar.close()
    enc.model.eval()
    out.mkdir(parents=True, exist_ok=True)
    enc.save(str(out))
    tail = history[-max(1, min(10, len(history))) :]
    record = {
        "method": cfg.method,
        "base_model": cfg.base_model,
        "resolved_base_model": resolved,
        "data_source": cfg.data_source,
        "n_examples": len(data),
        "steps": cfg.steps,
        "seed": cfg.seed,
        "device": device,
        "amp": str(amp_dtype).replace("torch.", "") if amp_dtype else "off",
        "final_loss": sum(tail) / len(tail) if tail else math.nan,
        "first_loss": history[0] if history else math.nan,
        "loss_curve": _thin(history, 50),
        "wall_s": round(time.perf_counter() - t0, 2),
        "resumed_from_step": start,
        "config": {k: v for k, v in asdict(cfg).items() if k != "out"},
        "starbucks_pairs": [list(p) for p in stepper.pairs] if cfg.method == "starbucks" else None,
        "training_queries": training_queries,
        "sts_loss": _sts_loss_record(cfg) if sts else None,
    }
    (out / TRAIN_FILE).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    shutil.rmtree(state_dir, ignore_errors=True)
    return record


def _sts_loss_record(cfg: TrainConfig) -> dict[str, Any]:
    """Which Starbucks STS loss form ran, in words and numbers (for the model's metadata)."""
    if cfg.sts_kl == "scores":
        return {
            "form": "scores",
            "inner": "CoSENT on cosine (truncate, then normalise)",
            "kl": "KL(full || sub) over in-batch score rows, full model detached",
            "kl_weight": cfg.kl_weight,
            "kl_temperature": cfg.kl_temperature,
        }
    return {
        "form": "embedding (Starbucks authors' STS code)",
        "inner": "CoSENT on cosine (truncate, then normalise)",
        "kl": "KL(full || sub) over the first d embedding coordinates, full model not detached",
        "kl_weight": cfg.sts_kl_weight,
    }


def _thin(xs: list[float], n: int) -> list[list[float]]:
    """At most ``n`` (step, loss) points for the record."""
    if not xs:
        return []
    every = max(1, math.ceil(len(xs) / n))
    return [[i + 1, round(x, 5)] for i, x in enumerate(xs) if i % every == 0 or i == len(xs) - 1]


def _save_state(
    path: Path,
    cfg: TrainConfig,
    enc: Encoder,
    opt: Any,
    sched: Any,
    scaler: Any,
    gen: torch.Generator,
    step: int,
    history: list[float],
    device: str,
) -> None:
    """Atomic checkpoint of everything a resume needs (weights, optimiser, RNGs, step)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "fingerprint": cfg.fingerprint(),
            "model": enc.model.state_dict(),
            "optim": opt.state_dict(),
            "sched": sched.state_dict(),
            "scaler": scaler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state() if device.startswith("cuda") else None,
            "gen": gen.get_state(),
            "step": step,
            "history": history,
        },
        tmp,
    )
    tmp.replace(path)
