"""Batched float64 gradient descent on f(x, y) = ℓ(xy) for many starts at once: the front.

:func:`run_batch` checks its input, cuts the starts into chunks of ``chunk_size`` (memory stays
bounded: about 20 float64 arrays of the chunk size at the start of a chunk, unless trajectories
are requested) and hands each chunk to the one step loop, :func:`lrbias.gd.step_loop.run_chunk`,
on a backend: numpy (the default) or torch.  The loop applies the rules of
:mod:`lrbias.gd.rules` and drops decided runs from its arrays.

Shapes and dtypes: every per-run array of :class:`BatchResult` has shape (n,); floats are
float64 with NaN meaning "no value" (e.g. the final point of a diverged run); ``outcome`` is
int8 holding :class:`Outcome` codes; ``steps``/``fmax_step`` are int64; ``period`` is int8
(0 = not periodic); ``fmax`` is the largest excess loss ℓ(s) − ℓ(1) along the run and
``fmax_ratio`` that over the initial excess loss.  :meth:`BatchResult.records` turns rows
into :class:`RunRecord` objects, where "no value" is None, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrbias.errors import InvalidArgument
from lrbias.gd import objective, rules, step_loop
from lrbias.gd.device import resolve_device
from lrbias.gd.outcome import Outcome, RunRecord, Settings
from lrbias.losses.families import Family

BACKENDS = ("numpy", "torch", "quad", "numba")


@dataclass
class BatchResult:
    """Per-run arrays of a batched run (see the module docstring for shapes and dtypes)."""

    family: str
    settings: Settings
    x0: np.ndarray
    y0: np.ndarray
    h: np.ndarray
    C: np.ndarray
    outcome: np.ndarray
    steps: np.ndarray
    period: np.ndarray
    x: np.ndarray
    y: np.ndarray
    sharpness: np.ndarray
    fmax_ratio: np.ndarray
    fmax_step: np.ndarray
    fmax: np.ndarray
    seed: int | None = None
    trajectory: np.ndarray | None = None  # (k, n, 2) states every settings.record_every steps
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.x0.shape[0])

    @property
    def ratio(self) -> np.ndarray:
        """S∞·h/2 (NaN where no sharpness)."""
        return self.sharpness * self.h / 2

    @property
    def imbalance(self) -> np.ndarray:
        """x² − y² at the final point."""
        with np.errstate(invalid="ignore"):
            return self.x * self.x - self.y * self.y

    @property
    def gap2(self) -> np.ndarray:
        """(x − y)² at the final point."""
        with np.errstate(invalid="ignore"):
            return (self.x - self.y) ** 2

    def mask(self, outcome: Outcome) -> np.ndarray:
        """Boolean mask of the runs that ended in ``outcome``."""
        return self.outcome == int(outcome)

    def shares(self) -> dict[str, float]:
        """Share of runs per outcome."""
        n = max(len(self), 1)
        return {str(o): float(np.count_nonzero(self.outcome == int(o))) / n for o in Outcome}

    def records(self, index: Any = None) -> list[RunRecord]:
        """Rows as RunRecords (all rows, or those selected by ``index``)."""
        rows = np.arange(len(self)) if index is None else np.atleast_1d(np.arange(len(self))[index])
        out = []
        for i in rows:
            oc = Outcome(int(self.outcome[i]))
            traj = None
            if self.trajectory is not None:
                t = self.trajectory[:, i, :]
                traj = [[float(a), float(b)] for a, b in t if math.isfinite(a) and math.isfinite(b)]
            out.append(RunRecord(
                x0=float(self.x0[i]), y0=float(self.y0[i]), h=float(self.h[i]), C=float(self.C[i]),
                outcome=str(oc), reason=rules.reason(oc, int(self.steps[i]), int(self.period[i]),
                                                         self.settings.max_steps),
                steps=int(self.steps[i]), x=_num(self.x[i]), y=_num(self.y[i]),
                sharpness=_num(self.sharpness[i]), ratio=_num(self.ratio[i]),
                imbalance=_num(self.imbalance[i]), gap2=_num(self.gap2[i]),
                fmax_ratio=_num(self.fmax_ratio[i]), fmax_step=int(self.fmax_step[i]),
                period=int(self.period[i]) or None, trajectory=traj,
                precision=str(self.meta.get("precision", "float64"))))
        return out


def _num(v: float) -> float | None:
    """NaN ("no value") as None; ±∞ is kept (it is a value, e.g. a rise from a zero start)."""
    v = float(v)
    return None if math.isnan(v) else v


def as_float_array(name: str, value: Any, n: int | None = None) -> np.ndarray:
    """float64 array of shape (n,) from a scalar or sequence; LrbiasError if not finite."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, float(arr))
    arr = np.ascontiguousarray(arr.reshape(-1))
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise InvalidArgument(f"{name} contains {bad}; accepted: finite real numbers")
    return arr


def result_arrays(n: int) -> dict[str, np.ndarray]:
    """The per-run arrays a chunk writes into: NaN floats, outcome undecided, zero counters."""
    out = {k: np.full(n, np.nan) for k in ("x", "y", "sharpness", "fmax_ratio", "fmax")}
    out["outcome"] = np.full(n, int(Outcome.UNDECIDED), dtype=np.int8)
    out["steps"] = np.zeros(n, dtype=np.int64)
    out["period"] = np.zeros(n, dtype=np.int8)
    out["fmax_step"] = np.zeros(n, dtype=np.int64)
    return out


def _join_trajectories(parts: list[np.ndarray]) -> np.ndarray:
    """The chunks' trajectories (k_i, n_i, 2) side by side along the runs axis: a chunk whose runs all ended
    sooner recorded fewer frames, and its runs are NaN in the frames it did not record (as a run that
    ended is within its own chunk)."""
    k = max(t.shape[0] for t in parts)
    return np.concatenate([np.pad(t, ((0, k - t.shape[0]), (0, 0), (0, 0)), constant_values=np.nan)
                           for t in parts], axis=1)


def run_batch(family: Family, x0: Any, y0: Any, h: Any = None, C: Any = None,
              settings: Settings | None = None, chunk_size: int = 1 << 20, seed: int | None = None,
              progress: Callable[[int, int], None] | None = None, backend: str = "numpy",
              device: str | None = None, track_max: bool = True) -> BatchResult:
    """Run GD from every (x0[i], y0[i]) with step h[i] (or h = C / (x0² + y0²)) to a decision.

    Exactly one of ``h`` and ``C`` is given (scalars broadcast).  ``progress(done, total)`` is
    called after each chunk.  ``backend`` is 'numpy' (default), 'torch' (float64 tensors on
    ``device``: 'auto' = CUDA when available, 'cpu', 'cuda'; see :func:`lrbias.gd.device.resolve_device`) or 'quad'
    (binary128 arrays, the quad tier: the same loop and rules, ~10⁶ start-steps/s; the result's
    arrays are float64 and ``meta['precision']`` says 'quad') or 'numba' (float64, the fused
    kernel of :mod:`lrbias.gd.kernel` between rule steps; needs the ``fast`` extra).  ``track_max=False`` skips the
    loss maximum (``fmax``/``fmax_ratio`` NaN; see :func:`lrbias.gd.step_loop.run_chunk`).
    """
    settings = settings or Settings()
    if backend not in BACKENDS:
        raise InvalidArgument(f"backend {backend!r} is invalid; accepted: {', '.join(BACKENDS)}")
    engine = step_loop.NUMPY
    if backend == "torch":
        engine = step_loop.torch_backend(resolve_device(device))
    elif backend == "quad":
        engine = step_loop.quad_backend()
    elif backend == "numba":
        from lrbias.gd.kernel import numba_backend

        engine = numba_backend()
    x0 = as_float_array("x0", x0)
    n = x0.shape[0]
    y0 = as_float_array("y0", y0, n)
    if y0.shape != x0.shape:
        raise InvalidArgument(f"x0 has {n} values but y0 has {y0.shape[0]}; accepted: equal lengths")
    if (h is None) == (C is None):
        raise InvalidArgument("give exactly one of h and C; accepted: h=... or C=...")
    with np.errstate(over="ignore", invalid="ignore"):
        q0 = x0 * x0 + y0 * y0
    if not np.all(np.isfinite(q0)):
        i = int(np.flatnonzero(~np.isfinite(q0))[0])
        raise InvalidArgument(f"start ({x0[i]}, {y0[i]}): x0² + y0² overflows float64; accepted: "
                          "|x0|, |y0| < 1e154")
    if h is not None:
        h = as_float_array("h", h, n)
        C = h * q0
    else:
        C = as_float_array("C", C, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = C / q0
    if np.any(h <= 0) or not np.all(np.isfinite(h)):
        bad = float(h[~(np.isfinite(h) & (h > 0))][0])
        raise InvalidArgument(f"step h = {bad} is invalid; accepted: finite h > 0 (C > 0, start off (0, 0))")
    if chunk_size <= 0:
        raise InvalidArgument(f"chunk_size = {chunk_size}; accepted: >= 1")
    out = result_arrays(n)
    trajectories = []
    for start in range(0, n, chunk_size):
        stop = min(n, start + chunk_size)
        views = {k: v[start:stop] for k, v in out.items()}
        traj = step_loop.run_chunk(family, x0[start:stop], y0[start:stop], h[start:stop], settings, views, engine,
                                 track_max)
        if traj is not None:
            trajectories.append(traj)
        if progress is not None:
            progress(stop, n)
    with np.errstate(all="ignore"):
        _, hi = objective.hessian_eigenvalues(family, out["x"], out["y"])
    out["sharpness"] = np.where(np.isfinite(hi), hi, np.nan)
    trajectory = _join_trajectories(trajectories) if trajectories else None
    meta = {"precision": "quad"} if backend == "quad" else {}
    return BatchResult(family.spec, settings, x0, y0, h, C, out["outcome"], out["steps"], out["period"],
                       out["x"], out["y"], out["sharpness"], out["fmax_ratio"], out["fmax_step"],
                       out["fmax"], seed, trajectory, meta)
