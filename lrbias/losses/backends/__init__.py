"""Turn one sympy expression in ``s`` into callables for each number system the engines use.

One module per backend: :mod:`.float64` (numpy), :mod:`.quad` (binary128), :mod:`.torch_eval`,
:mod:`.mpmath_eval` and :mod:`.arb` (python-flint balls); the last two share the closure compiler
in :mod:`.compiler`.  This package re-exports the evaluator builders.
"""

from lrbias.losses.backends.arb import arb_function, flint_available
from lrbias.losses.backends.evaluator import Evaluator
from lrbias.losses.backends.float64 import numpy_function
from lrbias.losses.backends.mpmath_eval import MAX_MP_ARGUMENT_BITS, mpmath_function
from lrbias.losses.backends.quad import QUAD_DIGITS, mpf_to_quad, quad_dtype, quad_function, quad_parts, quad_to_mpf
from lrbias.losses.backends.torch_eval import torch_function

__all__ = ["MAX_MP_ARGUMENT_BITS", "QUAD_DIGITS", "Evaluator", "arb_function", "flint_available", "mpf_to_quad",
           "mpmath_function", "numpy_function", "quad_dtype", "quad_function", "quad_parts", "quad_to_mpf",
           "torch_function"]
