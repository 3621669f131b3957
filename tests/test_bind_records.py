"""Binding tests of lrbias/gd/certificate/records.py (issue 27): the outcome names and budgets as declared,
``certified`` for each outcome, and a certificate's JSON form whole (every field, None where absent)."""

from __future__ import annotations

import types

from lrbias.gd.certificate import records
from lrbias.gd.certificate.intervals import Enclosure
from lrbias.gd.certificate.records import Certificate, Cycle, Tail


def test_declared_names_and_budgets():
    assert (records.CONVERGED, records.PERIODIC, records.DIVERGED, records.NOT_CERTIFIED) == (
        "certified converged", "certified periodic", "certified diverged", "not certified")
    assert (records.RADIUS_BITS, records.START_BITS, records.DEFAULT_MAX_BITS, records.DEFAULT_MAX_STEPS,
            records.DEFAULT_WIDTH, records.TRY_BELOW, records.ESCAPE, records.PERIOD_MAX) == (
        64, 128, 4096, 200_000, 1e-12, 0.5, 1e12, 16)


def _base(**kw):
    return Certificate(outcome=kw.pop("outcome", records.CONVERGED), spec="square", x0=0.5, y0=3.0, h=0.25,
                       reason=kw.pop("reason", ""), bits=128, seconds=0.5, steps_followed=40, **kw)


def test_certified_for_each_outcome():
    assert [_base(outcome=o).certified for o in (records.CONVERGED, records.PERIODIC, records.DIVERGED,
                                                 records.NOT_CERTIFIED)] == [True, True, True, False]


def test_a_converged_certificate_as_dict_whole():
    e = {name: Enclosure(i, i + 0.5, f"[{i} +/- 0.5]") for i, name in enumerate(("ratio", "sharpness", "imbalance",
                                                                                "x", "y"))}
    tail = Tail(step=7, eps=1e-3, q_centre=4.25, delta=1e-6, rho=0.5, K=2.0, e=1e-4, curvature_bound=1.5)
    cert = _base(step=7, tail=tail, catapult={"step": 1, "rise": 2.0}, max_rise_upper=3.5, **e)
    assert cert.as_dict() == {
        "outcome": "certified converged", "spec": "square", "x0": 0.5, "y0": 3.0, "h": 0.25,
        "C": 0.25 * (0.25 + 9.0), "reason": "", "bits": 128, "seconds": 0.5, "steps_followed": 40, "step": 7,
        "ratio": {"lo": 0, "hi": 0.5, "ball": "[0 +/- 0.5]"}, "sharpness": {"lo": 1, "hi": 1.5, "ball": "[1 +/- 0.5]"},
        "imbalance": {"lo": 2, "hi": 2.5, "ball": "[2 +/- 0.5]"}, "x": {"lo": 3, "hi": 3.5, "ball": "[3 +/- 0.5]"},
        "y": {"lo": 4, "hi": 4.5, "ball": "[4 +/- 0.5]"}, "catapult": {"step": 1, "rise": 2.0},
        "tail": {"step": 7, "eps": 1e-3, "q_centre": 4.25, "delta": 1e-6, "rho": 0.5, "K": 2.0, "e": 1e-4,
                 "curvature_bound": 1.5},
        "cycle": None, "escape": None, "max_rise_upper": 3.5}


def test_a_periodic_and_a_diverged_certificate_as_dict():
    cyc = Cycle(2, Enclosure(1.0, 1.5, "bx"), Enclosure(2.0, 2.5, "by"), "stable", "trace t, det d")
    doc = _base(outcome=records.PERIODIC, cycle=cyc).as_dict()
    assert doc["cycle"] == {"period": 2, "x": {"lo": 1.0, "hi": 1.5, "ball": "bx"},
                            "y": {"lo": 2.0, "hi": 2.5, "ball": "by"}, "stability": "stable",
                            "multipliers": "trace t, det d"}
    assert [doc[k] for k in ("ratio", "sharpness", "imbalance", "x", "y", "tail", "escape", "catapult",
                             "max_rise_upper", "step")] == [None] * 10
    escape = types.SimpleNamespace(as_dict=lambda: {"step": 3, "side": "s -> +inf"})
    doc = _base(outcome=records.DIVERGED, reason="r", step=3, escape=escape).as_dict()
    assert doc["escape"] == {"step": 3, "side": "s -> +inf"} and doc["cycle"] is None and doc["reason"] == "r"
    assert doc["outcome"] == "certified diverged" and doc["step"] == 3


def test_balls_are_not_compared_or_shown():
    a, b = _base(balls={"q": 1}), _base(balls={"q": 2})
    assert a == b and "balls" not in repr(a) and "balls" not in a.as_dict()
