"""The result store: one folder per (task, system) holding the run, metrics and metadata.

Layout: ``<results>/<task-slug>/<system-slug>/{run.trec, metrics.json, metadata.json}``.
A result folder is written complete in a temporary sibling and swapped in with renames, so a
crash never leaves a half-written result beside good ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.protocols import SystemMeta
from harness.runtime import log

SCHEMA_VERSION = 1
RUN_FILE, METRICS_FILE, METADATA_FILE = "run.trec", "metrics.json", "metadata.json"


class MetricsRecord(BaseModel):
    """Scores of one system on one task; per-query values feed significance tests."""

    # NaN (e.g. a correlation over constant scores) must round-trip instead of becoming null.
    model_config = ConfigDict(ser_json_inf_nan="constants")

    schema_version: int = SCHEMA_VERSION
    task: str
    system: str
    main_metric: str
    main_score: float
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]] = Field(description="metric -> query id -> value")
    n_queries: int
    relevance_threshold: int
    average_over: str
    extra: dict[str, Any] = Field(
        default_factory=dict, description="task-specific numbers (e.g. AUC pools)"
    )


class RunMetadata(BaseModel):
    """Everything the result depends on, to reproduce it."""

    schema_version: int = SCHEMA_VERSION
    task: str
    system: str
    command: str
    config: dict[str, Any]
    config_hash: str
    stages: list[SystemMeta]
    data_source: str
    git_sha: str
    packages: dict[str, str]
    hardware: dict[str, Any]
    seed: int
    timings: dict[str, float]
    stats: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def slug(name: str) -> str:
    """A file-system-safe folder name; a short hash keeps distinct names distinct."""
    s = name.replace("/", "__").replace(">", "+")
    safe = re.sub(r"[^A-Za-z0-9._+\-]", "_", s)
    if safe != s or len(safe) > 80:
        safe = f"{safe[:70]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return safe


def result_dir(results: Path, task: str, system: str) -> Path:
    return results / slug(task) / slug(system)


def write_result(
    results: Path,
    run_text: str,
    metrics: MetricsRecord,
    meta: RunMetadata,
    artifact_name: str = RUN_FILE,
) -> Path:
    """Write all three files into a temp folder, then swap it into place."""
    target = result_dir(results, metrics.task, metrics.system)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    try:
        (tmp / artifact_name).write_text(run_text, encoding="utf-8")
        (tmp / METRICS_FILE).write_text(metrics.model_dump_json(indent=1), encoding="utf-8")
        (tmp / METADATA_FILE).write_text(meta.model_dump_json(indent=1), encoding="utf-8")
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{tmp.name[-8:]}"
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def iter_results(results: Path) -> list[tuple[MetricsRecord, RunMetadata, Path]]:
    """Every complete result under ``results`` (temp and partial folders are skipped)."""
    out = []
    for mpath in sorted(results.glob(f"*/*/{METRICS_FILE}")):
        d = mpath.parent
        if d.name.startswith(".") or d.parent.name.startswith("."):
            continue
        try:
            metrics = MetricsRecord.model_validate_json(mpath.read_text(encoding="utf-8"))
            meta = RunMetadata.model_validate_json((d / METADATA_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:  # ValidationError is a ValueError
            # One damaged result must not hide every other one; say which folder was skipped.
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            log.warning("skipping result %s: unreadable (%s)", d, first)
            continue
        out.append((metrics, meta, d))
    return out


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]
