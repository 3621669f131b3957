"""Reproducible samples for sweeps: starts in a box or an annulus, learning-rate knobs in a range.

Every sampler takes a ``seed`` (recorded by callers in their output) and uses
``numpy.random.default_rng(seed)``, so the same seed gives the same sample on every machine.
Starts keep a relative ``margin`` away from the invariant lines y = ±x (measure-zero bad sets).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrbias.errors import InvalidArgument


@dataclass(frozen=True)
class Range:
    """A closed interval [lo, hi] (lo <= hi), parsed from 'LO:HI' or a single number."""

    lo: float
    hi: float

    @classmethod
    def parse(cls, text: str, name: str, positive: bool = False) -> Range:
        """'LO:HI' or 'V' (a point); LrbiasError naming the bad value and the rule otherwise."""
        parts = str(text).split(":")
        if len(parts) not in (1, 2):
            raise InvalidArgument(f"{name} = {text!r} is malformed; accepted: LO:HI or a single number")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise InvalidArgument(f"{name} = {text!r} is malformed; accepted: LO:HI with numbers") from None
        lo, hi = values[0], values[-1]
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise InvalidArgument(f"{name} = {text!r} is not finite; accepted: finite LO:HI")
        if lo > hi:
            raise InvalidArgument(f"{name} = {text!r} has LO > HI; accepted: LO <= HI")
        if max(abs(lo), abs(hi)) > MAX_RANGE_BOUND:
            raise InvalidArgument(f"{name} = {text!r} is out of range; accepted: |LO|, |HI| <= {MAX_RANGE_BOUND:g} "
                              "(so that x0² + y0² stays finite)")
        if positive and lo <= 0:
            raise InvalidArgument(f"{name} = {text!r} must be positive; accepted: 0 < LO <= HI")
        return cls(lo, hi)


MAX_RANGE_BOUND = 1e150
"""Largest |bound| of a sampling range: x0² + y0² and the uniform draws' width stay finite."""


def _rng(seed: int) -> np.random.Generator:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidArgument(f"seed = {seed!r} is invalid; accepted: an integer >= 0")
    return np.random.default_rng(int(seed))


def _check_n(n: int) -> None:
    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise InvalidArgument(f"n = {n!r} is invalid; accepted: an integer >= 1")


def off_lines(x: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    """Mask of points at relative distance > margin from both lines y = x and y = −x."""
    scale = np.abs(x) + np.abs(y)
    return np.minimum(np.abs(x - y), np.abs(x + y)) > margin * scale


SIGNS = ("none", "common", "independent")


def starts_box(n: int, x: Range, y: Range, seed: int, random_signs: bool = False,
               margin: float = 1e-3, signs: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n starts uniform in the box x × y, off the invariant lines; two float64 arrays of shape (n,).

    ``signs``: "none" keeps the box; "common" flips (x, y) → −(x, y) with probability ½ (one
    sign for both, so xy keeps its sign: the same side of the minimiser set); "independent"
    flips x and y separately.  ``random_signs=True`` is the same as ``signs="independent"``.
    """
    _check_n(n)
    signs = signs or ("independent" if random_signs else "none")
    if signs not in SIGNS:
        raise InvalidArgument(f"signs = {signs!r} is invalid; accepted: {', '.join(SIGNS)}")
    rng = _rng(seed)
    xs, ys = np.empty(0), np.empty(0)
    for _ in range(100):
        k = 2 * (n - xs.size) + 16
        a, b = rng.uniform(x.lo, x.hi, k), rng.uniform(y.lo, y.hi, k)
        if signs == "independent":
            a *= rng.choice([-1.0, 1.0], k)
            b *= rng.choice([-1.0, 1.0], k)
        elif signs == "common":
            flip = rng.choice([-1.0, 1.0], k)
            a *= flip
            b *= flip
        keep = off_lines(a, b, margin) & ((a != 0) | (b != 0))
        xs, ys = np.r_[xs, a[keep]], np.r_[ys, b[keep]]
        if xs.size >= n:
            return xs[:n], ys[:n]
    raise InvalidArgument(f"the box {x.lo}:{x.hi} x {y.lo}:{y.hi} lies on an invariant line y = ±x; "
                      "accepted: a box with points off the lines")


def starts_annulus(n: int, r: Range, seed: int, margin: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """n starts uniform (in area) in the annulus r.lo <= |p| <= r.hi, off the invariant lines."""
    _check_n(n)
    if r.lo < 0:
        raise InvalidArgument(f"annulus radii {r.lo}:{r.hi} are invalid; accepted: 0 <= LO <= HI")
    rng = _rng(seed)
    xs, ys = np.empty(0), np.empty(0)
    while xs.size < n:
        k = 2 * (n - xs.size) + 16
        rad = np.sqrt(rng.uniform(r.lo**2, r.hi**2, k))
        ang = rng.uniform(0, 2 * np.pi, k)
        a, b = rad * np.cos(ang), rad * np.sin(ang)
        keep = off_lines(a, b, margin) & (rad > 0)
        xs, ys = np.r_[xs, a[keep]], np.r_[ys, b[keep]]
    return xs[:n], ys[:n]


def knob_values(n: int, knob: Range, seed: int, log: bool = False) -> np.ndarray:
    """n values of C (or κ) uniform in the range (log-uniform with ``log``); a point range repeats."""
    _check_n(n)
    rng = _rng(seed + 1_000_003)
    if knob.lo == knob.hi:
        return np.full(n, knob.lo)
    if log:
        if knob.lo <= 0:
            raise InvalidArgument(f"log-uniform range {knob.lo}:{knob.hi} is invalid; accepted: 0 < LO <= HI")
        return np.exp(rng.uniform(math.log(knob.lo), math.log(knob.hi), n))
    return rng.uniform(knob.lo, knob.hi, n)
