"""The NN claims on the embedded digits and mnist1d data at their grids (slow: the grids of
``lrbias nn-grid --claims all --device cpu``, trained once per process through
lrbias.claims.nn.trained_grid, so test_nn_detector.py shares them).

A claim listed in theorems.nn.KNOWN_FINDINGS was not observed on these grids (it fails or is
inconclusive on at least one dataset; the README gives the figures): it is an expected failure
here, strict, so a claim that starts passing is noticed.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from lrbias.claims.nn import check_claims, trained_grid  # noqa: E402
from lrbias.verdict import Verdict  # noqa: E402
from theorems.nn import KNOWN_FINDINGS  # noqa: E402
from theorems.nn import NN_CLAIMS as CLAIMS  # noqa: E402

pytestmark = [pytest.mark.nn, pytest.mark.slow]


@pytest.fixture(scope="module")
def verdicts():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = {g.name: trained_grid(g) for c in CLAIMS for g in c.grids}
    finally:
        torch.set_num_threads(before)
    return check_claims(CLAIMS, results)


@pytest.mark.parametrize("claim_id", [
    pytest.param(c.id, marks=pytest.mark.xfail(reason=KNOWN_FINDINGS[c.id], strict=True, raises=AssertionError))
    if c.id in KNOWN_FINDINGS else c.id for c in CLAIMS])
def test_claim_holds(verdicts, claim_id: str) -> None:
    check = verdicts[claim_id]
    assert check.verdict == Verdict.PASS, check.detail


def test_every_claim_runs_on_both_datasets() -> None:
    for claim in CLAIMS:
        datasets = [g.dataset for g in claim.grids]  # each kind of grid on both (BatchNorm has two kinds)
        assert sorted(set(datasets)) == ["digits", "mnist1d"] and datasets.count("digits") == datasets.count(
            "mnist1d"), claim.id
        assert all(g.window or g.same_h_as for g in claim.grids)  # placed in a bracketed window
