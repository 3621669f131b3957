"""The one choice of torch device for lrbias (the torch GD backend and the nn experiments)."""

from __future__ import annotations

import os
from typing import Any

from lrbias.errors import InvalidArgument

DEVICES = ("auto", "cpu", "cuda")
THREADS_ENV = "LRBIAS_TORCH_THREADS"
DEFAULT_TORCH_THREADS = 1
"""torch's CPU threads unless told otherwise: one is fastest at lrbias's sizes and makes results
independent of the machine (more threads changed NN figures, e.g. a ratio 1.108 vs 1.065)."""
MAX_TORCH_THREADS = 256

_pinned: int | None = None


def pin_torch_threads(threads: int | None = None) -> int:
    """Set torch's intra-op CPU threads once per process; returns the count in force.

    The first torch use of any command (:func:`resolve_device`) pins ``$LRBIAS_TORCH_THREADS`` or 1;
    an explicit ``threads`` (``lrbias nn --threads``) sets that count instead.  The count is
    recorded in every results document (:func:`torch_threads_in_force`).
    """
    global _pinned
    if threads is None and _pinned is not None:
        return _pinned
    if threads is None:
        text = os.environ.get(THREADS_ENV, "").strip()
        try:
            threads = int(text) if text else DEFAULT_TORCH_THREADS
        except ValueError:
            raise InvalidArgument(f"{THREADS_ENV}={text[:20]!r} is invalid; accepted: an integer, "
                              f"1 <= threads <= {MAX_TORCH_THREADS}") from None
    if not 1 <= threads <= MAX_TORCH_THREADS:
        raise InvalidArgument(f"torch threads {threads} is invalid; accepted: 1 <= threads <= {MAX_TORCH_THREADS}")
    import torch

    torch.set_num_threads(threads)
    _pinned = threads
    return threads


def torch_threads_in_force() -> int | None:
    """The torch CPU thread count this process pinned (None when it never used torch)."""
    return _pinned


def resolve_device(name: str | None) -> Any:
    """torch.device for 'auto' (None: the same; CUDA when available, else CPU), 'cpu' or 'cuda'.

    Also pins torch's CPU threads, once (:func:`pin_torch_threads`), so every command that runs
    torch (run, sweep, check, report, nn) does so with the same count.

    On CUDA, TF32 is switched off (matmul and cuDNN) so float32 runs are true float32 and float64
    ones are unaffected.  LrbiasError without torch, for an unknown name, or for 'cuda' without a
    CUDA device.
    """
    try:
        import torch
    except ImportError:
        raise InvalidArgument("the torch backend needs torch: pip install 'lrbias[nn]'") from None
    chosen = name or "auto"
    if chosen not in DEVICES:
        raise InvalidArgument(f"unknown device {name!r}; accepted: {', '.join(DEVICES)}")
    if chosen == "auto":
        chosen = "cuda" if torch.cuda.is_available() else "cpu"
    if chosen == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument("device 'cuda' requested but torch sees no CUDA device; accepted: auto, cpu")
    pin_torch_threads()
    if chosen == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return torch.device(chosen)
