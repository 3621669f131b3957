"""Device and dtype selection for the nn experiments.

The device is chosen by :func:`lrbias.gd.device.resolve_device` (the one choice for lrbias; it
switches TF32 off so GPU runs are true float32), re-exported here.
"""

from __future__ import annotations

import torch

from lrbias.gd.device import pin_torch_threads, resolve_device
from lrbias.nn.config import NNConfigError

__all__ = ["configure_threads", "resolve_device", "resolve_dtype"]


def resolve_dtype(name: str) -> torch.dtype:
    """``float32`` (default) or ``float64``."""
    table = {"float32": torch.float32, "float64": torch.float64}
    if name not in table:
        raise NNConfigError(f"unknown dtype {name!r}; accepted: float32, float64")
    return table[name]


def configure_threads(threads: int | None) -> None:
    """Set torch's intra-op CPU threads (None: the process default, see :func:`lrbias.gd.device.pin_torch_threads`).

    At these sizes (width 200, n ≤ a few thousand) one thread is fastest: on the 2-core machine
    here two threads made a training step 50× slower under load (1.4 ms → 67 ms, measured).
    """
    if threads is not None and threads < 1:
        raise NNConfigError(f"--threads must be >= 1, got {threads}")
    pin_torch_threads(threads)
