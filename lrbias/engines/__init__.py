"""Gradient-descent engines: batched float64, mpmath (fixed or adaptive precision), arb balls.

An engine knows nothing of theorems or reports: it takes a family, starts and step sizes and
returns run records.
"""

from .artefacts import ArtefactReport, float_artefact_check, suspects
from .batched import BatchResult, run_batch
from .outcome import Outcome, RunRecord, Settings
from .scalar import agree, run_arb, run_auto, run_mp

__all__ = ["ArtefactReport", "BatchResult", "Outcome", "RunRecord", "Settings", "agree",
           "float_artefact_check", "run_arb", "run_auto", "run_batch", "run_mp", "suspects"]
