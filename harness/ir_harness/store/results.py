"""The result store: one folder per result identity holding the run, metrics and metadata.

Layout: ``<results>/<task-slug>/<system-slug>[@scope]/{run.trec, metrics.json, metadata.json}``.
A result's identity is everything that changes its numbers: the task, the system with its
options (both in the system label), and the scope (``--limit-queries``, the seed,
``--qrels-from``). A full-scope run keeps the plain ``<system-slug>`` folder; a scoped run gets
readable suffixes (``@limit10``, ``@seed3``, ``@qrels=<name>-<hash>``), so runs of different
scope never overwrite each other. A result folder is written complete in a temporary sibling and
swapped in with renames, so a crash never leaves a half-written result beside good ones; a lock
per identity stops two runs from writing the same one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ir_harness.errors import ConfigError, HarnessError
from ir_harness.protocols import StatTag, SystemMeta

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Iterator

SCHEMA_VERSION = 1
# metadata.json's own version: 2 stores the identity once (in metrics.json)
METADATA_SCHEMA_VERSION = 2


def _known_schema(v: int) -> int:
    """A record written by a newer harness may mean something this one cannot read."""
    if v > SCHEMA_VERSION:
        raise ValueError(
            f"schema_version {v} is newer than this harness knows ({SCHEMA_VERSION}); upgrade"
        )
    return v


RUN_FILE, METRICS_FILE, METADATA_FILE = "run.trec", "metrics.json", "metadata.json"
MEMBERS_FILE = "members.json"


class MetricsRecord(BaseModel):
    """Scores of one system on one task; per-query values feed significance tests."""

    # NaN (e.g. a correlation over constant scores) must round-trip instead of becoming null.
    model_config = ConfigDict(ser_json_inf_nan="constants")

    schema_version: int = SCHEMA_VERSION
    _schema = field_validator("schema_version")(_known_schema)
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
    scope: dict[str, Any] = Field(
        default_factory=dict,
        description="what was evaluated: task_queries, evaluated_queries, partial, "
        "limit_queries, seed, qrels_from, qrels_hash (empty in results older than scopes)",
    )
    trained_on_evaluated: dict[str, Any] | None = Field(
        None,
        description="set when a stage's model was trained on some of the evaluated queries: "
        "label, overlap count, training task",
    )

    @field_validator("trained_on_evaluated")
    @classmethod
    def _complete_training_record(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        """The pages and ``compare`` print "overlap of evaluated_queries": both must be counts."""
        if v is not None:
            for key in ("overlap", "evaluated_queries"):
                if not isinstance(v.get(key), int) or isinstance(v.get(key), bool):
                    raise ValueError(f"field {key!r} is missing or not a whole number")
        return v


def _known_metadata_schema(v: int) -> int:
    """metadata.json: version 2 no longer repeats the identity that metrics.json holds."""
    if v > METADATA_SCHEMA_VERSION:
        raise ValueError(
            f"schema_version {v} is newer than this harness knows ({METADATA_SCHEMA_VERSION}); "
            "upgrade"
        )
    return v


class RunMetadata(BaseModel):
    """Everything the result depends on, to reproduce it. The result's identity (task, system,
    scope) is stored once, in metrics.json; metadata.json of version 1 repeated it, and those
    copies are read and ignored (never written again)."""

    schema_version: int = METADATA_SCHEMA_VERSION
    _schema = field_validator("schema_version")(_known_metadata_schema)
    task: str | None = Field(None, exclude=True, description="version 1 only: see metrics.json")
    system: str | None = Field(None, exclude=True, description="version 1 only: see metrics.json")
    command: str = Field(
        description="the command line that made the result; empty when an API call made it"
    )
    call: dict[str, Any] | None = Field(
        None,
        description="the Python API call that made the result: function and parameters as "
        "given (None in older results and for runs not started through the API)",
    )
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
    stat_tags: dict[str, StatTag] = Field(
        default_factory=dict, description="what each stats counter measures (by kind, not name)"
    )
    scope: dict[str, Any] | None = Field(
        None, exclude=True, description="version 1 only: see metrics.json"
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="data identity: each source's revision or local files' sha256, qrels_sha256",
    )
    llm_policy: dict[str, Any] | None = Field(
        None,
        description="the LLM fault settings of a run that asked an LLM (timeout_s, attempts, "
        "max_failed_share, allow_failures); None otherwise and in older results",
    )
    plan: dict[str, Any] | None = Field(
        None, description="the pre-flight estimate (seconds, memory, disk per phase), when made"
    )
    memory: dict[str, int] | None = Field(
        None,
        description="measured bytes: peak_rss (ru_maxrss, file pages included) and the peak "
        "anonymous RSS per phase (<phase>_anon) and overall (peak_anon)",
    )
    batching: dict[str, int] | None = Field(
        None,
        description="texts per model call (batch_size) and queries per search batch "
        "(query_batch) the run used, which a re-run reuses; None in older results (the "
        "defaults then)",
    )
    determinism: dict[str, Any] | None = Field(
        None,
        description="set by `harness reproduce --repeat N`: runs, metric, deterministic, "
        "queries_with_spread, max_spread; None when never audited",
    )
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    artifact: str | None = Field(
        None,
        description="the name of the run or label file the harness wrote beside this record "
        "(None in older results: the leaderboard then knows only the built-in names)",
    )


def check_name(name: str, what: str = "name") -> str:
    """``name`` if it can name a stored result, else a ``ConfigError`` saying why.

    A name becomes a folder inside its task's folder, so it must be visible and its own:
    not empty, not ``.``/``..``, not starting with ``.`` (hidden: never listed), and no empty,
    ``.`` or ``..`` part between separators (``a//b``, ``../x``, ``/``)."""
    parts = re.split(r"[/\\]", name) if isinstance(name, str) else [""]
    if (
        not isinstance(name, str)
        or not name.strip()
        or name.startswith(".")
        or any(p.strip() in ("", ".", "..") for p in parts)
    ):
        raise ConfigError(
            f"{what} {name!r}: not a name a result can be stored under (it must not be empty, "
            "'.' or '..', start with '.', or have empty, '.' or '..' parts between '/'); "
            "choose a plain name such as 'my-system'"
        )
    return name


def slug(name: str) -> str:
    """A file-system-safe folder name; a short hash keeps distinct names distinct."""
    s = name.replace("/", "__").replace(">", "+")
    safe = re.sub(r"[^A-Za-z0-9._+\-]", "_", s)
    if safe != s or len(safe) > 80:
        safe = f"{safe[:70]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return safe


class ResultLockedError(HarnessError):
    """Another process holds the lock of the result identity this run would write."""


def file_hash(path: Path) -> str:
    """Short content hash of a file (a qrels file's identity beside its name)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]


def make_scope(
    limit_queries: int | None = None,
    seed: int = 0,
    qrels_from: str | Path | None = None,
    task_queries: int | None = None,
    evaluated_queries: int | None = None,
) -> dict[str, Any]:
    """The scope record of a result: what changes its numbers besides task and system."""
    scope: dict[str, Any] = {
        "task_queries": task_queries,
        "evaluated_queries": evaluated_queries,
        "partial": bool(
            task_queries is not None
            and evaluated_queries is not None
            and evaluated_queries < task_queries
        ),
        "limit_queries": limit_queries or None,
        "seed": seed,
        "qrels_from": str(qrels_from) if qrels_from else None,
        "qrels_hash": file_hash(Path(qrels_from)) if qrels_from else None,
    }
    return scope


def scope_suffix(scope: dict[str, Any] | None) -> str:
    """``""`` for a full-scope run, else e.g. ``@limit10@seed3@qrels=judge-1a2b3c4d``."""
    scope = scope or {}
    parts = []
    if scope.get("limit_queries"):
        parts.append(f"limit{int(scope['limit_queries'])}")
    if scope.get("seed"):
        parts.append(f"seed{int(scope['seed'])}")
    if scope.get("qrels_from"):
        stem = re.sub(r"[^A-Za-z0-9._\-]", "_", Path(scope["qrels_from"]).stem)[:40]
        parts.append(f"qrels={stem}-{scope.get('qrels_hash') or ''}")
    return "".join(f"@{p}" for p in parts)


@dataclass(frozen=True)
class ResultId:
    """A result's identity: the task (scoped name), the system label (name with its options)
    and the scope. Every name of a result (folder, row label, slugs) is derived here, so the
    store, ``compare`` and the site cannot disagree about which results are the same."""

    task: str
    system: str
    scope: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def suffix(self) -> str:
        """``""`` for a full-scope run, else e.g. ``@limit10``."""
        return scope_suffix(self.scope)

    @property
    def row(self) -> str:
        """How the result is named where several scopes of one system sit side by side."""
        return f"{self.system}{self.suffix}"

    @property
    def task_slug(self) -> str:
        return slug(self.task)

    @property
    def system_slug(self) -> str:
        return slug(self.system)

    def folder(self, results: Path) -> Path:
        """``<results>/<task-slug>/<system-slug>[@scope]``: always two visible folders deep, so a
        result (and its lock) never replaces the task folder, the results folder or anything
        above."""
        folders = (self.task_slug, f"{self.system_slug}{self.suffix}")
        values = (self.task, self.system)
        for what, value, folder in zip(("task", "system"), values, folders, strict=True):
            if folder in ("", ".", "..") or folder.startswith("."):
                check_name(value, what)  # explains why
                raise ConfigError(f"{what} {value!r}: cannot be stored as folder {folder!r}")
        return results.joinpath(*folders)


def result_id(task: str, system: str, scope: dict[str, Any] | None = None) -> ResultId:
    """The identity of the result of ``system`` (its label) on ``task`` in ``scope``."""
    return ResultId(task, system, dict(scope or {}))


def row_label(system: str, scope: dict[str, Any] | None) -> str:
    """How a result is named where several scopes of one system sit side by side."""
    return result_id("", system, scope).row


def result_dir(results: Path, task: str, system: str, scope: dict[str, Any] | None = None) -> Path:
    """Where the result is stored (:meth:`ResultId.folder`)."""
    return result_id(task, system, scope).folder(results)


@dataclass(frozen=True)
class Result:
    """One evaluation, as the API returns it and the store saves and loads it.

    Like inspect_ai's ``EvalLog``, one object holds what was evaluated and how (``metadata``:
    command or API call, config, stages, environment, stats), what it scored (``record``: the
    metrics, per-query values and scope), the run or label file (``artifact``, kept in memory
    until saved; read from ``path`` once saved) and, for a family, its ``members``. ``record``
    and ``metadata`` are the on-disk schema (metrics.json, metadata.json); ``path`` is None
    until :func:`save` writes the result.
    """

    record: MetricsRecord
    metadata: RunMetadata
    path: Path | None = None
    artifact: str | None = field(default=None, repr=False, compare=False)
    members: tuple[Result, ...] = ()

    @property
    def id(self) -> ResultId:
        return result_id(self.record.task, self.record.system, self.record.scope)

    @property
    def task(self) -> str:
        return self.record.task

    @property
    def system(self) -> str:
        return self.record.system

    @property
    def main_metric(self) -> str:
        return self.record.main_metric

    @property
    def main_score(self) -> float:
        return self.record.main_score

    @property
    def metrics(self) -> dict[str, float]:
        """Metric -> mean over the evaluated queries (items)."""
        return self.record.metrics

    @property
    def per_query(self) -> dict[str, dict[str, float]]:
        """Metric -> query id -> value (what significance tests and ``compare`` read)."""
        return self.record.per_query

    @property
    def n_queries(self) -> int:
        return self.record.n_queries

    @property
    def scope(self) -> dict[str, Any]:
        return self.record.scope

    @property
    def artifact_name(self) -> str:
        """The run or label file's name (``run.trec`` in results older than the field)."""
        return self.metadata.artifact or RUN_FILE

    @property
    def stored(self) -> Result:
        """The result itself (the name the API's result type once used for this view)."""
        return self

    def __iter__(self) -> Iterator[Any]:
        """``metrics, metadata, path = result``: the three-part view older readers unpack."""
        return iter((self.record, self.metadata, self.path))

    def read_artifact(self) -> str:
        """The run or label file's text: the one in memory, else the saved file's."""
        if self.artifact is not None:
            return self.artifact
        if self.path is None:
            raise ConfigError(f"{self.task} / {self.system}: the result holds no run file")
        return (self.path / self.artifact_name).read_text(encoding="utf-8")


@contextlib.contextmanager
def result_lock(target: Path) -> Iterator[None]:
    """Hold the lock of one result identity (non-blocking ``flock``) while a run writes it.

    The lock file lives under ``<results>/.locks/`` (skipped by ``iter_results``), so a second
    run of the same identity fails at once instead of sharing the first one's checkpoint. The
    holder removes the file and its empty folders when done, so the results tree keeps no trace
    of a run; a taker racing with that cleanup (its folder removed between ``mkdir`` and
    ``open``, or its file unlinked once locked) starts the take again, so a take only ever
    ends holding the lock or with ``ResultLockedError``.
    """
    results, rel = target.parent.parent, f"{target.parent.name}/{target.name}"
    lock = results / ".locks" / target.parent.name / f"{target.name}.lock"
    while True:
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            f = open(lock, "a+")  # noqa: SIM115 - held for the whole block
        except (FileNotFoundError, FileExistsError):
            continue  # a holder's cleanup removed a folder under us: make it again
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise ResultLockedError(
                f"another run is writing {results / rel} (lock {lock} is held); "
                "wait for it to finish, or use another --results folder"
            ) from None
        try:
            same = os.fstat(f.fileno()).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        f.close()  # the holder removed this file as we opened it: take the new one
    try:
        yield
    finally:
        # Removed while still held, so the results tree keeps no trace of a run (a run that
        # failed on bad input leaves the folder byte-identical).
        lock.unlink(missing_ok=True)
        for d in (lock.parent, lock.parent.parent):
            try:
                d.rmdir()
            except OSError:
                break
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system cannot, so the caller falls back to two renames."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def write_result(
    results: Path,
    run_text: str,
    metrics: MetricsRecord,
    meta: RunMetadata,
    artifact_name: str = RUN_FILE,
) -> Path:
    """Write one result's three files into place (:func:`write`; the caller holds the lock)."""
    meta = meta.model_copy(update={"artifact": artifact_name})
    path = write(results, Result(metrics, meta, artifact=run_text)).path
    assert path is not None
    return path


def members_artifact(members: tuple[Result, ...] | list[Result]) -> str:
    """A family aggregate's ``members.json``: each member's folder and main score."""
    return json.dumps(
        {
            "members": {m.task: str(m.path) for m in members},
            "main_scores": {m.task: m.main_score for m in members},
        },
        indent=1,
    )


def save(result: Result, results: Path) -> Result:
    """Save ``result`` (and first its family members) under ``results``; the saved copy.

    Each result is written under the lock of its identity (:func:`result_lock`), so a save
    never races a run writing the same result; a family's ``members.json`` then names the
    members' folders."""
    results = Path(results)
    if results.exists() and not results.is_dir():
        raise ConfigError(f"results folder {results}: is a file, expected a folder")
    members = tuple(save(m, results) for m in result.members)
    if members and result.artifact_name == MEMBERS_FILE:
        result = replace(result, artifact=members_artifact(members))
    with result_lock(result.id.folder(results)):
        saved = write(results, result)
    return replace(saved, members=members)


def write(results: Path, result: Result) -> Result:
    """Write all three files into a temp folder, then swap it into place; the saved copy.

    An existing result is exchanged with the new folder in one step where Linux allows it
    (``renameat2(RENAME_EXCHANGE)``), so a reader at any instant finds the old copy or the new
    one, never neither. Elsewhere (other systems, file systems without the call) the old folder
    is renamed aside first, and a reader in the instant between the two renames misses it.
    The caller holds the identity's lock (:func:`save` takes it)."""
    metrics = result.record
    run_text = result.read_artifact()
    artifact_name = result.artifact_name
    target = result.id.folder(results)
    made_task_folder = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    meta = result.metadata.model_copy(update={"artifact": artifact_name})
    try:
        (tmp / artifact_name).write_text(run_text, encoding="utf-8")
        (tmp / METRICS_FILE).write_text(metrics.model_dump_json(indent=1), encoding="utf-8")
        (tmp / METADATA_FILE).write_text(meta.model_dump_json(indent=1), encoding="utf-8")
        old = None
        if target.exists():
            if _exchange(tmp, target):
                old = tmp  # holds the previous result now
            else:
                old = target.parent / f".{target.name}.old-{tmp.name[-8:]}"
                target.rename(old)
                tmp.rename(target)
        else:
            tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if made_task_folder:  # an interrupted first result leaves the results tree as it was
            with contextlib.suppress(OSError):
                target.parent.rmdir()  # only when empty
        raise
    return replace(result, metadata=meta, path=target, artifact=None)


_READ_TRIES = 20


def _read_at(folder_fd: int, name: str) -> str:
    fd = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    with os.fdopen(fd, "rb") as f:
        return f.read().decode("utf-8")


def _read_records(d: Path) -> tuple[str, str]:
    """metrics.json and metadata.json of one copy of a result folder.

    Both are opened through one handle on the folder, so a rewrite swapping a new copy in
    never pairs one copy's metrics with the other's metadata; a copy removed while being read
    (the old one, once swapped out) is read again from the copy now at ``d``."""
    for attempt in range(_READ_TRIES):
        folder_fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return _read_at(folder_fd, METRICS_FILE), _read_at(folder_fd, METADATA_FILE)
        except FileNotFoundError:
            if attempt == _READ_TRIES - 1:
                raise
        finally:
            os.close(folder_fd)
    raise AssertionError("unreachable")


def _own_folder(results: Path, metrics: MetricsRecord) -> Path | str:
    """The folder a record's identity names (or why it names none)."""
    try:
        return result_id(metrics.task, metrics.system, metrics.scope).folder(results)
    except ConfigError as e:
        return f"none ({e})"


def _load_folder(results: Path, d: Path) -> Result | None:
    """The result in folder ``d`` of the store ``results``, or None (with a warning) when it is
    unreadable or not the folder its identity names."""
    try:
        metrics_text, meta_text = _read_records(d)
        metrics = MetricsRecord.model_validate_json(metrics_text)
        meta = RunMetadata.model_validate_json(meta_text)
    except (OSError, UnicodeDecodeError, ValueError) as e:  # ValidationError is a ValueError
        # One damaged result must not hide every other one; say which folder was skipped.
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if isinstance(e, ValidationError) and e.errors():
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "record"
            first = f"{e.title} field {where}: {err['msg']}"
        log.warning("skipping result %s: unreadable (%s)", d, first)
        return None
    if not d.is_symlink() and (own := _own_folder(results, metrics)) != d:
        # A copy of another result's files would show that result twice (or under the
        # wrong task): a record is read only from the folder its identity names. (A linked
        # folder is judged by where it leads, by the leaderboard's link rule.)
        log.warning(
            "skipping result %s: its record is task %r, system %r, whose folder is %s "
            "(copied from there?)",
            d,
            metrics.task,
            metrics.system,
            own,
        )
        return None
    members = _members_of(results, d) if meta.artifact == MEMBERS_FILE else ()
    return Result(metrics, meta, d, members=members)


def _members_of(results: Path, d: Path) -> tuple[Result, ...]:
    """A family aggregate's members, loaded from the folders its ``members.json`` names. Each is
    looked up by its task and system folder names under ``results`` (the stored path may be
    relative to where it was saved); a member that is gone is left out with a warning."""
    try:
        named = json.loads((d / MEMBERS_FILE).read_text(encoding="utf-8")).get("members", {})
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as e:
        log.warning(
            "family result %s: %s unreadable (%s): loaded without members", d, MEMBERS_FILE, e
        )
        return ()
    out: list[Result] = []
    for task, stored in named.items() if isinstance(named, dict) else ():
        folder = results / Path(str(stored)).parent.name / Path(str(stored)).name
        member = _load_folder(results, folder) if (folder / METRICS_FILE).is_file() else None
        if member is None or member.task != task:
            log.warning("family result %s: member %s is not at %s: left out", d, task, folder)
            continue
        out.append(member)
    return tuple(out)


def iter_results(results: Path) -> list[Result]:
    """Every complete result under ``results`` (temp and partial folders are skipped)."""
    out = []
    for mpath in sorted(results.glob(f"*/*/{METRICS_FILE}")):
        d = mpath.parent
        if d.name.startswith(".") or d.parent.name.startswith("."):
            continue
        if (res := _load_folder(results, d)) is not None:
            out.append(res)
    return out


def load(path: Path) -> list[Result]:
    """The results at ``path``: a results folder (every result in it), one task's folder (its
    results) or one result's folder (that result). A folder that is not there, or a result
    folder that cannot be read, is a ``ConfigError`` naming it."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"results {path}: no such folder (expected a results folder)")
    if (path / METRICS_FILE).is_file():
        res = _load_folder(path.parent.parent, path)
        if res is None:
            raise ConfigError(
                f"result {path}: unreadable or not its identity's folder (see the warning)"
            )
        return [res]
    if not any(path.glob(f"*/*/{METRICS_FILE}")) and any(path.glob(f"*/{METRICS_FILE}")):
        return [r for r in iter_results(path.parent) if r.path and r.path.parent == path]
    return iter_results(path)


def config_hash(config: dict[str, Any]) -> str:
    """16 hex digits that depend only on the config's content, not its key order: the key of
    checkpoints and of a grid's already-stored cells."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]
