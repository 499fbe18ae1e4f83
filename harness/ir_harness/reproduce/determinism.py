"""The determinism audit's record in a stored result, and the warning readers print from it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ir_harness.data.formats import atomic_write_text
from ir_harness.store.results import METADATA_FILE, RunMetadata

if TYPE_CHECKING:
    from pathlib import Path


def record_determinism(result_dir: Path, runs: int, metric: str, spread: dict[str, float]) -> None:
    """Write the audit into the stored metadata (temp file, then rename)."""
    path = result_dir / METADATA_FILE
    meta = RunMetadata.model_validate_json(path.read_text(encoding="utf-8"))
    moved = {q: v for q, v in spread.items() if v != 0}
    worst = max(moved.values(), default=0.0)
    meta.determinism = {
        "runs": runs,
        "metric": metric,
        "deterministic": not moved,
        "queries_with_spread": len(moved),
        "max_spread": worst if math.isfinite(worst) else str(worst),
    }
    atomic_write_text(path, meta.model_dump_json(indent=1))


def nondeterminism_warning(row: str, meta: RunMetadata) -> str | None:
    """A line to print before testing ``row`` when its audit found a non-zero spread."""
    d = meta.determinism
    if not d or d.get("deterministic", True):
        return None
    return (
        f"warning: {row} is not deterministic: {d.get('queries_with_spread')} queries moved "
        f"across {d.get('runs')} runs of `harness reproduce --repeat` (max spread of "
        f"{d.get('metric')} {d.get('max_spread')}); its p-values are less certain than shown"
    )
