"""Vega-Lite specs built from the summary (plain dicts: no plotting dependency at build time).

Each function returns ``None`` when the summary holds no data for that plot, so the pages omit
it instead of drawing an empty frame. Data is inlined in the spec; nothing is fetched.

The plots page draws the plots that packages register (entry-point group ``harness.plots``,
name -> ``module:attr`` of a ``PlotSection`` instance): a task or system ships the plot of its
own statistics, and the site names none of them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ir_harness.registry import Registry

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable

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


PLOT_GROUP = "harness.plots"


@dataclass(frozen=True)
class PlotSection:
    """One section of the plots page, registered under ``harness.plots``.

    ``draw(summary)`` returns ``(label, spec)`` pairs (empty: the section is omitted). One spec
    is drawn with element id ``key`` and ``caption``; several (or ``grid``) go side by side as
    ``key-0``, ``key-1``, ... ``intro_html`` is trusted markup from the registering package.
    ``position`` orders sections on the page (then the entry-point name).
    """

    key: str
    heading: str
    draw: Callable[[dict[str, Any]], list[tuple[str, Spec]]]
    caption: str = ""
    intro_html: str = ""
    grid: bool = False
    position: int = 100


PLOTS: Registry[PlotSection] = Registry("plot", PLOT_GROUP)


def registered_sections(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The registered sections that have data, in page order, with their specs drawn."""

    loaded = []
    for n in PLOTS.names():
        try:
            sec = PLOTS.get(n)
        except Exception as e:  # a broken plugin must not take the site down with it
            log.warning(
                "plot %r (%s) failed to load: %s: %s", n, PLOTS.target(n), type(e).__name__, e
            )
            continue
        if isinstance(sec, PlotSection):
            loaded.append((n, sec))
        else:
            log.warning("plot %r (%s) is not a PlotSection; skipped", n, PLOTS.target(n))
    out = []
    for _, sec in sorted(loaded, key=lambda x: (x[1].position, x[0])):
        specs = sec.draw(summary)
        if specs:
            out.append({"section": sec, "specs": specs, "grid": sec.grid or len(specs) > 1})
    return out


def single(fn: Callable[[dict[str, Any]], Spec | None]) -> Callable[[dict[str, Any]], list]:
    """Adapt a one-plot function (None when no data) to ``PlotSection.draw``."""

    def draw(summary: dict[str, Any]) -> list[tuple[str, Spec]]:
        spec = fn(summary)
        return [] if spec is None else [("", spec)]

    return draw


def base_spec(title: str, data: list[dict[str, Any]], width: int = 420, height: int = 280) -> Spec:
    """An empty Vega-Lite spec with inlined data (plugins add ``layer`` or ``mark``)."""
    return _base(title, data, width, height)


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


ORACLE_SWEEPS = PlotSection(
    key="oracle",
    heading="Quality against LLM quality (oracle sweeps)",
    draw=oracle_sweeps,
    intro_html='Each LLM system driven by the <span class="kind kind-oracle">oracle</span>, a '
    "simulated LLM that answers from the qrels with Gaussian noise of σ on the true grade "
    "(σ = 0: perfect). Lines: mean over oracle seeds; dashed rules: non-LLM results on the same "
    "task. Oracle results are simulations, never ranked with real systems.",
    grid=True,
    position=40,
)
