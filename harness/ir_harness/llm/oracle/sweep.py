"""``harness oracle-sweep``: one stored result per oracle noise level, through the HTTP path.

A sweep answers "how good must the LLM be for this pipeline to pay off": the same system runs
with ``oracle[noise=SIGMA,seed=S]`` for each sigma (and seed), each stored as its own result
(the noise is part of the system name), and the site's plots page draws the main metric
against sigma. By default the oracle is served on a loopback port for the sweep's duration and
reached as ``openai:oracle[...]@http://127.0.0.1:PORT/v1``, so the real client runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    from ir_harness.store.results import Result


@dataclass
class SweepOptions:
    """One ``harness oracle-sweep``: the system and task, the noise levels and seeds crossed, and
    the run settings each result is stored with; ``http`` False answers in process instead of
    through the loopback server."""

    system: str
    task: str
    noise: list[float]
    seeds: list[int] = field(default_factory=lambda: [0])
    flip: float = 0.0
    data_dir: Path | None = None
    results: Path = Path("results")
    http: bool = True
    limit_queries: int | None = None
    system_options: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    llm_cache: bool = True


def parse_floats(text: str, what: str) -> list[float]:
    """Comma-separated numbers >= 0 from option ``--what``; ``ConfigError`` naming the option for
    anything else or for none."""
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--{what} {text!r}: expected comma-separated numbers") from None
    if not vals or any(v < 0 for v in vals):
        raise ConfigError(f"--{what} {text!r}: expected one or more numbers >= 0")
    return vals


def oracle_spec(noise: float, seed: int, flip: float) -> str:
    """The oracle spec of one sweep point, written as its canonical label (``OracleSpec.name``), so
    results are stored under the name the oracle reports."""
    return f"oracle[noise={noise:g},seed={seed}" + (f",flip={flip:g}" if flip else "") + "]"


def sweep(opts: SweepOptions) -> list[tuple[float, int, Result]]:
    """Run the system once per (noise, seed); each result is stored under its own name."""
    from ir_harness.run.config import RunConfig
    from ir_harness.run.family import run_any
    from ir_harness.run.job import RunJob

    if "llm" in opts.system_options:
        raise ConfigError("oracle-sweep sets --llm itself; do not pass llm as an option")
    srv = None
    if opts.http:
        from ir_harness.llm.oracle.server import serve_in_thread, task_factory

        srv = serve_in_thread(task_factory(opts.task, opts.data_dir))
    out: list[tuple[float, int, Result]] = []
    try:
        for seed in opts.seeds:
            for sigma in opts.noise:
                spec = oracle_spec(sigma, seed, opts.flip)
                llm = f"openai:{spec}@{srv.url}" if srv is not None else spec
                config = RunConfig(
                    data_dir=opts.data_dir,
                    results=opts.results,
                    limit_queries=opts.limit_queries,
                    device="cpu",
                    progress=opts.progress,
                    llm_cache=opts.llm_cache,
                )
                outs = run_any(
                    RunJob(
                        system=opts.system,
                        task=opts.task,
                        config=config,
                        options={**opts.system_options, "llm": llm},
                    )
                )
                out.append((sigma, seed, outs[-1]))
    finally:
        if srv is not None:
            srv.shutdown()
            srv.server_close()
    return out
