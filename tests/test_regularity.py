"""Degree of regularity: dor(softplus-pair(a)) = a, dor(power(b)) = 2b; numeric fit agrees."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lrbias.errors import LrbiasError
from lrbias.losses import regularity
from lrbias.losses.families import builtin_specs, get_family
from lrbias.losses.regularity import degree_of_regularity, numeric_dor, symbolic_dor


@pytest.mark.parametrize("a", ["1", "1/2", "1/3", "3/4", "0.1"])
def test_softplus_pair_dor_is_a_symbolically(a):
    result = degree_of_regularity(get_family(f"softplus-pair:a={a}"))
    assert result.method == "symbolic"
    assert sp.Rational(result.exact) == sp.Rational(str(Fraction(a)))


@pytest.mark.parametrize("b", [1, 3, 5, 7, 11])
def test_power_dor_is_2b_symbolically(b):
    result = degree_of_regularity(get_family(f"power:b={b}"))
    assert result.method == "symbolic" and result.exact == str(2 * b)


@settings(max_examples=25)
@given(st.fractions(min_value=Fraction(1, 20), max_value=1, max_denominator=20))
def test_numeric_dor_recovers_a(a):
    result = numeric_dor(get_family(f"softplus-pair:a={a.numerator}/{a.denominator}"))
    assert abs(result.value - float(a)) <= max(3 * result.error, 1e-6)
    assert result.error < 0.05  # conservative: |slope change| between near and far halves


@pytest.mark.parametrize("spec", builtin_specs())
def test_numeric_agrees_with_symbolic_within_its_error(spec):
    fam = get_family(spec)
    exact = degree_of_regularity(fam)
    approx = degree_of_regularity(fam, method="numeric")
    assert exact.method == "symbolic"
    assert abs(approx.value - exact.value) <= max(3 * approx.error, 1e-6)


def test_other_families():
    expected = {"square": "2", "pseudo-huber": "1", "logcosh": "1", "huber:delta=1": "1", "quartic": "4"}
    for spec, value in expected.items():
        assert degree_of_regularity(get_family(spec)).exact == value


def test_larger_tail_wins():
    """Asymmetric loss: grows like s^4 on the right and |s|^2 on the left -> dor 4."""
    fam = get_family("expr:(s-1)**2/2 + (s-1)**4*sigmoid(s-1)")
    result = degree_of_regularity(fam)
    assert result.value == 4 and result.tails["+inf"] == 4 and result.tails["-inf"] == 2


def test_auto_falls_back_to_numeric_when_sympy_fails(monkeypatch):
    fam = get_family("expr:(s-1)**2/2 + (s-1)**2*erf(s)**2")

    def refuse(family, timeout=regularity.SYMBOLIC_TIMEOUT_S):
        raise LrbiasError("sympy could not find the limit within 0 s")

    monkeypatch.setattr(regularity, "symbolic_dor", refuse)
    regularity._cached.cache_clear()
    result = degree_of_regularity(fam)
    regularity._cached.cache_clear()
    assert result.method == "numeric" and "symbolic failed" in result.note
    assert abs(result.value - 2) < 1e-6


def test_symbolic_timeout_is_reported():
    fam = get_family("square")
    with pytest.raises(LrbiasError, match="within"):
        symbolic_dor(fam, timeout=1e-6)


def test_bad_method():
    with pytest.raises(LrbiasError, match="accepted: auto, symbolic, numeric"):
        degree_of_regularity(get_family("square"), method="guess")


def test_numeric_catches_a_wrong_claim():
    """A claimed dor of 1 for power:b=3 is refuted by the fit (error bar far below the gap)."""
    result = numeric_dor(get_family("power:b=3"))
    assert abs(result.value - 1) > 100 * result.error


def test_numeric_fit_takes_the_larger_tail():
    """The numeric fit on the same asymmetric loss: the s^4 tail wins over the |s|^2 one."""
    result = numeric_dor(get_family("expr:(s-1)**2/2 + (s-1)**4*sigmoid(s-1)"))
    assert abs(result.value - 4) < 0.05 and abs(result.tails["-inf"] - 2) < 0.05
