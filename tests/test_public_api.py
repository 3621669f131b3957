"""The public front: ``lrbias.__all__`` is the supported API, asserted here (as Hypothesis does).

A change to the front is deliberate: it changes the snapshot below, the API pages under ``docs/api/``
(one ``::: lrbias.NAME`` directive per name; ``tests/test_docs.py`` builds them) and, where it
removes a name, the version.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lrbias
import lrbias.api

FRONT = {
    "PROFILES", "STATISTICS", "ArtefactReport", "BatchResult", "Certificate", "Check", "Conclusion", "Entry",
    "EntryResult",
    "Family", "Frontier", "LrbiasError", "Mutant", "Outcome", "Profile", "RunRecord", "Settings", "Statistic",
    "Verdict", "__version__", "batch_claim", "builtin_specs", "cases", "certify", "degree_of_regularity", "entry_by_id",
    "eos_share_at_most", "fail", "float_artefact_check", "get_family", "get_profile", "holds", "imbalance_bound",
    "imbalance_shrinks", "inconclusive", "load_entries", "median_ratio_at_least", "objective", "passed",
    "register_family", "run_arb", "run_auto", "run_batch", "run_entry", "run_mp", "select", "share_converged",
    "sized", "strategies",
    # the tutorial's names (issue 21): sweeps, start distributions, typed builders, declared groups
    "Case", "Compared", "Group", "MIN_CONVERGED", "Rival", "across_families", "against_reference", "compared_claim",
    "converged", "load_groups", "load_variant_file", "register_starts", "sweep", "two_kappas",
}


def public_names(module) -> set[str]:
    """Names a user sees on the module that are neither private nor the package's own subpackages."""
    subpackages = {"api", "claims", "cli", "errors", "gd", "losses", "nn", "report", "serial", "pytest_plugin"}
    return {n for n in dir(module) if not n.startswith("_") and n not in subpackages
            and not (inspect.ismodule(getattr(module, n)) and n not in module.__all__)} | {"__version__"}


def test_all_is_the_front_snapshot():
    assert set(lrbias.__all__) == FRONT
    assert len(lrbias.__all__) == len(set(lrbias.__all__))


def test_every_name_resolves_and_nothing_unlisted_leaks():
    for name in lrbias.__all__:
        assert getattr(lrbias, name) is not None
    assert public_names(lrbias) == set(lrbias.__all__)


def test_api_module_is_the_same_front():
    assert lrbias.api.__all__ == lrbias.__all__
    assert all(getattr(lrbias.api, n) is getattr(lrbias, n) for n in lrbias.__all__)


def test_every_public_callable_has_a_docstring():
    missing = [n for n in lrbias.__all__ if callable(getattr(lrbias, n)) and not inspect.getdoc(getattr(lrbias, n))]
    assert missing == []


def test_the_reference_documents_exactly_the_front():
    pages = (Path(__file__).resolve().parents[1] / "docs" / "api").glob("*.md")
    documented = {n for p in pages for n in re.findall(r"^::: lrbias\.(\w+)\s*$", p.read_text(encoding="utf-8"),
                                                          flags=re.M)}
    assert documented == set(lrbias.__all__)


def test_the_snapshot_check_catches_a_leak(monkeypatch):
    """The leak check is not vacuous: an unlisted public name on the front is reported."""
    monkeypatch.setattr(lrbias, "helper_that_leaked", lambda: None, raising=False)
    assert public_names(lrbias) != set(lrbias.__all__)


def test_the_lazy_table_is_the_front():
    """Every name of ``__all__`` is in the lazy table (or is the version), and nothing else is."""
    assert set(lrbias._FRONT) | {"__version__"} == set(lrbias.__all__)


def test_importing_lrbias_loads_no_submodule_of_consequence():
    """``import lrbias`` loads the table only: no engine, claim, numpy, sympy or hypothesis."""
    code = ("import sys, lrbias; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'sympy', 'hypothesis', 'scipy', 'mpmath') or m.startswith(('lrbias.gd', 'lrbias.claims'))]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        lrbias.not_a_name  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        lrbias.api.not_a_name  # noqa: B018
