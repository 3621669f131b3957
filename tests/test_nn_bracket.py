"""The bracket (S0, catapult onset m_c, divergence threshold m*) and the placement of a grid's h in it.

Fast: windows, fractions and records on hand-made brackets.  Slow (trains): a measured bracket's ends
are what they claim (m* lo settles and m* hi diverges; m_c hi catapults and m_c lo does not), and a
bracketed grid's runs lie inside their window and record it.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

pytest.importorskip("torch")

from lrbias.errors import LrbiasError
from lrbias.nn.bracket import CATAPULT_FACTOR, Bracket, measure_bracket, probe
from lrbias.nn.config import RunConfig

pytestmark = pytest.mark.nn


def _bracket(m_c=(1.5, 1.53), m_star=(2.44, 2.46)) -> Bracket:
    return Bracket(100.0, m_star, m_c, 200, 0.02, 2.0, 17, 14)


def test_windows_and_placement() -> None:
    b = _bracket()
    assert b.window("eos") == (1.0, 2.44) and b.window("catapult") == (1.53, 2.44)
    assert b.place("catapult", (0.0001, 0.5, 0.9999)) == pytest.approx((1.53, (1.53 + 2.44) / 2, 2.44), abs=1e-3)
    assert b.place("eos", (0.5,)) == pytest.approx((1.72,))
    for bad in ((0.0,), (1.0,), (0.5, 1.2)):  # fractions must lie strictly inside the window
        with pytest.raises(LrbiasError, match="fractions"):
            b.place("eos", bad)
    with pytest.raises(LrbiasError, match="window"):
        b.window("sideways")
    assert _bracket(m_c=None).window("catapult") is None and _bracket(m_c=None).place("catapult", (0.5,)) is None
    unbounded = _bracket(m_star=(4096.0, math.inf))
    assert unbounded.window("eos") is None and unbounded.place("eos", (0.5,)) is None
    below_one = _bracket(m_c=None, m_star=(0.8, 0.82))  # diverges below 2/S0: no EoS window
    assert below_one.window("eos") is None


def test_record_round_trip_and_text() -> None:
    b = _bracket()
    assert Bracket.from_dict(b.as_dict()) == b
    assert "m_c in (1.5, 1.53)" in b.describe() and "m* in (2.44, 2.46)" in b.describe()
    assert "m_c in none" in _bracket(m_c=None).describe()


SMALL = RunConfig(n=200, width=50, init_norms=(6.0, 20.0), device="cpu")


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_measured_bracket_ends_are_what_they_claim() -> None:
    from lrbias.nn.trainer import prepare

    prep = prepare(SMALL)
    b = measure_bracket(prep)
    lo, hi = b.m_star
    assert 1 < lo < hi <= lo * (1 + b.rel_tol) ** 2
    assert not probe(prep, lo, b.s0, b.probe_steps).diverged
    assert probe(prep, hi, b.s0, b.probe_steps).diverged
    assert b.m_c is not None
    c_lo, c_hi = b.m_c
    assert probe(prep, c_hi, b.s0, b.probe_steps).loss_max_over_start >= CATAPULT_FACTOR
    assert probe(prep, c_lo, b.s0, b.probe_steps).loss_max_over_start < CATAPULT_FACTOR
    assert 0 < b.latest_divergence < b.probe_steps
    # a pure function of the configuration: measured again, the same bracket
    assert measure_bracket(prepare(SMALL)) == b


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_bracketed_grid_runs_sit_in_their_window() -> None:
    from lrbias.claims.nn import Grid, train_grid

    grid = Grid("relu-mse#s0@digits", replace(SMALL, steps=30, sharpness_every=10), window="catapult",
                fractions=(0.25, 0.75))
    runs = train_grid(grid)
    b = Bracket.from_dict(runs[0].meta["bracket"])
    lo, hi = b.window("catapult")
    for run, f in zip(runs, (0.25, 0.75), strict=True):
        m = run.meta["lr_multiple"]
        assert lo < m < hi and run.meta["fraction"] == f
        assert m == pytest.approx(lo + f * (hi - lo))
        assert run.lr == pytest.approx(m * 2 / b.s0)
        assert run.meta["own_bracket"] == run.meta["bracket"]
