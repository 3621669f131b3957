"""Exception types: every user-facing failure is an ``LrbiasError`` with a one-line message."""

from __future__ import annotations


class LrbiasError(ValueError):
    """Base class for errors caused by bad input; the CLI prints the message and exits 2."""


class SpecError(LrbiasError):
    """A loss spec (``NAME[:k=v,...]``) is malformed or names an unknown family."""


class ParameterError(LrbiasError):
    """A family parameter lies outside its accepted range."""


class ExpressionError(LrbiasError):
    """A user expression uses something outside the whitelist or is not a valid loss."""


class MinimiserError(LrbiasError):
    """A loss is not minimised at s = 1 (the paper's normalisation)."""
