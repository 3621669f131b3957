"""Load users' theory variant files: a Python module (``ENTRIES``) or a TOML file of batch claims.

The catalogue (:mod:`lrbias.claims.catalogue`) loads them after the entry-point groups.  Every
problem is reported as an LrbiasError that names the file, the entry (or family) and the
problem: a syntax error or typo (with its line), a non-callable conclusion, a family not
minimised at s = 1, a strategy that cannot generate a valid example, a duplicate id.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import tomllib
import traceback
from collections.abc import Iterable
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException

from lrbias.claims.entry import Entry, resolve
from lrbias.claims.profiles import PROFILES
from lrbias.claims.statistical import batch_claim
from lrbias.claims.statistics import STATISTICS
from lrbias.errors import LrbiasError, short
from lrbias.losses.families import register_family

PREFLIGHT_PROFILE = PROFILES["smoke"]
"""The profile a preflight resolves hypotheses with: only whether cases can be drawn is checked."""


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
    return check_entries(entries, str(path))


def _load_toml(path: Path) -> list[Entry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LrbiasError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise LrbiasError(f"{path}: not UTF-8 text (byte {exc.start}); a TOML file must be UTF-8") from None
    for i, fam in enumerate(_tables(data, "family", path)):
        label = f"{path}: family {short(fam.get('name', f'#{i + 1}'))!r}"
        try:
            raw_params = fam.get("params", {})
            if not isinstance(raw_params, dict) or not all(isinstance(v, dict) for v in raw_params.values()):
                raise TypeError("params must be a table of tables {default, min, max}")
            params = {k: (_number(v["default"], "default"), _number(v["min"], "min"), _number(v["max"], "max"))
                      for k, v in raw_params.items()}
            for key in ("name", "expression", "description"):
                if not isinstance(fam.get(key, ""), str):
                    raise TypeError(f"{key} must be a string, not {type(fam[key]).__name__}")
            register_family(fam["name"], fam["expression"], params, fam.get("description", ""))
        except KeyError as exc:
            raise LrbiasError(f"{label}: missing key {exc}") from None
        except (LrbiasError, ValueError, TypeError, AttributeError) as exc:
            raise LrbiasError(f"{label}: {exc}") from None
    entries = []
    for i, claim in enumerate(_tables(data, "claim", path)):
        label = f"{path}: claim {short(claim.get('id', f'#{i + 1}'))!r}"
        try:
            kind = claim["statistic"]
            if kind not in STATISTICS:
                raise LrbiasError(f"unknown statistic {kind!r}; accepted: {', '.join(STATISTICS)}")
            level = float(claim["level"])
            mutants = [(m["name"], m.get("description", m["name"]), STATISTICS[kind](float(m["level"])))
                       for m in claim.get("mutant", [])]
            entries.append(batch_claim(
                claim["id"], claim.get("title", claim["id"]), claim["statement"], claim["families"],
                tuple(claim["kappa"]), STATISTICS[kind](level), mutants,
                provenance=claim.get("provenance", "reconstructed"),
                frontier=tuple(claim["frontier"]) if "frontier" in claim else None))
        except KeyError as exc:
            raise LrbiasError(f"{label}: missing key {exc}") from None
        except (LrbiasError, ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise LrbiasError(f"{label}: {short(str(exc), 200)}") from None
    return check_entries(entries, str(path))


def _tables(data: dict, key: str, path: Path) -> list[dict]:
    """``data[key]`` as a list of tables ([[key]] arrays in TOML); LrbiasError naming the file otherwise."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise LrbiasError(f"{path}: '{key}' must be an array of tables ([[{key}]]), not {type(value).__name__}")
    return value


def _number(value: object, name: str) -> float:
    """A TOML number (int or float, not bool), finite; TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or abs(value) > 1e300:
        raise ValueError(f"{name} = {short(value)} is out of range; accepted: a finite number, |v| <= 1e300")
    return value


def check_entries(entries: Iterable, source: str, preflight: bool = True) -> list[Entry]:
    """``entries`` as a list, each an Entry (and, with ``preflight``, able to draw cases); else LrbiasError."""
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Entry):
            raise LrbiasError(f"{source}: ENTRIES[{i}] is a {type(entry).__name__}, not an lrbias.api.Entry")
        if preflight:
            preflight_entry(entry, source)
        out.append(entry)
    return out


def preflight_entry(entry: Entry, source: str) -> None:
    """Check that the entry's strategy can generate valid examples (a few draws, no conclusion run)."""
    drawn = []

    def draw(case: object) -> None:
        drawn.append(case)

    try:
        strategy = resolve(entry.hypotheses, PREFLIGHT_PROFILE)
        settings(max_examples=3, deadline=None, database=None, phases=[Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow])(given(strategy)(draw))()
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
