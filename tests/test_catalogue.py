"""The claim catalogue under pytest: one test per entry, one per mutant.

``pytest -k balancing`` runs those claims; ``-m exact`` / ``-m reconstructed`` / ``-m paper``
select by provenance; the Hypothesis profile (``--hypothesis-profile=ci|default|thorough``)
sets the budget.  A failure prints the shrunk counterexample and a one-line replay command.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from lrbias.claims.catalogue import load_entries
from lrbias.claims.profiles import PROFILES
from lrbias.claims.runner import run_entry
from theorems.nn import KNOWN_FINDINGS

ENTRIES = load_entries()


def _profile():
    name = settings.get_current_profile_name()
    return PROFILES.get(name, PROFILES["default"])


def _marks(entry, with_findings: bool = False):
    marks = [getattr(pytest.mark, entry.provenance)]
    if entry.group == "nn":
        marks += [pytest.mark.nn, pytest.mark.slow]
    finding = KNOWN_FINDINGS.get(entry.id)
    if with_findings and finding:
        marks.append(pytest.mark.xfail(reason=f"known finding: {finding}", strict=True))
    return marks


def _explain(result) -> str:
    lines = [f"{result.id} ({result.provenance}): {result.verdict}"]
    lines += [f"  note: {n}" for n in result.notes]
    ce = result.counterexample
    if ce is not None:
        lines.append(f"  counterexample: {ce.case!r}  margin {ce.margin:.3g}")
        lines.append(f"  high-precision confirmation: {ce.confirmed} {ce.confirmation}")
        if ce.replay:
            lines.append(f"  replay: {ce.replay}")
    return "\n".join(lines)


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id, marks=_marks(e, with_findings=True))
                                   for e in ENTRIES])
def test_catalogue_entry(entry, lrbias_results):
    profile = _profile()
    result = run_entry(entry, profile, seed=0)
    lrbias_results.add(entry, result, profile)
    assert result.verdict == "pass", _explain(result)


MUTANTS = [pytest.param(e, m, id=f"{e.id}/{m.name}", marks=_marks(e)) for e in ENTRIES for m in e.mutants]


@pytest.mark.parametrize(("entry", "mutant"), MUTANTS)
def test_mutant_is_refuted_within_ci(entry, mutant):
    """Every deliberately wrong variant is caught by the search under the ci profile."""
    result = run_entry(entry, PROFILES["ci"], seed=0, mutant=mutant)
    assert result.verdict == "fail", f"mutant {mutant.name} ({mutant.description}) survived: {result}"
    assert result.counterexample is not None


def test_every_entry_has_a_mutant_and_a_unique_id():
    ids = [e.id for e in ENTRIES]
    assert len(ids) == len(set(ids))
    assert all(e.mutants for e in ENTRIES), [e.id for e in ENTRIES if not e.mutants]
