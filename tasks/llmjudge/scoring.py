"""Scoring a judge's labels: agreement with the human labels and, on test, system ranking."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError, DataFormatError
from ir_harness.tasks.llmjudge.agreement import agreement, kappa_as_submitted
from ir_harness.tasks.llmjudge.data import human_labels, load_pool
from ir_harness.tasks.llmjudge.labels import Labels, Pair, labels_to_qrels, read_labels
from ir_harness.tasks.llmjudge.runset import (
    offline_run_set,
    ranking_agreement,
    run_fingerprints,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ir_harness.data.model import Run

log = logging.getLogger("ir_harness.tasks.llmjudge")

# The task's own settings (``$HARNESS_LLMJUDGE_<NAME>`` at the command line).
SETTINGS = ("ranking", "run_set", "strict")


@dataclass(frozen=True)
class JudgeSettings:
    """``ranking``: score the system ranking (tau/rho) on test; ``run_set``: a folder of extra
    runs for it; ``strict``: reject grades outside 0-3 with the line instead of clipping."""

    ranking: bool = True
    run_set: Path | None = None
    strict: bool = False

    @classmethod
    def parse(cls, text: Mapping[str, str]) -> JudgeSettings:
        """From the settings as text (``{"ranking": "0", "run_set": "DIR", "strict": "1"}``)."""
        if unknown := sorted(set(text) - set(SETTINGS)):
            raise ConfigError(f"llmjudge: unknown setting(s) {', '.join(unknown)}")
        run_set = text.get("run_set")
        return cls(
            ranking=text.get("ranking", "1") != "0",
            run_set=Path(run_set) if run_set else None,
            strict=text.get("strict", "0") == "1",
        )


def score_labels(
    labels: Labels,
    human: dict[Pair, int],
    data_dir: Path | None,
    subset: str,
    ranking: bool = True,
    runs: dict[str, Run] | None = None,
    extra_pairs: int = 0,
    source: str = "",
    run_set: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Agreement (and, on test, system-ranking) scores of ``labels`` against ``human``.

    ``extra_pairs``: labels the judge gave for pairs outside the evaluation set (dropped).
    ``source``: where the labels came from, for warnings and errors.
    ``ranking``: also score the system ranking (test only); ``run_set``: a folder of extra
    runs for tau/rho (default: none; the command line passes ``$HARNESS_LLMJUDGE_RUN_SET``).
    """
    labelled = sum(1 for p in human if p in labels.grades)
    if human and labelled == 0:
        raise DataFormatError(
            source or "judge labels",
            None,
            f"labels none of the {len(human)} evaluation pairs; kappa and alpha would mean nothing",
            "one label per evaluation pair: query-id 0 passage-id grade",
        )
    metrics = agreement(human, labels.grades)
    missing = len(human) - labelled
    extra: dict[str, Any] = {
        "n_pairs": len(human),
        "missing_pairs": missing,
        "missing_pairs_policy": "grade 0 for kappa, missing for alpha (organisers' scorer)",
        "extra_pairs": extra_pairs,
        "clipped_labels": len(labels.out_of_range),
        "clipped_lines": labels.clipped_lines[:20],
        "out_of_range_grades": dict(sorted(Counter(labels.out_of_range.values()).items())),
        "alpha_level": "ordinal",
        "label_counts": dict(sorted(Counter(labels.grades.values()).items())),
    }
    warnings = []
    if labels.out_of_range:
        extra["cohen_kappa_as_submitted"] = kappa_as_submitted(human, labels)
        warnings.append(
            f"{len(labels.out_of_range)} label(s) outside 0-3 clipped into 0-3 (organisers' "
            f"convention); kappa on the labels as submitted: {extra['cohen_kappa_as_submitted']:.5f}"
        )
    if missing:
        warnings.append(
            f"{missing} of {len(human)} pairs have no label (grade 0 for kappa, missing for alpha)"
        )
    if extra_pairs:
        warnings.append(f"{extra_pairs} label(s) for pairs outside the evaluation set ignored")
    extra["warnings"] = warnings
    for w in warnings:
        log.warning("llmjudge%s: %s", f" ({source})" if source else "", w)
    if ranking and subset == "":
        data = load_pool(data_dir)
        desc = "given runs"
        if runs is None:
            runs, desc = offline_run_set(data, run_set)
        ra = ranking_agreement(runs, data.qrels, labels_to_qrels(labels.grades))
        metrics["kendall_tau"] = ra["kendall_tau"]
        metrics["spearman_rho"] = ra["spearman_rho"]
        extra["run_set"] = desc
        extra["run_set_files"] = run_fingerprints(runs)
        extra["ranking_metric"] = ra["metric"]
        extra["per_run"] = ra["per_run"]
    else:
        extra["run_set"] = "none (system ranking skipped)"
    return metrics, extra


def score_label_file(
    path: Path,
    data_dir: Path | None,
    subset: str = "",
    ranking: bool = True,
    run_set: Path | None = None,
    strict: bool = False,
) -> tuple[dict[str, float], dict[str, Any]]:
    """A judge's label file scored against the human labels of ``subset``: a label for a pair
    outside the set is an error, grades outside 0-3 are clipped unless ``strict``."""
    human, src = human_labels(data_dir, subset)
    labels = read_labels(path, pairs=set(human), strict=strict)
    metrics, extra = score_labels(
        labels, human, data_dir, subset, ranking, source=str(path), run_set=run_set
    )
    extra["human_labels"] = str(src)
    return metrics, extra


def score_submissions(
    folder: Path, data_dir: Path | None, ranking: bool = False
) -> list[dict[str, Any]]:
    """Every ``*.txt`` label file in ``folder`` scored side by side, best kappa first."""
    rows = []
    for f in sorted(Path(folder).glob("*.txt")):
        m, extra = score_label_file(f, data_dir, "", ranking=ranking)
        rows.append({"run": f.stem, **m, "clipped_labels": extra["clipped_labels"]})
    return sorted(rows, key=lambda r: -r["cohen_kappa"])
