"""Build docs/api.md, the API reference of the public front (``lrbias.__all__``), from the docstrings.

    python docs/build_api.py            # (re)write docs/api.md
    python docs/build_api.py --check    # exit 1 if docs/api.md is out of date (used by the tests)
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import sys
from pathlib import Path

SECTIONS = [  # (title, the internal package whose names of the front it lists), in data-path order
    ("Loss families and regularity", "lrbias.losses"),
    ("Gradient-descent engines", "lrbias.gd"),
    ("Claims: verdicts, entries, batch statistics, the catalogue", "lrbias.claims"),
    ("Errors and version", "lrbias"),
]


def _first_paragraph(doc: str | None) -> str:
    return inspect.cleandoc(doc or "(no docstring)")


def _home(name: str, obj: object) -> str:
    """The section a name of the front belongs to (by the module that defines it)."""
    module = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None) or "lrbias"
    for _, package in SECTIONS[:-1]:
        if module == package or module.startswith(package + "."):
            return package
    return "lrbias"


def _describe(name: str, obj: object) -> list[str]:
    obj = getattr(obj, "__wrapped__", obj)  # functools.lru_cache
    if inspect.ismodule(obj):
        return [f"### module `{name}`", "", _first_paragraph(obj.__doc__), ""]
    if inspect.isclass(obj) or inspect.isfunction(obj):
        kind = "class" if inspect.isclass(obj) else "def"
        try:
            sig = str(inspect.signature(obj))
        except (TypeError, ValueError):
            sig = "(...)"
        lines = [f"### `{kind} {name}{sig}`", "", _first_paragraph(obj.__doc__), ""]
        if inspect.isclass(obj):
            for mname, member in vars(obj).items():
                documented = inspect.isfunction(member) or isinstance(
                    member, (property, functools.cached_property, classmethod, staticmethod))
                if mname.startswith("_") or not documented:
                    continue
                doc = member.fget.__doc__ if isinstance(member, property) else getattr(member, "__doc__", None)
                lines += [f"- `{name}.{mname}`: {_first_paragraph(doc).splitlines()[0]}"]
            lines.append("")
        return lines
    shown = ", ".join(map(str, obj)) if isinstance(obj, (dict, list, tuple)) else repr(obj)
    return [f"### `{name}`", "", f"`{type(obj).__name__}`: {shown}", ""]


def render() -> str:
    """docs/api.md: every name of the front (``lrbias.__all__``), grouped along the data path."""
    front = importlib.import_module("lrbias")
    lines = ["# lrbias API reference", "",
             "Generated from the docstrings by `python docs/build_api.py`; do not edit by hand.", "",
             _first_paragraph(front.__doc__), ""]
    by_home: dict[str, list[str]] = {}
    for name in front.__all__:
        by_home.setdefault(_home(name, getattr(front, name)), []).append(name)
    for title, package in SECTIONS:
        lines += [f"## {title}", ""]
        for name in by_home.get(package, []):
            lines += _describe(name, getattr(front, name))
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is out of date")
    args = parser.parse_args()
    target = Path(__file__).with_name("api.md")
    text = render()
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print("docs/api.md is out of date: run python docs/build_api.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
