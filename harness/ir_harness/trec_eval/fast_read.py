"""A vectorised reader for the common shape of a TREC run: every line exactly six fields, each
separated by one ASCII whitespace byte, no comments, no blank lines, no NUL bytes.

Anything else returns ``None`` so that the exact reader (``readers.parse_run``) reads the file
and its errors (file and line) stay trec_eval's. Scores of the form ``[+-]digits[.digits]``
whose digits fit in 2**53 are ``mantissa / 10**k``, one correctly rounded division, which is
what ``strtod`` returns; every other score goes through the exact per-token parser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ir_harness.trec_eval.readers import parse_sim

FIELDS = 6
CHUNK = 1 << 22
POW10 = np.array([float(10**k) for k in range(23)])
MAX_EXACT = 2**53
PAD, DIGIT, DOT, SIGN, OTHER = 0, 1, 2, 3, 4
CLASS = np.full(256, OTHER, dtype=np.uint8)
CLASS[48:58] = DIGIT
CLASS[46] = DOT
CLASS[[43, 45]] = SIGN
CLASS[0] = PAD
TIMES = np.ones(256, dtype=np.int64)
TIMES[48:58] = 10
VALUE = np.zeros(256, dtype=np.int64)
VALUE[48:58] = np.arange(10)
BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype="<u8")


@dataclass
class FastRun:
    """The run as arrays: line ``i`` has ``docnos[i]`` (docnos of up to 8 bytes as big-endian
    uint64 keys, longer ones as fixed-width bytes: either way ordered as the bytes) and
    ``sims[i]``; consecutive lines with
    the same qid form a segment, ``seg_qids[j]`` covering lines ``bounds[j]:bounds[j + 1]``."""

    runid: str
    seg_qids: list[str]
    bounds: list[int]
    docnos: np.ndarray
    sims: np.ndarray


def docno_keys(docs: list[bytes], like: np.ndarray) -> np.ndarray:
    """Docnos as keys of ``like``'s kind (``FastRun.docnos``): same order as the bytes."""
    if like.dtype == np.uint64:
        return np.frombuffer(b"".join(d.ljust(8, b"\0") for d in docs), dtype=">u8").astype(
            np.uint64
        )
    return np.array(docs, dtype=like.dtype)


def _words(padded: bytes, start: np.ndarray, lens: np.ndarray, nwords: int) -> np.ndarray:
    """Each token's first ``8 * nwords`` bytes as little-endian uint64 words, zeroed past its
    length (``padded`` extends at least that far past every token)."""
    view = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    out = np.empty((len(start), nwords), dtype="<u8")
    for t in range(nwords):
        keep = np.clip(lens - 8 * t, 0, 8)
        out[:, t] = view[start + 8 * t] & BYTE_MASKS[keep]
    return out


def _chunk(data: bytes, lo: int, hi: int, min_docno_width: int) -> _Chunk | None:
    """The lines of ``data[lo:hi]`` (whole lines), or ``None`` if one is not plain."""
    raw = np.frombuffer(data, dtype=np.uint8, count=hi - lo, offset=lo)
    sep: np.ndarray = np.flatnonzero(raw <= 32)
    if sep.size == 0 or sep.size % FIELDS:
        return None
    n = sep.size // FIELDS
    marks = raw[sep]
    if bool(((marks < 9) | ((marks > 13) & (marks != 32))).any()):
        return None  # a control byte that is not whitespace
    if int(np.count_nonzero(marks == 10)) != n or not bool(
        (marks[FIELDS - 1 :: FIELDS] == 10).all()
    ):
        return None  # a line with other than six fields
    if sep[0] == 0 or bool((sep[1:] - sep[:-1] == 1).any()):
        return None  # an empty field: leading, doubled or trailing whitespace, a blank line
    sep = sep.reshape(n, FIELDS)
    line_start = np.empty(n, dtype=np.int64)
    line_start[0] = 0
    line_start[1:] = sep[:-1, -1] + 1
    if bool((raw[line_start] == 35).any()):
        return None  # a comment line
    q_len = sep[:, 0] - line_start
    d_start = sep[:, 1] + 1
    d_len = sep[:, 2] - d_start
    s_start = sep[:, 3] + 1
    s_len = sep[:, 4] - s_start
    tag = data[lo + int(sep[-1, 4]) + 1 : lo + int(sep[-1, 5])]
    q_words = -(-int(q_len.max()) // 8)
    d_words = -(-max(int(d_len.max()), min_docno_width) // 8)
    s_width = int(s_len.max())
    need = 8 * max(q_words, d_words, -(-s_width // 8)) + 8
    if hi + need <= len(data):  # bytes past a token are masked off: any bytes will do
        padded, base = data, lo
    else:
        padded, base = data[lo:] + bytes(need), 0
    line_start += base
    d_start += base
    s_start += base
    q = _words(padded, line_start, q_len, q_words)
    change = (q[1:] != q[:-1]).any(axis=1)
    firsts = [0, *(np.flatnonzero(change) + 1).tolist()]
    qids = [
        padded[s : s + ln].decode("latin-1")
        for s, ln in zip(line_start[firsts].tolist(), q_len[firsts].tolist(), strict=True)
    ]
    words = _words(padded, d_start, d_len, d_words)
    docnos = words[:, 0].byteswap() if d_words == 1 else words.view(f"S{8 * d_words}").ravel()
    sims = _parse_sims(padded, padded, s_start, s_len, s_width)
    return _Chunk(n, qids, firsts, docnos, sims, tag.decode("latin-1"))


@dataclass
class _Chunk:
    n: int
    qids: list[str]
    firsts: list[int]
    docnos: np.ndarray
    sims: np.ndarray
    tag: str


def parse_run_fast(data: bytes, min_docno_width: int = 1) -> FastRun | None:
    """The run's arrays, or ``None`` when the file is not in the plain shape."""
    if not data or b"\0" in data or data[:1] == b"#":
        return None
    if not data.endswith(b"\n"):
        data += b"\n"
    seg_qids: list[str] = []
    bounds: list[int] = []
    docs: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    base = 0
    lo = 0
    tag = ""
    while lo < len(data):
        hi = data.rfind(b"\n", lo, lo + CHUNK) + 1
        if hi <= lo:
            hi = data.index(b"\n", lo) + 1
        got = _chunk(data, lo, hi, min_docno_width)
        if got is None:
            return None
        for qid, first in zip(got.qids, got.firsts, strict=True):
            if first == 0 and seg_qids and seg_qids[-1] == qid:
                continue
            seg_qids.append(qid)
            bounds.append(base + first)
        docs.append(got.docnos)
        sims.append(got.sims)
        base += got.n
        tag = got.tag
        lo = hi
    bounds.append(base)
    if any(d.dtype != np.uint64 for d in docs):
        docs = [d.byteswap().view("S8") if d.dtype == np.uint64 else d for d in docs]
    return FastRun(tag, seg_qids, bounds, np.concatenate(docs), np.concatenate(sims))


def _parse_sims(
    padded: bytes, data: bytes, start: np.ndarray, lens: np.ndarray, width: int
) -> np.ndarray:
    """``strtod`` of every score token (see the module docstring)."""
    n = len(start)
    chars = _words(padded, start, lens, -(-width // 8)).view(np.uint8).reshape(n, -1)
    cols = np.ascontiguousarray(chars[:, :width].T)
    del chars
    small = np.uint8 if width < 200 else np.int64
    mant = np.zeros(n, dtype=np.int64)
    ndig: np.ndarray = np.zeros(n, dtype=small)
    ndot: np.ndarray = np.zeros(n, dtype=small)
    frac: np.ndarray = np.zeros(n, dtype=small)
    after = np.zeros(n, dtype=np.bool_)
    bad = np.zeros(n, dtype=np.bool_)
    for j in range(width):
        c = cols[j]
        cl = CLASS[c]
        isd = cl == DIGIT
        isdot = cl == DOT
        bad |= (cl == OTHER) if j == 0 else (cl >= SIGN)
        ndig += isd
        ndot += isdot
        frac += isd & after
        after |= isdot
        mant = mant * TIMES[c] + VALUE[c]
    simple = ~bad & (ndot <= 1) & (ndig >= 1) & (ndig <= 18)
    simple &= (mant <= MAX_EXACT) & (frac < len(POW10))
    vals = mant.astype(np.float64) / POW10[np.minimum(frac, len(POW10) - 1)]
    np.negative(vals, out=vals, where=cols[0] == 45)
    for i in np.flatnonzero(~simple).tolist():
        s = int(start[i])
        vals[i] = parse_sim(data[s : s + int(lens[i])])
    return vals
