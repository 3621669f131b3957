"""Bracketing a configuration's learning-rate window before its grid is fixed: S0, m_c and m*.

Learning rates are stated as multiples m of 2/S0 (h = m·2/S0, S0 the sharpness at the grid's
initial state).  Two thresholds bound where each claim can be tested, and both are found by
bisection on short probe runs from that initial state (no sharpness measured, so a probe costs a
fraction of a second):

* the divergence threshold m*: runs at m below it settle, at m above it they do not;
* the catapult onset m_c: the first m whose loss rises to :data:`CATAPULT_FACTOR`·L0 (and settles).

A probe is followed until it is decided (:func:`probe`): *diverged* (the trainer's loss bound or a
non-finite loss), *settled* (the loss ends below its start), or, after :data:`MAX_PROBE_STEPS`,
*undecided*, which the bracket treats as not settled (the window's ends are always settled runs).
Each threshold is returned as an interval (lo, hi] of relative width at most ``rel_tol``, with every
probe recorded, so a grid placed inside (:meth:`Bracket.place`) is inside by construction and the
page can show where its runs sit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from lrbias.nn.config import NNConfigError

if TYPE_CHECKING:
    from lrbias.nn.trainer import Prepared

__all__ = ["CATAPULT_FACTOR", "MAX_MULTIPLE", "MAX_PROBE_STEPS", "PROBE_STEPS", "REL_TOL", "WINDOWS", "Bracket",
           "Probe", "find_bracket", "placement_text", "probe"]

CATAPULT_FACTOR = 2.0
"""A catapult: the loss rises to at least this multiple of its start (as :func:`lrbias.nn.phenomena.catapult`)."""
PROBE_STEPS = 200
"""A probe's first budget; doubled until the run is decided."""
MAX_PROBE_STEPS = 3200
"""A probe still undecided after this many steps is recorded as undecided (not settled)."""
REL_TOL = 0.01
"""Each threshold is bracketed to (lo, hi] with hi/lo − 1 <= this."""
MAX_MULTIPLE = 4096.0
"""The divergence search gives up above this multiple of 2/S0 (m* recorded as (lo, inf])."""
WINDOWS = ("edge", "catapult")
"""``edge``: (1, m*), above 2/S0 and below divergence; ``catapult``: (m_c, m*), catapulting runs that settle."""


@dataclass(frozen=True)
class Probe:
    """One probe run at h = multiple·2/S0: its outcome, steps and loss figures (relative to the start L0)."""

    multiple: float
    outcome: str
    steps: int
    loss_max_over_start: float
    loss_final_over_start: float

    @property
    def settled(self) -> bool:
        return self.outcome == "settled"

    @property
    def catapults(self) -> bool:
        """Settled after its loss rose to at least CATAPULT_FACTOR·L0."""
        return self.settled and self.loss_max_over_start >= CATAPULT_FACTOR


def probe(prep: Prepared, s0: float, multiple: float, *, steps: int = PROBE_STEPS,
          max_steps: int = MAX_PROBE_STEPS) -> Probe:
    """Train from ``prep``'s initial state at h = multiple·2/S0, doubling the budget until decided."""
    from lrbias.nn.trainer import train

    n = steps
    while True:
        run = train(prep, lr=multiple * 2 / s0, steps=n, sharpness_log=False)
        loss = run.history["loss"]
        l0 = loss[0]
        finite = [v for v in loss if math.isfinite(v)]
        rise = max(finite) / l0 if finite and l0 > 0 else math.inf
        if run.outcome == "diverged":
            return Probe(multiple, "diverged", run.steps_run, rise, math.inf)
        final = loss[-1] / l0 if l0 > 0 else math.inf
        if final < 1:
            return Probe(multiple, "settled", n, rise, final)
        if n >= max_steps:
            return Probe(multiple, "undecided", n, rise, final)
        n *= 2


@dataclass(frozen=True)
class Bracket:
    """S0 and the bracketed thresholds of one configuration (dataset, seed, init, model, loss).

    ``divergence`` = (lo, hi]: lo settled, hi did not (hi = inf: nothing diverged up to
    MAX_MULTIPLE); ``catapult`` = (lo, hi]: lo settled without a catapult, hi catapulted and settled;
    None when no settled run below m* catapults.  ``probes`` lists every probe in the order run.
    """

    s0: float
    divergence: tuple[float, float]
    catapult: tuple[float, float] | None
    probes: tuple[Probe, ...]
    rel_tol: float = REL_TOL

    def window(self, kind: str) -> tuple[float, float]:
        """The open window of multiples a ``kind`` grid may use (its ends are settled probes)."""
        if kind == "edge":
            return 1.0, self.divergence[0]
        if kind == "catapult":
            if self.catapult is None:
                raise NNConfigError(f"no catapult window: no settled run below m* = {self.divergence[0]:.4g} "
                                    f"rose to {CATAPULT_FACTOR:g}·L0")
            return self.catapult[1], self.divergence[0]
        raise NNConfigError(f"unknown window {kind!r}; accepted: {', '.join(WINDOWS)}")

    def place(self, kind: str, fractions: tuple[float, ...]) -> tuple[float, ...]:
        """The multiples lo + f·(hi − lo) for each fraction f in (0, 1) of the ``kind`` window."""
        lo, hi = self.window(kind)
        if not hi > lo:
            raise NNConfigError(f"the {kind} window ({lo:.4g}, {hi:.4g}) is empty")
        bad = [f for f in fractions if not 0 < f < 1]
        if bad or not fractions:
            raise NNConfigError(f"window fractions must lie in (0, 1), got {fractions!r}")
        return tuple(lo + f * (hi - lo) for f in fractions)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record: S0, both brackets, the tolerance and every probe."""
        return {"s0": self.s0, "divergence": list(self.divergence),
                "catapult": list(self.catapult) if self.catapult is not None else None,
                "rel_tol": self.rel_tol, "probes": [asdict(p) for p in self.probes]}


def find_bracket(prep: Prepared, s0: float, *, rel_tol: float = REL_TOL, steps: int = PROBE_STEPS,
                 max_steps: int = MAX_PROBE_STEPS) -> Bracket:
    """Bisect m* and m_c for the configuration ``prep`` at S0 = ``s0`` (geometric midpoints)."""
    if not (math.isfinite(s0) and s0 > 0):
        raise NNConfigError(f"S0 = {s0!r} is not a positive number: nothing to bracket")
    seen: dict[float, Probe] = {}
    order: list[Probe] = []

    def at(m: float) -> Probe:
        if m not in seen:
            seen[m] = probe(prep, s0, m, steps=steps, max_steps=max_steps)
            order.append(seen[m])
        return seen[m]

    if not at(1.0).settled:
        raise NNConfigError(f"the run at h = 2/S0 does not settle ({at(1.0).outcome}): no window above the edge")
    lo, hi = 1.0, 2.0
    while at(hi).settled:
        lo, hi = hi, 2 * hi
        if hi > MAX_MULTIPLE:
            hi = math.inf
            break
    while math.isfinite(hi) and hi / lo - 1 > rel_tol:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if at(mid).settled else (lo, mid)
    divergence = (lo, hi)

    catapult: tuple[float, float] | None = None
    c_lo, c_hi = 1.0, lo
    if at(c_hi).catapults and not at(c_lo).catapults:
        while c_hi / c_lo - 1 > rel_tol:
            mid = math.sqrt(c_lo * c_hi)
            c_lo, c_hi = (c_lo, mid) if not at(mid).settled or at(mid).catapults else (mid, c_hi)
        catapult = (c_lo, c_hi)
    elif at(c_lo).catapults:
        catapult = (0.0, 1.0)
    return Bracket(s0, divergence, catapult, tuple(order), rel_tol)


def placement_text(meta: dict[str, Any]) -> str:
    """Where a run's grid sits, from its meta: "S0 …; m_c in (…]; m* in (…]; window …" ('' without a bracket).

    One wording for ``lrbias nn-grid``, the report's NN table and docs/nn.md's table.
    """
    b = meta.get("bracket")
    if not b:
        return ""
    div = [float(v) for v in b["divergence"]]  # a JSON record writes inf as "inf"
    cat = [float(v) for v in b["catapult"]] if b["catapult"] else None
    onset = f"m_c in ({cat[0]:.4g}, {cat[1]:.4g}]" if cat else "no catapult below m*"
    window = meta.get("window")
    if window:
        where = f"window {window['kind']} ({window['ends'][0]:.4g}, {window['ends'][1]:.4g})"
    else:
        where = f"h of {meta.get('same_h_as')}"
    if meta.get("outside_window"):
        where += " (beyond m*, not run: m = " + ", ".join(f"{m:.4g}" for m in meta["outside_window"]) + ")"
    return f"S0 {float(b['s0']):.4g}; {onset}; m* in ({div[0]:.4g}, {div[1]:.4g}]; {where}"
