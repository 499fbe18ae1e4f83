"""The LIMIT plot (recall against embedding dimension), registered for the site's plots page
under ``harness.plots``."""

from __future__ import annotations

from typing import Any

from ir_harness.leaderboard.plots import PlotSection, Spec, base_spec, single


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
    spec = base_spec("LIMIT: recall against embedding dimension", rows, 460, 300)
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


LIMIT_RECALL_VS_DIM = PlotSection(
    key="limit",
    heading="LIMIT: recall against embedding dimension",
    draw=single(limit_recall_vs_dim),
    caption="Results on LIMIT tasks whose system parameters name an embedding dimension.",
    position=10,
)
