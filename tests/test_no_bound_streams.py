"""No function of the library binds an output stream as a default argument.

A default like ``progress=sys.stderr`` is evaluated once, at import: under pytest that is the
capture stream of whichever test imported the module first, closed by the time a later test
calls the function ("I/O operation on closed file", and tests that pass or fail by their order).
Streams are passed explicitly, or resolved at call time.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import sys

import lrbias

OPTIONAL = ("torch", "dask", "distributed", "flint", "numba", "mnist1d", "playwright")


def _modules():
    for info in pkgutil.walk_packages(lrbias.__path__, "lrbias."):
        if info.name.endswith("__main__"):
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError as exc:
            if exc.name and exc.name.split(".")[0] in OPTIONAL:
                continue
            raise


def _is_stream(value) -> bool:
    return (isinstance(value, io.IOBase) or value is sys.stdout or value is sys.stderr
            or value is sys.__stdout__ or value is sys.__stderr__)


def _functions(module):
    for _, obj in inspect.getmembers(module):
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield obj
        elif inspect.isclass(obj):
            yield from (f for _, f in inspect.getmembers(obj, inspect.isfunction)
                        if f.__module__ == module.__name__)


def test_no_default_argument_is_a_stream():
    bound = []
    for module in _modules():
        for fn in _functions(module):
            for name, param in inspect.signature(fn).parameters.items():
                if _is_stream(param.default):
                    bound.append(f"{fn.__module__}.{fn.__qualname__}({name}=...)")
    assert not bound, f"defaults bound to a stream at import time: {bound}"


def test_the_check_sees_a_bound_stream():
    """The same check flags a function written the old way."""
    def report(progress=sys.stderr):
        return None

    assert _is_stream(inspect.signature(report).parameters["progress"].default)
    assert not _is_stream(None)
