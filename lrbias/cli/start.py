"""The one-run start and learning-rate knob shared by ``lrbias run`` and ``lrbias certify``.

The three knobs are one rule: ``--h`` is the step itself, ``--C`` sets h = C/(x0² + y0²) and
``--kappa`` sets h = κ/(ℓ″(1)(x0² + y0²)) (the claims' knob, κ = C·ℓ″(1)).
"""

from __future__ import annotations

import argparse
import math

from lrbias.errors import InvalidArgument

__all__ = ["MAX_STEPS", "add_start_arguments", "finite", "step_size"]

MAX_STEPS = 10_000_000     # step budget of one run (float64: seconds; mpmath/arb: the user asked for it)


def add_start_arguments(p: argparse.ArgumentParser, loss_example: str) -> None:
    """--loss, --x0, --y0 and exactly one of --C / --h / --kappa."""
    p.add_argument("--loss", required=True, help=f"loss spec, e.g. {loss_example}")
    p.add_argument("--x0", type=float, required=True, help="initial x")
    p.add_argument("--y0", type=float, required=True, help="initial y")
    knob = p.add_mutually_exclusive_group(required=True)
    knob.add_argument("--C", type=float, help="learning-rate knob: h = C / (x0² + y0²)")
    knob.add_argument("--h", type=float, help="learning rate h > 0")
    knob.add_argument("--kappa", type=float, help="the claims' knob: h = κ / (l''(1)(x0² + y0²)), κ = C·l''(1); "
                      "κ > 2 is past 2/L at the start")


def finite(name: str, value: float) -> float:
    """``value``, or a one-line error naming ``name`` when it is not a finite real number."""
    if not math.isfinite(value):
        raise InvalidArgument(f"{name} = {value} is not finite; accepted: a finite real number")
    return value


def step_size(args: argparse.Namespace, curvature: float) -> float:
    """h from --h, --C or --kappa (one of them given), with one-line errors for invalid values."""
    x0, y0 = finite("--x0", args.x0), finite("--y0", args.y0)
    for name, value in (("--h", args.h), ("--C", args.C), ("--kappa", args.kappa)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InvalidArgument(f"{name} {value} is invalid; accepted: a finite number > 0")
    q0 = x0 * x0 + y0 * y0
    if not math.isfinite(q0):
        raise InvalidArgument(f"--x0 {x0:g} --y0 {y0:g}: x0² + y0² overflows; accepted: |x0|, |y0| < 1e154")
    if args.h is not None:
        return float(args.h)
    knob = "--C" if args.C is not None else "--kappa"
    if q0 == 0:
        raise InvalidArgument(f"--x0 0 --y0 0 with {knob}: h is undefined at the saddle; "
                          "accepted: a start other than (0, 0), or --h")
    h = args.C / q0 if args.C is not None else args.kappa / (curvature * q0)
    if not (math.isfinite(h) and h > 0):
        raise InvalidArgument(f"{knob} gives the step size h = {h:g}, which is not a finite number > 0; "
                          "accepted: a start and knob with 0 < h < inf")
    return float(h)
