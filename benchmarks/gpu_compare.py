"""Compare an NN-grid run (and the torch engine backend) on one device against the CPU, within tolerances.

    python benchmarks/gpu_compare.py nn REFERENCE.json CANDIDATE.json
    python benchmarks/gpu_compare.py engine --device cuda [--n 20000]

``nn``: two ``lrbias nn-grid --json`` outputs (the CPU run first).  Same claims with the same
verdicts; per run, S0 within ``S0_RTOL`` (relative), the tail median of S·h/2 within
``RATIO_ATOL`` (absolute), the same outcome, and the loss max/start within ``LOSS_RTOL``
(relative; a catapult peak is chaotic in its last digits).  float32 on two devices differs in
rounding (different kernels and reduction orders, TF32 off), which GD amplifies along a run: the
tolerances are what the claims' thresholds can absorb (the EoS band is 0.05 wide; 0.02 keeps a
run from crossing it unnoticed), not bit-equality.
``engine``: the batched engine's torch backend on ``--device`` against its numpy backend on the
same sweep: identical outcome labels for at least ``ENGINE_AGREE`` of the runs, and final states
within ``ENGINE_ATOL`` where both converged (a periodic or undecided run stops at a point of its
orbit that rounding may shift, so only converged limits are compared).
Exit 0 when everything agrees, 1 otherwise; each disagreement is printed on one line.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys

S0_RTOL = 1e-3
RATIO_ATOL = 0.02
LOSS_RTOL = 0.1
ENGINE_AGREE = 0.999
ENGINE_ATOL = 1e-6
TAIL = 0.25


def _tail_ratio(run: dict) -> float:
    steps, vals = run["sharpness_steps"], run["sharpness"]
    last = run["summary"]["steps_run"]
    lr = run["summary"]["lr"]
    tail = [v[0] * lr / 2 for t, v in zip(steps, vals, strict=True)
            if t >= last * (1 - TAIL) and v and v[0] is not None and math.isfinite(v[0])]
    return statistics.median(tail) if tail else math.nan


def _close(a: float, b: float, rtol: float = 0.0, atol: float = 0.0) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def compare_nn(ref: dict, cand: dict) -> list[str]:
    """Every disagreement between two nn-grid JSON outputs, one line each (empty: they agree)."""
    problems = []
    ref_claims = {c["id"]: c["verdict"] for c in ref["claims"]}
    cand_claims = {c["id"]: c["verdict"] for c in cand["claims"]}
    if set(ref_claims) != set(cand_claims):
        problems.append(f"claims differ: {sorted(ref_claims)} vs {sorted(cand_claims)}")
    for cid in sorted(set(ref_claims) & set(cand_claims)):
        if ref_claims[cid] != cand_claims[cid]:
            problems.append(f"{cid}: verdict {ref_claims[cid]} vs {cand_claims[cid]}")
    for grid, runs in ref["runs"].items():
        other = cand["runs"].get(grid)
        if other is None or len(other) != len(runs):
            problems.append(f"{grid}: missing or different number of runs")
            continue
        for a, b in zip(runs, other, strict=True):
            sa, sb = a["summary"], b["summary"]
            tag = f"{grid} h={sa['lr']:.4g}"
            if not _close(sa["s0"], sb["s0"], rtol=S0_RTOL):
                problems.append(f"{tag}: S0 {sa['s0']:.6g} vs {sb['s0']:.6g} (rtol {S0_RTOL})")
            if sa["outcome"] != sb["outcome"]:
                problems.append(f"{tag}: outcome {sa['outcome']} vs {sb['outcome']}")
            ra, rb = _tail_ratio(a), _tail_ratio(b)
            if not _close(ra, rb, atol=RATIO_ATOL):
                problems.append(f"{tag}: tail S*h/2 {ra:.4f} vs {rb:.4f} (atol {RATIO_ATOL})")
            if not _close(sa["loss_max_over_start"], sb["loss_max_over_start"], rtol=LOSS_RTOL):
                problems.append(f"{tag}: loss max/start {sa['loss_max_over_start']:.4g} vs "
                                f"{sb['loss_max_over_start']:.4g} (rtol {LOSS_RTOL})")
    return problems


def compare_engine(device: str, n: int) -> list[str]:
    """The torch backend on ``device`` against the numpy backend on one sweep (TF32 off)."""
    import numpy as np

    from lrbias.gd import run_batch
    from lrbias.gd.sampling import Range, starts_box
    from lrbias.losses.families import get_family

    fam = get_family("softplus-pair:a=0.5")
    x, y = starts_box(n, Range(0.5, 2), Range(0.5, 2), seed=0, random_signs=True)
    C = 1.0 / fam.curvature
    a = run_batch(fam, x, y, C=C)
    b = run_batch(fam, x, y, C=C, backend="torch", device=device)
    from lrbias.gd.outcome import Outcome

    agree = float(np.mean(a.outcome == b.outcome))
    both = a.mask(Outcome.CONVERGED) & b.mask(Outcome.CONVERGED)
    err = float(np.max(np.abs(np.r_[a.x[both] - b.x[both], a.y[both] - b.y[both]]), initial=0.0))
    print(f"engine: n={n}, device={device}: outcome agreement {agree:.6f}, max |limit diff| {err:.3g} over "
          f"{int(both.sum())} runs converged on both")
    problems = []
    if agree < ENGINE_AGREE:
        problems.append(f"engine: outcome agreement {agree:.6f} < {ENGINE_AGREE}")
    if err > ENGINE_ATOL:
        problems.append(f"engine: final states differ by {err:.3g} > {ENGINE_ATOL}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("nn")
    p.add_argument("reference")
    p.add_argument("candidate")
    p = sub.add_parser("engine")
    p.add_argument("--device", default="cuda")
    p.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args(argv)
    if args.what == "nn":
        with open(args.reference) as fa, open(args.candidate) as fb:
            problems = compare_nn(json.load(fa), json.load(fb))
        print(f"nn: {len(problems)} disagreement(s) (S0 rtol {S0_RTOL}, tail S*h/2 atol {RATIO_ATOL}, "
              f"loss max/start rtol {LOSS_RTOL}, same verdicts and outcomes)")
    else:
        problems = compare_engine(args.device, args.n)
    for line in problems:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
