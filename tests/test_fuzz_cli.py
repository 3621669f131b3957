"""Fuzzing the command line in-process (Hypothesis): random specs, formulas, ranges, TOML variants and results
documents.  Whatever the input: exit 0, 1 or 2 only, never a traceback, a failure is one line
``lrbias: error: ...``, each call finishes in bounded time, and nothing outside the temp folder changes.

Runs under the ``ci`` profile's example count whatever profile is loaded (a few minutes in all);
LRBIAS_FUZZ_EXAMPLES=N runs N examples per target instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import string
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lrbias.cli import main

ROOT = Path(__file__).resolve().parents[1]
CALL_LIMIT_S = 120  # generous on a loaded machine; a hang (the bugs this suite guards against) is far longer

FUZZ = settings(settings.get_profile("ci"), deadline=None, derandomize=True, database=None,
                max_examples=int(os.environ.get("LRBIAS_FUZZ_EXAMPLES", settings.get_profile("ci").max_examples)),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


def _tree(root: Path) -> dict[str, float]:
    """Every path under ``root`` (skipping caches) with its mtime: what a command must not touch."""
    skip = {".git", ".mypy_cache", ".ruff_cache", "__pycache__", ".pytest_cache", ".hypothesis", "reports"}
    out = {}
    for path in root.rglob("*"):
        if skip.isdisjoint(path.relative_to(root).parts):
            out[str(path)] = path.lstat().st_mtime
    return out


@pytest.fixture(scope="module", autouse=True)
def repo_before() -> dict[str, float]:
    return _tree(ROOT)


@contextlib.contextmanager
def _alarm(seconds: int):
    def fail(signum, frame):
        raise AssertionError(f"a CLI call ran past {seconds} s: unbounded work")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in-process: (exit code, stdout, stderr), checked against the error policy."""
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with _alarm(CALL_LIMIT_S), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    text = err.getvalue()
    assert code in (0, 1, 2), (argv, code, text)
    assert "Traceback" not in text, (argv, text)
    assert "internal error" not in text, (argv, text)  # an exception no check anticipated
    if code != 0 and "lrbias: error:" in text:
        line = next(t for t in text.splitlines() if "lrbias: error:" in t)
        assert len(line) < 700, "values quoted short"
    assert code == 0 or text.strip(), (argv, "a failure says why")
    assert time.perf_counter() - started < CALL_LIMIT_S
    return code, out.getvalue(), text


TOKENS = ["s", "(s-1)", "1", "2", "0", "1e308", "1e-320", "9**64", "pi", "e", "exp(", "log(", "sqrt(", "sin(",
          "cosh(", "softplus(", "abs(", "sign(", "+", "-", "*", "/", "**", "^", "(", ")", "1j", "zoo", "I", "inf",
          "nan", "__import__", "'a'", ",", ".", "[", "lambda"]

formulas = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join)
numbers = st.one_of(st.sampled_from(["0", "1", "-1", "0.5", "1e308", "1e999999999", "-0", "1/3", "1/0", "nan",
                                     "inf", "1e-400", "2e150", "9" * 60, ""]),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr))
specs = st.one_of(
    formulas.map(lambda f: f"expr:{f}"),
    st.builds(lambda name, key, value: f"{name}:{key}={value}",
              st.sampled_from(["huber", "softplus-pair", "power", "square", "nope", ""]),
              st.sampled_from(["delta", "a", "b", "x", ""]), numbers),
    st.text(string.printable, max_size=30),
)


@FUZZ
@given(spec=specs, x0=numbers, y0=numbers, h=numbers)
@example(spec="huber:delta=1e999999999", x0="1", y0="1", h="0.1")
@example(spec="expr:(((((9**64)**64)**64)**64)**64)*(s-1)**2", x0="1", y0="1", h="0.1")
@example(spec="expr:exp(exp((s-1)**2))", x0="1e-150", y0="2e-150", h="1e300")
def test_fuzz_run(spec: str, x0: str, y0: str, h: str) -> None:
    run_cli(["run", "--loss", spec, f"--x0={x0}", f"--y0={y0}", f"--h={h}", "--steps", "50"])


@FUZZ
@given(spec=specs)
@example(spec="expr:(s-1)**2*(2+sin(s*exp(s)))")
def test_fuzz_dor_numeric(spec: str) -> None:
    run_cli(["dor", spec, "--method", "numeric"])


ranges = st.one_of(numbers, st.builds(lambda a, b: f"{a}:{b}", numbers, numbers),
                   st.text(string.printable, max_size=12))


@FUZZ
@given(c=ranges, x0=ranges, y0=ranges, n=st.sampled_from(["1", "30", "0", "-5", "10000000000", "x"]))
@example(c="1", x0="-1e308:1e308", y0="0.5:4", n="10")
def test_fuzz_sweep_ranges(c: str, x0: str, y0: str, n: str) -> None:
    run_cli(["sweep", "--loss", "square", f"--C={c}", f"--x0={x0}", f"--y0={y0}", f"--n={n}", "--steps", "40",
             "--no-artefact-check", "--json"])


toml_values = st.recursive(
    st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True), st.booleans(), formulas,
              st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["name", "expression", "params", "default", "min", "max", "id", "statement", "statistic", "level",
         "families", "kappa", "mutant", "frontier", "c"]), inner, max_size=4)),
    max_leaves=12)


def _toml(value: object) -> str:
    """A TOML literal (JSON's string escapes are TOML's basic strings; nan/inf written TOML's way)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


toml_docs = st.one_of(
    st.builds(lambda fams, claims: "".join(
        "[[family]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in f.items()) for f in fams) + "".join(
        "[[claim]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in c.items()) for c in claims),
        st.lists(st.dictionaries(st.sampled_from(["name", "expression", "params", "description"]), toml_values,
                                 max_size=4), max_size=2),
        st.lists(st.dictionaries(st.sampled_from(["id", "statement", "statistic", "level", "families", "kappa",
                                                  "mutant", "frontier"]), toml_values, max_size=6), max_size=2)),
    st.dictionaries(st.sampled_from(["family", "claim", "x"]), toml_values, max_size=3).map(
        lambda d: "".join(f"{k} = {_toml(v)}\n" for k, v in d.items())),
).map(lambda text: text.encode("utf-8")) | st.binary(max_size=40)


@FUZZ
@given(doc=toml_docs)
@example(doc=b'[[family]]\nname = 3\nexpression = "(s-1)**2"\n')
@example(doc=b"\xff\xfe[[claim]]")
def test_fuzz_toml_variants(tmp_path_factory, monkeypatch, doc: bytes) -> None:
    from lrbias.claims import variants
    from lrbias.losses import families

    monkeypatch.setattr(variants, "preflight_entry", lambda entry, source: None)  # no Hypothesis in Hypothesis
    kinds = dict(families.KINDS)
    path = tmp_path_factory.mktemp("toml") / "v.toml"
    path.write_bytes(doc)
    try:
        run_cli(["check", "--no-nn", "--quiet", "--variants", str(path), "fuzz.no-such-entry"])
    finally:
        families.KINDS.clear()
        families.KINDS.update(kinds)


def _valid_doc() -> dict:
    from lrbias.claims.results import build_document

    entry = {"id": "x.a", "title": "t", "provenance": "exact", "verdict": "pass", "examples": 3, "inconclusive": 0,
             "seed": 0, "elapsed_s": 0.1, "notes": [], "worst_margin": 1.0,
             "frontier": {"parameter": "kappa", "families": {"square": {"holds_on": [[0.0, 1.0]]}}}}
    return build_document([entry], "smoke", 0, "cmd", 0.0)


json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                     st.text(max_size=8), st.sampled_from(["inf", "-inf", "pass", "fail"])),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=10)
paths = st.lists(st.sampled_from(["entries", 0, "worst_margin", "frontier", "families", "square", "holds_on",
                                  "verdict", "id", "summary", "schema", "seed", "notes", "provenance"]),
                 min_size=1, max_size=6)


def _mutate(doc: object, path: list, value: object) -> object:
    """``doc`` with the value at ``path`` (as far as it exists) replaced by ``value``."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(doc, dict) and isinstance(key, str) and key in doc:
        return {**doc, key: _mutate(doc[key], rest, value)}
    if isinstance(doc, list) and isinstance(key, int) and key < len(doc):
        return [*doc[:key], _mutate(doc[key], rest, value), *doc[key + 1:]]
    return value


@FUZZ
@given(path=paths, value=json_values, html=st.booleans())
@example(path=["entries", 0, "worst_margin"], value=[1, 2], html=False)
@example(path=["entries", 0, "frontier"], value=[1, 2], html=True)
@example(path=["entries", 0, "frontier", "families", "square", "holds_on"], value=[[0.0], [1.0, 2.0, 3.0]],
         html=False)
def test_fuzz_results_documents(tmp_path_factory, path: list, value: object, html: bool) -> None:
    folder = tmp_path_factory.mktemp("docs")
    good, bad = folder / "good.json", folder / "bad.json"
    good.write_text(json.dumps(_valid_doc()))
    bad.write_text(json.dumps(_mutate(_valid_doc(), path, value)))
    extra = ["--html", str(folder / "d.html")] if html else []
    run_cli(["diff", str(good), str(bad), *extra])
    run_cli(["diff", str(bad), str(good), "--json"])
    assert {p.name for p in folder.iterdir()} <= {"bad.json", "d.html", "good.json"}


def test_nothing_outside_the_temp_folders_changed(repo_before: dict[str, float]) -> None:
    """Runs after the fuzz tests above (file order): the repository is as it was."""
    assert _tree(ROOT) == repo_before


def test_the_harness_catches_a_missing_bound(monkeypatch) -> None:
    """The fuzz checks can fail: with the formula's number bound removed, an overflow escapes as an internal error."""
    from lrbias.losses import parser

    run_cli(["run", "--loss", "expr:(s-1)**2*1e300*1e300", "--x0=1", "--y0=1", "--h=0.1"])
    monkeypatch.setattr(parser, "MAX_LOG10", 10**6)
    with pytest.raises(AssertionError, match="internal error"):
        run_cli(["run", "--loss", "expr:(s-1)**2*1e300*1e300", "--x0=1", "--y0=1", "--h=0.1"])
