"""The batched engine's step loop on torch tensors (float64, CPU or CUDA): the alternative backend.

``run_batch(..., backend="torch", device="auto")`` sends each chunk here.  The decision rules are
those of the numpy loop (:mod:`lrbias.gd.batched`), checked every ``settings.check_every``
steps: diverged, converged at a stable minimiser, stalled at the saddle, periodic (period 2 to
``period_max``, snapshot every 128 steps), undecided.  Decided runs leave the active set.
Results are written back into the same numpy arrays, so a BatchResult does not depend on the
backend (tests compare the two run for run).
"""

from __future__ import annotations

import numpy as np

from lrbias.errors import LrbiasError
from lrbias.gd.batched import CYCLE_CONTRAST, rise_ratio
from lrbias.gd.outcome import Outcome, Settings
from lrbias.losses.families import Family

PERIOD_CHECK_EVERY = 128


def resolve_device(device: str | None):
    """torch.device for 'auto' (CUDA when available), 'cpu' or 'cuda'; LrbiasError without torch."""
    try:
        import torch
    except ImportError:
        raise LrbiasError("the torch backend needs torch: pip install 'lrbias[nn]'") from None
    name = device or "auto"
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name not in ("cpu", "cuda"):
        raise LrbiasError(f"device {device!r} is invalid; accepted: auto, cpu, cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise LrbiasError("device 'cuda' requested but torch sees no CUDA device; accepted: auto, cpu")
    if name == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
    return torch.device(name)


def run_chunk_torch(family: Family, x0: np.ndarray, y0: np.ndarray, h: np.ndarray, st: Settings,
                    out: dict[str, np.ndarray], device) -> None:
    """Advance one chunk to a decision on ``device`` and write the results into ``out``."""
    import torch

    if st.record_every:
        raise LrbiasError("trajectories are recorded by the numpy backend only; accepted: backend='numpy'")
    d1, loss = family.torch.d1, family.torch.loss
    l1, curvature = family.min_value, family.curvature
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=device)  # noqa: E731
    idx = torch.arange(x0.shape[0], device=device)
    x, y, hh = as_t(x0).clone(), as_t(y0).clone(), as_t(h).clone()
    fmax = loss(x * y)
    f0 = fmax - l1
    fmax_step = torch.zeros_like(idx)
    done = torch.zeros_like(idx, dtype=torch.bool)
    snap = None
    px, py = x, y
    saddle_q = st.tol * st.tol

    def finish(sel, code: Outcome, t: int, period: int = 0) -> None:
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
            fmax_step = torch.where(up, torch.full_like(fmax_step, t), fmax_step)
        last = t == st.max_steps
        check = last or t % st.check_every == 0
        window = snap is not None and 2 <= t - snap[2] <= st.period_max
        q = x * x + y * y
        if check:
            bad = (~(q <= st.bound) | ~torch.isfinite(g)) & ~done
            if bool(bad.any()):
                finish(bad, Outcome.DIVERGED, t)
            near = (torch.abs(s - 1) < st.tol) & (torch.abs(g) < st.tol) & ~done
            hs = hh * curvature * q
            stable = near & (hs > 0) & (hs < 2)
            if bool(stable.any()):
                finish(stable, Outcome.CONVERGED, t)
            if t % PERIOD_CHECK_EVERY == 0:
                stall = (q < saddle_q) & ~done
                if bool(stall.any()):
                    finish(stall, Outcome.UNDECIDED, t)
        if window:
            rt = st.period_rtol
            gap = torch.abs(x - snap[0]) + torch.abs(y - snap[1])
            back = ((torch.abs(x - snap[0]) <= rt * torch.abs(x)) & (torch.abs(y - snap[1]) <= rt * torch.abs(y))
                    & (torch.abs(s - 1) >= st.tol) & ~done & (q >= saddle_q) & (q <= st.bound)
                    & (gap <= CYCLE_CONTRAST * (torch.abs(x - px) + torch.abs(y - py))))
            if bool(back.any()):
                finish(back, Outcome.PERIODIC, t, t - snap[2])
        if last or ((check or window) and bool(done.all())):
            live = ~done
            if bool(live.any()):
                finish(live, Outcome.UNDECIDED, t)
            return
        if t % PERIOD_CHECK_EVERY == 0:
            snap = (x.clone(), y.clone(), t)
        hg = hh * g
        px, py = x, y
        x, y = x - hg * y, y - hg * x
        if (check or window) and bool(done.any()) and t % 64 == 0:
            keep = ~done
            idx, x, y, px, py, hh, f0, fmax, fmax_step = (
                a[keep] for a in (idx, x, y, px, py, hh, f0, fmax, fmax_step))
            if snap is not None:
                snap = (snap[0][keep], snap[1][keep], snap[2])
            done = torch.zeros_like(idx, dtype=torch.bool)
