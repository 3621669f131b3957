"""Certification rate and time per certificate over an ``unbalanced`` sweep.

    python benchmarks/bench_certify.py                 # 200 starts per good family, every family
    python benchmarks/bench_certify.py --n 20 --quick  # a smoke run

For each family: ``n`` starts with x0 uniform in [0.05, 1], y0 in [3, 10] and one common random
sign (``starts_box(..., signs="common")``, seed given), κ uniform in [0.5, kappa_max], i.e.
h = κ / (ℓ″(1)(x0² + y0²)).  The float64 engine runs them all (budget 20 000 steps); every start
it calls converged is then certified with :func:`lrbias.gd.certificate.certify`.  Printed: the
float-converged count, the certified-converged count and rate, the median and 95th-percentile
time per start certified, and the reasons of the failures.  The good-regularity families
(softplus-pair a=1, a=0.5, logcosh, pseudo-huber, huber) pooled are the acceptance population.
A speed ratio needs no in-run baseline here: the figure of merit is the rate and the time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

import numpy as np

from lrbias.gd import Settings, run_batch
from lrbias.gd.certificate import CONVERGED, certify
from lrbias.gd.sampling import Range, knob_values, starts_box
from lrbias.losses.families import builtin_specs, get_family

GOOD = ["softplus-pair:a=1", "softplus-pair:a=0.5", "logcosh", "pseudo-huber", "huber:delta=1"]


def measure(spec: str, n: int, kappa_max: float, seed: int, max_steps: int) -> dict:
    fam = get_family(spec)
    x0, y0 = starts_box(n, Range(0.05, 1.0), Range(3.0, 10.0), seed, signs="common")
    kappa = knob_values(n, Range(0.5, kappa_max), seed)
    h = kappa / (fam.curvature * (x0 * x0 + y0 * y0))
    batch = run_batch(fam, x0, y0, h=h, settings=Settings(max_steps=20_000))
    converged = [i for i, r in enumerate(batch.records()) if r.outcome == "converged"]
    times, reasons, ok = [], Counter(), 0
    for i in converged:
        t0 = time.perf_counter()
        cert = certify(fam, float(x0[i]), float(y0[i]), float(h[i]), max_steps=max_steps)
        times.append(time.perf_counter() - t0)
        if cert.outcome == CONVERGED:
            ok += 1
        else:
            reasons[cert.reason.split("(")[0].strip()] += 1
    return {"spec": spec, "n": n, "float_converged": len(converged), "certified": ok, "times": times,
            "reasons": reasons}


def _line(m: dict) -> str:
    fc, ok, times = m["float_converged"], m["certified"], m["times"]
    rate = ok / fc if fc else float("nan")
    med = statistics.median(times) if times else float("nan")
    p95 = float(np.quantile(times, 0.95)) if times else float("nan")
    return (f"{m['spec']:22s} starts {m['n']:4d}  float-converged {fc:4d}  certified {ok:4d}  "
            f"rate {rate:6.1%}  median {med:6.3f} s  p95 {p95:6.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="starts per family (default 200)")
    ap.add_argument("--kappa-max", type=float, default=4.0, help="κ uniform in [0.5, KAPPA_MAX] (default 4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=200_000, help="certify's step budget per start")
    ap.add_argument("--quick", action="store_true", help="the good families only")
    args = ap.parse_args()
    specs = GOOD if args.quick else GOOD + [s for s in builtin_specs() if s not in GOOD]
    pooled = {"spec": "good families pooled", "n": 0, "float_converged": 0, "certified": 0, "times": []}
    print(f"unbalanced starts: x0 in [0.05, 1], y0 in [3, 10], common sign, kappa in [0.5, {args.kappa_max:g}], "
          f"seed {args.seed}")
    for spec in specs:
        m = measure(spec, args.n, args.kappa_max, args.seed, args.max_steps)
        print(_line(m), flush=True)
        for why, k in m["reasons"].most_common(3):
            print(f"    not certified x{k}: {why}")
        if spec in GOOD:
            for key in ("n", "float_converged", "certified"):
                pooled[key] += m[key]
            pooled["times"] += m["times"]
    print(_line(pooled))


if __name__ == "__main__":
    main()
