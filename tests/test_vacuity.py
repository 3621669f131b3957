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
from dataclasses import replace

import numpy as np
import pytest

from lrbias.claims.catalogue import load_entries, with_starts
from lrbias.claims.profiles import PROFILES
from lrbias.claims.runner import run_entry
from lrbias.claims.starts import STARTS, register_starts
from lrbias.claims.statistical import Rival, batch_claim, decide
from lrbias.claims.statistics import minimiser_bound
from lrbias.claims.sweeps import CAP, Case
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

GOOD_ORDER_FAILING = ("shell", (3.0, 0, 200), "shell starts at κ = 3: a = 1 reaches the edge, a ≤ 1/2 does not")

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
    "sharpness.edge-of-stability-good-regularity": ("box", ("softplus-pair:a=1/4", 3.0, 0, 200),
                                                    "box starts, softplus-pair a = 1/4 at κ = 3"),
    "sharpness.fewer-starts-reach-edge-bad-regularity": ("shell", ("power:b=3", 2.2, 0, 200),
                                                         "shell starts at κ = 2.2"),
    "balancing.stronger-for-larger-lr": ("box", ("quartic", 0.5, 0, 200), "quartic from κ = 0.5 to 1"),
    "catapult.unstable-minimiser": (None, ("logcosh", 1.5, 0, 200), "stable minimisers (local κ = 1.5)"),
    "ordering.eos-share-falls-with-dor": ("unbalanced", (3.0, 0, 200),
                                          "unbalanced starts at κ = 3: power b = 3 beats the square loss"),
    "ordering.edge-share-falls-with-a": GOOD_ORDER_FAILING,
    "catapult.more-for-worse-regularity": ("unbalanced", (4.5, 0, 200),
                                           "unbalanced starts at κ = 4.5: no square-loss run converges"),
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


AT_UNSTABLE = Case("logcosh", 2.001, 0, 50)
"""Starts on minimisers at local κ = 2.001: the multiplier 1.001 needs more than 5000 steps to push a run off."""


def test_a_run_left_on_an_unstable_minimiser_is_followed_to_a_decision():
    """The stability bound read from final points fails at a fixed 5000 steps from starts on minimisers just too
    sharp for h (the runs are still sitting there, open); decided at convergence the open runs are followed
    until they leave, and the same statistic passes at a larger rung, with the cap stated."""
    fixed = decide(minimiser_bound(), AT_MINIMISERS, steps=5000)(AT_UNSTABLE)
    assert fixed.verdict == Verdict.INCONCLUSIVE and fixed.detail["undecided_can_flip"], fixed
    followed = decide(minimiser_bound(), AT_MINIMISERS)(AT_UNSTABLE)
    assert followed.verdict == Verdict.PASS, followed
    assert followed.detail["steps"] > 5000 and followed.detail["budget_cap"] == CAP
    assert followed.detail["stopped"] == "decided"


def test_the_runner_decides_a_batch_claim_at_convergence():
    from hypothesis import strategies as st

    entry = batch_claim(id="test.minimiser-bound", title="t", statement="s", families=["logcosh"],
                        kappa=(2.001, 2.001), statistic=minimiser_bound(), starts=AT_MINIMISERS,
                        rival=Rival("r", minimiser_bound(0.5)), fails_if="f")
    pinned = replace(entry, hypotheses=st.just(AT_UNSTABLE))
    result = run_entry(pinned, PROFILES["smoke"], seed=0)
    assert result.verdict == "pass", result
    assert result.budget is None, "no 4x re-check: the case was followed to a decision"
    assert result.evidence["budget_cap"] == CAP and result.evidence["steps"] > 5000
    assert math.isfinite(result.worst_margin)
