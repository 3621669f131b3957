"""HVP-Lanczos sharpness against the dense Hessian and the 1×1 closed form; 'LM' is caught."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lrbias.gd.objective import sharpness as closed_form_sharpness  # noqa: E402
from lrbias.losses.families import get_family  # noqa: E402
from lrbias.nn.losses import get_loss, mse  # noqa: E402
from lrbias.nn.models import build_model  # noqa: E402
from lrbias.nn.sharpness import dense_hessian, make_hvp, sharpness, top_eigenvalues  # noqa: E402

pytestmark = pytest.mark.nn


def _tiny(activation: str, norm: str, loss: str):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(24, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (24,), generator=gen)
    model = build_model(6, 3, width=5, activation=activation, norm=norm, seed=2, dtype=torch.float64)
    return model, x, y, get_loss(loss)


@pytest.mark.parametrize(("activation", "norm", "loss"),
                         [("tanh", "none", "mse"), ("relu", "none", "huber"), ("cubic", "bn", "mse"),
                          ("elu", "ln", "ce")])
def test_lanczos_matches_dense_top_eigenvalues(activation: str, norm: str, loss: str) -> None:
    model, x, y, loss_fn = _tiny(activation, norm, loss)
    dense = np.linalg.eigvalsh(dense_hessian(model, x, y, loss_fn).numpy())[::-1]
    est = sharpness(model, x, y, loss_fn, k=3, tol=1e-10)
    assert est.converged
    np.testing.assert_allclose(est.values, dense[:3], rtol=1e-7, atol=1e-9)
    assert model.training  # BatchNorm stays in train mode


def test_largest_magnitude_variant_is_caught() -> None:
    """A Hessian with a big negative eigenvalue: 'LA' gives the sharpness, 'LM' the wrong answer."""
    a = torch.tensor([[3.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, -10.0, 0], [0, 0, 0, 0.5]], dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
    h = q @ a @ q.T
    p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    hvp = make_hvp(lambda: 0.5 * p @ h @ p + p.sum(), [p])
    dense_top = float(np.linalg.eigvalsh(h.numpy()).max())
    right = top_eigenvalues(hvp, 4, torch.float64, "cpu", tol=1e-12)
    wrong = top_eigenvalues(hvp, 4, torch.float64, "cpu", tol=1e-12, which="LM")
    assert right.top == pytest.approx(dense_top, rel=1e-10)
    assert wrong.top == pytest.approx(-10.0, rel=1e-10)
    assert wrong.top != pytest.approx(dense_top, rel=1e-3)


@pytest.mark.parametrize(("x", "y"),
                         [(0.3, 2.0), (1.0, 1.0), (-0.7, 1.5), (2.0, -2.0), (0.1, 0.1), (3.0, 0.5)])
def test_one_by_one_network_closed_form(x: float, y: float) -> None:
    """Linear 1→1→1 net, one sample (input 1, target 1), MSE: exactly f(x, y) = ½(xy − 1)² = ℓ(xy)."""
    net = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)).double()
    with torch.no_grad():
        net[0].weight.fill_(x)
        net[1].weight.fill_(y)
    inp = torch.ones(1, 1, dtype=torch.float64)
    label = torch.zeros(1, dtype=torch.int64)  # one class: onehot = [1], the target
    assert float(mse(net(inp), label).detach()) == pytest.approx(0.5 * (x * y - 1) ** 2)
    est = sharpness(net, inp, label, mse, tol=1e-12)
    expected = float(closed_form_sharpness(get_family("square"), x, y))
    s = x * y
    by_hand = np.linalg.eigvalsh(np.array([[y * y, s + (s - 1)], [s + (s - 1), x * x]])).max()
    assert expected == pytest.approx(by_hand, rel=1e-12)
    assert est.top == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_float32_lanczos_close_to_float64() -> None:
    model, x, y, loss_fn = _tiny("tanh", "none", "mse")
    top64 = sharpness(model, x, y, loss_fn, tol=1e-8).top
    model32 = model.float()
    top32 = sharpness(model32, x.float(), y, loss_fn, tol=1e-4).top
    assert top32 == pytest.approx(top64, rel=1e-3)


def test_residual_recorded_and_small_at_convergence() -> None:
    model, x, y, loss_fn = _tiny("tanh", "none", "mse")
    est = sharpness(model, x, y, loss_fn, tol=1e-10)
    assert est.converged and est.vector is not None
    assert 0 <= est.residual < 1e-6 * abs(est.top)
    # a deliberately wrong eigenvalue: the residual of the same vector exposes it
    hvp = make_hvp(lambda: loss_fn(model(x), y), list(model.parameters()))
    v = torch.as_tensor(est.vector)
    assert float(torch.linalg.norm(hvp(v) - 1.01 * est.top * v)) > 1e-3 * est.top


def test_hvp_dtype_float64_on_a_float32_model() -> None:
    model, x, y, loss_fn = _tiny("tanh", "none", "mse")
    top64 = sharpness(model, x, y, loss_fn, tol=1e-10).top
    model32, x32 = model.float(), x.float()
    via64 = sharpness(model32, x32, y, loss_fn, tol=1e-10, hvp_dtype=torch.float64)
    assert via64.top == pytest.approx(top64, rel=1e-6)  # only the float32 rounding of the weights
    assert next(model32.parameters()).dtype == torch.float32  # the model itself is untouched


def test_warm_start_gives_the_same_value() -> None:
    model, x, y, loss_fn = _tiny("relu", "none", "huber")
    cold = sharpness(model, x, y, loss_fn, tol=1e-8)
    warm = sharpness(model, x, y, loss_fn, tol=1e-8, v0=cold.vector, ncv=6)
    assert warm.top == pytest.approx(cold.top, rel=1e-6)
