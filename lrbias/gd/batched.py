"""The batched engine's step loop on numpy float64 arrays (the default backend of :func:`run_batch`).

One chunk of starts is stepped at once; the rules of :mod:`lrbias.gd.rules` decide runs, which
then leave the active set (the arrays are compacted whenever a tenth of them is done, and at
least every COMPACT_EVERY steps), so a chunk costs what its slowest members need, not
n × max_steps.  Between rule tests a step costs one ℓ′ and one ℓ evaluation (the loss maximum,
for the catapult figures) and the update.  Results go into the caller's numpy arrays.
"""

from __future__ import annotations

import numpy as np

from lrbias.gd import rules
from lrbias.gd.outcome import Outcome, Settings, rise_ratio
from lrbias.losses.families import Family


def run_chunk_numpy(family: Family, x0: np.ndarray, y0: np.ndarray, h: np.ndarray, st: Settings,
                    out: dict[str, np.ndarray]) -> np.ndarray | None:
    """Advance one chunk to a decision, writing results into the views in ``out``.

    Returns the trajectory (k, n, 2), NaN where a run had ended, when ``st.record_every`` > 0.
    """
    d1, loss = family.np.d1, family.np.loss
    l1, curvature = family.min_value, family.curvature
    ops, lim = rules.NUMPY, rules.Limits.of(st)
    idx = np.arange(x0.shape[0])
    x, y, hh = x0.copy(), y0.copy(), h.copy()
    with np.errstate(all="ignore"):
        fmax = loss(x * y)        # the largest raw loss so far (the excess is taken at the end)
    f0 = fmax - l1
    fmax_step = np.zeros_like(idx)
    done = np.zeros(idx.shape[0], dtype=bool)
    px, py = x, y
    snap: tuple[np.ndarray, np.ndarray, int] | None = None
    record = st.record_every
    traj: list[np.ndarray] = []

    def finish(sel: np.ndarray, code: Outcome, t: int, period: int = 0) -> None:
        pos = np.flatnonzero(sel)  # one pass over the mask, then gathers of the few decided runs
        rows = idx[pos]
        out["outcome"][rows] = int(code)
        out["steps"][rows] = t
        out["period"][rows] = period
        if code != Outcome.DIVERGED:
            out["x"][rows] = x[pos]
            out["y"][rows] = y[pos]
        excess = fmax[pos] - l1
        out["fmax_ratio"][rows] = rise_ratio(excess, f0[pos])
        out["fmax_step"][rows] = fmax_step[pos]
        out["fmax"][rows] = excess
        done[pos] = True

    with np.errstate(all="ignore"):
        for t in range(st.max_steps + 1):
            s = x * y
            g = d1(s)
            if t > 0:
                f = loss(s)
                up = f > fmax
                np.copyto(fmax, f, where=up)
                np.copyto(fmax_step, t, where=up)
            if record and t % record == 0:
                frame = np.full((x0.shape[0], 2), np.nan)
                frame[idx[~done], 0] = x[~done]
                frame[idx[~done], 1] = y[~done]
                traj.append(frame)
            last = t == st.max_steps
            check, window = rules.due(t, st)
            if check or window:
                q = x * x
                q += y * y
                state = rules.State(x, y, s, g, q, hh, curvature, snap, (px, py))
                rules.settle_batch(ops, lim, t, check, window, state, done, finish)
            if rules.close_batch(ops, t, last, check or window, done, finish):
                break
            if rules.snapshot_due(t):
                snap = (x, y, t)  # no copy: x and y are rebound each step, never changed in place
            px, py = x, y
            x, y = rules.gd_step(x, y, hh, g)
            if check or window:
                n_done = np.count_nonzero(done)
                if n_done and (n_done * 10 > done.shape[0] or t % rules.COMPACT_EVERY == 0):
                    keep = np.flatnonzero(~done)
                    idx, x, y, px, py, hh, f0, fmax, fmax_step = (
                        a.take(keep) for a in (idx, x, y, px, py, hh, f0, fmax, fmax_step))
                    if snap is not None:
                        snap = (snap[0].take(keep), snap[1].take(keep), snap[2])
                    done = np.zeros(idx.shape[0], dtype=bool)
    return np.stack(traj) if record else None
