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
import re
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np

from ir_harness.data.memory import release_freed_memory
from ir_harness.data.model import Corpus, Document, Qrels, Queries, Run, ranked
from ir_harness.data.path_checks import is_gzip
from ir_harness.data.threads import map_each
from ir_harness.errors import DataFormatError
from ir_harness.eval.qrels_table import QrelsTable, string_array, take_rows
from ir_harness.eval.repeated_ids import repeated_pairs
from ir_harness.eval.run_table import RunTable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator


def open_text(path: str | Path) -> IO[str]:
    """Open a text file, transparently decompressing ``.gz``.

    ``utf-8-sig``: a byte-order mark written by some editors is dropped instead of becoming
    part of the first id (which silently changed a query's score).
    """
    p = Path(path)
    if is_gzip(p):
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8-sig")
    return open(p, encoding="utf-8-sig")


def open_bytes(path: str | Path) -> IO[bytes]:
    """Open a file for binary reading, transparently decompressing ``.gz``."""
    p = Path(path)
    if is_gzip(p):
        return cast("IO[bytes]", gzip.open(p, "rb"))
    return open(p, "rb")


def decode_line(path: str | Path, n: int, raw: bytes) -> str:
    """One line as text (UTF-8, a BOM on line 1 dropped), or a DataFormatError naming it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataFormatError(
            path, n, f"byte {raw[e.start]:#04x} at column {e.start + 1} is not UTF-8", "UTF-8 text"
        ) from None
    return text.removeprefix("\ufeff") if n == 1 else text


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines of a text file (``.gz`` too) with their 1-based line numbers, for
    readers whose errors name the line. Bytes are decoded per line so a bad byte is reported at
    its own line (a text stream decodes ahead in blocks)."""
    with open_bytes(path) as f:
        for n, raw in enumerate(f, start=1):
            line = decode_line(path, n, raw).rstrip("\n").rstrip("\r")
            if line.strip():
                yield n, line


# Grades are integers of this range on every reader path: it fits the int32/int64 arrays and is
# exact in the float64 the metrics use (``1e20`` would wrap to a negative int64 on the fast path).
MAX_GRADE = 2**31 - 1
_GRADE_RANGE = f"an integer grade between {-MAX_GRADE - 1} and {MAX_GRADE}"


def _grade(path: str | Path, n: int, value: str) -> int:
    f = c_number(path, n, value, "relevance", "an integer grade")
    if not f.is_integer():
        raise DataFormatError(path, n, f"relevance {value!r} is not an integer", "an integer grade")
    if not -MAX_GRADE - 1 <= f <= MAX_GRADE:
        raise DataFormatError(path, n, f"relevance {value!r} is out of range", _GRADE_RANGE)
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
# TREC files are split on ASCII whitespace, as trec_eval splits them (C's isspace: a no-break
# space or any other Unicode space is part of a field). Ids are read exactly as written: nothing
# is decoded. Only an id that itself holds whitespace (LIMIT's ids are person names) cannot be
# written as one field: the harness writes it percent-encoded (its '%' as %25, each whitespace
# character as %XX), so qrels written the same way score the same with trec_eval.

_ASCII_SPACE = " \t\n\v\f\r"
_FIELDS = re.compile(f"[^{re.escape(_ASCII_SPACE)}]+")
# A number as C's strtod reads it whole, in decimal (hex, inf and nan are refused elsewhere).
_C_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def encode_id(i: str) -> str:
    """The id as one field of a TREC file: unchanged unless it holds ASCII whitespace."""
    if not any(c in i for c in _ASCII_SPACE):
        return i
    out = i.replace("%", "%25")
    for c in _ASCII_SPACE:
        out = out.replace(c, f"%{ord(c):02X}")
    return out


def c_number(path: str | Path, n: int, value: str, what: str, expected: str) -> float:
    """``value`` as a number if C's ``strtod`` would read all of it, else a DataFormatError.

    Python's ``float`` also reads ``1_000``, non-ASCII digits and surrounding spaces, where
    trec_eval reads a prefix (``1``) or nothing: such a field is refused, never read differently."""
    if _C_NUMBER.fullmatch(value) is None:
        raise DataFormatError(
            path, n, f"{what} {value!r} is not a number as trec_eval reads one", expected
        )
    return float(value)


def split_fields(
    path: str | Path,
    n: int,
    line: str,
    count: int,
    kind: str,
    expected: str,
    sep: str | None = None,
) -> list[str]:
    """``line`` split on ``sep`` (ASCII whitespace, as trec_eval splits, when None) into exactly
    ``count`` fields, or a DataFormatError naming the file, the line and the expected layout."""
    parts = _FIELDS.findall(line) if sep is None else line.split(sep)
    if len(parts) != count:
        raise DataFormatError(path, n, f"{kind} line has {len(parts)} fields", expected)
    return parts


def tab_rows(
    lines: Iterable[str], source: str | Path, count: int, expected: str
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of each non-blank line split on tabs into exactly ``count``
    fields, or a DataFormatError naming the source, the line and the ``expected`` layout."""
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != count:
            raise DataFormatError(source, n, f"{len(parts)} tab-separated fields", expected)
        yield n, parts


def read_trec_qrels(path: str | Path) -> Qrels:
    """``qid iter docid grade`` per line, whitespace separated.

    Parsed column-wise (:func:`_read_columns`); a file the fast path cannot take whole (a bad
    line, tabs and spaces mixed, a conflicting judgment) is re-read line by line, which names
    the offending line.
    """
    table = _read_columns(path, 4, {0: "id", 2: "id", 3: "float"})
    if table is not None:
        fast = _qrels_from_columns(*table)
        if fast is not None:
            return fast
    return _read_trec_qrels_lines(path)


def read_trec_qrels_table(path: str | Path) -> QrelsTable:
    """:func:`read_trec_qrels` as columns (what a large qrels file is scored with): the same
    judgments, the same refusals, document ids never made Python strings."""
    table = _read_columns(path, 4, {0: "id32", 2: "str", 3: "float"})
    if table is not None:
        fast = _qrels_table_from_columns(*table)
        if fast is not None:
            return fast
    return QrelsTable.from_dict(_read_trec_qrels_lines(path))


def _qrels_table_from_columns(
    qids: np.ndarray, q: np.ndarray, docs: Any, grade: np.ndarray
) -> QrelsTable | None:
    """The table, or None where :func:`_qrels_from_columns` gives None. A pair judged twice with
    one grade is kept once, at its first line; rows come grouped by query in order of first
    appearance, as the nested qrels iterate."""
    if not np.all(np.isfinite(grade)) or np.any(grade != np.round(grade)):
        return None
    if len(grade) and (grade.min() < -MAX_GRADE - 1 or grade.max() > MAX_GRADE):
        return None
    g = grade.astype(np.int32)
    del grade
    repeated = repeated_pairs(q, docs)
    if repeated is None:
        return None
    first, later = repeated
    if len(later) and (g[later] != g[first]).any():
        return None  # a pair judged with two grades: the line reader names the line
    rows: np.ndarray | None = None  # the rows kept, in their new order (None: all, as read)
    if len(later):
        keep = np.ones(len(g), dtype=bool)
        keep[later] = False
        rows = np.flatnonzero(keep)
    if len(q) > 1 and bool((q[1:] < q[:-1]).any()):  # queries not grouped in the file
        rows = np.arange(len(q)) if rows is None else rows
        rows = rows[np.argsort(q[rows], kind="stable")]
    if rows is not None:
        q, g, docs = q[rows], g[rows], take_rows(docs, rows)
    release_freed_memory()  # the duplicate check's keys, before scoring allocates
    return QrelsTable(qids.tolist(), q, docs, g)


def _qrels_from_columns(
    qids: np.ndarray, q: np.ndarray, dids: np.ndarray, d: np.ndarray, grade: np.ndarray
) -> Qrels | None:
    """Nested qrels, or None when a grade is not an integer of the allowed range or a pair has two
    grades (the line reader then names the line)."""
    if not np.all(np.isfinite(grade)) or np.any(grade != np.round(grade)):
        return None
    if len(grade) and (grade.min() < -MAX_GRADE - 1 or grade.max() > MAX_GRADE):
        return None
    qrels: Qrels = {}
    q_names, d_names = qids.tolist(), dids.tolist()
    for qc, dc, g in zip(q.tolist(), d.tolist(), grade.astype(np.int64).tolist(), strict=True):
        docs = qrels.setdefault(q_names[qc], {})
        did = d_names[dc]
        if docs.setdefault(did, g) != g:
            return None
    return qrels


def _read_trec_qrels_lines(path: str | Path) -> Qrels:
    """The validating line-by-line reader: every problem is reported with its line."""
    qrels: Qrels = {}
    for n, line in text_lines(path):
        qid, _, did, g = split_fields(
            path, n, line, 4, "qrels", "4 fields: query-id iteration doc-id grade"
        )
        _add_qrel(qrels, path, n, qid, did, _grade(path, n, g))
    return qrels


def read_trec_run(path: str | Path) -> Run:
    """``qid Q0 docid rank score tag`` per line. The rank column is ignored, as trec_eval does."""
    return read_trec_run_table(path).to_dict()


def read_trec_run_table(path: str | Path) -> RunTable:
    """A TREC run as columns (what evaluation works on), rows in file order.

    Parsed column-wise with pyarrow; a file the fast path rejects (a bad line, a NaN or
    infinite score, a repeated pair, tabs and spaces mixed) is re-read line by line, which raises the
    DataFormatError naming the offending line, or accepts what the fast parser could not.
    """
    table = _read_columns(path, 6, {0: "id", 2: "id", 4: "float"})
    if table is not None:
        qids, q, dids, d, score = table
        fast = RunTable(qids, dids, q, d, score)
        if np.isfinite(score).all() and fast.first_duplicate() is None:
            return fast
    return RunTable.from_dict(_read_trec_run_lines(path))


def _read_trec_run_lines(path: str | Path) -> Run:
    """The validating line-by-line reader: every problem is reported with its line."""
    run: Run = {}
    for n, line in text_lines(path):
        parts = split_fields(path, n, line, 6, "run", "6 fields: query-id Q0 doc-id rank score tag")
        qid, did, score_s = parts[0], parts[2], parts[4]
        if score_s.lower().lstrip("+-") in ("inf", "infinity", "nan"):
            score = float(score_s)
        else:
            score = c_number(path, n, score_s, "score", "a numeric score")
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


# ---------------------------------------------------------------- columnar fast path


def _read_columns(
    path: str | Path, n_fields: int, wanted: dict[int, str]
) -> tuple[Any, ...] | None:
    """Whitespace-separated columns via pyarrow, or None where a line-precise reader must decide.

    ``wanted`` maps a column to "id" (returned as unique decoded ids plus int64 codes), "id32"
    (the same with int32 codes), "str" (the column itself: a pyarrow chunked string array) or
    "float" (float64). Every line must have exactly ``n_fields`` fields separated by single
    spaces (or single tabs); blank lines are skipped and a UTF-8 BOM is dropped. Anything else
    (a short line, a number that does not parse, bytes that are not UTF-8, quotes are taken
    literally) returns None so the caller falls back.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(n_fields)]
    ids = pa.dictionary(pa.int32(), pa.string())
    plain = {"float": pa.float64(), "str": pa.string()}
    types = {names[i]: plain.get(kind, ids) for i, kind in wanted.items()}
    try:
        # Compression by magic bytes, not by suffix (pyarrow would go by the suffix).
        with pa.input_stream(str(path), compression="gzip" if is_gzip(path) else None) as source:
            table = pcsv.read_csv(
                source,
                # pyarrow's threads, 4 MiB blocks: on two cores a 147 MB run parses in 0.5 s
                # instead of 0.85 s on one thread, for 40-75 MB more at the peak (below the
                # scoring step's); 16 MiB blocks held 2-3 times the parsed table's memory.
                read_options=pcsv.ReadOptions(
                    column_names=names, block_size=1 << 22, use_threads=True
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=_delimiter(path),
                    quote_char=False,
                    escape_char=False,
                    double_quote=False,
                    ignore_empty_lines=True,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=types,
                    include_columns=[names[i] for i in sorted(wanted)],
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    null_values=[],
                ),
                memory_pool=pa.system_memory_pool(),  # malloc: fewer page faults than mimalloc here
            )
        release_freed_memory()  # the parser's block buffers, before unifying allocates again
        table = table.unify_dictionaries(pa.system_memory_pool())
        release_freed_memory()
    except (pa.ArrowException, OSError, ValueError):
        return None
    out: list[Any] = []
    for i, kind in sorted(wanted.items()):
        col = table.column(names[i])
        table = table.drop_columns([names[i]])  # each column freed once it is copied out
        into = np.int32 if kind == "id32" else np.int64
        if kind == "float":
            out.append(_concat_primitive(col.chunks, np.float64, np.float64))
        elif kind == "str":
            out.append(col if col.num_chunks else string_array([]))
        elif col.num_chunks == 0:
            out += [np.zeros(0, dtype=object), np.zeros(0, dtype=into)]
        else:
            vocab = col.chunk(0).dictionary
            codes = _concat_primitive([c.indices for c in col.chunks], np.int32, into)
            out += [np.array(vocab.to_pylist(), dtype=object), codes]
        del col
        release_freed_memory()
    return tuple(out)


def _concat_primitive(chunks: list, dtype: type, into: type) -> np.ndarray:  # type: ignore[type-arg]
    """Null-free pyarrow numeric arrays of ``dtype`` as one numpy array of ``into``, read from
    their data buffers and widened chunk by chunk (no whole-column intermediate).

    ``Array.to_numpy`` imports pandas (0.4 s of a cold ``harness eval``) even for zero-copy
    conversions; the data buffer of a null-free primitive array is the values themselves.
    """
    size = np.dtype(dtype).itemsize
    out: np.ndarray = np.empty(sum(len(c) for c in chunks), dtype=into)
    starts = np.cumsum([0, *(len(c) for c in chunks)]).tolist()

    def copied(i: int) -> None:
        c = chunks[i]
        if len(c):
            part: np.ndarray = np.frombuffer(
                c.buffers()[1], dtype=dtype, count=len(c), offset=c.offset * size
            )
            out[starts[i] : starts[i] + len(c)] = part

    map_each(copied, range(len(chunks)))  # each chunk to its own place: any thread order
    return out


def _delimiter(path: str | Path) -> str:
    """Tab for files whose first line is tab-separated without spaces, else a space."""
    with open_bytes(path) as f:
        head = f.read(65536)
    first = next((ln for ln in head.splitlines() if ln.strip()), b"")
    return "\t" if b"\t" in first and b" " not in first else " "


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
    """BEIR queries.jsonl: ``{"_id", "text"}`` (also ``query_id``/``qid``/``id`` and ``query``);
    a repeated id is an error rather than a silent overwrite."""
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


def read_tsv_qrels(path: str | Path) -> Qrels:
    """Tab-separated qrels with an optional header (``query-id corpus-id score``), as BEIR's
    ``qrels/<split>.tsv``: ``qid<TAB>docid<TAB>grade`` rows."""
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
    """``writer`` fills a temp file beside ``path``, which is fsynced and renamed over it: readers
    see the old file or the whole new one, and a writer that raises leaves no temp file behind."""
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
