"""``OracleLLM``: answers our systems' calls from the qrels, with seeded noise.

Each call carries an ``Ask`` (``ir_harness.llm.ask``): the query and candidate texts its prompt
shows and the form of the answer. Grades are latent scores: ``grade + N(0, noise^2)`` per
candidate; ``reading.write`` turns them into the ask's answer form (an order, a rounded and
clipped grade, 0-100 scores). With probability ``flip`` the whole answer is random instead. The
random stream is derived from the oracle's seed and the prompt text, so the same prompt always
gets the same answer (cache-consistent, identical in process and over HTTP) and a different seed
gives an independent draw. A call without an ask is refused.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.llm.oracle.reading import Judgement, OracleError, write
from ir_harness.llm.oracle.spec import OracleSpec, parse_oracle

if TYPE_CHECKING:
    from ir_harness.llm.ask import Ask
    from ir_harness.llm.base import Completion, Message, Request
    from ir_harness.llm.oracle.knowledge import Knowledge

__all__ = ["OracleError", "OracleLLM", "make_oracle", "noise_model"]


def noise_model(spec: OracleSpec) -> str:
    """The oracle's answer model in words, as its results' metadata states it."""
    return (
        f"latent grade = qrels grade + N(0, {spec.noise:g}^2) per candidate, drawn from a stream "
        f"seeded by seed={spec.seed} and the prompt text; with probability {spec.flip:g} the "
        "whole answer is uniformly random; the answer form each call's ask names turns latent "
        "grades into its answer (orders, rounded and clipped grades, 0-100 scores)"
    )


PROMPT_RULE = (
    "the query and candidate texts each call's ask carries (the texts its prompt shows), "
    "matched back to the task's queries and corpus (whitespace-collapsed, prefix match); the "
    "prompt text itself is not read"
)
UNMATCHED_RULE = "a candidate matched to no document or group is graded 0"
GROUP_RULE = (
    "a described group (tree internal node) is graded with the best qrels grade among its "
    "member documents, read from the tree files, not from its text"
)


def served_sees(spec: str, disclosures: dict[str, str] | None = None) -> dict[str, Any]:
    """What an oracle served over HTTP answers from, as far as its client can know: the rules,
    and the disclosures of the asks it sent (the server's qrels hash and tree files stay on its
    side)."""
    s = parse_oracle(spec)
    out: dict[str, Any] = {
        "prompt": PROMPT_RULE,
        "qrels": {"source": s.qrels or "the serving process's task qrels", "sha256": None},
        "noise_model": noise_model(s),
        "unmatched": UNMATCHED_RULE,
        "groups": {"rule": GROUP_RULE, "files": None},
    }
    if disclosures:
        out["systems"] = dict(sorted(disclosures.items()))
    out["served"] = (
        "answers came over HTTP: the server's qrels hash and tree files are not visible to the "
        "client"
    )
    return out


class OracleLLM:
    """The simulated LLM (see the module docstring): deterministic per prompt and seed, safe to call
    from many threads, and it counts what it answered and what asks disclosed for its results'
    metadata."""

    backend = "oracle"
    max_concurrency = 8

    def __init__(
        self,
        spec: OracleSpec | str,
        knowledge: Knowledge,
        task: str = "",
    ) -> None:
        self.spec = parse_oracle(spec) if isinstance(spec, str) else spec
        self.k = knowledge
        self.task = task
        self.model = self.spec.name
        self.counts: Counter[str] = Counter()
        self.disclosures: dict[str, str] = {}  # system -> what its asks disclose
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        """Cache identity: the spec, the task, the corpus and the qrels' content, so answers
        cached under other judgements are never reused (tree files: ``cache_scope``)."""
        return (
            f"{self.spec.name}|{self.task}|{self.k.corpus_hash[:16]}|qrels:{self.k.qrels_hash[:16]}"
        )

    def cache_scope(self, request: Request) -> str:
        """The group files' identity for calls whose candidates may be groups (tree nodes), so
        a rebuilt tree never reuses old answers; empty for every other call."""
        ask = request.ask
        if ask is None or ask.answer.form == "text" or "group" not in ask.lookup:
            return ""
        self.k.reload_trees()
        return f"trees:{self.k.trees_identity[:16]}"

    def describe(self) -> dict[str, Any]:
        """What the oracle is and what it answered from (noise, seed, flip, the qrels' source and
        hash, answer counts), stored with every result it produced."""
        with self._lock:
            counts = dict(self.counts)
            said = dict(self.disclosures)
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
            "sees": self.sees(said),
        }

    def sees(self, disclosures: dict[str, str]) -> dict[str, Any]:
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
        if disclosures:
            out["systems"] = dict(sorted(disclosures.items()))
        return out

    # ---------------------------------------------------------------- answering
    def generate(self, request: Request) -> Completion:
        """The ask's answer as a completion (token counts are word counts); ``OracleError`` for a
        call it cannot answer: no ask, no candidates, or a query not in its task."""
        from ir_harness.llm.base import Completion

        t0 = time.perf_counter()
        text = self.answer(request.messages, request.ask)
        n_in = sum(len(m["content"].split()) for m in request.messages)
        return Completion(
            text=text,
            prompt_tokens=n_in,
            completion_tokens=len(text.split()),
            latency_s=time.perf_counter() - t0,
            finish_reason="stop",
        )

    def answer(self, messages: list[Message], ask: Ask | None) -> str:
        """The answer to a call: from its ``ask``; the messages only seed the noise."""
        if ask is None:
            self._count("calls_without_ask")
            head = messages[-1]["content"][:120] if messages else ""
            raise OracleError(
                "oracle: the call carries no ask (ir_harness.llm.ask.Ask), so the oracle cannot "
                "tell what it asks; the system that sent it must attach one to each call "
                f"(LLMSession.complete(..., ask=...)); prompt starts {head!r}"
            )
        if ask.answer.form == "text":
            self._count(ask.kind, ask)
            return ask.answer.text
        if not ask.candidates:
            raise OracleError(f"oracle: {ask.system}'s {ask.kind!r} ask has no candidates")
        qids = self.k.find_query(ask.query)
        if not qids:
            self._count("unknown_queries")
            raise OracleError(
                f"oracle: {ask.system}'s {ask.kind!r} query {ask.query[:120]!r} is not a query "
                f"of {self.task}"
            )
        rng = self._rng(messages)
        grades = self._grades(ask, qids)
        self._count(ask.kind, ask)
        flipped = self.spec.flip > 0 and rng.random() < self.spec.flip
        if flipped:
            self._count("flipped")
        latent = np.asarray(grades, dtype=float)
        if self.spec.noise > 0:
            latent = latent + rng.normal(0.0, self.spec.noise, size=len(latent))
        return write(ask.answer, Judgement(latent, rng, flipped, float(self.k.max_grade)))

    def _grades(self, ask: Ask, qids: list[str]) -> list[int]:
        out = []
        for p in ask.candidates:
            g, ok = self.k.grade_desc(qids, p, ask.lookup)
            if not ok and "group" in ask.lookup and self.k.reload_trees():
                g, ok = self.k.grade_desc(qids, p, ask.lookup)  # a tree written since
            if not ok:
                self._count("unmatched_passages")
            out.append(g)
        return out

    def _rng(self, messages: list[Message]) -> np.random.Generator:
        h = hashlib.sha256(str(self.spec.seed).encode())
        for m in messages:
            h.update(b"\x00" + m["role"].encode() + b"\x01" + m["content"].encode())
        return np.random.default_rng(int.from_bytes(h.digest()[:8], "little"))

    def _count(self, key: str, ask: Ask | None = None) -> None:
        with self._lock:
            self.counts[key] += 1
            if ask is not None and ask.disclosure:
                self.disclosures[ask.system] = ask.disclosure


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
