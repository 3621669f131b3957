"""Binding tests of lrbias/gd/certificate/sweep.py (issue 27): a sweep's certified sample.  The rows of
:func:`certify_rows` pinned whole for each kind of certificate (converged with its ratio, diverged with its escape,
periodic, not certified) and checked against a 50-digit mpmath run; :func:`_quantile` at each of its clamps; and
:func:`certify_sweep_sample` with its argument check at each boundary, the chunks it reads (no more than the k starts
need), the tasks it cuts (25 starts each), the executor it names and every figure of its summary, compared whole with
figures computed here by hand (shares, the table by float outcome, the time percentiles, the walls and their ratio,
the five commonest reasons, cut at the first '(' and at 100 characters).  A last test runs the real sweep, serially,
and checks each row against the float run of the same chunk and against mpmath."""

from __future__ import annotations

import dataclasses
import itertools
import types

import mpmath
import pytest

from lrbias.errors import InvalidArgument
from lrbias.gd import scaleout
from lrbias.gd.certificate import follower, sweep
from lrbias.gd.certificate.records import CONVERGED, DIVERGED, NOT_CERTIFIED, PERIODIC, Certificate
from lrbias.gd.certificate.sweep import _quantile, certify_rows, certify_sweep_sample
from lrbias.gd.outcome import Settings
from lrbias.gd.sampling import Range
from lrbias.gd.scaleout import SweepRanges

pytest.importorskip("flint")

RANGES = SweepRanges(Range(0.1, 1.0), Range(0.5, 6.0), Range(1.0, 4.5))


def test_constants():
    assert (sweep.TASK_STARTS, sweep.SWEEP_WIDTH, sweep.STEP_FACTOR) == (25, 1e-6, 4)
    assert sweep.OUTCOMES == (CONVERGED, PERIODIC, DIVERGED, NOT_CERTIFIED) == (
        "certified converged", "certified periodic", "certified diverged", "not certified")


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([], 0.5, None),
    ([3.0], 0.5, 3.0),
    ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0),          # ceil(2) - 1 = index 1 of the sorted values
    ([5.0, 1.0, 4.0, 2.0, 3.0], 0.5, 3.0),     # ceil(2.5) - 1 = 2
    ([5.0, 1.0, 4.0, 2.0, 3.0], 0.95, 5.0),    # ceil(4.75) - 1 = 4
    ([5.0, 1.0, 4.0, 2.0, 3.0], 0.6, 3.0),     # ceil(3) - 1 = 2
    ([5.0, 1.0, 4.0, 2.0, 3.0], 0.61, 4.0),    # ceil(3.05) - 1 = 3
    ([5.0, 1.0, 4.0, 2.0, 3.0], 0.0, 1.0),     # ceil(0) - 1 = -1: clamped to the first
    ([5.0, 1.0, 4.0, 2.0, 3.0], 1.5, 5.0),     # beyond the end: clamped to the last
])
def test_quantile_at_its_clamps(values, p, expected):
    assert _quantile(values, p) == expected


# ---- the rows --------------------------------------------------------------------------------------------------

@pytest.fixture
def quarter_second(monkeypatch):
    """follower's clock ticks 0.25 s per reading: every real certificate's ``seconds`` is 0.25."""
    ticks = itertools.count(step=0.25)
    monkeypatch.setattr(follower, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))


def _mp_run(x0, y0, h, steps):
    """The square loss's GD at 50 digits: [(x_t, y_t)] for t = 0..steps."""
    with mpmath.workdps(50):
        x, y, h = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        out = [(x, y)]
        for _ in range(steps):
            g = h * (x * y - 1)
            x, y = x - g * y, y - g * x
            out.append((x, y))
    return out


ROWS = [
    {"x0": 0.5, "y0": 6.0, "C": 3.0, "h": 0.08275862068965517, "float": "converged", "certified": CONVERGED,
     "step": 45, "ratio": {"lo": 0.1410799932945126, "hi": 0.14108004477607974, "ball": "[0.1410800 +/- 4.48e-8]"},
     "escape": None, "bits": 128, "seconds": 0.25, "steps_followed": 45, "reason": ""},
    {"x0": 0.5, "y0": 6.0, "C": 4.5, "h": 0.12413793103448276, "float": "diverged", "certified": DIVERGED,
     "step": 4, "ratio": None,
     "escape": {"step": 4, "side": "s -> +inf",
                "region": "s >= 302.12353515625 and (q - 2s)/(q + 2s) + 8.916998529204154/s <= 0.2610530612856885",
                "sigma": 302.12353515625, "rho_bar": 0.2610530612856885, "c": 8.916998529204154,
                "rate": 1270.7432359404877, "slope": 37.380852640086204, "K": 8.53273021704082,
                "s_entry": {"lo": 302.12355515513553, "hi": 302.1235551551356}, "W_entry": 0.25000702594732904,
                "growth": "l'(s) >= 616701/2048 + 1*(s - 618749/2048) for s >= 618749/2048 (exact Taylor "
                          "coefficients of l' at the point: those of degree >= 2 are >= 0)"},
     "bits": 128, "seconds": 0.25, "steps_followed": 4,
     "reason": "in the escape region s >= 302.12353515625 and (q - 2s)/(q + 2s) + 8.916998529204154/s <= "
               "0.2610530612856885 from step 4: |s| grows by >= 1270.74 per step"},
    {"x0": 3.0, "y0": 2.0, "C": 0.013, "h": 0.001, "float": "stalled", "certified": NOT_CERTIFIED, "step": None,
     "ratio": None, "escape": None, "bits": 128, "seconds": 0.25, "steps_followed": 100,
     "reason": "budget of 100 steps spent without a proof (last tail attempt: |s - 1| never fell below 0.5)"},
]


def test_certify_rows_whole_for_each_kind_of_certificate(quarter_second):
    starts = [(r["x0"], r["y0"], r["C"], r["float"]) for r in ROWS]
    rows = certify_rows("square", starts, 100, 4096, 1e-6)
    assert rows == ROWS
    assert [r["h"] for r in rows] == [3.0 / 36.25, 4.5 / 36.25, 0.013 / 13.0]
    points = _mp_run(0.5, 6.0, 3.0 / 36.25, 400)
    with mpmath.workdps(50):
        x, y = points[-1]
        assert abs(x * y - 1) < 1e-40
        assert ROWS[0]["ratio"]["lo"] <= (x * x + y * y) * mpmath.mpf(3.0 / 36.25) / 2 <= ROWS[0]["ratio"]["hi"]
        s = [a * b for a, b in _mp_run(0.5, 6.0, 4.5 / 36.25, 5)]
        assert ROWS[1]["escape"]["s_entry"]["lo"] <= s[4] <= ROWS[1]["escape"]["s_entry"]["hi"]
        assert s[5] >= ROWS[1]["escape"]["rate"] * s[4]


def test_certify_rows_passes_its_budgets_and_width(quarter_second):
    """The same starts under other budgets: 128 bits stop the square loss's 2-cycle (it needs 512), 3 steps stop the
    converging run; (0.5, 2) on xy = 1 is proven at step 0, where a width of 0.5 stops, while a width of 1e-300 is
    never reached (the last proof of 50 steps is at step 48)."""
    cycle = (1.3, 0.9, 1.1 * (1.3 * 1.3 + 0.9 * 0.9), "periodic")
    assert [(r["certified"], r["bits"], r["step"]) for r in certify_rows("square", [cycle], 400, 512, 1e-6)] == [
        (PERIODIC, 512, 192)]
    assert [(r["certified"], r["bits"], r["steps_followed"]) for r in certify_rows("square", [cycle], 400, 128, 1e-6)
            ] == [(NOT_CERTIFIED, 128, 57)]
    assert [(r["certified"], r["steps_followed"]) for r in certify_rows("square", [(0.5, 6.0, 3.0, "converged")],
                                                                      3, 4096, 1e-6)] == [(NOT_CERTIFIED, 3)]
    wide = certify_rows("square", [(0.5, 2.0, 0.1 * 4.25, "converged")], 50, 4096, 0.5)
    narrow = certify_rows("square", [(0.5, 2.0, 0.1 * 4.25, "converged")], 50, 4096, 1e-300)
    assert [(r["certified"], r["step"]) for r in wide + narrow] == [(CONVERGED, 0), (CONVERGED, 48)]


# ---- the sample, with its parts replaced -----------------------------------------------------------------------

FLOATS = ["converged", "converged", "diverged", "converged", "periodic", "diverged", "converged", "stalled"]
LONG = "a reason of more than one hundred characters before its parenthesis, " * 2   # 140 characters
CERTS = [  # (outcome, seconds, reason) of start i
    (CONVERGED, 0.5, ""),
    (NOT_CERTIFIED, 2.0, "  budget of 9 steps spent without a proof (last tail attempt: x)"),
    (DIVERGED, 1.0, "in the escape region (s >= 3)"),
    (NOT_CERTIFIED, 8.0, "budget of 9 steps spent without a proof (last tail attempt: y)"),
    (NOT_CERTIFIED, 4.0, LONG + "(the end)"),
    (NOT_CERTIFIED, 16.0, "the enclosure's radius grew past 2^-64 (relative) at step 3"),
    (CONVERGED, 32.0, ""),
    (NOT_CERTIFIED, 64.0, "no parenthesis here"),
]


@dataclasses.dataclass
class Fakes:
    """The sweep's collaborators replaced: starts and float outcomes by index, certificates by x0, a clock."""

    chunks_read: list = dataclasses.field(default_factory=list)
    tasks: list = dataclasses.field(default_factory=list)
    executor: list = dataclasses.field(default_factory=list)
    certify_calls: list = dataclasses.field(default_factory=list)
    floats: list = dataclasses.field(default_factory=lambda: list(FLOATS))
    certs: list = dataclasses.field(default_factory=lambda: list(CERTS))
    seconds_by_x0: bool = False     # each certificate takes x0 seconds (distinct times) instead of CERTS' figure


@pytest.fixture
def fakes(monkeypatch):
    """Start i of the sweep is (i + 1, 10 + i, 1 + i / 10) with float outcome FLOATS[i] and certificate CERTS[i];
    the sweep's clock reads 10, 10.56789 (the float run), 20, 21.23456 (the certification)."""
    f = Fakes()

    def chunk_sample(chunk, ranges):
        assert ranges is RANGES
        idx = range(chunk.start, chunk.start + chunk.size)
        return [i + 1.0 for i in idx], [10.0 + i for i in idx], [1 + i / 10 for i in idx]

    def run_chunk(spec, chunk, ranges, settings):
        assert (spec, ranges, settings) == ("square", RANGES, Settings(max_steps=50))
        f.chunks_read.append(chunk.index)
        idx = range(chunk.start, chunk.start + chunk.size)
        return types.SimpleNamespace(records=lambda: [types.SimpleNamespace(outcome=f.floats[i % 8]) for i in idx])

    def map_tasks(fn, items, scheduler, workers):
        f.tasks.append([len(t) for t in items])
        f.executor.append((scheduler, workers, fn.func, fn.args, fn.keywords))
        return [fn(item) for item in items]

    def certify(spec, x0, y0, h, **kwargs):
        f.certify_calls.append((spec, x0, y0, h, kwargs))
        outcome, seconds, reason = f.certs[(int(x0) - 1) % 8]
        seconds = x0 if f.seconds_by_x0 else seconds
        return Certificate(outcome, spec, x0, y0, h, reason, 128, seconds, 7, step=3 if outcome != NOT_CERTIFIED
                           else None)

    clock = iter([10.0, 10.56789, 20.0, 21.23456])
    monkeypatch.setattr(scaleout, "chunk_sample", chunk_sample)
    monkeypatch.setattr(scaleout, "run_chunk", run_chunk)
    monkeypatch.setattr(scaleout, "map_tasks", map_tasks)
    monkeypatch.setattr(sweep, "certify", certify)
    monkeypatch.setattr(sweep, "time", types.SimpleNamespace(perf_counter=lambda: next(clock)))
    return f


def _sample(k, n=8, chunk_size=3, **kwargs):
    return certify_sweep_sample("square", n, RANGES, 5, chunk_size, Settings(max_steps=50), k, **kwargs)


def test_the_summary_whole(fakes):
    out = _sample(8)
    rows = out.pop("rows")
    assert out == {
        "k": 8, "executor": "serial", "width": 1e-6, "max_steps": 200,
        "float_shares": {"converged": 4 / 8, "diverged": 2 / 8, "periodic": 1 / 8, "stalled": 1 / 8},
        "certified_shares": {CONVERGED: 2 / 8, PERIODIC: 0.0, DIVERGED: 1 / 8, NOT_CERTIFIED: 5 / 8},
        "by_float": {"converged": {CONVERGED: 2, NOT_CERTIFIED: 2}, "diverged": {DIVERGED: 1, NOT_CERTIFIED: 1},
                     "periodic": {NOT_CERTIFIED: 1}, "stalled": {NOT_CERTIFIED: 1}},
        "certified_share_by_float": {"converged": 0.5, "diverged": 0.5, "periodic": 0.0, "stalled": 0.0},
        "float_converged": 4, "certified_of_float_converged": 0.5,
        "seconds": {"p50": 4.0, "p95": 64.0, "max": 64.0, "sum": 127.5}, "median_seconds": 4.0,
        "certify_wall_s": 1.235, "float_wall_s": 0.568,
        "ratio_to_float": (21.23456 - 20.0) / (10.56789 - 10.0),
        "not_certified_reasons": {"budget of 9 steps spent without a proof": 2, LONG[:100]: 1,
                                  "the enclosure's radius grew past 2^-64": 1, "no parenthesis here": 1}}
    assert list(out["float_shares"]) == list(out["by_float"]) == ["converged", "diverged", "periodic", "stalled"]
    assert list(out["certified_shares"]) == [CONVERGED, PERIODIC, DIVERGED, NOT_CERTIFIED]
    assert list(out["not_certified_reasons"]) == ["budget of 9 steps spent without a proof", LONG[:100],
                                                  "the enclosure's radius grew past 2^-64", "no parenthesis here"]
    assert len(LONG[:100]) == 100 and LONG[:100] != LONG[:101].strip()
    assert fakes.chunks_read == [0, 1, 2] and fakes.tasks == [[8]]
    assert fakes.executor == [(None, None, certify_rows, ("square",), {"max_steps": 200, "max_bits": 4096,
                                                                        "width": 1e-6})]
    assert [r["x0"] for r in rows] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert rows[1] == {"x0": 2.0, "y0": 11.0, "C": 1.1, "h": 1.1 / 125.0, "float": "converged",
                       "certified": NOT_CERTIFIED, "step": None, "ratio": None, "escape": None, "bits": 128,
                       "seconds": 2.0, "steps_followed": 7, "reason": CERTS[1][2]}
    assert all(c[4] == {"max_steps": 200, "max_bits": 4096, "width": 1e-6} for c in fakes.certify_calls)


def test_the_summary_recomputed_by_hand(fakes):
    """The same figures from the rows, computed here another way."""
    out = _sample(8)
    rows = out["rows"]
    floats = [r["float"] for r in rows]
    assert out["float_shares"] == {o: floats.count(o) / 8 for o in set(floats)}
    assert out["certified_share_by_float"] == {
        o: len([r for r in rows if r["float"] == o and r["certified"] != NOT_CERTIFIED]) / floats.count(o)
        for o in set(floats)}
    times = sorted(r["seconds"] for r in rows)
    assert (out["seconds"]["p50"], out["seconds"]["p95"]) == (times[3], times[7])   # the 4th and 8th of 8


def _clock(monkeypatch, *readings):
    monkeypatch.setattr(sweep, "time", types.SimpleNamespace(perf_counter=iter(readings).__next__))


def test_the_five_commonest_reasons_only(fakes, monkeypatch):
    """Six distinct reasons (ties kept in the order first seen): the last is left out."""
    for i, why in enumerate(["r1", "r2", "r1", "r2", "r3 (x)", "r4", "r5", "r6"]):
        fakes.certs[i] = (NOT_CERTIFIED, 1.0, why)
    out = _sample(8)
    assert list(out["not_certified_reasons"].items()) == [("r1", 2), ("r2", 2), ("r3", 1), ("r4", 1), ("r5", 1)]


def test_only_the_chunks_the_k_starts_need_are_run(fakes, monkeypatch):
    """k = 4 with chunks of 3: chunks 0 and 1 (the 4th start is the first of chunk 1), not chunk 2."""
    out = _sample(4, max_steps=9, max_bits=256, width=0.125)
    assert (out["k"], [r["x0"] for r in out["rows"]], fakes.chunks_read) == (4, [1.0, 2.0, 3.0, 4.0], [0, 1])
    assert (out["max_steps"], out["width"]) == (9, 0.125)
    assert fakes.executor[0][4] == {"max_steps": 9, "max_bits": 256, "width": 0.125}
    assert out["float_converged"] == 3 and out["certified_of_float_converged"] == 1 / 3
    assert out["seconds"] == {"p50": 1.0, "p95": 8.0, "max": 8.0, "sum": 11.5}
    fakes.chunks_read.clear()
    _clock(monkeypatch, 0.0, 1.0, 1.0, 2.0)
    one = _sample(1, chunk_size=1)
    assert (one["k"], one["float_converged"], one["seconds"], fakes.chunks_read) == (
        1, 1, {"p50": 0.5, "p95": 0.5, "max": 0.5, "sum": 0.5}, [0])


def test_no_float_converged_start_and_a_zero_float_wall(fakes, monkeypatch):
    """k = 1 of a sweep whose first start diverged (float): no certified share of float-converged starts; a float
    run timed at 0 s gives no ratio."""
    fakes.floats[0] = "diverged"
    _clock(monkeypatch, 5.0, 5.0, 7.0, 7.5)
    out = _sample(1)
    assert (out["float_converged"], out["certified_of_float_converged"], out["float_wall_s"], out["certify_wall_s"],
            out["ratio_to_float"]) == (0, None, 0.0, 0.5, None)
    assert out["by_float"] == {"diverged": {CONVERGED: 1}} and out["certified_share_by_float"] == {"diverged": 1.0}


def test_tasks_of_25_starts_and_the_executor_named(fakes, monkeypatch):
    """26 starts: two tasks (25 + 1), on 3 local workers; their times 1..26 s put p95 (the 25th of 26) below the
    max."""
    _clock(monkeypatch, 0.0, 1.0, 1.0, 2.0)
    fakes.seconds_by_x0 = True
    out = _sample(26, n=30, chunk_size=10, workers=3)
    assert (out["k"], out["executor"], fakes.tasks, fakes.chunks_read) == (26, "local:3", [[25, 1]], [0, 1, 2])
    assert (out["seconds"], out["median_seconds"]) == ({"p50": 13.0, "p95": 25.0, "max": 26.0, "sum": 351.0}, 13.0)
    assert [r["x0"] for r in out["rows"]] == [float(i + 1) for i in range(26)]
    assert fakes.executor[0][:2] == (None, 3)
    _clock(monkeypatch, 0.0, 1.0, 1.0, 2.0)
    out = _sample(25, n=30, chunk_size=10, scheduler="tcp://127.0.0.1:8786")
    assert (out["executor"], fakes.tasks[-1], fakes.executor[-1][:2]) == (
        "tcp://127.0.0.1:8786", [25], ("tcp://127.0.0.1:8786", None))


@pytest.mark.parametrize(("k", "n"), [(0, 8), (9, 8), (2.0, 8), ("3", 8)])
def test_k_is_checked_at_its_boundaries(k, n, fakes):
    with pytest.raises(InvalidArgument) as exc:
        _sample(k, n=n)
    assert str(exc.value) == f"--certify {k!r} is invalid; accepted: an integer, 1 <= K <= n = {n}, or 'all'"
    assert fakes.chunks_read == []


# ---- the real sample -------------------------------------------------------------------------------------------

def test_a_real_sample_serially_against_the_float_run_and_mpmath(quarter_second):
    """square, 6 starts in chunks of 4, the first 5 certified: the rows are the sweep's own starts and float outcomes
    (read again here from each chunk), in order; every certificate agrees with a 50-digit run."""
    settings = Settings(max_steps=200)
    out = certify_sweep_sample("square", 6, RANGES, 3, 4, settings, 5)
    rows = out["rows"]
    expected = []
    for chunk in scaleout.plan_chunks(6, 4, 3):
        x0, y0, C = scaleout.chunk_sample(chunk, RANGES)
        records = scaleout.run_chunk("square", chunk, RANGES, settings).records()
        expected += [(float(a), float(b), float(c), r.outcome) for a, b, c, r in zip(x0, y0, C, records, strict=True)]
    assert [(r["x0"], r["y0"], r["C"], r["float"]) for r in rows] == expected[:5]
    assert [(r["float"], r["certified"], r["step"], r["bits"]) for r in rows] == [
        ("diverged", DIVERGED, 1, 128), ("converged", CONVERGED, 9, 128), ("converged", CONVERGED, 14, 128),
        ("converged", CONVERGED, 41, 128), ("periodic", PERIODIC, 128, 256)]
    assert (out["k"], out["executor"], out["max_steps"], out["width"], out["float_converged"],
            out["certified_of_float_converged"], out["not_certified_reasons"]) == (5, "serial", 800, 1e-6, 3, 1.0, {})
    assert out["by_float"] == {"converged": {CONVERGED: 3}, "diverged": {DIVERGED: 1}, "periodic": {PERIODIC: 1}}
    assert out["certified_shares"] == {CONVERGED: 0.6, PERIODIC: 0.2, DIVERGED: 0.2, NOT_CERTIFIED: 0.0}
    assert out["seconds"] == {"p50": 0.25, "p95": 0.25, "max": 0.25, "sum": 1.25}
    for r in rows:
        assert r["h"] == r["C"] / (r["x0"] * r["x0"] + r["y0"] * r["y0"])
        with mpmath.workdps(50):
            if r["certified"] == CONVERGED:
                x, y = _mp_run(r["x0"], r["y0"], r["h"], 600)[-1]
                assert abs(x * y - 1) < 1e-30
                assert r["ratio"]["lo"] <= (x * x + y * y) * mpmath.mpf(r["h"]) / 2 <= r["ratio"]["hi"]
            elif r["certified"] == DIVERGED:
                s = [a * b for a, b in _mp_run(r["x0"], r["y0"], r["h"], r["step"] + 1)]
                assert r["escape"]["s_entry"]["lo"] <= s[r["step"]] <= r["escape"]["s_entry"]["hi"]
                assert s[r["step"] + 1] >= r["escape"]["rate"] * s[r["step"]]
            else:   # a proven stable 4-cycle: the run repeats every 4 steps, not every 2
                assert r["reason"].startswith("converges to a proven stable 4-cycle")
                points = _mp_run(r["x0"], r["y0"], r["h"], 600)
                (x, y), (x2, y2), (x4, y4) = points[-5], points[-3], points[-1]
                assert abs(x4 - x) + abs(y4 - y) < 1e-20 < abs(x2 - x) + abs(y2 - y)
