"""Binding tests of lrbias/gd/vectorised.py (issue 27): the input arrays (float64, flattened, broadcast, named
in messages), the result arrays' dtypes, which backend each name selects, the records row by row (every field,
trajectory points with a non-finite coordinate dropped, the precision), shares of a single run, and a start
whose x0² + y0² overflows refused without a warning."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

from lrbias.errors import InvalidArgument
from lrbias.gd import kernel, step_loop, vectorised
from lrbias.gd.outcome import Outcome, RunRecord, Settings
from lrbias.gd.vectorised import as_float_array, result_arrays, run_batch
from lrbias.losses.families import get_family

FAM = get_family("logcosh")


def test_as_float_array_is_flat_float64():
    arr = as_float_array("x0", [[1, 2], [3, 4]])
    assert arr.dtype == np.float64 and arr.shape == (4,) and arr.flags.c_contiguous
    assert arr.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert as_float_array("y0", 2, 3).tolist() == [2.0, 2.0, 2.0]
    assert as_float_array("y0", 2).tolist() == [2.0]
    with pytest.raises(InvalidArgument) as err:
        as_float_array("h", [1.0, math.inf, math.nan])
    assert str(err.value) == "h contains inf; accepted: finite real numbers"


def test_result_arrays_dtypes_and_fill():
    out = result_arrays(3)
    assert {k: (v.dtype, v.shape) for k, v in out.items()} == {
        "x": (np.float64, (3,)), "y": (np.float64, (3,)), "sharpness": (np.float64, (3,)),
        "fmax_ratio": (np.float64, (3,)), "fmax": (np.float64, (3,)), "outcome": (np.int8, (3,)),
        "steps": (np.int64, (3,)), "period": (np.int8, (3,)), "fmax_step": (np.int64, (3,))}
    assert all(np.isnan(out[k]).all() for k in ("x", "y", "sharpness", "fmax_ratio", "fmax"))
    assert out["outcome"].tolist() == [int(Outcome.UNDECIDED)] * 3
    assert out["steps"].tolist() == out["period"].tolist() == out["fmax_step"].tolist() == [0, 0, 0]


def test_run_batch_names_its_inputs_and_broadcasts_y0_and_h():
    b = run_batch(FAM, [0.5, 1.0, 2.0], 1.5, h=0.1, settings=Settings(max_steps=10))
    assert b.y0.tolist() == [1.5] * 3 and b.h.tolist() == [0.1] * 3
    for kwargs, message in [
        (dict(x0=[math.nan], y0=[1.0], h=0.1), "x0 contains nan; accepted: finite real numbers"),
        (dict(x0=[1.0], y0=[math.inf], h=0.1), "y0 contains inf; accepted: finite real numbers"),
        (dict(x0=[1.0], y0=[1.0]), "give exactly one of h and C; accepted: h=... or C=..."),
        (dict(x0=[1.0], y0=[1.0], h=0.1, C=1.0), "give exactly one of h and C; accepted: h=... or C=..."),
    ]:
        with pytest.raises(InvalidArgument) as err:
            run_batch(FAM, **kwargs)
        assert str(err.value) == message


def test_an_overflowing_start_is_refused_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidArgument, match=r"x0² \+ y0² overflows float64"):
            run_batch(FAM, [1e200], [1.0], h=0.1)


@pytest.mark.parametrize("backend", ["torch", "quad", "numba"])
def test_each_backend_name_selects_its_engine(monkeypatch, backend):
    asked = []
    real_torch, real_quad, real_numba = step_loop.torch_backend, step_loop.quad_backend, kernel.numba_backend

    def torch_backend(device):
        asked.append(("torch", str(device)))
        return real_torch(device)

    def quad_backend():
        asked.append(("quad", None))
        return real_quad()

    def numba_backend():
        asked.append(("numba", None))
        return real_numba()

    monkeypatch.setattr(step_loop, "torch_backend", torch_backend)
    monkeypatch.setattr(step_loop, "quad_backend", quad_backend)
    monkeypatch.setattr(kernel, "numba_backend", numba_backend)
    b = run_batch(FAM, [0.5], [1.5], h=0.1, settings=Settings(max_steps=5), backend=backend, device="cpu")
    assert asked == [(backend, "cpu" if backend == "torch" else None)]
    assert b.meta == ({"precision": "quad"} if backend == "quad" else {})


def test_the_torch_device_is_resolved_from_the_name_given(monkeypatch):
    seen = []
    monkeypatch.setattr(vectorised, "resolve_device", lambda name: seen.append(name) or "cpu")
    monkeypatch.setattr(step_loop, "torch_backend", lambda device: (_ for _ in ()).throw(RuntimeError(device)))
    with pytest.raises(RuntimeError, match="cpu"):
        run_batch(FAM, [0.5], [1.5], h=0.1, backend="torch", device="cpu-please")
    assert seen == ["cpu-please"]


def test_mask_and_shares_of_one_run():
    b = run_batch(FAM, [0.5], [1.5], h=0.1)
    assert b.outcome.tolist() == [int(Outcome.CONVERGED)]
    assert b.mask(Outcome.CONVERGED).tolist() == [True] and b.mask(Outcome.DIVERGED).tolist() == [False]
    assert b.shares() == {"converged": 1.0, "diverged": 0.0, "periodic": 0.0, "undecided": 0.0,
                          "precision-lost": 0.0}
    empty = run_batch(FAM, np.empty(0), np.empty(0), h=0.1)
    assert set(empty.shares().values()) == {0.0}


def test_records_row_whole():
    b = run_batch(FAM, [0.5, 3.0], [1.5, 3.0], h=[0.1, 0.25], settings=Settings(max_steps=40, record_every=1))
    b = dataclasses.replace(b, sharpness=np.array([2.0, np.nan]), fmax_ratio=np.array([1.5, np.inf]))
    traj = b.trajectory.copy()
    traj[1, 0, 1] = np.nan                        # one coordinate not finite: the point is dropped
    b = dataclasses.replace(b, trajectory=traj)
    first, second = b.records()
    assert first == RunRecord(
        x0=0.5, y0=1.5, h=0.1, C=0.1 * (0.25 + 2.25), outcome=str(Outcome(int(b.outcome[0]))), reason=first.reason,
        steps=int(b.steps[0]), x=float(b.x[0]), y=float(b.y[0]), sharpness=2.0, ratio=2.0 * 0.1 / 2,
        imbalance=float(b.x[0] ** 2 - b.y[0] ** 2), gap2=float((b.x[0] - b.y[0]) ** 2), fmax_ratio=1.5,
        fmax_step=int(b.fmax_step[0]), period=None, trajectory=[[float(a), float(c)] for a, c in traj[:, 0, :]
                                                                if not (a == traj[1, 0, 0] and math.isnan(c))],
        precision="float64")
    assert len(first.trajectory) == traj.shape[0] - 1
    assert (second.h, second.C, second.sharpness, second.ratio, second.fmax_ratio) == (0.25, 0.25 * 18, None, None,
                                                                                        math.inf)
    assert [r.precision for r in dataclasses.replace(b, meta={"precision": "quad"}).records([1])] == ["quad"]
    assert b.records(np.array([False, True])) == [second]


def _quiet_run(*args, **kwargs):
    """run_batch with every warning an error (a missing np.errstate shows as a RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return run_batch(*args, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(x0=[1.0, 1e200], y0=[2.0, 1.0], h=0.1),
     "start (1e+200, 1.0): x0² + y0² overflows float64; accepted: |x0|, |y0| < 1e154"),
    (dict(x0=[1.0, 2.0], y0=1.0, h=[0.1, math.nan]), "h contains nan; accepted: finite real numbers"),
    (dict(x0=[1.0], y0=1.0, C=[math.inf]), "C contains inf; accepted: finite real numbers"),
    (dict(x0=[1.0, 2.0], y0=1.0, h=[0.5, 0.0]),
     "step h = 0.0 is invalid; accepted: finite h > 0 (C > 0, start off (0, 0))"),
    (dict(x0=[1.0, 2.0], y0=1.0, h=[2.0, -0.5]),
     "step h = -0.5 is invalid; accepted: finite h > 0 (C > 0, start off (0, 0))"),
    (dict(x0=[1.0, 0.0], y0=[1.0, 0.0], C=1.0),           # C / 0: divide by zero, quietly
     "step h = inf is invalid; accepted: finite h > 0 (C > 0, start off (0, 0))"),
    (dict(x0=[0.0], y0=[0.0], C=0.0),                      # 0 / 0: invalid, quietly
     "step h = nan is invalid; accepted: finite h > 0 (C > 0, start off (0, 0))"),
    (dict(x0=[1.0], y0=[1.0], h=0.1, chunk_size=0), "chunk_size = 0; accepted: >= 1"),
])
def test_each_refusal_names_the_first_bad_value_without_a_warning(kwargs, message):
    with pytest.raises(InvalidArgument) as err:
        _quiet_run(FAM, **kwargs)
    assert str(err.value) == message


def test_the_smallest_step_and_chunk_are_accepted():
    b = _quiet_run(FAM, [0.5], [1.5], h=5e-324, chunk_size=1, settings=Settings(max_steps=3))
    assert (b.h.tolist(), b.steps.tolist()) == ([5e-324], [3])


def test_chunks_cover_every_start_in_order_with_progress():
    """Five starts in chunks of two: three chunks, progress after each, and every array equal to one chunk's
    (the trajectory joined along the runs axis)."""
    x0, y0, h = [0.5, 3.0, 1.0, 2.5, 0.7], [1.5, 3.0, 0.2, 0.4, 0.9], [0.1, 0.25, 0.3, 0.05, 0.2]
    st = Settings(max_steps=60, record_every=7)
    whole = _quiet_run(FAM, x0, y0, h=h, settings=st)
    seen = []
    parts = _quiet_run(FAM, x0, y0, h=h, settings=st, chunk_size=2, progress=lambda done, n: seen.append((done, n)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    for field in ("outcome", "steps", "period", "x", "y", "sharpness", "fmax_ratio", "fmax_step", "fmax"):
        assert np.array_equal(getattr(parts, field), getattr(whole, field), equal_nan=True), field
    assert parts.trajectory.shape == whole.trajectory.shape == (whole.trajectory.shape[0], 5, 2)
    assert np.array_equal(parts.trajectory, whole.trajectory, equal_nan=True)


def test_track_max_false_reaches_the_step_loop():
    b = _quiet_run(FAM, [0.5], [1.5], h=0.1, track_max=False)
    assert math.isnan(b.fmax[0]) and math.isnan(b.fmax_ratio[0])
    assert not math.isnan(_quiet_run(FAM, [0.5], [1.5], h=0.1).fmax[0])


def test_the_sharpness_of_a_far_start_is_computed_quietly():
    """x = 1e100, y = 1e-100 left undecided: its Hessian overflows, quietly, to no sharpness."""
    b = _quiet_run(FAM, [1e100], [1e-100], h=1e-150, settings=Settings(max_steps=5))
    assert math.isnan(b.sharpness[0])


def test_the_numpy_backend_is_not_the_numba_kernel(monkeypatch):
    monkeypatch.setattr(kernel, "numba_backend", lambda: (_ for _ in ()).throw(AssertionError("numba asked")))
    assert run_batch(FAM, [0.5], [1.5], h=0.1, backend="numpy").outcome.tolist() == [int(Outcome.CONVERGED)]
