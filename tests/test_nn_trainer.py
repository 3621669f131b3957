"""Full-batch GD: logging, determinism given the seed, shared initial state, divergence as an outcome."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from lrbias.nn.config import RunConfig  # noqa: E402
from lrbias.nn.trainer import prepare, run_lr_grid, train  # noqa: E402

pytestmark = [pytest.mark.nn, pytest.mark.usefixtures("one_torch_thread")]


SMALL = RunConfig(n=200, width=20, steps=12, sharpness_every=5, lr=0.2, device="cpu", activation="tanh")


def test_logs_every_step_and_sharpness_every_k() -> None:
    r = train(prepare(SMALL))
    assert r.outcome == "completed" and r.steps_run == 12
    assert r.history["step"] == list(range(13))
    assert all(len(v) == 13 for v in r.history.values())
    assert r.sharpness_steps == [0, 5, 10, 12]
    assert all(math.isfinite(s) and s > 0 for s in r.top_sharpness)
    assert r.history["loss"][-1] < r.history["loss"][0]


def test_plain_gd_step() -> None:
    prep = prepare(SMALL)
    model = prep.fresh_model()
    from lrbias.nn.losses import get_loss

    loss = get_loss("mse")(model(prep.x), prep.y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    expected = model.fc1.weight.detach() - 0.2 * grads[0]
    r = train(prep, steps=1)
    assert r.history["w1"][1] == pytest.approx(float(expected.norm()), rel=1e-6)


def test_deterministic_given_seed() -> None:
    a = train(prepare(SMALL))
    b = train(prepare(SMALL))
    assert a.history == b.history and a.sharpness == b.sharpness
    c = train(prepare(RunConfig(**{**SMALL.as_dict(), "init_norms": None, "seed": 1})))
    assert c.history["loss"] != a.history["loss"]


def test_grid_shares_initial_state() -> None:
    runs = run_lr_grid(SMALL, [0.05, 0.2, 0.5])
    assert len({r.history["loss"][0] for r in runs}) == 1
    assert len({r.history["w1"][0] for r in runs}) == 1
    assert [r.lr for r in runs] == [0.05, 0.2, 0.5]
    assert len({r.history["loss"][-1] for r in runs}) == 3


def test_divergence_is_an_outcome() -> None:
    cfg = RunConfig(n=200, width=20, steps=50, lr=0.5, activation="cubic", device="cpu", sharpness_every=0)
    r = train(prepare(cfg))
    assert r.outcome == "diverged"
    assert "exceeds the bound" in r.reason or "not finite" in r.reason
    assert r.steps_run < 50
    assert r.summary()["outcome"] == "diverged"


def test_float64_and_batchnorm_run() -> None:
    cfg = RunConfig(n=100, width=10, steps=3, lr=0.01, activation="cubic", norm="bn", dtype="float64",
                    device="cpu", sharpness_every=1)
    r = train(prepare(cfg))
    assert r.outcome == "completed" and len(r.sharpness) == 4
