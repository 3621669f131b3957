"""Load users' theory variants: a Python module or a TOML file, and ``lrbias.theorems`` entry points.

Every problem is reported as an LrbiasError that names the file, the entry (or family) and the
problem: a syntax error or typo (with its line), a non-callable conclusion, a family not
minimised at s = 1, a strategy that cannot generate a valid example, a duplicate id.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
import traceback
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException

from lrbias.claims.core import Entry
from lrbias.errors import LrbiasError

ENTRY_POINT_GROUP = "lrbias.theorems"


def _where(exc: BaseException, path: Path) -> str:
    """'file:line' of the deepest frame inside the variant file, or just the file."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{path}:{exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            return f"{path}:{frame.lineno}"
    return str(path)


def _load_python(path: Path) -> list[Entry]:
    name = f"lrbias_variant_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LrbiasError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except LrbiasError as exc:
        raise LrbiasError(f"{_where(exc, path)}: {exc}") from None
    except Exception as exc:  # the user's code: report where and what, not a traceback
        raise LrbiasError(f"{_where(exc, path)}: {type(exc).__name__}: {exc}") from None
    entries = getattr(module, "ENTRIES", None)
    if entries is None:
        raise LrbiasError(f"{path}: defines no ENTRIES list (a list of lrbias.api.Entry)")
    return _check_entries(entries, str(path))


def _load_toml(path: Path) -> list[Entry]:
    from lrbias import api

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LrbiasError(f"{path}: not valid TOML: {exc}") from None
    for i, fam in enumerate(data.get("family", [])):
        label = f"{path}: family {fam.get('name', f'#{i + 1}')!r}"
        try:
            params = {k: (v["default"], v["min"], v["max"]) for k, v in fam.get("params", {}).items()}
            api.register_family(fam["name"], fam["expression"], params, fam.get("description", ""))
        except KeyError as exc:
            raise LrbiasError(f"{label}: missing key {exc}") from None
        except LrbiasError as exc:
            raise LrbiasError(f"{label}: {exc}") from None
    entries = []
    for i, claim in enumerate(data.get("claim", [])):
        label = f"{path}: claim {claim.get('id', f'#{i + 1}')!r}"
        try:
            kind = claim["statistic"]
            if kind not in api.STATISTICS:
                raise LrbiasError(f"unknown statistic {kind!r}; accepted: {', '.join(api.STATISTICS)}")
            level = float(claim["level"])
            mutants = [(m["name"], m.get("description", m["name"]), api.STATISTICS[kind](float(m["level"])))
                       for m in claim.get("mutant", [])]
            entries.append(api.batch_claim(
                claim["id"], claim.get("title", claim["id"]), claim["statement"], claim["families"],
                tuple(claim["kappa"]), api.STATISTICS[kind](level), mutants,
                provenance=claim.get("provenance", "reconstructed"),
                frontier=tuple(claim["frontier"]) if "frontier" in claim else None))
        except KeyError as exc:
            raise LrbiasError(f"{label}: missing key {exc}") from None
        except (LrbiasError, ValueError, TypeError) as exc:
            raise LrbiasError(f"{label}: {exc}") from None
    return _check_entries(entries, str(path))


def _check_entries(entries: Iterable, source: str) -> list[Entry]:
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Entry):
            raise LrbiasError(f"{source}: ENTRIES[{i}] is a {type(entry).__name__}, not an lrbias.api.Entry")
        preflight(entry, source)
        out.append(entry)
    return out


def preflight(entry: Entry, source: str) -> None:
    """Check that the entry's strategy can generate valid examples (a few draws, no conclusion run)."""
    drawn = []

    @settings(max_examples=3, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow])
    @given(entry.hypotheses)
    def draw(case):
        drawn.append(case)

    try:
        draw()
    except HypothesisException as exc:
        raise LrbiasError(f"{source}: entry {entry.id!r}: its hypotheses strategy cannot generate valid "
                          f"examples ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
    except Exception as exc:
        raise LrbiasError(f"{source}: entry {entry.id!r}: drawing an example failed: "
                          f"{type(exc).__name__}: {exc}") from None
    if not drawn:
        raise LrbiasError(f"{source}: entry {entry.id!r}: its hypotheses strategy generated no example")


def load_variant_file(path: str | Path) -> list[Entry]:
    """Entries (and, as a side effect, registered families) of one variant file (.py or .toml)."""
    path = Path(path)
    if not path.is_file():
        raise LrbiasError(f"{path}: no such variant file")
    if path.suffix == ".py":
        return _load_python(path)
    if path.suffix == ".toml":
        return _load_toml(path)
    raise LrbiasError(f"{path}: unknown variant file type {path.suffix!r}; accepted: .py, .toml")


def entry_point_entries() -> list[Entry]:
    """Entries contributed by installed packages through the ``lrbias.theorems`` entry-point group.

    Each entry point loads either a module with an ``ENTRIES`` list or a callable returning entries.
    """
    entries = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        source = f"entry point {ep.name} ({ep.value})"
        try:
            obj = ep.load()
            found = obj() if callable(obj) else getattr(obj, "ENTRIES", None)
        except Exception as exc:
            raise LrbiasError(f"{source}: {type(exc).__name__}: {exc}") from None
        if found is None:
            raise LrbiasError(f"{source}: has no ENTRIES list and is not callable")
        entries.extend(_check_entries(found, source))
    return entries


def with_variants(builtin: list[Entry], files: Iterable[str]) -> list[Entry]:
    """Built-in entries + entry points + variant files; a repeated id is an error naming both."""
    entries = list(builtin)
    seen = {e.id: "the built-in catalogue" for e in entries}
    for source, extra in [("an installed entry point", entry_point_entries())] + \
            [(f, load_variant_file(f)) for f in files]:
        for entry in extra:
            if entry.id in seen:
                raise LrbiasError(f"{source}: entry id {entry.id!r} is already defined by {seen[entry.id]}")
            seen[entry.id] = source
            entries.append(entry)
    return entries
