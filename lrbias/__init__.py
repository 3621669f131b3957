"""lrbias: theory checks for large-learning-rate implicit biases of gradient descent on ℓ(xy).

This module is the supported front: the names in ``__all__`` (a test asserts the list), documented
in ``docs/api.md``.  Everything else (``lrbias.losses``, ``lrbias.gd``, ``lrbias.claims``,
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

import importlib as _importlib
import typing as _typing

from lrbias._version import __version__

# The front is lazy (PEP 562): ``import lrbias`` loads nothing but this table, so the pytest
# plugin and ``lrbias --help`` cost nothing until a name is used.  Name → the module defining it
# (a module of the same last name is the name itself: ``strategies``, ``objective``).
_FRONT: dict[str, str] = {
    "ArtefactReport": "lrbias.gd",
    "BatchResult": "lrbias.gd",
    "Certificate": "lrbias.gd.certificate",
    "Check": "lrbias.verdict",
    "Conclusion": "lrbias.claims.entry",
    "Entry": "lrbias.claims.entry",
    "EntryResult": "lrbias.claims.runner",
    "Family": "lrbias.losses.families",
    "Frontier": "lrbias.claims.frontier",
    "LrbiasError": "lrbias.errors",
    "Mutant": "lrbias.claims.entry",
    "Outcome": "lrbias.gd",
    "PROFILES": "lrbias.claims.profiles",
    "Profile": "lrbias.claims.profiles",
    "RunRecord": "lrbias.gd",
    "STATISTICS": "lrbias.claims.statistics",
    "Settings": "lrbias.gd",
    "Statistic": "lrbias.claims.entry",
    "Verdict": "lrbias.verdict",
    "batch_claim": "lrbias.claims.statistical",
    "builtin_specs": "lrbias.losses.families",
    "cases": "lrbias.claims.statistical",
    "certify": "lrbias.gd.certificate",
    "degree_of_regularity": "lrbias.losses.regularity",
    "entry_by_id": "lrbias.claims.catalogue",
    "eos_share_at_most": "lrbias.claims.statistics",
    "fail": "lrbias.verdict",
    "float_artefact_check": "lrbias.gd",
    "get_family": "lrbias.losses.families",
    "get_profile": "lrbias.claims.profiles",
    "holds": "lrbias.verdict",
    "imbalance_bound": "lrbias.claims.statistics",
    "imbalance_shrinks": "lrbias.claims.statistics",
    "inconclusive": "lrbias.verdict",
    "load_entries": "lrbias.claims.catalogue",
    "median_ratio_at_least": "lrbias.claims.statistics",
    "objective": "lrbias.gd.objective",
    "passed": "lrbias.verdict",
    "register_family": "lrbias.losses.families",
    "run_arb": "lrbias.gd",
    "run_auto": "lrbias.gd",
    "run_batch": "lrbias.gd",
    "run_entry": "lrbias.claims.runner",
    "run_mp": "lrbias.gd",
    "select": "lrbias.claims.catalogue",
    "share_converged": "lrbias.claims.statistics",
    "sized": "lrbias.claims.statistical",
    "strategies": "lrbias.claims.strategies"
}

if _typing.TYPE_CHECKING:
    from lrbias.claims import strategies
    from lrbias.claims.catalogue import entry_by_id, load_entries, select
    from lrbias.claims.entry import Conclusion, Entry, Mutant, Statistic
    from lrbias.claims.frontier import Frontier
    from lrbias.claims.profiles import PROFILES, Profile, get_profile
    from lrbias.claims.runner import EntryResult, run_entry
    from lrbias.claims.statistical import batch_claim, cases, sized
    from lrbias.claims.statistics import (
        STATISTICS,
        eos_share_at_most,
        imbalance_bound,
        imbalance_shrinks,
        median_ratio_at_least,
        share_converged,
    )
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
    from lrbias.gd.certificate import Certificate, certify
    from lrbias.losses.families import Family, builtin_specs, get_family, register_family
    from lrbias.losses.regularity import degree_of_regularity
    from lrbias.verdict import Check, Verdict, fail, holds, inconclusive, passed


def __getattr__(name: str) -> _typing.Any:
    """Load a front name on first use (then it is an ordinary module attribute)."""
    where = _FRONT.get(name)
    if where is None:
        raise AttributeError(f"module 'lrbias' has no attribute {name!r}")
    module = _importlib.import_module(where)
    value = module if where.rpartition(".")[2] == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
