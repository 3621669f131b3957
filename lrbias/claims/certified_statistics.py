"""Population statistics bounded over certified runs: the proofs behind refutations of share and median claims.

A refutation of "at least half of the converged runs end at the edge" or "doubling κ halves the median
imbalance" is a fact about a whole sweep, not one run.  It is still a theorem once every run of the
sweep is certified (:func:`lrbias.claims.statistical.certify_sample`: converged with enclosures,
periodic or diverged) and each run that is *not* proven is counted in the worst case for the proof
(converged, with whichever value helps the refuted claim most).  A share or a median is monotone in
each run's value, so evaluating it at the ends of the enclosures bounds it; the bounds below hold
whatever the unproven runs do.  Each hook is ``certify(starts)(case) -> dict`` (a :class:`Rival`'s
``certify``), giving ``{"tier": "certified", "how": ...}`` or ``{"tier": "float64", "reason": ...}``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from lrbias.claims.statistical import Compared, Sweep, certify_sample
from lrbias.claims.statistics import EDGE_BAND, MIN_CONVERGED, catapulted, edge_runs
from lrbias.claims.sweeps import STEPS, converged
from lrbias.gd import BatchResult
from lrbias.losses.families import get_family

WIDTH = 1e-3
"""The relative width the limit enclosures are narrowed to: a run whose enclosure then still straddles a
threshold counts in the worst case for the proof (sound), and narrowing further costs ~1.6× the time."""


@dataclass(frozen=True)
class Certified:
    """A sweep's runs once certified: the ones proven converged, and how many are not proven at all
    (the runs proven periodic or diverged are in neither: they are not converged)."""

    converged: tuple[Any, ...]
    unproven: int

    @classmethod
    def of(cls, batch: BatchResult, width: float = WIDTH) -> Certified:
        from lrbias.gd.certificate import CONVERGED

        certs, unproven = certify_sample(batch, width)
        return cls(tuple(c for c in certs if c.outcome == CONVERGED), unproven)


def _at_edge(cert: Any, band: float = EDGE_BAND) -> tuple[bool, bool]:
    """(proven at the edge, possibly at the edge) for a certified converged run: κ > 2 and S∞h/2 ≥ ``band``,
    with κ = hℓ″(1)(x0² + y0²) evaluated in arb from the exact binary start."""
    import flint

    fam = get_family(cert.spec)
    kappa = flint.arb(cert.h) * fam.arb.d2(flint.arb(1)) * (flint.arb(cert.x0) ** 2 + flint.arb(cert.y0) ** 2)
    proven = bool(kappa > 2) and cert.ratio.lo >= band
    possible = not bool(kappa <= 2) and cert.ratio.hi >= band
    return proven, possible


def _catapulted(cert: Any) -> tuple[bool, bool]:
    """(proven to catapult, possibly catapults) for a certified converged run: the loss rises above its start
    (ℓ(s_t) > ℓ(s_0) for the whole ball at some step), or is proven never to (the largest rise's upper bound,
    over the steps followed and the tail box after them, is at most 1)."""
    never = cert.max_rise_upper is not None and cert.max_rise_upper <= 1
    return cert.catapult is not None, not never


class Counted(NamedTuple):
    """What a share of converged runs counts: ``runs`` the float64 mask of a sweep, ``flags(certificate)`` whether
    a certified converged run is proven in the set and whether it may be."""

    name: str
    runs: Callable[[BatchResult], np.ndarray]
    flags: Callable[[Any], tuple[bool, bool]]


EDGE = Counted("at the edge (S∞h/2 >= 0.95, κ > 2)", edge_runs, _at_edge)
CATAPULT = Counted("that catapult (the loss rises above its start)", catapulted, _catapulted)


def share_bounds_of(sample: Certified, flags: Callable[[Any], tuple[bool, bool]]) -> tuple[float, float]:
    """The share of the converged runs ``flags`` counts, proven (low, high): the unproven runs counted converged
    and out of the set (low) or in it (high)."""
    seen = [flags(c) for c in sample.converged]
    total = len(seen) + sample.unproven
    if total == 0:
        return 0.0, 0.0
    proven = sum(p for p, _ in seen)
    possible = sum(q for _, q in seen)
    return proven / total, (possible + sample.unproven) / total


def edge_share_bounds(sample: Certified, band: float = EDGE_BAND) -> tuple[float, float]:
    """The share of the converged runs at the edge (κ > 2 and S∞h/2 ≥ ``band``), proven (low, high)."""
    return share_bounds_of(sample, functools.partial(_at_edge, band=band))


def imbalance_ratio_median_bounds(sample: Certified) -> tuple[float, float]:
    """The median of |d∞| / |d0| (d = x² − y²) over the converged runs, proven (low, high): the enclosure
    ends of each certified run, and each unproven run (or one whose d0 ball holds 0) counted converged
    with ratio 0 (low) or +inf (high)."""
    from flint import arb

    from lrbias.gd.certificate import lower, upper

    lows, highs, open_ = [], [], sample.unproven
    for c in sample.converged:
        d0 = abs((arb(c.x0) - arb(c.y0)) * (arb(c.x0) + arb(c.y0)))
        if not d0 > 0:
            open_ += 1
            continue
        ratio = abs(c.balls["imbalance"]) / d0
        lows.append(max(lower(ratio), 0.0))
        highs.append(upper(ratio))
    if not lows and not open_:
        return math.nan, math.nan
    return float(np.median(lows + [0.0] * open_)), float(np.median(highs + [math.inf] * open_))


def _not_proven(reason: str, **shown: Any) -> dict:
    return {"tier": "float64", "reason": reason, **shown}


def _proven(how: str, samples: Sequence[Certified], **shown: Any) -> dict:
    runs = sum(len(s.converged) for s in samples)
    unproven = sum(s.unproven for s in samples)
    which = "this sweep" if len(samples) == 1 else f"these {len(samples)} sweeps"
    return {"tier": "certified", "how": f"{how} (every run of {which} certified; {unproven} not proven, counted in "
            "the worst case for the proof)", "certified_converged": runs, "unproven": unproven, **shown}


def edge_share_certificate(level: float, band: float = EDGE_BAND) -> Callable[[str], Callable[[Any], dict]]:
    """A failure of "at least ``level`` of the converged runs end at the edge" (:func:`edge_statistic`) on a
    case (spec, κ, seed, n), proven: at least MIN_CONVERGED runs are certified converged and the proven
    upper bound of the share at the edge is below ``level``."""
    def for_starts(starts: str) -> Callable[[Any], dict]:
        def certify_case(case: Any) -> dict:
            sample = Certified.of(Sweep(*tuple(case)[:4]).run(starts, STEPS))
            if len(sample.converged) < MIN_CONVERGED:
                return _not_proven(f"only {len(sample.converged)} runs are certified converged (at least "
                                   f"{MIN_CONVERGED} decide the statistic)")
            lo, hi = edge_share_bounds(sample, band)
            shown = {"edge_share_bounds": [lo, hi]}
            if hi < level:
                return _proven(f"the share of the converged runs at the edge (S∞h/2 >= {band:g}) is at most "
                               f"{hi:.4g} < {level:g}", [sample], **shown)
            return _not_proven(f"the share's proven upper bound {hi:.4g} is not below {level:g}", **shown)
        return certify_case
    return for_starts


def stronger_balancing_certificate(compared: Compared, strict: float) -> Callable[[str], Callable[[Any], dict]]:
    """A failure of "doubling κ divides the median |d∞|/|d0| of converged runs by more than 1/``strict``" on a
    case of ``compared`` (its sweeps at κ and 2κ), proven: both sweeps have at least MIN_CONVERGED runs
    certified converged and the proven low median at 2κ is at least ``strict`` × the proven high one at κ."""
    def for_starts(starts: str) -> Callable[[Any], dict]:
        def certify_case(case: Any) -> dict:
            samples = [Certified.of(s.run(starts, STEPS)) for s in compared.sweeps(case)]
            few = min(len(s.converged) for s in samples)
            if few < MIN_CONVERGED:
                return _not_proven(f"only {few} runs of a sweep are certified converged (at least {MIN_CONVERGED} "
                                   "decide the statistic)")
            (_, hi0), (lo1, _) = (imbalance_ratio_median_bounds(s) for s in samples)
            shown = {"median_at_kappa_at_most": hi0, "median_at_double_at_least": lo1}
            if lo1 >= strict * hi0:
                return _proven(f"the median |d∞|/|d0| at 2κ is at least {lo1:.6g}, at κ at most {hi0:.6g}: "
                               f"not below {strict:g}× it", samples, **shown)
            return _not_proven(f"the proven medians ({hi0:.6g} at κ, {lo1:.6g} at 2κ) do not refute it", **shown)
        return certify_case
    return for_starts


def share_spread_certificate(compared: Compared, spread: float = 0.1,
                             counted: Counted = EDGE) -> Callable[[str], Callable[[Any], dict]]:
    """A failure of "the shares of converged runs ``counted`` lie within ``spread`` of each other" on a case of
    ``compared`` (one sweep per family), proven on the two sweeps whose float64 shares are farthest apart:
    the proven low share of one exceeds the proven high share of the other by more than ``spread``."""
    def for_starts(starts: str) -> Callable[[Any], dict]:
        def certify_case(case: Any) -> dict:
            sweeps = list(compared.sweeps(case))
            batches = [s.run(starts, STEPS) for s in sweeps]
            shares = [_float_share(b, counted) for b in batches]
            top, bottom = int(np.argmax(shares)), int(np.argmin(shares))
            samples = [Certified.of(batches[i]) for i in (top, bottom)]
            (lo_top, _), (_, hi_bottom) = (share_bounds_of(s, counted.flags) for s in samples)
            shown = {"families": [sweeps[top].spec, sweeps[bottom].spec], "high_share_at_least": lo_top,
                     "low_share_at_most": hi_bottom}
            if lo_top - hi_bottom > spread:
                return _proven(f"{sweeps[top].spec}: at least {lo_top:.4g} of the converged runs {counted.name}; "
                               f"{sweeps[bottom].spec}: at most {hi_bottom:.4g}; apart by more than {spread:g}",
                               samples, **shown)
            return _not_proven(f"the proven shares ({lo_top:.4g} and {hi_bottom:.4g}) are not more than {spread:g} "
                               "apart", **shown)
        return certify_case
    return for_starts


def _float_share(b: BatchResult, counted: Counted) -> float:
    """The float64 share of the converged runs ``counted`` (which sweeps to certify first)."""
    conv = int(converged(b).sum())
    return int(counted.runs(b).sum()) / conv if conv else 0.0
