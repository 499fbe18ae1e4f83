"""Summarise the result store into one versioned JSON document (HELM's summarise/render split).

Everything the website shows is decided here: family averages, per-query distributions,
significance (paired tests + Holm, via ``ir_harness.eval.compare``), Pareto fronts and costs. The
renderer only formats these numbers; the browser only sorts, filters and toggles views.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.errors import ConfigError
from ir_harness.eval.compare import best_basis, compare, flags, task_query_count
from ir_harness.eval.confidence import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    bootstrap_interval,
    minimum_detectable_effect,
)
from ir_harness.eval.family_mean import family_mean
from ir_harness.eval.holes import JUDGED_AT_10, hole_warning, low_judged
from ir_harness.leaderboard.sweeps import oracle_sweep_rows
from ir_harness.store.results import (
    METADATA_FILE,
    METRICS_FILE,
    RUN_FILE,
    Result,
    iter_results,
    slug,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pathlib import Path

    from ir_harness.store.results import MetricsRecord, RunMetadata

SUMMARY_VERSION = 2
KINDS = ("lexical", "dense", "reranker", "llm", "trained", "oracle")
ALPHA = 0.05
# Randomization tests cost ~1.5e-5 s per query per comparison; above this many
# query-comparisons per task the cheaper paired t-test is used (and named in the summary).
RANDOMIZATION_BUDGET = 1_000_000
DIM_KEYS = ("dim", "dimension", "embedding_dim", "truncate_dim", "dims", "output_dim")


def family_of(task: str) -> str:
    """The family part of a task name (``beir/scifact`` -> ``beir``), by which the overview groups
    tasks."""
    return task.split("/")[0]


def _clean(x: Any) -> Any:
    """JSON-safe copy: NaN/inf become None so browsers can parse the summary."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        return _clean(x.item())
    return x


def _kinds(meta: RunMetadata) -> list[str]:
    out: list[str] = []
    for st in meta.stages:
        if st.kind not in out:
            out.append(st.kind)
    return out or ["other"]


def _simulated(meta: RunMetadata) -> bool:
    """A stage's answers came from the oracle LLM (the qrels): never "best" among real systems."""
    return any(st.kind == "oracle" for st in meta.stages)


def _oracle(meta: RunMetadata) -> dict[str, Any] | None:
    """The oracle's noise, seed and flip, read from its canonical label (any transport)."""
    from ir_harness.llm.oracle.spec import oracle_part, parse_oracle

    for st in meta.stages:
        if st.kind != "oracle":
            continue
        llm = st.parameters.get("llm") or {}
        for text in (llm.get("model"), llm.get("spec")):
            part = oracle_part(str(text)) if text else None
            if part is None:
                continue
            try:
                o = parse_oracle(part)
            except ConfigError:
                continue
            return {"noise": o.noise, "seed": o.seed, "flip": o.flip, "label": o.name}
    return None


def made_by(command: str, call: dict[str, Any] | None) -> dict[str, str]:
    """What made a result, as the site shows it: the command line, or the Python API call written
    as a call (``ir_harness.evaluate(system='dense', tasks=['nfcorpus'])``); the text is escaped
    where it is rendered, never here."""
    if command or not call:
        return {"kind": "command", "text": command or "(not recorded)"}
    args = {k: v for k, v in call.items() if k != "function"}
    given = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return {"kind": "API call", "text": f"{call.get('function', 'ir_harness.evaluate')}({given})"}


def _dimension(meta: RunMetadata) -> int | None:
    """Embedding dimension from the last stage that declares one (LIMIT plot x-axis)."""
    for st in reversed(meta.stages):
        for k in DIM_KEYS:
            v = st.parameters.get(k)
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
                return int(v)
    return None


def _cost(metrics: MetricsRecord, meta: RunMetadata) -> dict[str, float | None]:
    """Time and LLM usage per query: the counters tagged as LLM calls or tokens, divided by n."""
    n = max(1, metrics.n_queries)
    t = meta.timings
    cost: dict[str, float | None] = {
        "per_query_s": t.get("per_query_s"),
        "total_s": t.get("total_s"),
        "encode_s": t.get("index_s", t.get("encode_s")),
        "encoded_documents": meta.stats.get("encoded_documents"),
        "llm_calls_per_query": None,
        "tokens_per_query": None,
    }
    calls = _counters(meta, "llm_calls")
    tokens = _counters(meta, "llm_tokens")
    if calls:
        cost["llm_calls_per_query"] = sum(calls) / n
    if tokens:
        cost["tokens_per_query"] = sum(tokens) / n
    return cost


_WINDOW_FIELDS = (
    ("repaired", "windows_repaired"),
    ("unchanged", "windows_unchanged"),
    ("unusable", "windows_unusable"),
)


def _tags(meta: RunMetadata) -> dict[str, tuple[str, str]]:
    """Counter -> (kind, stage), from the result's ``stat_tags``; results stored before tags
    existed are read by their counters' names, as before (``_legacy_tag``)."""
    if meta.stat_tags:
        return {k: (t.kind, t.stage) for k, t in meta.stat_tags.items()}
    return {k: t for k in meta.stats if (t := _legacy_tag(k)) is not None}


def _legacy_tag(key: str) -> tuple[str, str] | None:
    """Untagged (older) results, read as the summary read them before tags: ``{stage}_windows``
    families, then any counter whose name holds "call" or "token"."""
    for suffix, kind in (
        ("_repaired_windows", "windows_repaired"),
        ("_windows_unchanged", "windows_unchanged"),
        ("_windows_unusable", "windows_unusable"),
        ("_windows", "windows"),
    ):
        if key.endswith(suffix):
            return (kind, key[: -len(suffix)])
    if "call" in key:
        return ("llm_calls", "")
    if "token" in key:
        return ("llm_tokens", "")
    return None


def _counters(meta: RunMetadata, kind: str) -> list[float]:
    return [
        v
        for k, (kd, _) in _tags(meta).items()
        if kd == kind and isinstance(v := meta.stats.get(k), int | float)
    ]


def _windows(meta: RunMetadata) -> list[dict[str, Any]]:
    """Listwise window outcomes per stage (counters tagged ``windows`` and its repaired /
    unchanged / unusable counts), so a stage that moved nothing is visible; empty otherwise."""
    tags = _tags(meta)
    by_stage = {(st, kind): k for k, (kind, st) in tags.items()}
    out = []
    for k, (kind, stage) in sorted(tags.items()):
        v = meta.stats.get(k)
        if kind != "windows" or not isinstance(v, int):
            continue
        fields = {
            name: meta.stats.get(by_stage.get((stage, kd), "")) for name, kd in _WINDOW_FIELDS
        }
        out.append({"stage": stage, "windows": v, **fields})
    return out


def _distribution(values: dict[str, float]) -> dict[str, float] | None:
    if not values:
        return None
    a = np.array(list(values.values()), dtype=float)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {
        "min": float(a.min()),
        "q1": float(q1),
        "median": float(med),
        "q3": float(q3),
        "max": float(a.max()),
        "mean": float(a.mean()),
        "n": int(a.size),
    }


# Artefact names the built-in tasks write, for results stored before metadata named its artefact.
KNOWN_ARTIFACTS = (RUN_FILE, "labels.txt", "sts_scores.tsv", "members.json")
# Suffixes a browser shows as text or data, never runs; any other artefact is published with
# ".txt" appended, so an unknown type is never sniffed into a page of the site.
INERT_SUFFIXES = (".txt", ".json")


def published_name(name: str) -> str:
    """The name a harness-written file has in the site: one a browser only displays."""
    return name if name.endswith(INERT_SUFFIXES) else f"{name}.txt"


def _artifact(folder: Path, meta: RunMetadata) -> str | None:
    """The run/label file the harness wrote for this result (a plain file, not a link), if any.

    Only a name recorded in the metadata (or, for older results, a built-in name) counts:
    any other file in the folder was put there by someone else and is never published."""
    names = [meta.artifact] if meta.artifact else list(KNOWN_ARTIFACTS)
    for n in names:
        if (
            n not in (METRICS_FILE, METADATA_FILE)
            and "/" not in n
            and (folder / n).is_file()
            and not (folder / n).is_symlink()
        ):
            return n
    return None


def published_files(folder: Path, meta: RunMetadata) -> dict[str, str]:
    """Source name -> site name of every file of a result the site publishes."""
    names = [METRICS_FILE, METADATA_FILE]
    if (art := _artifact(folder, meta)) is not None:
        names.append(art)
    return {n: published_name(n) for n in names}


def _files(folder: Path, task_slug: str, meta: RunMetadata) -> dict[str, Any]:
    """Site-relative links to the files the harness wrote for a result (nothing else)."""
    base = f"files/{task_slug}/{folder.name}"
    art = _artifact(folder, meta)
    return {
        "run": f"{base}/{published_name(art)}" if art else None,
        "metrics": f"{base}/{METRICS_FILE}",
        "metadata": f"{base}/{METADATA_FILE}",
        "all": [f"{base}/{n}" for n in sorted(published_files(folder, meta).values())],
    }


def pareto_front(points: list[tuple[float, float]]) -> list[bool]:
    """True where no other point is at most as costly and at least as good, one strictly."""
    out = []
    for i, (c, s) in enumerate(points):
        dominated = any(
            c2 <= c and s2 >= s and (c2 < c or s2 > s)
            for j, (c2, s2) in enumerate(points)
            if j != i
        )
        out.append(not dominated)
    return out


def _significance(
    records: dict[str, MetricsRecord],
    metrics: list[str],
    alpha: float,
    simulated: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Every row against every possible baseline, per metric, Holm-corrected per family.

    ``records``: row label -> result. Each pair is tested on the queries both rows share; "best"
    is the best full, held-out row (``ir_harness.eval.compare.best_row``), or None when there is none.
    ``simulated`` rows (oracle-LLM runs) never compete for best.
    """
    by_metric: dict[str, dict[str, dict[str, float]]] = {}
    for m in metrics:
        pq = {k: r.per_query[m] for k, r in records.items() if r.per_query.get(m)}
        if len(pq) >= 2:
            by_metric[m] = pq
    work = sum(
        len(pq) * (len(pq) - 1) * max(len(v) for v in pq.values()) for pq in by_metric.values()
    )
    test = "randomization" if work <= RANDOMIZATION_BUDGET else "t-test"
    out: dict[str, Any] = {
        "test": test,
        "alpha": alpha,
        "correction": "holm",
        "by_metric": {},
    }
    for m, pq in by_metric.items():
        basis = best_basis(records, m, simulated)
        entry: dict[str, Any] = {
            "best": basis["row"] if basis else None,
            "best_basis": basis,
            "baselines": {},
        }
        for base in sorted(pq):
            try:
                comps = compare(pq, base, m, test=test, alpha=alpha)  # type: ignore[arg-type]
            except ConfigError as e:
                entry["error"] = str(e)
                break
            entry["baselines"][base] = {
                c.system: {
                    "p": c.p_value,
                    "p_holm": c.p_holm,
                    "significant": c.significant,
                    "direction": "better" if c.mean > c.baseline_mean else "worse",
                    "mean": c.mean,
                    "baseline_mean": c.baseline_mean,
                    "wins": c.wins,
                    "losses": c.losses,
                    "ties": c.ties,
                    "n_queries": c.n_queries,
                }
                for c in comps
            }
        out["by_metric"][m] = entry
    return out


def _confidence(
    records: dict[str, MetricsRecord],
    significance: dict[str, Any],
    metric: str,
    simulated: frozenset[str],
) -> dict[str, Any]:
    """The main metric's tier and minimum detectable effect, and how the intervals were drawn.

    Tier: the best row and every row the paired test (``significance``'s test against the best,
    Holm-corrected) cannot separate from it. MDE: ``minimum_detectable_effect`` over the real
    (not simulated) rows' differences against the best.
    """
    out: dict[str, Any] = {
        "metric": metric,
        "tier": None,
        "mde": None,
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED, "level": 0.95},
    }
    entry = significance["by_metric"].get(metric)
    best = entry["best"] if entry else None
    if best is None or best not in entry["baselines"]:
        return out
    comps = entry["baselines"][best]
    out["tier"] = [best, *sorted(s for s, c in comps.items() if not c["significant"])]
    pq = {k: r.per_query[metric] for k, r in records.items() if r.per_query.get(metric)}
    out["mde"] = minimum_detectable_effect(
        pq, best, rows=[k for k in pq if k not in simulated], alpha=significance["alpha"]
    )
    return out


def _hole_warning(metrics: dict[str, float]) -> str | None:
    """The warning shown on a result whose top 10 is less than 80% judged, else None."""
    low = low_judged(metrics)
    return hole_warning(low) if low is not None else None


def _result_entry(results: Path, stored: Result, task_queries: int) -> dict[str, Any]:
    metrics, meta, folder = stored
    assert folder is not None  # read from the store
    rid = stored.id
    tslug, suffix = rid.task_slug, rid.suffix
    return {
        "task": metrics.task,
        "task_slug": tslug,
        "system": metrics.system,
        "system_slug": rid.system_slug,
        # one row per result identity: the system plus its scope (e.g. "bm25@limit10")
        "row": rid.row,
        "scope_suffix": suffix,
        "anchor": f"r-{tslug}{re.sub(r'[^A-Za-z0-9._-]', '-', suffix)}",
        "scope": metrics.scope,
        "task_queries": task_queries,
        "flags": {"partial": None, "trained": None, **flags(metrics, task_queries)},
        "trained_on_evaluated": metrics.trained_on_evaluated,
        "kinds": _kinds(meta),
        "simulated": _simulated(meta),
        "oracle": _oracle(meta),
        "main_metric": metrics.main_metric,
        "main_score": metrics.main_score,
        # the hole rate of the run's top 10; None for results stored before it was kept
        "judged_at_10": metrics.metrics.get(JUDGED_AT_10),
        "hole_warning": _hole_warning(metrics.metrics),
        "metrics": metrics.metrics,
        "n_queries": metrics.n_queries,
        "relevance_threshold": metrics.relevance_threshold,
        "average_over": metrics.average_over,
        "distribution": {m: _distribution(v) for m, v in metrics.per_query.items()},
        # seeded 95% percentile bootstrap interval of each mean over resampled queries
        "ci": {m: bootstrap_interval(v.values()) for m, v in metrics.per_query.items() if v},
        "extra": metrics.extra,
        "dimension": _dimension(meta),
        "stages": [s.model_dump() for s in meta.stages],
        "command": meta.command,
        "call": meta.call,
        "made_by": made_by(meta.command, meta.call),
        "config_hash": meta.config_hash,
        "data_source": meta.data_source,
        "git_sha": meta.git_sha,
        "packages": meta.packages,
        "hardware": meta.hardware,
        "seed": meta.seed,
        "timings": meta.timings,
        "stats": meta.stats,
        "cost": _cost(metrics, meta),
        "windows": _windows(meta),
        "created_at": meta.created_at,
        "files": _files(folder, tslug, meta),
        "source_folder": folder.relative_to(results).as_posix(),
    }


def _family_scores(
    tasks: list[dict[str, Any]],
) -> tuple[list[str], dict[str, dict[str, dict[str, Any]]]]:
    """Per system and metric: mean over the family's tasks it has, and how many tasks that is.

    The mean is :func:`family_mean`, the one a family run stores, over the member tasks only (a
    stored family aggregate is left out), so the site and ``harness run -t <family>`` agree.

    The key ``"main"`` uses each task's own main metric (the family's headline number).
    """
    metric_names: list[str] = []
    for t in tasks:
        for m in t["metrics"]:
            if m not in metric_names:
                metric_names.append(m)
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    trained: dict[str, set[str]] = defaultdict(set)
    for t in tasks:
        for r in t["results"]:
            if not r["primary"]:
                continue  # scoped reruns stay on the task page; family means use one per task
            if "aggregate" in (r["extra"] or {}):
                continue  # a stored family mean is not one more member of its family
            if r["trained_on_evaluated"]:
                trained[r["system"]].update(["main", *r["metrics"]])
            main = r["metrics"].get(t["main_metric"])  # the task's column, whatever the row's
            if main is not None and math.isfinite(main):
                scores[r["system"]]["main"].append(main)
            for m, v in r["metrics"].items():
                if v is not None and math.isfinite(v):
                    scores[r["system"]][m].append(v)
    out = {
        sys: {
            m: {"mean": family_mean(vals), "n_tasks": len(vals), "trained": m in trained[sys]}
            for m, vals in ms.items()
            if vals
        }
        for sys, ms in scores.items()
    }
    return metric_names, out


def _inside(folder: Path, results: Path) -> bool:
    """A result folder reached through a link that leaves the results tree is not published."""
    if folder.resolve().is_relative_to(results.resolve()):
        return True
    log.warning("skipping result %s: it links outside %s", folder, results)
    return False


def summarise(results: Path, alpha: float = ALPHA) -> dict[str, Any]:
    """Read every complete result under ``results`` into the summary document."""
    loaded = [r for r in iter_results(results) if r.path is not None and _inside(r.path, results)]
    by_task: dict[str, list[Result]] = defaultdict(list)
    for rec in loaded:
        by_task[rec.task].append(rec)

    tasks: list[dict[str, Any]] = []
    for name in sorted(by_task):
        recs = by_task[name]
        n_task = task_query_count([m for m, _, _ in recs])
        entries = [_result_entry(results, rec, n_task) for rec in recs]
        # Real systems first: the top row is the best, and oracle results never take its place.
        main = Counter(m.main_metric for m, _, _ in recs).most_common(1)[0][0]
        entries.sort(
            key=lambda e: (e["simulated"], -(e["metrics"].get(main) or -math.inf), e["row"])
        )
        # the system's primary row (most queries, then the plain full-scope folder) feeds means
        primary: dict[str, dict[str, Any]] = {}
        for e in entries:
            p = primary.get(e["system"])
            if p is None or (e["n_queries"], not e["scope_suffix"]) > (
                p["n_queries"],
                not p["scope_suffix"],
            ):
                primary[e["system"]] = e
        for e in entries:
            e["primary"] = primary[e["system"]] is e
        metric_names: list[str] = []
        for m, _, _ in recs:
            for k in m.metrics:
                if k not in metric_names:
                    metric_names.append(k)
        main = Counter(m.main_metric for m, _, _ in recs).most_common(1)[0][0]
        if JUDGED_AT_10 in metric_names and main in metric_names:  # beside the main metric
            metric_names.remove(JUDGED_AT_10)
            metric_names.insert(metric_names.index(main) + 1, JUDGED_AT_10)
        rows = {rec.id.row: rec.record for rec in recs}
        simulated = frozenset(e["row"] for e in entries if e["simulated"])
        # Simulated (oracle) runs cost nothing real: they neither sit on nor shape the front.
        costed = [e for e in entries if e["cost"]["per_query_s"] is not None and not e["simulated"]]
        for e, on_front in zip(
            costed,
            pareto_front([(e["cost"]["per_query_s"], e["main_score"]) for e in costed]),
        ):
            e["pareto"] = on_front
        significance = _significance(rows, metric_names, alpha, simulated)
        confidence = _confidence(rows, significance, main, simulated)
        in_tier = set(confidence["tier"] or ())
        for e in entries:
            e["tier"] = e["row"] in in_tier if confidence["tier"] is not None else None
        tasks.append(
            {
                "task": name,
                "slug": slug(name),
                "family": family_of(name),
                "main_metric": main,
                "metrics": metric_names,
                "n_queries": n_task,
                "results": entries,
                "significance": significance,
                "confidence": confidence,
                # best on the main metric, also where no per-query values allow tests
                "best": (best_basis(rows, main, simulated) or {}).get("row"),
                "best_basis": best_basis(rows, main, simulated),
            }
        )

    families: list[dict[str, Any]] = []
    fam_tasks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in tasks:
        fam_tasks[t["family"]].append(t)
    for fam in sorted(fam_tasks):
        ts = fam_tasks[fam]
        main = Counter(t["main_metric"] for t in ts).most_common(1)[0][0]
        metric_names, scores = _family_scores(ts)
        families.append(
            {
                "family": fam,
                "slug": slug(fam),
                "main_metric": main,
                "main_metrics": sorted({t["main_metric"] for t in ts}),
                "tasks": [t["task"] for t in ts],
                "metrics": metric_names,
                "scores": scores,
                "simulated": sorted(
                    {r["system"] for t in ts for r in t["results"] if r["simulated"]}
                ),
            }
        )

    systems: dict[str, dict[str, Any]] = {}
    for t in tasks:
        for r in t["results"]:
            s = systems.setdefault(
                r["system"],
                {
                    "system": r["system"],
                    "slug": r["system_slug"],
                    "kinds": [],
                    "tasks": [],
                    "simulated": r["simulated"],
                    "sweep": None,  # the oracle sweep it is one noise level of, if any
                },
            )
            if t["task"] not in s["tasks"]:
                s["tasks"].append(t["task"])
            for k in r["kinds"]:
                if k not in s["kinds"]:
                    s["kinds"].append(k)
    # Mean over families of each family's mean, per metric ("main": each task's main metric).
    all_metrics = ["main"] + sorted({m for f in families for m in f["metrics"]})
    for name, sy in systems.items():
        sy["overall"] = {}
        for m in all_metrics:
            vals = [
                f["scores"][name][m]["mean"] for f in families if m in f["scores"].get(name, {})
            ]
            if vals:
                sy["overall"][m] = {"mean": float(np.mean(vals)), "n_families": len(vals)}
    # an oracle sweep's noise levels are one overview row (its curve), not a row each
    sweeps = oracle_sweep_rows(tasks, families, systems)

    return _clean(
        {
            "summary_version": SUMMARY_VERSION,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "alpha": alpha,
            "kinds": list(KINDS),
            "metrics": all_metrics,
            "families": families,
            "tasks": tasks,
            "systems": [systems[k] for k in sorted(systems)],
            "sweeps": sweeps,
        }
    )
