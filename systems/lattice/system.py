"""LATTICE (Gupta et al., arXiv 2510.13217) as a harness retriever: LLM-guided tree search.

``index`` loads the tree given with ``-o tree=PATH`` (JSON, checked against the corpus hash) or
builds one and caches it under ``$HARNESS_CACHE_DIR/lattice/trees`` keyed by corpus hash and
builder settings. ``search`` runs the traversal of ``traverse.py`` per query with the ``--llm``
backend (JSON-schema constrained answers, tolerant parsing), then the optional final listwise
rerank of the top ``rerank_depth`` leaves (its top-``rerank_topk`` inverse rank is the primary
sort key). Defaults are the paper's static-corpus settings (beam 2, 20 iterations, alpha 0.5,
10 calibration leaves, tau 5, weighted-MSE calibrator); for the dynamic BRIGHT corpora
(leetcode, aops, theoremqa_questions) the authors use ``iterations=30 alpha=0.75``.

Per query, ``ctx.stats["lattice_per_query"]`` records LLM calls (at most beam x iterations, plus
one for the rerank), cache hits, tokens, seconds, iterations and unparseable answers.
"""

from __future__ import annotations

import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError
from ir_harness.llm.handle import LLMHandle
from ir_harness.llm.progress import LLMProgress
from ir_harness.systems.lattice import prompts
from ir_harness.systems.lattice.traverse import Slate, Traversal, TraversalParams
from ir_harness.systems.lattice.tree import FlatTree, StoredTree, params_key, tree_stats

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.llm.base import LLM
    from ir_harness.llm.session import LLMSession
    from ir_harness.protocols import SystemMeta
    from ir_harness.run.context import RunContext
    from ir_harness.systems.lattice.traverse import Answer


def _query_seed(seed: int, qid: str) -> int:
    return int(hashlib.sha256(f"{seed}\x00{qid}".encode()).hexdigest()[:8], 16)


class Lattice:
    """LLM-guided hierarchical retrieval over a semantic tree; a Retriever."""

    # An oracle LLM grades this system's tree nodes from the tree files (best member grade), not
    # from their summaries: results say so in their name (``llm=oracle[...,sees=tree]``).
    oracle_sees = "tree"

    def __init__(
        self,
        llm: str | LLM | None = None,
        tree: str | None = None,
        builder: str = "bottom-up",
        summarizer: str = "llm",
        max_children: int = 10,
        levels: int = 3,
        embedder: str = "dense",
        embed_model: str | None = None,
        beam: int = 2,
        iterations: int = 20,
        alpha: float = 0.5,
        cutoff: float = 0.09,
        calib_leaves: int = 10,
        tau: float = 5.0,
        calibrator: str = "mse",
        relevance: str = "stackexchange",
        reasoning: bool = True,
        max_desc_chars: int | None = None,
        max_query_chars: int | None = None,
        max_tokens: int | None = None,
        rerank: bool = False,
        rerank_depth: int = 100,
        rerank_topk: int = 10,
        seed: int = 0,
    ) -> None:
        if beam < 1 or iterations < 0 or calib_leaves < 0 or max_children < 2:
            raise ConfigError(
                "lattice: beam >= 1, iterations >= 0, calib_leaves >= 0, max_children >= 2"
            )
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"lattice: alpha={alpha} must lie in [0, 1]")
        if builder not in ("bottom-up", "top-down"):
            raise ConfigError(f"lattice: builder={builder!r}; expected bottom-up or top-down")
        if summarizer not in ("llm", "extractive"):
            raise ConfigError(f"lattice: summarizer={summarizer!r}; expected llm or extractive")
        if calibrator not in ("mse", "pl", "none"):
            try:
                float(calibrator)
            except ValueError:
                raise ConfigError(
                    f"lattice: calibrator={calibrator!r}; expected mse, pl, none or a weight"
                ) from None
        self.handle = LLMHandle(llm)
        self.tree_path = Path(tree) if tree else None
        self.builder: dict[str, Any] = {
            "method": builder,
            "summarizer": summarizer,
            "max_children": max_children,
            "levels": levels,
            "embedder": embedder,
            "embed_model": embed_model,
        }
        self.params = TraversalParams(
            beam=beam,
            iterations=iterations,
            alpha=alpha,
            cutoff=cutoff,
            calib_leaves=calib_leaves,
            tau=tau,
            calibrator=str(calibrator),
        )
        self.relevance = relevance
        self.definition = prompts.RELEVANCE.get(relevance) or (
            prompts.STACKEXCHANGE if relevance == "stackexchange" else relevance
        )
        self.reasoning = bool(reasoning)
        self.max_desc_chars = max_desc_chars
        self.max_query_chars = max_query_chars
        self.max_tokens = max_tokens
        # not ``self.rerank``: an attribute of that name makes a runtime protocol check take
        # LATTICE for a Reranker (``bm25>lattice`` then calls a bool); the option keeps its name
        self.rerank_leaves = bool(rerank)
        self.rerank_depth = rerank_depth
        self.rerank_topk = rerank_topk
        self.seed = seed
        self._flat: FlatTree | None = None
        self._tree_info: dict[str, Any] = {}
        self._excluded: dict[str, set[str]] = {}

    # ---------------------------------------------------------------- metadata
    def meta(self) -> SystemMeta:
        """Traversal and prompt settings, and the tree: its source, corpus hash, builder and stats
        once ``index`` ran, else the builder options given."""
        return self.handle.system_meta(
            "lattice",
            {
                **self.params.as_dict(),
                "relevance": self.relevance,
                "reasoning": self.reasoning,
                "max_desc_chars": self.max_desc_chars,
                "max_query_chars": self.max_query_chars,
                "rerank": self.rerank_leaves,
                "rerank_depth": self.rerank_depth,
                "rerank_topk": self.rerank_topk,
                "seed": self.seed,
                "tree": self._tree_info or {"path": str(self.tree_path or ""), **self.builder},
            },
        )

    # ---------------------------------------------------------------- tree
    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        """Loads the given tree, or the cached or newly built one, refuses a tree built for another
        corpus and flattens it for ``search``."""
        stored, source = self._load_or_build(corpus, ctx)
        stored.check_corpus(corpus, source)
        self._flat = FlatTree(stored.root, corpus.ids())
        self._tree_info = {
            "source": source,
            "corpus_hash": stored.corpus_hash,
            "builder": stored.builder,
            "stats": tree_stats(stored.root),
        }

    def _load_or_build(self, corpus: Corpus, ctx: RunContext) -> tuple[StoredTree, str]:
        from ir_harness.systems.lattice.build import builder_params, make_tree

        if self.tree_path is not None:
            return StoredTree.load(self.tree_path), str(self.tree_path)
        b = self.builder
        key = builder_params(
            b["method"], b["max_children"], b["levels"], b["embedder"], b["embed_model"], self.seed
        )
        key["summarizer"] = b["summarizer"]
        if b["summarizer"] == "llm":
            key["llm"] = self.handle.get(ctx).fingerprint
        path = (
            ctx.cache_dir
            / "lattice"
            / "trees"
            / f"{corpus.content_hash[:16]}-{params_key(key)}.json"
        )
        if path.exists():
            log.info("lattice: tree from cache %s", path)
            return StoredTree.load(path), str(path)
        log.info("lattice: building a %s tree over %d documents", b["method"], len(corpus))
        t0 = time.perf_counter()
        stored = make_tree(
            corpus,
            ctx,
            method=b["method"],
            summarizer=b["summarizer"],
            llm=self.handle,
            max_children=b["max_children"],
            levels=b["levels"],
            embedder=b["embedder"],
            embed_model=b["embed_model"],
            seed=self.seed,
        )
        stored.builder["build_s"] = round(time.perf_counter() - t0, 3)
        stored.save(path)
        return stored, str(path)

    def set_excluded(self, excluded_ids: dict[str, set[str]]) -> None:
        """Per-query ids the LLM must not see (BRIGHT): shown as "No Description.", local 0."""
        self._excluded = {q: set(v) for q, v in excluded_ids.items()}

    # ---------------------------------------------------------------- search
    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        """Each query's top ``k`` leaves from its own traversal (then the optional rerank), ties
        by doc id; only leaves the walk reached are scored, so a query may get fewer than ``k``."""
        if self._flat is None:
            raise ConfigError("lattice: index() must run before search()")
        from ir_harness.llm.session import LLMSession

        llm = self.handle.get(ctx)
        per_query: dict[str, Any] = ctx.stats.setdefault("lattice_per_query", {})
        qids = list(queries)
        per_q = self.params.beam * self.params.iterations + int(self.rerank_leaves)
        with (
            LLMSession(llm, ctx) as session,
            LLMProgress("lattice", ctx, len(qids), per_q * len(qids)) as progress,
        ):
            session.progress = progress

            def one(q: str) -> tuple[str, dict[str, float], dict[str, Any]]:
                scores, info = self.search_one(q, queries[q], session, ctx.seed)
                progress.done()
                return q, scores, info

            results = session.map(one, qids)
        out: Run = {}
        for q, scores, info in results:
            per_query[q] = info
            ctx.count("lattice_iterations", info["iterations"])
            ctx.count("lattice_parse_failures", info["parse_failures"])
            top = sorted(scores.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:k]
            out[q] = dict(top)
        return out

    def search_one(
        self, qid: str, query: str, session: LLMSession, seed: int = 0
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """One query's leaf scores and its accounting."""
        assert self._flat is not None
        flat = self._flat
        text = query[: self.max_query_chars] if self.max_query_chars else query
        excluded = self._excluded.get(qid, set())
        tr = Traversal(flat, self.params, flat.excluded_mask(excluded), seed=_query_seed(seed, qid))
        info: dict[str, Any] = {
            "calls": 0,
            "cache_hits": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "latency_s": 0.0,
            "slates": 0,
            "rerank_calls": 0,
        }
        schema = prompts.traversal_schema(self.reasoning)

        def account(c: Any) -> None:
            info["cache_hits" if c.cached else "calls"] += 1
            if not c.cached:
                info["prompt_tokens"] += c.prompt_tokens
                info["completion_tokens"] += c.completion_tokens
                info["latency_s"] = round(info["latency_s"] + c.latency_s, 4)

        def scorer(slates: list[Slate]) -> list[Answer]:
            texts = [
                prompts.traversal_prompt(
                    text,
                    s.descs,
                    leaf=s.leaf,
                    definition=self.definition,
                    pid=prompts.prompt_id(qid, s.node, tr.iterations),
                    reasoning=self.reasoning,
                    max_desc_chars=self.max_desc_chars,
                )
                for s in slates
            ]
            outs: list[Any] = []
            for s, p in zip(slates, texts):  # one request per slate; max_tokens depends on size
                outs.append(
                    session.request(
                        p,
                        max_tokens=self._max_tokens(len(s.items)),
                        json_schema=schema,
                        ask=prompts.traversal_ask(
                            text,
                            s.descs,
                            leaf=s.leaf,
                            reasoning=self.reasoning,
                            max_desc_chars=self.max_desc_chars,
                        ),
                    )
                )
            done = _run_all(session, outs)
            answers: list[Answer] = []
            for s, c in zip(slates, done):
                account(c)
                info["slates"] += 1
                try:
                    answers.append(prompts.parse_scores(c.text, len(s.items)))
                except ValueError:
                    answers.append(None)
            return answers

        t0 = time.perf_counter()
        tr.run(scorer)
        scores = tr.leaf_scores()
        if self.rerank_leaves and scores:
            scores = self._rerank(text, tr, session, account, info)
        info.update(
            iterations=tr.iterations,
            parse_failures=tr.parse_failures,
            scored_leaves=len(scores),
            seconds=round(time.perf_counter() - t0, 3),
        )
        return scores, info

    def _max_tokens(self, n_items: int) -> int:
        if self.max_tokens:
            return self.max_tokens
        return 14 * n_items + 48 + (1024 if self.reasoning else 0)

    def _rerank(
        self, query: str, tr: Traversal, session: LLMSession, account: Any, info: dict[str, Any]
    ) -> dict[str, float]:
        """One listwise call over the top leaves; inverse rank first, the traversal score second."""
        order = tr.ranked_leaves()
        top = order[: self.rerank_depth]
        topk = min(self.rerank_topk, len(top))
        descs = [tr.desc(i) for i in top]
        c = session.complete(
            prompts.rerank_prompt(query, descs, topk, self.max_desc_chars),
            ask=prompts.rerank_ask(query, descs, topk, self.max_desc_chars),
            max_tokens=(1024 if self.reasoning else 64) + 8 * topk,
            json_schema=prompts.rerank_schema(),
        )
        account(c)
        info["rerank_calls"] += 1
        picked = prompts.parse_ranking(c.text, len(top))
        inv = {top[i]: 1.0 / (r + 1) for r, i in enumerate(picked)}
        final = sorted(order, key=lambda i: (inv.get(i, 0.0), tr.leaf_score(i)), reverse=True)
        n = len(final)
        return {str(tr.t.doc_id[i]): float(n - r) for r, i in enumerate(final)}


def _run_all(session: LLMSession, reqs: list[Any]) -> list[Any]:
    """Run prepared requests with the backend's concurrency, in order."""
    workers = max(1, int(getattr(session.llm, "max_concurrency", 1)))
    if workers == 1 or len(reqs) <= 1:
        return [session.run(r) for r in reqs]
    with ThreadPoolExecutor(max_workers=min(workers, len(reqs))) as pool:
        return list(pool.map(session.run, reqs))
