"""Build the static leaderboard: result store -> ``summary.json`` -> Jinja2 HTML.

The pages are rendered only from the summary JSON written first (HELM's split), so the website
computes no scores. Names are escaped by Jinja2's autoescaping and JSON inside pages by
``tojson``; the browser script only sorts, filters and toggles prepared views. Every script,
style and harness-written result file (metrics, metadata, artefact; never another file of the
folder) is copied into the site, so it opens from disk or any static host offline.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ir_harness.errors import ConfigError
from ir_harness.leaderboard import plots
from ir_harness.leaderboard.summary import published_files, summarise
from ir_harness.leaderboard.sweeps import sparkline
from ir_harness.store.results import METADATA_FILE, METRICS_FILE, RunMetadata

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
SUMMARY_FILE = "summary.json"
VEGA_SCRIPTS = ("vega-6.4.0.min.js", "vega-lite-6.4.1.min.js", "vega-embed-7.3.0.min.js")


def fmt_score(v: Any) -> str:
    """A score cell: four decimals, as trec_eval prints them; an en dash where there is no value."""
    return "–" if v is None else f"{v:.4f}"


def fmt_num(v: Any) -> str:
    """Seconds, counts and the like: three significant digits, no scientific notation for ≥ 1."""
    if v is None:
        return "–"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 1):
        return f"{int(v):,}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:,.2f}"


def urlpath(p: str) -> str:
    """A path or anchor percent-encoded for an ``href`` (names may hold characters a URL reserves),
    its ``/`` kept as the path separator."""
    return quote(p, safe="/")


def _default_baseline(task: dict[str, Any]) -> str:
    """A lexical system if there is one (the usual reference), else the weakest system."""
    for r in task["results"]:
        if r["kinds"] == ["lexical"] and not any(r["flags"].values()):
            return r["row"]
    return task["results"][-1]["row"]


def _marks(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """metric -> system -> what to mark in that cell (best, worse than best, vs each baseline)."""
    out: dict[str, dict[str, Any]] = {}
    for m, entry in task["significance"]["by_metric"].items():
        best = entry["best"]
        cells: dict[str, Any] = {}
        for base, comps in entry["baselines"].items():
            for sys, c in comps.items():
                cell = cells.setdefault(sys, {"best": False, "below_best": None, "vs": []})
                if c["significant"]:
                    cell["vs"].append((base, c["direction"], c["p_holm"]))
                if base == best and c["significant"] and c["direction"] == "worse":
                    cell["below_best"] = c["p_holm"]
        if best is not None:  # None: every row is partial or scored on its training queries
            cells.setdefault(best, {"best": False, "below_best": None, "vs": []})["best"] = True
        out[m] = cells
    return out


def render(summary: dict[str, Any], out: Path) -> Path:
    """Write every page of the site into ``out`` from a summary document."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("ir_harness.leaderboard", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(score=fmt_score, num=fmt_num, urlpath=urlpath, spark=sparkline)
    tasks = summary["tasks"]
    results = [r for t in tasks for r in t["results"]]
    kinds = list(summary["kinds"])
    for r in results:
        kinds += [k for k in r["kinds"] if k not in kinds]
    # the overview's rows: each system, except that an oracle sweep is one row (its curve)
    sweeps = summary.get("sweeps", [])
    listed = [s for s in summary["systems"] if not s.get("sweep")]
    kind_counts = {k: sum(1 for s in [*listed, *sweeps] if k in s["kinds"]) for k in kinds}

    task_plots: dict[str, dict[str, Any]] = {}
    for t in tasks:
        task_plots[t["slug"]] = {
            "cost": plots.quality_vs_cost(t),
            "dist": {m: plots.distribution(t, m) for m in t["metrics"]},
        }
    sections = plots.registered_sections(summary)
    has_plots = bool(sections or any(p["cost"] for p in task_plots.values()))
    common = {
        "summary": summary,
        "kinds": kinds,
        "kind_counts": kind_counts,
        "has_plots": has_plots,
        "vega_scripts": VEGA_SCRIPTS,
    }

    def write(name: str, template: str, **ctx: Any) -> None:
        html = env.get_template(template).render(**common, page=name, **ctx)
        (out / name).write_text(html, encoding="utf-8")

    by_family = {
        f["family"]: [t for t in tasks if t["family"] == f["family"]] for f in summary["families"]
    }
    best = {
        f["family"]: {
            m: max(
                (
                    sc[m]["mean"]
                    for name, sc in f["scores"].items()
                    if m in sc
                    and not sc[m].get("trained")  # trained on the evaluated queries
                    and name not in f.get("simulated", ())
                ),
                default=None,
            )
            for m in summary["metrics"]
        }
        for f in summary["families"]
    }
    write("index.html", "index.html", by_family=by_family, best=best, listed=listed, sweeps=sweeps)
    for t in tasks:
        write(
            f"task-{t['slug']}.html",
            "task.html",
            task=t,
            marks=_marks(t),
            default_baseline=_default_baseline(t),
            plots=task_plots[t["slug"]],
        )
    for s in summary["systems"]:
        rs = [r for r in results if r["system"] == s["system"]]
        write(f"system-{s['slug']}.html", "system.html", system=s, results=rs)
    if has_plots:
        write("plots.html", "plots.html", sections=sections, task_plots=task_plots)
    return out / "index.html"


def _replace_dir(tmp: Path, out: Path) -> None:
    """Swap a fully built site into place; refuse to delete a folder that is not a site."""
    if out.exists():
        _check_out(out)
        old = out.parent / f".{out.name}.old-{tmp.name[-8:]}"
        out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            old.rename(out)  # put the previous site back rather than leave none
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, expected a site folder (or a new name)")
    if out.exists() and any(out.iterdir()) and not (out / SUMMARY_FILE).exists():
        raise ConfigError(f"{out} exists and is not a leaderboard site; choose another --out")


def _check_results(results: Path, out: Path) -> None:
    """A missing results folder is a typo; an empty one must not wipe a site that has results."""
    if not results.exists():
        raise ConfigError(f"--results {results}: no such folder; the site was not changed")
    if not results.is_dir():
        raise ConfigError(f"--results {results}: is a file, expected the results folder")
    if any(results.glob(f"*/*/{METRICS_FILE}")):
        return
    if (out / SUMMARY_FILE).is_file() and any((out / "files").glob("*/*")):
        raise ConfigError(
            f"--results {results} holds no results; refusing to replace the site {out}, which has"
            " some (build into a new --out to get an empty site)"
        )


def _publish(folder: Path, task_dir: Path) -> None:
    """Copy the files the harness wrote for one result (never a link's target, never a file
    someone else put in the folder) under the names the site links to."""
    meta = RunMetadata.model_validate_json((folder / METADATA_FILE).read_text(encoding="utf-8"))
    dst = task_dir / folder.name
    dst.mkdir(parents=True, exist_ok=True)
    for src, name in published_files(folder, meta).items():
        if (folder / src).is_symlink():
            log.warning("not copying %s into the site: it is a symbolic link", folder / src)
            continue
        shutil.copyfile(folder / src, dst / name)


# The row each diff page compares against: the task's lexical baseline (a one-stage lexical
# retriever, the first by row name), named by its kind so no system is named here.
DIFF_BASELINE_KINDS = ["lexical"]


def _diff_pages(summary: dict[str, Any], site: Path) -> None:
    """One ``harness diff`` page per row against its task's lexical baseline (BM25 where it ran),
    from the published files.

    Read from the copies in the site (metrics JSON and run file), so a page shows only what the
    site publishes; the task's data is not loaded, so top lists carry no judgments. The page
    names go into the summary (``task["diffs"]``: row -> page) before it is written.
    """
    from ir_harness.eval.run_diff import diff_runs
    from ir_harness.eval.run_diff_page import diff_page
    from ir_harness.reproduce.artifacts import read_ranked

    for t in summary["tasks"]:
        t["diffs"] = {}
        lexical = [r for r in t["results"] if r["kinds"] == DIFF_BASELINE_KINDS and r["primary"]]
        base = min(lexical, key=lambda r: r["row"], default=None)
        t["diff_baseline"] = base["row"] if base is not None else None
        if base is None or not str(base["files"]["run"] or "").endswith(".trec.txt"):
            continue
        m = t["main_metric"]

        def load(
            r: dict[str, Any], m: str = m
        ) -> tuple[dict[str, float], dict[str, list[str]]] | None:
            pq = json.loads((site / r["files"]["metrics"]).read_text(encoding="utf-8"))
            values = (pq.get("per_query") or {}).get(m)
            if not values or not str(r["files"]["run"] or "").endswith(".trec.txt"):
                return None
            ranked = read_ranked(site / r["files"]["run"])
            return values, {q: [d for d, _ in docs] for q, docs in ranked.items()}

        b = load(base)
        if b is None:
            continue
        for r in t["results"]:
            if r is base or (other := load(r)) is None:
                continue
            d = diff_runs((base["row"], r["row"]), (b[0], other[0]), (b[1], other[1]), m)
            scope = r["anchor"][len(f"r-{t['slug']}") :]
            name = f"diff-{t['slug']}--{r['system_slug']}{scope}.html"
            (site / name).write_text(diff_page(d), encoding="utf-8")
            t["diffs"][r["row"]] = name


def build(results: Path, out: Path) -> Path:
    """Summarise ``results`` into ``out/summary.json``, then render the site from that file.

    An ``out`` that is a symbolic link stays that link: the site is swapped in at the folder it
    points to (the end of a chain of links), so a web root linked to a site folder keeps
    serving through its link and nothing is left beside either."""
    results, given = Path(results), Path(out)
    out = Path(os.path.realpath(given)) if given.is_symlink() else given
    _check_out(out)
    _check_results(results, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.new-"))
    tmp.chmod(0o755)  # mkdtemp makes it private; a static host must be able to read the site
    try:
        summary = summarise(results)
        for t in summary["tasks"]:
            for r in t["results"]:
                _publish(results / r["source_folder"], tmp / "files" / t["slug"])
        shutil.copytree(STATIC, tmp / "static", ignore=shutil.ignore_patterns("*.md"))
        _diff_pages(summary, tmp)
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=1), encoding="utf-8")
        # Render from the file just written, so the pages can only show what the summary holds.
        render(json.loads((tmp / SUMMARY_FILE).read_text(encoding="utf-8")), tmp)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return given / "index.html"
