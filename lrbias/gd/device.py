"""The one choice of torch device for lrbias (the torch GD backend and the nn experiments)."""

from __future__ import annotations

from typing import Any

from lrbias.errors import LrbiasError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | None) -> Any:
    """torch.device for 'auto' (None: the same; CUDA when available, else CPU), 'cpu' or 'cuda'.

    On CUDA, TF32 is switched off (matmul and cuDNN) so float32 runs are true float32 and float64
    ones are unaffected.  LrbiasError without torch, for an unknown name, or for 'cuda' without a
    CUDA device.
    """
    try:
        import torch
    except ImportError:
        raise LrbiasError("the torch backend needs torch: pip install 'lrbias[nn]'") from None
    chosen = name or "auto"
    if chosen not in DEVICES:
        raise LrbiasError(f"unknown device {name!r}; accepted: {', '.join(DEVICES)}")
    if chosen == "auto":
        chosen = "cuda" if torch.cuda.is_available() else "cpu"
    if chosen == "cuda" and not torch.cuda.is_available():
        raise LrbiasError("device 'cuda' requested but torch sees no CUDA device; accepted: auto, cpu")
    if chosen == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(chosen)
