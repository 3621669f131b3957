"""The batched engine's step loop, written once over an array-API namespace, and its two backends.

:func:`run_chunk` steps one chunk of starts at once; the rules of :mod:`lrbias.gd.rules` decide
runs, which then leave the active set (the arrays are compacted whenever a tenth of them is done,
and at least every COMPACT_EVERY steps), so a chunk costs what its slowest members need, not
n × max_steps.  Between rule tests a step costs one ℓ′ and one ℓ evaluation (the loss maximum,
for the catapult figures) and the update.  Results go into the caller's numpy arrays, so a
BatchResult does not depend on the backend (tests compare the two run for run).

What differs between backends is an :class:`ArrayBackend`: :data:`NUMPY` (float64 arrays, the
default of :func:`lrbias.gd.vectorised.run_batch`; the loss maximum is raised in place),
:func:`quad_backend` (binary128 numpy-quaddtype arrays, the same numpy Ops; results rounded to
float64) and :func:`torch_backend` (float64 tensors on a CPU or CUDA device; ``torch.where``,
results copied to the host).  Trajectories are recorded by the numpy backend only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat.numpy as xp_numpy
import numpy as np

from lrbias.errors import InvalidArgument
from lrbias.gd import rules
from lrbias.gd.outcome import Outcome, Settings, rise_ratio
from lrbias.losses.families import Derivatives, Family


@dataclass(frozen=True)
class ArrayBackend:
    """What the batched loop needs of one array library, beyond the array-API namespace ``xp``."""

    name: str
    xp: Any                                                  # array_api_compat's numpy or torch
    device: Any                                              # where arrays are made (None: the default)
    ops: rules.Ops                                           # the rules' operations on these arrays
    funcs: Callable[[Family], Derivatives]                   # the family's callables (d1, loss) here
    raise_max: Callable[[Any, Any, Any, int], tuple[Any, Any]]  # (fmax, fmax_step) raised where f > fmax
    to_numpy: Callable[[Any], np.ndarray]                    # an array as a host numpy array (floats: float64)
    records: bool                                            # whether trajectories can be recorded
    dtype: Any = np.float64                                  # the number type of the state (x, y, h)
    eps: float = 2.0 ** -52                                  # its machine epsilon
    fused: Callable[[Family], Callable[..., tuple[Any, ...]]] | None = None  # k steps in one compiled call


def _raise_max_in_place(fmax: np.ndarray, fmax_step: np.ndarray, f: np.ndarray, t: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """numpy: overwrite the entries where ``f`` is a new maximum (no new arrays on the hot path)."""
    up = f > fmax
    np.copyto(fmax, f, where=up)
    np.copyto(fmax_step, t, where=up)
    return fmax, fmax_step


NUMPY = ArrayBackend(name="numpy", xp=xp_numpy, device=None, ops=rules.NUMPY, funcs=lambda family: family.np,
                     raise_max=_raise_max_in_place, to_numpy=np.asarray, records=True)


def quad_backend() -> ArrayBackend:
    """The binary128 backend: numpy-quaddtype arrays (SLEEF kernels), the rules' numpy Ops, the
    family's quad callables (:attr:`lrbias.losses.families.Family.quad`); results are rounded to
    float64 for the BatchResult, trajectories are not recorded."""
    import numpy_quaddtype

    from lrbias.losses.backends import quad_dtype

    dtype = quad_dtype()

    def to_numpy(a: Any) -> np.ndarray:
        a = np.asarray(a)
        return a.astype(np.float64) if a.dtype == dtype else a

    return ArrayBackend(name="quad", xp=xp_numpy, device=None, ops=rules.NUMPY, funcs=lambda family: family.quad,
                        raise_max=_raise_max_in_place, to_numpy=to_numpy, records=False, dtype=dtype,
                        eps=float(numpy_quaddtype.epsilon))


def torch_backend(device: Any) -> ArrayBackend:
    """The torch backend on ``device`` (a torch.device, see :func:`lrbias.gd.device.resolve_device`)."""
    import array_api_compat.torch as xp_torch
    import torch

    def raise_max(fmax: Any, fmax_step: Any, f: Any, t: int) -> tuple[Any, Any]:
        up = f > fmax
        return torch.where(up, f, fmax), torch.where(up, t, fmax_step)

    return ArrayBackend(name="torch", xp=xp_torch, device=device, ops=rules.torch_ops(),
                        funcs=lambda family: family.torch, raise_max=raise_max,
                        to_numpy=lambda a: a.cpu().numpy(), records=False, dtype=torch.float64)


def run_chunk(family: Family, x0: np.ndarray, y0: np.ndarray, h: np.ndarray, st: Settings,
              out: dict[str, np.ndarray], backend: ArrayBackend = NUMPY, track_max: bool = True
              ) -> np.ndarray | None:
    """Advance one chunk to a decision on ``backend``, writing results into the views in ``out``.

    Returns the trajectory (k, n, 2), NaN where a run had ended, when ``st.record_every`` > 0.
    ``track_max=False`` skips the loss maximum (one loss evaluation a step; ``fmax``,
    ``fmax_ratio`` stay NaN): what a confirmation re-run, which compares verdicts only, needs.
    """
    if st.record_every and not backend.records:
        raise InvalidArgument(f"trajectories are recorded by the numpy backend only, not {backend.name}; "
                          "accepted: backend='numpy'")
    xp, dev, ops, lim = backend.xp, backend.device, backend.ops, rules.Limits.of(st)
    funcs = backend.funcs(family)
    d1, loss, raise_max, to_numpy = funcs.d1, funcs.loss, backend.raise_max, backend.to_numpy
    take, nonzero = xp.take, xp.nonzero
    curvature = family.curvature
    n0 = x0.shape[0]
    idx = xp.arange(n0, device=dev)
    # ℓ(1) in the backend's own precision: the excess losses f − ℓ(1) near a minimiser are tiny
    # differences of O(1) values, and a float64 ℓ(1) would cap the quad tier's at float64 accuracy.
    l1 = (family.min_value if backend.eps >= 2.0 ** -52
          else loss(xp.asarray([1.0], dtype=backend.dtype, device=dev))[0])
    x, y, hh = (xp.asarray(a, dtype=backend.dtype, device=dev, copy=True) for a in (x0, y0, h))
    with np.errstate(all="ignore"):  # each run's own divergence bound, scaled by its start (rules.run_bound)
        q0 = np.asarray(x0, dtype=float) ** 2 + np.asarray(y0, dtype=float) ** 2
        bound = xp.asarray(rules.run_bound(st.bound, q0), dtype=backend.dtype, device=dev)
    lim = dataclasses.replace(lim, bound=bound)
    with np.errstate(all="ignore"):
        fmax = loss(x * y)        # the largest raw loss so far (the excess is taken at the end)
    f0 = fmax - l1
    fmax_step = xp.zeros_like(idx)
    done = xp.zeros(n0, dtype=xp.bool, device=dev)
    n_live, n_done = n0, 0        # the length of the arrays, and how many of them are decided
    px, py = x, y
    snap: tuple[Any, Any, int] | None = None
    record = st.record_every
    traj: list[np.ndarray] = []

    def finish(sel: Any, code: Outcome, t: int, period: int = 0) -> None:
        nonlocal n_done
        pos = nonzero(sel)[0]  # one pass over the mask, then gathers of the few decided runs
        rows = to_numpy(take(idx, pos))
        out["outcome"][rows] = int(code)
        out["steps"][rows] = t
        out["period"][rows] = period
        if code != Outcome.DIVERGED:
            out["x"][rows] = to_numpy(take(x, pos))
            out["y"][rows] = to_numpy(take(y, pos))
        if track_max:
            excess = to_numpy(take(fmax, pos) - l1)
            out["fmax_ratio"][rows] = rise_ratio(excess, to_numpy(take(f0, pos)))
            out["fmax_step"][rows] = to_numpy(take(fmax_step, pos))
            out["fmax"][rows] = excess
        done[pos] = True
        n_done += rows.shape[0]

    fused = None if record or backend.fused is None else backend.fused(family)
    with np.errstate(all="ignore"):
        t = 0
        while True:
            check, window = rules.due(t, st)
            if fused is None or check or window:
                s = x * y
                g = d1(s)
            if t > 0 and track_max and fused is None:
                f = loss(s)  # a local, alive till the next step: freed at once it doubles the page faults
                fmax, fmax_step = raise_max(fmax, fmax_step, f, t)
            if record and t % record == 0:
                frame = np.full((n0, 2), np.nan)
                live = nonzero(~done)[0]
                rows = to_numpy(take(idx, live))
                frame[rows, 0] = to_numpy(take(x, live))
                frame[rows, 1] = to_numpy(take(y, live))
                traj.append(frame)
            if check or window:
                q = x * x
                q += y * y
                state = rules.State(x, y, s, g, q, hh, curvature, snap, (px, py))
                for code, sel, period in rules.decide(ops, lim, t, check, window, state, ~done):
                    finish(sel, code, t, period)
            if t == st.max_steps or ((check or window) and n_done == n_live):
                if n_done < n_live:
                    finish(~done, Outcome.UNDECIDED, t)
                break
            if rules.snapshot_due(t):
                snap = (x, y, t)  # no copy: x and y are rebound each step, never changed in place
            if fused is None:
                hg = hh * g
                px, py = x, y
                x, y = x - hg * y, y - hg * x
            if n_done and (check or window) and (n_done * 10 > n_live or t % rules.COMPACT_EVERY == 0):
                keep = nonzero(~done)[0]
                idx, x, y, px, py, hh, f0, fmax, fmax_step, bound = (
                    take(a, keep) for a in (idx, x, y, px, py, hh, f0, fmax, fmax_step, lim.bound))
                lim = dataclasses.replace(lim, bound=bound)
                if snap is not None:
                    snap = (take(snap[0], keep), take(snap[1], keep), snap[2])
                n_live, n_done = n_live - n_done, 0
                done = xp.zeros(n_live, dtype=xp.bool, device=dev)
            if fused is None:
                t += 1
            else:   # the fused kernel runs every step up to the next one the rules look at
                k = rules.next_due(t, st) - t
                x, y, px, py, fmax, fmax_step = fused(x, y, hh, fmax, fmax_step, t, k, track_max)
                t += k
    return np.stack(traj) if record else None
