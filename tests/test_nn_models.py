"""Model and loss shapes, parameters, activations, exact initial norms."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from lrbias.errors import LrbiasError  # noqa: E402
from lrbias.nn.config import ACTIVATIONS, NORMS  # noqa: E402
from lrbias.nn.losses import cross_entropy, get_loss, huber, mse  # noqa: E402
from lrbias.nn.models import build_model  # noqa: E402

pytestmark = pytest.mark.nn


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("norm", NORMS)
def test_shapes_and_parameters(activation: str, norm: str) -> None:
    model = build_model(12, 10, width=7, activation=activation, norm=norm, seed=1)
    out = model(torch.randn(5, 3, 4))
    assert out.shape == (5, 10)
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(7, 12), (10, 7)]  # no biases, no affine norm parameters


def test_cubic_is_relu_cubed() -> None:
    model = build_model(2, 1, width=2, activation="cubic")
    z = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert torch.equal(model.act(z), torch.relu(z) ** 3)


@pytest.mark.parametrize("norms", [(6.0, 20.0), (0.5, 3.0)])
def test_initial_norms_exact(norms: tuple[float, float]) -> None:
    model = build_model(64, 10, init_norms=norms, dtype=torch.float64)
    assert model.weight_norms() == pytest.approx(norms, rel=1e-14)


def test_seed_fixes_init_and_restores_global_rng() -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = build_model(8, 10, seed=4)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = build_model(8, 10, seed=4)
    c = build_model(8, 10, seed=5)
    assert torch.equal(a.fc1.weight, b.fc1.weight)
    assert not torch.equal(a.fc1.weight, c.fc1.weight)


def test_losses_values_and_shapes() -> None:
    out = torch.tensor([[0.5, 2.0, -1.0], [1.0, 0.0, 3.5]], dtype=torch.float64)
    y = torch.tensor([1, 0])
    target = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    r = out - target
    assert float(mse(out, y)) == pytest.approx(float(0.5 * (r**2).sum(1).mean()))
    hub = torch.where(r.abs() <= 1, 0.5 * r**2, r.abs() - 0.5).sum(1).mean()
    assert float(huber(out, y)) == pytest.approx(float(hub))
    for fn in (mse, huber, cross_entropy):
        assert fn(out, y).shape == ()


def test_unknown_names_rejected() -> None:
    with pytest.raises(LrbiasError, match="accepted"):
        get_loss("hinge")
    with pytest.raises(LrbiasError, match="unknown activation 'sigmoid'"):
        build_model(2, 2, activation="sigmoid")
