"""BRIGHT (xlang-ai/BRIGHT, ICLR 2025): reasoning-intensive retrieval, 12 subsets.

Task names: ``bright/<subset>[/<reason-set>][/long]``

* ``<subset>``: the HF split name (``biology``, ``earth_science``, ``theoremqa_questions``, ...);
  the dashed folder names of the offline copy (``earth-science``) are accepted too.
* ``<reason-set>``: query text from an LLM-reasoning config instead of ``examples``:
  ``gpt4_reason``, ``claude-3-opus_reason``, ``Gemini-1.0_reason``, ``llama3-70b_reason``,
  ``grit_reason`` (the bare model name, as BRIGHT's ``--reasoning`` flag takes it, works too).
* ``long``: the long-document setting (``long_documents`` corpus, ``gold_ids_long`` qrels); only
  the seven StackExchange subsets and pony have long documents.

The two suffixes may come in either order; results are stored under the canonical name above, so
``bright/biology`` and ``bright/biology/gpt4_reason`` never mix. ``bright`` alone is the family:
all 12 subsets, averaged (``family_members``); ``bright/gpt4_reason`` and ``bright/long`` are the
family in that setting (``long``: the 8 subsets that have long documents).

Conventions (BRIGHT ``run.py`` / ``retrievers.py``): binary qrels from the gold ids (grade 1);
each query's ``excluded_ids`` are removed from its ranking *before* the top-1000 cut, the
``"N/A"`` placeholder ignored; pytrec_eval means over the queries in the run (intersection);
nDCG@10 main, Recall@{10,100} beside it.

Data: HF ``xlangai/BRIGHT`` (configs ``examples``, ``documents``, ``long_documents``,
``<llm>_reason``; one split per subset). Local layout under the data dir::

    bright/examples/<subset>.jsonl[.gz]          # query records (shared data has these)
    bright/documents/<subset>.jsonl[.gz]         # {"id", "content"}
    bright/long_documents/<subset>.jsonl[.gz]    # {"id", "content"}
    bright/<reason-set>/<subset>.jsonl[.gz]      # same schema as examples

Gap: BRIGHT's documents exist only on Hugging Face. The offline copy in ``shared/data/bright``
has the real query records (queries, reasoning, gold and excluded ids) but no documents, so an
offline run needs document files you provide; without them the loader falls back to HF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ir_harness.data.formats import json_lines
from ir_harness.data.model import Corpus, Document, Qrels, Queries, TaskData
from ir_harness.data.spec import DataSourceSpec, TaskSpec
from ir_harness.errors import ConfigError, DataFormatError, DataNotFoundError
from ir_harness.task import Task, load_local_or_online

if TYPE_CHECKING:
    from collections.abc import Iterable

HF_ID = "xlangai/BRIGHT"
NA = "N/A"
# HF split names, in the order of the BRIGHT paper's tables.
SUBSETS = (
    "biology",
    "earth_science",
    "economics",
    "psychology",
    "robotics",
    "stackoverflow",
    "sustainable_living",
    "leetcode",
    "pony",
    "aops",
    "theoremqa_theorems",
    "theoremqa_questions",
)
LONG_SUBSETS = frozenset(SUBSETS[:7] + ("pony",))
REASON_SETS = (
    "gpt4_reason",
    "claude-3-opus_reason",
    "Gemini-1.0_reason",
    "llama3-70b_reason",
    "grit_reason",
)


@dataclass(frozen=True)
class BrightSetting:
    """One BRIGHT configuration: which subset, which query set, short or long documents."""

    subset: str
    reason: str | None = None
    long: bool = False

    @property
    def path(self) -> str:
        """The canonical subset string (``biology/gpt4_reason/long``)."""
        return "/".join(
            [self.subset, *([self.reason] if self.reason else [])] + (["long"] if self.long else [])
        )

    @property
    def query_config(self) -> str:
        return self.reason or "examples"

    @property
    def doc_config(self) -> str:
        return "long_documents" if self.long else "documents"

    @property
    def gold_key(self) -> str:
        return "gold_ids_long" if self.long else "gold_ids"


def _canonical_subset(name: str) -> str | None:
    key = name.strip().lower().replace("-", "_")
    return key if key in SUBSETS else None


def _canonical_reason(name: str) -> str | None:
    key = name.strip().lower()
    for r in REASON_SETS:
        if key in (r.lower(), r.lower().removesuffix("_reason")):
            return r
    return None


def parse_setting(subset: str) -> BrightSetting:
    """``"earth-science/GPT4/long"`` -> ``BrightSetting("earth_science", "gpt4_reason", True)``."""
    if not subset:
        raise ConfigError(
            "bright needs a subset (bright/<subset>[/<reason-set>][/long]); `bright` alone is the "
            f"family average over: {', '.join(SUBSETS)}"
        )
    head, *rest = subset.split("/")
    name = _canonical_subset(head)
    if name is None:
        raise ConfigError(f"bright/{subset}: unknown subset {head!r}; known: {', '.join(SUBSETS)}")
    reason: str | None = None
    long = False
    for part in rest:
        if part.lower() == "long" and not long:
            long = True
        elif (r := _canonical_reason(part)) is not None and reason is None:
            reason = r
        else:
            raise ConfigError(
                f"bright/{subset}: unexpected {part!r}; expected bright/<subset>[/<reason-set>]"
                f"[/long] with <reason-set> one of {', '.join(REASON_SETS)}"
            )
    if long and name not in LONG_SUBSETS:
        raise ConfigError(
            f"bright/{subset}: {name} has no long documents; the long setting exists for "
            f"{', '.join(s for s in SUBSETS if s in LONG_SUBSETS)}"
        )
    return BrightSetting(name, reason, long)


# ---------------------------------------------------------------- rows -> TaskData


def _ids(value: Any) -> list[str]:
    """A list of ids without BRIGHT's ``"N/A"`` placeholder."""
    return [str(v) for v in (value or []) if str(v) != NA]


def from_bright_rows(
    examples: Iterable[dict[str, Any]],
    documents: Iterable[dict[str, Any]],
    *,
    long: bool = False,
    source: str = "",
    lines: list[int] | None = None,
    doc_source: str = "",
    doc_lines: list[int] | None = None,
) -> TaskData:
    """Build TaskData from BRIGHT records (HF rows or local jsonl objects, same schema).

    ``examples`` rows carry ``id``, ``query``, ``gold_ids``, ``gold_ids_long`` and
    ``excluded_ids``; ``documents`` rows carry ``id`` and ``content``. Qrels are binary (gold id
    -> 1) from ``gold_ids_long`` when ``long`` else ``gold_ids``. An excluded id that is also
    gold is an error, as BRIGHT asserts.
    """
    gold_key = "gold_ids_long" if long else "gold_ids"
    queries: Queries = {}
    qrels: Qrels = {}
    excluded: dict[str, set[str]] = {}
    src = source or "BRIGHT examples"
    for i, row in enumerate(examples):
        n = lines[i] if lines else i + 1
        for f in ("id", "query", gold_key):
            if f not in row:
                raise DataFormatError(
                    src, n, f"missing field {f!r}", f"fields id, query, {gold_key}"
                )
        qid, text = str(row["id"]), str(row["query"])
        if qid in queries:
            raise DataFormatError(src, n, f"duplicate query id {qid!r}", "unique query ids")
        gold = _ids(row[gold_key])
        drop = set(_ids(row.get("excluded_ids")))
        if clash := drop & set(gold):
            raise DataFormatError(
                src,
                n,
                f"query {qid}: excluded ids are also gold: {sorted(clash)[:3]}",
                "excluded_ids disjoint from the gold ids (BRIGHT asserts this)",
            )
        queries[qid] = text
        if gold:
            qrels[qid] = dict.fromkeys(gold, 1)
        if drop:
            excluded[qid] = drop
    docs: dict[str, Document] = {}
    for i, d in enumerate(documents):
        did = str(d["id"])
        if did in docs:
            raise DataFormatError(
                doc_source or f"{src} documents",
                doc_lines[i] if doc_lines else i + 1,
                f"duplicate document id {did!r}",
                "unique document ids",
            )
        docs[did] = Document(did, str(d["content"]))
    corpus = Corpus(docs.values())
    return TaskData(
        corpus=corpus, queries=queries, qrels=qrels, excluded_ids=excluded, source=source
    )


def read_bright_jsonl(
    path: Path, required: tuple[str, ...]
) -> tuple[list[dict[str, Any]], list[int]]:
    """BRIGHT records from a jsonl[.gz] file and their line numbers, with line-precise errors."""
    rows: list[dict[str, Any]] = []
    line_nos: list[int] = []
    for n, obj in json_lines(path):
        for f in required:
            if f not in obj:
                raise DataFormatError(
                    path, n, f"missing field {f!r}", f"fields {', '.join(required)}"
                )
        rows.append(obj)
        line_nos.append(n)
    return rows, line_nos


def find_local(root: Path, config: str, subset: str) -> Path | None:
    """``root/bright/<config>/<subset>.jsonl[.gz]``, underscore or dashed subset name."""
    for name in dict.fromkeys([subset, subset.replace("_", "-")]):
        for ext in (".jsonl", ".jsonl.gz"):
            p = root / "bright" / config / f"{name}{ext}"
            if p.exists():
                return p
    return None


def load_bright_local(root: Path, s: BrightSetting) -> TaskData:
    """One setting from the data dir's query and document files; a missing file is named (the
    shared offline copy has the query records but no documents)."""
    q_path = find_local(root, s.query_config, s.subset)
    d_path = find_local(root, s.doc_config, s.subset)
    for cfg, p in ((s.query_config, q_path), (s.doc_config, d_path)):
        if p is None:
            raise DataNotFoundError(
                f"bright/{s.path}: {root / 'bright' / cfg / s.subset}.jsonl[.gz] not found "
                f"(the {cfg} records of {s.subset})"
            )
    assert q_path is not None and d_path is not None
    rows, line_nos = read_bright_jsonl(q_path, ("id", "query", s.gold_key))
    docs, doc_lines = read_bright_jsonl(d_path, ("id", "content"))
    data = from_bright_rows(
        rows,
        docs,
        long=s.long,
        source=str(q_path),
        lines=line_nos,
        doc_source=str(d_path),
        doc_lines=doc_lines,
    )
    data.source = f"{q_path} + {d_path}"
    return data


def load_bright_hf(s: BrightSetting) -> TaskData:
    """One setting from HF ``xlangai/BRIGHT``, the only home of BRIGHT's documents (needs the
    ``datasets`` package and the network)."""
    from datasets import load_dataset

    return from_bright_rows(
        load_dataset(HF_ID, s.query_config, split=s.subset),
        load_dataset(HF_ID, s.doc_config, split=s.subset),
        long=s.long,
        source=f"hf:{HF_ID}:{s.query_config}+{s.doc_config}/{s.subset}",
    )


class BrightTask(Task):
    """BRIGHT by subset, query set and document length, scored as BRIGHT's ``run.py`` scores:
    each query's excluded ids dropped before the top-1000 cut."""

    family: ClassVar[str] = "bright"
    description: ClassVar[str] = (
        "BRIGHT reasoning-intensive retrieval, 12 subsets: bright/<subset>, optional suffixes "
        "/<llm>_reason and /long; excluded ids dropped before the cut"
    )
    # BRIGHT's published BM25 weights the query side (see systems/bm25.py); `-o variant=plain`
    # still runs bag-of-words BM25, stored as a separate result.
    system_defaults: ClassVar[dict[str, dict[str, Any]]] = {"bm25": {"variant": "qs"}}

    def subsets(self) -> list[str]:
        """The 12 subsets in the paper's order; the reasoning and long settings are suffixes of
        these, not listed."""
        return list(SUBSETS)

    def family_members(self, subset: str = "") -> list[str]:
        """Subsets whose mean is the BRIGHT score: all 12 for ``bright``.

        A subset made only of setting suffixes is the family in that setting:
        ``bright/gpt4_reason`` averages the 12 subsets with GPT-4 reasoning queries,
        ``bright/long`` the 8 subsets that have long documents. A single task has no members.
        """
        if not subset:
            return list(SUBSETS)
        try:
            s = parse_setting(f"{SUBSETS[0]}/{subset}")
        except ConfigError:
            return []
        pool = [x for x in SUBSETS if x in LONG_SUBSETS] if s.long else list(SUBSETS)
        return [BrightSetting(x, s.reason, s.long).path for x in pool]

    def spec(self, subset: str) -> TaskSpec:
        """One setting under its canonical name, so spellings of one setting share stored results;
        a setting BRIGHT lacks (long documents outside the StackExchange subsets and pony) is
        refused."""
        s = parse_setting(subset)
        query_note = f"{s.reason} queries" if s.reason else "original queries"
        return TaskSpec(
            name=f"bright/{s.path}",
            family=self.family,
            subset=s.path,
            split=s.subset,
            description=f"BRIGHT {s.subset}, {query_note}, "
            + ("long documents (gold_ids_long)" if s.long else "documents (gold_ids)"),
            metrics=("ndcg@10", "recall@10", "recall@100"),
            main_metric="ndcg@10",
            relevance_threshold=1,
            average_over="intersection",
            run_depth=1000,
            sources=(
                DataSourceSpec(
                    kind="local",
                    location=f"bright/{s.doc_config}/{s.subset}.jsonl[.gz]",
                    note=f"queries from bright/{s.query_config}/{s.subset}.jsonl[.gz]",
                ),
                DataSourceSpec(kind="hf", location=f"{HF_ID}:{s.query_config}+{s.doc_config}"),
            ),
        )

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """Local records when the document file is in the data dir (dashed or underscore name,
        ``.jsonl`` or ``.gz``), else HF; the error says which file to add to run offline."""
        s = parse_setting(subset)
        found = find_local(data_dir, s.doc_config, s.subset) if data_dir else None
        expected = (
            found.relative_to(data_dir)
            if found and data_dir
            else Path("bright") / s.doc_config / f"{s.subset}.jsonl.gz"
        )
        return load_local_or_online(
            f"bright/{s.path}",
            data_dir,
            expected,
            lambda root: load_bright_local(root, s),
            lambda: load_bright_hf(s),
            f"HF datasets {HF_ID!r} (configs {s.query_config}, {s.doc_config}; BRIGHT documents "
            f"exist only there: put bright/{s.doc_config}/{s.subset}.jsonl[.gz] with "
            '{"id", "content"} rows in the data dir to run offline)',
        )
