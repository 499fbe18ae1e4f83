"""The LLM judges' agreement plot (Cohen's kappa against Kendall's tau), registered for the
site's plots page under ``harness.plots``."""

from __future__ import annotations

from typing import Any

from ir_harness.leaderboard.plots import PlotSection, Spec, base_spec, single


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
    spec = base_spec("LLM judges: Cohen's κ against Kendall's τ", rows, 420, 300)
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


JUDGE_AGREEMENT = PlotSection(
    key="judge",
    heading="LLM judges: agreement",
    draw=single(judge_agreement),
    caption="Cohen's κ against the human labels versus Kendall's τ between the system orderings "
    "the judge's labels and the human labels induce.",
    position=30,
)
