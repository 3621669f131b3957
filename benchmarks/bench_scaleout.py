"""Speed-up of a local Dask cluster over one process on a chunked sweep, both timed in the same run.

    python benchmarks/bench_scaleout.py            # 10⁶ starts
    python benchmarks/bench_scaleout.py --quick    # 10⁵ starts
    python benchmarks/bench_scaleout.py --workers 4 --n 2000000

The sweep: softplus-pair:a=0.5, C uniform in [2, 6], starts uniform in the box [0.5, 4]², 20 000-step
budget, the same chunk plan in both runs (so the arrays must be identical, which is checked): two
chunks per worker, at most the default chunk size.  Each chunk runs as long as its slowest start, so
its tail (a few undecided runs spending the whole budget) costs about budget × the per-step numpy
overhead: few, large chunks keep that cost low.  The cluster's start-up (workers importing lrbias
included) is timed apart and reported both excluded and included.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from lrbias.gd import BatchResult, Settings
from lrbias.gd.sampling import Range
from lrbias.gd.scaleout import DEFAULT_CHUNK_SIZE, SweepRanges, local_cluster, run_sweep_chunks
from lrbias.losses.families import get_family

SPEC = "softplus-pair:a=0.5"
RANGES = SweepRanges(Range(0.5, 4), Range(0.5, 4), Range(2, 6))


def identical(a: BatchResult, b: BatchResult) -> bool:
    """Outcome, steps and final points equal (NaN where NaN)."""
    return (np.array_equal(a.outcome, b.outcome) and np.array_equal(a.steps, b.steps)
            and np.array_equal(a.x, b.x, equal_nan=True) and np.array_equal(a.y, b.y, equal_nan=True))


def warm_up() -> None:
    """Import lrbias and build the family in a worker (part of the start-up, not of the sweep)."""
    get_family(SPEC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10⁵ starts instead of 10⁶")
    parser.add_argument("--n", type=int, help="number of starts (overrides --quick)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--steps", type=int, default=20_000, help="step budget (default 20000)")
    args = parser.parse_args()
    n = args.n or (100_000 if args.quick else 1_000_000)
    chunk_size = min(DEFAULT_CHUNK_SIZE, -(-n // (2 * args.workers)))
    st = Settings(max_steps=args.steps)
    print(f"sweep: {n} starts, {SPEC}, C 2:6, box 0.5:4, {args.steps}-step budget, chunk size {chunk_size}; "
          f"{os.cpu_count()} CPUs")

    t = time.perf_counter()
    serial = run_sweep_chunks(SPEC, n, RANGES, 0, st, chunk_size=chunk_size)
    t_serial = time.perf_counter() - t
    print(f"one process:          {t_serial:8.2f} s")

    import distributed

    t = time.perf_counter()
    with local_cluster(args.workers) as cluster:
        with distributed.Client(cluster) as client:
            client.run(warm_up)
        t_start = time.perf_counter() - t
        t = time.perf_counter()
        dask = run_sweep_chunks(SPEC, n, RANGES, 0, st, chunk_size=chunk_size, scheduler=cluster.scheduler_address)
        t_dask = time.perf_counter() - t
    print(f"{args.workers}-worker cluster:     {t_dask:8.2f} s   (+ {t_start:.2f} s cluster start-up)")
    print(f"speed-up: {t_serial / t_dask:.2f}x sweep only, {t_serial / (t_dask + t_start):.2f}x with start-up; "
          f"arrays identical: {identical(serial, dask)}")


if __name__ == "__main__":
    main()
