"""Load users' theory variant files: a Python module (a ``GROUP`` and/or ``ENTRIES``) or a TOML file of batch claims.

A file declares one or more :class:`~lrbias.claims.group.Group`: a Python module its ``GROUP`` (a
Group, with the figures, known findings and families the report shows beside it) and/or its
``ENTRIES`` (a list of entries, grouped under the file's name); a TOML file one group named after
the file, whose family specs (those its claims use) are added to the
phase diagram and the start-imbalance maps, which illustrate its claims.  The catalogue
(:mod:`lrbias.claims.catalogue`) loads them after the entry-point groups.  Every
problem is reported as an LrbiasError that names the file, the entry (or family) and the
problem: a syntax error or typo (with its line), a non-callable conclusion, a family not
minimised at s = 1, a strategy that cannot generate a valid example, a duplicate id.  While a file loads, the
builders record it as their entries' ``source``: replay commands load it first, so they work
in a new process.
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

from lrbias.claims.entry import Entry, Mutant, resolve
from lrbias.claims.group import Group
from lrbias.claims.profiles import PROFILES
from lrbias.claims.statistical import VARIANT_SOURCE, batch_claim
from lrbias.claims.statistics import STATISTICS
from lrbias.errors import InvalidArgument, LrbiasError, short
from lrbias.inputs import read_text
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


def _load_python(path: Path) -> list[Group]:
    name = f"lrbias_variant_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidArgument(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except LrbiasError as exc:
        raise InvalidArgument(f"{_where(exc, path)}: {exc}") from None
    except Exception as exc:  # the user's code: report where and what, not a traceback
        raise InvalidArgument(f"{_where(exc, path)}: {type(exc).__name__}: {exc}") from None
    group, entries = getattr(module, "GROUP", None), getattr(module, "ENTRIES", None)
    if group is None and entries is None:
        raise InvalidArgument(f"{path}: defines neither GROUP (an lrbias.api.Group) nor ENTRIES "
                          "(a list of lrbias.api.Entry)")
    out: list[Group] = []
    if group is not None:
        if not isinstance(group, Group):
            raise InvalidArgument(f"{path}: GROUP is a {type(group).__name__}, not an lrbias.api.Group")
        check_entries(group.entries, str(path))
        out.append(group)
    if entries is not None:
        inside = {e.id for g in out for e in g.entries}
        rest = [e for e in check_entries(entries, str(path)) if e.id not in inside]
        if rest:
            out.append(Group(path.stem, path.stem, tuple(rest)))
    return out


def _load_toml(path: Path) -> list[Group]:
    try:
        data = tomllib.loads(read_text(path, ""))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(f"{path}: not valid TOML: {exc}") from None
    except LrbiasError:
        raise
    except ValueError as exc:  # e.g. an integer of thousands of digits (Python's int_max_str_digits)
        text = "an integer too long to read" if "digits" in str(exc) else short(str(exc), 120)
        raise InvalidArgument(f"{path}: not valid TOML: {text}") from None
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
            raise InvalidArgument(f"{label}: missing key {exc}") from None
        except (LrbiasError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidArgument(f"{label}: {exc}") from None
    entries: list[Entry] = []
    used: list[str] = []
    for i, claim in enumerate(_tables(data, "claim", path)):
        label = f"{path}: claim {short(claim.get('id', f'#{i + 1}'))!r}"
        try:
            kind = claim["statistic"]
            if kind not in STATISTICS:
                raise InvalidArgument(f"unknown statistic {kind!r}; accepted: {', '.join(STATISTICS)}")
            for key in ("id", "title", "statement", "provenance"):
                if key in claim and not isinstance(claim[key], str):
                    raise TypeError(f"{key} must be a string, not {type(claim[key]).__name__}")
            families = claim["families"]
            if not isinstance(families, list) or not families or not all(isinstance(f, str) for f in families):
                raise TypeError("families must be a non-empty list of loss specs (strings)")
            level = _number(claim["level"], "level")
            mutant_tables = claim.get("mutant", [])
            if not isinstance(mutant_tables, list) or not all(isinstance(m, dict) for m in mutant_tables):
                raise TypeError("mutant must be an array of tables ([[claim.mutant]])")
            mutants = [Mutant(m["name"], m.get("description", m["name"]),
                              statistic=STATISTICS[kind](_number(m["level"], f"mutant {short(m['name'])!r} level")))
                       for m in mutant_tables]
            entries.append(batch_claim(
                id=claim["id"], title=claim.get("title", claim["id"]), statement=claim["statement"],
                families=families, kappa=_kappa_range(claim["kappa"], "kappa"), statistic=STATISTICS[kind](level),
                mutants=mutants, provenance=claim.get("provenance", "reconstructed"),
                frontier=_kappa_range(claim["frontier"], "frontier") if "frontier" in claim else None))
            used += [f for f in families if f not in used]
        except KeyError as exc:
            raise InvalidArgument(f"{label}: missing key {exc}") from None
        except (LrbiasError, ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise InvalidArgument(f"{label}: {short(str(exc), 200)}") from None
    check_entries(entries, str(path))
    if not entries:
        return []
    return [Group(path.stem, path.stem, tuple(entries), figures=("phase", "start-map-*"),
                  phase_families=tuple(used), map_families=tuple(used))]


def _tables(data: dict, key: str, path: Path) -> list[dict]:
    """``data[key]`` as a list of tables ([[key]] arrays in TOML); LrbiasError naming the file otherwise."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidArgument(f"{path}: '{key}' must be an array of tables ([[{key}]]), not {type(value).__name__}")
    return value


def _number(value: object, name: str) -> float:
    """A TOML number (int or float, not bool), finite; TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if isinstance(value, int) and abs(value) > 10 ** 300:
        raise ValueError(f"{name} is an integer of {len(str(abs(value)))} digits; accepted: |v| <= 1e300")
    if not math.isfinite(value) or abs(value) > 1e300:
        raise ValueError(f"{name} = {short(value)} is out of range; accepted: a finite number, |v| <= 1e300")
    return value


KAPPA_RANGE = (1e-6, 1e6)
"""The κ a TOML claim's ``kappa`` and ``frontier`` ranges may span (κ > 2 is already a large step)."""


def _kappa_range(value: object, name: str) -> tuple[float, float]:
    """A TOML κ range [lo, hi]: two finite numbers with KAPPA_RANGE[0] <= lo < hi <= KAPPA_RANGE[1]."""
    lo_min, hi_max = KAPPA_RANGE
    accepted = f"accepted: [lo, hi], two numbers with {lo_min:g} <= lo < hi <= {hi_max:g}"
    if not isinstance(value, list) or len(value) != 2 or any(isinstance(v, bool) or not isinstance(v, int | float)
                                                              for v in value):
        raise TypeError(f"{name} = {short(value)} is invalid; {accepted}")
    lo, hi = float(value[0]), float(value[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo_min <= lo < hi <= hi_max):
        raise ValueError(f"{name} = [{short(value[0])}, {short(value[1])}] is out of range; {accepted}")
    return lo, hi


def check_entries(entries: Iterable, source: str, preflight: bool = True) -> list[Entry]:
    """``entries`` as a list, each an Entry (and, with ``preflight``, able to draw cases); else LrbiasError."""
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Entry):
            raise InvalidArgument(f"{source}: ENTRIES[{i}] is a {type(entry).__name__}, not an lrbias.api.Entry")
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
        # derandomize: the same draws every time, and no "@seed(...)" line after a Ctrl-C (issue 26)
        settings(max_examples=3, deadline=None, database=None, phases=[Phase.generate], derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])(given(strategy)(draw))()
    except HypothesisException as exc:
        raise InvalidArgument(f"{source}: entry {entry.id!r}: its hypotheses strategy cannot generate valid "
                          f"examples ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})") from None
    except Exception as exc:
        raise InvalidArgument(f"{source}: entry {entry.id!r}: drawing an example failed: "
                          f"{type(exc).__name__}: {exc}") from None
    if not drawn:
        raise InvalidArgument(f"{source}: entry {entry.id!r}: its hypotheses strategy generated no example")


def load_variant_file(path: str | Path) -> list[Entry]:
    """Entries (and, as a side effect, registered families) of one variant file (.py or .toml)."""
    return [e for group in load_variant_groups(path) for e in group.entries]


def load_variant_groups(path: str | Path) -> list[Group]:
    """The groups (and, as a side effect, registered families) of one variant file (.py or .toml)."""
    path = Path(path)
    if not path.exists():
        raise InvalidArgument(f"{path}: no such variant file")
    if path.suffix not in (".py", ".toml"):
        raise InvalidArgument(f"{path}: unknown variant file type {path.suffix!r}; accepted: .py, .toml")
    if path.suffix == ".py":
        read_text(path, "")  # a regular file of bounded size: a FIFO would block the import forever
    token = VARIANT_SOURCE.set(str(path))
    try:
        return _load_python(path) if path.suffix == ".py" else _load_toml(path)
    finally:
        VARIANT_SOURCE.reset(token)
