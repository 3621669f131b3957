"""Run outcomes, engine settings, the per-run record and the rise ratio, shared by every engine."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lrbias.errors import InvalidArgument
from lrbias.serial import json_safe


class Outcome(enum.IntEnum):
    """How a trajectory ended (the integer is the code stored in batched arrays)."""

    CONVERGED = 0   # |s − 1| and |ℓ′(s)| under tolerance, and the minimiser is stable: 0 < hS < 2
    DIVERGED = 1    # non-finite, or |s| / q beyond the bound
    PERIODIC = 2    # returned to within a relative tolerance of the state p steps back (2 ≤ p ≤ 8)
    UNDECIDED = 3   # step budget spent
    PRECISION_LOST = 4  # arb engine only: the enclosure grew too wide to decide anything

    def __str__(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """The outcome named ``text`` (as printed: "converged", "precision-lost", ...)."""
        for o in cls:
            if str(o) == text:
                return o
        raise InvalidArgument(f"outcome {text!r} is unknown; accepted: {', '.join(str(o) for o in cls)}")


@dataclass(frozen=True)
class Settings:
    """The knobs of the decision rules: tolerances, bounds and the step budget (the same for every engine).

    The rules themselves are stated once, in :mod:`lrbias.gd.rules`.  Diverged / converged /
    stalled are tested every ``check_every`` steps (and at the last step), so a decision step is
    a multiple of ``check_every``; between tests a run only steps (a converged run goes on
    converging, a diverging one only overflows further).  The periodic test compares the state
    with a snapshot taken every 128 steps, at 2..period_max steps after it.  ``check_every = 1``
    gives the exact first step at which a rule holds.
    """

    max_steps: int = 20_000
    tol: float = 1e-10           # |s − 1| and |ℓ′(s)| below this count as at a minimiser
    bound: float = 1e12          # |s| or q above this count as diverged
    period_max: int = 8          # longest period searched for
    period_rtol: float = 1e-12   # relative tolerance for x_t ≈ x_{t−p}
    record_every: int = 0        # keep every k-th state (0: no trajectory)
    check_every: int = 8         # test the decision rules every k steps (a power of 2, <= 128)

    def __post_init__(self) -> None:
        if not isinstance(self.max_steps, int) or self.max_steps <= 0:
            raise InvalidArgument(f"steps = {self.max_steps} is invalid; accepted: an integer >= 1")
        if not (0 < self.tol < 1):
            raise InvalidArgument(f"tolerance {self.tol} is invalid; accepted: 0 < tol < 1")
        if not (self.bound > 1):
            raise InvalidArgument(f"divergence bound {self.bound} is invalid; accepted: > 1")
        if not (2 <= self.period_max <= 64):
            raise InvalidArgument(f"period_max {self.period_max} is invalid; accepted: 2..64")
        if self.check_every not in (1, 2, 4, 8, 16, 32, 64, 128):
            raise InvalidArgument(f"check_every {self.check_every} is invalid; accepted: 1, 2, 4, ..., 128")
        if not isinstance(self.record_every, int) or self.record_every < 0:
            raise InvalidArgument(f"record_every {self.record_every} is invalid; accepted: an integer >= 0")


def check_start(x0: float, y0: float, h: float) -> None:
    """LrbiasError unless x0, y0 are finite and h is finite and positive."""
    for name, value in (("x0", x0), ("y0", y0)):
        if not math.isfinite(value):
            raise InvalidArgument(f"{name} = {value} is not finite; accepted: a finite real number")
    if not (math.isfinite(h) and h > 0):
        raise InvalidArgument(f"h = {h} is invalid; accepted: a finite number > 0")


def rise_ratio(excess: Any, start: Any) -> Any:
    """f_max / f0 of the excess loss ℓ(s) − ℓ(1): ∞ when only f0 is 0, 1 when both are.

    Elementwise on numpy arrays; a float for scalars (python or mpmath numbers).
    """
    if isinstance(excess, np.ndarray):
        with np.errstate(all="ignore"):
            return np.where(start > 0, excess / start, np.where(excess > 0, np.inf, 1.0))
    if start > 0:
        return float(excess / start)
    return math.inf if excess > 0 else 1.0


@dataclass
class RunRecord:
    """One finished run.  Numbers that do not exist for this outcome are None, never NaN.

    ±∞ is a value (``fmax_ratio`` of a rise from a start at a minimiser is ∞); :meth:`as_dict`
    writes it under the JSON policy of :mod:`lrbias.serial` ("inf").

    ``sharpness`` is λ_max(∇²f) at the final point (S∞ when converged) and ``ratio`` = S∞·h/2;
    ``imbalance`` = x² − y² and ``gap2`` = (x − y)² at the final point; ``fmax_ratio`` is the
    largest excess loss ℓ(s) − ℓ(1) along the run over the initial one, at step ``fmax_step``.
    """

    x0: float
    y0: float
    h: float
    C: float
    outcome: str
    reason: str
    steps: int
    x: float | None
    y: float | None
    sharpness: float | None
    ratio: float | None
    imbalance: float | None
    gap2: float | None
    fmax_ratio: float | None
    fmax_step: int
    period: int | None = None
    precision: str = "float64"
    trajectory: list[list[float]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (:func:`lrbias.serial.json_safe`: NaN → None, ±∞ → "inf"/"-inf")."""
        return json_safe(asdict(self))
