"""torch float64 evaluators (CPU or CUDA tensors) for the torch backend of the batched engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sympy as sp

from lrbias.losses.backends.evaluator import Evaluator


def _torch_impls() -> dict[str, Callable[[Any], Any]]:
    import torch

    def logcosh(x):
        ax = torch.abs(x)
        small = torch.log1p(2.0 * torch.sinh(torch.clamp(ax, max=1.0) / 2.0) ** 2)
        large = ax + torch.log1p(torch.exp(-2.0 * ax)) - math.log(2.0)
        return torch.where(ax < 1.0, small, large)

    def sech(x):
        e = torch.exp(-torch.abs(x))
        return 2.0 * e / (1.0 + e * e)

    return {"Softplus": lambda x: torch.logaddexp(torch.zeros_like(x), x), "Sigmoid": torch.sigmoid,
            "LogCosh": logcosh, "Tanh": torch.tanh, "Sech": sech}


def torch_function(expr: sp.Expr, sym: sp.Symbol) -> Evaluator:
    """torch evaluator (tensors of any dtype/device in, same shape out), stable forms as for numpy."""
    import torch
    from sympy.printing.pytorch import TorchPrinter

    impls = _torch_impls()

    class Printer(TorchPrinter):
        """Prints lrbias' stable functions by name (they are supplied in the namespace)."""

        def _print_Function(self, e):
            if type(e).__name__ in impls:
                return f"{type(e).__name__}({', '.join(self._print(a) for a in e.args)})"
            return super()._print_Function(e)

    # torch functions want tensors: fold constant subexpressions such as log(2) into floats first
    folded = expr.replace(lambda e: e.is_number and not e.is_Atom, lambda e: sp.Float(e.evalf(30), 30))
    raw = sp.lambdify(sym, folded, modules=[impls, "torch"], cse=True, printer=Printer)

    def fn(x):
        out = raw(x)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape:
            out = torch.as_tensor(out, dtype=x.dtype, device=x.device).expand(x.shape).clone()
        return out

    fn.__doc__ = f"torch evaluation of {expr}"
    return fn
