"""Where a configuration's learning rates matter: S0, the catapult onset m_c and the divergence threshold m*.

Learning rates are written h = m·2/S0 (S0: the top Hessian eigenvalue at the initial state).
For one prepared configuration (data, init, seed) :func:`measure_bracket` finds by bisection

- m* — the divergence threshold: the smallest multiple whose GD run diverges (non-finite loss, or
  a loss beyond ``loss_bound``·max(1, L0)) within ``probe_steps`` steps;
- m_c — the catapult onset: the smallest multiple whose loss reaches ``catapult_factor``·L0
  within those steps (searched below m*; None when even the largest non-diverging multiple
  found does not catapult).

Both are intervals (lo, hi) to a relative width ``rel_tol``; :class:`Bracket` keeps them with the
probe settings, so the result is a pure function of (config, probe settings) and can be cached
on disk.  Claims place their learning rates at stated fractions of a window of the bracket:
``"catapult"`` = (m_c, m*) (catapult, balancing, the limit below the edge) and ``"eos"`` = (1, m*)
(edge-of-stability claims).  The probes are plain GD steps (no sharpness, no logging): a
diverging run ends within a few dozen steps, so a bisection costs seconds on the CPU.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from lrbias.nn.config import NNConfigError

if TYPE_CHECKING:
    from lrbias.nn.trainer import Prepared

WINDOWS = ("catapult", "eos")
"""Named windows of a bracket: catapult = (m_c, m*), eos = (1, m*)."""

PROBE_STEPS = 200
"""GD steps of one bisection probe (a run that has not diverged by then counts as settled; measured on
digits, ReLU-MSE and relu³+BN from 6/20, seed 0: every diverging probe had diverged by step 14)."""
REL_TOL = 0.02
"""Bisection stops when hi/lo − 1 is below this."""
CATAPULT_FACTOR = 2.0
"""The catapult onset: the first multiple whose loss reaches this factor times L0."""
MAX_MULTIPLE = 4096.0
"""The search for m* doubles from 1 up to this (BatchNorm's S0 overstates its later sharpness)."""


@dataclass(frozen=True)
class Probe:
    """One probe run: its multiple, whether it diverged (and at which step), its largest loss over L0."""

    multiple: float
    diverged: bool
    steps: int
    loss_max_over_start: float


@dataclass(frozen=True)
class Bracket:
    """S0 and the measured thresholds m_c, m* (each an interval (lo, hi)) of one configuration."""

    s0: float
    m_star: tuple[float, float]
    m_c: tuple[float, float] | None
    probe_steps: int
    rel_tol: float
    catapult_factor: float
    probes: int
    latest_divergence: int = 0
    """The latest step at which a diverging probe diverged (far below ``probe_steps``: the probes were long enough)."""

    @property
    def m_star_value(self) -> float:
        """The divergence threshold's lower end: the largest multiple seen to settle."""
        return self.m_star[0]

    @property
    def m_c_value(self) -> float | None:
        """The catapult onset's upper end: the smallest multiple seen to catapult (None: none did)."""
        return None if self.m_c is None else self.m_c[1]

    def window(self, kind: str) -> tuple[float, float] | None:
        """The multiples (lo, hi) of window ``kind`` (:data:`WINDOWS`); None when it is empty or unbounded
        (no catapult below m*, or no divergence found up to :data:`MAX_MULTIPLE`)."""
        if kind == "eos":
            lo, hi = 1.0, self.m_star_value
        elif kind == "catapult":
            if self.m_c_value is None:
                return None
            lo, hi = self.m_c_value, self.m_star_value
        else:
            raise NNConfigError(f"unknown bracket window {kind!r}; accepted: {', '.join(WINDOWS)}")
        return (lo, hi) if math.isfinite(self.m_star[1]) and hi > lo else None

    def place(self, kind: str, fractions: tuple[float, ...]) -> tuple[float, ...] | None:
        """Multiples at ``fractions`` (each in (0, 1)) of window ``kind``: lo + f·(hi − lo); None if empty."""
        if not all(0 < f < 1 for f in fractions):
            raise NNConfigError(f"bracket fractions must lie in (0, 1), got {fractions!r}")
        win = self.window(kind)
        if win is None:
            return None
        lo, hi = win
        return tuple(lo + f * (hi - lo) for f in fractions)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (intervals as lists)."""
        d = asdict(self)
        d["m_star"] = list(self.m_star)
        d["m_c"] = None if self.m_c is None else list(self.m_c)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bracket:
        return cls(float(d["s0"]), tuple(d["m_star"]), None if d["m_c"] is None else tuple(d["m_c"]),  # type: ignore[arg-type]
                   int(d["probe_steps"]), float(d["rel_tol"]), float(d["catapult_factor"]), int(d["probes"]),
                   int(d.get("latest_divergence", 0)))

    def describe(self) -> str:
        """One line: S0, m_c, m*."""
        mc = "none" if self.m_c is None else f"({self.m_c[0]:.4g}, {self.m_c[1]:.4g})"
        return (f"S0 = {self.s0:.5g}, m_c in {mc}, m* in ({self.m_star[0]:.4g}, {self.m_star[1]:.4g}) "
                f"({self.probes} probes of {self.probe_steps} steps; latest divergence: step {self.latest_divergence})")


def probe(prep: Prepared, multiple: float, s0: float, steps: int = PROBE_STEPS) -> Probe:
    """Plain GD from ``prep``'s initial state at h = multiple·2/S0 for up to ``steps`` steps."""
    import torch

    from lrbias.nn.losses import get_loss

    config = prep.config
    model = prep.fresh_model()
    model.train()
    loss_fn = get_loss(config.loss)
    params = [p for p in model.parameters() if p.requires_grad]
    h = multiple * 2 / s0
    l0 = peak = math.nan
    for t in range(steps + 1):
        loss = loss_fn(model(prep.x), prep.y)
        value = float(loss.detach())
        if t == 0:
            l0 = peak = value
        bound = config.loss_bound * max(1.0, l0)
        if not math.isfinite(value) or value > bound:
            return Probe(multiple, True, t, math.inf)
        peak = max(peak, value)
        if t == steps:
            break
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.sub_(h * g)
    return Probe(multiple, False, steps, peak / l0 if l0 > 0 else math.nan)


def measure_bracket(prep: Prepared, s0: float | None = None, *, probe_steps: int = PROBE_STEPS,
                    rel_tol: float = REL_TOL, catapult_factor: float = CATAPULT_FACTOR) -> Bracket:
    """S0 (measured when not given) and the bisected m* and m_c of ``prep`` (see the module docstring)."""
    from lrbias.nn.trainer import initial_sharpness

    s0 = initial_sharpness(prep) if s0 is None else s0
    if not (math.isfinite(s0) and s0 > 0):
        raise NNConfigError(f"initial sharpness S0 = {s0!r} is not a positive number: no bracket")
    runs: dict[float, Probe] = {}

    def run(m: float) -> Probe:
        if m not in runs:
            runs[m] = probe(prep, m, s0, probe_steps)
        return runs[m]

    # m*: find settled lo < diverging hi, then bisect (geometric midpoints)
    lo, hi = 1.0, 2.0
    while run(lo).diverged:
        lo, hi = lo / 2, lo
        if lo < 1 / 64:
            raise NNConfigError(f"every learning rate down to {lo:g}·2/S0 diverges: no bracket")
    while not run(hi).diverged:
        lo, hi = hi, hi * 2
        if hi > MAX_MULTIPLE:  # no divergence found: m* unbounded, the windows are empty
            hi = math.inf
            break
    while math.isfinite(hi) and hi / lo - 1 > rel_tol:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if run(mid).diverged else (mid, hi)
    m_star = (lo, hi)

    # m_c: the first settled multiple whose loss reaches factor·L0, below m*
    def catapults(m: float) -> bool:
        return run(m).loss_max_over_start >= catapult_factor

    top = m_star[0]
    m_c: tuple[float, float] | None = None
    if catapults(top):
        c_lo, c_hi = min(1.0, top / 2), top
        while catapults(c_lo) and c_lo > 1 / 64:
            c_lo, c_hi = c_lo / 2, c_lo
        while c_hi / c_lo - 1 > rel_tol:
            mid = math.sqrt(c_lo * c_hi)
            c_lo, c_hi = (c_lo, mid) if catapults(mid) else (mid, c_hi)
        m_c = (c_lo, c_hi)
    latest = max((p.steps for p in runs.values() if p.diverged), default=0)
    return Bracket(s0, m_star, m_c, probe_steps, rel_tol, catapult_factor, len(runs), latest)
