"""lrbias: theory checks for large-learning-rate implicit biases of gradient descent on ℓ(xy).

This module is the supported front: the names in ``__all__`` (a test asserts the list), documented
in ``docs/api/``.  Everything else (``lrbias.losses``, ``lrbias.gd``, ``lrbias.claims``,
``lrbias.report``, ``lrbias.cli``, ``lrbias.nn``) is internal by convention and may change between
versions; ``lrbias.api`` is the same front under the name variant files have always imported.

The front holds the data path in order: a loss family (:func:`get_family`,
:func:`register_family`, :func:`degree_of_regularity`) → the GD engines (:func:`run_batch`,
:func:`run_mp`, :func:`run_auto`, :func:`run_arb` under one :class:`Settings`; :func:`certify`, a
proof about one run, returning a :class:`Certificate`) → sweeps (:func:`sweep` of a :class:`Case`
from a start distribution, :func:`register_starts`, :func:`converged`) → claims (:class:`Entry`
with its :class:`Check` verdicts and :class:`Mutant`; the keyword-only builders :func:`batch_claim`
from a batch statistic and :func:`compared_claim` from a check over several sweeps,
:func:`two_kappas`, :func:`against_reference`, :func:`across_families`; a :class:`Rival`) → the
catalogue (a declared :class:`Group`, :func:`load_groups`, :func:`load_entries`,
:func:`load_variant_file`, :func:`run_entry`).  The HTML report is the ``lrbias report`` command.
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
    "Case": "lrbias.claims.sweeps",
    "Certificate": "lrbias.gd.certificate",
    "Check": "lrbias.verdict",
    "Compared": "lrbias.claims.statistical",
    "Conclusion": "lrbias.claims.entry",
    "Entry": "lrbias.claims.entry",
    "EntryResult": "lrbias.claims.runner",
    "Family": "lrbias.losses.families",
    "Frontier": "lrbias.claims.frontier",
    "Group": "lrbias.claims.group",
    "LrbiasError": "lrbias.errors",
    "MIN_CONVERGED": "lrbias.claims.statistics",
    "Mutant": "lrbias.claims.entry",
    "Outcome": "lrbias.gd",
    "PROFILES": "lrbias.claims.profiles",
    "Profile": "lrbias.claims.profiles",
    "Rival": "lrbias.claims.statistical",
    "RunRecord": "lrbias.gd",
    "STATISTICS": "lrbias.claims.statistics",
    "Settings": "lrbias.gd",
    "Statistic": "lrbias.claims.entry",
    "Verdict": "lrbias.verdict",
    "across_families": "lrbias.claims.statistical",
    "against_reference": "lrbias.claims.statistical",
    "batch_claim": "lrbias.claims.statistical",
    "builtin_specs": "lrbias.losses.families",
    "cases": "lrbias.claims.statistical",
    "certify": "lrbias.gd.certificate",
    "compared_claim": "lrbias.claims.statistical",
    "converged": "lrbias.claims.sweeps",
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
    "load_groups": "lrbias.claims.catalogue",
    "load_variant_file": "lrbias.claims.variants",
    "median_ratio_at_least": "lrbias.claims.statistics",
    "objective": "lrbias.gd.objective",
    "passed": "lrbias.verdict",
    "register_family": "lrbias.losses.families",
    "register_starts": "lrbias.claims.starts",
    "run_arb": "lrbias.gd",
    "run_auto": "lrbias.gd",
    "run_batch": "lrbias.gd",
    "run_entry": "lrbias.claims.runner",
    "run_mp": "lrbias.gd",
    "select": "lrbias.claims.catalogue",
    "share_converged": "lrbias.claims.statistics",
    "sized": "lrbias.claims.statistical",
    "strategies": "lrbias.claims.strategies",
    "sweep": "lrbias.claims.sweeps",
    "two_kappas": "lrbias.claims.statistical"
}

if _typing.TYPE_CHECKING:
    from lrbias.claims import strategies
    from lrbias.claims.catalogue import entry_by_id, load_entries, load_groups, select
    from lrbias.claims.entry import Conclusion, Entry, Mutant, Statistic
    from lrbias.claims.frontier import Frontier
    from lrbias.claims.group import Group
    from lrbias.claims.profiles import PROFILES, Profile, get_profile
    from lrbias.claims.runner import EntryResult, run_entry
    from lrbias.claims.starts import register_starts
    from lrbias.claims.statistical import (
        Compared,
        Rival,
        across_families,
        against_reference,
        batch_claim,
        cases,
        compared_claim,
        sized,
        two_kappas,
    )
    from lrbias.claims.statistics import (
        MIN_CONVERGED,
        STATISTICS,
        eos_share_at_most,
        imbalance_bound,
        imbalance_shrinks,
        median_ratio_at_least,
        share_converged,
    )
    from lrbias.claims.sweeps import Case, converged, sweep
    from lrbias.claims.variants import load_variant_file
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
    "MIN_CONVERGED",
    "PROFILES",
    "STATISTICS",
    "ArtefactReport",
    "BatchResult",
    "Case",
    "Certificate",
    "Check",
    "Compared",
    "Conclusion",
    "Entry",
    "EntryResult",
    "Family",
    "Frontier",
    "Group",
    "LrbiasError",
    "Mutant",
    "Outcome",
    "Profile",
    "Rival",
    "RunRecord",
    "Settings",
    "Statistic",
    "Verdict",
    "__version__",
    "across_families",
    "against_reference",
    "batch_claim",
    "builtin_specs",
    "cases",
    "certify",
    "compared_claim",
    "converged",
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
    "load_groups",
    "load_variant_file",
    "median_ratio_at_least",
    "objective",
    "passed",
    "register_family",
    "register_starts",
    "run_arb",
    "run_auto",
    "run_batch",
    "run_entry",
    "run_mp",
    "select",
    "share_converged",
    "sized",
    "strategies",
    "sweep",
    "two_kappas",
]
