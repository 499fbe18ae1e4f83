"""Checks on what a system's model returns, at the boundary where the harness receives it.

A model is code the harness does not control: an encoder may return fewer vectors than texts, a
1-D array, ``None``, strings, a different width per batch, or NaN/inf; a scorer may return the
wrong number of scores or non-numbers. Stored misaligned or fed to top-k, any of these silently
changes a score. So each result is checked before it is used or stored, and a failure is a
:class:`~ir_harness.errors.ModelOutputError` naming the system and the batch.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.errors import ModelOutputError

if TYPE_CHECKING:
    from collections.abc import Mapping


def system_name(system: Any) -> str:
    """The name a system reports in its metadata (its class name if that fails)."""
    try:
        return str(system.meta().name)
    except Exception:  # a broken meta() must not hide the error being reported
        return type(system).__name__


def _describe(out: Any) -> str:
    if out is None:
        return "None"
    if isinstance(out, (str, bytes)):
        return f"a {type(out).__name__} ({str(out)[:40]!r})"
    return type(out).__name__


def check_vectors(out: Any, n: int, system: str, batch: str, dim: int | None = None) -> np.ndarray:
    """``out`` as a float32 ``(n, dim)`` array of finite numbers, or a clear error.

    ``dim`` is the width earlier batches had (None for the first batch)."""
    where = f"system {system!r}, {batch}"
    if n == 0:
        return np.zeros((0, dim or 0), np.float32)
    if out is None or isinstance(out, (str, bytes, dict)):
        raise ModelOutputError(f"{where}: encode returned {_describe(out)}, expected {n} vectors")
    if hasattr(out, "detach"):  # a torch tensor, possibly on a GPU
        out = out.detach().float().cpu().numpy()
    try:
        arr = np.asarray(out)
    except (ValueError, TypeError):  # ragged lists
        raise ModelOutputError(f"{where}: encode returned vectors of unequal lengths") from None
    if arr.dtype.kind not in "fiu":
        raise ModelOutputError(
            f"{where}: encode returned values of type {arr.dtype}, expected numbers"
        )
    if arr.ndim != 2:
        raise ModelOutputError(
            f"{where}: encode returned an array of shape {arr.shape}, expected ({n}, dimension):"
            " one vector per text"
        )
    if arr.shape[0] != n:
        raise ModelOutputError(
            f"{where}: encode returned {arr.shape[0]} vectors for {n} texts (nothing was stored)"
        )
    if arr.shape[1] == 0:
        raise ModelOutputError(f"{where}: encode returned vectors of dimension 0")
    if dim is not None and arr.shape[1] != dim:
        raise ModelOutputError(
            f"{where}: encode returned vectors of dimension {arr.shape[1]}, earlier ones had {dim}"
        )
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf: refused below
        arr = np.ascontiguousarray(arr, dtype=np.float32)
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ModelOutputError(
            f"{where}: {len(bad)} of {n} vectors hold NaN or infinite values (first: text"
            f" {int(bad[0])} of the batch); refused"
        )
    return arr


def check_scores(out: Any, n: int, system: str, batch: str) -> list[float]:
    """``out`` as ``n`` finite floats, or a clear error."""
    where = f"system {system!r}, {batch}"
    if out is None or isinstance(out, (str, bytes, dict)):
        raise ModelOutputError(f"{where}: score returned {_describe(out)}, expected {n} scores")
    if hasattr(out, "detach"):
        out = out.detach().float().cpu().numpy()
    try:
        arr = np.asarray(out)
    except (ValueError, TypeError) as e:
        raise ModelOutputError(f"{where}: score returned no flat list of numbers ({e})") from None
    if arr.dtype.kind not in "fiu":
        raise ModelOutputError(
            f"{where}: score returned values of type {arr.dtype}, expected numbers"
        )
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ModelOutputError(
            f"{where}: score returned shape {arr.shape} for {n} documents, expected ({n},)"
        )
    vals = arr.astype(np.float64)
    finite = np.isfinite(vals)
    if not finite.all():
        raise ModelOutputError(
            f"{where}: {int((~finite).sum())} of {n} scores are NaN or infinite (first: document"
            f" {int(np.flatnonzero(~finite)[0])} of the batch); refused"
        )
    return vals.tolist()  # type: ignore[no-any-return]


def _text_id(value: Any, what: str, where: str) -> str:
    """An id as text: a string as is, a whole number as its digits (the same id in a run file);
    anything else is refused naming the system and the id."""
    if isinstance(value, str):
        return value
    if isinstance(value, Integral) and not isinstance(value, bool):
        return str(int(value))
    raise ModelOutputError(
        f"{where}: {what} id {value!r} is a {type(value).__name__}, expected a string"
    )


def check_run(run: Any, system: str, batch: str) -> dict[str, dict[str, float]]:
    """A stage's ranking with every id as text and every score a finite number: a NaN or
    infinite score would sort arbitrarily and change the metrics without a word. Whole-number
    ids (``{11: {1: 2.0}}``) are read as their digits, as a run file would write them; two ids
    that become the same text are refused."""
    where = f"system {system!r}, {batch}"
    if not isinstance(run, dict):
        raise ModelOutputError(
            f"{where}: returned {_describe(run)}, expected query -> {{doc: score}}"
        )
    if all(type(q) is str for q in run) and all(
        isinstance(docs, dict) and all(type(d) is str for d in docs) for docs in run.values()
    ):
        out: dict[str, dict[str, float]] = run
    else:
        out = {}
        for q, docs in run.items():
            qid = _text_id(q, "query", where)
            if qid in out:
                raise ModelOutputError(f"{where}: query id {q!r} is given twice (as {qid!r})")
            if not isinstance(docs, dict):
                out[qid] = docs
                continue
            mapped: dict[str, float] = {}
            for d, sc in docs.items():
                did = _text_id(d, f"query {qid!r}: document", where)
                if did in mapped:
                    raise ModelOutputError(
                        f"{where}: query {qid!r}: document id {d!r} is given twice (as {did!r})"
                    )
                mapped[did] = sc
            out[qid] = mapped
    for q, docs in out.items():
        if not isinstance(docs, dict):
            raise ModelOutputError(f"{where}: query {q!r} has {_describe(docs)}, expected a dict")
        for d, s in docs.items():
            if not isinstance(s, Real) or isinstance(s, bool) or not math.isfinite(s):
                raise ModelOutputError(
                    f"{where}: query {q!r}, document {d!r} has score {s!r}, expected a finite"
                    " number"
                )
    return out


def first_ids(ids: Mapping[str, Any] | list[str], k: int = 3) -> str:
    """A short description of a batch of queries (for messages)."""
    names = list(ids)
    head = ", ".join(names[:k])
    return f"queries {head}{', ...' if len(names) > k else ''} ({len(names)} in the batch)"
