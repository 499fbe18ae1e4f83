"""Readers and writers for the official on-disk formats, with line-precise errors.

Formats: TREC run (six columns), TREC qrels (four columns), BEIR/MTEB jsonl corpus and queries,
BEIR tsv qrels (with header), MTEB jsonl qrels, and plain ``id<TAB>text`` files. Any path may
end in ``.gz``.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from harness.data import Corpus, Document, Qrels, Queries, Run, ranked
from harness.errors import DataFormatError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def open_text(path: str | Path) -> IO[str]:
    """Open a text file, transparently decompressing ``.gz``."""
    p = Path(path)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8")
    return open(p, encoding="utf-8")


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines of a text file (``.gz`` too) with their 1-based line numbers, for
    readers whose errors name the line."""
    with open_text(path) as f:
        for n, line in enumerate(f, start=1):
            line = line.rstrip("\n").rstrip("\r")
            if line.strip():
                yield n, line


# the old private name, for code written before text_lines was public; new code uses text_lines
_lines = text_lines


def _grade(path: str | Path, n: int, value: str) -> int:
    try:
        f = float(value)
    except ValueError:
        raise DataFormatError(
            path, n, f"relevance {value!r} is not a number", "an integer grade"
        ) from None
    if not f.is_integer():
        raise DataFormatError(path, n, f"relevance {value!r} is not an integer", "an integer grade")
    return int(f)


def _add_qrel(qrels: Qrels, path: str | Path, n: int, qid: str, did: str, grade: int) -> None:
    docs = qrels.setdefault(qid, {})
    if did in docs and docs[did] != grade:
        raise DataFormatError(
            path,
            n,
            f"pair ({qid}, {did}) judged twice with different grades {docs[did]} and {grade}",
        )
    docs[did] = grade


# ---------------------------------------------------------------- TREC qrels and runs
# TREC files are whitespace-separated, but some benchmarks use ids with spaces (LIMIT's ids are
# person names). Such ids are written percent-encoded (space -> %20, tab -> %09, % -> %25)
# and decoded on reading; ids without whitespace or '%' are written unchanged.


def encode_id(i: str) -> str:
    if " " in i or "\t" in i or "%" in i:
        return i.replace("%", "%25").replace(" ", "%20").replace("\t", "%09")
    return i


def decode_id(i: str) -> str:
    if "%" in i:
        return i.replace("%20", " ").replace("%09", "\t").replace("%25", "%")
    return i


def split_fields(
    path: str | Path,
    n: int,
    line: str,
    count: int,
    kind: str,
    expected: str,
    sep: str | None = None,
) -> list[str]:
    """``line`` split on ``sep`` (whitespace when None) into exactly ``count`` fields, or a
    DataFormatError naming the file, the line and the expected layout."""
    parts = line.split(sep)
    if len(parts) != count:
        raise DataFormatError(path, n, f"{kind} line has {len(parts)} fields", expected)
    return parts


def read_trec_qrels(path: str | Path) -> Qrels:
    """``qid iter docid grade`` per line, whitespace separated."""
    qrels: Qrels = {}
    for n, line in text_lines(path):
        qid, _, did, g = split_fields(
            path, n, line, 4, "qrels", "4 fields: query-id iteration doc-id grade"
        )
        _add_qrel(qrels, path, n, decode_id(qid), decode_id(did), _grade(path, n, g))
    return qrels


def read_trec_run(path: str | Path) -> Run:
    """``qid Q0 docid rank score tag`` per line. The rank column is ignored, as trec_eval does."""
    run: Run = {}
    for n, line in text_lines(path):
        parts = split_fields(path, n, line, 6, "run", "6 fields: query-id Q0 doc-id rank score tag")
        qid, did, score_s = decode_id(parts[0]), decode_id(parts[2]), parts[4]
        try:
            score = float(score_s)
        except ValueError:
            raise DataFormatError(
                path, n, f"score {score_s!r} is not a number", "a numeric score"
            ) from None
        if not math.isfinite(score):
            what = "NaN" if math.isnan(score) else f"infinite ({score_s})"
            raise DataFormatError(path, n, f"score is {what}", "a finite score")
        docs = run.setdefault(qid, {})
        if did in docs:
            raise DataFormatError(
                path,
                n,
                f"document {did!r} appears twice for query {qid!r}",
                "each (query, document) pair once",
            )
        docs[did] = score
    return run


def format_trec_run(run: Run, tag: str) -> str:
    """TREC six-column text in trec_eval order (score desc, doc id desc on ties)."""
    out: list[str] = []
    for qid in sorted(run):
        for rank, (did, score) in enumerate(ranked(run[qid]), start=1):
            out.append(f"{encode_id(qid)} Q0 {encode_id(did)} {rank} {score:.9g} {tag}\n")
    return "".join(out)


# ---------------------------------------------------------------- BEIR / MTEB formats


def _json_line(path: str | Path, n: int, line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataFormatError(
            path, n, f"not valid JSON ({e.msg})", "one JSON object per line"
        ) from None
    if not isinstance(obj, dict):
        raise DataFormatError(path, n, f"JSON value is a {type(obj).__name__}", "a JSON object")
    return obj


def json_lines(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON object on each non-blank line with its line number; anything else is a
    ``DataFormatError`` naming the line."""
    for n, line in text_lines(path):
        yield n, _json_line(path, n, line)


def _field(path: str | Path, n: int, obj: dict[str, Any], *names: str) -> str:
    for name in names:
        if name in obj and obj[name] is not None:
            return str(obj[name])
    raise DataFormatError(path, n, f"missing field {names[0]!r}", f"fields {', '.join(names)}")


def read_jsonl_corpus(
    path: str | Path, id_fields: tuple[str, ...] = ("_id", "docid", "id")
) -> Corpus:
    """BEIR corpus.jsonl: ``{"_id", "title", "text"}`` (also ``docid``/``doc`` and ``id``/``content``)."""
    docs: dict[str, Document] = {}
    for n, obj in json_lines(path):
        did = _field(path, n, obj, *id_fields)
        if did in docs:
            raise DataFormatError(path, n, f"duplicate document id {did!r}", "unique document ids")
        text = _field(path, n, obj, "text", "doc", "contents", "content")
        docs[did] = Document(did, text, str(obj.get("title") or ""))
    return Corpus(docs.values())


def read_tsv_corpus(path: str | Path) -> Corpus:
    """``docid<TAB>text`` per line."""
    docs: dict[str, Document] = {}
    for n, line in text_lines(path):
        parts = line.split("\t", 1)
        if len(parts) != 2:
            raise DataFormatError(path, n, "no tab separator", "doc-id<TAB>text")
        did, text = parts
        if did in docs:
            raise DataFormatError(path, n, f"duplicate document id {did!r}", "unique document ids")
        docs[did] = Document(did, text)
    return Corpus(docs.values())


def read_jsonl_queries(path: str | Path) -> Queries:
    queries: Queries = {}
    for n, obj in json_lines(path):
        qid = _field(path, n, obj, "_id", "query_id", "qid", "id")
        if qid in queries:
            raise DataFormatError(path, n, f"duplicate query id {qid!r}", "unique query ids")
        queries[qid] = _field(path, n, obj, "text", "query")
    return queries


def read_tsv_queries(path: str | Path) -> Queries:
    """``qid<TAB>text`` per line (TREC topics files, NFCorpus queries)."""
    queries: Queries = {}
    for n, line in text_lines(path):
        parts = line.split("\t", 1)
        if len(parts) != 2:
            raise DataFormatError(path, n, "no tab separator", "query-id<TAB>text")
        if parts[0] in queries:
            raise DataFormatError(path, n, f"duplicate query id {parts[0]!r}", "unique query ids")
        queries[parts[0]] = parts[1]
    return queries


def read_beir_tsv_qrels(path: str | Path) -> Qrels:
    """BEIR ``qrels/<split>.tsv``: header ``query-id corpus-id score`` then tab-separated rows."""
    qrels: Qrels = {}
    for n, line in text_lines(path):
        if n == 1 and line.split("\t")[0] in ("query-id", "query_id", "qid"):
            continue
        qid, did, g = split_fields(
            path, n, line, 3, "qrels", "3 tab-separated fields: query-id corpus-id score", "\t"
        )
        _add_qrel(qrels, path, n, qid, did, _grade(path, n, g))
    return qrels


def read_jsonl_qrels(path: str | Path) -> Qrels:
    """MTEB jsonl qrels: ``{"query-id", "corpus-id", "score"}``."""
    qrels: Qrels = {}
    for n, obj in json_lines(path):
        qid = _field(path, n, obj, "query-id", "query_id", "qid")
        did = _field(path, n, obj, "corpus-id", "corpus_id", "docid", "doc_id")
        _add_qrel(
            qrels, path, n, qid, did, _grade(path, n, _field(path, n, obj, "score", "relevance"))
        )
    return qrels


def read_judge_qrels(path: str | Path, human: Qrels | None = None) -> Qrels:
    """Judge-made qrels (``qid 0 docid grade``) to evaluate a task with instead of human ones.

    With ``human``, the judge's qrels are restricted to the human-judged pairs and a human pair
    the judge did not label counts as grade 0, so both qrels cover the same pool.
    """
    judged = read_trec_qrels(path)
    if human is None:
        return judged
    return {q: {d: judged.get(q, {}).get(d, 0) for d in docs} for q, docs in human.items()}


# ---------------------------------------------------------------- atomic writes


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers never see half a file."""
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def atomic_write(path: str | Path, writer: Callable[[IO[bytes]], Any]) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
