"""``lrbias certify``: a computer-assisted proof about one GD run (or the reason there is none)."""

from __future__ import annotations

import argparse
from typing import Any

from lrbias.cli.start import MAX_STEPS, add_start_arguments, step_size
from lrbias.errors import InvalidArgument
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


def _fmt(enc: Any) -> str:
    return "-" if enc is None else f"[{enc.lo!r}, {enc.hi!r}]  (width {enc.width:.3g})"


def _cmd_certify(args: argparse.Namespace) -> int:
    from lrbias.gd.certificate import certify
    from lrbias.losses.families import get_family

    fam = get_family(args.loss)
    h = step_size(args, fam.curvature)
    x0, y0 = args.x0, args.y0
    if not 128 <= args.max_bits <= 1_000_000:
        raise InvalidArgument(f"--max-bits {args.max_bits} is invalid; accepted: an integer, 128 <= B <= 1000000")
    if not 1 <= args.max_steps <= MAX_STEPS:
        raise InvalidArgument(f"--max-steps {args.max_steps} is invalid; accepted: an integer, "
                          f"1 <= steps <= {MAX_STEPS}")
    if not 0 < args.width < 1:
        raise InvalidArgument(f"--width {args.width} is invalid; accepted: 0 < width < 1")
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
    from lrbias.gd.certificate import certify_sweep_sample

    if args.certify < 0:
        raise InvalidArgument(f"--certify {args.certify} is invalid; accepted: an integer, 0 <= K <= --n")
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
    add_start_arguments(p, "square or softplus-pair:a=0.5")
    p.add_argument("--max-bits", type=int, default=4096, help="most bits of precision (default 4096)")
    p.add_argument("--max-steps", type=int, default=200_000,
                   help=f"step budget (default 200000, at most {MAX_STEPS})")
    p.add_argument("--width", type=float, default=1e-12,
                   help="follow on until the ratio enclosure is this narrow, relative (default 1e-12)")
    p.add_argument("--json", action="store_true", help="print the certificate as JSON")
    p.set_defaults(func=_cmd_certify)
