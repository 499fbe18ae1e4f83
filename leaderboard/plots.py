"""Vega-Lite specs built from the summary (plain dicts: no plotting dependency at build time).

Each function returns ``None`` when the summary holds no data for that plot, so the pages omit
it instead of drawing an empty frame. Data is inlined in the spec; nothing is fetched.
"""

from __future__ import annotations

import re
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
Spec = dict[str, Any]
# Fixed colours per kind, so a kind looks the same on every plot of the site.
KIND_COLORS = {
    "lexical": "#e6862e",
    "dense": "#4c78a8",
    "reranker": "#54a24b",
    "llm": "#b279a2",
    "trained": "#9d755d",
    "pipeline": "#72b7b2",
    "oracle": "#444444",
    "other": "#888888",
}


def _kind_color(kinds: list[str]) -> dict[str, Any]:
    domain = [k for k in KIND_COLORS if k in kinds]
    return {
        "field": "kind",
        "type": "nominal",
        "title": "final stage",
        "scale": {"domain": domain, "range": [KIND_COLORS[k] for k in domain]},
    }


def _base(title: str, data: list[dict[str, Any]], width: int = 420, height: int = 280) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": width,
        "height": height,
        "data": {"values": data},
    }


def quality_vs_cost(task: dict[str, Any]) -> Spec | None:
    """Main metric against seconds per query; the Pareto front is drawn as a step line."""
    pts = [
        {
            "system": r["system"],
            "kind": r["stages"][-1]["kind"] if r["stages"] else "other",
            "seconds_per_query": r["cost"]["per_query_s"],
            "score": r["main_score"],
            "pareto": "Pareto front" if r.get("pareto") else "dominated",
        }
        for r in task["results"]
        if r["cost"]["per_query_s"] and r["cost"]["per_query_s"] > 0 and not r.get("simulated")
    ]
    if not pts:
        return None
    metric = task["main_metric"]
    x = {
        "field": "seconds_per_query",
        "type": "quantitative",
        "scale": {"type": "log"},
        "title": "seconds per query (log)",
    }
    y = {"field": "score", "type": "quantitative", "title": metric}
    tooltip = [
        {"field": "system", "type": "nominal"},
        {"field": "score", "type": "quantitative", "format": ".4f", "title": metric},
        {"field": "seconds_per_query", "type": "quantitative", "format": ".4g"},
        {"field": "pareto", "type": "nominal"},
    ]
    spec = _base(f"{task['task']}: {metric} vs cost per query", pts)
    spec["layer"] = [
        {
            "transform": [{"filter": "datum.pareto === 'Pareto front'"}],
            "mark": {"type": "line", "interpolate": "step-after", "color": "#888"},
            "encoding": {"x": x, "y": y, "order": {"field": "seconds_per_query"}},
        },
        {
            "mark": {"type": "point", "size": 90, "filled": True},
            "encoding": {
                "x": x,
                "y": y,
                "color": _kind_color([p["kind"] for p in pts]),
                "shape": {"field": "pareto", "type": "nominal", "title": ""},
                "tooltip": tooltip,
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 7, "dy": -7, "fontSize": 11},
            "encoding": {"x": x, "y": y, "text": {"field": "system"}},
        },
    ]
    return spec


def distribution(task: dict[str, Any], metric: str) -> Spec | None:
    """Per-query spread from precomputed quartiles (the browser computes no statistics)."""
    rows = []
    for r in task["results"]:
        d = (r.get("distribution") or {}).get(metric)
        if d:
            rows.append({"system": r["system"], **d})
    if not rows:
        return None
    y = {"field": "system", "type": "nominal", "sort": None, "title": None}
    spec = _base(
        f"{metric}: per-query distribution (box: quartiles, tick: median, ◆ mean)",
        rows,
        height=max(60, 28 * len(rows)),
    )
    q = {"type": "quantitative"}
    spec["layer"] = [
        {
            "mark": {"type": "rule"},
            "encoding": {
                "y": y,
                "x": {"field": "min", **q, "title": metric},
                "x2": {"field": "max"},
            },
        },
        {
            "mark": {"type": "bar", "size": 14, "color": "#9ecae1"},
            "encoding": {"y": y, "x": {"field": "q1", **q}, "x2": {"field": "q3"}},
        },
        {
            "mark": {"type": "tick", "color": "#08519c", "size": 14, "thickness": 2},
            "encoding": {"y": y, "x": {"field": "median", **q}},
        },
        {
            "mark": {"type": "point", "shape": "diamond", "filled": True, "color": "#d62728"},
            "encoding": {
                "y": y,
                "x": {"field": "mean", **q},
                "tooltip": [
                    {"field": "system", "type": "nominal"},
                    {"field": "mean", **q, "format": ".4f"},
                    {"field": "median", **q, "format": ".4f"},
                    {"field": "q1", **q, "format": ".4f"},
                    {"field": "q3", **q, "format": ".4f"},
                    {"field": "n", **q, "title": "queries"},
                ],
            },
        },
    ]
    return spec


def starbucks_grids(summary: dict[str, Any]) -> list[tuple[str, Spec]]:
    """One layer x dim heatmap per result whose ``extra["grid"]`` holds such cells."""
    out = []
    for t in summary["tasks"]:
        for r in t["results"]:
            grid = (r.get("extra") or {}).get("grid")
            if not isinstance(grid, list):
                continue
            cells = [
                {"layers": c["layers"], "dim": c["dim"], "score": c["score"]}
                for c in grid
                if isinstance(c, dict) and {"layers", "dim", "score"} <= c.keys()
            ]
            if not cells:
                continue
            spec = _base(f"{r['system']} on {t['task']}: score by layers x dim", cells, 360, 260)
            enc = {
                "x": {"field": "dim", "type": "ordinal", "title": "embedding dim"},
                "y": {
                    "field": "layers",
                    "type": "ordinal",
                    "title": "layers",
                    "sort": "descending",
                },
            }
            spec["layer"] = [
                {
                    "mark": "rect",
                    "encoding": {
                        **enc,
                        "color": {"field": "score", "type": "quantitative", "title": "score"},
                        "tooltip": [
                            {"field": "layers", "type": "ordinal"},
                            {"field": "dim", "type": "ordinal"},
                            {"field": "score", "type": "quantitative", "format": ".4f"},
                        ],
                    },
                },
                {
                    "mark": {"type": "text", "fontSize": 10},
                    "encoding": {**enc, "text": {"field": "score", "format": ".3f"}},
                },
            ]
            out.append((f"{t['task']} / {r['system']}", spec))
    return out


def limit_recall_vs_dim(summary: dict[str, Any]) -> Spec | None:
    """LIMIT recall@k against embedding dimension, for results that declare a dimension."""
    rows = []
    for t in summary["tasks"]:
        if not t["family"].startswith("limit"):
            continue
        for r in t["results"]:
            if r.get("dimension") is None:
                continue
            for m, v in r["metrics"].items():
                if m.lower().startswith("recall") and v is not None:
                    rows.append(
                        {
                            "task": t["task"],
                            "system": r["system"],
                            "dimension": r["dimension"],
                            "metric": m,
                            "recall": v,
                            "series": f"{t['task']} {m}",
                        }
                    )
    if not rows:
        return None
    spec = _base("LIMIT: recall against embedding dimension", rows, 460, 300)
    x = {"field": "dimension", "type": "quantitative", "scale": {"type": "log", "base": 2}}
    y = {"field": "recall", "type": "quantitative", "scale": {"domain": [0, 1]}}
    spec["layer"] = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": x,
                "y": y,
                "color": {"field": "series", "type": "nominal", "title": "task / metric"},
                "detail": {"field": "system", "type": "nominal"},
                "tooltip": [
                    {"field": "system", "type": "nominal"},
                    {"field": "task", "type": "nominal"},
                    {"field": "metric", "type": "nominal"},
                    {"field": "dimension", "type": "quantitative"},
                    {"field": "recall", "type": "quantitative", "format": ".4f"},
                ],
            },
        }
    ]
    return spec


def judge_agreement(summary: dict[str, Any]) -> Spec | None:
    """LLMJudge submissions: Cohen's kappa (label agreement) against Kendall's tau (ranking)."""
    rows = []
    for t in summary["tasks"]:
        if t["family"] != "llmjudge":
            continue
        for r in t["results"]:
            if r.get("simulated"):
                continue  # oracle judges have their own plot (kappa against noise)
            k, tau = r["metrics"].get("cohen_kappa"), r["metrics"].get("kendall_tau")
            if k is not None and tau is not None:
                rows.append({"system": r["system"], "task": t["task"], "kappa": k, "tau": tau})
    if not rows:
        return None
    spec = _base("LLM judges: Cohen's κ against Kendall's τ", rows, 420, 300)
    x = {"field": "kappa", "type": "quantitative", "title": "Cohen's κ (labels)"}
    y = {"field": "tau", "type": "quantitative", "title": "Kendall's τ (system ranking)"}
    spec["layer"] = [
        {
            "mark": {"type": "point", "filled": True, "size": 80},
            "encoding": {
                "x": x,
                "y": y,
                "color": {"field": "task", "type": "nominal"},
                "tooltip": [
                    {"field": "system", "type": "nominal"},
                    {"field": "kappa", "type": "quantitative", "format": ".3f"},
                    {"field": "tau", "type": "quantitative", "format": ".3f"},
                ],
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 6, "dy": -6, "fontSize": 11},
            "encoding": {"x": x, "y": y, "text": {"field": "system"}},
        },
    ]
    return spec


_ORACLE_OPT = re.compile(r"(?<=[\[,])llm=oracle\[[^\]]*\],?")
REAL_BASELINE_KINDS = frozenset({"lexical", "dense", "trained", "reranker"})


def sweep_name(system: str) -> str:
    """A system's name without its oracle option: the series an oracle sweep belongs to."""
    name = _ORACLE_OPT.sub("", system).replace(",]", "]")
    return name[:-2] if name.endswith("[]") else name


def oracle_sweeps(summary: dict[str, Any]) -> list[tuple[str, Spec]]:
    """Per task: the main metric (kappa for the judge) against the oracle's noise sigma, one line
    per LLM system (mean over seeds, each seed a point), non-LLM results as horizontal rules."""
    out: list[tuple[str, Spec]] = []
    for t in summary["tasks"]:
        pts = [
            {
                "series": sweep_name(r["system"]),
                "noise": r["oracle"]["noise"],
                "seed": r["oracle"]["seed"],
                "score": r["main_score"],
                "system": r["system"],
            }
            for r in t["results"]
            if r.get("oracle") and not r["oracle"].get("flip")
        ]
        if not pts:
            continue
        rules = [
            {"baseline": r["system"], "score": r["main_score"]}
            for r in t["results"]
            if not r.get("simulated") and set(r["kinds"]) <= REAL_BASELINE_KINDS
        ]
        metric = t["main_metric"]
        spec = _base(f"{t['task']}: {metric} against oracle noise", pts, 460, 300)
        x = {"field": "noise", "type": "quantitative", "title": "oracle noise σ (grade units)"}
        y = {"field": "score", "type": "quantitative", "title": metric}
        color = {"field": "series", "type": "nominal", "title": "LLM system"}
        layers: list[Spec] = [
            {
                "mark": {"type": "line", "point": True},
                "encoding": {"x": x, "y": {**y, "aggregate": "mean"}, "color": color},
            },
            {
                "mark": {"type": "point", "opacity": 0.5},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": color,
                    "tooltip": [
                        {"field": "system", "type": "nominal"},
                        {"field": "seed", "type": "quantitative"},
                        {"field": "score", "type": "quantitative", "format": ".4f"},
                    ],
                },
            },
        ]
        if rules:
            ry = {"field": "score", "type": "quantitative"}
            layers += [
                {
                    "data": {"values": rules},
                    "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#888"},
                    "encoding": {"y": ry},
                },
                {
                    "data": {"values": rules},
                    "mark": {"type": "text", "align": "right", "dy": -5, "x": "width"},
                    "encoding": {"y": ry, "text": {"field": "baseline"}},
                },
            ]
        spec["layer"] = layers
        out.append((t["task"], spec))
    return out
