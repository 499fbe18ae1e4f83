"""Build the static leaderboard: store -> versioned summary JSON -> Jinja2 HTML.

The pages compute no scores: every number is read from the summary, which is read from the
result store. Names are HTML-escaped by Jinja2's autoescaping. Run files and metric JSON are
copied next to the pages so every number links to its evidence, with no network needed.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.io import atomic_write_text
from harness.store import METADATA_FILE, METRICS_FILE, RUN_FILE, iter_results, slug

SUMMARY_VERSION = 1


def summarise(results: Path) -> dict[str, Any]:
    tasks: dict[str, dict[str, Any]] = {}
    for metrics, meta, folder in iter_results(results):
        t = tasks.setdefault(
            metrics.task,
            {
                "task": metrics.task,
                "main_metric": metrics.main_metric,
                "metrics": [],
                "systems": [],
            },
        )
        for m in metrics.metrics:
            if m not in t["metrics"]:
                t["metrics"].append(m)
        stage = meta.stages[0] if meta.stages else None
        t["systems"].append(
            {
                "system": metrics.system,
                "kind": stage.kind if stage and len(meta.stages) == 1 else "pipeline",
                "backbone": " > ".join(s.backbone for s in meta.stages),
                "backend": " > ".join(s.backend for s in meta.stages),
                "main_score": metrics.main_score,
                "metrics": metrics.metrics,
                "n_queries": metrics.n_queries,
                "command": meta.command,
                "git_sha": meta.git_sha,
                "created_at": meta.created_at,
                "seconds_per_query": meta.timings.get("per_query_s"),
                "total_seconds": meta.timings.get("total_s"),
                "files": {
                    "run": f"{slug(metrics.task)}/{folder.name}/{RUN_FILE}",
                    "metrics": f"{slug(metrics.task)}/{folder.name}/{METRICS_FILE}",
                    "metadata": f"{slug(metrics.task)}/{folder.name}/{METADATA_FILE}",
                },
                "_folder": str(folder),
            }
        )
    for t in tasks.values():
        t["systems"].sort(key=lambda s: -s["main_score"])
        t["slug"] = slug(t["task"])
    return {
        "summary_version": SUMMARY_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tasks": [tasks[k] for k in sorted(tasks)],
    }


def build(results: Path, out: Path) -> Path:
    from jinja2 import Environment, PackageLoader, select_autoescape

    summary = summarise(results)
    out.mkdir(parents=True, exist_ok=True)
    files_dir = out / "files"
    for t in summary["tasks"]:
        for s in t["systems"]:
            src = Path(s.pop("_folder"))
            dst = files_dir / t["slug"] / src.name
            dst.mkdir(parents=True, exist_ok=True)
            for name in (RUN_FILE, METRICS_FILE, METADATA_FILE):
                shutil.copy2(src / name, dst / name)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=1))
    env = Environment(
        loader=PackageLoader("leaderboard", "templates"), autoescape=select_autoescape(["html"])
    )
    by_family: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in summary["tasks"]:
        by_family[t["task"].split("/")[0]].append(t)
    atomic_write_text(
        out / "index.html",
        env.get_template("index.html").render(summary=summary, families=dict(by_family)),
    )
    for t in summary["tasks"]:
        atomic_write_text(
            out / f"task-{t['slug']}.html",
            env.get_template("task.html").render(summary=summary, task=t),
        )
    return out / "index.html"
