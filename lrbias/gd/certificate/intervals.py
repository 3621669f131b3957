"""Exact float bounds of arb balls, and the proven interval type every certificate reports.

python-flint is imported on first use (:func:`flint_module`), so importing the certificate
package costs nothing when no proof is asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrbias.errors import LrbiasError


def flint_module() -> Any:
    """The python-flint module; LrbiasError naming the extra when it is missing."""
    try:
        import flint
    except ImportError:  # pragma: no cover - python-flint is a dependency of the certify path
        raise LrbiasError("certify needs python-flint: pip install 'lrbias[flint]'") from None
    return flint


# -- exact float bounds of balls -------------------------------------------------------------

def upper(b: Any) -> float:
    """A Python float u with u ≥ every point of the ball b (proven by an arb comparison)."""
    arb = flint_module().arb
    if not b.is_finite():
        return math.inf
    u = float(b.mid()) + float(b.rad())
    while not arb(u) >= b:
        u = math.nextafter(u, math.inf) + abs(u) * 2.0 ** -50
    return u


def lower(b: Any) -> float:
    """A Python float v with v ≤ every point of the ball b (proven by an arb comparison)."""
    arb = flint_module().arb
    if not b.is_finite():
        return -math.inf
    v = float(b.mid()) - float(b.rad())
    while not arb(v) <= b:
        v = math.nextafter(v, -math.inf) - abs(v) * 2.0 ** -50
    return v


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

