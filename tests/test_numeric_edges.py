"""Issue 26, items 5-9: verdicts right at the numeric edges (each reproduction of the issue is a test).

5. a start on a stable minimiser far beyond the old fixed bound is converged, not diverged;
6. a run frozen by rounding (its step below float64's resolution) is not periodic;
7. the saddle rule fires only where the run is attracted (1e-60 and 1e-150 starts leave the saddle);
8. diff with an unbounded old frontier, or an inverted range;
9. TOML numeric fields: NaN, inf and absurd κ ranges refused with one line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lrbias.cli import main
from lrbias.gd import Settings, rules
from lrbias.gd.outcome import Outcome
from lrbias.gd.scalar import run_one
from lrbias.losses.families import get_family


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# --- 5: the divergence bound scales with the start ------------------------------------------------

@pytest.mark.parametrize("precision", ["float64", "quad", "auto", "arb:256"])
def test_item5_far_stable_minimiser_converges_in_every_engine(precision: str, capsys) -> None:
    code, out, _ = _run(["run", "--loss", "square", "--x0", "1e16", "--y0", "1e-16", "--h", "1e-40",
                         "--precision", precision], capsys)
    assert code == 0 and "outcome   converged" in out and "diverged" not in out, out


def test_item5_certify_far_start_is_not_escaped(capsys) -> None:
    pytest.importorskip("flint")
    code, out, _ = _run(["certify", "--loss", "square", "--x0", "1e150", "--y0", "1e-150", "--h", "1e-301"],
                        capsys)
    assert code == 0 and "leaves every bounded region" not in out and "certified converged" in out, out


def test_run_bound_binds_where_stated() -> None:
    """bound × max(1, q0), capped at the largest float: the old bound for small starts, scaled for large ones."""
    assert rules.run_bound(1e12, 0.5) == 1e12 and rules.run_bound(1e12, 1.0) == 1e12
    assert rules.run_bound(1e12, 4.0) == 4e12
    assert rules.run_bound(1e12, 1e300) == rules.FLOAT_MAX
    arr = rules.run_bound(1e12, np.array([0.0, 2.0, 1e300]))
    assert arr.tolist() == [1e12, 2e12, rules.FLOAT_MAX]


def test_growth_by_the_bound_still_diverges() -> None:
    """A genuinely diverging run from a large start is still diverged (the bound is relative, not gone)."""
    fam = get_family("square")
    for x0 in (3.0, 1e8):
        rec = run_one(fam, x0, x0 * 0.3, 5.0 / (1.09 * x0 * x0), "float64", 53, Settings())  # kappa = 5
        assert rec.outcome == "diverged", (x0, rec.reason)


# --- 6: a frozen run is not periodic ---------------------------------------------------------------

@pytest.mark.parametrize("precision", ["float64", "quad"])
def test_item6_frozen_run_is_undecided_not_periodic(precision: str, capsys) -> None:
    code, out, _ = _run(["run", "--loss", "square", "--x0", "2", "--y0", "0.3", "--h", "1e-17", "--steps", "2000",
                         "--precision", precision], capsys)
    assert code == 0 and "outcome   undecided" in out and "periodic" not in out, out


def test_item6_huber_tiny_delta_frozen(capsys) -> None:
    code, out, _ = _run(["run", "--loss", "huber:delta=1e-300", "--x0", "2", "--y0", "0.3", "--C", "1",
                         "--steps", "2000"], capsys)
    assert code == 0 and "periodic" not in out, out


def test_returned_needs_motion_and_still_finds_a_real_cycle() -> None:
    lim = rules.Limits.of(Settings())
    ops = rules.MPMATH
    x, y = 2.0, 0.3
    q = x * x + y * y
    frozen = rules.returned(ops, lim, x, y, x * y, q, (x, y), (x, y))
    moving = rules.returned(ops, lim, x, y, x * y, q, (x, y), (x + 0.1, y))
    assert not frozen and moving  # the rule binds exactly at zero motion


# --- 7: the saddle rule only where attracted --------------------------------------------------------

@pytest.mark.parametrize(("loss", "start", "h"), [("square", 1e-60, 0.5), ("softplus-pair:a=0.5", 1e-150, 0.1)])
def test_item7_tiny_starts_leave_the_saddle(loss: str, start: float, h: float, capsys) -> None:
    code, out, _ = _run(["run", "--loss", loss, "--x0", str(start), "--y0", str(start), "--h", str(h)], capsys)
    assert code == 0 and "stalled" not in out and "outcome   converged" in out, out


def test_item7_attracted_runs_still_stall() -> None:
    fam = get_family("square")
    for x0, y0 in ((0.0, 0.0), (1e-60, -1e-60)):  # the saddle itself, and its stable line y = -x
        rec = run_one(fam, x0, y0, 0.5, "float64", 53, Settings())
        assert rec.outcome == "undecided" and "stalled" in rec.reason, rec.reason


def test_stalled_binds_at_no_growth() -> None:
    lim = rules.Limits.of(Settings())
    ops = rules.MPMATH
    assert rules.stalled(ops, lim, 2e-120, 1e-60, 1e-60, (1e-60, 1e-60))       # not grown: stalled
    assert not rules.stalled(ops, lim, 2e-120, 1e-60, 1e-60, (0.9e-60, 1e-60))  # grew: leaving
    assert not rules.stalled(ops, lim, 1.0, 1.0, 0.0, (1.0, 0.0))               # far from the saddle


def test_batched_engine_agrees_on_the_saddle_and_bound() -> None:
    from lrbias.gd.vectorised import run_batch

    fam = get_family("square")
    x0 = np.array([1e-60, 1e-60, 0.0, 1e16])
    y0 = np.array([1e-60, -1e-60, 0.0, 1e-16])
    h = np.array([0.5, 0.5, 0.5, 1e-40])
    res = run_batch(fam, x0, y0, h=h, settings=Settings())
    assert [str(Outcome(int(o))) for o in res.outcome] == ["converged", "undecided", "undecided", "converged"]


# --- 8: diff with unbounded or inverted ranges -------------------------------------------------------

def _doc(ranges: list) -> dict:
    from lrbias.claims.results import build_document

    entry = {"id": "a.b", "title": "t", "group": "g", "provenance": "reconstructed", "verdict": "pass",
             "examples": 1, "worst_margin": 1.0, "statement": "s", "inconclusive": 0, "seed": 0,
             "elapsed_s": 0.0, "notes": [],
             "frontier": {"parameter": "kappa", "range": [0.5, 8], "families": {"square": {"holds_on": ranges}}}}
    return build_document([entry], "smoke", 0, "lrbias check", 0.0)


def test_item8_unbounded_frontier_shrinking_is_a_regression(tmp_path: Path, capsys) -> None:
    from lrbias.report.diff import diff_documents

    d = diff_documents(_doc([[-1e308, 1e308]]), _doc([[0.5, 4.56]]))
    assert len(d.regressions) == 1 and d.frontiers[0]["old_size"] == float("inf")
    assert diff_documents(_doc([[-1e308, 1e308]]), _doc([[-1e308, 1e308]])).regressions == []
    assert diff_documents(_doc([[0.5, 4.56]]), _doc([["-inf", "inf"]])).regressions == []
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_doc([[-1e308, 1e308]])))
    new.write_text(json.dumps(_doc([[0.5, 4.56]])))
    code, out, _ = _run(["diff", str(old), str(new)], capsys)
    assert code == 1 and "shrank" in out, out


def test_item8_inverted_range_refused(tmp_path: Path, capsys) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_doc([[0.5, 4.0]])))
    new.write_text(json.dumps(_doc([[8.0, 0.5]])))
    code, _, err = _run(["diff", str(old), str(new)], capsys)
    assert code == 2 and "lo <= hi" in err and len(err.strip().splitlines()) == 1, err


def test_shrank_binds_at_the_tolerance() -> None:
    from lrbias.report.diff import shrank

    assert not shrank(10.0, 9.0, 0.1) and shrank(10.0, 8.999, 0.1)
    assert shrank(float("inf"), 1e300, 0.1) and not shrank(float("inf"), float("inf"), 0.1)
    assert not shrank(0.0, 0.0, 0.1)


# --- 9 (and 15, 18): TOML numeric fields --------------------------------------------------------------

BASE = """
[[claim]]
id = "variant-toml.edge"
statement = "s"
families = ["square"]
kappa = [4.0, 12.0]
statistic = "median-ratio-at-least"
level = 0.7
"""


def _variant(tmp_path: Path, **fields: str) -> Path:
    text = BASE
    for key, value in fields.items():
        lines = [ln for ln in text.splitlines() if not ln.startswith(f"{key} =")]
        text = "\n".join([*lines, f"{key} = {value}"]) + "\n"
    path = tmp_path / "v.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("field", "value", "says"), [
    ("level", "nan", "level = nan is out of range"),
    ("level", "inf", "level = inf is out of range"),
    ("level", "1" + "0" * 5000, "integer too long"),
    ("frontier", "[1e-300, 1e300]", "frontier = [1e-300, 1e+300] is out of range"),
    ("frontier", "[nan, 2.0]", "frontier = [nan, 2.0] is out of range"),
    ("frontier", "[0.0, 0.0]", "frontier = [0.0, 0.0] is out of range"),
    ("frontier", "[1, inf]", "frontier = [1, inf] is out of range"),
    ("kappa", "[0, 1]", "kappa = [0, 1] is out of range"),
    ("kappa", '["a", "b"]', "kappa = ['a', 'b'] is invalid"),
    ("kappa", "[4.0]", "is invalid"),
    ("families", "5", "families must be a non-empty list"),
])
def test_item9_toml_numeric_fields_refused_before_the_search(tmp_path: Path, capsys, field: str, value: str,
                                                             says: str) -> None:
    path = _variant(tmp_path, **{field: value})
    code, _, err = _run(["check", "--variants", str(path), "variant-toml", "--profile", "smoke", "--no-nn"], capsys)
    assert code == 2 and says in err and str(path) in err and len(err.strip().splitlines()) == 1, err
    assert "internal error" not in err


def test_kappa_range_binds_at_its_limits(tmp_path: Path) -> None:
    from lrbias.claims.variants import KAPPA_RANGE, _kappa_range

    lo, hi = KAPPA_RANGE
    assert _kappa_range([lo, hi], "kappa") == (lo, hi)
    for bad in ([lo * 0.999, hi], [lo, hi * 1.001], [2.0, 2.0]):
        with pytest.raises(ValueError, match="out of range"):  # the loader adds the file and claim
            _kappa_range(bad, "kappa")
