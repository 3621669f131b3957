"""``lrbias run`` (one trajectory, any precision) and ``lrbias sweep`` (a batched sweep)."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from lrbias.cli.start import MAX_STEPS, add_start_arguments, step_size
from lrbias.errors import InvalidArgument
from lrbias.serial import dumps, print_table

MAX_SWEEP = 100_000_000
MAX_RECORDED = 100_000     # states a --record-every trajectory may keep (~100 bytes each in the JSON)
DEFAULT_CHUNK_SIZE = 1 << 18  # equal to lrbias.gd.scaleout.DEFAULT_CHUNK_SIZE (not imported: keeps startup light)
CHECK_HELP = ("test the decision rules every K steps: 1, 2, 4, ..., 128 (default 8; 1 gives the "
              "exact first step at which a rule holds)")
PRECISION_HELP = ("float64 (default), quad (binary128, the batched engine), mp:DIGITS (mpmath at DIGITS "
                  "decimal digits), auto (mpmath, "
                  "precision doubled until two agree), arb:BITS (python-flint balls)")


def parse_precision(text: str) -> tuple[str, int]:
    """('float64', 53) | ('mp', digits) | ('auto', 0) | ('arb', bits); LrbiasError otherwise."""
    if text == "quad":
        return "quad", 113
    if text == "float64":
        return "float64", 53
    if text == "auto":
        return "auto", 0
    m = re.fullmatch(r"(mp|arb):(\d+)", text)
    if not m:
        raise InvalidArgument(f"--precision {text!r} is invalid; accepted: {PRECISION_HELP}")
    kind, value = m.group(1), int(m.group(2))
    if kind == "mp" and not 15 <= value <= 100_000:
        raise InvalidArgument(f"--precision mp:{value} is invalid; accepted: mp:DIGITS, "
                          "15 <= DIGITS <= 100000")
    if kind == "arb" and not 53 <= value <= 1_000_000:
        raise InvalidArgument(f"--precision arb:{value} is invalid; accepted: arb:BITS, "
                          "53 <= BITS <= 1000000")
    return kind, value


def _check_steps(steps: int, flag: str = "--steps") -> None:
    if not 1 <= steps <= MAX_STEPS:
        raise InvalidArgument(f"{flag} {steps} is invalid; accepted: an integer, 1 <= steps <= {MAX_STEPS}")


def _cmd_run(args: argparse.Namespace) -> int:
    from lrbias.gd import Settings
    from lrbias.gd.scalar import run_one
    from lrbias.losses.families import get_family

    fam = get_family(args.loss)
    _check_steps(args.steps)
    if args.record_every > 0 and args.steps // args.record_every + 1 > MAX_RECORDED:
        least = -(-args.steps // (MAX_RECORDED - 1))
        raise InvalidArgument(f"--record-every {args.record_every} with --steps {args.steps} keeps "
                          f"{args.steps // args.record_every + 1} states; accepted: at most {MAX_RECORDED}, "
                          f"i.e. --record-every >= {least}")
    h = step_size(args, fam.curvature)
    x0, y0 = args.x0, args.y0
    q0 = x0 * x0 + y0 * y0
    kind, value = parse_precision(args.precision)
    st = Settings(max_steps=args.steps, record_every=args.record_every, check_every=args.check_every)
    rec = run_one(fam, x0, y0, h, kind, value, st)
    if args.json:
        print(dumps({"loss": fam.spec, **rec.as_dict()}))
        return 0
    print(f"loss {fam.spec}   start ({x0:g}, {y0:g})   h = {h:.6g}   C = h(x0²+y0²) = {h * q0:.6g}"
          f"   kappa = C·l''(1) = {h * q0 * fam.curvature:.6g}   precision {rec.precision}")
    print(f"outcome   {rec.outcome}: {rec.reason}")
    if rec.x is not None:
        print(f"final     x = {rec.x:.17g}, y = {rec.y:.17g}")
    if rec.sharpness is not None:
        print(f"sharpness S = {rec.sharpness:.6g}   2/h = {2 / h:.6g}   ratio S·h/2 = {rec.ratio:.6g}")
        print(f"imbalance x²-y² = {rec.imbalance:.6g}   (x-y)² = {rec.gap2:.6g}")
    if rec.fmax_ratio is not None:
        print(f"catapult  f_max/f0 = {rec.fmax_ratio:.6g} at step {rec.fmax_step}")
    for k, v in rec.extra.items():
        print(f"{k}: {v}")
    return 0


def _progress_bar(enabled: bool, label: str = "sweep") -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a one-line \\r bar on stderr (or doing nothing)."""
    started = time.perf_counter()

    def show(done: int, total: int) -> None:
        if not enabled:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                         f"{time.perf_counter() - started:.1f} s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _cmd_sweep(args: argparse.Namespace) -> int:
    from lrbias.gd import Settings
    from lrbias.gd.sampling import Range
    from lrbias.gd.scaleout import SEED_SCHEME, SweepRanges, check_executor, plan_chunks, sweep_report
    from lrbias.losses.families import get_family

    fam = get_family(args.loss)
    if not 1 <= args.n <= MAX_SWEEP:
        raise InvalidArgument(f"--n {args.n} is invalid; accepted: an integer, 1 <= n <= {MAX_SWEEP}")
    _check_steps(args.steps)
    if args.seed < 0:
        raise InvalidArgument(f"--seed {args.seed} is invalid; accepted: an integer >= 0")
    if not 0 <= args.certify <= args.n:
        raise InvalidArgument(f"--certify {args.certify} is invalid; accepted: an integer, 0 <= K <= --n ({args.n})")
    if args.artefact_limit < 0:
        raise InvalidArgument(f"--artefact-limit {args.artefact_limit} is invalid; accepted: an integer >= 0")
    if not (args.artefact_budget >= 0):
        raise InvalidArgument(f"--artefact-budget {args.artefact_budget} is invalid; accepted: seconds >= 0")
    if args.kappa is not None:
        k_range = Range.parse(args.kappa, "--kappa", positive=True)
        c_range = Range(k_range.lo / fam.curvature, k_range.hi / fam.curvature)
    else:
        c_range = Range.parse(args.C, "--C", positive=True)
    xr, yr = Range.parse(args.x0, "--x0"), Range.parse(args.y0, "--y0")
    if args.random_signs and args.common_signs:
        raise InvalidArgument("--random-signs and --common-signs together; accepted: at most one of them")
    signs = "independent" if args.random_signs else "common" if args.common_signs else "none"
    check_executor(args.scheduler, args.workers)
    if args.chunk_size < 1:
        raise InvalidArgument(f"--chunk-size {args.chunk_size} is invalid; accepted: an integer >= 1")
    plan_chunks(args.n, args.chunk_size, args.seed)
    show_bar = args.progress or (sys.stderr.isatty() and args.n >= 20_000)
    st = Settings(max_steps=args.steps, check_every=args.check_every)
    report = sweep_report(fam.spec, args.n, SweepRanges(xr, yr, c_range, signs), args.seed, st,
                          chunk_size=args.chunk_size, scheduler=args.scheduler, workers=args.workers,
                          artefact_limit=None if args.no_artefact_check else args.artefact_limit,
                          artefact_budget_s=args.artefact_budget, progress=_progress_bar(show_bar),
                          artefact_progress=_progress_bar(show_bar, "artefact check"))
    recorded = {"C": args.C if args.kappa is None else f"{c_range.lo!r}:{c_range.hi!r}", "kappa": args.kappa,
                "x0": args.x0, "y0": args.y0, "n": args.n, "seed": args.seed, "steps": args.steps,
                "signs": signs, "chunk_size": args.chunk_size, "seed_scheme": SEED_SCHEME,
                "engine": dataclasses.asdict(st),
                "artefact_check": None if args.no_artefact_check else
                {"limit": args.artefact_limit, "budget_s": args.artefact_budget}}
    summary = {"loss": fam.spec, "settings": recorded, **report}
    if args.certify:
        from lrbias.cli.certify import sweep_certified

        summary["certified"] = sweep_certified(fam.spec, args, SweepRanges(xr, yr, c_range, signs), st)
    if args.json:
        print(dumps(summary))
        return 0
    _print_sweep(summary, c_range, fam.curvature)
    if args.certify:
        from lrbias.cli.certify import print_sweep_certified

        print_sweep_certified(summary["certified"])
    return 0


def _print_sweep(summary: dict[str, Any], c_range: Any, curvature: float) -> None:
    """The text form of ``lrbias sweep``: settings (C and κ = C·l''(1)), time of each phase, figures."""
    recorded = summary["settings"]
    print(f"sweep of {recorded['n']} starts, loss {summary['loss']}, C in [{c_range.lo:.6g}, {c_range.hi:.6g}] "
          f"(kappa = C·l''(1) in [{c_range.lo * curvature:.6g}, {c_range.hi * curvature:.6g}]), "
          f"x0 in {recorded['x0']}, y0 in {recorded['y0']}, seed {recorded['seed']}")
    check_s = summary.get("artefact_check_s")
    print(f"time      sweep {summary['elapsed_s']:.2f} s, float-artefact check "
          + ("skipped" if check_s is None else f"{check_s:.2f} s")
          + f", total {summary['elapsed_s'] + (check_s or 0.0):.2f} s")
    print("outcomes  " + "  ".join(f"{k} {v:.4f}" for k, v in summary["shares"].items()))
    labels = (("ratio_quantiles", "ratio S∞h/2"), ("fmax_ratio_quantiles", "f_max/f0"),
              ("final_imbalance_quantiles", "|x∞²-y∞²|"), ("imbalance_ratio_quantiles", "|d∞|/|d0|"))
    rows = []
    for key, label in labels:
        q = summary[key]
        rows.append((label, "-", "-", "-") if q is None else
                    (label, f"{q['q05']:.4g}", f"{q['q50']:.4g}", f"{q['q95']:.4g}"))
    print_table(("converged runs", "q05", "q50", "q95"), rows)
    share = summary["catapult_share"]
    print("catapult share (converged runs with f_max > f0): "
          + ("none converged" if share is None else f"{share:.4f}"))
    a = summary["float_artefact_check"]
    if a is not None:
        print(f"float-artefact check: {a['suspects']} suspects {a['reasons']}, {a['checked']} re-run at high "
              f"precision, {a['agreements']} agree, {len(a['flips'])} flipped"
              + (f", {a['skipped']} not re-run (limit or time budget)" if a["skipped"] else ""))
        c = a.get("coverage") or {}
        if c:
            print(f"tiers: coverage {c['coverage']:.1%} of {c['suspects']} suspects: "
                  f"{c['confirmed_by_quad']} confirmed by quad ({c['quad_s']:.1f} s), "
                  f"{c['escalated']} escalated to mpmath ({c['confirmed_by_mpmath']} confirmed, "
                  f"{c['mpmath_s']:.1f} s), {len(c['flips'])} flips"
                  + (f", {c['inconclusive']} inconclusive" if c["inconclusive"] else ""))
        for f in a["flips"][:5]:
            print(f"  flip: start ({f['x0']!r}, {f['y0']!r}) h {f['h']!r}: float64 {f['float64']}, "
                  f"{f['precision']} {f['precise']}" + (f"; replay: {f['replay']}" if "replay" in f else ""))


def register(sub: argparse._SubParsersAction) -> None:
    """Add the engine subcommands to the ``lrbias`` parser."""
    p = sub.add_parser("run", help="one GD trajectory at any precision",
                       description="Run gradient descent on f(x, y) = l(xy) from one start and print "
                       "its outcome (converged / diverged / periodic / undecided, with the reason and "
                       "the step), final point, sharpness against 2/h, imbalance and catapult "
                       "figures.  With arb:BITS a run whose enclosure blows up ends 'precision-lost' "
                       "at that step, with no final point.")
    add_start_arguments(p, "softplus-pair:a=0.5")
    p.add_argument("--steps", type=int, default=20_000, help=f"step budget (default 20000, at most {MAX_STEPS})")
    p.add_argument("--precision", default="float64", help=PRECISION_HELP)
    p.add_argument("--record-every", type=int, default=0, help="keep every k-th state in --json output "
                   f"(at most {MAX_RECORDED} states)")
    p.add_argument("--check-every", type=int, default=8, help=CHECK_HELP)
    p.add_argument("--json", action="store_true", help="print the run record as JSON")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("sweep", help="a batched float64 sweep over starts and C",
                       description="Run GD from N random starts (uniform in the box x0 × y0, seeded) "
                       "with C uniform in its range; print outcome shares, quantiles of the limiting "
                       "ratio, catapult and imbalance figures, and the float-artefact check (every suspect "
                       "float64 verdict re-run in quad, batched; where float64 and quad disagree, in mpmath "
                       "at adaptive precision; the JSON gives coverage, flips and replay commands).  "
                       "The starts are drawn chunk by chunk "
                       "(--chunk-size), each chunk from its own seed, so --workers N (a local Dask "
                       "cluster) or --scheduler (a running one) give the same numbers as one process.")
    p.add_argument("--loss", required=True, help="loss spec")
    knob = p.add_mutually_exclusive_group(required=True)
    knob.add_argument("--C", help="range LO:HI of C (h = C / (x0² + y0²)), or one value")
    knob.add_argument("--kappa", help="range LO:HI of κ = C·l''(1) (the claims' knob), or one value")
    p.add_argument("--x0", default="0.5:4", help="range LO:HI of x0 (default 0.5:4; write a negative "
                   "bound as --x0=-4:-1)")
    p.add_argument("--y0", default="0.5:4", help="range LO:HI of y0 (default 0.5:4)")
    p.add_argument("--random-signs", action="store_true",
                   help="flip the signs of x0 and y0 at random, independently")
    p.add_argument("--common-signs", action="store_true",
                   help="flip (x0, y0) to -(x0, y0) at random (xy keeps its sign)")
    p.add_argument("--n", type=int, default=10_000, help=f"number of starts (default 10000, at most {MAX_SWEEP})")
    p.add_argument("--seed", type=int, default=0, help="sampling seed, recorded in the output (default 0)")
    p.add_argument("--steps", type=int, default=20_000,
                   help=f"step budget per run (default 20000, at most {MAX_STEPS})")
    p.add_argument("--artefact-limit", type=int, default=200,
                   help="most suspects escalated to mpmath (default 200); the quad tier re-runs every suspect")
    p.add_argument("--artefact-budget", type=float, default=30.0,
                   help="seconds spent confirming suspects (quad for all, batched, then mpmath; default 30)")
    p.add_argument("--no-artefact-check", action="store_true", help="skip the float-artefact check")
    p.add_argument("--check-every", type=int, default=8, help=CHECK_HELP)
    p.add_argument("--progress", action="store_true", help="progress bar on stderr even when not a tty")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                   help=f"starts per chunk (default {DEFAULT_CHUNK_SIZE}); chunk i is sampled from a seed "
                   "derived from (--seed, i), so the sample depends on --seed and --chunk-size only, "
                   "not on where the chunks run")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the chunks on this Dask scheduler (its workers need lrbias; needs lrbias[dask])")
    p.add_argument("--workers", type=int, metavar="N",
                   help="run the chunks on a local Dask cluster of N worker processes (needs lrbias[dask])")
    p.add_argument("--certify", type=int, default=0, metavar="K",
                   help="also certify the first K starts (lrbias certify) and print their certified shares "
                   "beside their float64 shares")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_sweep)
