"""Certified share per outcome and time per certificate over an ``unbalanced`` sweep, as ratios to the
float64 sweep of the same starts (measured in the same run).

    python benchmarks/bench_certify.py                       # 200 starts per family, every family
    python benchmarks/bench_certify.py --n 20 --quick        # a smoke run (good families)
    python benchmarks/bench_certify.py --spec softplus-pair:a=1 --kappa 2:8 --n 200   # the issue's target family

For each family: ``n`` starts with x0 uniform in [0.05, 1], y0 in [3, 10] and one common random sign
(``starts_box(..., signs="common")``, seed given), κ uniform in the range given, i.e.
h = κ / (ℓ″(1)(x0² + y0²)).  The float64 engine runs them all (budget 20 000 steps), timed; then
*every* start is certified (:func:`lrbias.gd.certificate.certify`, ``--width``, step budget 4× the
float one, as ``lrbias sweep --certify all`` does).  Printed per family: the certified share of each
float64 outcome (converged, periodic, diverged, ...), the percentiles p50/p95/max of the time per
certificate, and the ratios of the certification to the float64 sweep: total over total, and each
percentile over the float64 time per start.  Both wall time and CPU time (``time.process_time``) are
measured: on a shared machine the CPU ratios are the ones that transfer.  Also printed: the steps the
slowest certificates followed (the time per certificate is proportional to them).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict

import numpy as np

from lrbias.gd import Settings, run_batch
from lrbias.gd.certificate import NOT_CERTIFIED, certify
from lrbias.gd.certificate.sweep import STEP_FACTOR, SWEEP_WIDTH
from lrbias.gd.sampling import Range, knob_values, starts_box
from lrbias.losses.families import builtin_specs, get_family

GOOD = ["softplus-pair:a=1", "softplus-pair:a=0.5", "logcosh", "pseudo-huber", "huber:delta=1"]
FLOAT_STEPS = 20_000


def measure(spec: str, n: int, kappa: Range, seed: int, width: float) -> dict:
    fam = get_family(spec)
    x0, y0 = starts_box(n, Range(0.05, 1.0), Range(3.0, 10.0), seed, signs="common")
    k = knob_values(n, kappa, seed)
    h = k / (fam.curvature * (x0 * x0 + y0 * y0))
    w0, c0 = time.perf_counter(), time.process_time()
    batch = run_batch(fam, x0, y0, h=h, settings=Settings(max_steps=FLOAT_STEPS))
    float_wall, float_cpu = time.perf_counter() - w0, time.process_time() - c0
    by_float: dict[str, Counter] = defaultdict(Counter)
    wall, cpu, steps, reasons = [], [], [], Counter()
    for i, rec in enumerate(batch.records()):
        w, c = time.perf_counter(), time.process_time()
        cert = certify(fam, float(x0[i]), float(y0[i]), float(h[i]), max_steps=STEP_FACTOR * FLOAT_STEPS,
                       width=width)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
        steps.append(cert.steps_followed)
        by_float[rec.outcome][cert.outcome] += 1
        if cert.outcome == NOT_CERTIFIED:
            reasons[f"{rec.outcome}: {cert.reason.split('(')[0].strip()[:90]}"] += 1
    return {"spec": spec, "n": n, "by_float": by_float, "wall": np.array(wall), "cpu": np.array(cpu),
            "steps": np.array(steps), "float_wall": float_wall, "float_cpu": float_cpu, "reasons": reasons}


def _lines(m: dict) -> list[str]:
    out = [f"{m['spec']}  ({m['n']} starts)"]
    for outcome, counts in sorted(m["by_float"].items()):
        total = sum(counts.values())
        ok = total - counts.get(NOT_CERTIFIED, 0)
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        out.append(f"  float {outcome:14s} {total:5d}  certified {ok / total:7.1%}  ({detail})")
    for kind in ("cpu", "wall"):
        t = m[kind]
        base = m[f"float_{kind}"]
        per = base / m["n"]
        p50, p95, mx = (float(np.quantile(t, q)) for q in (0.5, 0.95, 1.0))
        out.append(f"  {kind:4s}: float64 sweep {base:7.3f} s ({per * 1e3:.3f} ms/start); certify total "
                   f"{t.sum():8.2f} s = {t.sum() / base:7.1f}x; p50 {p50:.3f} s = {p50 / per:7.1f}x, "
                   f"p95 {p95:.3f} s = {p95 / per:7.1f}x, max {mx:.3f} s = {mx / per:7.1f}x the float64 time per start")
    slow = np.argsort(m["cpu"])[-3:][::-1]
    out.append("  slowest: " + "; ".join(f"{m['cpu'][i]:.3f} s cpu, {m['steps'][i]} steps" for i in slow)
               + f"  (cpu per step, median {np.median(m['cpu'] / np.maximum(m['steps'], 1)) * 1e6:.0f} us)")
    for why, k in m["reasons"].most_common(3):
        out.append(f"    not certified x{k}: {why}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="starts per family (default 200)")
    ap.add_argument("--kappa", default="0.5:4", help="κ range LO:HI (default 0.5:4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--width", type=float, default=SWEEP_WIDTH,
                    help=f"certify's ratio width (default {SWEEP_WIDTH:g}, the sweep's; lrbias certify uses 1e-12)")
    ap.add_argument("--spec", action="append", help="a family (repeatable; default: every built-in)")
    ap.add_argument("--quick", action="store_true", help="the good families only")
    args = ap.parse_args()
    kappa = Range.parse(args.kappa, "--kappa", positive=True)
    specs = args.spec or (GOOD if args.quick else GOOD + [s for s in builtin_specs() if s not in GOOD])
    print(f"unbalanced starts: x0 in [0.05, 1], y0 in [3, 10], common sign, kappa in [{kappa.lo:g}, {kappa.hi:g}], "
          f"seed {args.seed}, width {args.width:g}")
    for spec in specs:
        for line in _lines(measure(spec, args.n, kappa, args.seed, args.width)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
