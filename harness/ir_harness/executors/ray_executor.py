"""The Ray executor: corpus encoding over a pool of Ray actors and search over shard groups.

``RayExecutor`` is the object a ``RunConfig`` holds for ``--executor ray``; systems call its
methods as they call ``LocalExecutor``'s. ``ray`` itself is imported lazily. Workers reopen
the on-disk stores by path, so on a multi-node cluster the cache folder (``HARNESS_CACHE_DIR`` or
``--cache-dir``) must be one shared file system path on every node.

Byte-identical results: every shard is encoded by the same code on the same rows as locally, and
search splits the corpus at multiples of the top-k kernel's chunk, so each worker computes the
very score blocks the local path computes; the groups' winners are merged by the same total
order (score desc, row asc).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ir_harness.errors import ConfigError
from ir_harness.run.config import LocalExecutor, store_read_rows
from ir_harness.run.signals import deferred_sigterm, raise_if_terminated

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ir_harness.cache.corpus_embeddings import CorpusEmbeddingCache
    from ir_harness.data.model import Corpus
    from ir_harness.run.context import RunContext
    from ir_harness.run.job import RunJob

CHUNK = 16384  # ir_harness.kernels.topk's default corpus chunk


def ensure_ray(address: str | None = None, workers: int = 2) -> Any:
    """Connect to ``address`` (``auto``, ``ray://host:10001``, ``host:6379``) or start a local
    cluster with ``workers`` CPUs, once per process."""
    ray = import_ray()
    if not ray.is_initialized():
        kw: dict[str, Any] = {
            "ignore_reinit_error": True,
            "log_to_driver": False,
            "logging_level": logging.WARNING,
        }
        # Workers must import this checkout's plugins; an editable install already provides them.
        if os.environ.get("HARNESS_CACHE_DIR"):
            kw["runtime_env"] = {"env_vars": {"HARNESS_CACHE_DIR": os.environ["HARNESS_CACHE_DIR"]}}
        # ray.init replaces the driver's SIGTERM handler with one that calls sys.exit(15) (a
        # SIGABRT and native dumps at exit): the CLI's own handler (exit 143, the usual message,
        # Ray shut down) is put back afterwards.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.getsignal(signal.SIGTERM) if main else None
        if main and previous is not None:
            _SIGTERM_HANDLER[0] = previous
        terminated = False
        try:
            _init(ray, address, workers, kw)
        except SystemExit as e:  # SIGTERM while ray.init ran: Ray's handler called sys.exit(15)
            if not main or e.code != signal.SIGTERM:
                raise
            terminated = True
        finally:
            if main and previous is not None:
                signal.signal(signal.SIGTERM, previous)
        if terminated:
            shutdown_ray()
            os.kill(os.getpid(), signal.SIGTERM)  # delivered again, to the handler put back
            raise_if_terminated()  # that handler only noted it (inside deferred_sigterm)
        log.info("ray: %s", ray.cluster_resources())
    return ray


def import_ray() -> Any:
    """``ray``, imported the one way this package does it (see the comment inside)."""
    if "ray" not in sys.modules:
        # Ray's C++ core installs Abseil's failure-signal handler in the driver, SIGTERM included:
        # a SIGTERM that lands before the CLI's handler is put back then dumps native stacks and
        # ends in SIGABRT instead of exit 143. Ray reads this once, at import; a user's own
        # setting wins. (C++ stack traces of a crashing Ray process are lost with it.)
        os.environ.setdefault("RAY_DISABLE_FAILURE_SIGNAL_HANDLER", "1")
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--executor ray needs Ray: pip install 'ir-harness[ray]' (or pip install 'ray[data]')"
        ) from None
    return ray


_SIGTERM_HANDLER: list[Any] = [None]  # the CLI's SIGTERM handler, saved before ray.init


def restore_sigterm() -> None:
    """Put the CLI's SIGTERM handler back (main thread only). Ray's native layer installs its own
    failure handler again when it starts actors (a SIGABRT and native dumps on SIGTERM), and
    Python cannot see that it was replaced, so this re-installs it unconditionally."""
    if _SIGTERM_HANDLER[0] is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _SIGTERM_HANDLER[0])


def shutdown_ray() -> None:
    """Stop this process's Ray connection (and the local cluster it started, workers included),
    if Ray was used at all; errors are ignored, this runs while the process is ending."""
    ray = sys.modules.get("ray")
    if ray is None:
        return
    # Also after a ray.init that a signal interrupted: it may have started processes without
    # counting as initialized.
    ours = _ray_children()
    try:
        ray.shutdown()
    except Exception as e:  # noqa: BLE001 - the exit status is already decided
        log.debug("ray shutdown failed: %s", e)
    _end(ours)


def _ray_children() -> dict[int, str]:
    """Ray's processes this process started (a local cluster: GCS, raylet, agents, workers),
    found through /proc as descendants whose command line is Ray's."""
    parent: dict[int, int] = {}
    cmd: dict[int, str] = {}
    try:
        entries = [d for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return {}
    for d in entries:
        try:
            with open(f"/proc/{d}/stat") as f:
                parent[int(d)] = int(f.read().rpartition(")")[2].split()[1])
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd[int(d)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - found
        found |= frontier
    marks = ("ray::", "/ray/", "raylet", "gcs_server", "default_worker")
    return {p: cmd[p] for p in found if any(m in cmd.get(p, "") for m in marks)}


def _end(pids: dict[int, str], grace_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``, to those of ``pids`` still running the same
    command (Ray's agents outlive ``ray.shutdown`` until they notice the raylet is gone)."""
    import time

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                same = f.read().replace(b"\0", b" ").decode(errors="replace") == pids[pid]
            with open(f"/proc/{pid}/stat") as f:
                return same and f.read().rpartition(")")[2].split()[0] != "Z"
        except OSError:
            return False

    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [p for p in pids if alive(p)]
        for p in left:
            try:
                os.kill(p, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace_s
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = [p for p in left if alive(p)]
        if not left:
            return


def _init(ray: Any, address: str | None, workers: int, kw: dict[str, Any]) -> None:
    if address:
        ray.init(address=address, **kw)
    else:
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            object_store_memory=256 * 2**20,
            # Ray runs workers at nice 15 by default: on a busy machine they then get a
            # fraction of the CPU the local executor gets. Same priority as this process.
            _system_config={"worker_niceness": 0},
            **kw,
        )


@dataclass(frozen=True)
class RayExecutor:
    """Work over a Ray cluster at ``address`` (``auto``, ``ray://host:10001``, ``host:6379``), or a
    local one started for the run, with ``workers`` actors or shard groups."""

    address: str | None = None
    workers: int = 2
    name: str = field(default="ray", init=False)

    def __post_init__(self) -> None:
        w = self.workers
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ConfigError(f"--workers {w!r}: expected a whole number of at least 1")

    def encode_shards(
        self, system: Any, corpus: Corpus, store: Any, todo: list[int], ctx: RunContext
    ) -> tuple[int, Any]:
        """Actors write the ``todo`` shards; the store is reopened to see what they wrote."""
        rows = encode_shards(system, corpus, todo, ctx, self)
        return rows, system.open_store(corpus, ctx)  # the workers wrote the shards to disk

    def search_shards(
        self, queries: np.ndarray, store: CorpusEmbeddingCache, k: int, ctx: RunContext
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` with the shards split among ``workers`` Ray tasks, merged here."""
        return search_shards(queries, store, k, ctx, self)

    def query_batches(
        self,
        job: RunJob,
        batches: list[list[str]],
        ctx: RunContext,
        local: Callable[[list[str]], Any],
    ) -> Iterator[Any]:
        """Batches spread over ``workers`` actors, runs yielded in order (``local`` unused)."""
        return query_shards(job, batches, ctx, self)

    def describe(self) -> dict[str, Any]:
        """Name, cluster address and worker count, as the run plan records them."""
        return {"executor": self.name, "address": self.address, "workers": self.workers}


def _worker_ctx(ctx: RunContext) -> RunContext:
    return ctx.derived(progress=False, executor=LocalExecutor())


class _ShardEncoder:
    """A Ray actor: keeps one system (model loaded once) and writes whole shards."""

    def __init__(self, system: Any, corpus: Corpus, ctx: RunContext) -> None:
        self.system, self.corpus, self.ctx = system, corpus, ctx
        self.store = system.open_store(corpus, ctx)

    def encode(self, shard: int) -> int:
        return int(
            self.store.encode_shard(
                int(shard),
                self.corpus,
                lambda t: self.system.encode_uncached(t, "document", self.ctx),
                store_read_rows(self.system, self.ctx),
                system=type(self.system).__name__,
            )
        )


def encode_shards(
    system: Any, corpus: Corpus, todo: list[int], ctx: RunContext, ex: RayExecutor
) -> int:
    """Encode the ``todo`` shards with ``ex.workers`` actors (one GPU each on CUDA); returns
    the rows encoded.

    Plain actors fed from a queue, one shard in flight per actor (a shard is seconds of work,
    so the round trip is noise): no Ray Data, whose streaming executor, import and scheduling
    loop cost a busy machine more than the work they distribute. When this process starts a
    local CPU cluster, the driver encodes shards from the same queue in a thread while the
    cluster and the actors start (seconds to tens of seconds on a busy machine) and stops once
    the first actor delivers; each shard is still written by the same code, so the store is
    the same whoever wrote which shard."""
    import threading
    import time

    from ir_harness.run.model_output import system_name

    queue = list(todo)
    lock = threading.Lock()
    actors_up = threading.Event()
    helper_rows, helper_shards, errors = [0], [0], []

    def take() -> int | None:
        with lock:
            return queue.pop(0) if queue else None

    def help_locally() -> None:
        try:
            store = system.open_store(corpus, ctx)
            wctx = _worker_ctx(ctx)
            size = store_read_rows(system, ctx)
            while not actors_up.is_set():
                i = take()
                if i is None:
                    return
                helper_rows[0] += store.encode_shard(
                    i,
                    corpus,
                    lambda t: system.encode_uncached(t, "document", wctx),
                    size,
                    system=system_name(system),
                )
                helper_shards[0] += 1
        except BaseException as e:  # re-raised by the caller
            errors.append(e)

    gpu = ctx.device.startswith("cuda")
    helper = None
    if not gpu and not ex.address and len(todo) > 1:
        try:
            local_start = not import_ray().is_initialized()
        except ConfigError:
            local_start = False  # ensure_ray says what to install
        if local_start:
            helper = threading.Thread(target=help_locally, name="encode-helper", daemon=True)
            helper.start()
    t0 = time.perf_counter()
    pool: list[Any] = []
    rows = 0
    ray = None
    # Everything after the driver's thread started sits in this try: whatever ends the encode
    # (a SIGTERM, an actor's error) first stops that thread and waits for it, so the process
    # never exits with it inside native code. A SIGTERM is only noted while Ray's own code runs
    # (deferred_sigterm) and raised between Ray calls, never inside ray.init or an actor's start.
    try:
        with deferred_sigterm():
            ray = ensure_ray(ex.address, ex.workers)
            raise_if_terminated()
            t_ray = time.perf_counter()
            wctx = _worker_ctx(ctx)
            if gpu:
                wctx.device = "cuda"  # each actor sees its own GPU as cuda:0
            n = max(1, min(ex.workers, len(todo)))
            actor = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_ShardEncoder)
            for _ in range(n):
                pool.append(actor.remote(system, corpus, wctx))  # small: no model
                raise_if_terminated()
            restore_sigterm()
            running: dict[Any, Any] = {}
            for a in pool:
                i = take()
                if i is not None:
                    running[a.encode.remote(i)] = a
            while running:
                done = _wait_one(ray, list(running))
                if not actors_up.is_set():
                    restore_sigterm()
                actors_up.set()
                a = running.pop(done)
                rows += int(ray.get(done))
                i = take()
                if i is not None:
                    running[a.encode.remote(i)] = a
    finally:
        actors_up.set()
        if helper is not None:
            helper.join()
        for a in pool:
            ray.kill(a)  # type: ignore[union-attr]
    if errors:
        raise errors[0]
    ctx.count("ray_encode_actors", n)
    ctx.count("ray_encode_shards_on_driver", helper_shards[0])
    log.info(
        "ray encode: cluster %.2f s, %d shards (%d on the driver) on %d actors %.2f s",
        t_ray - t0,
        len(todo),
        helper_shards[0],
        n,
        time.perf_counter() - t_ray,
    )
    return rows + helper_rows[0]


def _groups(store: CorpusEmbeddingCache, parts: int) -> list[list[int]]:
    """Consecutive shard groups that start at multiples of the kernel's chunk."""
    starts = [i for i in range(store.n_shards) if store.bounds(i)[0] % CHUNK == 0]
    per = max(1, -(-len(starts) // max(1, parts)))
    cuts = starts[::per] + [store.n_shards]
    return [list(range(a, b)) for a, b in zip(cuts, cuts[1:]) if a < b]


def _search_group(
    queries: np.ndarray, store: CorpusEmbeddingCache, shards: list[int], k: int, device: str
) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from ir_harness.kernels.stream import stream_topk

    torch.set_num_threads(1)
    return stream_topk(queries, store.shards(shards), k, device=device)


def search_shards(
    queries: np.ndarray, store: CorpusEmbeddingCache, k: int, ctx: RunContext, ex: RayExecutor
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k with the corpus split into ``ex.workers`` shard groups, one Ray task each."""
    from ir_harness.kernels.stream import merge_topk

    with deferred_sigterm():
        ray = ensure_ray(ex.address, ex.workers)
        restore_sigterm()
        raise_if_terminated()
        gpu = ctx.device.startswith("cuda")
        task = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_search_group)
        q = ray.put(np.ascontiguousarray(queries))
        groups = _groups(store, ex.workers)
        refs = [task.remote(q, store, g, k, "cuda" if gpu else "cpu") for g in groups]
        ctx.stats["ray_search_groups"] = len(groups)  # per search call (one per query batch)
        for ref in refs:
            _wait_one(ray, [ref])
        parts = ray.get(refs)
    nq = queries.shape[0]
    best = (np.zeros((nq, 0), np.float32), np.zeros((nq, 0), np.int64))
    for part in parts:
        best = merge_topk(best, part, k)
    return best


def _wait_one(ray: Any, refs: list[Any], poll_s: float = 0.25) -> Any:
    """The first of ``refs`` to finish, waiting in short slices so that a SIGTERM noted by
    ``deferred_sigterm`` is raised here, between Ray calls, within ``poll_s``."""
    while True:
        done, _ = ray.wait(refs, num_returns=1, timeout=poll_s)
        raise_if_terminated()
        if done:
            return done[0]


class _QueryWorker:
    """A Ray actor holding one copy of the pipeline and the task data; runs query batches.

    Retrieval stages re-open what the driver's ``index`` already built (corpus embedding cache, Lucene
    index, embedding cache), so nothing is encoded twice."""

    def __init__(self, job: RunJob) -> None:
        from dataclasses import replace

        from ir_harness.corpus.policy import using as store_policy
        from ir_harness.protocols import ExclusionAware, Retriever
        from ir_harness.run.context import RunContext
        from ir_harness.run.pipeline import build_pipeline
        from ir_harness.task import get_task, limit_queries, resolve_data_dir

        cfg = job.config
        task, subset = get_task(job.task)
        self.spec = task.spec(subset)
        with store_policy(cfg.corpus_store):
            data = task.load(subset, resolve_data_dir(cfg.data_dir))
        self.data = limit_queries(data, cfg.limit_queries)
        self.pipe = build_pipeline(job.system, job.options)
        local = replace(cfg, executor=LocalExecutor(), progress=False)
        self.ctx = RunContext.from_config(local, job.task)
        first = self.pipe.stages[0]
        if self.data.candidates is None and isinstance(first, Retriever):
            first.index(self.data.corpus, self.ctx)
        if isinstance(first, ExclusionAware):  # as the local runner: by the protocol
            first.set_excluded(self.data.excluded_ids)

    def run(self, qids: list[str]) -> tuple[Any, dict[str, Any]]:
        from ir_harness.run.job import run_batch

        before = dict(self.ctx.stats)
        out = run_batch(self.pipe, self.spec, self.data, qids, self.ctx)
        delta = {
            k: v - before.get(k, 0)
            for k, v in self.ctx.stats.items()
            if isinstance(v, (int, float)) and v != before.get(k, 0)
        }
        return out, delta


def query_shards(
    job: RunJob, batches: list[list[str]], ctx: RunContext, ex: RayExecutor
) -> Iterator[Any]:
    """Query batches over ``ex.workers`` actors; yields their runs in batch order (so the
    checkpoint and the run file are written exactly as by the local loop)."""
    with deferred_sigterm():  # no SIGTERM inside Ray's code (see ir_harness.run.signals)
        ray = ensure_ray(ex.address, ex.workers)
        restore_sigterm()
    if not batches:
        return
    gpu = ctx.device.startswith("cuda")
    actor = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_QueryWorker)
    pool: list[Any] = []
    try:
        with deferred_sigterm():
            for _ in range(max(1, min(ex.workers, len(batches)))):
                pool.append(actor.remote(job))
                raise_if_terminated()
            refs = [pool[i % len(pool)].run.remote(qids) for i, qids in enumerate(batches)]
        for ref in refs:
            with deferred_sigterm():
                _wait_one(ray, [ref])
                run, stats = ray.get(ref)
            for k, v in stats.items():
                ctx.count(k, v)
            yield run
    finally:
        for a in pool:
            ray.kill(a)
