"""What a certificate is: its outcomes, its precision and step budgets, and its records.

:class:`Certificate` is what :func:`lrbias.gd.certificate.certify` returns; :class:`Tail` and
:class:`Cycle` are the data of the two proofs it can hold (DESIGN.md, "Certified verdicts").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrbias.gd.certificate.intervals import Enclosure

CONVERGED = "certified converged"
PERIODIC = "certified periodic"
NOT_CERTIFIED = "not certified"

RADIUS_BITS = 64          # an enclosure wider than 2^-64 (relative) triggers more precision
START_BITS = 128
DEFAULT_MAX_BITS = 4096
DEFAULT_MAX_STEPS = 200_000
DEFAULT_WIDTH = 1e-12     # stop once the ratio enclosure is this narrow (relative to the ratio)
TRY_BELOW = 0.5           # tail certificates are tried once |s − 1| < TRY_BELOW
ESCAPE = 1e12             # |s| or q beyond this × max(1, q0): the run is left (divergence is not certified)
PERIOD_MAX = 16


@dataclass(frozen=True)
class Tail:
    """The data of a tail certificate at step T: the box (ε, q-centre, δ) and the proven bounds
    ρ, K, e ≥ |s_T − 1| (all exact floats), as the proof in DESIGN.md uses them."""

    step: int
    eps: float
    q_centre: float
    delta: float
    rho: float
    K: float
    e: float
    curvature_bound: float  # M ≥ sup |ℓ″| over [1 − ε, 1 + ε]


@dataclass(frozen=True)
class Cycle:
    """A proven period-p cycle: the Krawczyk box, the enclosed point, the stability verdict."""

    period: int
    x: Enclosure
    y: Enclosure
    stability: str          # "stable", "unstable" or "undecided"
    multipliers: str        # the trace/determinant enclosures of D(F^p) on the box


@dataclass(frozen=True)
class Certificate:
    """What :func:`certify` proved about the GD run from (x0, y0) with step h on ``spec``.

    ``outcome`` is ``certified converged``, ``certified periodic`` or ``not certified`` (then
    ``reason`` says why).  For a converged run: ``step`` is T (the step of the tail certificate
    used), ``ratio`` encloses S∞h/2, ``sharpness`` S∞ = ℓ″(1)(x∞² + y∞²), ``imbalance``
    x∞² − y∞², ``x``/``y`` the limit point, ``tail`` the box and bounds.  For a periodic run:
    ``cycle``.  ``catapult``: the first step where ℓ(s_t) > ℓ(s_0) is proven and a proven lower
    bound of the rise (ℓ(s_t) − ℓ(1)) / (ℓ(s_0) − ℓ(1)), or None.  ``bits`` is the precision the
    proof used and ``seconds`` the wall time.
    """

    outcome: str
    spec: str
    x0: float
    y0: float
    h: float
    reason: str
    bits: int
    seconds: float
    steps_followed: int
    step: int | None = None
    ratio: Enclosure | None = None
    sharpness: Enclosure | None = None
    imbalance: Enclosure | None = None
    x: Enclosure | None = None
    y: Enclosure | None = None
    tail: Tail | None = None
    cycle: Cycle | None = None
    catapult: dict[str, Any] | None = None
    balls: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def certified(self) -> bool:
        return self.outcome != NOT_CERTIFIED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the arb balls as strings)."""
        out: dict[str, Any] = {"outcome": self.outcome, "spec": self.spec, "x0": self.x0, "y0": self.y0,
                               "h": self.h, "C": self.h * (self.x0 ** 2 + self.y0 ** 2), "reason": self.reason,
                               "bits": self.bits, "seconds": self.seconds,
                               "steps_followed": self.steps_followed, "step": self.step}
        for name in ("ratio", "sharpness", "imbalance", "x", "y"):
            enc = getattr(self, name)
            out[name] = enc.as_dict() if enc is not None else None
        out["catapult"] = self.catapult
        out["tail"] = vars(self.tail) if self.tail is not None else None
        if self.cycle is not None:
            c = self.cycle
            out["cycle"] = {"period": c.period, "x": c.x.as_dict(), "y": c.y.as_dict(),
                            "stability": c.stability, "multipliers": c.multipliers}
        else:
            out["cycle"] = None
        return out

