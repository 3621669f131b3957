"""Binding tests of lrbias/gd/step_loop.py (issue 27): the batched loop against a plain-Python reference GD loop
written here (every array a chunk writes, compared whole), with runs that end at different steps for different
reasons in one chunk (converged at step 0 and later, diverged, periodic with period 2 and with period 8 = the
largest searched, stalled at the saddle, budget spent), the stability edge h·ℓ″(1)·q = 2 on both sides for
starts with |x| ≫ |y| and |y| ≫ |x|, a convergence reached exactly at the step budget, the divergence bound
scaled by the start, the compaction schedule (a tenth done, or every COMPACT_EVERY steps, seen through the
lengths of the arrays ℓ′ is called on), ℓ(1) taken from the family or evaluated in the backend's own number
type, the loss maximum and its step (a tie keeps the first), track_max=False, trajectories, a fused kernel
between rule steps, no floating-point warnings, and the quad and torch backends (torch on CPU, every array on
the backend's device).

The main family is ℓ(s) = (s − 1)² + 1/4: ℓ′ = 2s − 2 and ℓ(1) = 1/4 are exact in binary for dyadic s, and
ℓ″(1) = 2, ℓ(1) ≠ 0, so a curvature or a minimum taken as 1 or 0 shows.  On the antidiagonal with h = 1/2 the
step is x → −x³ (a 2-cycle from 1, a run into the saddle from below 1, an overflow from above); on the diagonal
with h = 1/8, (3, 3) is a 2-cycle.  The other starts were picked for their outcome (converged at 8, 16, 24, 64;
a loss peak at step 1 or 4; period 8); what each does is derived here by the reference loop, never by the engine.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import array_api_compat.numpy as xp_numpy
import mpmath
import numpy as np
import pytest

from lrbias.errors import InvalidArgument
from lrbias.gd import rules, step_loop
from lrbias.gd.outcome import Outcome, Settings
from lrbias.gd.vectorised import result_arrays
from lrbias.losses.families import Derivatives, Family, get_family

FAMILY = get_family("expr:(s-1)**2+1/4")
FLOAT_MAX = 1.7976931348623157e308
Start = tuple[float, float, float]   # (x0, y0, h)
CONVERGED, DIVERGED, PERIODIC, UNDECIDED = (int(o) for o in (Outcome.CONVERGED, Outcome.DIVERGED, Outcome.PERIODIC,
                                                              Outcome.UNDECIDED))

AT_MINIMUM: Start = (2.0, 0.5, 0.125)        # s = 1 exactly, h·ℓ″(1)·q = 1.0625 < 2: converged at step 0
CYCLE_ANTI: Start = (1.0, -1.0, 0.5)         # x → −x³: (1, −1) ↔ (−1, 1), the loss constant (a tie every step)
CYCLE_DIAG: Start = (3.0, 3.0, 0.125)        # (3, 3) ↔ (−3, −3)
BLOW_UP: Start = (2.0, -2.0, 0.5)            # x → −x³ from 2: the loss overflows at step 6, diverged at 8
TO_SADDLE: Start = (2.0 ** -10, -(2.0 ** -10), 0.5)  # x → −x³ from 2⁻¹⁰: exactly (0, 0) by step 5, stalled at 128
STUCK: Start = (1.0, 1.0, 0.5)               # a minimiser with h·ℓ″(1)·q = 2 exactly: not stable, never left
CATAPULT_4: Start = (0.28125, 2.78125, 0.203369140625)    # the loss peaks at step 4 (184× the start), converged 24
CATAPULT_1: Start = (0.9375, 2.625, 0.19189453125)        # the loss peaks at step 1, converged at 16 (rule met at 14)
PERIOD_8: Start = (1.0625, 0.640625, 0.646728515625)      # onto an 8-cycle, found at 136 = 128 + 8; peak at 2
CONVERGES_8: tuple[Start, Start] = ((1.328125, 0.40625, 0.198974609375), (2.5, 1.171875, 0.142333984375))
CONVERGES_16: Start = (0.609375, 1.4375, 0.153076171875)
CONVERGES_64: Start = (2.453125, 1.609375, 0.045166015625)
MAIN = Settings(max_steps=140)   # check_every 8, period_max 8, tol 1e-10, bound 1e12


def stability_edge(curvature: float, q: float) -> float:
    """The least float h with h·ℓ″(1)·q >= 2, evaluated left to right as the rule does."""
    h = 2 / (curvature * q)
    while h * curvature * q < 2:
        h = float(np.nextafter(h, math.inf))
    while float(np.nextafter(h, 0)) * curvature * q >= 2:
        h = float(np.nextafter(h, 0))
    return h


def edge_starts(curvature: float) -> list[Start]:
    """(16, 1/16) and (1/16, 16), on the minimiser s = 1, at the stability edge and one float below it."""
    q = 16.0 * 16.0 + 0.0625 * 0.0625   # 65537/256, exact
    edge = stability_edge(curvature, q)
    below = float(np.nextafter(edge, 0))
    return [(16.0, 0.0625, edge), (0.0625, 16.0, edge), (16.0, 0.0625, below), (0.0625, 16.0, below)]


MAIN_STARTS = [AT_MINIMUM, CYCLE_ANTI, CYCLE_DIAG, BLOW_UP, TO_SADDLE, STUCK, CATAPULT_4, CATAPULT_1, PERIOD_8,
               *edge_starts(2.0)]
MAIN_SUMMARY = [(CONVERGED, 0, 0, 0), (PERIODIC, 2, 2, 0), (PERIODIC, 2, 2, 0), (DIVERGED, 8, 0, 6),
                (UNDECIDED, 128, 0, 0), (UNDECIDED, 140, 0, 0), (CONVERGED, 24, 0, 4), (CONVERGED, 16, 0, 1),
                (PERIODIC, 136, 8, 2), (UNDECIDED, 140, 0, 0), (UNDECIDED, 140, 0, 0), (CONVERGED, 0, 0, 0),
                (CONVERGED, 0, 0, 0)]


# ---- the reference: one run at a time, python floats, the rules as documented ---------------------------------

@dataclasses.dataclass(frozen=True)
class Loss:
    d1: Callable[[float], float]
    loss: Callable[[float], float]
    curvature: float
    minimum: float


SQUARE_PLUS = Loss(lambda s: 2 * s - 2, lambda s: (s - 1) * (s - 1) + 0.25, 2.0, 0.25)
POWER_3 = Loss(lambda s: -6 * s * s * (1 - s * s * s), lambda s: (1 - s * s * s) * (1 - s * s * s), 18.0, 0.0)


def reference(start: Start, st: Settings, fam: Loss = SQUARE_PLUS, track: bool = True) -> dict[str, Any]:
    """GD from ``start`` to its verdict: the rules of lrbias.gd.rules restated for one run of python floats."""
    x, y, h = (float(v) for v in start)
    tol = st.tol
    bound = min(st.bound * max(1.0, x * x + y * y), FLOAT_MAX)
    fmax, fmax_step = fam.loss(x * y), 0
    f0 = fmax - fam.minimum
    snap: tuple[float, float, int] | None = None
    px, py = x, y
    frames = []
    t = 0
    while True:
        s = x * y
        g = fam.d1(s)
        if t > 0:
            f = fam.loss(s)
            if f > fmax:
                fmax, fmax_step = f, t
        frames.append((x, y))
        q = x * x + y * y
        verdict = None
        if t % st.check_every == 0 or t == st.max_steps:
            if not q <= bound or not math.isfinite(g):
                verdict = (DIVERGED, 0)
            elif abs(s - 1) < tol and abs(g) < tol and 0 < h * fam.curvature * q < 2:
                verdict = (CONVERGED, 0)
            elif (t > 0 and t % 128 == 0 and snap is not None and q < tol * tol and abs(x) <= abs(snap[0])
                  and abs(y) <= abs(snap[1])):
                verdict = (UNDECIDED, 0)   # stalled at the saddle
        if verdict is None and snap is not None and 2 <= t % 128 <= st.period_max:
            dx, dy = abs(x - snap[0]), abs(y - snap[1])
            moved = abs(x - px) + abs(y - py)
            if (dx <= st.period_rtol * abs(x) and dy <= st.period_rtol * abs(y) and 0 < moved
                    and dx + dy <= 1e-6 * moved and tol <= abs(s - 1) and tol * tol <= q <= bound):
                verdict = (PERIODIC, t - snap[2])
        if verdict is None and t == st.max_steps:
            verdict = (UNDECIDED, 0)
        if verdict is not None:
            excess = fmax - fam.minimum
            ratio = excess / f0 if f0 > 0 else (math.inf if excess > 0 else 1.0)
            gone = verdict[0] == DIVERGED
            return {"outcome": verdict[0], "steps": t, "period": verdict[1], "x": math.nan if gone else x,
                    "y": math.nan if gone else y, "fmax": excess if track else math.nan,
                    "fmax_ratio": ratio if track else math.nan, "fmax_step": fmax_step if track else 0,
                    "frames": frames}
        if t % 128 == 0:
            snap = (x, y, t)
        hg = h * g
        px, py = x, y
        x, y = x - hg * y, y - hg * x
        t += 1


def expected(starts: list[Start], st: Settings, fam: Loss = SQUARE_PLUS, track: bool = True) -> dict[str, np.ndarray]:
    """What a chunk of ``starts`` writes, by the reference: every array of result_arrays, with its dtype."""
    want = result_arrays(len(starts))
    for i, start in enumerate(starts):
        ref = reference(start, st, fam, track)
        for key in ("outcome", "steps", "period", "x", "y", "fmax", "fmax_ratio", "fmax_step"):
            want[key][i] = ref[key]
    return want


def expected_trajectory(starts: list[Start], st: Settings) -> np.ndarray:
    """The states every record_every steps up to the chunk's last step, NaN after a run's verdict."""
    refs = [reference(start, st) for start in starts]
    last = max(ref["steps"] for ref in refs)
    frames = np.full((last // st.record_every + 1, len(starts), 2), np.nan)
    for i, ref in enumerate(refs):
        for k, t in enumerate(range(0, ref["steps"] + 1, st.record_every)):
            frames[k, i] = ref["frames"][t]
    return frames


def guarded(backend: step_loop.ArrayBackend, st: Settings) -> step_loop.ArrayBackend:
    """``backend`` with an ℓ′ that fails once called more often than the loop has steps (a mutated loop that
    never ends fails at once instead of hanging)."""
    calls = [0]

    def funcs(family: Family) -> Derivatives:
        inner = backend.funcs(family)

        def d1(s: Any) -> Any:
            calls[0] += 1
            if calls[0] > st.max_steps + 1:
                raise RuntimeError(f"ℓ′ called {calls[0]} times in a loop of {st.max_steps} steps")
            return inner.d1(s)

        return inner._replace(d1=d1)

    return dataclasses.replace(backend, funcs=funcs)


def run(starts: list[Start], st: Settings, backend: step_loop.ArrayBackend = step_loop.NUMPY,
        family: Family = FAMILY, **kwargs: Any) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    x0, y0, h = (np.array(column, dtype=float) for column in zip(*starts, strict=True))
    out = result_arrays(len(starts))
    traj = step_loop.run_chunk(family, x0, y0, h, st, out, guarded(backend, st), **kwargs)
    return out, traj


def assert_whole(out: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert out.keys() == want.keys()
    for key in want:   # NaN equals NaN here; dtypes and shapes must agree
        np.testing.assert_array_equal(out[key], want[key], strict=True, err_msg=key)


def summary(out: dict[str, np.ndarray]) -> list[tuple[int, int, int, int]]:
    return [(int(o), int(s), int(p), int(f)) for o, s, p, f in zip(out["outcome"], out["steps"], out["period"],
                                                                     out["fmax_step"], strict=True)]


class Probe:
    """ℓ′ and ℓ of FAMILY by hand, logging each call (name, a copy of its argument); refuses to run forever."""

    def __init__(self, limit: int = 5000) -> None:
        self.calls: list[tuple[str, np.ndarray]] = []
        self.limit = limit

    def _log(self, name: str, s: np.ndarray) -> None:
        self.calls.append((name, np.array(s, copy=True)))
        if len(self.calls) > self.limit:
            raise RuntimeError("the loop ran past any budget")

    def d1(self, s: np.ndarray) -> np.ndarray:
        self._log("d1", s)
        return 2 * s - 2

    def loss(self, s: np.ndarray) -> np.ndarray:
        self._log("loss", s)
        u = s - 1
        return u * u + 0.25

    def d2(self, s: np.ndarray) -> np.ndarray:
        return np.full_like(s, 2.0)

    def funcs(self, family: Family) -> Derivatives:
        assert family is FAMILY
        return Derivatives(self.loss, self.d1, self.d2, None)

    def backend(self, **changes: Any) -> step_loop.ArrayBackend:
        return dataclasses.replace(step_loop.NUMPY, name="probe", funcs=self.funcs, **changes)

    def lengths(self, name: str) -> list[int]:
        return [a.shape[0] for n, a in self.calls if n == name]


class Kernel:
    """A numpy stand-in for the compiled kernel of lrbias.gd.kernel (the backend's ``fused``): k plain steps per
    call, the loss maximum raised on the way at step t0 + j + 1; logs the families and the calls, and refuses to
    step past the budget ``max_steps``."""

    def __init__(self, max_steps: int) -> None:
        self.families: list[Family] = []
        self.calls: list[tuple[int, int, bool]] = []
        self.max_steps = max_steps

    def __call__(self, family: Family) -> Callable[..., tuple[Any, ...]]:
        self.families.append(family)
        d1, loss = family.np.d1, family.np.loss

        def advance(x: np.ndarray, y: np.ndarray, h: np.ndarray, fmax: np.ndarray, fmax_step: np.ndarray, t0: int,
                    k: int, track: bool) -> tuple[np.ndarray, ...]:
            self.calls.append((t0, k, track))
            if not 0 < k <= self.max_steps - t0 or len(self.calls) > self.max_steps:
                raise RuntimeError(f"asked for {k} steps from step {t0} of {self.max_steps}")
            px, py = x, y
            for j in range(k):
                hg = h * d1(x * y)
                px, py = x, y
                x, y = x - hg * y, y - hg * x
                if track:
                    f = loss(x * y)
                    up = f > fmax
                    fmax, fmax_step = np.where(up, f, fmax), np.where(up, t0 + j + 1, fmax_step)
            return x, y, px, py, fmax, fmax_step

        return advance


# ---- the loss maximum ------------------------------------------------------------------------------------------

def test_raise_max_in_place_overwrites_only_a_strictly_larger_loss():
    fmax, steps = np.array([1.0, 2.0, 3.0, np.nan]), np.array([0, 4, 5, 6])
    got = step_loop._raise_max_in_place(fmax, steps, np.array([1.0, 2.5, 2.0, 7.0]), 7)
    assert got[0] is fmax and got[1] is steps       # in place: no new arrays
    np.testing.assert_array_equal(fmax, [1.0, 2.5, 3.0, np.nan])
    assert steps.tolist() == [0, 7, 5, 6]           # the tie keeps its first step


def test_torch_raise_max_overwrites_only_a_strictly_larger_loss(one_torch_thread):
    torch = pytest.importorskip("torch")
    backend = step_loop.torch_backend(torch.device("cpu"))
    fmax, steps = torch.tensor([1.0, 2.0, 3.0, math.nan], dtype=torch.float64), torch.tensor([0, 4, 5, 6])
    new_max, new_steps = backend.raise_max(fmax, steps, torch.tensor([1.0, 2.5, 2.0, 7.0], dtype=torch.float64), 7)
    np.testing.assert_array_equal(new_max.numpy(), [1.0, 2.5, 3.0, np.nan])
    assert new_steps.tolist() == [0, 7, 5, 6] and new_steps.dtype == torch.int64


# ---- one chunk, every outcome, against the reference --------------------------------------------------------------

def test_a_chunk_of_every_outcome_matches_the_reference_array_by_array():
    out, traj = run(MAIN_STARTS, MAIN)
    assert traj is None
    assert summary(out) == MAIN_SUMMARY
    assert_whole(out, expected(MAIN_STARTS, MAIN))
    # pinned figures: the antidiagonal 2-cycle's loss ℓ(−1) − ℓ(1) = 4, the run into the saddle ends at (0, 0),
    # the catapult's rise, the overflow's infinite maximum; x, y of a diverged run are no value (NaN)
    assert out["fmax"][1] == 4.0 and (out["x"][4], out["y"][4]) == (0.0, 0.0)
    assert out["fmax_ratio"][6] == pytest.approx(184.62095400341303, rel=1e-12)
    assert out["fmax"][3] == math.inf and math.isnan(out["x"][3]) and math.isnan(out["y"][3])


def test_the_stability_edge_of_a_sharp_minimiser_for_unbalanced_starts():
    family = get_family("power:b=3")
    assert (family.curvature, family.min_value) == (18.0, 0.0)
    starts, st = edge_starts(18.0), Settings(max_steps=3)
    out, _ = run(starts, st, family=family)
    assert summary(out) == [(UNDECIDED, 3, 0, 0)] * 2 + [(CONVERGED, 0, 0, 0)] * 2
    assert_whole(out, expected(starts, st, POWER_3))
    assert out["x"].tolist() == [16.0, 0.0625] * 2 and out["y"].tolist() == [0.0625, 16.0] * 2


@pytest.mark.parametrize(("budget", "outcome"), [(14, CONVERGED), (13, UNDECIDED)])
def test_a_convergence_reached_at_the_last_step_is_decided_there(budget, outcome):
    """CATAPULT_1 first meets the convergence rule at step 14; checked every 8 steps, 14 and 13 are looked at only
    as the last step of the budget."""
    assert reference(CATAPULT_1, Settings(max_steps=100, check_every=1))["steps"] == 14
    starts, st = [CATAPULT_1, STUCK], Settings(max_steps=budget)
    out, _ = run(starts, st)
    assert summary(out) == [(outcome, budget, 0, 1), (UNDECIDED, budget, 0, 0)]
    assert_whole(out, expected(starts, st))


def test_the_divergence_bound_scales_with_the_start_squared_in_floats():
    """Bound (1 + 2⁴²)·q0 with q0 = 2¹⁰⁰ from integer starts (squared as int64 they would wrap to 0); one step
    from (2⁵⁰, 0) with h = 2²⁰ lands on q = (1 + 2⁴²)·2¹⁰⁰ exactly (inside), with the next float up beyond it."""
    big, up = 2 ** 50, float(np.nextafter(2.0 ** 20, math.inf))
    st = Settings(max_steps=1, check_every=1, bound=1.0 + 2.0 ** 42)
    x0, y0 = np.array([big, 0, big, 0]), np.array([0, big, 0, big])
    out = result_arrays(4)
    step_loop.run_chunk(FAMILY, x0, y0, np.array([2.0 ** 20, 2.0 ** 20, up, up]), st, out,
                        guarded(step_loop.NUMPY, st))
    assert summary(out) == [(UNDECIDED, 1, 0, 1)] * 2 + [(DIVERGED, 1, 0, 1)] * 2
    starts = [(big, 0, 2.0 ** 20), (0, big, 2.0 ** 20), (big, 0, up), (0, big, up)]
    assert_whole(out, expected(starts, st))


def test_a_cycle_of_the_largest_period_searched_is_found_and_not_beyond_it():
    for period_max, want in ((8, (PERIODIC, 136, 8, 2)), (7, (UNDECIDED, 140, 0, 2))):
        st = Settings(max_steps=140, period_max=period_max)
        out, _ = run([PERIOD_8], st)
        assert summary(out) == [want]
        assert_whole(out, expected([PERIOD_8], st))


def test_overflow_at_the_start_and_on_the_way_raises_no_warning():
    starts, st = [(1e200, 1e-200, 0.5), (1e200, 1e200, 0.5), BLOW_UP], Settings(max_steps=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = run(starts, st)
    assert summary(out) == [(DIVERGED, 0, 0, 0), (DIVERGED, 0, 0, 0), (DIVERGED, 8, 0, 6)]
    assert_whole(out, expected(starts, st))


# ---- compaction, the loss evaluations, ℓ(1) --------------------------------------------------------------------

def test_compaction_once_a_tenth_is_done_or_every_compact_every_steps():
    """21 runs, checked every 8 steps: 1 done at 0 (compacted: a multiple of 64), 2 more at 8 (2·10 > 20 fails:
    kept, and not decided again at 16), 1 at 16 (3·10 > 20), 1 at 64 (1·10 > 17 fails, but 64 | 64)."""
    assert rules.COMPACT_EVERY == 64
    starts = [AT_MINIMUM, *CONVERGES_8, CONVERGES_16, CONVERGES_64] + [STUCK] * 16
    st = Settings(max_steps=72)
    probe = Probe()
    out, _ = run(starts, st, probe.backend())
    assert summary(out)[:5] == [(CONVERGED, 0, 0, 0), (CONVERGED, 8, 0, 0), (CONVERGED, 8, 0, 0),
                                (CONVERGED, 16, 0, 0), (CONVERGED, 64, 0, 0)]
    assert_whole(out, expected(starts, st))
    lengths = [21] + [20] * 16 + [17] * 48 + [16] * 8        # steps 0, 1..16, 17..64, 65..72
    assert probe.lengths("d1") == lengths
    assert probe.lengths("loss") == lengths                  # the start's loss, then one a step from step 1

    quiet = Probe()                                          # track_max=False: the start's loss only
    out_quiet, _ = run(starts, st, quiet.backend(), track_max=False)
    assert quiet.lengths("loss") == [21] and quiet.lengths("d1") == lengths
    assert_whole(out_quiet, expected(starts, st, track=False))


def test_compaction_waits_for_a_rule_step_even_at_a_multiple_of_compact_every():
    """Checked every 128 steps: the cycle found at step 2 is 1 of 11 (kept); step 64 tests no rule, so the arrays
    shrink only after the check at 128."""
    starts = [CYCLE_ANTI] + [STUCK] * 10
    st = Settings(max_steps=130, check_every=128)
    probe = Probe()
    out, _ = run(starts, st, probe.backend())
    assert summary(out) == [(PERIODIC, 2, 2, 0)] + [(UNDECIDED, 130, 0, 0)] * 10
    assert_whole(out, expected(starts, st))
    assert probe.lengths("d1") == [11] * 129 + [10] * 2


@pytest.mark.parametrize(("starts", "summary_", "lengths"), [
    ([CYCLE_ANTI], [(PERIODIC, 2, 2, 0)], [1, 1, 1]),                   # a periodic-window step (2), not a check
    ([AT_MINIMUM, CONVERGES_16], [(CONVERGED, 0, 0, 0), (CONVERGED, 16, 0, 0)], [2] + [1] * 16),   # a check (16)
])
def test_the_loop_stops_at_the_first_rule_step_where_every_run_is_decided(starts, summary_, lengths):
    st = Settings(max_steps=1000)
    probe = Probe()
    out, _ = run(starts, st, probe.backend())
    assert summary(out) == summary_
    assert_whole(out, expected(starts, st))
    assert probe.lengths("d1") == lengths


@pytest.mark.parametrize(("eps", "evaluated"), [(2.0 ** -52, False), (float(np.nextafter(2.0 ** -52, 0)), True)])
def test_l1_is_the_family_minimum_in_float64_and_evaluated_below_its_epsilon(eps, evaluated):
    starts, st = [CATAPULT_1, AT_MINIMUM], Settings(max_steps=30)
    probe = Probe()
    out, _ = run(starts, st, probe.backend(eps=eps))
    assert_whole(out, expected(starts, st))
    at_one = [("loss", [1.0], np.dtype(np.float64))] if evaluated else []   # ℓ(1), before the start's loss
    want = [*at_one, ("loss", [0.9375 * 2.625, 1.0], np.dtype(np.float64))]
    assert [(name, a.tolist(), a.dtype) for name, a in probe.calls[: len(want)]] == want


def test_an_extended_precision_backend_computes_in_its_own_number_type():
    ld = np.longdouble
    eps = float(np.finfo(ld).eps)
    if eps >= 2.0 ** -52:
        pytest.skip("long double is double on this platform")
    starts, st = [AT_MINIMUM, CYCLE_ANTI, STUCK, TO_SADDLE], Settings(max_steps=130)
    probe = Probe()
    out, _ = run(starts, st, probe.backend(dtype=ld, eps=eps))
    assert {a.dtype for _, a in probe.calls} == {np.dtype(ld)}
    assert probe.calls[0][1].tolist() == [1.0]          # ℓ(1) evaluated once, in long double
    assert_whole(out, expected(starts, st))              # dyadic runs: exact in either precision


# ---- trajectories and the fused kernel ----------------------------------------------------------------------------

def test_trajectories_every_kth_step_nan_once_a_run_has_ended():
    st = Settings(max_steps=140, record_every=5)
    out, traj = run(MAIN_STARTS, st)
    assert summary(out) == MAIN_SUMMARY
    assert_whole(out, expected(MAIN_STARTS, st))
    assert traj is not None
    np.testing.assert_array_equal(traj, expected_trajectory(MAIN_STARTS, st), strict=True)
    assert traj.shape == (29, len(MAIN_STARTS), 2)


def test_a_fused_kernel_runs_the_steps_between_those_the_rules_look_at():
    kernel = Kernel(MAIN.max_steps)
    backend = dataclasses.replace(step_loop.NUMPY, name="fused", fused=kernel)
    out, traj = run(MAIN_STARTS, MAIN, backend)
    assert traj is None and kernel.families == [FAMILY]
    assert summary(out) == MAIN_SUMMARY
    assert_whole(out, expected(MAIN_STARTS, MAIN))
    looks = [t for t in range(1, 141) if t % 8 == 0 or 2 <= t % 128 <= 8 or t == 140]
    assert kernel.calls == [(t0, t1 - t0, True) for t0, t1 in zip([0, *looks[:-1]], looks, strict=True)]

    quiet = Kernel(MAIN.max_steps)
    out_quiet, _ = run(MAIN_STARTS, MAIN, dataclasses.replace(backend, fused=quiet), track_max=False)
    assert {track for _, _, track in quiet.calls} == {False}
    assert_whole(out_quiet, expected(MAIN_STARTS, MAIN, track=False))


def test_recording_bypasses_the_fused_kernel():
    st = Settings(max_steps=140, record_every=5)
    kernel = Kernel(st.max_steps)
    out, traj = run(MAIN_STARTS, st, dataclasses.replace(step_loop.NUMPY, name="fused", fused=kernel))
    assert kernel.families == [] and kernel.calls == []
    assert_whole(out, expected(MAIN_STARTS, st))
    assert traj is not None
    np.testing.assert_array_equal(traj, expected_trajectory(MAIN_STARTS, st), strict=True)


# ---- the quad and torch backends -----------------------------------------------------------------------------------

def quad_or_torch(name: str, request: pytest.FixtureRequest) -> step_loop.ArrayBackend:
    if name == "quad":
        pytest.importorskip("numpy_quaddtype")
        return step_loop.quad_backend()
    torch = pytest.importorskip("torch")
    request.getfixturevalue("one_torch_thread")
    return step_loop.torch_backend(torch.device("cpu"))


@pytest.mark.parametrize("name", ["quad", "torch"])
def test_only_a_recording_backend_records(name, request):
    backend = quad_or_torch(name, request)
    with pytest.raises(InvalidArgument) as err:
        run([AT_MINIMUM], Settings(max_steps=4, record_every=1), backend)
    assert str(err.value) == (f"trajectories are recorded by the numpy backend only, not {name}; "
                              "accepted: backend='numpy'")


def test_the_quad_backend_fields():
    nq = pytest.importorskip("numpy_quaddtype")
    from lrbias.losses.backends import quad_dtype

    backend, dtype = step_loop.quad_backend(), quad_dtype()
    assert (backend.name, backend.xp, backend.device, backend.ops, backend.raise_max, backend.records, backend.dtype,
            backend.eps, backend.fused) == ("quad", xp_numpy, None, rules.NUMPY, step_loop._raise_max_in_place,
                                            False, dtype, 2.0 ** -112, None)
    assert backend.eps == float(nq.epsilon)
    assert backend.funcs(FAMILY) is FAMILY.quad
    got = backend.to_numpy(np.array([1.5, 2.0 ** -60], dtype=dtype))
    assert got.dtype == np.float64 and got.tolist() == [1.5, 2.0 ** -60]
    ints = backend.to_numpy(np.array([3, 4]))           # row indices stay integers
    assert ints.dtype == np.int64 and ints.tolist() == [3, 4]


def test_quad_runs_a_chunk_to_the_reference_verdicts(request):
    """The chunk of every outcome less the float64 stability edge (in binary128 h·ℓ″(1)·q is not rounded up to 2)."""
    backend = quad_or_torch("quad", request)
    starts = MAIN_STARTS[:9]
    out, _ = run(starts, MAIN, backend)
    want = expected(starts, MAIN)
    for key in ("outcome", "steps", "period"):
        np.testing.assert_array_equal(out[key], want[key], strict=True, err_msg=key)
    for key in ("x", "y", "fmax", "fmax_ratio", "sharpness"):
        assert out[key].dtype == np.float64
        np.testing.assert_allclose(out[key], want[key], rtol=1e-12, atol=0, err_msg=key)
    # the overflow comes later in binary128 (its exponent reaches 16383): the maximum is the last step's
    want["fmax_step"][3] = 8
    np.testing.assert_array_equal(out["fmax_step"], want["fmax_step"], strict=True)


def test_quad_excess_loss_near_a_minimiser_is_binary128_accurate(request):
    """softplus-pair:a=1, ℓ(1) = 2 log 2: an excess of 2⁻⁶² is below float64's resolution of ℓ(1) (2⁻⁵²), so it
    is right only when ℓ(1) is evaluated in binary128 too."""
    backend = quad_or_torch("quad", request)
    family = get_family("softplus-pair:a=1")
    start, st = (1.0, 1.0 + 2.0 ** -30, 2.0 ** -4), Settings(max_steps=1, check_every=1)
    out, _ = run([start], st, backend, family=family)
    with mpmath.workdps(60):
        excess = 2 * mpmath.log(mpmath.cosh((mpmath.mpf(start[1]) - 1) / 2))
    assert summary(out) == [(UNDECIDED, 1, 0, 0)]
    assert out["fmax"][0] == pytest.approx(float(excess), rel=1e-12)
    assert out["fmax_ratio"][0] == 1.0


def test_the_torch_backend_fields(one_torch_thread):
    torch = pytest.importorskip("torch")
    import array_api_compat.torch as xp_torch

    device = torch.device("cpu")
    backend = step_loop.torch_backend(device)
    assert (backend.name, backend.xp, backend.device, backend.ops, backend.records, backend.dtype, backend.eps,
            backend.fused) == ("torch", xp_torch, device, rules.torch_ops(), False, torch.float64, 2.0 ** -52, None)
    assert backend.funcs(FAMILY) is FAMILY.torch
    got = backend.to_numpy(torch.tensor([1.5, -2.0], dtype=torch.float64))
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.tolist() == [1.5, -2.0]


def test_torch_runs_a_chunk_on_its_own_device_to_the_reference(one_torch_thread):
    """With the default device set to 'meta', an array made anywhere without the backend's device would be a meta
    tensor, which cannot meet a CPU one; the second backend evaluates ℓ(1) itself (a finer epsilon)."""
    torch = pytest.importorskip("torch")
    cpu = step_loop.torch_backend(torch.device("cpu"))
    want = expected(MAIN_STARTS, MAIN)
    for backend in (cpu, dataclasses.replace(cpu, eps=2.0 ** -60)):
        with torch.device("meta"):
            out, traj = run(MAIN_STARTS, MAIN, backend)
        assert traj is None
        assert_whole(out, want)
