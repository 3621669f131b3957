"""Device and dtype selection; TF32 is switched off so GPU runs are true float32."""

from __future__ import annotations

import torch

from lrbias.nn.config import NNConfigError


def resolve_device(name: str) -> torch.device:
    """``auto`` → cuda when available else cpu; ``cuda`` without a GPU is an error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise NNConfigError("--device cuda requested but torch sees no CUDA device; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise NNConfigError(f"unknown device {name!r}; accepted: auto, cpu, cuda")
    if name == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(name)


def resolve_dtype(name: str) -> torch.dtype:
    """``float32`` (default) or ``float64``."""
    table = {"float32": torch.float32, "float64": torch.float64}
    if name not in table:
        raise NNConfigError(f"unknown dtype {name!r}; accepted: float32, float64")
    return table[name]


def configure_threads(threads: int | None) -> None:
    """Set torch's intra-op CPU threads (None: leave torch's default).

    At these sizes (width 200, n ≤ a few thousand) one thread is fastest: on the 2-core machine
    here two threads made a training step 50× slower under load (1.4 ms → 67 ms, measured).
    """
    if threads is not None:
        if threads < 1:
            raise NNConfigError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
