"""``OracleLLM``: answers our systems' prompts from the qrels, with seeded noise.

Grades are latent scores: ``grade + N(0, noise^2)`` per candidate; the prompt reader of the
system that wrote the prompt turns them into its answer (an order, a rounded and clipped grade,
0-100 scores). With probability ``flip`` the
whole answer is random instead. The random stream is derived from the oracle's seed and the
prompt text, so the same prompt always gets the same answer (cache-consistent, identical in
process and over HTTP) and a different seed gives an independent draw.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.llm.base import Completion, Request
from ir_harness.llm.oracle.reading import (
    Judgement,
    OracleError,
    Question,
    Readers,
    Reply,
    registered_readers,
)
from ir_harness.llm.oracle.spec import OracleSpec, parse_oracle

if TYPE_CHECKING:
    from ir_harness.llm.oracle.knowledge import Knowledge

__all__ = ["OracleError", "OracleLLM", "make_oracle", "noise_model"]


def noise_model(spec: OracleSpec) -> str:
    """The oracle's answer model in words, as its results' metadata states it."""
    return (
        f"latent grade = qrels grade + N(0, {spec.noise:g}^2) per candidate, drawn from a stream "
        f"seeded by seed={spec.seed} and the prompt text; with probability {spec.flip:g} the "
        "whole answer is uniformly random; each system's prompt reader turns latent grades into "
        "its answer (orders, rounded and clipped grades, 0-100 scores)"
    )


PROMPT_RULE = (
    "the query and candidate texts as the system's prompt reader reads them, matched back to "
    "the task's queries and corpus (whitespace-collapsed, prefix match)"
)
UNMATCHED_RULE = "a candidate matched to no document or group is graded 0"
GROUP_RULE = (
    "a described group (tree internal node) is graded with the best qrels grade among its "
    "member documents, read from the tree files, not from its text"
)


def served_sees(spec: str) -> dict[str, Any]:
    """What an oracle served over HTTP answers from, as far as its client can know: the rules
    of every registered reader (the server's qrels hash and tree files stay on its side)."""
    s = parse_oracle(spec)
    readers = registered_readers()
    said = {n: d for n in readers.readers if (d := readers.disclosure(n))}
    return {
        "prompt": PROMPT_RULE,
        "qrels": {"source": s.qrels or "the serving process's task qrels", "sha256": None},
        "noise_model": noise_model(s),
        "unmatched": UNMATCHED_RULE,
        "groups": {"rule": GROUP_RULE, "files": None},
        "readers": said,
        "served": "answers came over HTTP: the server's qrels hash and tree files are not "
        "visible to the client",
    }


class OracleLLM:
    backend = "oracle"
    max_concurrency = 8

    def __init__(
        self,
        spec: OracleSpec | str,
        knowledge: Knowledge,
        task: str = "",
        readers: Readers | None = None,
    ) -> None:
        self.spec = parse_oracle(spec) if isinstance(spec, str) else spec
        self.k = knowledge
        self.task = task
        self.readers = readers if readers is not None else registered_readers()
        self.model = self.spec.name
        self.counts: Counter[str] = Counter()
        self.answered_by: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Cache identity: the spec, the task, the corpus and the qrels' content, so answers
        cached under other judgements are never reused (tree files: ``cache_scope``)."""
        return (
            f"{self.spec.name}|{self.task}|{self.k.corpus_hash[:16]}|qrels:{self.k.qrels_hash[:16]}"
        )

    def cache_scope(self, request: Request) -> str:
        """The group files' identity for prompts whose candidates may be groups (tree nodes), so
        a rebuilt tree never reuses old answers; empty for every other prompt."""
        got = self.readers.read(request.messages)
        if got is None or not isinstance(got[1], Question) or "group" not in got[1].lookup:
            return ""
        self.k.reload_trees()
        return f"trees:{self.k.trees_identity[:16]}"

    def describe(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self.counts)
            readers = sorted(self.answered_by)
        return {
            "backend": self.backend,
            "model": self.model,
            "simulated": True,
            "task": self.task,
            "knowledge": self.k.source,
            "noise": self.spec.noise,
            "seed": self.spec.seed,
            "flip": self.spec.flip,
            "answers": counts,
            "sees": self.sees(readers),
        }

    def sees(self, readers: list[str]) -> dict[str, Any]:
        """Exactly what the oracle answered from: stored with every result it produced."""
        out: dict[str, Any] = {
            "prompt": PROMPT_RULE,
            "qrels": {"source": self.k.source, "sha256": self.k.qrels_hash},
            "noise_model": noise_model(self.spec),
            "unmatched": UNMATCHED_RULE,
        }
        files = dict(sorted(self.k.group_files.items()))
        if files:
            out["groups"] = {"rule": GROUP_RULE, "files": files}
        said = {r: d for r in readers if (d := self.readers.disclosure(r))}
        if said:
            out["readers"] = said
        return out

    # ---------------------------------------------------------------- answering
    def generate(self, request: Request) -> Completion:
        t0 = time.perf_counter()
        text = self.answer(request.messages)
        n_in = sum(len(m["content"].split()) for m in request.messages)
        return Completion(
            text=text,
            prompt_tokens=n_in,
            completion_tokens=len(text.split()),
            latency_s=time.perf_counter() - t0,
            finish_reason="stop",
        )

    def answer(self, messages: list[dict[str, str]]) -> str:
        got = self.readers.read(messages)  # type: ignore[arg-type]
        if got is None:
            self._count("unrecognised_prompts")
            head = messages[-1]["content"][:120] if messages else ""
            raise OracleError(
                f"oracle: prompt not recognised by any registered prompt reader: {head!r}"
            )
        reader, case = got
        if isinstance(case, Reply):
            self._count(case.kind, reader)
            return case.text
        qids = self.k.find_query(case.query)
        if not qids:
            self._count("unknown_queries")
            raise OracleError(f"oracle: query {case.query[:120]!r} is not a query of {self.task}")
        rng = self._rng(messages)
        grades = self._grades(case, qids)
        self._count(case.kind, reader)
        flipped = self.spec.flip > 0 and rng.random() < self.spec.flip
        if flipped:
            self._count("flipped")
        latent = np.asarray(grades, dtype=float)
        if self.spec.noise > 0:
            latent = latent + rng.normal(0.0, self.spec.noise, size=len(latent))
        return case.write(Judgement(latent, rng, flipped, float(self.k.max_grade)))

    def _grades(self, case: Question, qids: list[str]) -> list[int]:
        out = []
        for p in case.passages:
            g, ok = self.k.grade_desc(qids, p, case.lookup)
            if not ok and "group" in case.lookup and self.k.reload_trees():
                g, ok = self.k.grade_desc(qids, p, case.lookup)  # a tree written since
            if not ok:
                self._count("unmatched_passages")
            out.append(g)
        return out

    def _rng(self, messages: list[dict[str, str]]) -> np.random.Generator:
        h = hashlib.sha256(str(self.spec.seed).encode())
        for m in messages:
            h.update(b"\x00" + m["role"].encode() + b"\x01" + m["content"].encode())
        return np.random.default_rng(int.from_bytes(h.digest()[:8], "little"))

    def _count(self, key: str, reader: str = "") -> None:
        with self._lock:
            self.counts[key] += 1
            if reader:
                self.answered_by[reader] += 1


def make_oracle(
    spec: str,
    *,
    task: str | None = None,
    data_dir: Any = None,
    cache_dir: Any = None,
) -> OracleLLM:
    """An oracle for ``spec``; its task is ``task=`` in the spec, else the run's task."""
    from ir_harness.errors import ConfigError
    from ir_harness.llm.oracle.knowledge import load_knowledge

    s = parse_oracle(spec)
    name = s.task or task
    if not name:
        raise ConfigError(
            f"--llm {spec!r}: the oracle needs a task to answer from (run it inside "
            "`harness run --task T`, or give oracle[task=T])"
        )
    k = load_knowledge(name, data_dir, qrels_file=s.qrels, cache_dir=cache_dir, tree=s.tree)
    return OracleLLM(s, k, task=name)
