"""Binding tests of lrbias/gd/kernel.py (issue 27): the numba backend's fields, the numpy error model (a
division by zero is inf, not an exception), and the one-line refusal of what numba cannot compile."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from lrbias.errors import InvalidArgument
from lrbias.gd import kernel, step_loop

pytest.importorskip("numba")
X = sp.Symbol("x")


def test_the_numba_backend_is_numpy_with_the_fused_kernel():
    backend = kernel.numba_backend()
    assert (backend.name, backend.fused, backend.records) == ("numba", kernel.fused_kernel, True)
    assert step_loop.NUMPY.fused is None and step_loop.NUMPY.name == "numpy"


def test_the_numpy_error_model():
    assert kernel.scalar_function(1 / X, X)(0.0) == math.inf
    assert math.isnan(kernel.scalar_function(sp.log(X - 1), X)(0.5))


def test_what_numba_cannot_compile_is_refused_in_one_line():
    with pytest.raises(InvalidArgument) as err:
        kernel.scalar_function(sp.zeta(X), X)
    assert str(err.value) == ("the fused kernel cannot compile zeta(x) (TypingError); accepted: losses numba's math "
                              "module covers (use backend='numpy')")
    assert err.value.__cause__ is None and err.value.__suppress_context__
