"""Binding tests of ``lrbias.gd.tiers`` (issue 27): the tolerance constants where they bind, the quad
resolution rule on both sides of its threshold, and the accounting of :func:`tiers.confirm` (every counter,
every tier, the escalation order, the chunking, the budget and the escalation limit) on scripted tiers:
run_quad and run_auto are replaced by stand-ins whose verdicts the test chooses, so each branch is reached."""

from __future__ import annotations

import mpmath
import pytest

from lrbias.gd import tiers
from lrbias.gd.outcome import RunRecord, Settings
from lrbias.losses.families import get_family

FAM = get_family("logcosh")
ST = Settings(max_steps=640, check_every=16)


def _rec(outcome="converged", x=1.0, y=1.0, precision="float64", **extra_fields):
    return RunRecord(x0=0.5, y0=2.0, h=0.25, C=0.5, outcome=outcome, reason=f"{outcome} r", steps=64, x=x, y=y,
                     sharpness=None, ratio=None, imbalance=None, gap2=None, fmax_ratio=None, fmax_step=0,
                     precision=precision, extra=dict(extra_fields))


def test_constants():
    assert (tiers.FLOAT64_EPS, tiers.POINT_RTOL_PER_EPS, tiers.RECORD_RTOL) == (2.0 ** -52, 2.0 ** 32, 2.0 ** -40)
    assert (tiers.LINE_RESOLUTION, tiers.AUTO_START_DPS, tiers.AUTO_MAX_DPS, tiers.QUAD_CHUNK) == (16, 40, 640, 1024)
    assert tiers.quad_eps() == 2.0 ** -112


def test_point_rtol_is_floored_at_the_record_resolution():
    assert tiers.point_rtol(2.0 ** -52) == 2.0 ** -20
    assert tiers.point_rtol(2.0 ** -72) == 2.0 ** -40       # the two meet
    assert tiers.point_rtol(2.0 ** -71) == 2.0 ** -39
    assert tiers.point_rtol(2.0 ** -112) == 2.0 ** -40


def _near(line_sign: int, gap_in_thresholds: str):
    """A start (1, ±1 + g) with g = ``gap_in_thresholds`` × 16·ε_quad·(|x| + |y|), computed at 200 digits."""
    with mpmath.workdps(200):
        x = mpmath.mpf(1)
        # |x| + |y| = 2 + g (y on the side away from 0), so g = k·c·(2 + g) with c = 16·2⁻¹¹²
        c = 16 * mpmath.mpf(2) ** -112
        k = mpmath.mpf(gap_in_thresholds)
        g = k * c * 2 / (1 - k * c)
        return x, line_sign * (1 + g)


@pytest.mark.parametrize("sign", [1, -1])
def test_below_quad_resolution_on_both_sides_of_its_threshold(sign):
    assert tiers.below_quad_resolution(*_near(sign, "0.999"))
    assert not tiers.below_quad_resolution(*_near(sign, "1.001"))
    assert not tiers.below_quad_resolution(1.0, sign * 1.0)            # on the line: quad keeps it there
    assert not tiers.below_quad_resolution(1.0, 0.5)


def test_replay_command_whole():
    assert tiers.replay_command(FAM, 0.5, -2.0, 0.1, ST) == (
        "lrbias run --loss logcosh --x0 0.5 --y0 -2.0 --h 0.1 --steps 640 --check-every 16 --precision auto")
    assert tiers.replay_command(FAM, 1, 2, 3, ST, "float64").endswith("--x0 1.0 --y0 2.0 --h 3.0 --steps 640 "
                                                                      "--check-every 16 --precision float64")


def test_coverage_figures_and_dict():
    assert tiers.Coverage(0).coverage == 1.0
    cov = tiers.Coverage(8, confirmed_quad=3, disagreed=2, escalated=3, confirmed_mpmath=2, inconclusive=1,
                         skipped=2, quad_wrong=1, unresolved_by_quad=1, flips=[{"i": 1}], quad_s=1.23456,
                         mpmath_s=0.0004)
    assert (cov.confirmed, cov.coverage) == (5, 0.625)
    assert cov.as_dict() == {"suspects": 8, "coverage": 0.625, "confirmed": 5, "confirmed_by_quad": 3,
                             "disagreed": 2, "escalated": 3, "confirmed_by_mpmath": 2, "inconclusive": 1,
                             "skipped": 2, "quad_wrong": 1, "unresolved_by_quad": 1, "flips": [{"i": 1}],
                             "quad_s": 1.235, "mpmath_s": 0.0}


def test_confirmed_final_per_tier():
    f, q, p = _rec(), _rec(precision="quad"), _rec(precision="mpmath")
    assert tiers.Confirmed(f, q, p, "quad").final is q
    assert tiers.Confirmed(f, q, p, "mpmath").final is p
    assert tiers.Confirmed(f, q, p, "inconclusive").final is None
    assert tiers.Confirmed(f, q, p, "skipped").final is None


class Scripted:
    """run_quad and run_auto stand-ins: quad[i] and auto[i] are the records the tiers get for start i."""

    def __init__(self, monkeypatch, quad, auto):
        self.quad, self.auto, self.quad_calls, self.auto_calls = quad, auto, [], []
        monkeypatch.setattr(tiers, "run_quad", self.run_quad)
        monkeypatch.setattr(tiers, "run_auto", self.run_auto)

    def run_quad(self, family, x0, y0, h, st):
        self.quad_calls.append([int(v) for v in h])
        return [self.quad[int(v)] for v in h]

    def run_auto(self, family, x0, y0, h, st, start_dps, max_dps):
        assert isinstance(x0, mpmath.mpf) and start_dps == 40
        self.auto_calls.append((int(h), max_dps))
        rec = self.auto[int(h)]
        rec.C = mpmath.mpf(rec.C)
        return rec


def _starts(n, unresolved=()):
    """Starts (x0, y0) well off the lines, or below quad's resolution for the indices in ``unresolved``; the
    index rides in h so the stand-ins know the start."""
    x0, y0 = [], []
    for i in range(n):
        x, y = _near(1, "0.5") if i in unresolved else (0.5, 2.0)
        x0.append(x)
        y0.append(y)
    return x0, y0, [float(i) for i in range(n)]


def test_confirm_counts_every_path(monkeypatch):
    """0: quad agrees. 1: quad disagrees, mpmath agrees with float64 (quad was wrong). 2: quad disagrees,
    mpmath's precisions never agree. 3: below quad's resolution, mpmath disagrees with float64 (a flip, no quad
    record). 4: quad disagrees and mpmath agrees with quad (a flip, quad right)."""
    fast = [_rec(), _rec(), _rec(), _rec(), _rec()]
    quad = {0: _rec(precision="quad"), 1: _rec("diverged", precision="quad"), 2: _rec("periodic", precision="quad"),
            4: _rec("diverged", precision="quad")}
    auto = {1: _rec(precision="mpmath"), 2: _rec("undecided", precision="mpmath", precision_disagreement=True),
            3: _rec("diverged", x=None, y=None, precision="mpmath"), 4: _rec("diverged", precision="mpmath")}
    s = Scripted(monkeypatch, quad, auto)
    progress = []
    x0, y0, h = _starts(5, unresolved={3})
    cov, results = tiers.confirm(FAM, x0, y0, h, fast, ST, budget_s=None, max_dps=80,
                                 progress=lambda d, n: progress.append((d, n)))
    assert s.quad_calls == [[0, 1, 2, 4]]
    assert s.auto_calls == [(3, 80), (1, 80), (2, 80), (4, 80)]      # the unresolved first, then in order
    assert progress == [(4, 5), (5, 5), (6, 5), (7, 5), (8, 5)]
    assert [r.tier for r in results] == ["quad", "mpmath", "inconclusive", "mpmath", "mpmath"]
    assert [r.final for r in results] == [quad[0], auto[1], None, auto[3], auto[4]]
    assert (results[3].quad, results[3].precise) == (None, auto[3])
    assert (cov.suspects, cov.confirmed_quad, cov.disagreed, cov.escalated, cov.confirmed_mpmath, cov.inconclusive,
            cov.skipped, cov.quad_wrong, cov.unresolved_by_quad) == (5, 1, 3, 4, 3, 1, 0, 1, 1)
    assert [f["index"] for f in cov.flips] == [3, 4]
    assert auto[3].x0 == 1.0 and auto[3].h == 3.0 and isinstance(auto[3].C, float)


def test_an_escalation_limit_stops_the_mpmath_tier(monkeypatch):
    fast = [_rec(), _rec(), _rec()]
    quad = {i: _rec("diverged", precision="quad") for i in range(3)}
    auto = {i: _rec(precision="mpmath") for i in range(3)}
    for limit, escalated in ((0, 0), (2, 2), (3, 3), (None, 3)):
        s = Scripted(monkeypatch, quad, auto)
        cov, results = tiers.confirm(FAM, *_starts(3), fast, ST, budget_s=None, escalation_limit=limit)
        assert (cov.escalated, cov.confirmed_mpmath, cov.skipped) == (escalated, escalated, 3 - escalated)
        assert len(s.auto_calls) == escalated
        assert [r.tier for r in results] == ["mpmath"] * escalated + ["skipped"] * (3 - escalated)


def test_a_spent_budget_confirms_nothing(monkeypatch):
    s = Scripted(monkeypatch, {0: _rec(precision="quad")}, {})
    cov, results = tiers.confirm(FAM, *_starts(1), [_rec()], ST, budget_s=0.0)
    assert s.quad_calls == [] and cov.skipped == 1 and cov.coverage == 0.0 and results[0].tier == "skipped"


def test_quad_runs_in_chunks(monkeypatch):
    monkeypatch.setattr(tiers, "QUAD_CHUNK", 2)
    quad = {i: _rec(precision="quad") for i in range(5)}
    s = Scripted(monkeypatch, quad, {})
    progress = []
    cov, _ = tiers.confirm(FAM, *_starts(5), [_rec() for _ in range(5)], ST, budget_s=None,
                           progress=lambda d, n: progress.append(d))
    assert s.quad_calls == [[0, 1], [2, 3], [4]] and progress == [2, 4, 5] and cov.confirmed_quad == 5


def test_final_points_are_compared_at_the_float64_and_quad_tolerances(monkeypatch):
    """float64 vs quad at 2⁻²⁰ of 1 + |x| + |y| (= 3 here); quad vs mpmath at 2⁻⁴⁰."""
    tol64 = 3 * 2.0 ** -20
    quad = {0: _rec(x=1.0 + tol64, precision="quad"), 1: _rec(x=1.0 + 2 * tol64, precision="quad")}
    auto = {1: _rec(x=1.0 + 2 * tol64 + 2.0 ** -30, precision="mpmath")}
    Scripted(monkeypatch, quad, auto)
    cov, results = tiers.confirm(FAM, *_starts(2), [_rec(), _rec()], ST, budget_s=None)
    assert [r.tier for r in results] == ["quad", "mpmath"]
    assert cov.quad_wrong == 1            # 2⁻³⁰ apart: beyond quad's 2⁻⁴⁰ × 3
    assert [f["index"] for f in cov.flips] == [1]


def test_flip_entry_whole():
    fast, quad = _rec(x=1.0, y=2.0), _rec("diverged", x=None, y=None, precision="quad")
    precise = _rec("periodic", x=0.5, y=0.25, precision="mpmath")
    out = tiers.flip_entry(FAM, 7, fast, quad, precise, ST)
    assert out == {
        "index": 7, "x0": 0.5, "y0": 2.0, "h": 0.25, "float64": "converged", "float64_point": [1.0, 2.0],
        "precise": "periodic", "precise_point": [0.5, 0.25], "precision": "mpmath", "reason": "periodic r",
        "verdicts": {"float64": {"outcome": "converged", "steps": 64, "point": [1.0, 2.0], "precision": "float64",
                                 "reason": "converged r"},
                     "quad": {"outcome": "diverged", "steps": 64, "point": [None, None], "precision": "quad",
                              "reason": "diverged r"},
                     "mpmath": {"outcome": "periodic", "steps": 64, "point": [0.5, 0.25], "precision": "mpmath",
                                "reason": "periodic r"}},
        "replay": tiers.replay_command(FAM, 0.5, 2.0, 0.25, ST),
        "replay_float64": tiers.replay_command(FAM, 0.5, 2.0, 0.25, ST, "float64")}
    assert tiers.flip_entry(FAM, 0, fast, None, precise, ST)["verdicts"]["quad"] is None


def test_outcome_code():
    assert [tiers.outcome_code(_rec(o)) for o in ("converged", "diverged", "periodic", "undecided")] == [0, 1, 2, 3]


# ---- the survivors of the first mutation run, each killed where it binds ---------------------------------

def test_below_quad_resolution_exactly_at_its_threshold():
    """x = 1 + 2⁻¹⁰⁸, y = −(1 − 2⁻¹⁰⁸): |x + y| = 2⁻¹⁰⁷ = 16·2⁻¹¹²·(|x| + |y|) exactly: not below (strict)."""
    with mpmath.workdps(200):
        x, y = 1 + mpmath.mpf(2) ** -108, -(1 - mpmath.mpf(2) ** -108)
    assert not tiers.below_quad_resolution(x, y)


def test_coverage_rounds_both_timings_to_milliseconds():
    d = tiers.Coverage(1, quad_s=2.34567, mpmath_s=1.23456).as_dict()
    assert (d["quad_s"], d["mpmath_s"]) == (2.346, 1.235)


def test_confirm_default_budget():
    import inspect

    assert inspect.signature(tiers.confirm).parameters["budget_s"].default == 30.0


class Clock:
    """time.perf_counter stand-in: each call is one second later."""

    def __init__(self):
        self.t = 100.0

    def __call__(self):
        self.t += 1.0
        return self.t


def test_tier_timings_accumulate(monkeypatch):
    """One second a call: each quad chunk and each mpmath run costs exactly 1 s between its two readings."""
    monkeypatch.setattr(tiers, "QUAD_CHUNK", 1)
    monkeypatch.setattr(tiers.time, "perf_counter", Clock())
    quad = {i: _rec("diverged", precision="quad") for i in range(3)}
    auto = {i: _rec(precision="mpmath") for i in range(3)}
    Scripted(monkeypatch, quad, auto)
    cov, _ = tiers.confirm(FAM, *_starts(3), [_rec() for _ in range(3)], ST, budget_s=None)
    assert (cov.quad_s, cov.mpmath_s) == (3.0, 3.0)


def test_no_time_left_at_exactly_the_budget(monkeypatch):
    """A frozen clock: elapsed 0 against a budget of 0 is not time left (strict)."""
    monkeypatch.setattr(tiers.time, "perf_counter", lambda: 5.0)
    s = Scripted(monkeypatch, {0: _rec(precision="quad")}, {})
    fast = [_rec()]
    _, results = tiers.confirm(FAM, *_starts(1), fast, ST, budget_s=0.0)
    assert s.quad_calls == [] and results[0].tier == "skipped" and results[0].float64 is fast[0]


def test_a_quad_tier_returning_fewer_records_is_an_error(monkeypatch):
    monkeypatch.setattr(tiers, "run_quad", lambda family, x0, y0, h, st: [_rec(precision="quad")])
    with pytest.raises(ValueError, match="zip"):
        tiers.confirm(FAM, *_starts(2), [_rec(), _rec()], ST, budget_s=None)


def test_counters_count_more_than_one(monkeypatch):
    quad = {i: _rec("diverged", precision="quad") for i in range(4)}
    auto = {0: _rec("undecided", precision="mpmath", precision_disagreement=True),
            1: _rec("undecided", precision="mpmath", precision_disagreement=True),
            2: _rec(precision="mpmath"), 3: _rec(precision="mpmath")}
    Scripted(monkeypatch, quad, auto)
    cov, _ = tiers.confirm(FAM, *_starts(4), [_rec() for _ in range(4)], ST, budget_s=None)
    assert (cov.inconclusive, cov.quad_wrong, cov.confirmed_mpmath) == (2, 2, 2)


def test_float64_and_mpmath_points_are_compared_at_the_float64_tolerance(monkeypatch):
    """1e-7 × (1 + |x| + |y|) apart: within 2⁻²⁰ (no flip), beyond agree's own default 1e-8."""
    quad = {0: _rec("diverged", precision="quad")}
    auto = {0: _rec(x=1.0 + 3e-7, precision="mpmath")}
    Scripted(monkeypatch, quad, auto)
    cov, _ = tiers.confirm(FAM, *_starts(1), [_rec()], ST, budget_s=None)
    assert cov.confirmed_mpmath == 1 and cov.flips == []


LOGCOSH_SHORT = Settings(max_steps=16, check_every=8)


@pytest.mark.parametrize("exact", [False, True])
def test_run_quad_records(exact):
    """Both paths (float starts: one quad batch; exact starts: the quad loop on binary128 starts) honour the
    settings' budget, skip the loss maximum, enclose the sharpness and say 'quad'."""
    def given(v):
        return mpmath.mpf(v) if exact else v

    converged = tiers.run_quad(FAM, [given(0.5)], [given(3.0)], [given(0.02)], Settings(max_steps=5000))[0]
    assert converged.outcome == "converged" and converged.steps == 120 and converged.precision == "quad"
    assert converged.fmax_ratio is None                      # track_max=False: no loss maximum
    assert converged.sharpness == pytest.approx(FAM.curvature * (converged.x ** 2 + converged.y ** 2), rel=1e-9)
    short = tiers.run_quad(FAM, [given(0.5)], [given(3.0)], [given(0.02)], LOGCOSH_SHORT)[0]
    assert short.outcome == "undecided" and short.steps == 16


def test_run_quad_on_exact_starts_runs_in_binary128():
    """One float64 ulp off y = −x given exactly: binary128 keeps the offset and converges (float64 would
    round onto the line and stall at the saddle, see tests/test_tiers.py)."""
    with mpmath.workdps(200):
        x0, y0, h = mpmath.mpf(1), -(1 - mpmath.mpf(2) ** -53), mpmath.mpf("0.2")
    rec = tiers.run_quad(FAM, [x0], [y0], [h], Settings(max_steps=5000))[0]
    assert rec.outcome == "converged"


def test_run_quad_on_a_diverging_exact_start_warns_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = tiers.run_quad(FAM, [mpmath.mpf(30)], [mpmath.mpf(20)], [mpmath.mpf(5)], Settings(max_steps=64))[0]
    assert rec.outcome == "diverged" and rec.sharpness is None


def test_the_default_budget_is_thirty_seconds(monkeypatch):
    """A clock that moves 30.5 s between readings: past the default 30 s budget before the first quad chunk."""
    class Slow(Clock):
        def __call__(self):
            self.t += 30.5
            return self.t

    monkeypatch.setattr(tiers.time, "perf_counter", Slow())
    s = Scripted(monkeypatch, {0: _rec(precision="quad")}, {})
    cov, _ = tiers.confirm(FAM, *_starts(1), [_rec()], ST)
    assert s.quad_calls == [] and cov.skipped == 1
    monkeypatch.setattr(tiers.time, "perf_counter", Clock())     # 1 s a reading: within the default budget
    cov, _ = tiers.confirm(FAM, *_starts(1), [_rec()], ST)
    assert cov.confirmed_quad == 1
