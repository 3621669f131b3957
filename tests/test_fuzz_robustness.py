"""Fuzzing the classes of issue 26 (in-process, Hypothesis, the harness of test_fuzz_cli.py):

- input files of every kind (FIFO, device, folder, a file past the size cap, random bytes) handed to
  every option that reads one: one-line error or success, never a hang;
- control characters in ids from a results document: never printed raw;
- NaN, ±inf and absurd values in every TOML numeric field: refused with one line naming the file;
- extreme starts and step sizes: one-line errors or a verdict, never "diverged" on a stable
  minimiser with a tiny step, never "stalled" on a run leaving the saddle.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from test_fuzz_cli import FUZZ, run_cli

from lrbias.inputs import MAX_INPUT_BYTES


def _results_doc(ids: list[str], margin: float = 1.0) -> dict:
    from lrbias.claims.results import build_document

    entries = [{"id": eid, "title": "t", "provenance": "exact", "verdict": "pass", "examples": 3, "inconclusive": 0,
                "seed": 0, "elapsed_s": 0.1, "notes": [], "worst_margin": margin} for eid in ids]
    return build_document(entries, "smoke", 0, "cmd", 0.0)


# --- input files of every kind ---------------------------------------------------------------------

def _make_input(folder: Path, kind: str, payload: bytes) -> Path:
    path = folder / f"in-{kind}.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        return Path("/dev/zero")
    elif kind == "huge":
        with open(path, "wb") as handle:  # sparse: past the cap without writing it
            handle.truncate(MAX_INPUT_BYTES + 1)
    elif kind == "link-to-fifo":
        os.mkfifo(folder / "target")
        path.symlink_to(folder / "target")
    else:
        path.write_bytes(payload)
    return path


def _commands(path: Path, folder: Path, good: Path) -> list[list[str]]:
    toml, py = folder / "v.toml", folder / "v.py"
    for link in (toml, py):
        if not link.exists() and not link.is_symlink():
            link.symlink_to(path)
    return [["diff", str(path), str(good)],
            ["diff", str(good), str(path)],
            ["nn-grid", "--claims", "nn.no-eos-cubic", "--from-json", str(path)],
            ["report", "exact", "--profile", "smoke", "--no-nn", "--out", str(folder / "r"), "--compare", str(path),
             "--seed", "-1"],
            ["check", "--variants", str(toml), "--no-nn", "--quiet", "fuzz.no-such-entry"],
            ["check", "--variants", str(py), "--no-nn", "--quiet", "fuzz.no-such-entry"],
            ["check", "--database", str(path), "--no-nn", "--quiet", "fuzz.no-such-entry"]]


@FUZZ
@given(kind=st.sampled_from(["fifo", "folder", "device", "huge", "link-to-fifo", "bytes"]),
       payload=st.binary(max_size=64) | st.sampled_from([b"NaN", b'{"runs": Infinity}', b"1" * 5000,
                                                          b'{"runs": {"a": [null]}}', b"[" * 100000]),
       which=st.integers(0, 6))
@example(kind="fifo", payload=b"", which=2)
@example(kind="huge", payload=b"", which=0)
@example(kind="bytes", payload=b"[" * 100000, which=0)
def test_fuzz_input_files(tmp_path_factory, kind: str, payload: bytes, which: int) -> None:
    folder = tmp_path_factory.mktemp("inputs")
    good = folder / "good.json"
    good.write_text(json.dumps(_results_doc(["x.a"])))
    path = _make_input(folder, kind, payload)
    argv = _commands(path, folder, good)[which]
    code, _, err = run_cli(argv)
    if kind in ("fifo", "device", "huge", "link-to-fifo", "folder") and argv[0] != "report":
        assert code == 2, (argv, err)


# --- control characters in ids ---------------------------------------------------------------------

RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@FUZZ
@given(ids=st.lists(st.text(alphabet=st.characters(max_codepoint=0x2070), min_size=1, max_size=12), min_size=1,
                    max_size=3, unique=True), as_json=st.booleans())
@example(ids=["evil\x1b]0;title\x07\x1b[2J"], as_json=False)
def test_fuzz_control_characters_in_ids(tmp_path_factory, ids: list[str], as_json: bool) -> None:
    folder = tmp_path_factory.mktemp("ids")
    old, new = folder / "old.json", folder / "new.json"
    old.write_text(json.dumps(_results_doc(ids)))
    new.write_text(json.dumps(_results_doc(ids[1:], margin=2.0)))  # margins changed, an id removed: all printed
    _, out, err = run_cli(["diff", str(old), str(new), *(["--json"] if as_json else [])])
    assert not RAW_CONTROL.search(out + err), (ids, out, err)


# --- NaN / inf in every TOML numeric field -----------------------------------------------------------

TOML_BASE = {"id": '"variant-toml.fuzz"', "statement": '"s"', "families": '["square"]', "kappa": "[4.0, 12.0]",
             "statistic": '"median-ratio-at-least"', "level": "0.7"}
FIELDS = ["level", "kappa.0", "kappa.1", "frontier.0", "frontier.1", "mutant.level", "param.default", "param.min",
          "param.max"]
BAD = ["nan", "inf", "-inf", "+nan", "1e309", "-1e400", "1" + "0" * 400]


def _toml_with(field: str, value: str) -> str:
    claim = dict(TOML_BASE)
    family = ""
    if field.startswith("kappa") or field.startswith("frontier"):
        pair = ["4.0", "12.0"]
        pair[int(field[-1])] = value
        claim[field.split(".")[0]] = f"[{', '.join(pair)}]"
    elif field == "level":
        claim["level"] = value
    elif field == "mutant.level":
        claim["mutant"] = f'[{{ name = "m", level = {value} }}]'
    else:
        p = {"default": "1", "min": "0", "max": "10"}
        p[field.split(".")[1]] = value
        family = ('[[family]]\nname = "fuzzfam"\nexpression = "(s-1)**2*(1+d)"\n'
                  f'params.d = {{ default = {p["default"]}, min = {p["min"]}, max = {p["max"]} }}\n')
    return family + "[[claim]]\n" + "".join(f"{k} = {v}\n" for k, v in claim.items())


@FUZZ
@given(field=st.sampled_from(FIELDS), value=st.sampled_from(BAD))
def test_fuzz_toml_numeric_fields(tmp_path_factory, monkeypatch, field: str, value: str) -> None:
    from lrbias.claims import variants
    from lrbias.losses import families

    monkeypatch.setattr(variants, "preflight_entry", lambda entry, source: None)
    kinds = dict(families.KINDS)
    path = tmp_path_factory.mktemp("toml") / "v.toml"
    path.write_text(_toml_with(field, value))
    try:
        code, _, err = run_cli(["check", "--no-nn", "--quiet", "--variants", str(path), "fuzz.no-such-entry"])
    finally:
        families.KINDS.clear()
        families.KINDS.update(kinds)
    assert code == 2 and str(path) in err, (field, value, err)


# --- extreme starts and step sizes -----------------------------------------------------------------------

EXTREME = [0.0, 1e-300, 1e-150, 1e-60, 1e-17, 1.0, 1e16, 1e150, 1e154, 2.0 ** 500]


@FUZZ
@given(k=st.integers(-500, 500), h_exp=st.integers(-320, 1), precision=st.sampled_from(["float64", "quad"]))
@example(k=53, h_exp=-40, precision="float64")
@example(k=498, h_exp=-301, precision="float64")
def test_fuzz_stable_minimiser_never_diverges(k: int, h_exp: int, precision: str) -> None:
    """(2^k, 2^-k) is exactly on the minimiser xy = 1; with h·l''(1)·q < 2 it is stable: converged."""
    x0, y0 = 2.0 ** k, 2.0 ** -k
    h = 10.0 ** h_exp
    if not h > 0:
        return
    code, out, _ = run_cli(["run", "--loss", "square", f"--x0={x0!r}", f"--y0={y0!r}", f"--h={h!r}",
                            "--precision", precision, "--steps", "64"])
    q = x0 * x0 + y0 * y0
    if code == 0 and h * q < 2:
        assert "outcome   converged" in out, (x0, y0, h, out)


@FUZZ
@given(x0=st.sampled_from(EXTREME), y0=st.sampled_from(EXTREME), sx=st.booleans(), sy=st.booleans(),
       h=st.sampled_from([1e-301, 1e-40, 1e-17, 0.01, 0.5, 3.0, 1e10]))
def test_fuzz_extreme_starts(x0: float, y0: float, sx: bool, sy: bool, h: float) -> None:
    x0, y0 = (-x0 if sx else x0), (-y0 if sy else y0)
    code, out, _ = run_cli(["run", "--loss", "square", f"--x0={x0!r}", f"--y0={y0!r}", f"--h={h!r}",
                            "--steps", "400"])
    if code == 0 and x0 == y0 and x0 != 0 and 0.01 <= h <= 0.5:
        assert "stalled" not in out, (x0, y0, h, out)  # x = y > 0 leaves the saddle along its unstable line


# --- the properties can fail -------------------------------------------------------------------------------

def test_the_escape_property_fails_without_escaping(tmp_path: Path, monkeypatch) -> None:
    from lrbias import serial

    monkeypatch.setattr(serial, "terminal_safe", lambda text: text)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_results_doc(["evil\x1b[2J", "b"])))
    new = tmp_path / "new.json"
    new.write_text(json.dumps(_results_doc(["b"], margin=2.0)))
    _, out, err = run_cli(["diff", str(old), str(new)])
    assert RAW_CONTROL.search(out + err)


def test_the_stable_minimiser_property_fails_with_a_fixed_bound(monkeypatch) -> None:
    from lrbias.gd import rules

    monkeypatch.setattr(rules, "run_bound", lambda bound, q0: bound if isinstance(q0, float) else q0 * 0 + bound)
    _, out, _ = run_cli(["run", "--loss", "square", "--x0=1e16", "--y0=1e-16", "--h=1e-40", "--steps", "64"])
    assert "outcome   diverged" in out
