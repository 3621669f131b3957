"""Start distributions: named, seeded, stated in every batch claim, selectable with --starts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrbias.claims.catalogue import entry_by_id, load_entries, with_starts
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import PROFILES
from lrbias.claims.starts import SHELL_Q0, STARTS, get_starts, register_starts, start_imbalance
from lrbias.claims.statistics import share_converged
from lrbias.claims.sweeps import sweep
from lrbias.cli import main
from lrbias.errors import LrbiasError
from lrbias.verdict import holds

ENTRIES = load_entries(include_nn=False)


def test_built_in_distributions_draw_what_they_say():
    x, y = get_starts("box")(500, 3)
    assert np.all((np.abs(x) >= 0.5) & (np.abs(x) <= 4) & (np.abs(y) >= 0.5) & (np.abs(y) <= 4))
    assert (np.sign(x) != np.sign(y)).any()
    x, y = get_starts("unbalanced")(500, 3)
    assert np.all((np.abs(x) >= 0.05) & (np.abs(x) <= 1) & (np.abs(y) >= 3) & (np.abs(y) <= 10))
    assert np.all(np.sign(x) == np.sign(y)) and (x < 0).any()
    x, y = get_starts("shell")(500, 3)
    np.testing.assert_allclose(x * x + y * y, SHELL_Q0)
    imbalance = start_imbalance(x, y)
    assert imbalance.min() < 0.05 and imbalance.max() > 0.95
    a, b = get_starts("shell")(500, 3)
    assert np.array_equal(a, x) and np.array_equal(b, y)


def test_unknown_or_clashing_names_are_clear_errors():
    with pytest.raises(LrbiasError, match="unknown start distribution 'nope'; accepted: box, unbalanced, shell"):
        get_starts("nope")
    with pytest.raises(LrbiasError, match="already registered"):
        register_starts("box", "another box", lambda n, seed: (np.ones(n), np.ones(n)))
    with pytest.raises(LrbiasError, match="name"):
        register_starts("two words", "x", lambda n, seed: (np.ones(n), np.ones(n)))


def test_every_batch_claim_states_its_starts_and_can_be_rebuilt_for_another():
    batch_entries = [e for e in ENTRIES if e.starts is not None]
    assert len(batch_entries) >= 8
    for entry in batch_entries:
        assert f"Starts: {entry.starts}" in entry.statement, entry.id
        assert f"starts: {entry.starts}" in entry.assumptions, entry.id
    rebuilt = with_starts(batch_entries, "unbalanced")
    for old, new in zip(batch_entries, rebuilt, strict=True):
        assert new.id == old.id
        if old.restart is not None:
            assert new.starts == "unbalanced" and "Starts: unbalanced" in new.statement
            assert new.rival is None or "Starts: unbalanced" in new.rival.description
        else:
            assert new is old


def test_the_start_distribution_moves_a_verdict():
    """softplus-pair a = 1/4 at κ = 3: 94% of the converged runs end at the edge from unbalanced starts, about
    10% from the box: the same claim holds for one population and fails for the other."""
    entry = entry_by_id("sharpness.edge-of-stability-good-regularity", ENTRIES)
    assert entry.starts == "unbalanced"
    case = ("softplus-pair:a=1/4", 3.0, 0, 200)
    assert entry.conclusion(case).verdict == "pass"
    assert with_starts([entry], "box")[0].conclusion(case).verdict == "fail"


def test_a_sweep_at_a_larger_budget_reruns_only_undecided_runs():
    base = sweep("power:b=3", 2.0, 0, 120, "unbalanced")
    wide = sweep("power:b=3", 2.0, 0, 120, "unbalanced", steps=4 * base.settings.max_steps)
    decided = base.outcome != 3
    assert np.array_equal(base.outcome[decided], wide.outcome[decided])
    assert np.array_equal(base.x[decided], wide.x[decided], equal_nan=True)
    assert wide.meta["rerun_rows"] == int((~decided).sum()) > 0
    assert wide.settings.max_steps == 4 * base.settings.max_steps


def test_a_frontier_is_scanned_per_start_distribution():
    stat = share_converged(0.9)
    frontier = Frontier(("square",), 1.0, 8.0, lambda spec, k, n, seed, starts: stat(sweep(spec, k, seed, n,
                                                                                            starts))[0],
                        grid=3, starts=("box", "unbalanced"))
    result = frontier.compute(PROFILES["smoke"])
    assert result["starts"] == "box" and set(result["by_starts"]) == {"box", "unbalanced"}
    assert result["families"] == result["by_starts"]["box"]
    assert result["by_starts"]["unbalanced"]["square"]["points"]


def test_a_variant_registers_its_own_starts_and_check_selects_it(tmp_path, capsys):
    variant = tmp_path / "narrow.py"
    variant.write_text(
        "import numpy as np\n"
        "from lrbias.claims.starts import STARTS, register_starts\n"
        "if 'narrow-test' not in STARTS:\n"
        "    register_starts('narrow-test', 'x0, y0 uniform in [0.9, 1.1]',\n"
        "                    lambda n, seed: tuple(np.random.default_rng(seed).uniform(0.9, 1.1, (2, n))))\n"
        "ENTRIES = []\n", encoding="utf-8")
    out = tmp_path / "r.json"
    code = main(["check", "convergence.none-above-threshold", "--profile", "smoke", "--no-nn", "--quiet",
                 "--variants", str(variant), "--starts", "narrow-test", "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    record = doc["entries"][0]
    assert record["starts"] == "narrow-test" and "Starts: narrow-test" in record["statement"]
    assert "--starts narrow-test" in doc["command"]
    assert record["evidence"]["rival_refuted"] is not None
    assert "narrow-test" in STARTS


def test_check_rejects_an_unknown_start_distribution(capsys):
    assert main(["check", "convergence", "--profile", "smoke", "--no-nn", "--starts", "nope"]) == 2
    assert "lrbias: error: unknown start distribution 'nope'" in capsys.readouterr().err


def test_predicate_signature_is_spec_kappa_n_seed_starts():
    seen = []
    frontier = Frontier(("square",), 1.0, 2.0, lambda *args: seen.append(args) or holds(True, 1.0), grid=2,
                        starts=("shell",))
    frontier.compute(PROFILES["smoke"], seed=5)
    assert seen[0] == ("square", 1.0, PROFILES["smoke"].frontier_starts, 5, "shell")
