"""Parse a user loss expression in ``s`` into sympy, without ``eval``.

The text is parsed by Python's ``ast`` module and walked against a whitelist: the symbol
``s``, the constants ``pi`` and ``e``/``E``, numeric literals, + - * / ** (and ^ as power),
and the functions in :data:`ALLOWED_FUNCTIONS`.  Anything else is rejected with a message that
names the offending piece.  sympy's ``parse_expr``/``sympify`` are not used: both call eval.
"""

from __future__ import annotations

import ast

import sympy as sp

from lrbias.errors import ExpressionError
from lrbias.losses.symbolic import LogCosh, Sech, Sigmoid, Softplus, Tanh

S = sp.Symbol("s", real=True)

MAX_LENGTH = 400
MAX_DEPTH = 40
MAX_CONST_EXPONENT = 64

ALLOWED_FUNCTIONS: dict[str, object] = {
    "exp": sp.exp,
    "log": sp.log,
    "log1p": lambda x: sp.log(1 + x),
    "sqrt": sp.sqrt,
    "cosh": sp.cosh,
    "sinh": sp.sinh,
    "tanh": Tanh,
    "sech": Sech,
    "atan": sp.atan,
    "arctan": sp.atan,
    "sin": sp.sin,
    "cos": sp.cos,
    "erf": sp.erf,
    "abs": sp.Abs,
    "Abs": sp.Abs,
    "sign": sp.sign,
    "softplus": Softplus,
    "sigmoid": Sigmoid,
    "logcosh": LogCosh,
}
ALLOWED_NAMES: dict[str, sp.Expr] = {"s": S, "pi": sp.pi, "e": sp.E, "E": sp.E}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def parse_expression(text: str, parameters: tuple[str, ...] = ()) -> sp.Expr:
    """Return the sympy expression for ``text`` (a loss in the variable ``s``).

    ``parameters`` names extra symbols allowed in the text (a registered family's parameters);
    they become positive real sympy symbols of the same names.

    Raises ExpressionError naming the offending token when ``text`` uses anything outside the
    whitelist, is empty, too long (> MAX_LENGTH characters) or too deeply nested.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression: expected a formula in s, e.g. 'expr:(s-1)**2/2'")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        # '^' means power here; Python would parse it as xor with the wrong precedence.
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {text!r}: {exc.msg}") from None
    names = dict(ALLOWED_NAMES)
    for name in parameters:
        if name in names or name in ALLOWED_FUNCTIONS or not name.isidentifier():
            raise ExpressionError(f"parameter name {name!r} is not allowed (it clashes or is not a name)")
        names[name] = sp.Symbol(name, positive=True)
    expr = _convert(tree.body, text, 0, names)
    if not isinstance(expr, sp.Expr):
        raise ExpressionError(f"expression {text!r} is not a formula")
    if expr.free_symbols - {S} - {names[p] for p in parameters}:
        raise ExpressionError(f"expression {text!r} has symbols other than s")
    if S not in expr.free_symbols:
        raise ExpressionError(f"expression {text!r} does not depend on s")
    return expr


def _convert(node: ast.AST, text: str, depth: int, names: dict[str, sp.Expr] | None = None) -> sp.Expr:
    names = ALLOWED_NAMES if names is None else names
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression {text!r} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, not {node.value!r}")
        if isinstance(node.value, float):
            return sp.Rational(repr(node.value))
        return sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise ExpressionError(
            f"unknown name {node.id!r} in expression; allowed: s, pi, e, and functions "
            + ", ".join(sorted(ALLOWED_FUNCTIONS))
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _convert(node.operand, text, depth + 1, names)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _convert(node.left, text, depth + 1, names)
        right = _convert(node.right, text, depth + 1, names)
        if isinstance(node.op, ast.Pow) and right.is_number:
            if abs(float(right)) > MAX_CONST_EXPONENT:
                raise ExpressionError(
                    f"exponent {right} is out of range: |exponent| must be <= {MAX_CONST_EXPONENT}"
                )
        if isinstance(node.op, ast.Div) and right.is_zero:
            raise ExpressionError(f"division by zero in expression {text!r}")
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in ALLOWED_FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExpressionError(
                f"function {name!r} is not allowed; allowed functions: "
                + ", ".join(sorted(ALLOWED_FUNCTIONS))
            )
        if node.keywords or len(node.args) != 1:
            raise ExpressionError(f"function {node.func.id!r} takes exactly one positional argument")
        arg = _convert(node.args[0], text, depth + 1, names)
        return ALLOWED_FUNCTIONS[node.func.id](arg)  # type: ignore[operator]
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed in an expression")
