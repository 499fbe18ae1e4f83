"""Resumable run checkpoints whose every batch is committed atomically.

A checkpoint is a folder with one JSON file per finished query batch (query -> document ->
score: ids of any characters and scores round-trip exactly, which a TREC file cannot promise). Each batch file is written
under a temp name and renamed into place, so it either holds all of its batch's lines or does not
exist: a kill at any moment can lose the batch in progress, never leave a query half-recorded.
Only renamed batch files count as done; temp files left by a kill are removed on the next start.
Each batch also records the LLM fault counters (``llm_*``) it added, so a resumed run's share of
failed LLM answers covers every query, not only those done after the restart.
A single-file checkpoint from an older version cannot tell a finished query from a partly
written one, so it is discarded (with a warning) and its queries are run again.
"""

from __future__ import annotations

import json
import logging
import shutil
from typing import TYPE_CHECKING, Any

from ir_harness.data.formats import atomic_write_text
from ir_harness.errors import DataFormatError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.data.model import Run

BATCH_SUFFIX = ".run.json"
LEGACY_SUFFIX = ".trec"
STATS_SUFFIX = ".stats.json"


def _carried(stats: dict[str, Any]) -> dict[str, float]:
    """The counters a checkpoint carries across a restart: LLM answers, failures, retries."""
    return {
        k: v
        for k, v in stats.items()
        if k.startswith("llm_") and isinstance(v, int | float) and not isinstance(v, bool)
    }


def _read_batch(path: Path) -> Run:
    """One batch file as a run, or a DataFormatError when it is not what ``commit`` writes."""
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataFormatError(path, None, f"unreadable batch ({e})", "a JSON run") from None
    ok = isinstance(run, dict) and all(
        isinstance(docs, dict)
        and all(isinstance(s, float | int) and not isinstance(s, bool) for s in docs.values())
        for docs in run.values()
    )
    if not ok:
        raise DataFormatError(path, None, "not a query -> document -> score object", "a JSON run")
    return {q: {d: float(s) for d, s in docs.items()} for q, docs in run.items()}


class Checkpoint:
    """The finished batches of one run configuration, kept in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._next = 0
        self._seen: dict[str, float] = {}

    def _batches(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(
            p
            for p in self.folder.iterdir()
            if p.name.endswith(BATCH_SUFFIX) and p.name[: -len(BATCH_SUFFIX)].isdigit()
        )

    def _discard_legacy(self) -> None:
        legacy = self.folder.with_name(self.folder.name + LEGACY_SUFFIX)
        if legacy.is_file():
            log.warning(
                "discarding old-style checkpoint %s: it cannot show which queries were complete;"
                " its queries run again",
                legacy,
            )
            legacy.unlink()

    def load(self, stats: dict[str, Any] | None = None) -> Run:
        """Every committed batch's rankings; temp files of an interrupted write are removed.

        With ``stats`` (the run's counters), the committed batches' LLM counters are added in."""
        self._discard_legacy()
        self.folder.mkdir(parents=True, exist_ok=True)
        for p in self.folder.iterdir():
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)
        done: Run = {}
        batches = self._batches()
        for p in batches:
            try:
                part = _read_batch(p)
            except DataFormatError as e:  # never written by us: distrust the whole checkpoint
                log.warning("checkpoint batch unreadable (%s); starting over", e)
                self.clear()
                self.folder.mkdir(parents=True, exist_ok=True)
                return {}
            done.update(part)
        self._next = int(batches[-1].name[: -len(BATCH_SUFFIX)]) + 1 if batches else 0
        if stats is not None:
            for p in batches:
                side = p.with_name(p.name[: -len(BATCH_SUFFIX)] + STATS_SUFFIX)
                try:
                    saved = json.loads(side.read_text(encoding="utf-8")) if side.exists() else {}
                except ValueError:
                    saved = {}
                for k, v in _carried(saved).items():
                    stats[k] = stats.get(k, 0) + v
            self._seen = _carried(stats)
        return done

    def commit(self, run: Run, stats: dict[str, Any] | None = None) -> None:
        """Record one finished batch: all its lines appear at once, or none do. With ``stats``,
        the LLM counters added since the last commit are kept beside it (written first)."""
        name = f"{self._next:06d}"
        if stats is not None:
            now = _carried(stats)
            delta = {k: v - self._seen.get(k, 0) for k, v in now.items()}
            atomic_write_text(self.folder / f"{name}{STATS_SUFFIX}", json.dumps(delta))
            self._seen = now
        atomic_write_text(self.folder / f"{name}{BATCH_SUFFIX}", json.dumps(run))
        self._next += 1

    def clear(self) -> None:
        """Remove the checkpoint once its result is stored."""
        shutil.rmtree(self.folder, ignore_errors=True)


class MemoryCheckpoint:
    """The finished batches of a run that keeps nothing on disk (``evaluate(results=None)``).

    Same interface and values as :class:`Checkpoint` (scores read back as floats, LLM counters
    carried), without a folder: the run is scored from what it committed, as a stored run is."""

    def __init__(self) -> None:
        self.folder = None
        self._done: Run = {}

    def load(self, stats: dict[str, Any] | None = None) -> Run:
        """The batches committed so far in this process (copies: callers may change them)."""
        return {q: dict(docs) for q, docs in self._done.items()}

    def commit(self, run: Run, stats: dict[str, Any] | None = None) -> None:
        """Keep one finished batch in memory (nothing to resume when nothing is saved)."""
        self._done.update({q: {d: float(s) for d, s in docs.items()} for q, docs in run.items()})

    def clear(self) -> None:
        """Forget the batches."""
        self._done = {}
