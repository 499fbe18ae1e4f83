"""trec_eval's readers for qrels and TREC run files.

The rules are trec_eval 10.0's: fields are separated by runs of ASCII whitespace (space, tab,
CR, VT, FF); a qrels line has exactly four fields (qid, iteration, docno, relevance) and a
run line at least six (qid, iteration, docno, rank, score, run tag; more are ignored).
Relevance is read with ``atol`` and scores with ``strtod`` (a valid prefix counts). A qrels
line starting with ``#`` in its first column is a comment, and the line right after a comment
is always read as data; in a run, blank lines and lines whose first non-blank character is
``#`` are skipped. The run tag reported is the one on the last line. Bytes are decoded as
Latin-1 so that string order is C's ``strcmp`` order and output reproduces the input bytes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ir_harness.trec_eval.cnum import atof, atol
from ir_harness.trec_eval.errors import TrecEvalInputError


@dataclass
class Qrels:
    """Judgments per query: qids in ``strcmp`` order, each with docnos in ``strcmp`` order."""

    path: str
    qids: list[str] = field(default_factory=list)
    docs: dict[str, list[bytes]] = field(default_factory=dict)
    rels: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Run:
    """Retrieved documents and their scores per query, in file order; the last run tag."""

    path: str
    runid: str = ""
    docs: dict[str, list[bytes]] = field(default_factory=dict)
    sims: dict[str, list[float]] = field(default_factory=dict)


def _read_bytes(path: str, what: str) -> bytes:
    try:
        if path.startswith("-"):
            data = sys.stdin.buffer.read()
        else:
            data = Path(path).read_bytes()
    except OSError as e:
        raise TrecEvalInputError(f"cannot read {what} file '{path}': {e.strerror}") from e
    if not data:
        raise TrecEvalInputError(f"cannot read {what} file '{path}': it is empty")
    return data


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def read_qrels(path: str) -> Qrels:
    """Parse a qrels file (``-`` is not stdin here: trec_eval opens it by name)."""
    data = _read_bytes_file(path, "qrels")
    per_q: dict[str, list[tuple[bytes, int]]] = {}
    after_comment = False
    for lineno, raw in enumerate(_lines(data), 1):
        if raw.startswith(b"#") and not after_comment:
            after_comment = True
            continue
        after_comment = False
        fields = raw.split()
        if len(fields) != 4:
            raise TrecEvalInputError(
                f"{path}:{lineno}: malformed qrels line, {len(fields)} fields "
                "(expected 4: qid iteration docno relevance)"
            )
        qid = fields[0].decode("latin-1")
        per_q.setdefault(qid, []).append((fields[2], _grade(fields[3])))
    if not per_q:
        raise TrecEvalInputError(f"{path}: no judgments in qrels file")
    q = Qrels(path)
    q.qids = sorted(per_q)
    for qid in q.qids:
        pairs = sorted(per_q[qid], key=lambda p: p[0])
        q.docs[qid] = [d for d, _ in pairs]
        q.rels[qid] = [r for _, r in pairs]
    return q


def _grade(tok: bytes) -> int:
    """A relevance field as ``atol`` reads it (plain ASCII digits need no regex)."""
    if tok.isdigit() and len(tok) < 19:
        return int(tok)
    return atol(tok.decode("latin-1"))


def _read_bytes_file(path: str, what: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise TrecEvalInputError(f"cannot read {what} file '{path}': {e.strerror}") from e
    if not data:
        raise TrecEvalInputError(f"cannot read {what} file '{path}': it is empty")
    return data


def read_run(path: str) -> Run:
    """Parse a TREC run; a path starting with ``-`` reads standard input, as trec_eval does."""
    return parse_run(path, read_run_bytes(path))


def read_run_bytes(path: str) -> bytes:
    """The bytes of a run file (standard input for a path starting with ``-``)."""
    return _read_bytes(path, "results")


def parse_sim(tok: bytes) -> float:
    """A score field as ``strtod`` reads it."""
    try:  # Python's float agrees with strtod on every token it accepts without "_"
        return float(tok) if b"_" not in tok else atof(tok.decode("latin-1"))
    except ValueError:
        return atof(tok.decode("latin-1"))


def parse_run(path: str, data: bytes) -> Run:
    """Parse the bytes of a TREC run read from ``path`` (named in error messages)."""
    per_q: dict[bytes, tuple[list[bytes], list[float]]] = {}
    last: list[bytes] | None = None
    for lineno, raw in enumerate(_lines(data), 1):
        fields = raw.split()
        if len(fields) < 6 or fields[0][:1] == b"#":
            if not fields or fields[0][:1] == b"#":
                continue
            raise TrecEvalInputError(
                f"{path}:{lineno}: malformed run line, {len(fields)} fields "
                "(expected at least 6: qid iteration docno rank score run_tag)"
            )
        entry = per_q.get(fields[0])
        if entry is None:
            entry = per_q[fields[0]] = ([], [])
        entry[0].append(fields[2])
        entry[1].append(parse_sim(fields[4]))
        last = fields
    if last is None:
        raise TrecEvalInputError(f"{path}: no result lines in run file")
    run = Run(path)
    for qb, (docs, sims) in per_q.items():
        qid = qb.decode("latin-1")
        run.docs[qid] = docs
        run.sims[qid] = sims
    runid = last[5]
    run.runid = runid.decode("latin-1")
    return run


def find_line(path: str, qid: str, docno: str, *, qrels: bool, nth: int = 2) -> int | None:
    """The line number of the ``nth`` line naming (qid, docno), for error messages."""
    if path.startswith("-") and not qrels:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    want_q = qid.encode("latin-1")
    want_d = docno.encode("latin-1")
    seen = 0
    for lineno, raw in enumerate(_lines(data), 1):
        fields = raw.split()
        if len(fields) >= 4 and fields[0] == want_q and fields[2] == want_d:
            seen += 1
            if seen == nth:
                return lineno
    return None
