"""``lrbias certify``: a computer-assisted proof about one GD run (or the reason there is none)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from lrbias.errors import LrbiasError
from lrbias.serial import dumps

DESCRIPTION = """Follow gradient descent on f(x, y) = l(xy) from (x0, y0) in ball arithmetic
(python-flint arb, the precision doubled whenever an enclosure grows past 2^-64, up to
--max-bits) and try to prove its outcome.  'certified converged': a tail certificate (DESIGN.md,
"Certified verdicts") proves that every later iterate stays in a box around the valley and that
s_t -> 1 geometrically; printed are the step T of the certificate, proven enclosures of the
ratio S∞h/2, of the limiting sharpness S∞ and of the final imbalance x∞² - y∞², the bits and the
time.  'certified periodic': the run enters a neighbourhood of a cycle that F^p maps into itself
as a contraction, the cycle proven by the Krawczyk test.  Otherwise 'not certified' with the
reason (radius blew up at the maximum bits, rho >= 1 on every box tried, step budget spent).
x0, y0 and h are taken as exact binary floats."""


def _finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise LrbiasError(f"{name} = {value} is not finite; accepted: a finite real number")
    return value


def step_size(args: argparse.Namespace, curvature: float) -> float:
    """h from --h, --C (h = C/(x0² + y0²)) or --kappa (h = κ/(ℓ″(1)(x0² + y0²)))."""
    q0 = args.x0 * args.x0 + args.y0 * args.y0
    for name, value in (("--h", args.h), ("--C", args.C), ("--kappa", args.kappa)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise LrbiasError(f"{name} {value} is invalid; accepted: a finite number > 0")
    if args.h is not None:
        return float(args.h)
    if q0 == 0 or not math.isfinite(q0):
        raise LrbiasError(f"the start ({args.x0}, {args.y0}) gives x0² + y0² = {q0}; --C and --kappa need "
                          "0 < x0² + y0² < inf (give --h instead)")
    if args.C is not None:
        return float(args.C / q0)
    return float(args.kappa / (curvature * q0))


def _fmt(enc: Any) -> str:
    return "-" if enc is None else f"[{enc.lo!r}, {enc.hi!r}]  (width {enc.width:.3g})"


def _cmd_certify(args: argparse.Namespace) -> int:
    from lrbias.gd.certify import certify
    from lrbias.losses.families import get_family

    fam = get_family(args.loss)
    x0, y0 = _finite("--x0", args.x0), _finite("--y0", args.y0)
    h = step_size(args, fam.curvature)
    if not (math.isfinite(h) and h > 0):
        raise LrbiasError(f"the step size h = {h} is invalid; accepted: a finite number > 0")
    if not 128 <= args.max_bits <= 1_000_000:
        raise LrbiasError(f"--max-bits {args.max_bits} is invalid; accepted: an integer, 128 <= B <= 1000000")
    if args.max_steps < 1:
        raise LrbiasError(f"--max-steps {args.max_steps} is invalid; accepted: an integer >= 1")
    if not 0 < args.width < 1:
        raise LrbiasError(f"--width {args.width} is invalid; accepted: 0 < width < 1")
    cert = certify(fam, x0, y0, h, max_bits=args.max_bits, max_steps=args.max_steps,
                   width=args.width)
    if args.json:
        print(dumps(cert.as_dict(), indent=2))
        return 0
    print(f"{cert.outcome}  ({fam.spec}, x0 {x0!r}, y0 {y0!r}, h {h!r}, C {h * (x0 * x0 + y0 * y0):.6g})")
    if cert.tail is not None:
        t = cert.tail
        print(f"  tail certificate at step T = {t.step}: rho <= {t.rho:.6g}, |s_T - 1| <= {t.e:.3g}, "
              f"K <= {t.K:.6g}, box |s - 1| <= {t.eps:.3g}, |q - {t.q_centre:.10g}| <= {t.delta:.3g}")
        print(f"  ratio S∞h/2        {_fmt(cert.ratio)}")
        print(f"  sharpness S∞       {_fmt(cert.sharpness)}")
        print(f"  imbalance x∞²-y∞²  {_fmt(cert.imbalance)}")
        print(f"  limit x∞           {_fmt(cert.x)}")
        print(f"  limit y∞           {_fmt(cert.y)}")
    if cert.cycle is not None:
        c = cert.cycle
        print(f"  {c.period}-cycle through x {_fmt(c.x)}, y {_fmt(c.y)}; {c.stability} ({c.multipliers})")
    if cert.reason:
        print(f"  {'reason' if not cert.certified else 'why'}: {cert.reason}")
    print(f"  precision {cert.bits} bits, {cert.steps_followed} steps followed, {cert.seconds:.3f} s")
    return 0


def sweep_certified(spec: str, args: argparse.Namespace, ranges: Any, settings: Any) -> dict[str, Any]:
    """``lrbias sweep --certify K``: the first K starts of the sweep, certified."""
    from lrbias.gd.certify import certify_sweep_sample

    if args.certify < 0:
        raise LrbiasError(f"--certify {args.certify} is invalid; accepted: an integer, 0 <= K <= --n")
    return certify_sweep_sample(spec, args.n, ranges, args.seed, args.chunk_size, settings, args.certify)


def print_sweep_certified(c: dict[str, Any]) -> None:
    """The text form of the certified block of ``lrbias sweep --certify K``."""
    print(f"certified tier: the first {c['k']} starts")
    print("  float64    " + "  ".join(f"{k} {v:.4f}" for k, v in c["float_shares"].items()))
    print("  certified  " + "  ".join(f"{k} {v:.4f}" for k, v in c["certified_shares"].items()))
    rate = c["certified_of_float_converged"]
    med = c["median_seconds"]
    print(f"  float-converged {c['float_converged']}, of which certified converged: "
          + ("-" if rate is None else f"{rate:.4f}")
          + ("" if med is None else f"; median time per certificate {med:.3f} s"))


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``lrbias certify`` to the ``lrbias`` parser."""
    p = sub.add_parser("certify", help="prove that one GD run converges (with enclosures) or cycles",
                       description=DESCRIPTION)
    p.add_argument("--loss", required=True, help="loss spec, e.g. square or softplus-pair:a=0.5")
    p.add_argument("--x0", type=float, required=True, help="initial x")
    p.add_argument("--y0", type=float, required=True, help="initial y")
    knob = p.add_mutually_exclusive_group(required=True)
    knob.add_argument("--C", type=float, help="learning-rate knob: h = C / (x0² + y0²)")
    knob.add_argument("--h", type=float, help="learning rate h > 0")
    knob.add_argument("--kappa", type=float,
                      help="h = kappa / (l''(1) (x0² + y0²)); kappa > 2 is past 2/L at the start")
    p.add_argument("--max-bits", type=int, default=4096, help="most bits of precision (default 4096)")
    p.add_argument("--max-steps", type=int, default=200_000, help="step budget (default 200000)")
    p.add_argument("--width", type=float, default=1e-12,
                   help="follow on until the ratio enclosure is this narrow, relative (default 1e-12)")
    p.add_argument("--json", action="store_true", help="print the certificate as JSON")
    p.set_defaults(func=_cmd_certify)
