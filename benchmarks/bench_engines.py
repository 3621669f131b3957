"""Engine benchmarks; every figure is a ratio against a baseline measured in the same run.

    python benchmarks/bench_engines.py            # the sizes of the issue (10⁶ / 10⁵ starts)
    python benchmarks/bench_engines.py --quick    # 10x smaller, a smoke run of a few minutes
    python benchmarks/bench_engines.py --only efg # the quad tier, the tiers on a sweep, the kernel

(a) per-step throughput: the batched engine (decisions, compaction) vs a plain numpy loop that
    advances every start for the same fixed budget (loss maximum tracked, no decisions),
    10⁶ starts, C uniform in [1, 4], for softplus-pair:a=1 and square;
(b) a realistic sweep: 10⁵ starts, C uniform in [2, 6], run to a decision (budget 20 000 steps)
    vs the plain loop over the same budget (extrapolated from 500 timed steps);
(c) mpmath vs python-flint arb per GD step at ~50 digits (166 bits), with the ratio of one ℓ′
    evaluation and of bare arithmetic alongside (what bounds the engine ratio);
(d) peak memory of a 10⁶-start sweep: tracemalloc peak (numpy buffers included) and the growth
    of the maximum resident set of a fresh process, against the 16 MiB of the starts themselves.

The precision tiers and the fused kernel (issue 13's (a)–(c); its (d) is (a), (b), (d) above):

(e) quad (binary128, batched) vs mpmath at 113 bits (35 digits) per start-step, 10⁴ starts,
    nothing deciding, softplus-pair:a=1 and pseudo-huber;
(f) the pseudo-huber sweep (n 2000, seed 7, C in [2.5, 3.9], x0 in [0.05, 1], y0 in [3, 10]):
    every suspect through the tiers vs the previous check's mpmath ``auto`` on its first 5
    suspects (what its 30 s budget covered);
(g) float64: the engine with the numba kernel vs the plain numpy loop above and vs a hand-fused
    numba loop of the same step, nothing deciding, 10⁶ starts × 200 steps (compile excluded);
(t) (only with --only t) the square step fused by torch.compile instead, against the same plain loop.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

from lrbias.gd import Settings, run_arb, run_batch, run_mp
from lrbias.gd.sampling import Range, knob_values, starts_box
from lrbias.losses.families import Family, get_family

TARGETS = {"a": 2.0, "b": 10.0, "c": 10.0, "d_mib": 1024.0, "e": 30.0, "f": 1.0,
           "g": {"softplus-pair:a=1": 1.3, "square": 4.0}, "g_fused": 1.3}


def plain_loop(fam: Family, x: np.ndarray, y: np.ndarray, h: np.ndarray, steps: int) -> np.ndarray:
    """The baseline: every start advanced every step, the loss maximum tracked, no decisions."""
    d1, loss = fam.np.d1, fam.np.loss
    with np.errstate(all="ignore"):
        fmax = loss(x * y)
        for _ in range(steps):
            s = x * y
            g = d1(s)
            np.maximum(fmax, loss(s), out=fmax)
            hg = h * g
            x, y = x - hg * y, y - hg * x
    return fmax


def timed(fn: Callable[..., Any], *args: Any, **kw: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def verdict(ratio: float, target: float) -> str:
    return f"target >= {target:g}x: {'met' if ratio >= target else 'MISSED'}"


def bench_throughput(n: int, budget: int = 1000) -> None:
    for spec in ("softplus-pair:a=1", "square"):
        fam = get_family(spec)
        x, y = starts_box(n, Range(0.5, 3), Range(0.5, 3), seed=0, random_signs=True)
        C = knob_values(n, Range(1, 4), seed=0)
        t_engine, res = timed(run_batch, fam, x, y, C=C, settings=Settings(max_steps=budget))
        t_plain, _ = timed(plain_loop, fam, x, y, C / (x * x + y * y), budget)
        ratio = t_plain / t_engine
        shares = ", ".join(f"{k} {v:.2f}" for k, v in res.shares().items() if v)
        print(f"(a) {spec:18s} n={n} budget {budget} steps: engine {t_engine:6.2f} s "
              f"({n * budget / t_engine / 1e6:6.1f} M start-steps/s; {shares}), plain loop "
              f"{t_plain:6.2f} s ({n * budget / t_plain / 1e6:5.1f} M/s) -> {ratio:.1f}x; "
              f"{verdict(ratio, TARGETS['a'])}")


def bench_sweep(n: int, probe: int = 500) -> None:
    for spec in ("softplus-pair:a=0.5", "square"):
        fam = get_family(spec)
        x, y = starts_box(n, Range(0.5, 4), Range(0.5, 4), seed=1, random_signs=True)
        C = knob_values(n, Range(2, 6), seed=1)
        st = Settings()
        t_engine, res = timed(run_batch, fam, x, y, C=C, settings=st)
        t_probe, _ = timed(plain_loop, fam, x, y, C / (x * x + y * y), probe)
        t_plain = t_probe * st.max_steps / probe
        ratio = t_plain / t_engine
        shares = ", ".join(f"{k} {v:.3f}" for k, v in res.shares().items() if v)
        print(f"(b) {spec:18s} sweep n={n}, C in [2, 6], to a decision: engine {t_engine:6.2f} s "
              f"(slowest run {int(res.steps.max())} steps; {shares}); plain loop {st.max_steps} steps "
              f"~{t_plain:7.1f} s (from {probe} timed) -> {ratio:.1f}x; {verdict(ratio, TARGETS['b'])}")


def _per_call(fn: Callable[[], Any], reps: int) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def bench_precision(steps: int = 400) -> None:
    import flint

    for spec in ("softplus-pair:a=0.5", "square"):
        fam = get_family(spec)
        st = Settings(max_steps=steps, tol=1e-300)  # no early decision: exactly `steps` steps
        h = 0.05
        t_mp, _ = timed(run_mp, fam, 2.0, 0.3, h, 50, st)
        t_arb, rec = timed(run_arb, fam, 2.0, 0.3, h, 166, st, max_rel_radius=1.0)
        with mpmath.workdps(50):
            v = mpmath.mpf("1.3")
            d1_mp = _per_call(lambda v=v, f=fam: f.mp.d1(v), 2000)
            ops_mp = _per_call(lambda v=v: v * v - v * v, 20000)
        old = flint.ctx.prec
        flint.ctx.prec = 166
        try:
            b = flint.arb("1.3")
            d1_arb = _per_call(lambda b=b, f=fam: f.arb.d1(b), 2000)
            ops_arb = _per_call(lambda b=b: b * b - b * b, 20000)
        finally:
            flint.ctx.prec = old
        ratio = t_mp / t_arb
        print(f"(c) {spec:18s} {steps} GD steps at 50 digits / 166 bits: mpmath {t_mp * 1e6 / steps:6.1f} "
              f"us/step, arb {t_arb * 1e6 / steps:6.1f} us/step -> arb {ratio:.1f}x faster; "
              f"{verdict(ratio, TARGETS['c'])} [one l'(s): {d1_mp / d1_arb:.1f}x, bare arithmetic: "
              f"{ops_mp / ops_arb:.1f}x; arb run ended {rec.outcome}]")


def peak_rss_kib() -> int:
    """This process's peak resident set in KiB: VmHWM (reset by exec, unlike ru_maxrss, which a
    child inherits from its parent), or ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_memory(n: int) -> None:
    fam = get_family("softplus-pair:a=1")
    x, y = starts_box(n, Range(0.5, 4), Range(0.5, 4), seed=2, random_signs=True)
    C = knob_values(n, Range(2, 6), seed=2)
    rss_before = peak_rss_kib()
    tracemalloc.start()
    t, _ = timed(run_batch, fam, x, y, C=C)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = (peak_rss_kib() - rss_before) / 1024
    inputs = (x.nbytes + y.nbytes) / 2**20
    peak_mib = peak / 2**20
    print(f"(d) sweep of {n} starts (C in [2, 6], {t:.1f} s): tracemalloc peak {peak_mib:.0f} MiB "
          f"({peak_mib / inputs:.1f}x the {inputs:.0f} MiB of starts), peak RSS grew {rss_growth:.0f} MiB; "
          f"target < {TARGETS['d_mib']:.0f} MiB: {'met' if peak_mib < TARGETS['d_mib'] else 'MISSED'}")


def bench_quad(n: int, steps: int = 100, mp_starts: int = 3) -> None:
    for spec in ("softplus-pair:a=1", "pseudo-huber"):
        fam = get_family(spec)
        x, y = starts_box(n, Range(0.5, 3), Range(0.5, 3), seed=3, random_signs=True)
        C = knob_values(n, Range(0.5, 1.5), seed=3) / fam.curvature
        st = Settings(max_steps=steps, tol=1e-300, bound=1e300)   # nothing decides: exactly `steps` steps
        run_batch(fam, x[:4], y[:4], C=C[:4], settings=st, backend="quad")   # build the quad evaluators
        t_quad, res = timed(run_batch, fam, x, y, C=C, settings=st, backend="quad")
        t_mp = 0.0
        for i in range(mp_starts):
            t, _ = timed(run_mp, fam, float(x[i]), float(y[i]), float(res.h[i]), 35, st)
            t_mp += t
        per_quad, per_mp = t_quad / (n * steps), t_mp / (mp_starts * steps)
        ratio = per_mp / per_quad
        print(f"(e) {spec:18s} {n} starts x {steps} steps: quad {1 / per_quad / 1e3:7.1f} k start-steps/s, "
              f"mpmath at 35 digits {1 / per_mp / 1e3:5.2f} k/s ({mp_starts} starts) -> quad {ratio:.0f}x; "
              f"{verdict(ratio, TARGETS['e'])}")


def bench_confirmation(old_runs: int = 5) -> None:
    from lrbias.gd import suspects
    from lrbias.gd.artefacts import CHECK_MAX_DPS
    from lrbias.gd.scalar import run_auto
    from lrbias.gd.scaleout import SweepRanges, run_sweep_chunks, sweep_report

    spec, n, seed = "pseudo-huber", 2000, 7
    ranges = SweepRanges(Range(0.05, 1), Range(3, 10), Range(2.5, 3.9), "none")
    t_all, report = timed(sweep_report, spec, n, ranges, seed)
    cov = report["float_artefact_check"]["coverage"]
    batch = run_sweep_chunks(spec, n, ranges, seed)
    fam = get_family(spec)
    order: list[int] = []
    seen = np.zeros(n, dtype=bool)
    for m in suspects(batch).values():
        order += [int(i) for i in np.flatnonzero(m & ~seen)]
        seen |= m
    t_old = 0.0
    for i in order[:old_runs]:
        t, _ = timed(run_auto, fam, float(batch.x0[i]), float(batch.y0[i]), float(batch.h[i]), batch.settings,
                     max_dps=CHECK_MAX_DPS)
        t_old += t
    t_tiers = cov["quad_s"] + cov["mpmath_s"]
    ratio = t_old / t_tiers if t_tiers else float("inf")
    print(f"(f) {spec} sweep n={n} seed {seed}: {cov['suspects']} suspects, coverage {cov['coverage']:.0%} "
          f"({cov['confirmed_by_quad']} by quad in {cov['quad_s']:.1f} s, {cov['escalated']} escalated, "
          f"{len(cov['flips'])} flips; sweep + check {t_all:.1f} s); the previous check's mpmath auto on "
          f"{old_runs} suspects {t_old:.1f} s -> tiers on all in {ratio:.2f}x that time; "
          f"{verdict(ratio, TARGETS['f'])} and coverage 100%: {'met' if cov['coverage'] == 1 else 'MISSED'}")


def _hand_fused(spec: str) -> Callable[..., Any]:
    """The best loop written by hand for the step: one numba prange over starts, ℓ′ and ℓ inlined."""
    import math

    from numba import njit, prange

    if spec == "square":
        @njit(parallel=True)
        def loop(x, y, h, steps):   # pragma: no cover - compiled
            fmax = np.empty(x.shape[0])
            for i in prange(x.shape[0]):
                xi, yi, hi = x[i], y[i], h[i]
                u = xi * yi - 1.0
                fm = 0.5 * u * u
                for _ in range(steps):
                    hg = hi * (xi * yi - 1.0)
                    xi, yi = xi - hg * yi, yi - hg * xi
                    u = xi * yi - 1.0
                    fm = max(fm, 0.5 * u * u)
                fmax[i] = fm
            return fmax
        return loop

    ln2 = math.log(2.0)

    @njit(parallel=True)
    def loop_sp(x, y, h, steps):   # pragma: no cover - compiled
        fmax = np.empty(x.shape[0])
        for i in prange(x.shape[0]):
            xi, yi, hi = x[i], y[i], h[i]
            fm = -1.0
            for _ in range(steps + 1):
                u = 0.5 * (xi * yi - 1.0)
                au = abs(u)
                lc = (math.log1p(2.0 * math.sinh(au / 2.0) ** 2) if au < 1.0
                      else au + math.log1p(math.exp(-2.0 * au)) - ln2)
                fm = max(fm, 2.0 * lc + 2.0 * ln2)
                hg = hi * math.tanh(u)
                xi, yi = xi - hg * yi, yi - hg * xi
            fmax[i] = fm
        return fmax
    return loop_sp


def bench_kernel(n: int, steps: int = 200) -> None:
    for spec in ("softplus-pair:a=1", "square"):
        fam = get_family(spec)
        x, y = starts_box(n, Range(0.5, 3), Range(0.5, 3), seed=4, random_signs=True)
        C = knob_values(n, Range(0.5, 1.5), seed=4) / fam.curvature
        h = C / (x * x + y * y)
        st = Settings(max_steps=steps, tol=1e-300, bound=1e300)   # nothing decides
        fused = _hand_fused(spec)
        run_batch(fam, x[:8], y[:8], h=h[:8], settings=st, backend="numba")   # compile both first
        fused(x[:8], y[:8], h[:8], 2)
        t_numpy, a = timed(run_batch, fam, x, y, h=h, settings=st)
        t_kernel, b = timed(run_batch, fam, x, y, h=h, settings=st, backend="numba")
        t_plain, _ = timed(plain_loop, fam, x, y, h, steps)
        t_fused, _ = timed(fused, x, y, h, steps)
        same = float(np.mean((a.outcome == b.outcome) & (a.steps == b.steps)))
        ratio, to_fused = t_plain / t_kernel, t_kernel / t_fused
        print(f"(g) {spec:18s} {n} starts x {steps} steps: numpy engine {t_numpy:6.2f} s, plain numpy loop "
              f"{t_plain:6.2f} s, engine with the numba kernel {t_kernel:6.2f} s, hand-fused loop {t_fused:6.2f} s "
              f"-> kernel {ratio:.2f}x the plain loop ({verdict(ratio, TARGETS['g'][spec])}), "
              f"{to_fused:.2f}x the hand-fused time (target <= {TARGETS['g_fused']:g}: "
              f"{'met' if to_fused <= TARGETS['g_fused'] else 'MISSED'}); numpy engine {t_plain / t_numpy:.2f}x; "
              f"kernel = numpy run for run on {same:.1%}")


def bench_torch_compile(n: int, steps: int = 200) -> None:
    """(t) the alternative to the numba kernel: the same square step fused by torch.compile (CPU)."""
    import torch

    torch.set_num_threads(1)
    fam = get_family("square")
    x, y = starts_box(n, Range(0.5, 3), Range(0.5, 3), seed=4, random_signs=True)
    h = knob_values(n, Range(0.5, 1.5), seed=4) / (x * x + y * y)

    def step(x, y, h, fmax):
        s = x * y
        hg = h * (s - 1)
        x, y = x - hg * y, y - hg * x
        u = x * y - 1
        return x, y, torch.maximum(fmax, 0.5 * u * u)

    tx, ty, th = (torch.from_numpy(a.copy()) for a in (x, y, h))
    try:
        compiled = torch.compile(step)
        t_compile, _ = timed(compiled, tx, ty, th, torch.zeros_like(tx))
    except Exception as exc:  # a missing toolchain is the finding
        print(f"(t) torch.compile unavailable here: {type(exc).__name__}: {str(exc)[:120]}")
        return

    def run(fn: Callable[..., Any]) -> Any:
        a, b, f = tx, ty, torch.zeros_like(tx)
        for _ in range(steps):
            a, b, f = fn(a, b, th, f)
        return f

    t_eager, _ = timed(run, step)
    t_comp, _ = timed(run, compiled)
    t_plain, _ = timed(plain_loop, fam, x, y, h, steps)
    print(f"(t) square {n} starts x {steps} steps: plain numpy loop {t_plain:.2f} s, torch eager {t_eager:.2f} s, "
          f"torch.compile {t_comp:.2f} s (+{t_compile:.1f} s compile) -> {t_plain / t_comp:.2f}x the plain loop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument("--only", default="abcdefg", help="which parts to run, e.g. 'ac' (default abcdefg)")
    parser.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        bench_memory(args.memory_child)
        return
    scale = 10 if args.quick else 1
    print(f"numpy {np.__version__}, mpmath {mpmath.__version__} (backend {mpmath.libmp.BACKEND})")
    if "a" in args.only:
        bench_throughput(1_000_000 // scale)
    if "b" in args.only:
        bench_sweep(100_000 // scale)
    if "c" in args.only:
        bench_precision()
    if "d" in args.only:  # in a fresh process, so the resident-set figure is this sweep's alone
        subprocess.run([sys.executable, __file__, "--memory-child", str(1_000_000 // scale)], check=True)
    if "e" in args.only:
        bench_quad(10_000 // scale)
    if "f" in args.only:
        bench_confirmation()
    if "g" in args.only:
        bench_kernel(1_000_000 // scale)
    if "t" in args.only:
        bench_torch_compile(1_000_000 // scale)


if __name__ == "__main__":
    main()
