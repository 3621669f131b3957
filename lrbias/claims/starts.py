"""Start distributions: the population every batch statistic is a statement about.

A batch claim's figures (share converged, median limiting ratio, share at the edge of
stability) depend on where the runs start as much as on the loss: from starts with one factor
much larger than the other, softplus-pair a = 1 reaches the edge of stability for κ a little
above 2, from the box [0.5, 4]² only for κ ≥ 11.6.  So a start distribution is a named
hypothesis of every batch claim: stated in its statement, its results entry and the report,
and selectable (``lrbias check --starts NAME``).  Built-ins:

- ``box``: x0, y0 uniform in [0.5, 4], independent random signs (the historical default);
- ``unbalanced``: x0 ∈ [0.05, 1], y0 ∈ [3, 10], one common random sign (one factor much larger
  than the other, like unbalanced network initialisations);
- ``shell``: fixed q0 = x0² + y0² = 4, start angle uniform: with h = κ/(ℓ″(1) q0) the step is the
  same for every start, so a sweep isolates the start imbalance |d0|/q0 = |cos 2θ|.

Users' variants add their own with :func:`register_starts`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrbias.errors import InvalidArgument
from lrbias.gd.sampling import Range, off_lines, starts_box

__all__ = ["SHELL_Q0", "STARTS", "StartDistribution", "get_starts", "register_starts", "start_imbalance"]

Sampler = Callable[[int, int], tuple[np.ndarray, np.ndarray]]
"""(n, seed) -> (x0, y0): n float64 starts, reproducible from the seed."""

SHELL_Q0 = 4.0


@dataclass(frozen=True)
class StartDistribution:
    """A named, seeded start distribution: ``sample(n, seed) -> (x0, y0)`` and a one-line description."""

    name: str
    description: str
    sample: Sampler

    def __call__(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n starts drawn from ``seed``."""
        return self.sample(n, seed)


def _box(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return starts_box(n, Range(0.5, 4.0), Range(0.5, 4.0), seed, signs="independent")


def _unbalanced(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return starts_box(n, Range(0.05, 1.0), Range(3.0, 10.0), seed, signs="common")


def _shell(n: int, seed: int, q0: float = SHELL_Q0) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise InvalidArgument(f"n = {n!r} is invalid; accepted: an integer >= 1")
    rng = np.random.default_rng(int(seed))
    xs, ys = np.empty(0), np.empty(0)
    while xs.size < n:
        k = 2 * (n - xs.size) + 16
        theta = rng.uniform(0.0, 2 * math.pi, k)
        a, b = math.sqrt(q0) * np.cos(theta), math.sqrt(q0) * np.sin(theta)
        keep = off_lines(a, b, 1e-3)
        xs, ys = np.r_[xs, a[keep]], np.r_[ys, b[keep]]
    return xs[:n], ys[:n]


STARTS: dict[str, StartDistribution] = {
    "box": StartDistribution("box", "x0, y0 uniform in [0.5, 4], independent random signs", _box),
    "unbalanced": StartDistribution("unbalanced", "x0 uniform in [0.05, 1], y0 uniform in [3, 10], "
                                    "one common random sign", _unbalanced),
    "shell": StartDistribution("shell", f"x0² + y0² = {SHELL_Q0:g}, start angle uniform (isolates |d0|/q0)",
                               _shell),
}
"""The registry of start distributions by name (built-ins first; :func:`register_starts` adds)."""


def register_starts(name: str, description: str, sample: Sampler) -> StartDistribution:
    """Add a start distribution (a user's variant); LrbiasError if the name is taken or malformed."""
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise InvalidArgument(f"start distribution name {name!r} is invalid; accepted: letters, digits, - and _")
    if name in STARTS and STARTS[name].sample is not sample:
        raise InvalidArgument(f"start distribution {name!r} is already registered; accepted: a new name")
    if not callable(sample):
        raise InvalidArgument(f"start distribution {name!r}: sample is not callable; accepted: (n, seed) -> (x0, y0)")
    STARTS[name] = StartDistribution(name, description, sample)
    return STARTS[name]


def get_starts(name: str) -> StartDistribution:
    """The start distribution called ``name``; LrbiasError naming the accepted ones otherwise."""
    if name not in STARTS:
        raise InvalidArgument(f"unknown start distribution {name!r}; accepted: {', '.join(STARTS)}")
    return STARTS[name]


def start_imbalance(x0: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """|d0|/q0 = |x0² − y0²| / (x0² + y0²), in [0, 1): 0 balanced, near 1 one factor dominates."""
    return np.abs(x0 * x0 - y0 * y0) / (x0 * x0 + y0 * y0)
