"""The Ray executor: corpus encoding over a pool of Ray actors and search over shard groups.

Only imported with ``--executor ray``; ``ray`` itself is imported here, lazily. Workers reopen
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
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ConfigError
from harness.runtime import log

if TYPE_CHECKING:
    from collections.abc import Iterator

    from harness.data import Corpus
    from harness.embstore import EmbeddingStore
    from harness.runopts import RunOptions
    from harness.runtime import RunContext

CHUNK = 16384  # kernels.topk's default corpus chunk


def ensure_ray(address: str | None = None, workers: int = 2) -> Any:
    """Connect to ``address`` (``auto``, ``ray://host:10001``, ``host:6379``) or start a local
    cluster with ``workers`` CPUs, once per process."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--executor ray needs Ray: pip install 'ir-harness[ray]' (or pip install 'ray[data]')"
        ) from None
    if not ray.is_initialized():
        kw: dict[str, Any] = {
            "ignore_reinit_error": True,
            "log_to_driver": False,
            "logging_level": logging.WARNING,
        }
        # Workers must import this checkout's plugins; an editable install already provides them.
        if os.environ.get("HARNESS_CACHE_DIR"):
            kw["runtime_env"] = {"env_vars": {"HARNESS_CACHE_DIR": os.environ["HARNESS_CACHE_DIR"]}}
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
        log.info("ray: %s", ray.cluster_resources())
    return ray


def _worker_ctx(ctx: RunContext) -> RunContext:
    from dataclasses import replace

    return replace(ctx, stats={}, progress=False, executor="local")


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
                max(self.ctx.batch_size, self.system.store_batch),
            )
        )


def encode_shards(system: Any, corpus: Corpus, todo: list[int], ctx: RunContext) -> int:
    """Encode the ``todo`` shards with ``ctx.workers`` actors (one GPU each on CUDA); returns
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
            size = max(ctx.batch_size, system.store_batch)
            while not actors_up.is_set():
                i = take()
                if i is None:
                    return
                helper_rows[0] += store.encode_shard(
                    i, corpus, lambda t: system.encode_uncached(t, "document", wctx), size
                )
                helper_shards[0] += 1
        except BaseException as e:  # re-raised by the caller
            errors.append(e)

    gpu = ctx.device.startswith("cuda")
    helper = None
    if not gpu and not ctx.ray_address and len(todo) > 1:
        try:
            import ray as _ray

            local_start = not _ray.is_initialized()
        except ImportError:
            local_start = False  # ensure_ray says what to install
        if local_start:
            helper = threading.Thread(target=help_locally, name="encode-helper", daemon=True)
            helper.start()
    t0 = time.perf_counter()
    ray = ensure_ray(ctx.ray_address, ctx.workers)
    t_ray = time.perf_counter()
    wctx = _worker_ctx(ctx)
    if gpu:
        wctx.device = "cuda"  # each actor sees its own GPU as cuda:0
    n = max(1, min(ctx.workers, len(todo)))
    actor = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_ShardEncoder)
    pool = [actor.remote(system, corpus, wctx) for _ in range(n)]  # small: no model, no vectors
    running: dict[Any, Any] = {}
    rows = 0
    try:
        for a in pool:
            i = take()
            if i is not None:
                running[a.encode.remote(i)] = a
        while running:
            [done], _ = ray.wait(list(running), num_returns=1)
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
            ray.kill(a)
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


def _groups(store: EmbeddingStore, parts: int) -> list[list[int]]:
    """Consecutive shard groups that start at multiples of the kernel's chunk."""
    starts = [i for i in range(store.n_shards) if store.bounds(i)[0] % CHUNK == 0]
    per = max(1, -(-len(starts) // max(1, parts)))
    cuts = starts[::per] + [store.n_shards]
    return [list(range(a, b)) for a, b in zip(cuts, cuts[1:]) if a < b]


def _search_group(
    queries: np.ndarray, store: EmbeddingStore, shards: list[int], k: int, device: str
) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from kernels.stream import stream_topk

    torch.set_num_threads(1)
    return stream_topk(queries, store.shards(shards), k, device=device)


def search_shards(
    queries: np.ndarray, store: EmbeddingStore, k: int, ctx: RunContext
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k with the corpus split into ``ctx.workers`` shard groups, one Ray task each."""
    from kernels.stream import merge_topk

    ray = ensure_ray(ctx.ray_address, ctx.workers)
    gpu = ctx.device.startswith("cuda")
    task = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_search_group)
    q = ray.put(np.ascontiguousarray(queries))
    groups = _groups(store, ctx.workers)
    refs = [task.remote(q, store, g, k, "cuda" if gpu else "cpu") for g in groups]
    ctx.stats["ray_search_groups"] = len(groups)  # per search call (one per query batch)
    nq = queries.shape[0]
    best = (np.zeros((nq, 0), np.float32), np.zeros((nq, 0), np.int64))
    for part in ray.get(refs):
        best = merge_topk(best, part, k)
    return best


class _QueryWorker:
    """A Ray actor holding one copy of the pipeline and the task data; runs query batches.

    Retrieval stages re-open what the driver's ``index`` already built (embedding store, Lucene
    index, embedding cache), so nothing is encoded twice."""

    def __init__(self, opts: RunOptions) -> None:
        from dataclasses import replace

        from harness.pipeline import build_pipeline
        from harness.protocols import ExclusionAware, Retriever
        from harness.runopts import make_context
        from harness.task import get_task, limit_queries, resolve_data_dir

        task, subset = get_task(opts.task)
        self.spec = task.spec(subset)
        self.data = limit_queries(
            task.load(subset, resolve_data_dir(opts.data_dir)), opts.limit_queries
        )
        self.pipe = build_pipeline(opts.system, opts.system_options)
        self.ctx = make_context(replace(opts, executor="local", progress=False))
        first = self.pipe.stages[0]
        if self.data.candidates is None and isinstance(first, Retriever):
            first.index(self.data.corpus, self.ctx)
        if isinstance(first, ExclusionAware):  # as the local runner: by the protocol
            first.set_excluded(self.data.excluded_ids)

    def run(self, qids: list[str]) -> tuple[Any, dict[str, Any]]:
        from harness.runopts import run_batch

        before = dict(self.ctx.stats)
        out = run_batch(self.pipe, self.spec, self.data, qids, self.ctx)
        delta = {
            k: v - before.get(k, 0)
            for k, v in self.ctx.stats.items()
            if isinstance(v, (int, float)) and v != before.get(k, 0)
        }
        return out, delta


def query_shards(opts: RunOptions, batches: list[list[str]], ctx: RunContext) -> Iterator[Any]:
    """Query batches over ``ctx.workers`` actors; yields their runs in batch order (so the
    checkpoint and the run file are written exactly as by the local loop)."""
    ray = ensure_ray(ctx.ray_address, ctx.workers)
    if not batches:
        return
    gpu = ctx.device.startswith("cuda")
    actor = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_QueryWorker)
    pool = [actor.remote(opts) for _ in range(max(1, min(ctx.workers, len(batches))))]
    refs = [pool[i % len(pool)].run.remote(qids) for i, qids in enumerate(batches)]
    try:
        for ref in refs:
            run, stats = ray.get(ref)
            for k, v in stats.items():
                ctx.count(k, v)
            yield run
    finally:
        for a in pool:
            ray.kill(a)
