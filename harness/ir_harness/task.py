"""The task base class and the local-then-online data resolution every task shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ir_harness.data.model import TaskData
from ir_harness.errors import DataNotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ir_harness.data.spec import TaskSpec

T = TypeVar("T")


@dataclass
class Scores:
    """What one evaluation scored, whatever its kind: a ranking's run file and metrics, a
    self-running task's (``custom_run``: STS, judge meta-evaluation), a grid's, a family's means.
    Every stored result is built from one (``ir_harness.run.record.ResultRecord.scores``).

    ``per_item`` maps metric -> item id (query, pair, ...) -> value; ``artifact`` is the stored
    text (a TREC run, a label file, similarity scores), ``artifact_name`` its file name.
    """

    metrics: dict[str, float]
    per_item: dict[str, dict[str, float]] = field(default_factory=dict)
    artifact: str = ""
    artifact_name: str = "run.trec"
    n_items: int = 0
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # sha256 of the labels scored against (``ir_harness.data.identity.qrels_sha256``), for the metadata
    qrels_sha256: str = ""


# The name task plugins written before the ranking kinds shared this type used.
CustomResult = Scores


class Task:
    """Base of every task plugin: a benchmark family whose subsets are individual tasks.

    A task declares what it is (``family``, ``description``, ``spec(subset)``) and how its data
    loads (``load``); a plugin registered as a task must subclass this class or one of its
    kinds. A plain subclass is a ranking task: the runner ranks its documents per query and
    scores the run. A kind says how a task runs and scores by being that kind, never by a
    flag: ``ir_harness.task_kinds`` (ranking tasks declared by their folder and online source)
    and ``ir_harness.self_running`` (tasks that run and score a pipeline themselves: sentence
    similarity, judge meta-evaluation). A family overrides ``family_members(subset)`` to name
    the tasks whose mean is the family score (the base answers none: a single task).

    ``system_defaults`` ({system: {option: value}}) are options applied to the pipeline's stages
    that the user left unset (BRIGHT's query-side BM25). ``dataset_subset``: the part of a
    subset that names a dataset with query ids of its own (BEIR's collections), so training
    records compare ids per dataset (``ir_harness.store.training_record.dataset_of``).
    ``settings``: the names of the task's own settings; the command line reads
    ``$HARNESS_<FAMILY>_<NAME>`` for each and hands the text to the task
    (``RunContext.task_settings[family]``, or the ``settings`` argument of ``evaluate_file``).
    """

    family: ClassVar[str]
    description: ClassVar[str]
    system_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    settings: ClassVar[tuple[str, ...]] = ()

    def subsets(self) -> list[str]:
        """Known subset names; empty when any name is accepted (``beir/<folder>``)."""
        raise NotImplementedError

    def spec(self, subset: str) -> TaskSpec:
        """The subset's declared conventions (metrics, depth, thresholds, sources): what every
        result of it is scored and labelled by."""
        raise NotImplementedError

    def load(self, subset: str, data_dir: Path | None) -> TaskData:
        """The subset's corpus, queries and qrels: from ``data_dir`` when its folder is there,
        else from the online source (``load_local_or_online``)."""
        raise NotImplementedError

    def load_judgments(self, subset: str, data_dir: Path | None) -> TaskData:
        """What scoring an existing run needs: queries, qrels and quirks. By default everything
        (``load``); a task whose corpus is costly and not needed for scoring overrides it (BEIR:
        parsing ``corpus.jsonl`` was about a second of every ``harness eval``)."""
        return self.load(subset, data_dir)

    def family_members(self, subset: str = "") -> list[str]:
        """Subsets (or full task names) averaged for ``subset``; empty for a single task (the
        base's answer: a family overrides it)."""
        return []

    @classmethod
    def dataset_subset(cls, subset: str) -> str:
        """The part of ``subset`` naming a dataset whose query ids are its own; empty (the base's
        answer) when every subset draws on the family's query ids (trec-dl's years: MS MARCO)."""
        return ""


def get_task(name: str) -> tuple[Task, str]:
    """``"beir/scifact"`` -> (the ``beir`` task, ``"scifact"``): the one place a task name is
    split and looked up in the registry (unknown names get "did you mean")."""
    from ir_harness.registry import TASKS, split_task_name

    family, subset = split_task_name(name)
    factory = TASKS.get(family)
    obj = factory()
    if not isinstance(obj, Task):
        from ir_harness.errors import ConfigError

        made = getattr(factory, "__qualname__", type(obj).__qualname__)
        raise ConfigError(
            f"task plugin {family!r} ({getattr(factory, '__module__', '?')}.{made}) is not a "
            "task: subclass ir_harness.task.Task or one of its kinds (ir_harness.task_kinds, "
            "ir_harness.self_running)"
        )
    return obj, subset


def resolve_data_dir(data_dir: str | Path | None) -> Path | None:
    """The local data folder as a path (``~`` expanded); None means online only. The command
    line fills ``--data-dir`` from ``$HARNESS_DATA_DIR``; below it nothing reads the
    environment."""
    return Path(data_dir).expanduser() if data_dir else None


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


def fetch_files(base_url: str, names: dict[str, str], dest: Path) -> Path:
    """Download ``{remote name: local name}`` from ``base_url`` into ``dest`` once (the online path
    of benchmarks whose official home is a code repository). Each file is written atomically."""
    import urllib.request

    from ir_harness.data.formats import atomic_write

    dest.mkdir(parents=True, exist_ok=True)
    for remote, local in names.items():
        if not (dest / local).exists():
            with urllib.request.urlopen(f"{base_url}/{remote}", timeout=60) as r:
                data = r.read()
            atomic_write(dest / local, lambda f, d=data: f.write(d))  # type: ignore[misc]
    return dest


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
