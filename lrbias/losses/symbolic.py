"""Numerically stable special functions, defined once for sympy, numpy, mpmath and arb.

The families are written with these functions so that every derivative sympy takes stays in
a stable form (e.g. d/dx tanh = sech^2, never 1 - tanh^2, which loses all relative accuracy in
the tails).  Each function knows how to rewrite itself into elementary functions, which is what
symbolic proofs and limits use.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import sympy as sp


class _Stable(sp.Function):
    """A one-argument real function with a known value at 0 and an elementary form.

    Subclasses set ``AT_ZERO`` and define ``fdiff`` (the stable derivative) and
    ``_eval_rewrite_as_exp`` (the elementary form, which evalf, proofs and limits use).
    """

    nargs = 1
    AT_ZERO: sp.Expr

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return cls.AT_ZERO
        return None

    def _eval_evalf(self, prec):
        return self._eval_rewrite_as_exp(*self.args)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class Softplus(_Stable):
    """softplus(x) = log(1 + exp(x))."""

    AT_ZERO = sp.log(2)

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))


class Sigmoid(_Stable):
    """sigmoid(x) = 1 / (1 + exp(-x)); its derivative sigmoid(x) sigmoid(-x) has no cancellation."""

    AT_ZERO = sp.Rational(1, 2)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Sigmoid(x) * Sigmoid(-x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))


class LogCosh(_Stable):
    """logcosh(x) = log(cosh(x)).

    In floats: log1p(2 sinh²(x/2)) for |x| < 1, |x| + log1p(e^{-2|x|}) − log 2 beyond.
    """

    AT_ZERO = sp.Integer(0)

    def fdiff(self, argindex=1):
        return Tanh(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(sp.cosh(x))


class Tanh(_Stable):
    """tanh with derivative sech^2 (sympy's own tanh differentiates to 1 - tanh^2)."""

    AT_ZERO = sp.Integer(0)

    def fdiff(self, argindex=1):
        return Sech(self.args[0]) ** 2

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.tanh(x)


class Sech(_Stable):
    """sech(x) = 1/cosh(x), evaluated as 2 e^{-|x|} / (1 + e^{-2|x|}) in floats (no overflow)."""

    AT_ZERO = sp.Integer(1)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return -Sech(x) * Tanh(x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.sech(x)


STABLE_FUNCTIONS: tuple[type[sp.Function], ...] = (Softplus, Sigmoid, LogCosh, Tanh, Sech)


def to_elementary(expr: sp.Expr) -> sp.Expr:
    """Rewrite the stable functions into exp/log/cosh/tanh/sech (for proofs and limits)."""
    return expr.replace(
        lambda e: isinstance(e, STABLE_FUNCTIONS),
        lambda e: e._eval_rewrite_as_exp(*e.args),
    )


def stabilise(expr: sp.Expr) -> sp.Expr:
    """Replace unstable elementary patterns by their stable equivalents.

    log(cosh(w)) -> LogCosh(w), log(1 + exp(w)) -> Softplus(w), tanh -> Tanh, sech -> Sech.
    """
    w = sp.Wild("w")
    expr = expr.replace(sp.log(sp.cosh(w)), LogCosh(w))
    expr = expr.replace(sp.log(1 + sp.exp(w)), Softplus(w))
    expr = expr.replace(sp.tanh, Tanh)
    expr = expr.replace(sp.sech, Sech)
    return expr


def _np_logcosh(x):
    # small |x|: log1p(2 sinh(x/2)^2) (no cancellation); large |x|: |x| + log1p(e^-2|x|) - log 2
    ax = np.abs(x)
    small = np.log1p(2.0 * np.sinh(np.minimum(ax, 1.0) / 2.0) ** 2)
    large = ax + np.log1p(np.exp(-2.0 * ax)) - np.log(2.0)
    return np.where(ax < 1.0, small, large)


def _np_sech(x):
    e = np.exp(-np.abs(x))
    return 2.0 * e / (1.0 + e * e)


def _np_softplus(x):
    return np.logaddexp(0.0, x)


NUMPY_IMPLS = {
    "Softplus": _np_softplus,
    "Sigmoid": scipy.special.expit,
    "LogCosh": _np_logcosh,
    "Tanh": np.tanh,
    "Sech": _np_sech,
}
