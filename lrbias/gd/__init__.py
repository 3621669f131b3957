"""Gradient-descent engines on f(x, y) = ℓ(xy): batched float64 (numpy or torch), mpmath (fixed
or adaptive precision) and python-flint arb balls, with one set of decision rules
(:mod:`lrbias.gd.rules`, tuned by :class:`Settings`).

An engine knows nothing of theorems or reports: it takes a family, starts and step sizes and
returns run records (:class:`RunRecord`, or the arrays of a :class:`BatchResult`).

- :func:`run_batch` — many starts at once in float64 (or binary128 with ``backend="quad"``, or
  float64 through the fused numba kernel with ``backend="numba"``), decided runs leave the active set;
- :func:`run_mp` — one start in mpmath at a fixed number of digits;
- :func:`run_auto` — :func:`run_mp` at doubling precision until two precisions agree;
- :func:`run_arb` — one start in ball arithmetic; a blown-up enclosure ends as ``precision-lost``;
- :func:`float_artefact_check` — confirm the float64 verdicts near a boundary through the tiers
  of :mod:`lrbias.gd.tiers` (quad for all, batched; mpmath where float64 and quad disagree);
- :mod:`lrbias.gd.stats` — the figures of a batch (quantiles, sweep summary, phase cell).
"""

from lrbias.gd.artefacts import ArtefactReport, float_artefact_check, suspects
from lrbias.gd.outcome import Outcome, RunRecord, Settings
from lrbias.gd.scalar import agree, run_arb, run_auto, run_mp
from lrbias.gd.vectorised import BatchResult, run_batch

__all__ = ["ArtefactReport", "BatchResult", "Outcome", "RunRecord", "Settings", "agree",
           "float_artefact_check", "run_arb", "run_auto", "run_batch", "run_mp", "suspects"]
