"""The paper's two-layer network and the unbalanced initialisation.

Flatten → Linear(d→w, no bias) → [BatchNorm1d(w, affine=False) | LayerNorm(w, no affine)]
→ activation → Linear(w→classes, no bias).  Parameters are exactly the two weight matrices
W1 (w×d) and W2 (classes×w): the norm layers carry no trainable parameters, so the Hessian is
over (W1, W2) only.
"""

from __future__ import annotations

import torch
from torch import nn

from lrbias.nn.config import ACTIVATIONS, NORMS, NNConfigError


class Cubic(nn.Module):
    """relu(z)³: an activation of bad regularity (growth z³)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z) ** 3


def make_activation(name: str) -> nn.Module:
    """The activation module for ``name`` (one of :data:`ACTIVATIONS`)."""
    table = {"relu": nn.ReLU, "tanh": nn.Tanh, "cubic": Cubic, "leaky-relu": nn.LeakyReLU, "elu": nn.ELU}
    if name not in table:
        raise NNConfigError(f"unknown activation {name!r}; accepted: {', '.join(ACTIVATIONS)}")
    return table[name]()


class TwoLayerNet(nn.Module):
    """Two-layer fully connected net without biases; input (n, *shape) → logits (n, classes)."""

    def __init__(self, in_features: int, classes: int, width: int = 200, activation: str = "relu",
                 norm: str = "none") -> None:
        super().__init__()
        if norm not in NORMS:
            raise NNConfigError(f"unknown norm {norm!r}; accepted: {', '.join(NORMS)}")
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_features, width, bias=False)
        if norm == "bn":
            self.norm: nn.Module = nn.BatchNorm1d(width, affine=False)
        elif norm == "ln":
            self.norm = nn.LayerNorm(width, elementwise_affine=False)
        else:
            self.norm = nn.Identity()
        self.act = make_activation(activation)
        self.fc2 = nn.Linear(width, classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.norm(self.fc1(self.flatten(x)))))

    def weight_norms(self) -> tuple[float, float]:
        """(‖W1‖_F, ‖W2‖_F) as Python floats."""
        with torch.no_grad():
            return float(self.fc1.weight.norm()), float(self.fc2.weight.norm())


def build_model(in_features: int, classes: int, width: int = 200, activation: str = "relu",
                norm: str = "none", seed: int = 0, init_norms: tuple[float, float] | None = None,
                dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> TwoLayerNet:
    """A seeded :class:`TwoLayerNet` (PyTorch default init), optionally rescaled to ``init_norms``.

    The init is drawn on the CPU in float32 from ``torch.Generator().manual_seed(seed)`` and then
    moved, so the same seed gives the same start on every device and dtype.
    """
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = TwoLayerNet(in_features, classes, width, activation, norm)
    finally:
        torch.random.set_rng_state(gen_state)
    model = model.to(device=device, dtype=dtype)
    if init_norms is not None:
        rescale_weights(model, init_norms)
    return model


def rescale_weights(model: TwoLayerNet, norms: tuple[float, float]) -> None:
    """Scale W1 and W2 in place so that ‖W1‖_F = norms[0] and ‖W2‖_F = norms[1] (the unbalanced start)."""
    with torch.no_grad():
        for layer, target in ((model.fc1, norms[0]), (model.fc2, norms[1])):
            current = layer.weight.norm()
            if not torch.isfinite(current) or current == 0:
                raise NNConfigError(f"cannot rescale a weight matrix of norm {float(current)}")
            layer.weight.mul_(target / current)
