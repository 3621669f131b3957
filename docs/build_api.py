"""Build docs/api.md, the API reference, from the docstrings of the public modules.

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

MODULES = [
    ("Loss families", "lrbias.losses.families", ["get_family", "register_family", "parse_spec", "builtin_specs",
                                          "Family", "FamilyKind", "ParamSpec", "Derivatives"]),
    ("Degree of regularity", "lrbias.losses.regularity", ["degree_of_regularity", "symbolic_dor", "numeric_dor",
                                                   "DorResult"]),
    ("Exact 2-D quantities", "lrbias.gd.objective", None),
    ("Exact identities", "lrbias.gd.identities", ["check", "relative_residual", "balancing", "product_update",
                                               "norm_update", "invariant_q", "hessian_at_minimiser"]),
    ("Hypothesis strategies", "lrbias.claims.strategies", None),
    ("Engines", "lrbias.gd", None),
    ("Sampling", "lrbias.gd.sampling", None),
    ("Scale-out on Dask", "lrbias.gd.scaleout", ["run_sweep_chunks", "plan_chunks", "chunk_seed", "run_chunk",
                                              "concat_batches", "map_tasks", "map_on", "SweepRanges"]),
    ("Catalogue entries", "lrbias.claims.core", None),
    ("Catalogue runner", "lrbias.claims.runner", ["run_entry", "EntryResult", "Counterexample"]),
    ("Search profiles", "lrbias.claims.profiles", ["Profile", "get_profile", "active_profile", "use_profile"]),
    ("Validity frontiers", "lrbias.claims.frontier", ["Frontier", "find_frontier"]),
    ("Results documents", "lrbias.claims.results", ["build_document", "validate", "write_document",
                                                       "load_document", "write_atomic", "environment"]),
    ("API for variants", "lrbias.api", ["batch_claim", "STATISTICS"]),
    ("Variant files and entry points", "lrbias.claims.variants", ["load_variant_file", "entry_point_entries",
                                                           "with_variants", "preflight"]),
    ("Report", "lrbias.report.build", ["build_report", "write_report_folder", "replace_folder"]),
    ("Diffs of results", "lrbias.report.diff", ["diff_documents", "Diff", "format_text", "format_html"]),
]


def _first_paragraph(doc: str | None) -> str:
    return inspect.cleandoc(doc or "(no docstring)")


def _public(module, names):
    if names is not None:
        return names
    exported = getattr(module, "__all__", None)
    if exported:
        return list(exported)
    return [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", None)
            == module.__name__ and (inspect.isfunction(v) or inspect.isclass(v))]


def render() -> str:
    lines = ["# lrbias API reference", "",
             "Generated from the docstrings by `python docs/build_api.py`; do not edit by hand.", ""]
    for title, modname, names in MODULES:
        module = importlib.import_module(modname)
        lines += [f"## {title} (`{modname}`)", "", _first_paragraph(module.__doc__), ""]
        for name in _public(module, names):
            obj = getattr(module, name)
            obj = getattr(obj, "__wrapped__", obj)  # functools.lru_cache
            if inspect.isclass(obj) or inspect.isfunction(obj):
                kind = "class" if inspect.isclass(obj) else "def"
                try:
                    sig = str(inspect.signature(obj))
                except (TypeError, ValueError):
                    sig = "(...)"
                lines += [f"### `{kind} {name}{sig}`", "", _first_paragraph(obj.__doc__), ""]
                if inspect.isclass(obj):
                    for mname, member in vars(obj).items():
                        documented = inspect.isfunction(member) or isinstance(
                            member, (property, functools.cached_property, classmethod, staticmethod))
                        if mname.startswith("_") or not documented:
                            continue
                        doc = member.fget.__doc__ if isinstance(member, property) else getattr(
                            member, "__doc__", None)
                        lines += [f"- `{name}.{mname}`: {_first_paragraph(doc).splitlines()[0]}"]
                    lines.append("")
            else:
                shown = ", ".join(map(str, obj)) if isinstance(obj, (dict, list, tuple)) else type(obj).__name__
                lines += [f"### `{name}`", "", f"`{type(obj).__name__}`: {shown}", ""]
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
