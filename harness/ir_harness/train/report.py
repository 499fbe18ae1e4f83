"""What ``harness train`` prints when a run ends, for both the dense and the reranker recipes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def report(rec: dict[str, Any], json_out: bool, trained_on: str, out: Path) -> None:
    """The training record as JSON, or a one-line summary."""
    if json_out:
        print(json.dumps(rec, default=str))
        return
    print(
        f"trained {rec['method']} for {rec['steps']} steps on {trained_on} "
        f"({rec['wall_s']:.1f}s, {rec['device']}): loss {rec['first_loss']:.4f} -> "
        f"{rec['final_loss']:.4f} (mean of last 10); saved to {out}"
    )
