"""Binding tests of ``lrbias.gd.outcome`` (issue 27): the outcome codes and names, every settings bound on both
sides, the start check's boundaries and the rise ratio's four cases, for arrays and for scalars."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lrbias.errors import InvalidArgument
from lrbias.gd.outcome import Outcome, RunRecord, Settings, check_start, rise_ratio


def test_outcome_codes_and_names():
    assert [(int(o), str(o)) for o in Outcome] == [(0, "converged"), (1, "diverged"), (2, "periodic"),
                                                   (3, "undecided"), (4, "precision-lost")]
    assert all(Outcome.parse(str(o)) is o for o in Outcome)
    with pytest.raises(InvalidArgument, match=r"outcome 'precision_lost' is unknown; accepted: converged, diverged, "
                                              r"periodic, undecided, precision-lost"):
        Outcome.parse("precision_lost")


def test_settings_defaults():
    assert Settings() == Settings(max_steps=20_000, tol=1e-10, bound=1e12, period_max=8, period_rtol=1e-12,
                                  record_every=0, check_every=8)


@pytest.mark.parametrize(("kw", "message"), [
    ({"max_steps": 0}, "steps = 0 is invalid; accepted: an integer >= 1"),
    ({"max_steps": 2.0}, "steps = 2.0 is invalid; accepted: an integer >= 1"),
    ({"tol": 0.0}, "tolerance 0.0 is invalid; accepted: 0 < tol < 1"),
    ({"tol": 1.0}, "tolerance 1.0 is invalid; accepted: 0 < tol < 1"),
    ({"tol": math.nan}, "tolerance nan is invalid"),
    ({"bound": 1.0}, "divergence bound 1.0 is invalid; accepted: > 1"),
    ({"bound": math.nan}, "divergence bound nan is invalid"),
    ({"period_max": 1}, "period_max 1 is invalid; accepted: 2..64"),
    ({"period_max": 65}, "period_max 65 is invalid; accepted: 2..64"),
    ({"check_every": 3}, "check_every 3 is invalid; accepted: 1, 2, 4, ..., 128"),
    ({"check_every": 256}, "check_every 256 is invalid"),
    ({"check_every": 0}, "check_every 0 is invalid"),
    ({"record_every": -1}, "record_every -1 is invalid; accepted: an integer >= 0"),
    ({"record_every": 1.0}, "record_every 1.0 is invalid"),
])
def test_settings_refuse_each_bound(kw, message):
    with pytest.raises(InvalidArgument, match=message.replace(".", r"\.").replace("(", r"\(")):
        Settings(**kw)


@pytest.mark.parametrize("kw", [
    {"max_steps": 1}, {"tol": 2.0 ** -1074}, {"tol": 1 - 2.0 ** -53}, {"bound": 1 + 2.0 ** -52},
    {"period_max": 2}, {"period_max": 64}, {"record_every": 0}, {"record_every": 5},
    *({"check_every": k} for k in (1, 2, 4, 8, 16, 32, 64, 128)),
])
def test_settings_accept_each_bound(kw):
    assert getattr(Settings(**kw), next(iter(kw))) == next(iter(kw.values()))


@pytest.mark.parametrize(("x0", "y0", "h", "message"), [
    (math.inf, 1.0, 0.1, "x0 = inf is not finite; accepted: a finite real number"),
    (1.0, math.nan, 0.1, "y0 = nan is not finite; accepted: a finite real number"),
    (1.0, 1.0, 0.0, "h = 0.0 is invalid; accepted: a finite number > 0"),
    (1.0, 1.0, -1.0, "h = -1.0 is invalid"),
    (1.0, 1.0, math.inf, "h = inf is invalid"),
    (1.0, 1.0, math.nan, "h = nan is invalid"),
])
def test_check_start_refuses(x0, y0, h, message):
    with pytest.raises(InvalidArgument, match=message):
        check_start(x0, y0, h)


def test_check_start_accepts_the_smallest_step():
    check_start(0.0, -1e308, 2.0 ** -1074)


def test_rise_ratio_scalars():
    assert rise_ratio(3.0, 2.0) == 1.5 and isinstance(rise_ratio(3, 2), float)
    assert rise_ratio(1e-300, 0.0) == math.inf     # only the start is 0
    assert rise_ratio(0.0, 0.0) == 1.0             # both are
    assert rise_ratio(-1.0, 0.0) == 1.0            # no rise above a start at the minimum
    assert rise_ratio(0.0, 2.0 ** -1074) == 0.0


def test_rise_ratio_arrays():
    excess = np.array([3.0, 1e-300, 0.0, -1.0, 0.0])
    start = np.array([2.0, 0.0, 0.0, 0.0, 2.0 ** -1074])
    with warnings.catch_warnings():   # the 0/0 and x/0 of the branch np.where discards warn nothing
        warnings.simplefilter("error")
        out = rise_ratio(excess, start)
    assert isinstance(out, np.ndarray) and out.tolist() == [1.5, math.inf, 1.0, 1.0, 0.0]


def test_run_record_as_dict_is_json_safe():
    r = RunRecord(x0=1.0, y0=2.0, h=0.1, C=0.5, outcome="converged", reason="r", steps=8, x=1.0, y=1.0,
                  sharpness=2.0, ratio=0.1, imbalance=0.0, gap2=0.0, fmax_ratio=math.inf, fmax_step=0,
                  extra={"v": math.nan})
    d = r.as_dict()
    assert d["fmax_ratio"] == "inf" and d["extra"] == {"v": None}
    assert (d["period"], d["precision"], d["trajectory"]) == (None, "float64", None)
