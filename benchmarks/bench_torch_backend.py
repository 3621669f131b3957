"""The batched engine's torch backend against its numpy backend, timed in the same run.

    python benchmarks/bench_torch_backend.py [--n 200000] [--device auto] [--threads N]

Prints the time of each backend on the same sweep (softplus-pair:a=0.5, κ = 1, box [0.5, 2]²)
and the ratio numpy/torch (> 1: torch faster).  On a CPU the numpy loop is usually faster; the
torch backend is there for CUDA devices.  On a shared CPU, ``--threads 1`` gives steadier figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lrbias.gd import run_batch
from lrbias.gd.sampling import Range, starts_box
from lrbias.losses.families import get_family


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    fam = get_family("softplus-pair:a=0.5")
    x, y = starts_box(args.n, Range(0.5, 2), Range(0.5, 2), seed=0, random_signs=True)
    C = 1.0 / fam.curvature
    t = time.perf_counter()
    a = run_batch(fam, x, y, C=C)
    t_numpy = time.perf_counter() - t
    run_batch(fam, x[:100], y[:100], C=C, backend="torch", device=args.device)  # warm-up
    t = time.perf_counter()
    b = run_batch(fam, x, y, C=C, backend="torch", device=args.device)
    t_torch = time.perf_counter() - t
    same = bool(np.array_equal(a.outcome, b.outcome))
    print(f"n={args.n}: numpy {t_numpy:.2f} s, torch ({args.device}) {t_torch:.2f} s -> numpy/torch "
          f"{t_numpy / t_torch:.2f}x; same outcomes: {same}")


if __name__ == "__main__":
    main()
