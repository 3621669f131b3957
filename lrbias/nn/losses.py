"""Training losses on logits ``out`` (n, classes) and integer labels ``y`` (n,) → a scalar.

All three average over samples, so the full-batch loss (and its Hessian) does not scale with n.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from lrbias.nn.config import LOSSES, NNConfigError

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _onehot(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.one_hot(y, out.shape[1]).to(out.dtype)


def mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """½‖out − onehot(y)‖² per sample, averaged over samples (ℓ″ = 1 in every output)."""
    return 0.5 * ((out - _onehot(out, y)) ** 2).sum(dim=1).mean()


def huber(out: torch.Tensor, y: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """Huber (δ = 1) of out − onehot(y), summed over outputs, averaged over samples (ℓ′ bounded)."""
    return F.huber_loss(out, _onehot(out, y), reduction="none", delta=delta).sum(dim=1).mean()


def cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy, averaged over samples."""
    return F.cross_entropy(out, y)


def get_loss(name: str) -> LossFn:
    """The loss function for ``name`` (one of :data:`LOSSES`)."""
    table: dict[str, LossFn] = {"mse": mse, "huber": huber, "ce": cross_entropy}
    if name not in table:
        raise NNConfigError(f"unknown loss {name!r}; accepted: {', '.join(LOSSES)}")
    return table[name]
