"""The task plugin protocol and the local-then-online data resolution every task shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar, runtime_checkable

from harness.data import TaskData
from harness.errors import DataNotFoundError
from harness.spec import TaskSpec

T = TypeVar("T")


@runtime_checkable
class TaskFamily(Protocol):
    """A benchmark family (``trec-dl``) whose subsets (``2019``) are individual tasks."""

    family: ClassVar[str]
    description: ClassVar[str]

    def subsets(self) -> list[str]:
        """Known subset names; empty when any name is accepted (``beir/<folder>``)."""
        ...

    def spec(self, subset: str) -> TaskSpec: ...

    def load(self, subset: str, data_dir: Path | None) -> TaskData: ...


def resolve_data_dir(data_dir: str | Path | None) -> Path | None:
    """``--data-dir`` wins, then ``HARNESS_DATA_DIR``; None means online only."""
    d = data_dir or os.environ.get("HARNESS_DATA_DIR")
    return Path(d).expanduser() if d else None


def load_local_or_online(
    task: str,
    data_dir: Path | None,
    expected: Path,
    local: Callable[[Path], T],
    online: Callable[[], T] | None,
    online_name: str,
) -> T:
    """Read ``expected`` (relative to the data dir) when it exists, else the online loader.

    When neither works the error names both: the file that was expected locally and what the
    online loader said.
    """
    local_path = data_dir / expected if data_dir else None
    if local_path is not None and local_path.exists():
        return local(data_dir)  # type: ignore[arg-type]
    why_local = (
        f"{local_path} does not exist" if local_path else "no --data-dir or HARNESS_DATA_DIR given"
    )
    if online is None:
        raise DataNotFoundError(
            f"{task}: no local data ({why_local}) and no online loader for this setting"
        )
    try:
        return online()
    except Exception as e:  # noqa: BLE001 - any loader failure becomes one clear message
        raise DataNotFoundError(
            f"{task}: local data not found ({why_local}; expected {expected} under the data dir) "
            f"and the online loader {online_name} failed: {type(e).__name__}: {e}"
        ) from e


def limit_queries(data: TaskData, n: int | None) -> TaskData:
    """Keep the first ``n`` judged queries (sorted ids) for quick runs."""
    if not n:
        return data
    keep = [q for q in sorted(data.queries) if q in data.qrels][:n]
    ks = set(keep)
    return TaskData(
        corpus=data.corpus,
        queries={q: data.queries[q] for q in keep},
        qrels={q: data.qrels[q] for q in keep},
        candidates={q: v for q, v in data.candidates.items() if q in ks}
        if data.candidates
        else None,
        excluded_ids={q: v for q, v in data.excluded_ids.items() if q in ks},
        source=data.source,
    )
