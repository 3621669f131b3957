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


class Softplus(sp.Function):
    """softplus(x) = log(1 + exp(x))."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.log(2)
        return None

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class Sigmoid(sp.Function):
    """sigmoid(x) = 1 / (1 + exp(-x)); its derivative sigmoid(x) sigmoid(-x) has no cancellation."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Sigmoid(x) * Sigmoid(-x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class LogCosh(sp.Function):
    """logcosh(x) = log(cosh(x)).

    In floats: log1p(2 sinh²(x/2)) for |x| < 1, |x| + log1p(e^{-2|x|}) − log 2 beyond.
    """

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return Tanh(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(sp.cosh(x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class Tanh(sp.Function):
    """tanh with derivative sech^2 (sympy's own tanh differentiates to 1 - tanh^2)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return Sech(self.args[0]) ** 2

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.tanh(x)

    def _eval_evalf(self, prec):
        return sp.tanh(self.args[0])._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class Sech(sp.Function):
    """sech(x) = 1/cosh(x), evaluated as 2 e^{-|x|} / (1 + e^{-2|x|}) in floats (no overflow)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Integer(1)
        return None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return -Sech(x) * Tanh(x)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.sech(x)

    def _eval_evalf(self, prec):
        return sp.sech(self.args[0])._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


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
