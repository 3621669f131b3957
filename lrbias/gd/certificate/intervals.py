"""Exact float bounds of arb balls, and the proven interval type every certificate reports.

python-flint is imported on first use (:func:`flint_module`), so importing the certificate
package costs nothing when no proof is asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrbias.errors import InvalidArgument


def flint_module() -> Any:
    """The python-flint module; LrbiasError naming the extra when it is missing."""
    try:
        import flint
    except ImportError:  # pragma: no cover - python-flint is a dependency of the certify path
        raise InvalidArgument("certify needs python-flint: pip install 'lrbias[flint]'") from None
    return flint


# -- exact float bounds of balls -------------------------------------------------------------

def _outward(v: float, proven: Any, direction: float) -> float:
    """The first float reached from ``v`` towards ``direction`` (±inf) where ``proven(arb(v))`` holds.

    The step starts at one ulp and doubles, so the search ends within a few thousand tries from
    any start: an end beyond the float range gives ±inf or the largest float, never a hang
    (a start of 0 against an end at -1e-30, or a nan from inf - inf, once looped for ever).
    """
    arb = flint_module().arb
    if math.isnan(v):
        return direction
    step = 0.0
    while not proven(arb(v)):
        if v == direction:
            return v
        nxt = math.nextafter(v, direction)
        step = max(2.0 * step, abs(nxt - v)) if math.isfinite(v) else 0.0
        v = nxt if step == 0.0 else v + math.copysign(step, direction)
    return v


def upper(b: Any) -> float:
    """A Python float u with u ≥ every point of the ball b (proven by an arb comparison)."""
    if not b.is_finite():
        return math.inf
    return _outward(float(b.upper()), lambda a: a >= b, math.inf)


def lower(b: Any) -> float:
    """A Python float v with v ≤ every point of the ball b (proven by an arb comparison)."""
    if not b.is_finite():
        return -math.inf
    return _outward(float(b.lower()), lambda a: a <= b, -math.inf)


@dataclass(frozen=True)
class Enclosure:
    """A proven interval [lo, hi] (outward-rounded floats) and the arb ball it came from."""

    lo: float
    hi: float
    ball: str

    @classmethod
    def of(cls, b: Any) -> Enclosure:
        return cls(lower(b), upper(b), b.str(radius=True))

    @property
    def width(self) -> float:
        return self.hi - self.lo

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def as_dict(self) -> dict[str, Any]:
        return {"lo": self.lo, "hi": self.hi, "ball": self.ball}

