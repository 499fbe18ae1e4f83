"""Building systems from names (``bm25``, ``dense``, pipelines ``"bm25>dense"``) and running them.

Each stage after the first reorders the previous stage's top ``rerank_depth`` documents; the
documents below that depth keep their order underneath (the tail merge). ``Pipeline.run`` owns
this stage execution and the task's quirk filter; the runner only batches, checkpoints and stores.
Options (``--model``, ``-o key=value``) go to the stage whose constructor accepts them; with a
pipeline, prefix an option with the stage name (``dense.model=...``) to aim it at one stage.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ir_harness.data.model import ranked
from ir_harness.errors import ConfigError
from ir_harness.protocols import Reranker, Retriever, SystemMeta
from ir_harness.registry import SYSTEMS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.data.spec import TaskSpec
    from ir_harness.run.context import RunContext

_STAGE_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")


def parse_pipeline(spec: str) -> list[str]:
    """Stage names of ``a>b>c``, each checked to be a plain system name before any lookup."""
    stages = [s.strip() for s in spec.split(">")]
    for s in stages:
        if not _STAGE_RE.match(s):
            raise ConfigError(
                f"--system {spec!r}: stage {s!r} is not a system name (letters, digits, '-', '_', '.')"
            )
    return stages


def _accepted(factory: Any, options: dict[str, Any]) -> dict[str, Any]:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return dict(options)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    return {k: v for k, v in options.items() if k in params}


@dataclass
class Pipeline:
    """A first stage followed by rerankers; a single stage is a pipeline of one."""

    names: list[str]
    stages: list[Any]
    options: dict[str, Any]

    @property
    def label(self) -> str:
        """Stable display name: stage names plus the options that were set."""
        from ir_harness.llm.oracle.spec import label_value
        from ir_harness.protocols import OracleInformed

        base = ">".join(self.names)
        sees = tuple(s.oracle_sees for s in self.stages if isinstance(s, OracleInformed))
        opts = ",".join(f"{k}={label_value(k, v, sees)}" for k, v in sorted(self.options.items()))
        return f"{base}[{opts}]" if opts else base

    def metas(self) -> list[SystemMeta]:
        """Each stage's metadata, in stage order: what the result stores per stage."""
        return [s.meta() for s in self.stages]

    def run(
        self,
        queries: Queries,
        corpus: Corpus,
        candidates: Run | None,
        spec: TaskSpec,
        ctx: RunContext,
        excluded_ids: Mapping[str, set[str]] | None = None,
    ) -> Run:
        """Every stage over ``queries``: the first stage searches (or reranks ``candidates``, the
        task's given lists), then each later stage reranks the top ``spec.rerank_depth``.

        The quirk filter (``excluded_ids``, self-hits under ``spec.ignore_identical_ids``) runs
        after the first stage, so no later stage spends its budget on documents that cannot count.
        Returns one entry per query, in the order of ``queries``.
        """
        qids = list(queries)
        excluded = excluded_ids or {}
        first = self.stages[0]
        current: Run
        if candidates is not None:
            if not isinstance(first, Reranker):
                raise ConfigError(
                    f"{spec.name} is a reranking task; system {self.names[0]!r} cannot rerank"
                )
            given = {q: candidates.get(q, {}) for q in qids}
            current = merge_tail(
                _checked(
                    first.rerank(queries, corpus, cut(given, spec.rerank_depth), ctx),
                    self.names[0],
                    qids,
                ),
                given,
            )
        else:
            if not isinstance(first, Retriever):
                raise ConfigError(
                    f"{spec.name} has no candidate lists: the first stage {self.names[0]!r} "
                    "must be a retriever"
                )
            # Excluded ids and self-hits are dropped after search; fetch that many more so the
            # kept list still reaches run_depth, as BRIGHT drops them before its top-k cut.
            extra = max((len(excluded.get(q, ())) for q in qids), default=0)
            current = _checked(
                first.search(queries, spec.run_depth + extra + spec.ignore_identical_ids, ctx),
                self.names[0],
                qids,
            )
        current = drop_quirks(current, excluded, spec.ignore_identical_ids)
        for name, stage in zip(self.names[1:], self.stages[1:]):
            top = cut({q: current.get(q, {}) for q in qids}, spec.rerank_depth)
            current = merge_tail(
                _checked(stage.rerank(queries, corpus, top, ctx), name, qids), current
            )
        return {q: current.get(q, {}) for q in qids}


def _checked(run: Run, stage: str, qids: list[str]) -> Run:
    """A stage's ranking, ids as text and every score a finite number (a NaN sorts arbitrarily and changes the
    metrics without a word); else an error naming the stage and the batch."""
    from ir_harness.run.model_output import check_run, first_ids

    return check_run(run, stage, first_ids(qids))


def cut(run: Run, depth: int) -> Run:
    """Each query's top ``depth`` documents in trec_eval order: what a reranking stage sees."""
    return {q: dict(ranked(docs)[:depth]) for q, docs in run.items()}


def merge_tail(reranked: Run, previous: Run) -> Run:
    """Reranked top documents first, then the previous stage's remainder below them."""
    out: Run = {}
    for q, top in reranked.items():
        docs = dict(top)
        rest = [d for d, _ in ranked(previous.get(q, {})) if d not in docs]
        if rest:
            floor = min(docs.values(), default=0.0)
            for i, d in enumerate(rest, start=1):
                docs[d] = floor - i
        out[q] = docs
    return out


def drop_quirks(run: Run, excluded_ids: Mapping[str, set[str]], ignore_identical_ids: bool) -> Run:
    """The task's quirks: no excluded id, and no self-hit when the spec ignores them."""
    return {
        q: {
            d: s
            for d, s in docs.items()
            if d not in excluded_ids.get(q, ()) and not (ignore_identical_ids and d == q)
        }
        for q, docs in run.items()
    }


def build_pipeline(spec: str, options: dict[str, Any] | None = None) -> Pipeline:
    """Each stage built with the options it accepts (``stage.opt`` for one stage only); an option no
    stage takes is an error."""
    names = parse_pipeline(spec)
    options = dict(options or {})
    stages: list[Any] = []
    used: set[str] = set()
    for i, name in enumerate(names):
        factory = SYSTEMS.get(name)
        scoped = {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith(f"{name}.")}
        plain = {k: v for k, v in options.items() if "." not in k}
        kwargs = {**_accepted(factory, plain), **scoped}
        used |= {k for k in plain if k in kwargs} | {f"{name}.{k}" for k in scoped}
        try:
            system = factory(**kwargs)
        except (TypeError, ValueError) as e:  # float("abc"), or a system's own range check
            raise ConfigError(f"system {name!r}: bad options {kwargs}: {e}") from e
        if i == 0 and not isinstance(system, (Retriever, Reranker)):
            raise ConfigError(f"system {name!r} is neither a retriever nor a reranker")
        if i > 0 and not isinstance(system, Reranker):
            raise ConfigError(
                f"system {name!r} cannot follow another stage: it does not implement rerank()"
            )
        stages.append(system)
    unused = set(options) - used
    if unused:
        raise ConfigError(
            f"option(s) {', '.join(sorted(unused))} are not accepted by any stage of {spec!r}"
        )
    return Pipeline(names=names, stages=stages, options=options)
