"""The fused float64 kernel (numba, generated from each family's sympy form) against the plain
numpy engine, its reference: the same outcome at the same step, run for run, on non-chaotic sweeps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lrbias.errors import LrbiasError
from lrbias.gd import Settings, rules, run_batch, step_loop
from lrbias.gd.sampling import Range, knob_values, starts_box
from lrbias.losses.families import get_family

pytest.importorskip("numba")


def _sweep(spec: str, backend: str, n: int = 400):
    fam = get_family(spec)
    x, y = starts_box(n, Range(0.5, 3), Range(0.5, 3), seed=11, random_signs=True)
    # κ < 2 (no edge-of-stability chaos) plus a band beyond 2/L where runs diverge or cycle
    C = knob_values(n, Range(0.2, 1.9), seed=11) / fam.curvature
    C[: n // 8] = knob_values(n // 8, Range(2.5, 3.0), seed=12) / fam.curvature
    return run_batch(fam, x, y, C=C, settings=Settings(max_steps=3000), backend=backend)


@pytest.mark.parametrize("spec", ["square", "softplus-pair:a=0.5", "pseudo-huber"])
def test_kernel_and_numpy_agree_run_for_run(spec):
    a, b = _sweep(spec, "numpy"), _sweep(spec, "numba")
    assert len(set(a.outcome.tolist())) >= 2                       # more than one kind of ending
    np.testing.assert_array_equal(a.outcome, b.outcome)
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.period, b.period)
    conv = a.outcome == 0
    np.testing.assert_allclose(b.x[conv], a.x[conv], rtol=1e-9)
    np.testing.assert_allclose(b.fmax_ratio[conv], a.fmax_ratio[conv], rtol=1e-9)


def test_a_wrong_kernel_is_caught(monkeypatch):
    """Mutant: a 'kernel' that steps with h(1 + 1e-3); the comparison above sees it."""
    def wrong(family):
        d1, loss = family.np.d1, family.np.loss

        def advance(x, y, h, fmax, fmax_step, t0, k, track):
            px, py = x, y
            for j in range(k):
                hg = h * (1 + 1e-3) * d1(x * y)
                px, py = x, y
                x, y = x - hg * y, y - hg * x
                if track:
                    f = loss(x * y)
                    fmax_step = np.where(f > fmax, t0 + j + 1, fmax_step)
                    fmax = np.maximum(fmax, f)
            return x, y, px, py, fmax, fmax_step
        return advance

    from lrbias.gd import kernel

    monkeypatch.setattr(kernel, "numba_backend",
                        lambda: dataclasses.replace(step_loop.NUMPY, name="numba", fused=wrong))
    a, b = _sweep("square", "numpy"), _sweep("square", "numba")
    assert not (np.array_equal(a.steps, b.steps) and np.allclose(a.x, b.x, rtol=1e-9, equal_nan=True))


def test_the_fused_stretch_ends_where_the_rules_look():
    st = Settings(max_steps=300, check_every=8, period_max=8)
    assert [rules.next_due(t, st) for t in (0, 7, 8, 127, 128, 130, 136, 296)] == [2, 8, 16, 128, 130, 131, 144, 300]


def test_a_loss_numba_cannot_compile_is_a_clear_error():
    from lrbias.gd.kernel import scalar_function

    fam = get_family("expr:(s-1)**2/2 + erf(s-1)**2")
    assert scalar_function(fam.derivative(1), fam.symbol)(1.0) == 0.0   # erf is in numba's math
    import sympy as sp

    with pytest.raises(LrbiasError, match="fused kernel cannot compile"):
        scalar_function(sp.besselj(0, fam.symbol), fam.symbol)
