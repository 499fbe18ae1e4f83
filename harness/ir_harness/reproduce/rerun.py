"""``reproduce``: re-run a stored result from its metadata in a scratch folder and compare.

The stored folder is only read (``--repeat`` adds its determinism record to the metadata); every
re-run is written under the scratch folder. The outputs are compared stage by stage
(``artifacts``, ``caches``), the data first (``data_check``: other data is refused, not
"different"). A result is *identical* when its artifact and every per-query value are; the
environment (versions, hardware, git sha) is reported beside, since it differs on every machine.
"""

from __future__ import annotations

import math
import re
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ir_harness.errors import ConfigError, HarnessError
from ir_harness.reproduce.artifacts import (
    StageCheck,
    compare_labels,
    compare_runs,
    compare_sts,
    metric_deltas,
)
from ir_harness.reproduce.data_check import data_differences, refuse_on_differences
from ir_harness.reproduce.environment import environment_changes, stage_config_changes
from ir_harness.reproduce.offline import missing_models
from ir_harness.store.results import METADATA_FILE, METRICS_FILE, MetricsRecord, RunMetadata

# Artifact file -> what kind of result it is (a family aggregate stores members.json).
ARTIFACTS = {
    "run.trec": "ranking",
    "sts_scores.tsv": "sts",
    "labels.txt": "judge",
    "members.json": "family aggregate",
}


class NotReproducibleError(HarnessError):
    """This stored result cannot be re-run here (the reason is the message)."""


@dataclass
class Reproduction:
    """What a reproduction found; ``identical`` when no output and no per-query value moved."""

    result_dir: Path
    scratch: Path
    kind: str
    metric: str
    stored_score: float
    new_score: float
    environment: list[str]
    settings: list[str]
    checks: list[StageCheck]
    deltas: list[tuple[str, float, float, float]]
    agreement: dict[str, Any] = field(default_factory=dict)
    spread: dict[str, float] | None = None

    @property
    def first_moved(self) -> str | None:
        return next((c.stage for c in self.checks if c.moved), None)

    @property
    def identical(self) -> bool:
        return self.first_moved is None and not self.deltas and not self.spread_nonzero

    @property
    def spread_nonzero(self) -> bool:
        return bool(self.spread) and any(v > 0 for v in (self.spread or {}).values())

    def to_json(self) -> dict[str, Any]:
        """Every finding as plain JSON, what ``harness reproduce --json`` prints."""
        return {
            "result_dir": str(self.result_dir),
            "scratch": str(self.scratch),
            "kind": self.kind,
            "identical": self.identical,
            "metric": self.metric,
            "stored_score": self.stored_score,
            "new_score": self.new_score,
            "first_moved": self.first_moved,
            "environment": self.environment,
            "settings": self.settings,
            "checks": [c.__dict__ for c in self.checks],
            "deltas": [
                {"query": q, "stored": a, "new": b, "delta": d} for q, a, b, d in self.deltas
            ],
            "agreement": self.agreement,
            "spread": self.spread,
        }


def load_stored(result_dir: Path) -> tuple[MetricsRecord, RunMetadata, str]:
    """The metrics, metadata and artifact file name of a stored result folder."""
    if not result_dir.is_dir():
        raise ConfigError(f"{result_dir}: no such result folder")
    records = []
    for name, model in ((METRICS_FILE, MetricsRecord), (METADATA_FILE, RunMetadata)):
        path = result_dir / name
        try:
            records.append(model.model_validate_json(path.read_text(encoding="utf-8")))
        except OSError as e:
            raise ConfigError(f"{path}: cannot be read ({e.strerror or e})") from None
        except ValueError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ConfigError(f"{path}: not a stored result record ({first})") from None
    artifact = next((a for a in ARTIFACTS if (result_dir / a).is_file()), None)
    if artifact is None:
        raise ConfigError(f"{result_dir}: holds no artifact ({', '.join(ARTIFACTS)})")
    return records[0], records[1], artifact  # type: ignore[return-value]


def result_kind(meta: RunMetadata, artifact: str) -> str:
    """Result kind (ranking, llm, pipeline, sts, ...) from artifact and config: how to rerun."""
    kind = ARTIFACTS[artifact]
    options = meta.config.get("options") or {}
    if kind == "sts" and options.get("grid") in (True, "true", "True"):
        return "2D Matryoshka grid"
    if kind == "ranking":
        if any(k == "llm" or k.endswith(".llm") for k in options):
            return "llm"
        if len(meta.stages) > 1:
            return "pipeline"
    return kind


def _in_process(value: Any) -> Any:
    """An oracle served over HTTP (its server is gone) becomes the same oracle in process."""
    from ir_harness.llm.oracle.spec import oracle_part

    if isinstance(value, str) and value.startswith("openai:") and oracle_part(value):
        return oracle_part(value)
    return value


def stored_data_dir(meta: RunMetadata, default: Path | None = None) -> Path | None:
    """``--data-dir`` of the stored command if that folder exists here, else ``default`` (the
    command line passes ``$HARNESS_DATA_DIR``)."""
    try:
        argv = shlex.split(meta.command)
    except ValueError:
        argv = []
    for i, a in enumerate(argv):
        value = argv[i + 1] if a == "--data-dir" and i + 1 < len(argv) else None
        if a.startswith("--data-dir="):
            value = a.split("=", 1)[1]
        if value and Path(value).expanduser().is_dir():
            return Path(value).expanduser()
    return default


def rerun_settings(
    meta: RunMetadata,
    data_dir: Path | None,
    device: str | None,
    default_data_dir: Path | None = None,
) -> dict[str, Any]:
    """The ``evaluate`` arguments that make the stored result again (``data_dir`` None: the
    stored command's, else ``default_data_dir``)."""
    cfg = meta.config
    if "system" not in cfg or "task" not in cfg:
        raise NotReproducibleError("its metadata records no task and system to re-run")
    task = re.sub(r"\[qrels=[^\]]*\]$", "", str(cfg["task"]))
    qrels_from = cfg.get("qrels_from")
    if qrels_from and not Path(qrels_from).is_file():
        raise NotReproducibleError(
            f"it was scored against --qrels-from {qrels_from}, not found here"
        )
    options = {k: _in_process(v) for k, v in (cfg.get("options") or {}).items()}
    stored_device = str(meta.hardware.get("device") or "auto")
    # the batch sizes it ran with (older results record none: the defaults, as they ran then)
    batching = {
        k: v
        for k, v in (meta.batching or {}).items()
        if k in ("batch_size", "query_batch") and isinstance(v, int) and not isinstance(v, bool)
    }
    # the LLM fault settings it ran with (timeout, attempts), where recorded
    policy = {}
    if meta.llm_policy:
        from dataclasses import fields

        from ir_harness.run.config import LLMPolicy

        known = {f.name for f in fields(LLMPolicy)}
        policy = {
            "llm_policy": LLMPolicy(**{k: v for k, v in meta.llm_policy.items() if k in known})
        }
    return {
        **batching,
        **policy,
        "system": cfg["system"],
        "task": task,
        "options": options,
        "limit_queries": cfg.get("limit_queries"),
        "seed": meta.seed,
        "qrels_from": Path(qrels_from) if qrels_from else None,
        "data_dir": data_dir if data_dir is not None else stored_data_dir(meta, default_data_dir),
        "device": device or stored_device,
    }


def check_data_before(meta: RunMetadata, settings: dict[str, Any], result_dir: Path) -> None:
    """Refuse before running when the task's data at hand is not the recorded data."""
    from ir_harness.data.identity import data_identity, queries_sha256
    from ir_harness.run.context import default_cache_dir
    from ir_harness.self_running import SelfRunningTask
    from ir_harness.task import get_task, limit_queries

    task, subset = get_task(settings["task"])
    if isinstance(task, SelfRunningTask):
        return  # checked after the run, from the identity the task records
    spec = task.spec(subset)
    data = limit_queries(task.load(subset, settings["data_dir"]), settings["limit_queries"])
    config = {"corpus_hash": data.corpus.content_hash, "n_queries": len(data.queries)}
    ident = data_identity(
        spec,
        settings["data_dir"],
        None if settings["qrels_from"] else data.qrels,
        default_cache_dir(),
    )
    ident["queries_sha256"] = queries_sha256(data.queries)
    refuse_on_differences(result_dir, data_differences(meta, config, ident))


def _evaluate(settings: dict[str, Any], results: Path, cache_dir: Path | None, command: str) -> Any:
    from ir_harness.api import evaluate

    s = dict(settings)
    system, task, options = s.pop("system"), s.pop("task"), s.pop("options")
    extra = {"cache_dir": cache_dir} if cache_dir else {}
    return evaluate(  # type: ignore[call-overload]
        system, task, options=options or None, results=results, command=command, **s, **extra
    )


# flags of a stored command that the re-run sets itself (flag -> takes a value)
_RERUN_SETS = {"--results": True, "--data-dir": True, "--device": True, "--json": False}


@dataclass
class _CommandRerun:
    """A result re-made by its stored command, read back from the folder that command wrote."""

    path: Path
    record: MetricsRecord
    metadata: RunMetadata

    @property
    def per_query(self) -> dict[str, dict[str, float]]:
        return self.record.per_query

    @property
    def main_score(self) -> float:
        return self.record.main_score


def rerun_argv(command: str, settings: dict[str, Any], results: Path) -> list[str]:
    """The stored ``harness`` command's arguments with results, data folder, device and batch
    size pointed at this re-run (``--json`` dropped: the result is read back from its folder)."""
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = []
    if len(argv) < 2 or argv[0] != "harness":
        raise NotReproducibleError(f"its stored command {command!r} is not a harness command")
    args, i = [], 1
    while i < len(argv):
        flag = argv[i].split("=", 1)[0]
        if flag in _RERUN_SETS:
            i += 1 + (_RERUN_SETS[flag] and "=" not in argv[i])
            continue
        args.append(argv[i])
        i += 1
    args += ["--results", str(results), "--device", str(settings["device"])]
    if settings["data_dir"] is not None:
        args += ["--data-dir", str(settings["data_dir"])]
    if "batch_size" in settings and "--batch-size" not in args:
        args += ["--batch-size", str(settings["batch_size"])]
    return args


def _rerun_command(meta: RunMetadata, settings: dict[str, Any], results: Path) -> _CommandRerun:
    """Run the stored command again (a result made by a command of its own, not by ``run``)
    and read the result it wrote."""
    import subprocess
    import sys

    args = rerun_argv(meta.command, settings, results)
    # in a process of its own: the CLI imports this module (no cycle), and a command's prints
    # stay out of this one's output
    cli = "from ir_harness.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", cli, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise HarnessError(f"re-running `harness {shlex.join(args)}` failed: {last}")
    written = sorted(results.glob(f"*/*/{METADATA_FILE}"))
    if len(written) != 1:
        raise HarnessError(f"re-running {shlex.join(args)} wrote {len(written)} results, not 1")
    record, new_meta, _ = load_stored(written[0].parent)
    return _CommandRerun(written[0].parent, record, new_meta)


def _compare_artifacts(
    artifact: str, stored: Path, new: Path
) -> tuple[list[StageCheck], dict[str, Any]]:
    if artifact == "run.trec":
        return compare_runs(stored / artifact, new / artifact)
    if artifact == "sts_scores.tsv":
        return compare_sts(stored / artifact, new / artifact), {}
    return compare_labels(stored / artifact, new / artifact), {}


def _spread(runs: list[MetricsRecord], metric: str) -> dict[str, float]:
    """Per query: the largest minus the smallest value over the runs (NaN counts as a value)."""
    out = {}
    for q in sorted(set().union(*(set(r.per_query.get(metric, {})) for r in runs))):
        vals = [r.per_query.get(metric, {}).get(q, math.nan) for r in runs]
        finite = [v for v in vals if not math.isnan(v)]
        out[q] = (
            (max(finite) - min(finite))
            if len(finite) == len(vals)
            else (0.0 if not finite else math.inf)
        )
    return out


def reproduce(
    result_dir: Path,
    scratch: Path | None = None,
    repeat: int = 1,
    data_dir: Path | None = None,
    device: str | None = None,
    default_data_dir: Path | None = None,
) -> Reproduction:
    """Re-run ``result_dir`` (``repeat`` times) under ``scratch`` and compare with the stored one.

    ``data_dir`` None reads the stored command's ``--data-dir`` when it exists here, else
    ``default_data_dir``.

    Raises ``NotReproducibleError`` (with the reason) for a result that cannot be re-run here and
    ``DataMismatchError`` when the data at hand is not the recorded data."""
    from ir_harness.run.context import default_cache_dir

    result_dir = Path(result_dir)
    metrics, meta, artifact = load_stored(result_dir)
    kind = result_kind(meta, artifact)
    if kind == "family aggregate":
        raise NotReproducibleError(
            "a family aggregate is the mean of its member results: reproduce each member "
            f"result (listed in {result_dir / artifact}) instead"
        )
    if repeat < 1:
        raise ConfigError(f"--repeat {repeat}: expected at least 1")
    scratch = Path(scratch) if scratch else Path(tempfile.mkdtemp(prefix="harness-reproduce-"))
    stored_root = result_dir.resolve()
    if scratch.resolve() == stored_root.parent.parent or stored_root.is_relative_to(
        scratch.resolve()
    ):
        raise ConfigError(f"--results {scratch}: holds the stored result; choose an empty folder")
    settings = rerun_settings(meta, data_dir, device, default_data_dir)
    if missing := missing_models(meta):
        raise NotReproducibleError(f"{result_dir}: it cannot run here: {'; '.join(missing)}")
    check_data_before(meta, settings, result_dir)
    command = shlex.join(["harness", "reproduce", str(result_dir)])
    # a grid is made by its own command, not by ``evaluate``: that command is run again
    by_command = kind == "2D Matryoshka grid"
    runs = [
        _rerun_command(meta, settings, scratch / f"run-{i + 1}")
        if by_command
        else _evaluate(settings, scratch / f"run-{i + 1}", None, command)
        for i in range(repeat)
    ]
    first = runs[0]
    refuse_on_differences(
        result_dir, data_differences(meta, first.metadata.config, first.metadata.data)
    )
    checks, agreement = _compare_artifacts(artifact, result_dir, first.path)
    metric = metrics.main_metric
    deltas = metric_deltas(metrics.per_query, first.per_query, metric)
    moved = any(c.moved for c in checks) or bool(deltas)
    upstream: list[StageCheck] = []
    if moved and by_command:
        note = "a grid encodes every text in its own pass: no cached stage output to compare"
        upstream = [StageCheck("embeddings", "not checked", note)]
    elif moved:
        upstream = _diagnose_caches(settings, scratch, command, default_cache_dir())
    rep = Reproduction(
        result_dir=result_dir,
        scratch=scratch,
        kind=kind,
        metric=metric,
        stored_score=metrics.main_score,
        new_score=first.main_score,
        environment=environment_changes(meta, first.metadata),
        settings=stage_config_changes(meta, first.metadata),
        checks=upstream + checks,
        deltas=deltas,
        agreement=agreement,
        spread=_spread([r.record for r in runs], metric) if repeat > 1 else None,
    )
    if repeat > 1:
        from ir_harness.reproduce.determinism import record_determinism

        record_determinism(result_dir, repeat, metric, rep.spread or {})
    return rep


def _diagnose_caches(
    settings: dict[str, Any], scratch: Path, command: str, used_cache: Path
) -> list[StageCheck]:
    """Re-run with an empty cache and compare the caches: did an upstream output move?"""
    from ir_harness.llm.oracle.spec import is_oracle
    from ir_harness.reproduce.caches import compare_embeddings, compare_llm_answers

    llms = [v for k, v in settings["options"].items() if k == "llm" or k.endswith(".llm")]
    real = [v for v in llms if not is_oracle(v)]
    if real:
        note = f"a fresh answer would ask {real[0]} again; cached answers were used"
        return [StageCheck("llm answers", "not checked", note)]
    fresh_cache = scratch / "fresh-cache"
    _evaluate(settings, scratch / "fresh", fresh_cache, command)
    checks = [compare_embeddings(used_cache, fresh_cache)]
    if llms:
        checks.append(compare_llm_answers(used_cache, fresh_cache))
    return checks
