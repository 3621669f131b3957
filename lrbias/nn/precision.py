"""Sharpness accuracy: float32 against float64 Hessian-vector products along one float32 run.

GD runs in the configuration's dtype (float32 by default); at each sharpness measurement the top
eigenvalue is computed twice, with HVPs and Lanczos in float32 and on a float64 copy of the model
(``--hvp-dtype float64``), each with its Lanczos residual.  The relative gap between the two says
how much of a tail ratio S·h/2 could be float32 rounding in the HVPs, against the EoS band's
width (0.05).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from lrbias.nn.losses import get_loss
from lrbias.nn.sharpness import sharpness
from lrbias.nn.trainer import Prepared


@dataclass(frozen=True)
class PrecisionComparison:
    """Per measurement: step, float32 and float64 top eigenvalue, both Lanczos residuals."""

    lr: float
    steps: list[int]
    top32: list[float]
    top64: list[float]
    residual32: list[float]
    residual64: list[float]

    @property
    def max_relative_gap(self) -> float:
        """max |S32 − S64| / |S64| over the measurements (NaN when none is finite)."""
        gaps = [abs(a - b) / abs(b) for a, b in zip(self.top32, self.top64, strict=True)
                if math.isfinite(a) and math.isfinite(b) and b != 0]
        return max(gaps) if gaps else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {"lr": self.lr, "steps": self.steps, "top32": self.top32, "top64": self.top64,
                "residual32": self.residual32, "residual64": self.residual64,
                "max_relative_gap": self.max_relative_gap}


def compare_hvp_dtypes(prep: Prepared, lr: float, steps: int, every: int, tol: float = 1e-3) -> PrecisionComparison:
    """Train ``steps`` GD steps at ``lr`` from ``prep``; every ``every`` steps (and at the start and
    the end) measure the sharpness with float32 and with float64 HVPs."""
    model = prep.fresh_model()
    model.train()
    loss_fn = get_loss(prep.config.loss)
    params = [p for p in model.parameters() if p.requires_grad]
    out: dict[str, list] = {"steps": [], "top32": [], "top64": [], "residual32": [], "residual64": []}
    seed = prep.config.seed
    for t in range(steps + 1):
        if t % every == 0 or t == steps:
            e32 = sharpness(model, prep.x, prep.y, loss_fn, tol=tol, seed=seed, hvp_dtype=torch.float32)
            e64 = sharpness(model, prep.x, prep.y, loss_fn, tol=tol, seed=seed, hvp_dtype=torch.float64)
            out["steps"].append(t)
            out["top32"].append(e32.top)
            out["top64"].append(e64.top)
            out["residual32"].append(e32.residual)
            out["residual64"].append(e64.residual)
        if t == steps:
            break
        loss = loss_fn(model(prep.x), prep.y)
        if not torch.isfinite(loss):
            break
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p.sub_(lr * g)
    return PrecisionComparison(lr, **out)
