"""Estimated seconds, peak memory and disk of a ranking run, per phase, before it runs.

What each estimate assumes:

* **load**: the task's data is loaded once to plan (the corpus store is memory-mapped, so the
  texts stay on disk); its seconds are the measured load, its memory the anonymous RSS after it.
* **index** (embedding systems): seconds = the real system encoding a sample of the real corpus
  (the first 4,096 passages sorted by length and cut into the run's batches, as the run
  encodes; whole batches in random order, about 4 s of work) per passage, times N; a cold
  corpus embedding cache is assumed (a warm one makes it near zero). Memory beyond the base: one shard array
  (``shard_rows x dim x 4``, built in RAM before it is written) plus one batch's activations:
  for a transformer ``batch x seq_len x hidden x 4 x 16`` (the layer's projections, FFN and
  outputs) plus ``batch x heads x seq_len^2 x 4 x 2`` (attention scores and softmax); for a
  bag-of-words encoder ``batch x dim x 8 x 3`` (float64 accumulators). Disk: ``N x dim x 4``.
* **search**: the real system encoding a sample of the queries, plus one timed exact top-k of a
  query block against four random ``corpus_chunk``-row chunks (the search's own dispatch),
  scaled per (query, document) pair. Memory: :func:`ir_harness.kernels.topk.peak_extra_bytes`
  plus the query matrix and the run (about 120 bytes per (query, document) entry in Python
  dicts). The corpus embedding cache is
  memory-mapped: its pages are file-backed and not counted.
* **evaluate**: the corpus check, scores and run measures of a run of the real qrels at the
  task's depth, timed on a sample of the queries and scaled by the query count; its memory is
  the run and the scorer's imports.
* **rerank / LLM calls**: a pipeline's later stages are not probed; they are "unknown", with
  the number of (query, candidate) pairs or LLM calls they will make.
* Systems without an embedding encoder (BM25, Lucene): index and search seconds "unknown".

The base is the planning process's anonymous RSS after the probes (imports, model, data). The
peak is the base plus the largest phase's extra. Times are wall seconds on this machine at plan
time: a machine that gets busier or quieter during the run moves them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir_harness.plan.memory import rss_anon_bytes

if TYPE_CHECKING:
    from ir_harness.data.model import TaskData
    from ir_harness.data.spec import TaskSpec
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import Pipeline

PROBE_BUDGET_S = 1.5
PROBE_INDEX_S = 4.0  # the corpus encoder's sorted batches (see _encode_per_doc)
RUN_ENTRY_BYTES = 120
CHUNK = 16384
PROBE_CHUNKS = 4
QUERY_BLOCK = 1024


@dataclass
class Phase:
    """One phase's estimate; ``None`` means unknown (``note`` says what is known)."""

    seconds: float | None
    peak_memory_bytes: int | None
    disk_bytes: int = 0
    note: str = ""

    def record(self) -> dict[str, Any]:
        """JSON form (``harness plan --json``, the run's stored plan); ``note`` only if set."""
        out: dict[str, Any] = {
            "seconds": self.seconds,
            "peak_memory_bytes": self.peak_memory_bytes,
            "disk_bytes": self.disk_bytes,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Plan:
    """The phases, the inputs they came from, and the base RSS they sit on."""

    phases: dict[str, Phase]
    inputs: dict[str, Any]
    base_bytes: int
    settings: dict[str, int] = field(default_factory=dict)

    @property
    def peak_memory_bytes(self) -> int:
        """Base RSS plus the largest phase's extra: phases run in turn, so extras do not add."""
        extras = [p.peak_memory_bytes or 0 for p in self.phases.values()]
        return self.base_bytes + max(extras, default=0)

    @property
    def disk_bytes(self) -> int:
        return sum(p.disk_bytes for p in self.phases.values())

    @property
    def seconds(self) -> float:
        return sum(p.seconds or 0.0 for p in self.phases.values())

    def record(self) -> dict[str, Any]:
        """The plan as JSON, totals included: what ``harness plan --json`` prints, runs store."""
        return {
            "phases": {name: p.record() for name, p in self.phases.items()},
            "peak_memory_bytes": self.peak_memory_bytes,
            "disk_bytes": self.disk_bytes,
            "seconds": self.seconds,
            "base_memory_bytes": self.base_bytes,
            "inputs": self.inputs,
        }


def _timed_per_item(fn: Any, items: list[Any], first: int = 8) -> float:
    """Seconds per item of ``fn(batch)``: a warm-up batch, then growing batches until the
    budget is spent or the items run out."""
    fn(items[: min(first, len(items))])
    done, spent, size, at = 0, 0.0, first, 0
    while spent < PROBE_BUDGET_S and at < len(items):
        batch = items[at : at + size]
        t = time.perf_counter()
        fn(batch)
        spent += time.perf_counter() - t
        done, at, size = done + len(batch), at + len(batch), size * 2
    return spent / max(1, done)


def _encode_per_doc(fn: Any, texts: list[str], batch: int) -> float:
    """Seconds per document of the corpus encoder, timed on batches like the run's: the sample
    sorted by length and cut into ``batch``-sized batches (the run sorts groups of 2,048 texts
    the same way, so a batch pads to its neighbours' length), then whole batches in a seeded
    random order, one call each, until :data:`PROBE_INDEX_S` of work.

    Small unsorted batches (the generic probe) measured 1.8x the actual per-document time of a
    10k dense run (passages of 51 to 1,545 characters), one sorted group of ~170 texts 1.48x."""
    import numpy as np

    fn(texts[:8])  # warm-up: threads, first-call allocations
    ordered = sorted(texts, key=len)
    batches = [ordered[a : a + batch] for a in range(0, len(ordered), batch)]
    done, spent = 0, 0.0
    for i in np.random.default_rng(0).permutation(len(batches)).tolist():
        t = time.perf_counter()
        fn(batches[i])
        spent += time.perf_counter() - t
        done += len(batches[i])
        if spent >= PROBE_INDEX_S:
            break
    return spent / max(1, done)


def _sample_texts(data: TaskData, n: int = 4096) -> list[str]:
    ids = data.corpus.ids()[:n] if hasattr(data.corpus, "ids") else []
    return [data.corpus[i].text for i in ids]


def _model_shape(stage: Any, dim: int) -> tuple[int, int, int]:
    """(hidden, heads, max sequence length) of a transformer encoder; zeros otherwise."""
    model = getattr(stage, "_model", None)
    if model is None:
        return 0, 0, 0
    cfg = getattr(getattr(model, "_first_module", lambda: None)(), "auto_model", None)
    cfg = getattr(cfg, "config", None)
    hidden = int(getattr(cfg, "hidden_size", dim) or dim)
    heads = int(getattr(cfg, "num_attention_heads", 12) or 12)
    seq = int(getattr(model, "max_seq_length", 0) or getattr(stage, "max_length", 0) or 512)
    return hidden, heads, seq


def activation_bytes(batch: int, dim: int, hidden: int, heads: int, seq: int) -> int:
    """One encode batch's transient memory (see the module docstring)."""
    if hidden:
        return batch * seq * hidden * 4 * 16 + batch * heads * seq * seq * 4 * 2
    return batch * dim * 8 * 3


def index_phase(stage: Any, data: TaskData, ctx: RunContext, batch: int) -> tuple[Phase, int]:
    """Encode a sample of the real corpus with the real system; returns the phase and dim."""
    n = len(data.corpus)
    texts = _sample_texts(data)
    dim = int(stage.encode_uncached(texts[:2], "document", ctx).shape[1])
    per_doc = _encode_per_doc(lambda t: stage.encode_uncached(t, "document", ctx), texts, batch)
    hidden, heads, seq = _model_shape(stage, dim)
    shard = min(n, int(getattr(stage, "shard_rows", 65536))) * dim * 4
    memory = shard + activation_bytes(batch, dim, hidden, heads, seq)
    return Phase(per_doc * n, memory, n * dim * 4), dim


def topk_seconds(n_queries: int, n_docs: int, dim: int, k: int) -> float:
    """One timed exact top-k of a query block against a few chunks, times the pairs.

    Four chunks (where the corpus has them), so the probe takes the dispatch the search takes
    (the fused selection, and the bf16 prefilter on CPUs with bf16 units); one chunk alone is
    a single ``torch.topk``, which underestimated a 1M search by half."""
    import numpy as np

    from ir_harness.kernels.topk import exact_topk

    rng = np.random.default_rng(0)
    qb, chunk = min(n_queries, QUERY_BLOCK), min(n_docs, PROBE_CHUNKS * CHUNK)
    q = rng.standard_normal((qb, dim), dtype=np.float32)
    c = rng.standard_normal((chunk, dim), dtype=np.float32)
    exact_topk(q, c, min(k, chunk))  # warm-up (threads, JIT)
    t = time.perf_counter()
    exact_topk(q, c, min(k, chunk))
    per_pair = (time.perf_counter() - t) / (qb * chunk)
    return per_pair * n_queries * n_docs


def search_phase(stage: Any, data: TaskData, ctx: RunContext, dim: int, k: int) -> Phase:
    """Query encoding timed on a sample plus top-k scaled from one timed block."""
    from ir_harness.kernels.topk import peak_extra_bytes

    nq, n = len(data.queries), len(data.corpus)
    texts = list(data.queries.values())
    per_q = _timed_per_item(lambda t: stage.encode_uncached(t, "query", ctx), texts)
    seconds = per_q * nq + topk_seconds(nq, n, dim, k)
    memory = peak_extra_bytes(min(nq, QUERY_BLOCK), CHUNK, k, dim) + nq * dim * 4
    return Phase(seconds, memory + nq * k * RUN_ENTRY_BYTES)


def evaluate_phase(spec: TaskSpec, data: TaskData, k: int) -> Phase:
    """The run's evaluate steps on a fake run of real qrels (the judged documents, then
    padding) for a sample of the queries: the corpus check of every ranked id, the scores and
    the task's run measures (AUC), scaled by the query count."""
    from ir_harness.eval.coverage import unknown_documents
    from ir_harness.eval.holes import with_judged_at_10
    from ir_harness.eval.measures import run_measures
    from ir_harness.eval.score import score_run

    qids = [q for q in sorted(data.queries) if q in data.qrels][:100]
    pad = data.corpus.ids()[:k] if hasattr(data.corpus, "ids") else []
    run = {q: {d: 1.0 / (r + 1) for r, d in enumerate([*data.qrels[q], *pad][:k])} for q in qids}
    measures = with_judged_at_10(list(spec.metrics), data.qrels)

    def steps() -> None:
        unknown_documents(run, data.corpus, "plan")
        score_run(run, data.qrels, measures, spec=spec, data=data, depth="task")
        run_measures(spec.run_measures, run, data.qrels, min_relevance=spec.relevance_threshold)

    steps()  # imports, JIT
    t = time.perf_counter()
    steps()
    seconds = (time.perf_counter() - t) / max(1, len(qids)) * len(data.queries)
    return Phase(seconds, len(data.queries) * k * RUN_ENTRY_BYTES * 2)


def later_stages(pipe: Pipeline, spec: TaskSpec, n_queries: int) -> dict[str, Phase]:
    """Rerankers and LLM stages: not probed; the pairs or calls they will make."""
    out: dict[str, Phase] = {}
    pairs = n_queries * (spec.rerank_depth or spec.run_depth)
    for i, stage in enumerate(pipe.stages[1:], 1):
        name = "llm" if "llm" in type(stage).__name__.lower() else f"rerank{i}"
        out[name] = Phase(None, None, note=f"{pairs} (query, candidate) pairs")
    if any("llm" in type(s).__name__.lower() for s in pipe.stages[:1]):
        out["llm"] = Phase(None, None, note=f"{n_queries} queries' calls")
    return out


def _store_disk(data: TaskData) -> int:
    folder = getattr(data.corpus, "folder", None)
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) if folder else 0


def first_stage(
    pipe: Pipeline, data: TaskData, ctx: RunContext, k: int, batch: int
) -> tuple[dict[str, Phase], int | None]:
    """Index and search phases of the first stage; unknown unless it is an embedding encoder."""
    stage = pipe.stages[0]
    if data.candidates is not None or not hasattr(stage, "encode_uncached"):
        unknown = Phase(None, None, note=f"{type(stage).__name__} is not probed")
        return {"index": unknown, "search": Phase(None, None, note=unknown.note)}, None
    index, dim = index_phase(stage, data, ctx, batch)
    return {"index": index, "search": search_phase(stage, data, ctx, dim, k)}, dim


def make_plan(
    pipe: Pipeline, spec: TaskSpec, data: TaskData, ctx: RunContext, load_s: float
) -> Plan:
    """Probe the real system on the loaded data and extrapolate every phase (module doc)."""
    batch, k = int(ctx.batch_size), int(spec.run_depth)
    phases = {"load": Phase(load_s, 16 * len(data.corpus), _store_disk(data))}
    stages, dim = first_stage(pipe, data, ctx, k, batch)
    phases.update(stages)
    phases.update(later_stages(pipe, spec, len(data.queries)))
    phases["evaluate"] = evaluate_phase(spec, data, k)
    inputs = {
        "n_documents": len(data.corpus),
        "n_queries": len(data.queries),
        "dim": dim,
        "k": k,
        "batch_size": batch,
        "device": ctx.device,
        "executor": ctx.executor.describe().get("executor", "local"),
        "system": pipe.label,
    }
    plan = Plan(phases, inputs, rss_anon_bytes())
    if dim:
        hidden, heads, seq = _model_shape(pipe.stages[0], dim)
        plan.settings = {"hidden": hidden, "heads": heads, "seq": seq}
    return plan
