"""The torch backend of the batched engine: same decisions as numpy, run for run."""

from __future__ import annotations

import numpy as np
import pytest

from lrbias.errors import LrbiasError
from lrbias.gd import Outcome, Settings, run_batch
from lrbias.gd.rules import PERIOD_CHECK_EVERY
from lrbias.gd.sampling import Range, starts_box
from lrbias.losses.families import get_family

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.nn


@pytest.mark.parametrize("spec", ["softplus-pair:a=0.5", "logcosh", "huber:delta=1", "power:b=3", "square"])
@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_torch_matches_numpy_run_for_run(spec):
    fam = get_family(spec)
    x, y = starts_box(3000, Range(0.5, 2), Range(0.5, 2), seed=3, random_signs=True)
    a = run_batch(fam, x, y, C=1.0 / fam.curvature)
    b = run_batch(fam, x, y, C=1.0 / fam.curvature, backend="torch", device="cpu")
    assert np.array_equal(a.outcome, b.outcome) and np.array_equal(a.period, b.period)
    # 1-ulp differences between torch's and numpy's elementary functions may move a decision in a
    # slow (10⁴-step) convergence by one check interval, and the detection of a cycle (tested in
    # windows PERIOD_CHECK_EVERY steps apart, at a 1e-12 tolerance) by whole windows; nothing more
    assert np.mean(a.steps == b.steps) >= 0.999
    cyc = a.mask(Outcome.PERIODIC)
    assert np.max(np.abs(a.steps - b.steps)[~cyc], initial=0) <= 2 * a.settings.check_every
    assert np.all((a.steps - b.steps)[cyc] % PERIOD_CHECK_EVERY == 0)
    conv = a.mask(0)
    np.testing.assert_allclose(b.x[conv], a.x[conv], rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.fmax_ratio[conv], a.fmax_ratio[conv], rtol=1e-9)


@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_torch_shares_match_in_the_chaotic_regime():
    """At κ = 8 orbits are chaotic, so runs may differ individually; the outcome shares may not."""
    fam = get_family("softplus-pair:a=0.5")
    x, y = starts_box(4000, Range(0.5, 4), Range(0.5, 4), seed=1, random_signs=True)
    a = run_batch(fam, x, y, C=8 / fam.curvature, settings=Settings(max_steps=3000)).shares()
    b = run_batch(fam, x, y, C=8 / fam.curvature, settings=Settings(max_steps=3000), backend="torch",
                  device="cpu").shares()
    for key in a:
        assert abs(a[key] - b[key]) < 0.02, (key, a[key], b[key])


def test_torch_derivatives_match_numpy():
    for spec in ["softplus-pair:a=0.5", "pseudo-huber", "logcosh", "huber:delta=1"]:
        fam = get_family(spec)
        s = np.array([-1e6, -3.0, 0.2, 1.0, 1.3, 40.0, 1e6])
        for k in range(3):
            np.testing.assert_allclose(fam.torch[k](torch.tensor(s)).numpy(), fam.np[k](s), rtol=1e-15, atol=0)


@pytest.mark.slow  # measured 15-70 s on a loaded 2-core machine
def test_a_wrong_torch_step_is_caught(monkeypatch):
    """Mutant: the torch loop with a 0.1% larger ℓ′ no longer matches numpy run for run."""
    fam = get_family("logcosh")
    real = type(fam).torch.func(fam)
    wrong = real._replace(d1=lambda s: real.d1(s) * 1.001)
    monkeypatch.setitem(fam.__dict__, "torch", wrong)
    x, y = starts_box(500, Range(0.5, 2), Range(0.5, 2), seed=3)
    a = run_batch(fam, x, y, C=1.0)
    b = run_batch(fam, x, y, C=1.0, backend="torch", device="cpu")
    assert not (np.array_equal(a.steps, b.steps) and np.allclose(a.x, b.x, atol=1e-12, equal_nan=True))


def test_bad_backend_and_device():
    fam = get_family("square")
    with pytest.raises(LrbiasError, match="accepted: numpy, torch"):
        run_batch(fam, [1.0], [0.5], h=0.1, backend="jax")
    with pytest.raises(LrbiasError, match="accepted: auto, cpu, cuda"):
        run_batch(fam, [1.0], [0.5], h=0.1, backend="torch", device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(LrbiasError, match="no CUDA device"):
            run_batch(fam, [1.0], [0.5], h=0.1, backend="torch", device="cuda")
    with pytest.raises(LrbiasError, match="numpy backend only"):
        run_batch(fam, [1.0], [0.5], h=0.1, backend="torch", device="cpu", settings=Settings(record_every=1))
