"""lrbias: theory checks for large-learning-rate implicit biases of gradient descent on ℓ(xy).

This module is the supported front: the names in ``__all__`` (a test asserts the list), documented
in ``docs/api/``.  Everything else (``lrbias.losses``, ``lrbias.gd``, ``lrbias.claims``,
``lrbias.report``, ``lrbias.cli``, ``lrbias.nn``) is internal by convention and may change between
versions; ``lrbias.api`` is the same front under the name variant files have always imported.

The front holds the data path in order: a loss family (:func:`get_family`,
:func:`register_family`, :func:`degree_of_regularity`) → the GD engines (:func:`run_batch`,
:func:`run_mp`, :func:`run_auto`, :func:`run_arb` under one :class:`Settings`; :func:`certify`, a
proof about one run, returning a :class:`Certificate`) → claims
(:class:`Entry` with its :class:`Check` verdicts, :func:`batch_claim` and the batch statistics) →
the catalogue (:func:`load_entries`, :func:`run_entry`).  The HTML report is the ``lrbias report``
command.
"""

from lrbias._version import __version__
from lrbias.claims import strategies
from lrbias.claims.batch import batch_claim, cases, sized
from lrbias.claims.catalogue import entry_by_id, load_entries, select
from lrbias.claims.entry import Conclusion, Entry, Mutant, Statistic
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import PROFILES, Profile, get_profile
from lrbias.claims.runner import EntryResult, run_entry
from lrbias.claims.statistics import (
    STATISTICS,
    eos_share_at_most,
    imbalance_bound,
    imbalance_shrinks,
    median_ratio_at_least,
    share_converged,
)
from lrbias.claims.verdict import Check, Verdict, fail, holds, inconclusive, passed
from lrbias.errors import LrbiasError
from lrbias.gd import (
    ArtefactReport,
    BatchResult,
    Outcome,
    RunRecord,
    Settings,
    float_artefact_check,
    objective,
    run_arb,
    run_auto,
    run_batch,
    run_mp,
)
from lrbias.gd.certify import Certificate, certify
from lrbias.losses.families import Family, builtin_specs, get_family, register_family
from lrbias.losses.regularity import degree_of_regularity

__all__ = [
    "PROFILES",
    "STATISTICS",
    "ArtefactReport",
    "BatchResult",
    "Certificate",
    "Check",
    "Conclusion",
    "Entry",
    "EntryResult",
    "Family",
    "Frontier",
    "LrbiasError",
    "Mutant",
    "Outcome",
    "Profile",
    "RunRecord",
    "Settings",
    "Statistic",
    "Verdict",
    "__version__",
    "batch_claim",
    "builtin_specs",
    "cases",
    "certify",
    "degree_of_regularity",
    "entry_by_id",
    "eos_share_at_most",
    "fail",
    "float_artefact_check",
    "get_family",
    "get_profile",
    "holds",
    "imbalance_bound",
    "imbalance_shrinks",
    "inconclusive",
    "load_entries",
    "median_ratio_at_least",
    "objective",
    "passed",
    "register_family",
    "run_arb",
    "run_auto",
    "run_batch",
    "run_entry",
    "run_mp",
    "select",
    "share_converged",
    "sized",
    "strategies",
]
