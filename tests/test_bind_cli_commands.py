"""Binding tests of the ``lrbias`` subcommands report/diff (lrbias/cli/report.py), certify (certify.py) and
run/sweep (engines.py), each through ``main`` with its heavy function replaced by a stand-in that records its
arguments: every validation at its boundary on both sides with its whole message and exit code, every default
relied on, and the printed text compared whole.  Fast: nothing is searched, certified or swept."""

from __future__ import annotations

import argparse
import contextlib
import json
import types
from pathlib import Path

import pytest

from lrbias.cli import certify as certify_cli
from lrbias.cli import engines, main
from lrbias.cli import report as report_cli
from lrbias.errors import InvalidArgument, short


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _bad(capsys, argv, message):
    assert _run(capsys, argv) == (2, "", f"lrbias: error: {message}\n")


# ---- lrbias/cli/report.py: report ------------------------------------------------------------------------

class _ReportRun:
    def __init__(self, written, comparison):
        self.written, self.comparison = written, comparison

    def counts(self):
        return {"pass": 3, "fail": 2, "inconclusive": 1}


@pytest.fixture
def stand_in_report(monkeypatch):
    from lrbias import cache
    from lrbias.claims import results
    from lrbias.report import diff, job

    state = {"calls": [], "comparison": None, "docs": {}, "diff_error": None}

    @contextlib.contextmanager
    def configured(directory=None, enabled=None):
        state["calls"].append(("cache", directory, enabled))
        state["inside"] = True
        yield
        state["inside"] = False

    def run_report(out, ids, profile, seed, command, **kw):
        kw["progress"] = "stderr" if kw["progress"] is report_cli.sys.stderr else kw["progress"]
        state["calls"].append(("run_report", out, ids, profile.name, seed, command, kw, state["inside"]))
        return _ReportRun(out / "index.html", state["comparison"])

    def load_document(path):
        state["calls"].append(("load", path))
        return state["docs"][str(path)]

    def diff_documents(old, new, **kw):
        state["calls"].append(("diff", old, new, kw))
        if state["diff_error"] is not None:
            raise state["diff_error"]
        return types.SimpleNamespace(warnings=state.get("warnings", []), regressions=state.get("regressions", []),
                                     as_dict=lambda: {"old": old, "new": new, **kw})

    monkeypatch.setattr(cache, "configured", configured)
    monkeypatch.setattr(job, "run_report", run_report)
    monkeypatch.setattr(results, "load_document", load_document)
    monkeypatch.setattr(diff, "diff_documents", diff_documents)
    monkeypatch.setattr(diff, "format_text", lambda d: f"TEXT {len(d.regressions)} regressions")
    monkeypatch.setattr(diff, "format_html",
                        lambda d, old, new: f"<html>{old} -> {new}</html>" + "!" * len(d.regressions))
    state["inside"] = False
    return state


def test_report_defaults(stand_in_report, capsys):
    assert _run(capsys, ["report"]) == (
        0, "report written to reports/latest/index.html (3 pass, 2 fail, 1 inconclusive)\n", "")
    assert stand_in_report["calls"] == [
        ("cache", None, None),
        ("run_report", Path("reports/latest"), [], "default", 0,
         "lrbias report --out reports/latest --profile default --seed 0",
         {"include_nn": True, "variants": (), "scheduler": None, "workers": None, "progress": "stderr",
          "compare": None, "starts": None}, True)]


def test_report_every_option(stand_in_report, capsys, tmp_path):
    old = str(tmp_path / "old.json")
    Path(old).write_text("{}")
    stand_in_report["docs"][old] = {"doc": "old"}
    stand_in_report["comparison"] = {"diff": {"warnings": ["w1", "w2"], "regressions": [1], "flips": [1, 2],
                                              "frontiers": []}}
    cache_dir = tmp_path / "cache"
    code, out, err = _run(capsys, ["report", "a", "b*", "--out", str(tmp_path / "rep"), "--profile", "smoke",
                                   "--seed", "4", "--no-nn", "--variants", "v.toml", "--variants", "w.py",
                                   "--starts", "shell", "--compare", old, "--workers", "3", "--cache-dir",
                                   str(cache_dir), "--no-cache"])
    assert (code, out, err) == (
        0, f"report written to {tmp_path / 'rep' / 'index.html'} (3 pass, 2 fail, 1 inconclusive)\n"
        f"compared with {old}: 1 regression(s), 2 verdict change(s), 0 frontier change(s) (in the page's "
        "'Changes since the compared run')\n",
        "lrbias report: WARNING: not like for like: w1\nlrbias report: WARNING: not like for like: w2\n")
    assert stand_in_report["calls"] == [
        ("cache", cache_dir, False),
        ("load", Path(old)),
        ("diff", {"doc": "old"}, {"doc": "old"}, {}),
        ("run_report", tmp_path / "rep", ["a", "b*"], "smoke", 4,
         f"lrbias report a 'b*' --out {tmp_path / 'rep'} --profile smoke --seed 4 --no-nn --variants v.toml "
         f"--variants w.py --starts shell --compare {old}",
         {"include_nn": False, "variants": ["v.toml", "w.py"], "scheduler": None, "workers": 3, "progress": "stderr",
          "compare": ({"doc": "old"}, old), "starts": "shell"}, True)]
    stand_in_report["calls"].clear()
    assert _run(capsys, ["report", "--scheduler", "tcp://h:9", "--cache-dir", "~/c"])[0] == 0
    assert stand_in_report["calls"][0] == ("cache", Path("~/c").expanduser(), None)
    assert stand_in_report["calls"][1][6]["scheduler"] == "tcp://h:9"


def test_report_bad_input(stand_in_report, capsys, tmp_path):
    _bad(capsys, ["report", "--seed", "-1"], "--seed -1 is negative; accepted: an integer >= 0")
    a_file = tmp_path / "f"
    a_file.write_text("")
    _bad(capsys, ["report", "--cache-dir", str(a_file)],
         f"--cache-dir {short(str(a_file))} is not a folder; accepted: a folder (created when missing)")
    assert stand_in_report["calls"] == []
    assert _run(capsys, ["report", "--seed", "0", "--cache-dir", str(tmp_path / "new")])[0] == 0
    assert _run(capsys, ["report", "--cache-dir", str(tmp_path)])[0] == 0
    doc = str(tmp_path / "doc.json")
    Path(doc).write_text("{}")
    stand_in_report["docs"][doc] = {"bad": 1}
    stand_in_report["diff_error"] = KeyError("k" * 200)
    _bad(capsys, ["report", "--compare", doc],
         f"--compare {doc}: a results document with an unexpected shape (KeyError: {short(repr('k' * 200), 160)})")
    assert [c[0] for c in stand_in_report["calls"]][-2:] == ["load", "diff"]


def test_load_results(stand_in_report, monkeypatch, tmp_path):
    from lrbias.claims import results

    missing = str(tmp_path / ("m" * 250))
    with pytest.raises(InvalidArgument) as exc:
        report_cli._load_results(missing)
    assert str(exc.value) == f"{short(missing, 240)}: no such results file"
    path = tmp_path / "doc.json"
    path.write_text("{}")

    def raising(exc):
        def load(p):
            assert p == path
            raise exc
        return load

    for error, message in [
        (PermissionError(13, "Permission denied"), f"{path}: cannot read it (Permission denied)"),
        (OSError("plain"), f"{path}: cannot read it (plain)"),
        (RecursionError(), f"{path}: JSON nested too deeply; not a results document"),
        (ValueError("Expecting value: line 1\nmore"), f"{path}: Expecting value: line 1"),
        (ValueError(f"{path}: it says so"), f"{path}: it says so"),
        (ValueError(), f"{path}: ValueError"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), f"{path}: 'utf-8' codec can't decode byte 0xff in "
                                                             "position 0: bad"),
        (ValueError("v" * 400), short(f"{path}: " + "v" * 400, 300)),
    ]:
        monkeypatch.setattr(results, "load_document", raising(error))
        with pytest.raises(InvalidArgument) as exc:
            report_cli._load_results(str(path))
        assert str(exc.value) == message
        assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_check_comparable(stand_in_report):
    for error in (TypeError("t"), KeyError("k"), ValueError("v"), AttributeError("a"), IndexError("i")):
        stand_in_report["diff_error"] = error
        with pytest.raises(InvalidArgument) as exc:
            report_cli._check_comparable({}, "p" * 300)
        assert str(exc.value) == (f"--compare {short('p' * 300, 240)}: a results document with an unexpected shape "
                                  f"({type(error).__name__}: {short(str(error), 160)})")
    stand_in_report["diff_error"] = ZeroDivisionError("z")
    with pytest.raises(ZeroDivisionError):
        report_cli._check_comparable({}, "p")
    stand_in_report["diff_error"] = None
    assert report_cli._check_comparable({"x": 1}, "p") is None
    assert stand_in_report["calls"][-1] == ("diff", {"x": 1}, {"x": 1}, {})


# ---- lrbias/cli/report.py: diff --------------------------------------------------------------------------

@pytest.fixture
def two_docs(stand_in_report, tmp_path):
    old, new = str(tmp_path / "old.json"), str(tmp_path / "new.json")
    for p in (old, new):
        Path(p).write_text("{}")
    stand_in_report["docs"].update({old: {"doc": "old"}, new: {"doc": "new"}})
    return old, new


def test_diff_defaults(stand_in_report, two_docs, capsys):
    old, new = two_docs
    assert _run(capsys, ["diff", old, new]) == (0, "TEXT 0 regressions\n", "")
    assert stand_in_report["calls"] == [("load", Path(old)), ("load", Path(new)),
                                        ("diff", {"doc": "old"}, {"doc": "new"},
                                         {"rel_noise": 0.1, "frontier_tol": 0.1})]
    stand_in_report["regressions"] = ["r"]
    stand_in_report["warnings"] = ["w"]
    assert _run(capsys, ["diff", old, new]) == (1, "TEXT 1 regressions\n", "lrbias diff: WARNING: w\n")


def test_diff_json_and_html(stand_in_report, two_docs, capsys, tmp_path):
    old, new = two_docs
    code, out, err = _run(capsys, ["diff", old, new, "--json", "--noise", "0", "--frontier-tol", "0"])
    assert (code, err) == (0, "")
    assert out == '{\n "old": {\n  "doc": "old"\n },\n "new": {\n  "doc": "new"\n },\n "rel_noise": 0.0,\n ' \
                  '"frontier_tol": 0.0\n}\n'
    html = tmp_path / "d.html"
    assert _run(capsys, ["diff", old, new, "--html", str(html), "--frontier-tol", "0.999"]) == (
        0, "TEXT 0 regressions\n", f"HTML diff written to {html}\n")
    assert html.read_text() == f"<html>{old} -> {new}</html>"
    assert stand_in_report["calls"][-1][3] == {"rel_noise": 0.1, "frontier_tol": 0.999}
    assert _run(capsys, ["diff", old, new, "--html", "-"]) == (0, f"<html>{old} -> {new}</html>",
                                                               "TEXT 0 regressions\n")
    stand_in_report["regressions"] = ["r"]
    assert _run(capsys, ["diff", old, new, "--html", "-"]) == (1, f"<html>{old} -> {new}</html>!",
                                                               "TEXT 1 regressions\n")
    assert _run(capsys, ["diff", old, new, "--html", str(html)]) == (
        1, "TEXT 1 regressions\n", f"HTML diff written to {html}\n")


def test_diff_bad_input(stand_in_report, two_docs, capsys, tmp_path):
    old, new = two_docs
    for noise in ("-1e-300", "inf", "nan", "-inf"):
        _bad(capsys, ["diff", old, new, f"--noise={noise}"],
             f"--noise {float(noise)} is invalid; accepted: a finite number >= 0")
    for tol in ("-1e-300", "1", "1.5"):
        _bad(capsys, ["diff", old, new, f"--frontier-tol={tol}"],
             f"--frontier-tol {float(tol)} is invalid; accepted: 0 <= TOL < 1")
    from lrbias.outputs import check_file_target

    with pytest.raises(InvalidArgument) as exc:
        check_file_target(str(tmp_path / "no" / "x.html"), "--html")
    assert str(exc.value).startswith(f"--html {tmp_path / 'no' / 'x.html'}")
    _bad(capsys, ["diff", old, new, "--html", str(tmp_path / "no" / "x.html")], str(exc.value))
    assert stand_in_report["calls"] == []
    _bad(capsys, ["diff", old, str(tmp_path / "none.json")], f"{tmp_path / 'none.json'}: no such results file")
    for error in (TypeError("t"), KeyError("k"), ValueError("v"), AttributeError("a"), IndexError("i")):
        stand_in_report["diff_error"] = error
        _bad(capsys, ["diff", old, new], f"{short(old)} / {short(new)}: a results document has an unexpected shape "
                                         f"({type(error).__name__}: {short(str(error))})")
    stand_in_report["diff_error"] = KeyError("q" * 100)
    _bad(capsys, ["diff", old, new], f"{short(old)} / {short(new)}: a results document has an unexpected shape "
                                     f"(KeyError: {short(repr('q' * 100))})")


def test_diff_shape_errors_in_the_formatters(stand_in_report, two_docs, capsys, monkeypatch):
    from lrbias.report import diff

    old, new = two_docs

    def broken(*a):
        raise IndexError("fmt")

    monkeypatch.setattr(diff, "format_text", broken)
    _bad(capsys, ["diff", old, new], f"{short(old)} / {short(new)}: a results document has an unexpected shape "
                                     "(IndexError: fmt)")
    assert _run(capsys, ["diff", old, new, "--json"])[0] == 0
    monkeypatch.setattr(diff, "format_html", broken)
    _bad(capsys, ["diff", old, new, "--json", "--html", "-"],
         f"{short(old)} / {short(new)}: a results document has an unexpected shape (IndexError: fmt)")


# ---- lrbias/cli/certify.py -------------------------------------------------------------------------------

def _enc(lo, hi):
    return types.SimpleNamespace(lo=lo, hi=hi, width=hi - lo)


def _cert(**kw):
    base = dict(outcome="certified converged", tail=None, escape=None, cycle=None, reason="", certified=True,
                bits=128, steps_followed=42, seconds=0.01234, ratio=None, sharpness=None, imbalance=None,
                x=None, y=None)
    base.update(kw)
    cert = types.SimpleNamespace(**base)
    cert.as_dict = lambda: {"outcome": cert.outcome, "bits": cert.bits, "inf": float("inf")}
    return cert


@pytest.fixture
def stand_in_certify(monkeypatch):
    from lrbias.gd import certificate

    state = {"calls": [], "cert": _cert()}

    def certify(fam, x0, y0, h, **kw):
        state["calls"].append((fam.spec, x0, y0, h, kw))
        return state["cert"]

    monkeypatch.setattr(certificate, "certify", certify)
    return state


START = ["certify", "--loss", "square", "--x0", "1", "--y0", "0.5", "--C", "1.25"]


def test_certify_defaults_and_json(stand_in_certify, capsys):
    assert _run(capsys, [*START, "--json"]) == (
        0, '{\n  "outcome": "certified converged",\n  "bits": 128,\n  "inf": "inf"\n}\n', "")
    assert stand_in_certify["calls"] == [("square", 1.0, 0.5, 1.0,
                                          {"max_bits": 4096, "max_steps": 200_000, "width": 1e-12})]


def test_certify_text_minimal(stand_in_certify, capsys):
    assert _run(capsys, START) == (
        0, "certified converged  (square, x0 1.0, y0 0.5, h 1.0, C 1.25)\n"
           "  precision 128 bits, 42 steps followed, 0.012 s\n", "")


def test_certify_text_whole(stand_in_certify, capsys):
    tail = types.SimpleNamespace(step=17, rho=0.123456789, e=1.23456e-5, K=2.5, eps=0.001234, q_centre=2.123456789012,
                                 delta=3.4567e-4)
    stand_in_certify["cert"] = _cert(tail=tail, ratio=_enc(0.5, 0.75), sharpness=_enc(1.0, 1.0),
                                     imbalance=_enc(-2.0, -1.5),
                                     x=_enc(-1.0, 2.0), y=_enc(0.25, 0.5), reason="spare reason")
    assert _run(capsys, [*START, "--max-bits", "128", "--max-steps", "1", "--width", "0.5"]) == (
        0, "certified converged  (square, x0 1.0, y0 0.5, h 1.0, C 1.25)\n"
           "  tail certificate at step T = 17: rho <= 0.123457, |s_T - 1| <= 1.23e-05, K <= 2.5, box |s - 1| <= "
           "0.00123, |q - 2.123456789| <= 0.000346\n"
           "  ratio S∞h/2        [0.5, 0.75]  (width 0.25)\n"
           "  sharpness S∞       [1.0, 1.0]  (width 0)\n"
           "  imbalance x∞²-y∞²  [-2.0, -1.5]  (width 0.5)\n"
           "  limit x∞           [-1.0, 2.0]  (width 3)\n"
           "  limit y∞           [0.25, 0.5]  (width 0.25)\n"
           "  why: spare reason\n"
           "  precision 128 bits, 42 steps followed, 0.012 s\n", "")
    assert stand_in_certify["calls"][-1][4] == {"max_bits": 128, "max_steps": 1, "width": 0.5}


def test_certify_text_escape_cycle_and_reason(stand_in_certify, capsys):
    escape = types.SimpleNamespace(step=9, region=lambda: "|s| >= 3", rate=1.23456789, growth="doubly exponential")
    stand_in_certify["cert"] = _cert(outcome="certified diverged", escape=escape, reason="hidden", certified=True)
    assert _run(capsys, [*START, "--max-bits", "1000000", "--max-steps", "10000000"]) == (
        0, "certified diverged  (square, x0 1.0, y0 0.5, h 1.0, C 1.25)\n"
           "  escape region entered at step 9: |s| >= 3\n"
           "  |s_(t+1)| >= 1.23457 |s_t| from then on; doubly exponential\n"
           "  precision 128 bits, 42 steps followed, 0.012 s\n", "")
    cycle = types.SimpleNamespace(period=2, x=_enc(1.0, 1.5), y=_enc(0.0, 0.25), stability="stable",
                                  multipliers="[0.1]")
    stand_in_certify["cert"] = _cert(outcome="not certified", cycle=cycle, reason="rho >= 1", certified=False)
    assert _run(capsys, [*START, "--width", "0.999"]) == (
        0, "not certified  (square, x0 1.0, y0 0.5, h 1.0, C 1.25)\n"
           "  2-cycle through x [1.0, 1.5]  (width 0.5), y [0.0, 0.25]  (width 0.25); stable ([0.1])\n"
           "  reason: rho >= 1\n"
           "  precision 128 bits, 42 steps followed, 0.012 s\n", "")


def test_certify_kappa_and_a_start_off_the_unit(stand_in_certify, capsys):
    code, _, err = _run(capsys, ["certify", "--loss", "softplus-pair:a=0.5", "--x0", "2", "--y0", "1", "--kappa",
                                 "1", "--json"])
    h = 1 / (0.21233045007200477 * 5)
    assert (code, err) == (0, "") and stand_in_certify["calls"][-1][:4] == ("softplus-pair:a=0.5", 2.0, 1.0, h)
    assert _run(capsys, ["certify", "--loss", "square", "--x0", "2", "--y0", "0", "--h", "0.5"]) == (
        0, "certified converged  (square, x0 2.0, y0 0.0, h 0.5, C 2)\n"
           "  precision 128 bits, 42 steps followed, 0.012 s\n", "")


def test_certify_bad_input(stand_in_certify, capsys):
    for value in ("127", "1000001"):
        _bad(capsys, [*START, "--max-bits", value],
             f"--max-bits {value} is invalid; accepted: an integer, 128 <= B <= 1000000")
    for value in ("0", "10000001"):
        _bad(capsys, [*START, "--max-steps", value],
             f"--max-steps {value} is invalid; accepted: an integer, 1 <= steps <= 10000000")
    for value in ("0", "1", "-0.5"):
        _bad(capsys, [*START, f"--width={value}"], f"--width {float(value)} is invalid; accepted: 0 < width < 1")
    _bad(capsys, [*START[:-2], "--h", "0"], "--h 0.0 is invalid; accepted: a finite number > 0")
    assert stand_in_certify["calls"] == []


def test_sweep_certified(monkeypatch):
    from lrbias.gd import certificate

    calls = []
    monkeypatch.setattr(certificate, "certify_sweep_sample",
                        lambda *a, **kw: calls.append((a, kw)) or {"k": a[-1]})
    args = argparse.Namespace(certify=0, n=5, seed=3, chunk_size=2, scheduler="tcp://h:1", workers=None)
    assert certify_cli.sweep_certified("sq", args, "RANGES", "SETTINGS") == {"k": 0}
    assert calls == [(("sq", 5, "RANGES", 3, 2, "SETTINGS", 0), {"scheduler": "tcp://h:1", "workers": None})]
    args.scheduler, args.workers = None, 3
    certify_cli.sweep_certified("sq", args, "RANGES", "SETTINGS")
    assert calls[-1][1] == {"scheduler": None, "workers": 3}
    args.certify = -1
    with pytest.raises(InvalidArgument) as exc:
        certify_cli.sweep_certified("sq", args, "RANGES", "SETTINGS")
    assert str(exc.value) == "--certify -1 is invalid; accepted: an integer, 0 <= K <= --n"


def _certified_block(ratio):
    return {"k": 4, "executor": "local", "float_shares": {"converged": 0.75, "diverged": 0.25},
            "certified_shares": {"certified converged": 0.5, "not certified": 0.5},
            "by_float": {"converged": {"not certified": 1, "certified converged": 2}, "diverged": {"x": 1}},
            "certified_share_by_float": {"converged": 2 / 3, "diverged": 0.0},
            "seconds": {"p50": 0.01234, "p95": 0.5, "max": 1.0}, "ratio_to_float": ratio, "certify_wall_s": 3.25,
            "float_wall_s": 0.125, "not_certified_reasons": {"rho >= 1": 2, "steps": 1}}


def test_print_sweep_certified(capsys):
    certify_cli.print_sweep_certified(_certified_block(12.34))
    assert capsys.readouterr() == (
        "certified tier: the first 4 starts (local)\n"
        "  float64    converged 0.7500  diverged 0.2500\n"
        "  certified  certified converged 0.5000  not certified 0.5000\n"
        "  float converged (3): certified share 0.6667; certified converged 2, not certified 1\n"
        "  float diverged (1): certified share 0.0000; x 1\n"
        "  per certificate: p50 0.012 s, p95 0.500 s, max 1.000 s; wall 3.2 s = 12.3x the float64 run of the same "
        "starts (0.12 s)\n"
        "  not certified x2: rho >= 1\n"
        "  not certified x1: steps\n", "")
    certify_cli.print_sweep_certified(_certified_block(None))
    assert capsys.readouterr().out.splitlines()[5] == "  per certificate: p50 0.012 s, p95 0.500 s, max 1.000 s; " \
                                                      "wall 3.2 s"


# ---- lrbias/cli/engines.py ------------------------------------------------------------------------------

def test_engine_constants():
    assert (engines.MAX_SWEEP, engines.MAX_RECORDED, engines.DEFAULT_CHUNK_SIZE) == (100_000_000, 100_000, 262_144)
    from lrbias.gd.scaleout import DEFAULT_CHUNK_SIZE

    assert engines.DEFAULT_CHUNK_SIZE == DEFAULT_CHUNK_SIZE


def test_parse_precision():
    assert [engines.parse_precision(t) for t in ("quad", "float64", "auto", "mp:15", "mp:100000", "arb:53",
                                                  "arb:1000000", "mp:0015")] == [
        ("quad", 113), ("float64", 53), ("auto", 0), ("mp", 15), ("mp", 100_000), ("arb", 53), ("arb", 1_000_000),
        ("mp", 15)]
    for text in ("mp:14", "mp:100001"):
        with pytest.raises(InvalidArgument) as exc:
            engines.parse_precision(text)
        assert str(exc.value) == f"--precision {text} is invalid; accepted: mp:DIGITS, 15 <= DIGITS <= 100000"
    for text in ("arb:52", "arb:1000001"):
        with pytest.raises(InvalidArgument) as exc:
            engines.parse_precision(text)
        assert str(exc.value) == f"--precision {text} is invalid; accepted: arb:BITS, 53 <= BITS <= 1000000"
    for text in ("mp:", "Quad", "mp:1x", "xmp:20", "mp:20 ", "arb:-5", "double"):
        with pytest.raises(InvalidArgument) as exc:
            engines.parse_precision(text)
        assert str(exc.value) == f"--precision {text!r} is invalid; accepted: {engines.PRECISION_HELP}"


def test_check_steps():
    engines._check_steps(1)
    engines._check_steps(10_000_000)
    for steps in (0, 10_000_001):
        with pytest.raises(InvalidArgument) as exc:
            engines._check_steps(steps)
        assert str(exc.value) == f"--steps {steps} is invalid; accepted: an integer, 1 <= steps <= 10000000"
    with pytest.raises(InvalidArgument) as exc:
        engines._check_steps(0, "--max")
    assert str(exc.value) == "--max 0 is invalid; accepted: an integer, 1 <= steps <= 10000000"


def _rec(**kw):
    base = dict(precision="float64", outcome="converged", reason="|s - 1| < tol at step 8", x=None, y=None,
                sharpness=None, ratio=None, imbalance=None, gap2=None, fmax_ratio=None, fmax_step=None, extra={})
    base.update(kw)
    rec = types.SimpleNamespace(**base)
    rec.as_dict = lambda: {"outcome": rec.outcome, "x": rec.x}
    return rec


@pytest.fixture
def stand_in_run(monkeypatch):
    from lrbias.gd import scalar

    state = {"calls": [], "rec": _rec()}

    def run_one(fam, x0, y0, h, kind, value, st):
        state["calls"].append((fam.spec, x0, y0, h, kind, value, st.max_steps, st.record_every, st.check_every))
        return state["rec"]

    monkeypatch.setattr(scalar, "run_one", run_one)
    return state


RUN = ["run", "--loss", "square", "--x0", "1", "--y0", "1", "--C", "1"]


def test_run_defaults_and_json(stand_in_run, capsys):
    assert _run(capsys, [*RUN, "--json"]) == (0, '{\n "loss": "square",\n "outcome": "converged",\n "x": null\n}\n',
                                              "")
    assert stand_in_run["calls"] == [("square", 1.0, 1.0, 0.5, "float64", 53, 20_000, 0, 8)]


def test_run_text_minimal_and_whole(stand_in_run, capsys):
    assert _run(capsys, RUN) == (
        0, "loss square   start (1, 1)   h = 0.5   C = h(x0²+y0²) = 1   kappa = C·l''(1) = 1   precision float64\n"
           "outcome   converged: |s - 1| < tol at step 8\n", "")
    stand_in_run["rec"] = _rec(precision="mp:30", x=0.1, y=1 / 3, sharpness=3.987654321, ratio=0.9876543,
                               imbalance=-0.25, gap2=1.5e-9, fmax_ratio=12.3456789, fmax_step=3,
                               extra={"note": "n", "k": 2})
    assert _run(capsys, ["run", "--loss", "softplus-pair:a=0.5", "--x0", "2", "--y0", "-0.5", "--kappa", "2",
                         "--precision", "mp:30", "--steps", "100", "--record-every", "10", "--check-every", "1"]) == (
        0, "loss softplus-pair:a=0.5   start (2, -0.5)   h = 2.2163   C = h(x0²+y0²) = 9.41928   "
           "kappa = C·l''(1) = 2   precision mp:30\n"
           "outcome   converged: |s - 1| < tol at step 8\n"
           "final     x = 0.10000000000000001, y = 0.33333333333333331\n"
           "sharpness S = 3.98765   2/h = 0.902404   ratio S·h/2 = 0.987654\n"
           "imbalance x²-y² = -0.25   (x-y)² = 1.5e-09\n"
           "catapult  f_max/f0 = 12.3457 at step 3\n"
           "note: n\n"
           "k: 2\n", "")
    assert stand_in_run["calls"][-1][4:] == ("mp", 30, 100, 10, 1)


def test_run_bad_input(stand_in_run, capsys):
    _bad(capsys, [*RUN, "--steps", "0"], "--steps 0 is invalid; accepted: an integer, 1 <= steps <= 10000000")
    _bad(capsys, [*RUN, "--steps", "100000", "--record-every", "1"],
         "--record-every 1 with --steps 100000 keeps 100001 states; accepted: at most 100000, i.e. --record-every >= 2")
    _bad(capsys, [*RUN, "--steps", "10000000", "--record-every", "99"],
         "--record-every 99 with --steps 10000000 keeps 101011 states; accepted: at most 100000, "
         "i.e. --record-every >= 101")
    _bad(capsys, [*RUN, "--precision", "mp:2"], "--precision mp:2 is invalid; accepted: mp:DIGITS, "
                                                "15 <= DIGITS <= 100000")
    assert stand_in_run["calls"] == []
    assert _run(capsys, [*RUN, "--steps", "99999", "--record-every", "1", "--json"])[0] == 0
    assert _run(capsys, [*RUN, "--steps", "10000000", "--record-every", "101", "--json"])[0] == 0
    assert _run(capsys, [*RUN, "--steps", "10000000", "--json"])[0] == 0
    assert _run(capsys, [*RUN, "--steps", "9999999", "--record-every", "100", "--json"])[0] == 0  # 99999 + 1 states
    _bad(capsys, [*RUN, "--steps", "9999900", "--record-every", "99"],  # 9999900 = 100 × (MAX_RECORDED - 1)
         "--record-every 99 with --steps 9999900 keeps 101010 states; accepted: at most 100000, "
         "i.e. --record-every >= 100")
    assert [c[6:8] for c in stand_in_run["calls"]] == [(99_999, 1), (10_000_000, 101), (10_000_000, 0),
                                                       (9_999_999, 100)]


def test_progress_bar(monkeypatch, capsys):
    clock = iter([5.0, 10.0, 11.0, 12.5, 20.0])
    monkeypatch.setattr(engines.time, "perf_counter", lambda: next(clock))
    off = engines._progress_bar(False)
    off(1, 2)
    assert capsys.readouterr() == ("", "")
    show = engines._progress_bar(True)
    show(0, 4)
    show(3, 4)
    show(4, 4)
    assert capsys.readouterr() == (
        "", "\rsweep [..............................] 0/4 1.0 s"
            "\rsweep [######################........] 3/4 2.5 s"
            "\rsweep [##############################] 4/4 10.0 s\n")
    clock = iter([0.0, 0.04, 0.06])
    show = engines._progress_bar(True, "check")
    show(0, 0)
    show(1, 0)
    assert capsys.readouterr() == ("", "\rcheck [..............................] 0/0 0.0 s\n"
                                       "\rcheck [##############################] 1/0 0.1 s\n")


def test_certify_count():
    assert [engines._certify_count(t) for t in ("all", " all\n", "0", "12", "-3", " 7 ")] == ["all", "all", 0, 12, -3,
                                                                                              7]
    with pytest.raises(argparse.ArgumentTypeError) as exc:
        engines._certify_count("some")
    assert str(exc.value) == "'some' is not an integer or 'all'"
    assert exc.value.__suppress_context__


def _sweep_report(**kw):
    base = {"executor": "local", "elapsed_s": 1.234, "artefact_check_s": None, "shares": {"converged": 0.75,
                                                                                          "diverged": 0.25},
            "ratio_quantiles": {"q05": 0.123456, "q50": 0.5, "q95": 0.99999}, "fmax_ratio_quantiles": None,
            "final_imbalance_quantiles": None, "imbalance_ratio_quantiles": {"q05": 1, "q50": 2, "q95": 3},
            "catapult_share": None, "float_artefact_check": None}
    base.update(kw)
    return base


@pytest.fixture
def stand_in_sweep(monkeypatch):
    from lrbias.gd import scaleout

    state = {"calls": [], "report": _sweep_report()}

    def sweep_report(spec, n, ranges, seed, st, **kw):
        kw["progress"] = made.index(kw["progress"])  # which _progress_bar call made it
        kw["artefact_progress"] = made.index(kw["artefact_progress"])
        state["calls"].append((spec, n, ranges, seed, st.max_steps, st.check_every, kw))
        return dict(state["report"])

    bars, made = [], []
    real_bar = engines._progress_bar

    def bar(enabled, label="sweep"):
        bars.append((enabled, label))
        made.append(real_bar(enabled, label))
        return made[-1]

    monkeypatch.setattr(scaleout, "sweep_report", sweep_report)
    monkeypatch.setattr(engines, "_progress_bar", bar)
    monkeypatch.setattr(certify_cli, "sweep_certified",
                        lambda spec, args, ranges, st: state["calls"].append(("certify", spec, args.certify, ranges,
                                                                              st.max_steps, st.check_every))
                        or _certified_block(None))
    state["bars"] = bars
    return state


SWEEP = ["sweep", "--loss", "square", "--C", "1:2"]


def _ranges(x0=(0.5, 4.0), y0=(0.5, 4.0), c=(1.0, 2.0), signs="none"):
    from lrbias.gd.sampling import Range
    from lrbias.gd.scaleout import SweepRanges

    return SweepRanges(Range(*x0), Range(*y0), Range(*c), signs)


def test_sweep_defaults_json(stand_in_sweep, capsys):
    from lrbias.gd.scaleout import SEED_SCHEME

    code, out, err = _run(capsys, [*SWEEP, "--json"])
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "loss": "square",
        "settings": {"C": "1:2", "kappa": None, "x0": "0.5:4", "y0": "0.5:4", "n": 10_000, "seed": 0, "steps": 20_000,
                     "signs": "none", "chunk_size": 262_144, "seed_scheme": SEED_SCHEME,
                     "engine": {"max_steps": 20_000, "tol": 1e-10, "bound": 1e12, "period_max": 8,
                                "period_rtol": 1e-12, "record_every": 0, "check_every": 8},
                     "artefact_check": {"limit": 200, "budget_s": 30.0}},
        **_sweep_report()}
    assert stand_in_sweep["calls"] == [("square", 10_000, _ranges(), 0, 20_000, 8, {
        "chunk_size": 262_144, "scheduler": None, "workers": None, "artefact_limit": 200, "artefact_budget_s": 30.0,
        "progress": 0, "artefact_progress": 1})]
    assert stand_in_sweep["bars"] == [(False, "sweep"), (False, "artefact check")]


def test_sweep_every_option_json(stand_in_sweep, capsys):
    code, out, err = _run(capsys, ["sweep", "--loss", "softplus-pair:a=0.5", "--kappa", "0.5:1", "--x0=-4:-1",
                                   "--y0", "2", "--random-signs", "--n", "3", "--seed", "5", "--steps", "7",
                                   "--artefact-limit", "0", "--artefact-budget", "0", "--check-every", "1",
                                   "--progress", "--chunk-size", "1", "--workers", "2", "--certify", "all",
                                   "--no-artefact-check", "--json"])
    assert (code, err) == (0, "")
    doc = json.loads(out)
    curv = 0.21233045007200477
    assert doc["settings"] == {"C": f"{0.5 / curv!r}:{1 / curv!r}", "kappa": "0.5:1", "x0": "-4:-1", "y0": "2",
                               "n": 3, "seed": 5, "steps": 7, "signs": "independent", "chunk_size": 1,
                               "seed_scheme": doc["settings"]["seed_scheme"],
                               "engine": {"max_steps": 7, "tol": 1e-10, "bound": 1e12, "period_max": 8,
                                          "period_rtol": 1e-12, "record_every": 0, "check_every": 1},
                               "artefact_check": None}
    ranges = _ranges((-4.0, -1.0), (2.0, 2.0), (0.5 / curv, 1 / curv), "independent")
    assert doc["certified"] == json.loads(json.dumps(_certified_block(None)))
    assert stand_in_sweep["calls"] == [
        ("softplus-pair:a=0.5", 3, ranges, 5, 7, 1, {
            "chunk_size": 1, "scheduler": None, "workers": 2, "artefact_limit": None, "artefact_budget_s": 0.0,
            "progress": 0, "artefact_progress": 1}),
        ("certify", "softplus-pair:a=0.5", 3, ranges, 7, 1)]
    assert stand_in_sweep["bars"] == [(True, "sweep"), (True, "artefact check")]
    stand_in_sweep["calls"].clear()
    assert _run(capsys, [*SWEEP, "--common-signs", "--certify", "2", "--n", "2", "--scheduler", "tcp://h:1",
                         "--json"])[0] == 0
    assert stand_in_sweep["calls"][0][2].signs == "common" and stand_in_sweep["calls"][0][6]["scheduler"] == \
        "tcp://h:1"
    assert stand_in_sweep["calls"][1][2] == 2


def test_sweep_progress_bar_on_a_tty(stand_in_sweep, capsys, monkeypatch):
    monkeypatch.setattr(engines.sys.stderr, "isatty", lambda: True, raising=False)
    assert _run(capsys, [*SWEEP, "--n", "20000", "--json"])[0] == 0
    assert _run(capsys, [*SWEEP, "--n", "19999", "--json"])[0] == 0
    assert stand_in_sweep["bars"] == [(True, "sweep"), (True, "artefact check"), (False, "sweep"),
                                      (False, "artefact check")]
    monkeypatch.setattr(engines.sys.stderr, "isatty", lambda: False, raising=False)
    assert _run(capsys, [*SWEEP, "--n", "20000", "--json"])[0] == 0
    assert stand_in_sweep["bars"][-2:] == [(False, "sweep"), (False, "artefact check")]


def test_sweep_text(stand_in_sweep, capsys):
    code, out, err = _run(capsys, [*SWEEP, "--certify", "1", "--n", "1"])
    assert (code, err) == (0, "")
    assert out == (
        "sweep of 1 starts, loss square, C in [1, 2] (kappa = C·l''(1) in [1, 2]), x0 in 0.5:4, y0 in 0.5:4, seed 0\n"
        "time      sweep 1.23 s, float-artefact check skipped, total 1.23 s\n"
        "outcomes  converged 0.7500  diverged 0.2500\n"
        "converged runs  q05     q50  q95\n"
        "ratio S∞h/2     0.1235  0.5  1\n"
        "f_max/f0        -       -    -\n"
        "|x∞²-y∞²|       -       -    -\n"
        "|d∞|/|d0|       1       2    3\n"
        "catapult share (converged runs with f_max > f0): none converged\n"
        "certified tier: the first 4 starts (local)\n"
        "  float64    converged 0.7500  diverged 0.2500\n"
        "  certified  certified converged 0.5000  not certified 0.5000\n"
        "  float converged (3): certified share 0.6667; certified converged 2, not certified 1\n"
        "  float diverged (1): certified share 0.0000; x 1\n"
        "  per certificate: p50 0.012 s, p95 0.500 s, max 1.000 s; wall 3.2 s\n"
        "  not certified x2: rho >= 1\n"
        "  not certified x1: steps\n")


def test_print_sweep_with_the_artefact_check(capsys):
    from lrbias.gd.sampling import Range

    flips = [{"x0": 0.5, "y0": 1.5, "h": 0.25, "float64": "converged", "precision": "quad", "precise": "diverged",
              "replay": "lrbias run ..."}] + [{"x0": float(i), "y0": 1.0, "h": 0.5, "float64": "a", "precision": "mp",
                                                "precise": "b"} for i in range(5)]
    summary = {"settings": {"n": 5, "x0": "1:2", "y0": "3", "seed": 9}, "loss": "sq", "elapsed_s": 2.0,
               "artefact_check_s": 0.5, "shares": {"converged": 1.0}, "ratio_quantiles": None,
               "fmax_ratio_quantiles": None, "final_imbalance_quantiles": None, "imbalance_ratio_quantiles": None,
               "catapult_share": 0.123456,
               "float_artefact_check": {"suspects": 7, "reasons": {"near": 7}, "checked": 6, "agreements": 0,
                                        "flips": flips, "skipped": 1,
                                        "coverage": {"coverage": 0.5, "suspects": 7, "confirmed_by_quad": 2,
                                                     "quad_s": 0.25, "escalated": 3, "confirmed_by_mpmath": 1,
                                                     "mpmath_s": 1.25, "flips": [1], "inconclusive": 2}}}
    engines._print_sweep(summary, Range(0.5, 0.75), 2.0)
    assert capsys.readouterr() == (
        "sweep of 5 starts, loss sq, C in [0.5, 0.75] (kappa = C·l''(1) in [1, 1.5]), x0 in 1:2, y0 in 3, seed 9\n"
        "time      sweep 2.00 s, float-artefact check 0.50 s, total 2.50 s\n"
        "outcomes  converged 1.0000\n"
        "converged runs  q05  q50  q95\n"
        "ratio S∞h/2     -    -    -\n"
        "f_max/f0        -    -    -\n"
        "|x∞²-y∞²|       -    -    -\n"
        "|d∞|/|d0|       -    -    -\n"
        "catapult share (converged runs with f_max > f0): 0.1235\n"
        "float-artefact check: 7 suspects {'near': 7}, 6 re-run at high precision, 0 agree, 6 flipped, 1 not re-run "
        "(limit or time budget)\n"
        "tiers: coverage 50.0% of 7 suspects: 2 confirmed by quad (0.2 s), 3 escalated to mpmath (1 confirmed, 1.2 s), "
        "1 flips, 2 inconclusive\n"
        "  flip: start (0.5, 1.5) h 0.25: float64 converged, quad diverged; replay: lrbias run ...\n"
        "  flip: start (0.0, 1.0) h 0.5: float64 a, mp b\n"
        "  flip: start (1.0, 1.0) h 0.5: float64 a, mp b\n"
        "  flip: start (2.0, 1.0) h 0.5: float64 a, mp b\n"
        "  flip: start (3.0, 1.0) h 0.5: float64 a, mp b\n", "")
    summary["float_artefact_check"].update(skipped=0, coverage={"coverage": 1.0, "suspects": 7, "confirmed_by_quad": 7,
                                                                "quad_s": 0.5, "escalated": 0,
                                                                "confirmed_by_mpmath": 0, "mpmath_s": 0.0,
                                                                "flips": [], "inconclusive": 0}, flips=[])
    engines._print_sweep(summary, Range(0.5, 0.75), 2.0)
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "float-artefact check: 7 suspects {'near': 7}, 6 re-run at high precision, 0 agree, 0 flipped",
        "tiers: coverage 100.0% of 7 suspects: 7 confirmed by quad (0.5 s), 0 escalated to mpmath (0 confirmed, "
        "0.0 s), 0 flips"]
    summary["float_artefact_check"]["coverage"] = {}
    engines._print_sweep(summary, Range(0.5, 0.75), 2.0)
    assert capsys.readouterr().out.splitlines()[-1] == ("float-artefact check: 7 suspects {'near': 7}, 6 re-run at "
                                                        "high precision, 0 agree, 0 flipped")


def test_sweep_bad_input(stand_in_sweep, capsys):
    for n in ("0", "100000001"):
        _bad(capsys, [*SWEEP, "--n", n], f"--n {n} is invalid; accepted: an integer, 1 <= n <= 100000000")
    _bad(capsys, [*SWEEP, "--steps", "0"], "--steps 0 is invalid; accepted: an integer, 1 <= steps <= 10000000")
    _bad(capsys, [*SWEEP, "--seed", "-1"], "--seed -1 is invalid; accepted: an integer >= 0")
    for k in ("-1", "11"):
        _bad(capsys, [*SWEEP, "--n", "10", "--certify", k],
             f"--certify {k} is invalid; accepted: an integer, 0 <= K <= --n (10), or 'all'")
    _bad(capsys, [*SWEEP, "--artefact-limit", "-1"], "--artefact-limit -1 is invalid; accepted: an integer >= 0")
    for budget in ("-1e-300", "nan"):
        _bad(capsys, [*SWEEP, f"--artefact-budget={budget}"],
             f"--artefact-budget {float(budget)} is invalid; accepted: seconds >= 0")
    _bad(capsys, ["sweep", "--loss", "square", "--kappa", "0:1"],
         "--kappa = '0:1' must be positive; accepted: 0 < LO <= HI")
    _bad(capsys, ["sweep", "--loss", "square", "--C", "-1"], "--C = '-1' must be positive; accepted: 0 < LO <= HI")
    _bad(capsys, [*SWEEP, "--x0", "2:1"], "--x0 = '2:1' has LO > HI; accepted: LO <= HI")
    _bad(capsys, [*SWEEP, "--y0", "a"], "--y0 = 'a' is malformed; accepted: LO:HI with numbers")
    _bad(capsys, [*SWEEP, "--random-signs", "--common-signs"],
         "--random-signs and --common-signs together; accepted: at most one of them")
    _bad(capsys, [*SWEEP, "--workers", "0"], _workers_message())
    _bad(capsys, [*SWEEP, "--scheduler", "nohost"], "--scheduler 'nohost' is malformed; accepted: tcp://HOST:PORT")
    _bad(capsys, [*SWEEP, "--chunk-size", "0"], "--chunk-size 0 is invalid; accepted: an integer >= 1")
    assert stand_in_sweep["calls"] == []
    for argv in (["--n", "1", "--certify", "1"], ["--n", "100000000", "--chunk-size", "100000000"],
                 ["--steps", "10000000", "--artefact-limit", "0", "--artefact-budget", "0"], ["--seed", "0"],
                 ["--C", "0.5"]):
        assert _run(capsys, [*SWEEP, *argv, "--json"])[0] == 0


def _workers_message():
    from lrbias.errors import LrbiasError
    from lrbias.gd.scaleout import check_executor

    try:
        check_executor(None, 0)
    except LrbiasError as exc:
        return str(exc)
    raise AssertionError("check_executor accepted 0 workers")


def test_sweep_certify_type_error(capsys):
    with pytest.raises(SystemExit):
        main([*SWEEP, "--certify", "x"])
    assert capsys.readouterr().err == ("lrbias sweep: error: argument --certify: 'x' is not an integer or 'all' "
                                       "(see 'lrbias sweep --help')\n")


def test_cache_options_of_a_missing_folder_is_accepted(tmp_path):
    args = argparse.Namespace(cache_dir=str(tmp_path / "missing"), no_cache=True)
    with report_cli.cache_options(args):
        from lrbias import cache

        assert cache.enabled() is False
