"""Training rerankers from a teacher's scores: ``harness train --method dear-distill | mvp``.

Both recipes learn from groups of candidates per query (a positive first, then negatives) with
the teacher's score for each. The teacher is any system: its scores come from a stored run (a
TREC run file or a result folder holding ``run.trec``) or, with ``--teacher-run candidates``,
the task's own candidate list. The method-specific model and loss live with the systems
(``ir_harness.systems.dear.distill``, ``ir_harness.systems.mvp.train``); this module only builds groups and runs the
shared engine (``ir_harness.train.engine``: seeded batches, AdamW, linear warmup/decay, AMP).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.data.model import ranked
from ir_harness.errors import ConfigError
from ir_harness.train.api import Group, RerankMethod
from ir_harness.train.config import OptimConfig

if TYPE_CHECKING:
    import torch

    from ir_harness.data.model import Run, TaskData

TRAIN_FILE = "harness_train.json"


@dataclass
class TeacherQuery:
    """A training query: teacher-scored positives and negatives (doc id, teacher score)."""

    qid: str
    query: str
    positives: list[tuple[str, float]]
    negatives: list[tuple[str, float]]


def read_teacher(spec: str, data: TaskData) -> Run:
    """Teacher scores: ``candidates`` (the task's candidate run), a run file or a result folder."""
    from ir_harness.data.formats import read_trec_run

    if spec == "candidates":
        if data.candidates is None:
            raise ConfigError("--teacher-run candidates: this task has no candidate lists")
        return data.candidates
    path = Path(spec)
    if path.is_dir():
        path = path / "run.trec"
    if not path.exists():
        raise ConfigError(
            f"--teacher-run {spec}: no run file there (a TREC run or a result folder)"
        )
    return read_trec_run(path)


def teacher_queries(
    data: TaskData,
    teacher: Run,
    labels: str = "qrels",
    min_relevance: int = 1,
    min_negatives: int = 1,
    max_queries: int | None = None,
    seed: int = 0,
) -> list[TeacherQuery]:
    """Queries with at least one positive and ``min_negatives`` negatives among the teacher's
    scored documents. ``labels=qrels``: positives are judged >= ``min_relevance``, negatives are
    unjudged or judged below; ``labels=teacher``: the teacher's top document is the positive."""
    if labels not in ("qrels", "teacher"):
        raise ConfigError(f"labels={labels!r}: expected qrels or teacher")
    out = []
    for q in sorted(teacher):
        if q not in data.queries:
            continue
        docs = [(d, s) for d, s in ranked(teacher[q]) if d in data.corpus]
        if labels == "teacher":
            pos, neg = docs[:1], docs[1:]
        else:
            grades = data.qrels.get(q, {})
            pos = [(d, s) for d, s in docs if grades.get(d, 0) >= min_relevance]
            neg = [(d, s) for d, s in docs if grades.get(d, 0) < min_relevance]
        if pos and len(neg) >= min_negatives:
            out.append(TeacherQuery(q, data.queries[q], pos, neg))
    if max_queries and len(out) > max_queries:
        out = sorted(random.Random(seed).sample(out, max_queries), key=lambda t: t.qid)
    if not out:
        raise ConfigError(
            "no training queries: none has a positive and enough negatives among the teacher's "
            "scored documents (check --teacher-run, --min-relevance, -o labels=...)"
        )
    return out


def sample_group(tq: TeacherQuery, size: int, corpus: Any, rng: random.Random) -> Group:
    """A random positive and ``size - 1`` distinct random negatives of one query."""
    pos = tq.positives[rng.randrange(len(tq.positives))]
    neg = rng.sample(tq.negatives, min(size - 1, len(tq.negatives)))
    chosen = [pos, *neg]
    return Group(tq.query, [corpus[d] for d, _ in chosen], [s for _, s in chosen])


@dataclass
class RerankTrainConfig(OptimConfig):
    """Everything that determines a reranker training run (stored in ``harness_train.json``)."""

    lr: float = 1e-4
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    data_source: str = ""


def make_method(cfg: RerankTrainConfig, device: str) -> RerankMethod:
    """The reranker recipe named by ``cfg.method``, from the training-method registry."""
    from ir_harness.train.methods import get_method

    spec = get_method(cfg.method, "rerank")
    try:
        return spec.build(cfg.base_model, device, **cfg.options)  # type: ignore[no-any-return]
    except TypeError as e:
        raise ConfigError(f"--method {cfg.method}: bad -o options {cfg.options}: {e}") from e


def train_reranker(
    cfg: RerankTrainConfig,
    queries: list[TeacherQuery],
    corpus: Any,
    progress: bool = True,
    method: RerankMethod | None = None,
    training_queries: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train and save to ``cfg.out``; returns the record also written to ``harness_train.json``
    (with ``training_queries``: which queries taught the model, see ``ir_harness.store.training_record``)."""
    from ir_harness.train.engine import (
        Engine,
        batch_indices,
        resolve_device,
        seed_everything,
        step_rng,
    )

    t0 = time.perf_counter()
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    m = method or make_method(cfg, device)
    m.train(True)
    params = [p for p in m.parameters() if p.requires_grad]
    engine = Engine(cfg, device, params, t0=t0)
    batches = batch_indices(len(queries), cfg.batch_size, cfg.steps, cfg.seed)

    def loss_at(step: int) -> torch.Tensor:
        rng = step_rng(cfg.seed, step)
        return m.loss([sample_group(queries[i], m.group_size, corpus, rng) for i in batches[step]])

    engine.run(loss_at, progress)
    m.train(False)
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    m.save(cfg.out)
    record = engine.record(
        data_source=cfg.data_source, n_queries=len(queries), training_queries=training_queries
    )
    (Path(cfg.out) / TRAIN_FILE).write_text(
        json.dumps(record, indent=2, default=str), encoding="utf-8"
    )
    return record
