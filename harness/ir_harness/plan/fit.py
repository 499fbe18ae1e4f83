"""Refuse a run whose estimated peak memory exceeds what the machine has, naming what fits."""

from __future__ import annotations

from ir_harness.errors import ConfigError
from ir_harness.plan.estimate import Plan, activation_bytes
from ir_harness.plan.memory import available_bytes


class PlanDoesNotFit(ConfigError):
    """The estimated peak is above the available memory (exit 2; ``--force`` runs anyway)."""


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def fitting_setting(plan: Plan, room: int) -> str:
    """The first setting, in order of least change, whose estimate fits ``room``."""
    batch = int(plan.inputs.get("batch_size") or 1)
    index = plan.phases.get("index")
    dim = int(plan.inputs.get("dim") or 0)
    hidden, heads, seq = (plan.settings.get(x, 0) for x in ("hidden", "heads", "seq"))
    if index is not None and index.peak_memory_bytes and dim:
        act = activation_bytes(batch, dim, hidden, heads, seq)
        over = plan.peak_memory_bytes - room
        if act > over and batch > 1:
            per_row = max(1, act // batch)
            smaller = max(1, batch - (over + per_row - 1) // per_row)
            return f"--batch-size {smaller} (from {batch})"
        shard = index.peak_memory_bytes - act
        if shard > over:
            rows = max(1, (shard - over) // (dim * 4)) // 16384 * 16384 or 16384
            return f"-o shard_rows={rows} (a smaller embedding shard in RAM while encoding)"
    return "--executor ray with --ray-address of a cluster with more memory per worker"


def check_fits(plan: Plan, force: bool, memory_available: int | None = None) -> None:
    """Refuse ``plan`` unless ``force`` or it fits the available memory (``memory_available``
    bytes when given, else what the machine reports)."""
    room = available_bytes(memory_available)
    if force or room is None or plan.peak_memory_bytes <= room:
        return
    raise PlanDoesNotFit(
        f"estimated peak memory {_mb(plan.peak_memory_bytes)} exceeds the available "
        f"{_mb(room)} (MemAvailable or the cgroup limit); try {fitting_setting(plan, room)}, "
        "or pass --force to run anyway"
    )
