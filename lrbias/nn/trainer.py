"""Full-batch gradient descent on the two-layer net, with per-step logs and periodic sharpness.

The step is plain GD, w ← w − h ∇L(w) (no momentum, no weight decay), on the whole training set.
Logged at every state t = 0..T (t = T is the final state): loss, accuracy, ‖W1‖_F, ‖W2‖_F; the
sharpness at t = 0, k, 2k, … and at the final state.  A non-finite loss, or a loss above
``loss_bound · max(1, L0)``, ends the run with outcome ``diverged`` (never an exception).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from lrbias.nn.config import RunConfig
from lrbias.nn.data import Dataset, load_dataset
from lrbias.nn.device import resolve_device, resolve_dtype
from lrbias.nn.losses import get_loss
from lrbias.nn.models import TwoLayerNet, build_model
from lrbias.nn.sharpness import sharpness

Progress = Callable[[str], None]

WARM_NCV = 8
"""Lanczos basis size of a warm-started estimate (measured: 13–16 HVPs instead of 21 at tol 1e-3)."""


@dataclass
class RunResult:
    """Everything one run produced: its config, logged series, outcome and timing."""

    config: RunConfig
    history: dict[str, list[float]]
    sharpness_steps: list[int]
    sharpness: list[list[float]]
    outcome: str
    reason: str
    steps_run: int
    seconds: float
    device: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def lr(self) -> float:
        return self.config.lr

    @property
    def top_sharpness(self) -> list[float]:
        """The top eigenvalue at each sharpness measurement (NaN where Lanczos gave nothing)."""
        return [s[0] if s else math.nan for s in self.sharpness]

    def summary(self) -> dict[str, Any]:
        """The figures the CLI prints: final sharpness, ratio S·h/2, loss max/start, norm gap, outcome."""
        loss = self.history["loss"]
        gap = [abs(a - b) for a, b in zip(self.history["w1"], self.history["w2"], strict=True)]
        finite = [v for v in loss if math.isfinite(v)]
        s_final = self.top_sharpness[-1] if self.sharpness else math.nan
        s0 = self.meta.get("s0", math.nan)
        return {
            "s0": s0,
            "s0_lr_over_2": s0 * self.lr / 2,
            "outcome": self.outcome,
            "reason": self.reason,
            "lr": self.lr,
            "two_over_lr": 2 / self.lr,
            "steps_run": self.steps_run,
            "loss_start": loss[0],
            "loss_final": loss[-1],
            "loss_max": max(finite) if finite else math.nan,
            "loss_max_over_start": (max(finite) / loss[0]) if finite and loss[0] > 0 else math.nan,
            "accuracy_final": self.history["accuracy"][-1],
            "sharpness_start": self.top_sharpness[0] if self.sharpness else math.nan,
            "sharpness_final": s_final,
            "ratio_final": s_final * self.lr / 2,
            "norm_gap_start": gap[0],
            "norm_gap_final": gap[-1],
            "w1_final": self.history["w1"][-1],
            "w2_final": self.history["w2"][-1],
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> RunResult:
        """The run back from :meth:`as_dict`'s record (e.g. an ``lrbias nn-grid --json`` output)."""
        cfg = dict(record["config"])
        if cfg.get("init_norms") is not None:
            cfg["init_norms"] = tuple(cfg["init_norms"])
        meta = dict(record["meta"])
        device = meta.pop("device", "cpu")
        for key in ("s0", "s0_residual"):  # JSON writes NaN as null
            if key in meta and meta[key] is None:
                meta[key] = math.nan
        if "lanczos_residual" in meta:
            meta["lanczos_residual"] = [math.nan if v is None else float(v) for v in meta["lanczos_residual"]]
        s = record["summary"]
        return cls(RunConfig(**cfg), {k: list(v) for k, v in record["history"].items()},
                   list(record["sharpness_steps"]),
                   [[math.nan if v is None else float(v) for v in vals] for vals in record["sharpness"]],
                   s["outcome"], s["reason"], int(s["steps_run"]), float(s["seconds"]), device, meta)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record: config, meta, summary and every logged series."""
        return {
            "config": self.config.as_dict(),
            "meta": {**self.meta, "device": self.device},
            "summary": self.summary(),
            "history": self.history,
            "sharpness_steps": self.sharpness_steps,
            "sharpness": self.sharpness,
        }


@dataclass
class Prepared:
    """Data tensors on the target device plus a saved initial state, shared by every LR of a grid."""

    config: RunConfig
    data: Dataset
    x: torch.Tensor
    y: torch.Tensor
    device: torch.device
    dtype: torch.dtype
    init_state: dict[str, torch.Tensor]
    meta: dict[str, Any] = field(default_factory=dict)

    def fresh_model(self) -> TwoLayerNet:
        """A model holding exactly the saved initial state."""
        c = self.config
        model = TwoLayerNet(self.data.in_features, self.data.classes, c.width, c.activation, c.norm)
        model = model.to(device=self.device, dtype=self.dtype)
        model.load_state_dict(self.init_state)
        return model


def prepare(config: RunConfig, data: Dataset | None = None) -> Prepared:
    """Load the data and draw the seeded (optionally rescaled) initial state once."""
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype)
    if data is None:
        data = load_dataset(config.dataset, config.n, config.data_root, config.download)
    x = torch.as_tensor(data.x, dtype=dtype, device=device)
    y = torch.as_tensor(data.y, dtype=torch.int64, device=device)
    model = build_model(data.in_features, data.classes, config.width, config.activation, config.norm,
                        seed=config.seed, init_norms=config.init_norms, dtype=dtype, device=device)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Prepared(config, data, x, y, device, dtype, state)


def initial_sharpness(prep: Prepared, tol: float = 1e-6) -> float:
    """S0: the top Hessian eigenvalue at the prepared initial state (tight Lanczos tolerance).

    Records S0 and its Lanczos residual in ``prep.meta`` (copied into every run trained from
    ``prep``), so each run of a grid carries the S0 its learning rate was chosen from.
    """
    c = prep.config
    est = sharpness(prep.fresh_model(), prep.x, prep.y, get_loss(c.loss), tol=tol, seed=c.seed,
                    hvp_dtype=resolve_dtype(c.hvp_dtype) if c.hvp_dtype else None)
    prep.meta.update(s0=est.top, s0_residual=est.residual, s0_converged=est.converged)
    return est.top


def train(prep: Prepared, lr: float | None = None, steps: int | None = None,
          progress: Progress | None = None, *, sharpness_log: bool = True) -> RunResult:
    """Run full-batch GD from the prepared initial state (``lr``/``steps`` override the config).

    ``sharpness_log=False`` measures no sharpness at all (a bisection probe reads only the loss).
    """
    config = prep.config if lr is None else prep.config.with_lr(lr)
    steps = config.steps if steps is None else steps
    model = prep.fresh_model()
    model.train()
    loss_fn = get_loss(config.loss)
    params = [p for p in model.parameters() if p.requires_grad]
    hist: dict[str, list[float]] = {"step": [], "loss": [], "accuracy": [], "w1": [], "w2": []}
    s_steps: list[int] = []
    s_vals: list[list[float]] = []
    s_converged: list[bool] = []
    s_residual: list[float] = []
    outcome, reason = "completed", f"step budget of {steps} spent"
    bound: float | None = None
    every = config.sharpness_every
    start = time.perf_counter()
    report_every = max(1, steps // 10)

    hvp_dtype = resolve_dtype(config.hvp_dtype) if config.hvp_dtype else None

    warm: list = [None]  # the previous top eigenvector: the next Lanczos starts there (fewer HVPs)

    def measure(t: int) -> None:
        est = sharpness(model, prep.x, prep.y, loss_fn, tol=config.eig_tol, seed=config.seed,
                        hvp_dtype=hvp_dtype, v0=warm[0], ncv=WARM_NCV if warm[0] is not None else None)
        warm[0] = est.vector
        s_steps.append(t)
        s_vals.append([float(v) for v in est.values])
        s_converged.append(est.converged)
        s_residual.append(est.residual)

    t = 0
    while True:
        out = model(prep.x)
        loss = loss_fn(out, prep.y)
        value = float(loss.detach())
        w1, w2 = model.weight_norms()
        hist["step"].append(t)
        hist["loss"].append(value)
        hist["accuracy"].append(float((out.detach().argmax(dim=1) == prep.y).to(torch.float64).mean()))
        hist["w1"].append(w1)
        hist["w2"].append(w2)
        if bound is None:
            bound = config.loss_bound * max(1.0, value) if math.isfinite(value) else 0.0
        if not math.isfinite(value) or value > bound:
            outcome = "diverged"
            reason = (f"loss {value:.4g} at step {t} is not finite" if not math.isfinite(value)
                      else f"loss {value:.4g} at step {t} exceeds the bound {bound:.4g}")
            break
        if sharpness_log and (t == steps or (every and t % every == 0) or t == 0):
            measure(t)
        if t == steps:
            break
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.sub_(config.lr * g)
        t += 1
        if progress is not None and t % report_every == 0:
            progress(f"lr={config.lr:g} step {t}/{steps} loss {value:.4g}")
    meta = {"torch": torch.__version__, "dtype": config.dtype, "seed": config.seed,
            "sharpness_converged": s_converged, "lanczos_residual": s_residual,
            "hvp_dtype": config.hvp_dtype or config.dtype, **prep.meta, "standardisation": prep.data.standardisation,
            "n": prep.data.n, "in_features": prep.data.in_features}
    return RunResult(config, hist, s_steps, s_vals, outcome, reason, t, time.perf_counter() - start,
                     str(prep.device), meta)


def run(config: RunConfig, progress: Progress | None = None) -> RunResult:
    """Prepare and train one configuration."""
    return train(prepare(config), progress=progress)


def run_lr_grid(config: RunConfig, lrs: Sequence[float], progress: Progress | None = None,
                prep: Prepared | None = None) -> list[RunResult]:
    """Train every learning rate of ``lrs`` from one saved initial state (same data, same weights)."""
    prep = prepare(config) if prep is None else prep
    return [train(prep, lr=float(h), progress=progress) for h in lrs]
