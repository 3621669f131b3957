"""The vacuity audit: every catalogue entry can fail on a realistic input, not only under a mutant.

For each entry, :data:`FAILING` holds an input built the way a user's experiment would be (a
loss outside the claim's hypotheses, a κ past its frontier, another start distribution, GD with
weight decay, a start a little off an invariant line) on which the entry's *own* conclusion
fails; where a nearby input is inside the hypotheses, :data:`HOLDING` shows the conclusion passes
there, so the failure comes from what changed.  The neural-network entries (theorems/nn.py) are
audited in tests/test_nn_vacuity.py.  (The local linear rate, for which no realistic failing input
exists, is no longer an entry: it is a test of the engine, tests/test_engine_rate.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrbias.claims.catalogue import load_entries, with_starts
from lrbias.claims.profiles import PROFILES
from lrbias.claims.runner import budget_check, run_entry
from lrbias.claims.starts import STARTS, register_starts
from lrbias.losses.families import KINDS, register_family
from lrbias.verdict import Verdict

ENTRIES = {e.id: e for e in load_entries(include_nn=False)}


def _near_minimisers(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts within 1e-12 of minimisers (t, 1/t): a run must first leave an unstable one."""
    rng = np.random.default_rng(seed)
    t = np.exp(rng.uniform(-0.5, 0.5, n))
    return t * (1 + 1e-12), 1 / t


AT_MINIMISERS = "at-minimisers-test"


@pytest.fixture(scope="module", autouse=True)
def _test_family_and_starts():
    """The failing inputs' own family and start distribution, registered for this module only (the
    registries are process-wide: left behind, they would change other modules' view of the built-ins)."""
    register_family("square-tiny-quartic", "(s - 1)**2/2 + (s - 1)**4/1000000",
                    description="dor 4, but square-like wherever |s| < 100")
    if AT_MINIMISERS not in STARTS:
        register_starts(AT_MINIMISERS, "within 1e-12 of minimisers (t, 1/t), t = e^u, u in [-0.5, 0.5]",
                        _near_minimisers)
    yield
    KINDS.pop("square-tiny-quartic", None)
    STARTS.pop(AT_MINIMISERS, None)

# id -> (start distribution or None, the failing case, the reason in words)
FAILING = {
    "exact.balancing-identity": (None, ("logcosh", (1.3, 0.4), 0.1, 1e-2), "GD with weight decay 1e-2"),
    "exact.product-update": (None, ("logcosh", (1.3, 0.4), 0.1, 1e-2), "GD with weight decay 1e-2"),
    "exact.norm-update": (None, ("softplus-pair:a=1/2", (2.0, -0.7), 0.3, 1e-2), "GD with weight decay 1e-2"),
    "exact.hessian-spectrum-at-minimisers": (None, ("logcosh", 1.7, 1.05), "a point 5% off the minimiser set"),
    "exact.invariant-lines": (None, ("logcosh", 1.3, 0.2, 1, 1e-3), "a start 0.1% off the line y = x"),
    "stability.linear-criterion": (None, ("logcosh", 1.3, 1.9, 1.2), "a point a run passes through, s = 1.2"),
    "concentration.good-regularity-flat-far-away": (None, ("square", (10.0, 3.0)), "the square loss (dor 2)"),
    "concentration.bad-regularity-sharp-far-away": (None, ("square-tiny-quartic", (10.0, 3.0)),
                                                    "dor 4 whose quartic tail starts past |s| = 100"),
    "convergence.none-above-threshold": ("box", ("logcosh", 0.8, 0, 200), "h·ℓ″(1) = 0.8, below the threshold"),
    "convergence.good-regularity-large-lr": ("box", ("square", 6.0, 0, 200), "the square loss at κ = 6"),
    "sharpness.edge-of-stability-good-regularity": ("box", ("softplus-pair:a=1", 3.0, 0, 200),
                                                    "softplus-pair a = 1 at κ = 3"),
    "sharpness.fewer-starts-reach-edge-bad-regularity": ("shell", ("power:b=3", 2.0, 0, 200),
                                                         "shell starts at κ = 2"),
    "balancing.imbalance-shrinks": ("box", ("softplus-pair:a=1", 16.0, 0, 200), "κ = 16, past the frontier"),
    "balancing.final-imbalance-bound": (AT_MINIMISERS, ("logcosh", 2.001, 0, 50),
                                        "starts on minimisers just too sharp for h, 5000 steps"),
    "balancing.stronger-for-larger-lr": ("box", ("quartic", 0.5, 0, 200), "quartic from κ = 0.5 to 1"),
    "catapult.unstable-minimiser": (None, ("logcosh", 1.5, 0, 200), "stable minimisers (local κ = 1.5)"),
    "ordering.eos-share-falls-with-dor": ("shell", (2.0, 0, 200), "shell starts at κ = 2"),
}

HOLDING = {
    "exact.balancing-identity": ("logcosh", (1.3, 0.4), 0.1),
    "exact.product-update": ("logcosh", (1.3, 0.4), 0.1),
    "exact.norm-update": ("softplus-pair:a=1/2", (2.0, -0.7), 0.3),
    "exact.hessian-spectrum-at-minimisers": ("logcosh", 1.7),
    "exact.invariant-lines": ("logcosh", 1.3, 0.2, 1),
    "stability.linear-criterion": ("logcosh", 1.3, 1.9),
}


def _entry(entry_id: str, starts: str | None):
    entry = ENTRIES[entry_id]
    return with_starts([entry], starts)[0] if starts is not None else entry


def test_every_entry_says_what_makes_it_fail_and_has_a_rival():
    for entry in ENTRIES.values():
        assert entry.fails_if, entry.id
        assert entry.rival is not None and entry.rival.confirm is not None, entry.id
    assert set(FAILING) == set(ENTRIES), set(ENTRIES) ^ set(FAILING)


@pytest.mark.parametrize("entry_id", sorted(FAILING))
def test_a_realistic_input_makes_the_conclusion_fail(entry_id):
    starts, case, why = FAILING[entry_id]
    entry = _entry(entry_id, starts)
    check = entry.conclusion(case)
    assert check.verdict == Verdict.FAIL, f"{entry_id} on {why}: {check}"
    assert check.margin < 0
    if entry_id in HOLDING:
        assert entry.conclusion(HOLDING[entry_id]).verdict == Verdict.PASS


def test_a_run_left_on_an_unstable_minimiser_is_budget_sensitive():
    """The final-imbalance bound fails at 5000 steps from starts on minimisers at local κ = 2.001 (the
    multiplier 1.001 needs more steps to push a run off), and holds with 4x the budget: the runner
    reports such a case inconclusive (budget-sensitive), with both figures, never pass or fail."""
    entry = _entry("balancing.final-imbalance-bound", AT_MINIMISERS)
    case = FAILING["balancing.final-imbalance-bound"][1]
    record = budget_check(entry, [case])
    assert record is not None and not record["stable"]
    row = record["cases"][0]
    assert row["at_budget"]["verdict"] == "fail" and row["at_larger"]["verdict"] != "fail"
    assert row["at_budget"]["undecided"] > 0


def test_the_runner_calls_a_budget_sensitive_failure_inconclusive():
    from dataclasses import replace

    from hypothesis import strategies as st

    entry = _entry("balancing.final-imbalance-bound", AT_MINIMISERS)
    pinned = replace(entry, hypotheses=st.just(FAILING["balancing.final-imbalance-bound"][1]))
    result = run_entry(pinned, PROFILES["smoke"], seed=0)
    assert result.verdict == "inconclusive", result
    assert result.budget is not None and result.budget["stable"] is False
    assert any(n.startswith("inconclusive: budget-sensitive") for n in result.notes), result.notes
    assert result.evidence["budget_stable"] is False
    assert math.isfinite(result.budget["cases"][0]["at_budget"]["margin"])
