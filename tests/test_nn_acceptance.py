"""The NN claims on the embedded digits data at their grids (slow: about 4 minutes on one CPU core).

Same runs as ``lrbias nn-grid --claims all --device cpu``.  ``nn.bn-restores-eos`` was not observed
at these sizes (see the figures in that command's output), so it is an expected failure here.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from lrbias.claims.nn import check_claims, run_grids  # noqa: E402
from lrbias.claims.verdict import Verdict  # noqa: E402
from theorems.nn import NN_CLAIMS as CLAIMS  # noqa: E402

pytestmark = [pytest.mark.nn, pytest.mark.slow]

NOT_OBSERVED = {"nn.bn-restores-eos"}


@pytest.fixture(scope="module")
def verdicts():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = run_grids(CLAIMS, {"device": "cpu"})
    finally:
        torch.set_num_threads(before)
    return check_claims(CLAIMS, results)


@pytest.mark.parametrize("claim_id", [
    pytest.param(c.id, marks=pytest.mark.xfail(reason="not observed on digits at these sizes", strict=True))
    if c.id in NOT_OBSERVED else c.id for c in CLAIMS])
def test_claim_holds(verdicts, claim_id: str) -> None:
    check = verdicts[claim_id]
    assert check.verdict == Verdict.PASS, check.detail
