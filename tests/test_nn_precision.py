"""float32 against float64 HVP sharpness along a run (lrbias.nn.precision), and the S0 record of a grid."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from lrbias.claims.nn import Grid, train_grid  # noqa: E402
from lrbias.nn.config import RunConfig  # noqa: E402
from lrbias.nn.precision import compare_hvp_dtypes  # noqa: E402
from lrbias.nn.trainer import initial_sharpness, prepare  # noqa: E402

pytestmark = pytest.mark.nn

TINY = RunConfig(n=60, width=8, steps=4, activation="tanh", loss="mse", device="cpu", sharpness_every=2)


@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_float32_and_float64_hvps_agree_closely_along_a_run() -> None:
    prep = prepare(TINY)
    s0 = initial_sharpness(prep)
    cmp = compare_hvp_dtypes(prep, 0.8 * 2 / s0, steps=4, every=2, tol=1e-8)
    assert cmp.steps == [0, 2, 4]
    assert cmp.top64[0] == pytest.approx(s0, rel=1e-4)
    assert 0 <= cmp.max_relative_gap < 1e-4
    assert all(math.isfinite(r) and r >= 0 for r in cmp.residual32 + cmp.residual64)


def test_grid_learning_rates_are_multiples_of_two_over_s0() -> None:
    runs = train_grid(Grid("tiny", TINY, (0.5, 1.5)))
    s0 = runs[0].meta["s0"]
    assert s0 == pytest.approx(initial_sharpness(prepare(TINY)), rel=1e-6)
    assert [r.lr for r in runs] == pytest.approx([0.5 * 2 / s0, 1.5 * 2 / s0])
    assert [r.summary()["s0_lr_over_2"] for r in runs] == pytest.approx([0.5, 1.5])
    assert [r.meta["lr_multiple"] for r in runs] == [0.5, 1.5]
    for r in runs:
        assert len(r.meta["lanczos_residual"]) == len(r.sharpness_steps)  # a residual with every value
        assert r.meta["s0_residual"] < 1e-3 * s0


def test_run_round_trips_through_json() -> None:
    import json

    from lrbias.nn import phenomena
    from lrbias.nn.trainer import RunResult

    run = train_grid(Grid("tiny", TINY, (0.8,)))[0]
    back = RunResult.from_dict(json.loads(json.dumps(run.as_dict())))
    assert back.config == run.config and back.lr == run.lr
    assert back.top_sharpness == run.top_sharpness and back.history == run.history
    assert back.summary()["s0_lr_over_2"] == pytest.approx(0.8)
    assert phenomena.classify_eos(back)[0] == phenomena.classify_eos(run)[0]
