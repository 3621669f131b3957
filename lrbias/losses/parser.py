"""Parse a user loss expression in ``s`` into sympy, without ``eval``.

The text is parsed by Python's ``ast`` module and walked against a whitelist: the symbol
``s``, the constants ``pi`` and ``e``/``E``, numeric literals, + - * / ** (and ^ as power),
and the functions in :data:`ALLOWED_FUNCTIONS`.  Anything else is rejected with a message that
names the offending piece.  sympy's ``parse_expr``/``sympify`` are not used: both call eval.
"""

from __future__ import annotations

import ast
import math

import sympy as sp

from lrbias.errors import ExpressionError, short
from lrbias.losses.symbolic import LogCosh, Sech, Sigmoid, Softplus, Tanh

S = sp.Symbol("s", real=True)

MAX_LENGTH = 400
MAX_DEPTH = 40
MAX_CONST_EXPONENT = 64
MAX_LOG10 = 300
"""Every number in a formula (a literal, or a constant a**b, checked before it is built) lies within
10^-MAX_LOG10 ... 10^MAX_LOG10 in magnitude, so float64 and the engines can hold it."""
NUMBER_RULE = f"numbers of magnitude between 1e-{MAX_LOG10} and 1e{MAX_LOG10}"

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
    if expr.has(sp.I, sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ExpressionError(f"expression {short(text)!r} is not a real, finite formula (it simplifies to one "
                              "with the imaginary unit, an infinity or an undefined value); accepted: a real loss in s")
    if S not in expr.free_symbols:
        raise ExpressionError(f"expression {text!r} does not depend on s")
    for number in expr.atoms(sp.Number):  # coefficients that products like (s-1)**2*1e300*1e300 collect
        magnitude = _magnitude_of(number)
        if magnitude is None or abs(magnitude) > MAX_LOG10:
            raise ExpressionError(f"expression {short(text)!r} holds the number {short(str(number), 30)}; "
                                  f"accepted: {NUMBER_RULE}")
    return expr


def _bounded(value: sp.Expr, node: ast.AST) -> sp.Expr:
    """``value`` if it is not a constant, or a real constant within the number rule; else ExpressionError.

    Applied to every node as it is built, bottom up, so each function only ever sees a bounded
    constant and nothing astronomically large is computed.
    """
    if not value.is_number:
        return value
    magnitude = _magnitude_of(value)
    if magnitude is None:
        raise ExpressionError(f"constant {short(ast.unparse(node), 40)} is not a real, finite number; accepted: "
                              f"real {NUMBER_RULE}")
    if abs(magnitude) > MAX_LOG10:
        raise ExpressionError(f"constant {short(ast.unparse(node), 40)} is out of range; accepted: {NUMBER_RULE}")
    return value


def _magnitude_of(number: sp.Expr) -> float | None:
    """log10 |number| (0 for zero) without building anything big; None when it is not a finite real."""
    if number.is_zero:
        return 0.0
    if number.is_Rational:
        p, q = abs(int(number.p)), int(number.q)
        if max(p.bit_length(), q.bit_length()) < 1000:
            return math.log10(p) - math.log10(q)
        return (p.bit_length() - q.bit_length()) * math.log10(2)
    if number.has(sp.I, sp.zoo, sp.oo, -sp.oo, sp.nan):
        return None
    try:
        value = sp.N(number, 15)
        if not value.is_real or not value.is_finite:
            return None
        magnitude = float(sp.log(abs(value), 10).evalf(15)) if value != 0 else 0.0
    except (TypeError, ValueError, OverflowError):
        return None
    return magnitude if math.isfinite(magnitude) else None


def _convert(node: ast.AST, text: str, depth: int, names: dict[str, sp.Expr] | None = None) -> sp.Expr:
    names = ALLOWED_NAMES if names is None else names
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression {text!r} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, not {node.value!r}")
        value = node.value
        if not math.isfinite(value) or (value != 0 and not -MAX_LOG10 <= math.log10(abs(value)) <= MAX_LOG10):
            raise ExpressionError(f"number {short(ast.unparse(node), 30)} is out of range; accepted: {NUMBER_RULE}")
        if isinstance(value, float):
            return sp.Rational(repr(value))
        return sp.Integer(value)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise ExpressionError(
            f"unknown name {node.id!r} in expression; allowed: s, pi, e, and functions "
            + ", ".join(sorted(ALLOWED_FUNCTIONS))
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _convert(node.operand, text, depth + 1, names)
        return _bounded(-operand if isinstance(node.op, ast.USub) else operand, node)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _convert(node.left, text, depth + 1, names)
        right = _convert(node.right, text, depth + 1, names)
        if isinstance(node.op, ast.Pow) and right.is_number:
            exponent = _magnitude_of(right)
            if exponent is None or abs(float(right)) > MAX_CONST_EXPONENT:
                raise ExpressionError(
                    f"exponent {short(str(right), 30)} is out of range: |exponent| must be <= {MAX_CONST_EXPONENT}"
                )
            inner = max((abs(float(p.exp)) for p in left.atoms(sp.Pow) if p.exp.is_number), default=1.0)
            if not left.is_number and abs(float(right)) * max(inner, 1.0) > MAX_CONST_EXPONENT:
                raise ExpressionError(  # nested powers multiply: ((s-1)**64)**64 is a power 4096 (issue 26)
                    f"power {short(ast.unparse(node), 40)} nests exponents to {abs(float(right)) * inner:g}; "
                    f"accepted: nested exponents whose product is at most {MAX_CONST_EXPONENT}")
            if left.is_number:
                base = _magnitude_of(left)
                if base is None or abs(float(right)) * abs(base) > MAX_LOG10:
                    raise ExpressionError(f"constant {short(ast.unparse(node), 40)} is out of range; accepted: "
                                          f"{NUMBER_RULE}")
        if isinstance(node.op, ast.Div) and right.is_zero:
            raise ExpressionError(f"division by zero in expression {text!r}")
        return _bounded(_BINOPS[type(node.op)](left, right), node)
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
        if arg.is_Rational and max(abs(int(arg.p)), int(arg.q)) > 2**53:
            arg = sp.Float(arg, 30)  # a huge exact integer would reach numpy as a Python int object
        return _bounded(ALLOWED_FUNCTIONS[node.func.id](arg), node)  # type: ignore[operator]
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed in an expression")
