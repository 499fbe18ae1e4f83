"""MTEB tasks by name (``mteb/<TaskName>``), scored by the mteb package's own evaluator.

* STS tasks with local data (STSBenchmark, SICK-R, STS12-STS16 from ``<data>/stsb``,
  ``sick2014``, ``sts-semeval``): mteb's task class is given the local pairs in place of its HF
  dataset and run with ``mteb.evaluate``; the pipeline's first stage must be an ``Embedder``.
  Main score ``cosine_spearman`` as MTEB defines it, stored x1 like MTEB's result files
  (the leaderboard shows x100). The harness also computes the cosine Spearman itself from the
  same embeddings and stores it beside mteb's as a cross-check (and as the score when mteb is
  not installed; ``extra["scored_by"]`` says which).
* ``mteb/LIMITSmallRetrieval``: the harness's ``limit-small`` task (same data, main recall@2).
* Any other name: ``mteb.get_task(name)`` loads its data online and ``mteb.evaluate`` runs a thin
  wrapper around the harness system (``Embedder`` -> mteb encoder, ``Retriever`` -> mteb search).

Every result records the mteb version, the task's dataset revision and where the data came from.
"""

from __future__ import annotations

import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.data.sts import cosine_pairs, read_sts_file, spearman
from ir_harness.errors import ConfigError, DataNotFoundError
from ir_harness.protocols import Embedder, Retriever
from ir_harness.self_running import SentenceSimilarityTask

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.data.model import TaskData
    from ir_harness.data.sts import STSPair
    from ir_harness.run.context import RunContext
    from ir_harness.run.pipeline import Pipeline
    from ir_harness.task import Scores

LIMIT_ALIAS = "LIMITSmallRetrieval"
# MTEB STS task name -> files under the data dir. MTEB's STS12-16 test sets are the year's test
# files concatenated (STS13 without the licensed SMT file); SICK-R is all 9,927 SICK pairs.
LOCAL_STS: dict[str, tuple[str, ...]] = {
    "STSBenchmark": ("stsb/stsb-en-test.csv",),
    "SICK-R": (
        "sick2014/SICK_train.txt",
        "sick2014/SICK_trial.txt",
        "sick2014/SICK_test_annotated.txt",
    ),
    "STS12": (  # MTEB also has MSRvid (750 pairs), absent from the shared data
        "sts-semeval/2012/MSRpar.test.tsv",
        "sts-semeval/2012/OnWN.test.tsv",
        "sts-semeval/2012/SMTeuroparl.test.tsv",
        "sts-semeval/2012/SMTnews.test.tsv",
    ),
    "STS13": tuple(f"sts-semeval/2013/{f}.test.tsv" for f in ("FNWN", "OnWN", "headlines")),
    "STS14": tuple(
        f"sts-semeval/2014/{f}.test.tsv"
        for f in ("OnWN", "deft-forum", "deft-news", "headlines", "images", "tweet-news")
    ),
    "STS15": tuple(
        f"sts-semeval/2015/{f}.test.tsv"
        for f in ("answers-forums", "answers-students", "belief", "headlines", "images")
    ),
    "STS16": tuple(
        f"sts-semeval/2016/{f}.test.tsv"
        for f in ("answer-answer", "headlines", "plagiarism", "postediting", "question-question")
    ),
}


def load_local_sts(root: Path, name: str) -> tuple[list[STSPair], int]:
    """The pairs of the MTEB STS task ``name`` from its files under ``root``, and skipped rows."""
    pairs: list[STSPair] = []
    skipped = 0
    for rel in LOCAL_STS[name]:
        p, s = read_sts_file(root / rel)
        pairs += p
        skipped += s
    return pairs, skipped


STS_METRICS = ("cosine_spearman", "cosine_pearson", "spearman", "pearson")


# Pairs in MTEB's test split (mteb descriptive statistics), to flag partial local copies.
MTEB_TEST_SIZE = {
    "STSBenchmark": 1379,
    "SICK-R": 9927,
    "STS12": 3108,
    "STS13": 1500,
    "STS14": 3750,
    "STS15": 3000,
    "STS16": 1186,
}


def mteb_version() -> str | None:
    """The installed mteb version, recorded with every result; None without mteb (STS is then
    scored by the harness alone and online tasks are refused)."""
    try:
        return version("mteb")
    except PackageNotFoundError:
        return None


def custom_spec(name: str, family: str, metrics: tuple[str, ...], main: str, **kw: Any) -> TaskSpec:
    """A TaskSpec whose metrics are not ranking metrics (free-form ids, computed by the task)."""
    return TaskSpec(
        name=name, family=family, metrics=metrics, main_metric=main, metric_engine="custom", **kw
    )


# ---------------------------------------------------------------- mteb model wrappers


def mteb_encoder(embedder: Embedder, ctx: RunContext, name: str) -> Any:
    """Wrap a harness ``Embedder`` as an mteb encoder; it remembers every vector it returns."""
    from mteb.models.abs_encoder import AbsEncoder
    from mteb.models.model_meta import ModelMeta
    from mteb.types import PromptType

    class HarnessEncoder(AbsEncoder):
        def __init__(self) -> None:
            self.mteb_model_meta = ModelMeta.create_empty(
                {"name": f"ir-harness/{name}", "revision": "local"}
            )
            self.seen: dict[str, np.ndarray] = {}

        def encode(
            self,
            inputs: Any,
            *,
            task_metadata: Any,
            hf_split: str,
            hf_subset: str,
            prompt_type: Any = None,
            **kwargs: Any,
        ) -> np.ndarray:
            texts = [t for batch in inputs for t in batch["text"]]
            role = "document" if prompt_type == PromptType.document else "query"
            vecs = np.asarray(embedder.encode(texts, role, ctx))
            for t, v in zip(texts, vecs):
                self.seen[t] = v
            return vecs

    return HarnessEncoder()


def mteb_searcher(pipe: Pipeline, ctx: RunContext, name: str) -> Any:
    """Wrap a harness retrieval pipeline as an mteb ``SearchProtocol`` model."""
    from mteb.models.model_meta import ModelMeta

    from ir_harness.data.model import Corpus, Document, TaskData
    from ir_harness.run.runner import run_batch

    class HarnessSearch:
        def __init__(self) -> None:
            self.mteb_model_meta = ModelMeta.create_empty(
                {"name": f"ir-harness/{name}", "revision": "local"}
            )
            self.corpus = Corpus()

        def index(self, corpus: Any, **kwargs: Any) -> None:
            self.corpus = Corpus(
                Document(str(r["id"]), r.get("text") or r.get("body") or "", r.get("title") or "")
                for r in corpus
            )
            pipe.stages[0].index(self.corpus, ctx)

        def search(self, queries: Any, *, top_k: int, **kwargs: Any) -> dict[str, dict[str, float]]:
            qs = {str(r["id"]): str(r["text"]) for r in queries}
            spec = custom_spec("mteb-search", "mteb", ("ndcg@10",), "ndcg@10", run_depth=top_k)
            data = TaskData(corpus=self.corpus, queries=qs, qrels={})
            return run_batch(pipe, spec, data, list(qs), ctx)

    return HarnessSearch()


def _scores_of(task_result: Any) -> tuple[str, dict[str, float]]:
    """First evaluated split's numeric scores from an mteb TaskResult."""
    split, rows = next(iter(task_result.scores.items()))
    return split, {k: float(v) for k, v in rows[0].items() if isinstance(v, (int, float))}


# ---------------------------------------------------------------- STS


def sts_result(
    name: str, pairs: list[STSPair], skipped: int, pipe: Pipeline, ctx: RunContext, source: str
) -> Scores:
    """Score the pipeline's first stage (an Embedder) on STS pairs: by mteb's evaluator when
    installed, and by the harness's own cosine Spearman always (cross-check, or the score without
    mteb); the per-pair cosines are the stored artifact."""
    from ir_harness.task import Scores

    embedder = pipe.stages[0]
    if not isinstance(embedder, Embedder):
        raise ConfigError(
            f"mteb/{name} is an STS task: system {pipe.names[0]!r} must implement encode() "
            "(an Embedder such as dense)"
        )
    extra: dict[str, Any] = {
        "mteb_version": mteb_version(),
        "data_source": source,
        "n_pairs": len(pairs),
        "mteb_test_pairs": MTEB_TEST_SIZE.get(name),
        "skipped_unscored_rows": skipped,
    }
    if MTEB_TEST_SIZE.get(name) not in (None, len(pairs)):
        extra["note"] = (
            f"local data has {len(pairs)} of MTEB's {MTEB_TEST_SIZE[name]} test pairs; "
            "not comparable with the MTEB leaderboard"
        )
    s1 = [p.sentence1 for p in pairs]
    s2 = [p.sentence2 for p in pairs]
    metrics: dict[str, float] = {}
    if extra["mteb_version"]:
        import mteb
        from datasets import Dataset

        task = mteb.get_task(name)
        task.dataset = {
            "test": Dataset.from_dict(
                {"sentence1": s1, "sentence2": s2, "score": [p.score for p in pairs]}
            )
        }
        task.data_loaded = True
        enc = mteb_encoder(embedder, ctx, pipe.label)
        with warnings.catch_warnings():  # "superseded by ...v2": recorded in extra instead
            warnings.simplefilter("ignore", UserWarning)
            res = mteb.evaluate(
                enc,
                task,
                cache=None,
                show_progress_bar=False,
                co2_tracker=False,
                encode_kwargs={"batch_size": ctx.batch_size},
            )
        extra["mteb_superseded_by"] = task.metadata.superseded_by
        _, scores = _scores_of(res.task_results[0])
        metrics = {m: scores[m] for m in STS_METRICS}
        extra["mteb_task_revision"] = task.metadata.revision
        extra["mteb_main_score"] = task.metadata.main_score
        extra["scored_by"] = "mteb.evaluate (AbsTaskSTS) on local pairs"
        v1 = np.stack([enc.seen[t] for t in s1])
        v2 = np.stack([enc.seen[t] for t in s2])
    else:
        v1 = np.asarray(embedder.encode(s1, "query", ctx))
        v2 = np.asarray(embedder.encode(s2, "query", ctx))
        extra["scored_by"] = "ir-harness (mteb not installed): cosine Spearman as AbsTaskSTS"
    cos = cosine_pairs(v1, v2)
    gold = np.array([p.score for p in pairs])
    own = spearman(gold, cos)
    extra["harness_cosine_spearman"] = own
    if not metrics:
        metrics = {"cosine_spearman": own, "spearman": own}
    by_source: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_source.setdefault(p.source, []).append(i)
    extra["cosine_spearman_by_file"] = {
        s: spearman(gold[ix], cos[ix]) for s, ix in by_source.items() if len(ix) > 2
    }
    artifact = "pair_id\tgold\tcosine\n" + "".join(
        f"{p.pair_id}\t{p.score:g}\t{c:.6f}\n" for p, c in zip(pairs, cos)
    )
    return Scores(
        metrics=metrics,
        artifact=artifact,
        artifact_name="sts_scores.tsv",
        n_items=len(pairs),
        source=source,
        extra=extra,
    )


# ---------------------------------------------------------------- the task family


class MtebTask(SentenceSimilarityTask):
    """MTEB tasks by name: a sentence-similarity task (its STS subsets' local pairs), which also
    runs LIMIT-small through the ranking path and any other MTEB task through mteb's own
    evaluator; every subset is scored whole."""

    family: ClassVar[str] = "mteb"
    description: ClassVar[str] = (
        "MTEB tasks by name through mteb's evaluator; STSBenchmark, SICK-R, STS12-16 and "
        "LIMIT-small from local files"
    )

    def subsets(self) -> list[str]:
        """The tasks that run from local files; any other MTEB task name is accepted and loaded
        online by mteb."""
        return [*LOCAL_STS, LIMIT_ALIAS]

    def spec(self, subset: str) -> TaskSpec:
        """LIMIT-small's ranking spec under its MTEB name, cosine Spearman for local STS, else
        mteb's ``main_score`` for a task whose data mteb loads."""
        if not subset:
            raise ConfigError("mteb: give a task name, e.g. mteb/STSBenchmark")
        if subset == LIMIT_ALIAS:
            from ir_harness.tasks.limit import LimitSmallTask

            return (
                LimitSmallTask()
                .spec("")
                .model_copy(
                    update={"name": f"mteb/{subset}", "family": self.family, "subset": subset}
                )
            )
        if subset in LOCAL_STS:
            return custom_spec(
                f"mteb/{subset}",
                self.family,
                STS_METRICS,
                "cosine_spearman",
                subset=subset,
                description=f"MTEB {subset}: Spearman of cosine similarity vs gold scores",
                sources=(
                    DataSourceSpec(kind="local", location=", ".join(LOCAL_STS[subset])),
                    DataSourceSpec(kind="hf", location=f"mteb task {subset} (mteb.get_task)"),
                ),
            )
        return custom_spec(
            f"mteb/{subset}",
            self.family,
            ("main_score",),
            "main_score",
            subset=subset,
            description=f"MTEB {subset} through mteb.evaluate (online data)",
            sources=(DataSourceSpec(kind="hf", location=f"mteb task {subset}"),),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """Only the LIMIT-small alias has ranking data; every other subset runs through
        ``custom_run``, so it is refused here."""
        if subset == LIMIT_ALIAS:
            from ir_harness.tasks.limit import LimitSmallTask

            return LimitSmallTask().load("", data_dir)
        raise ConfigError(
            f"mteb/{subset} is not a ranking task over harness data; run it with "
            f"`harness run --task mteb/{subset}`"
        )

    def custom_run(
        self,
        subset: str,
        pipeline: Pipeline,
        data_dir: Path | None,
        ctx: RunContext,
    ) -> Scores:
        """LIMIT-small through the harness's ranking path, local STS pairs through ``sts_result``,
        any other task through ``mteb.evaluate`` on its online data."""
        if subset == LIMIT_ALIAS:
            return self._limit(pipeline, data_dir, ctx)
        local = self.sentence_pairs(subset, data_dir)
        if local is not None:
            pairs, skipped, src = local
            return sts_result(subset, pairs, skipped, pipeline, ctx, src)
        return self._online(subset, pipeline, data_dir, ctx)

    def sentence_pairs(
        self, subset: str, data_dir: Path | None
    ) -> tuple[list[STSPair], int, str] | None:
        """The local STS pairs of ``subset`` (pairs, skipped rows, source), or None."""
        if subset in LOCAL_STS and data_dir and (data_dir / LOCAL_STS[subset][0]).exists():
            pairs, skipped = load_local_sts(data_dir, subset)
            return pairs, skipped, ", ".join(str(data_dir / r) for r in LOCAL_STS[subset])
        return None

    def _limit(self, pipe: Pipeline, data_dir: Path | None, ctx: RunContext) -> Scores:
        """LIMIT-small with the harness's ranking path and metrics (MTEB's main: recall@2)."""
        from ir_harness.data.formats import format_trec_run
        from ir_harness.eval.metrics import evaluate, prepare_run
        from ir_harness.run.runner import run_batch
        from ir_harness.task import Scores

        spec = self.spec(LIMIT_ALIAS)
        data = self.load(LIMIT_ALIAS, data_dir)
        if isinstance(pipe.stages[0], Retriever) and data.candidates is None:
            pipe.stages[0].index(data.corpus, ctx)
        run = prepare_run(
            run_batch(pipe, spec, data, sorted(data.queries), ctx), depth=spec.run_depth
        )
        ev = evaluate(run, data.qrels, spec, data)
        return Scores(
            metrics=ev.means,
            per_item=ev.per_query,
            artifact=format_trec_run(run, "harness"),
            n_items=len(ev.query_ids),
            source=data.source,
            extra={
                "mteb_version": mteb_version(),
                "scored_by": "ir-harness limit-small task",
                "alias_of": "limit-small",
            },
        )

    def _online(
        self, subset: str, pipe: Pipeline, data_dir: Path | None, ctx: RunContext
    ) -> Scores:
        from ir_harness.task import Scores

        if mteb_version() is None:
            raise DataNotFoundError(
                f"mteb/{subset}: no local data and the mteb package is not installed "
                "(pip install mteb)"
            )
        import mteb

        try:
            task = mteb.get_task(subset)
        except Exception as e:  # noqa: BLE001 - mteb raises several types for unknown names
            raise ConfigError(f"mteb/{subset}: mteb does not know this task ({e})") from e
        first = pipe.stages[0]
        if isinstance(first, Embedder) and len(pipe.stages) == 1:
            model = mteb_encoder(first, ctx, pipe.label)
        elif isinstance(first, Retriever):
            model = mteb_searcher(pipe, ctx, pipe.label)
        else:
            raise ConfigError(
                f"mteb/{subset}: system {pipe.label!r} is neither embedder nor retriever"
            )
        try:
            res = mteb.evaluate(
                model,
                task,
                cache=None,
                show_progress_bar=False,
                co2_tracker=False,
                encode_kwargs={"batch_size": ctx.batch_size},
            )
        except Exception as e:  # noqa: BLE001 - offline: the HF download fails inside mteb
            why = f"no local copy under {data_dir}" if subset in LOCAL_STS else "no local copy"
            raise DataNotFoundError(
                f"mteb/{subset}: {why}, and mteb could not load/evaluate it online: "
                f"{type(e).__name__}: {e}"
            ) from e
        split, scores = _scores_of(res.task_results[0])
        return Scores(
            metrics={"main_score": scores["main_score"], **scores},
            n_items=0,
            source=f"hf:{task.metadata.dataset['path']}@{task.metadata.revision}",
            extra={
                "mteb_version": mteb_version(),
                "mteb_task_revision": task.metadata.revision,
                "mteb_main_score": task.metadata.main_score,
                "split": split,
                "scored_by": "mteb.evaluate",
            },
        )
