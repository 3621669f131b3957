"""The batched engine's step loop on torch float64 tensors (CPU or CUDA): the alternative backend.

``run_batch(..., backend="torch", device="auto")`` sends each chunk here.  The loop is that of
the numpy backend (:mod:`lrbias.gd.batched`) with the same rules (:mod:`lrbias.gd.rules`, on
torch tensors); decided runs leave the active set.  Results are written back into the caller's
numpy arrays, so a BatchResult does not depend on the backend (tests compare the two run for run).
Trajectories are recorded by the numpy backend only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrbias.errors import LrbiasError
from lrbias.gd import rules
from lrbias.gd.outcome import Outcome, Settings, rise_ratio
from lrbias.losses.families import Family


def run_chunk_torch(family: Family, x0: np.ndarray, y0: np.ndarray, h: np.ndarray, st: Settings,
                    out: dict[str, np.ndarray], device: Any) -> None:
    """Advance one chunk to a decision on ``device`` (a torch.device) and write the results into ``out``."""
    import torch

    if st.record_every:
        raise LrbiasError("trajectories are recorded by the numpy backend only; accepted: backend='numpy'")
    d1, loss = family.torch.d1, family.torch.loss
    l1, curvature = family.min_value, family.curvature
    ops, lim = rules.torch_ops(), rules.Limits.of(st)

    def as_t(a: np.ndarray) -> Any:
        return torch.as_tensor(a, dtype=torch.float64, device=device).clone()

    idx = torch.arange(x0.shape[0], device=device)
    x, y, hh = as_t(x0), as_t(y0), as_t(h)
    fmax = loss(x * y)
    f0 = fmax - l1
    fmax_step = torch.zeros_like(idx)
    done = torch.zeros_like(idx, dtype=torch.bool)
    snap: tuple[Any, Any, int] | None = None
    px, py = x, y

    def finish(sel: Any, code: Outcome, t: int, period: int = 0) -> None:
        rows = idx[sel].cpu().numpy()
        out["outcome"][rows] = int(code)
        out["steps"][rows] = t
        out["period"][rows] = period
        if code != Outcome.DIVERGED:
            out["x"][rows] = x[sel].cpu().numpy()
            out["y"][rows] = y[sel].cpu().numpy()
        excess = (fmax[sel] - l1).cpu().numpy()
        out["fmax_ratio"][rows] = rise_ratio(excess, f0[sel].cpu().numpy())
        out["fmax_step"][rows] = fmax_step[sel].cpu().numpy()
        out["fmax"][rows] = excess
        done[sel] = True

    for t in range(st.max_steps + 1):
        s = x * y
        g = d1(s)
        if t > 0:
            f = loss(s)
            up = f > fmax
            fmax = torch.where(up, f, fmax)
            fmax_step = torch.where(up, t, fmax_step)
        last = t == st.max_steps
        check, window = rules.due(t, st)
        if check or window:
            q = x * x + y * y
            state = rules.State(x, y, s, g, q, hh, curvature, snap, (px, py))
            rules.settle_batch(ops, lim, t, check, window, state, done, finish)
        if rules.close_batch(ops, t, last, check or window, done, finish):
            return
        if rules.snapshot_due(t):
            snap = (x, y, t)  # no copy: x and y are rebound each step, never changed in place
        px, py = x, y
        x, y = rules.gd_step(x, y, hh, g)
        if (check or window) and t % rules.COMPACT_EVERY == 0 and bool(done.any()):
            keep = ~done
            idx, x, y, px, py, hh, f0, fmax, fmax_step = (
                a[keep] for a in (idx, x, y, px, py, hh, f0, fmax, fmax_step))
            if snap is not None:
                snap = (snap[0][keep], snap[1][keep], snap[2])
            done = torch.zeros_like(idx, dtype=torch.bool)
