"""The engine contract: every engine, run on the same known orbit, ends the same way.

One table of cases (start, step, budget, expected outcome) runs through each engine — batched
float64 on numpy, the same on torch (when importable), the same loop on binary128 quad arrays,
mpmath and arb balls — and each must
reach the case's outcome at the same decision step (within one check interval) and, within its
precision, the same final point as mpmath at 60 digits.

Which engines apply: all of them to every case, except that arb does not search for periodic
orbits, so on the 2-cycle it must end without a verdict (undecided or precision-lost) rather than
with a wrong one; the edge-of-stability run needs 1024 bits (ball wrapping costs arb about 1.6 bits
a step there: at 256 bits it ends precision-lost, legitimately).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass

import numpy as np
import pytest

from lrbias.gd import RunRecord, Settings, run_arb, run_batch, run_mp
from lrbias.gd.outcome import Outcome
from lrbias.gd.rules import reason
from lrbias.losses.families import get_family

HAS_TORCH = importlib.util.find_spec("torch") is not None


@dataclass(frozen=True)
class Case:
    """A known orbit: loss, start, step h, budget, the outcome every engine must reach."""

    name: str
    spec: str
    x0: float
    y0: float
    h: float
    steps: int
    outcome: str
    period: int | None = None
    arb_bits: int | None = 256     # None: arb does not apply (it must end without a verdict)
    ratio_above: float = 0.0       # converged runs: S∞h/2 must lie in (ratio_above, 1)


def square_two_cycle(h: float) -> tuple[tuple[float, float], float]:
    """The 2-cycle t1 ↔ t2 of the square loss on the diagonal x = y = t, t ↦ t(1 − h(t² − 1)),
    and its multiplier |(t ↦ ·)′(t1)·(t ↦ ·)′(t2)|."""
    t_map = np.polynomial.Polynomial([0, 1 + h, 0, -h])
    roots = (t_map(t_map) - np.polynomial.Polynomial([0, 1])).roots()
    t1 = next(r.real for r in roots if abs(r.imag) < 1e-9 and r.real > 0 and abs(t_map(r.real) - r.real) > 1e-6)
    t2 = float(t_map(t1))
    return (t1, t2), abs((1 + h - 3 * h * t1 * t1) * (1 + h - 3 * h * t2 * t2))


CASES = [
    Case("converges", "square", 2.0, 0.3, 0.05, 3000, "converged"),
    # y = −x is invariant and s = −x² < 0: GD slides into the saddle (0, 0) and stalls there
    Case("stalls on y = -x", "square", 1.0, -1.0, 0.1, 3000, "undecided"),
    Case("starts at the saddle", "square", 0.0, 0.0, 0.1, 3000, "undecided"),
    # h = 1.1: every minimiser (x, 1/x) has sharpness x² + 1/x² >= 2 > 2/h, so none is stable;
    # on the diagonal the orbit settles on a stable 2-cycle (checked in the test below)
    Case("2-cycle", "square", 1.3, 1.3, 1.1, 2000, "periodic", period=2, arb_bits=None),
    Case("diverges", "square", 3.0, 2.0, 20 / 13, 3000, "diverged"),
    # a catapult (loss up 347x) then convergence at the edge of stability, S∞h/2 ≈ 0.97
    Case("edge of stability", "softplus-pair:a=0.5", 3.0, 0.4, 42 / 9.16, 3000, "converged",
         arb_bits=1024, ratio_above=0.97),
]
ENGINES = ["numpy", pytest.param("torch", marks=pytest.mark.skipif(not HAS_TORCH, reason="torch missing")),
           "quad", "mpmath", "arb"]
# quad's records carry float64 points, so it is held to what float64 resolves, not to 2^-112
POINT_RTOL = {"numpy": 1e-9, "torch": 1e-9, "quad": 1e-12, "mpmath": 1e-12, "arb": 1e-12}


def run(engine: str, case: Case) -> RunRecord:
    fam = get_family(case.spec)
    st = Settings(max_steps=case.steps)
    if engine == "numpy":
        return run_batch(fam, [case.x0], [case.y0], h=[case.h], settings=st).records()[0]
    if engine == "torch":
        return run_batch(fam, [case.x0], [case.y0], h=[case.h], settings=st, backend="torch",
                         device="cpu").records()[0]
    if engine == "quad":
        return run_batch(fam, [case.x0], [case.y0], h=[case.h], settings=st, backend="quad").records()[0]
    if engine == "mpmath":
        return run_mp(fam, case.x0, case.y0, case.h, 40, st)
    return run_arb(fam, case.x0, case.y0, case.h, case.arb_bits or 256, st)


@functools.cache
def reference(case: Case) -> RunRecord:
    """mpmath at 60 digits: the final point every engine is compared with."""
    return run_mp(get_family(case.spec), case.x0, case.y0, case.h, 60, Settings(max_steps=case.steps))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_engine_ends_a_known_orbit_the_same_way(case: Case, engine: str):
    rec = run(engine, case)
    if engine == "arb" and case.arb_bits is None:
        assert rec.outcome in ("undecided", "precision-lost"), rec.reason
        return
    ref = reference(case)
    assert ref.outcome == case.outcome and ref.period == case.period, ref.reason
    assert rec.outcome == case.outcome, rec.reason
    assert rec.period == case.period
    assert abs(rec.steps - ref.steps) <= Settings().check_every
    assert rec.reason.startswith(reason(Outcome.parse(rec.outcome), rec.steps, rec.period, case.steps))
    if case.outcome == "diverged":
        assert rec.x is None and rec.y is None
        return
    scale = POINT_RTOL[engine] * (1 + abs(ref.x) + abs(ref.y))
    assert abs(rec.x - ref.x) <= scale and abs(rec.y - ref.y) <= scale, (rec.x, rec.y, ref.x, ref.y)
    if case.outcome == "converged":
        assert case.ratio_above < rec.ratio < 1
    if case.outcome == "undecided":
        assert "saddle" in rec.reason and rec.steps < case.steps


def test_the_two_cycle_case_is_a_stable_two_cycle_beyond_every_minimiser():
    """The 2-cycle case is no accident of the engines: at h = 1.1 no minimiser (a, 1/a) of the
    square loss is stable (sharpness a² + 1/a² >= 2 > 2/h), the diagonal 2-cycle attracts
    (multiplier < 1), and the engines stop on it."""
    case = next(c for c in CASES if c.name == "2-cycle")
    a = np.geomspace(0.01, 100, 10_001)
    assert np.min(a * a + 1 / (a * a)) * case.h > 2
    (t1, t2), multiplier = square_two_cycle(case.h)
    assert multiplier < 1 and t1 > 0 and t2 > 0
    ref = reference(case)
    assert ref.x == ref.y and min(abs(ref.x - t1), abs(ref.x - t2)) < 1e-9
