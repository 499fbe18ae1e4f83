"""``OracleLLM``: answers our systems' prompts from the qrels, with seeded noise.

Grades are latent scores: ``grade + N(0, noise^2)`` per candidate, then ordered (listwise),
rounded and clipped (judge) or scaled to 0-100 (LATTICE slates). With probability ``flip`` the
whole answer is random instead. The random stream is derived from the oracle's seed and the
prompt text, so the same prompt always gets the same answer (cache-consistent, identical in
process and over HTTP) and a different seed gives an independent draw.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.llm.base import Completion, LLMError, Request
from ir_harness.llm.oracle.prompts import Case, describe_answer, read_case
from ir_harness.llm.oracle.spec import OracleSpec, parse_oracle

if TYPE_CHECKING:
    from ir_harness.llm.oracle.knowledge import Knowledge


class OracleError(LLMError):
    """The prompt is not one of ours, or its query is unknown to the oracle's task."""


class OracleLLM:
    backend = "oracle"
    max_concurrency = 8

    def __init__(self, spec: OracleSpec | str, knowledge: Knowledge, task: str = "") -> None:
        self.spec = parse_oracle(spec) if isinstance(spec, str) else spec
        self.k = knowledge
        self.task = task
        self.model = self.spec.name
        self.fingerprint = f"{self.spec.name}|{task}|{knowledge.corpus_hash[:16]}"
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self.counts)
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
        }

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
        case = read_case(messages)
        if case is None:
            self._count("unrecognised_prompts")
            head = messages[-1]["content"][:120] if messages else ""
            raise OracleError(f"oracle: prompt not recognised as one of our systems': {head!r}")
        if case.kind in ("summary", "levels"):
            self._count(case.kind)
            out = describe_answer(case)
            return out if isinstance(out, str) else json.dumps(out)
        qids = self.k.find_query(case.query)
        if not qids:
            self._count("unknown_queries")
            raise OracleError(f"oracle: query {case.query[:120]!r} is not a query of {self.task}")
        rng = self._rng(messages)
        grades = self._grades(case, qids)
        self._count(case.kind)
        flipped = self.spec.flip > 0 and rng.random() < self.spec.flip
        if flipped:
            self._count("flipped")
        latent = np.asarray(grades, dtype=float)
        if self.spec.noise > 0:
            latent = latent + rng.normal(0.0, self.spec.noise, size=len(latent))
        return self._format(case, latent, rng, flipped)

    def _grades(self, case: Case, qids: list[str]) -> list[int]:
        out = []
        for p in case.passages:
            if case.kind == "lattice":
                g, ok = self.k.grade_desc(qids, p, nodes_first=not case.leaf)
                if not ok and self.k.reload_trees():  # a tree written since we last looked
                    g, ok = self.k.grade_desc(qids, p, nodes_first=not case.leaf)
            else:
                docs = self.k.find_passage(p)
                g, ok = self.k.grade(qids, docs), bool(docs)
            if not ok:
                self._count("unmatched_passages")
            out.append(g)
        return out

    def _format(
        self, case: Case, latent: np.ndarray, rng: np.random.Generator, flipped: bool
    ) -> str:
        n = len(latent)
        top = float(self.k.max_grade)
        if case.kind == "judge":
            g = int(rng.integers(0, 4)) if flipped else int(np.clip(np.rint(latent[0]), 0, 3))
            return str(g)
        if flipped:
            order = [int(i) for i in rng.permutation(n)]
            scores = [int(x) for x in rng.integers(0, 101, size=n)]
        else:
            order = sorted(range(n), key=lambda i: (-latent[i], i))  # stable on ties
            scores = [int(np.clip(np.rint(100 * x / top), 0, 100)) for x in latent]
        if case.kind == "listwise":
            return " > ".join(f"[{i + 1}]" for i in order)
        if case.kind == "lattice-rerank":
            return json.dumps({"reasoning": "oracle", "ranking": order[: case.topk]})
        body: dict[str, Any] = {}
        if case.reasoning:
            body["reasoning"] = "oracle: grades read from the qrels"
        body["ranking"] = order
        body["relevance_scores"] = [[i, scores[i]] for i in range(n)]
        return json.dumps(body)

    def _rng(self, messages: list[dict[str, str]]) -> np.random.Generator:
        h = hashlib.sha256(str(self.spec.seed).encode())
        for m in messages:
            h.update(b"\x00" + m["role"].encode() + b"\x01" + m["content"].encode())
        return np.random.default_rng(int.from_bytes(h.digest()[:8], "little"))

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1


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
