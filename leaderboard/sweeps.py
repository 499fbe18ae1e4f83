"""Oracle sweeps as single overview rows: one system at several noise levels is one curve.

An oracle sweep stores one result per noise sigma (and seed), each a system of its own name
(``rankgpt[llm=oracle[noise=0.5,seed=0]]``). Listed one per row they crowd the overview with
simulations; grouped under the sweep's name (the system without its oracle option) they are one
row whose cells are curves: per family and metric, the mean over seeds at each sigma.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from ir_harness.leaderboard.plots import sweep_name
from ir_harness.store.results import slug

# the plots page's section of oracle-sweep curves, which each sweep row links to
PLOTS_ANCHOR = "plots.html#plots-oracle"


def _noise_of(tasks: list[dict[str, Any]]) -> dict[str, float]:
    """System -> its oracle noise sigma, for systems run with a (non-flip) oracle option."""
    out: dict[str, float] = {}
    for t in tasks:
        for r in t["results"]:
            o = r.get("oracle")
            if o and not o.get("flip") and sweep_name(r["system"]) != r["system"]:
                out.setdefault(r["system"], float(o["noise"]))
    return out


def _curve(values: dict[float, list[float]]) -> list[dict[str, Any]]:
    return [
        {"noise": n, "mean": float(np.mean(v)), "seeds": len(v)}
        for n, v in sorted(values.items())
        if v
    ]


def oracle_sweep_rows(
    tasks: list[dict[str, Any]], families: list[dict[str, Any]], systems: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per sweep, with its curves; each member system gets ``"sweep"`` set to its name.

    A name with a single noise level is no sweep and stays a row of its own."""
    noise = _noise_of(tasks)
    members: dict[str, list[str]] = defaultdict(list)
    for name in sorted(noise):
        members[sweep_name(name)].append(name)
    rows = []
    for sweep, names in sorted(members.items()):
        if len({noise[n] for n in names}) < 2:
            continue
        names.sort(key=lambda n: (noise[n], n))
        for n in names:
            systems[n]["sweep"] = sweep
        kinds: list[str] = []
        for n in names:
            kinds += [k for k in systems[n]["kinds"] if k not in kinds]
        fam_curves: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for f in families:
            by_metric: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
            for n in names:
                for m, cell in f["scores"].get(n, {}).items():
                    by_metric[m][noise[n]].append(cell["mean"])
            if by_metric:
                fam_curves[f["family"]] = {m: _curve(v) for m, v in by_metric.items()}
        task_curves: dict[str, list[dict[str, Any]]] = {}
        for t in tasks:
            at: dict[float, list[float]] = defaultdict(list)
            for r in t["results"]:
                v = r["metrics"].get(t["main_metric"])
                if r["system"] in names and r["primary"] and v is not None:
                    at[noise[r["system"]]].append(v)
            if at:
                task_curves[t["task"]] = _curve(at)
        overall: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
        for n in names:
            for m, o in systems[n].get("overall", {}).items():
                overall[m][noise[n]].append(o["mean"])
        rows.append(
            {
                "sweep": sweep,
                "slug": slug(sweep),
                "kinds": kinds,
                "systems": names,
                "noise": sorted({noise[n] for n in names}),
                "families": fam_curves,
                "tasks": task_curves,
                "overall": {m: _curve(v) for m, v in overall.items()},
                "plot": PLOTS_ANCHOR,
            }
        )
    return rows


def sparkline(points: list[dict[str, Any]], width: int = 72, height: int = 18) -> str:
    """The ``points`` attribute of an SVG polyline drawing a curve (noise -> mean) in a box."""
    if not points:
        return ""
    xs = [float(p["noise"]) for p in points]
    ys = [float(p["mean"]) for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 2

    def sx(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad) if x1 > x0 else width / 2

    def sy(y: float) -> float:  # higher is better: up
        return height - pad - ((y - y0) / (y1 - y0) * (height - 2 * pad) if y1 > y0 else 0)

    return " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))
