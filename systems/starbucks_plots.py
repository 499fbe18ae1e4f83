"""The Starbucks grid plot (a layer x dimension heatmap per result of ``harness starbucks-grid``),
registered for the site's plots page under ``harness.plots``."""

from __future__ import annotations

from typing import Any

from ir_harness.leaderboard.plots import PlotSection, Spec, base_spec


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
            spec = base_spec(
                f"{r['system']} on {t['task']}: score by layers x dim", cells, 360, 260
            )
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


STARBUCKS_GRIDS = PlotSection(
    key="starbucks",
    heading="Starbucks: layers × dimension",
    draw=starbucks_grids,
    grid=True,
    position=20,
)
