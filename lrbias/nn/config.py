"""Run configuration of the neural-network experiments, validated without importing torch.

Every bad value raises :class:`lrbias.errors.LrbiasError` naming the value and what is accepted,
so the CLI can reject bad input before paying for the torch import.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from lrbias.errors import LrbiasError

ACTIVATIONS = ("relu", "tanh", "cubic", "leaky-relu", "elu")
LOSSES = ("mse", "huber", "ce")
NORMS = ("none", "bn", "ln")
DATASETS = ("digits", "mnist1d", "mnist", "cifar10")
OFFLINE_DATASETS = ("digits", "mnist1d")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("float32", "float64")


class NNConfigError(LrbiasError):
    """A neural-network run configuration value is out of range or unknown."""


def _choice(kind: str, value: str, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise NNConfigError(f"unknown {kind} {value!r}; accepted: {', '.join(accepted)}")
    return value


MIN_INIT_NORM, MAX_INIT_NORM = 1e-6, 1e6
"""The Frobenius norms --init-norms accepts (the paper-style unbalanced starts use 6 and 20)."""


def parse_init_norms(text: str | None) -> tuple[float, float] | None:
    """Parse ``'6,20'`` into (‖W1‖_F, ‖W2‖_F); ``None``/``''``/``'default'`` keeps the default init."""
    if text is None or text.strip() in ("", "default", "none"):
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise NNConfigError(f"bad --init-norms {text!r}: expected two positive numbers 'A,B' "
                            "(Frobenius norms of W1 and W2), e.g. 6,20") from None
    if len(values) != 2 or not all(math.isfinite(v) and v > 0 for v in values):
        raise NNConfigError(f"bad --init-norms {text!r}: expected two positive finite numbers 'A,B' "
                            "(Frobenius norms of W1 and W2), e.g. 6,20")
    if not all(MIN_INIT_NORM <= v <= MAX_INIT_NORM for v in values):
        raise NNConfigError(f"bad --init-norms {text!r}: each norm must lie in [{MIN_INIT_NORM:g}, {MAX_INIT_NORM:g}] "
                            "(beyond it the float32 network overflows and the sharpness is undefined)")
    return values[0], values[1]


@dataclass(frozen=True)
class RunConfig:
    """One full-batch GD run: data, model, loss, learning rate, budget and logging cadence.

    ``init_norms`` rescales W1, W2 to the given Frobenius norms after the default init (None:
    keep the default).  ``loss_bound``: a loss above it (or non-finite) ends the run as
    ``diverged``.  ``sharpness_every``: the sharpness is measured every k steps and at the end
    (0: only at the start and the end).
    """

    dataset: str = "digits"
    n: int = 1000
    activation: str = "relu"
    loss: str = "mse"
    norm: str = "none"
    width: int = 200
    lr: float = 0.1
    steps: int = 1000
    init_norms: tuple[float, float] | None = None
    sharpness_every: int = 20
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    data_root: str | None = None
    download: bool = False
    loss_bound: float = 1e6
    eig_tol: float = 1e-3
    hvp_dtype: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _choice("dataset", self.dataset, DATASETS)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("loss", self.loss, LOSSES)
        _choice("norm", self.norm, NORMS)
        _choice("device", self.device, DEVICES)
        _choice("dtype", self.dtype, DTYPES)
        if self.hvp_dtype is not None:
            _choice("hvp dtype", self.hvp_dtype, DTYPES)
        if not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr > 0):
            raise NNConfigError(f"learning rate must be a finite number > 0, got {self.lr!r}")
        for name, lo in (("steps", 1), ("n", 1), ("width", 1), ("sharpness_every", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < lo:
                raise NNConfigError(f"{name} must be an integer >= {lo}, got {value!r}")
        if self.init_norms is not None:
            if len(self.init_norms) != 2 or not all(math.isfinite(v) and v > 0 for v in self.init_norms):
                raise NNConfigError(f"init_norms must be two positive numbers, got {self.init_norms!r}")
        if not (self.loss_bound > 0):
            raise NNConfigError(f"loss_bound must be > 0, got {self.loss_bound!r}")
        if not (0 < self.eig_tol < 1):
            raise NNConfigError(f"eig_tol must lie in (0, 1), got {self.eig_tol!r}")

    def with_lr(self, lr: float) -> RunConfig:
        """The same run at another learning rate."""
        return replace(self, lr=lr)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        d = asdict(self)
        d["init_norms"] = list(self.init_norms) if self.init_norms is not None else None
        return d
