"""Chunked sweeps that give the same numbers in one process or on a Dask cluster.

A sweep of n starts is cut into chunks of ``chunk_size`` starts.  Chunk i draws its starts and
its C values from its own seed, derived from (sweep seed, i) by :func:`chunk_seed`, so a chunk's
sample depends only on the sweep seed, the chunk size and its index — never on which process
runs it or when.  Results are concatenated in chunk order, so a serial run, a local cluster and a
remote scheduler give identical :class:`BatchResult` arrays.

Executors: serial (default), ``workers=N`` (a local Dask cluster of N single-threaded worker
processes, closed afterwards) or ``scheduler="tcp://HOST:PORT"`` (a running Dask scheduler whose
workers have lrbias installed).  Dask is imported only when one of the latter is asked for.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from lrbias.errors import InvalidArgument
from lrbias.gd.outcome import Settings
from lrbias.gd.sampling import Range
from lrbias.gd.vectorised import BatchResult

DEFAULT_CHUNK_SIZE = 1 << 18
MAX_CHUNKS = 100_000
CONNECT_TIMEOUT_S = 10
MAX_HANDSHAKE_BYTES = 1 << 24
CLOSE_TIMEOUT_S = 10
MAX_WORKERS = 4 * (os.cpu_count() or 1)
SEED_SCHEME = "chunk i: starts_box/knob_values seeded by SeedSequence([seed, i]).generate_state(1, uint64)[0]"
ADDRESS_RE = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SweepRanges:
    """Where a sweep samples: the box x0 × y0, the range of C and the sign rule of ``starts_box``."""

    x0: Range
    y0: Range
    C: Range
    signs: str = "none"


@dataclass(frozen=True)
class Chunk:
    """One chunk of a sweep: its index, first row, number of starts and derived seed."""

    index: int
    start: int
    size: int
    seed: int


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index`` of a sweep seeded ``seed`` (a 64-bit hash, stable across machines)."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, dtype=np.uint64)[0])


def plan_chunks(n: int, chunk_size: int, seed: int) -> list[Chunk]:
    """The chunks of an n-start sweep, in order; LrbiasError on a bad n, chunk size or seed."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidArgument(f"n = {n!r} is invalid; accepted: an integer >= 1")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidArgument(f"chunk size {chunk_size!r} is invalid; accepted: an integer >= 1")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgument(f"seed = {seed!r} is invalid; accepted: an integer >= 0")
    count = -(-n // chunk_size)
    if count > MAX_CHUNKS:
        raise InvalidArgument(f"chunk size {chunk_size} cuts {n} starts into {count} chunks; accepted: "
                          f"a chunk size >= {-(-n // MAX_CHUNKS)} (at most {MAX_CHUNKS} chunks)")
    return [Chunk(i, start, min(chunk_size, n - start), chunk_seed(seed, i))
            for i, start in enumerate(range(0, n, chunk_size))]


def chunk_sample(chunk: Chunk, ranges: SweepRanges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The starts (x0, y0) and C values of one chunk, drawn from the chunk's seed alone."""
    from lrbias.gd.sampling import knob_values, starts_box

    x0, y0 = starts_box(chunk.size, ranges.x0, ranges.y0, chunk.seed, signs=ranges.signs)
    return x0, y0, knob_values(chunk.size, ranges.C, chunk.seed)


def run_chunk(spec: str, chunk: Chunk, ranges: SweepRanges, settings: Settings) -> BatchResult:
    """Run one chunk; takes the loss spec (not a Family) so it pickles to any worker."""
    from lrbias.gd.vectorised import run_batch
    from lrbias.losses.families import get_family

    x0, y0, C = chunk_sample(chunk, ranges)
    return run_batch(get_family(spec), x0, y0, C=C, settings=settings, chunk_size=chunk.size,
                     seed=chunk.seed)


def concat_batches(batches: Sequence[BatchResult], seed: int | None = None,
                   meta: dict[str, Any] | None = None) -> BatchResult:
    """One BatchResult holding the rows of ``batches`` in the given order."""
    if not batches:
        raise InvalidArgument("no batches to concatenate; accepted: at least one")
    first = batches[0]
    arrays = {f.name: np.concatenate([getattr(b, f.name) for b in batches])
              for f in dataclasses.fields(BatchResult)
              if isinstance(getattr(first, f.name), np.ndarray) and f.name != "trajectory"}
    trajectories = [b.trajectory for b in batches if b.trajectory is not None]
    trajectory: np.ndarray | None = None
    if len(trajectories) == len(batches) and len({t.shape[0] for t in trajectories}) == 1:
        trajectory = np.concatenate(trajectories, axis=1)
    return BatchResult(family=first.family, settings=first.settings, seed=seed, trajectory=trajectory,
                       meta=dict(meta or {}), **arrays)


def check_executor(scheduler: str | None, workers: int | None) -> None:
    """LrbiasError unless at most one of scheduler/workers is given, each well formed."""
    if scheduler is not None and workers is not None:
        raise InvalidArgument("--scheduler and --workers together; accepted: at most one of them")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or not 1 <= workers <= MAX_WORKERS):
        raise InvalidArgument(f"--workers {workers} is invalid; accepted: an integer, 1 <= N <= {MAX_WORKERS} "
                          f"(4 × this machine's {os.cpu_count() or 1} cores; for more, start a scheduler and "
                          "use --scheduler)")
    if scheduler is not None:
        m = ADDRESS_RE.fullmatch(scheduler)
        if not m or not 1 <= int(m.group(2)) <= 65535:
            raise InvalidArgument(f"--scheduler {scheduler!r} is malformed; accepted: tcp://HOST:PORT")


def probe_scheduler(scheduler: str, timeout: float | None = None) -> None:
    """LrbiasError unless ``scheduler`` accepts a connection *and* starts a Dask handshake in ``timeout`` s.

    A Dask listener writes its handshake first: a frame of a few hundred bytes, announced by an
    8-byte length.  A port that accepts but stays silent, or answers with anything else (a length
    of exabytes that Dask would try to allocate), is refused here instead of hanging or crashing.
    """
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    m = ADDRESS_RE.fullmatch(scheduler)
    if not m:
        raise InvalidArgument(f"--scheduler {scheduler!r} is malformed; accepted: tcp://HOST:PORT")
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            header = b""
            while len(header) < 8:
                chunk = sock.recv(8 - len(header))
                if not chunk:
                    break
                header += chunk
    except TimeoutError:
        raise InvalidArgument(f"--scheduler {scheduler}: no Dask handshake within {timeout:g} s; accepted: the "
                          "address of a running Dask scheduler") from None
    except OSError as exc:
        raise InvalidArgument(f"--scheduler {scheduler}: cannot connect ({exc.strerror or type(exc).__name__}); "
                          "accepted: the address of a running Dask scheduler") from None
    size = int.from_bytes(header, sys.byteorder) if len(header) == 8 else 0
    if not 0 < size <= MAX_HANDSHAKE_BYTES:
        raise InvalidArgument(f"--scheduler {scheduler}: the server there does not speak Dask's protocol; accepted: "
                          "the address of a running Dask scheduler")


def describe_executor(scheduler: str | None, workers: int | None) -> str:
    """'serial', 'local:N' or the scheduler address (recorded in outputs)."""
    return scheduler if scheduler is not None else f"local:{workers}" if workers is not None else "serial"


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InvalidArgument("--scheduler/--workers need Dask; accepted: install lrbias[dask] "
                          "(pip install 'dask[distributed]')") from None
    return distributed


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A distributed.Client on the scheduler, or on a local cluster of ``workers`` processes; closed on exit."""
    check_executor(scheduler, workers)
    distributed = _import_distributed()
    if scheduler is not None:
        probe_scheduler(scheduler)
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, MemoryError) as exc:
            raise InvalidArgument(f"--scheduler {scheduler}: cannot connect within {CONNECT_TIMEOUT_S} s "
                              f"({type(exc).__name__}); accepted: the address of a running Dask "
                              "scheduler") from None
        with client:
            yield client
        return
    if workers is None:
        raise InvalidArgument("a Dask client needs --scheduler or --workers; accepted: one of them")
    with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
        yield client


WORKER_SETUP = "lrbias.gd.dask_worker"


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A LocalCluster of ``workers`` single-threaded processes, without Dask's MALLOC_TRIM_THRESHOLD_.

    Closed within CLOSE_TIMEOUT_S on the way out, whatever ended the run (an error, Ctrl-C).

    Each worker runs WORKER_SETUP first (Dask's preload hook): Ctrl-C is this process's to handle.

    Dask sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which fixes glibc's mmap threshold, so
    every large numpy temporary of the GD loop is mmap'ed and unmapped again: twice slower here.
    """
    import dask

    distributed = _import_distributed()
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                          "distributed.worker.preload": [WORKER_SETUP]}):
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
    try:
        yield cluster
    finally:  # bounded teardown, also after Ctrl-C: a stuck worker is not waited for forever
        try:
            cluster.close(timeout=CLOSE_TIMEOUT_S)
        except Exception:  # teardown must not mask the error or interrupt that ended the run
            pass


def map_tasks(fn: Callable[[Any], Any], items: Sequence[Any], scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[int], None] | None = None) -> list[Any]:
    """[fn(item) for item in items] serially or on Dask, in the order of ``items``.

    ``fn`` must pickle (a module-level function or a partial of one) when Dask is used;
    ``progress(k)`` is called after each task with the index of the task just finished.
    """
    check_executor(scheduler, workers)
    if scheduler is None and workers is None:
        results = []
        for k, item in enumerate(items):
            results.append(fn(item))
            if progress is not None:
                progress(k)
        return results
    with dask_client(scheduler, workers) as client:
        return _map_on(client, fn, items, progress)


def _map_on(client: Any, fn: Callable[[Any], Any], items: Sequence[Any],
            progress: Callable[[int], None] | None) -> list[Any]:
    from distributed import as_completed

    futures = client.map(fn, list(items), pure=False)
    index = {f.key: k for k, f in enumerate(futures)}
    for future in as_completed(futures):
        if future.status == "error":
            future.result()
        if progress is not None:
            progress(index[future.key])
    return client.gather(futures)


def run_sweep_chunks(spec: str, n: int, ranges: SweepRanges, seed: int, settings: Settings | None = None,
                     chunk_size: int = DEFAULT_CHUNK_SIZE, scheduler: str | None = None,
                     workers: int | None = None, progress: Progress | None = None) -> BatchResult:
    """Run an n-start sweep chunk by chunk (serially or on Dask) and concatenate in chunk order.

    ``progress(done, n)`` is called as chunks finish (done counts starts).
    """
    settings = settings or Settings()
    chunks = plan_chunks(n, chunk_size, seed)
    done = [0]

    def advance(k: int) -> None:
        done[0] += chunks[k].size
        if progress is not None:
            progress(done[0], n)

    batches = map_tasks(partial(run_chunk, spec, ranges=ranges, settings=settings), chunks,
                        scheduler, workers, advance)
    meta = {"chunk_size": chunk_size, "chunks": len(chunks), "seed_scheme": SEED_SCHEME,
            "executor": describe_executor(scheduler, workers)}
    return concat_batches(batches, seed=seed, meta=meta)


def map_on(client: Any, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """[fn(item) for item in items] on an open Dask client, in the order of ``items``."""
    return _map_on(client, fn, items, None)


def sweep_report(spec: str, n: int, ranges: SweepRanges, seed: int, settings: Settings | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, scheduler: str | None = None, workers: int | None = None,
                 artefact_limit: int | None = 200, artefact_budget_s: float | None = 30.0,
                 progress: Progress | None = None, artefact_progress: Progress | None = None) -> dict[str, Any]:
    """Run an n-start sweep (:func:`run_sweep_chunks`), then the float-artefact check, and return
    the executor, the sweep's seconds (``elapsed_s``), the artefact check's (``artefact_check_s``) and
    its figures (:func:`lrbias.gd.stats.sweep_summary`).

    ``artefact_limit=None`` skips the artefact check (its figure is then None).
    """
    from lrbias.gd.artefacts import float_artefact_check
    from lrbias.gd.stats import sweep_summary
    from lrbias.losses.families import get_family

    started = time.perf_counter()
    batch = run_sweep_chunks(spec, n, ranges, seed, settings, chunk_size=chunk_size, scheduler=scheduler,
                             workers=workers, progress=progress)
    elapsed = time.perf_counter() - started
    artefacts = None if artefact_limit is None else float_artefact_check(
        get_family(spec), batch, limit=artefact_limit, budget_s=artefact_budget_s, progress=artefact_progress)
    checked = time.perf_counter() - started - elapsed
    return {"executor": describe_executor(scheduler, workers), "elapsed_s": round(elapsed, 3),
            "artefact_check_s": None if artefact_limit is None else round(checked, 3),
            **sweep_summary(batch, artefacts)}

