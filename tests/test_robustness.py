"""The robustness round (issue 15): each reproduction of a hang, abort, traceback or wrong verdict, now fixed.

Every CLI failure is one line ``lrbias: error: ...`` with exit 2 (input) or 1 (a run that
failed), never a traceback; ``--debug`` / LRBIAS_DEBUG=1 adds it.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from lrbias.claims.results import build_document
from lrbias.cli import main
from lrbias.errors import ExpressionError, NumberRangeError, ParameterError, short
from lrbias.losses.families import get_family
from lrbias.losses.parser import parse_expression


def one_line_error(capsys, argv: list[str], code: int = 2, needle: str = "") -> str:
    started = time.perf_counter()
    assert main(argv) == code, argv
    err = capsys.readouterr().err
    assert err.startswith("lrbias: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and needle in err, err
    assert len(err) < 600, "values are quoted short"
    assert time.perf_counter() - started < 60, "bounded"
    return err


# --- bounded work: formulas and specs ---------------------------------------------------------

@pytest.mark.parametrize(("spec", "needle"), [
    ("huber:delta=1e999999999", "out of range"),  # used to build a Fraction of 10^999999999 (hang)
    ("huber:delta=1e400", "out of range"),  # traceback (float overflow)
    ("huber:delta=1e300", "out of range"),
    ("expr:(((((9**64)**64)**64)**64)**64)*(s-1)**2", "out of range"),  # only the exponent was capped (hang)
    ("expr:(s-1)**2*sqrt(-1)", "not a real, finite number"),  # the complex unit
    ("expr:(s-1)**2+log(0)", "not a real, finite number"),  # zoo
    ("expr:(s-1)**2*1e309", "out of range"),  # an inf literal
    ("expr:(s-1)**2*1.7e308", "out of range"),
    ("expr:(s-1)**2*1e300*1e300", "1e300"),
    ("expr:(s-1)**2*exp(exp(exp(100)))", "out of range"),
    ("expr:(s-1)**2*(1e-200)**2", "out of range"),
])
def test_numbers_in_specs_and_formulas_are_bounded(capsys, spec: str, needle: str) -> None:
    err = one_line_error(capsys, ["dor", spec], 2, needle)
    assert "999999999" not in err.replace("1e999999999", "") or len(err) < 300


def test_big_exact_constants_still_work_where_they_are_harmless() -> None:
    assert get_family("expr:(s-1)**2*(2+sin(2**60))").curvature > 0
    assert get_family("expr:(s-1)**2*pi**64").curvature > 0
    with pytest.raises(ExpressionError):
        parse_expression("(s-1)**2*2**1000")
    with pytest.raises(ParameterError):
        get_family("huber:delta=" + "9" * 500)


@pytest.mark.parametrize("spec", ["expr:exp(exp((s-1)**2))", "expr:(s-1)**2*(2+sin(s*exp(s)))"])
def test_numeric_dor_of_towers_is_an_error_not_an_abort(capsys, spec: str) -> None:
    """`dor 'expr:exp(exp((s-1)**2))'` aborted the process ("gmp: overflow in mpz type", exit 134)."""
    one_line_error(capsys, ["dor", spec, "--method", "numeric"], 2, "too fast")


def test_mpmath_argument_cap_raises_a_range_error() -> None:
    fam = get_family("expr:exp(exp((s-1)**2))")
    import mpmath

    with pytest.raises(NumberRangeError):
        fam.mp.loss(mpmath.mpf(10) ** 8)
    assert isinstance(NumberRangeError("x"), OverflowError)


def test_numeric_dor_has_a_time_budget(monkeypatch) -> None:
    from lrbias.errors import RunError
    from lrbias.losses import regularity

    def slow(family):
        time.sleep(5)

    monkeypatch.setattr(regularity, "_numeric_dor", slow)
    started = time.perf_counter()
    with pytest.raises(RunError, match=r"did not finish within 0\.2 s"):
        regularity.numeric_dor(get_family("square"), timeout=0.2)
    assert time.perf_counter() - started < 3


def test_sweep_range_bounds(capsys) -> None:
    one_line_error(capsys, ["sweep", "--loss", "square", "--C", "1", "--x0=-1e308:1e308", "--n", "10"], 2,
                   "out of range")


# --- scheduler and workers ---------------------------------------------------------------------

def _server(answer: bytes | None) -> tuple[str, socket.socket]:
    """A local server that accepts and then stays silent (None) or answers ``answer``."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    held = []

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)
            if answer is not None:
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return f"tcp://127.0.0.1:{srv.getsockname()[1]}", srv


@pytest.mark.parametrize(("answer", "needle"), [(None, "no Dask handshake"),
                                                (b"\xff" * 64, "does not speak Dask")])
def test_scheduler_that_never_answers_or_answers_garbage(capsys, monkeypatch, answer, needle) -> None:
    pytest.importorskip("distributed")
    from lrbias.gd import scaleout

    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT_S", 1)
    address, srv = _server(answer)
    try:
        one_line_error(capsys, ["sweep", "--loss", "square", "--C", "1", "--n", "10", "--scheduler", address], 2,
                       needle)
    finally:
        srv.close()


def test_workers_are_capped(capsys) -> None:
    one_line_error(capsys, ["sweep", "--loss", "square", "--C", "1", "--n", "10", "--workers", "1000"], 2,
                   "--workers 1000")


# --- correctness ---------------------------------------------------------------------------------

@pytest.mark.parametrize("precision", ["float64", "mp:30"])
def test_saddle_rule_waits_for_the_first_step(capsys, precision: str) -> None:
    """A start 1e-150 from the saddle with h ≈ 1e300 leaves it in one step: diverged, not 'stalled at step 0'."""
    assert main(["run", "--loss", "softplus-pair:a=0.5", "--x0", "1e-150", "--y0", "2e-150", "--C", "5",
                 "--precision", precision, "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["outcome"] == "diverged" and rec["steps"] > 0


def test_saddle_start_still_stalls() -> None:
    from lrbias.gd import Settings
    from lrbias.gd.scalar import run_one

    rec = run_one(get_family("square"), 0.0, 0.0, 0.1, "float64", 53, Settings(max_steps=3000))
    assert rec.outcome == "undecided" and "saddle" in rec.reason and rec.steps > 0


def test_torch_threads_pinned_once_and_recorded() -> None:
    torch = pytest.importorskip("torch")
    from lrbias.claims.results import environment
    from lrbias.gd.device import pin_torch_threads, resolve_device

    resolve_device("cpu")
    assert torch.get_num_threads() == environment()["torch_threads"] == pin_torch_threads()
    torch.set_num_threads(2)
    resolve_device("cpu")  # pinned once: a later use does not reset it
    assert torch.get_num_threads() == 2
    pin_torch_threads(1)
    assert torch.get_num_threads() == 1 == environment()["torch_threads"]


# --- one error policy -----------------------------------------------------------------------------

def _doc() -> dict:
    entry = {"id": "x.a", "title": "t", "provenance": "exact", "verdict": "pass", "examples": 3, "inconclusive": 0,
             "seed": 0, "elapsed_s": 0.1, "notes": [], "worst_margin": 1.0,
             "frontier": {"parameter": "kappa", "families": {"square": {"holds_on": [[0.0, 1.0]]}}}}
    return build_document([entry], "smoke", 0, "cmd", 0.0)


def _broken(kind: str) -> str:
    doc = _doc()
    e = doc["entries"][0]
    if kind == "margin-list":
        e["worst_margin"] = [1, 2]
    elif kind == "frontier-list":
        e["frontier"] = [1, 2]
    elif kind == "ragged":
        e["frontier"]["families"]["square"]["holds_on"] = [[0.0], [1.0, 2.0, 3.0]]
    elif kind == "deep":
        return "[" * 100_000 + "]" * 100_000
    elif kind == "not-utf8":
        return "\udcff"
    return json.dumps(doc)


@pytest.mark.parametrize("kind", ["margin-list", "frontier-list", "ragged", "deep"])
def test_diff_of_a_wrongly_shaped_document(tmp_path: Path, capsys, kind: str) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_doc()))
    bad.write_text(_broken(kind))
    one_line_error(capsys, ["diff", str(good), str(bad)], 2)
    one_line_error(capsys, ["diff", str(bad), str(good)], 2)


def test_diff_of_an_unreadable_or_binary_file(tmp_path: Path, capsys) -> None:
    good, binary = tmp_path / "good.json", tmp_path / "bin.json"
    good.write_text(json.dumps(_doc()))
    binary.write_bytes(b"\xff\xfe\x00garbage")
    one_line_error(capsys, ["diff", str(good), str(binary)], 2)
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.json"
        locked.write_text(json.dumps(_doc()))
        locked.chmod(0)
        one_line_error(capsys, ["diff", str(good), str(locked)], 2, "cannot read")


def test_html_diff_to_stdout(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_doc()))
    assert main(["diff", str(good), str(good), "--html", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("<!DOCTYPE html>") and "no changes" in captured.err


def test_unexpected_errors_are_one_line_and_debug_shows_the_traceback(capsys, monkeypatch) -> None:
    from lrbias import cli

    def boom(args):
        raise RuntimeError("x" * 5000)

    monkeypatch.setattr(cli, "_cmd_dor", boom)
    err = one_line_error(capsys, ["dor", "square"], 3, "internal error (RuntimeError")
    assert "--debug" in err
    assert main(["--debug", "dor", "square"]) == 3
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("LRBIAS_DEBUG", "1")
    assert main(["dor", "square"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_os_errors_are_run_failures(capsys, monkeypatch) -> None:
    from lrbias import cli

    def full(args):
        raise OSError(28, "No space left on device", "/some/where/results.json")

    monkeypatch.setattr(cli, "_cmd_dor", full)
    one_line_error(capsys, ["dor", "square"], 1, "/some/where/results.json: No space left on device")


def test_check_json_into_read_only_folder_is_refused_first(tmp_path: Path, capsys) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    one_line_error(capsys, ["check", "exact", "--no-nn", "--json", str(ro / "r.json")], 2, "not writable")


@pytest.mark.parametrize(("argv", "needle"), [
    (["nn", "--lr", "0.1", "--steps", "2", "--n", "1"], "--n"),
    (["nn", "--lr", "0.1", "--steps", "2", "--seed", "-1"], "--seed"),
    (["nn", "--lr", "0.1", "--steps", "2", "--width", "100000000"], "--width"),
    (["nn", "--lr", "0.1", "--steps", "2", "--threads", "0"], "--threads"),
])
def test_nn_inputs_checked_before_training(capsys, argv: list[str], needle: str) -> None:
    one_line_error(capsys, argv, 2, needle)


@pytest.mark.parametrize(("text", "needle"), [
    ('family = "x"\n', "array of tables"),
    ('[[family]]\nname = 3\nexpression = "(s-1)**2"\n', "must be a string"),
    ('[[family]]\nname = "fz"\nexpression = "(s-1)**2*c"\nparams = {c = {default = "x", min = 0, max = 2}}\n',
     "must be a number"),
    ('[[claim]]\nid = 5\n', "claim"),
])
def test_toml_type_errors(tmp_path: Path, capsys, text: str, needle: str) -> None:
    path = tmp_path / "v.toml"
    path.write_text(text)
    one_line_error(capsys, ["check", "--no-nn", "--variants", str(path), "nothing"], 2, needle)


def test_toml_not_utf8(tmp_path: Path, capsys) -> None:
    path = tmp_path / "v.toml"
    path.write_bytes(b"\xff\xfe[[claim]]")
    one_line_error(capsys, ["check", "--no-nn", "--variants", str(path)], 2, "not UTF-8")


def test_short_quotes_long_values() -> None:
    assert len(short("1" * 400)) <= 60 and short("abc") == "abc"


# --- HTML safety --------------------------------------------------------------------------------

@pytest.mark.parametrize("latex", [r"\text{<script>alert(1)</script>}", r"\href{javascript:alert(1)}{x}",
                                   r"x \text{<img src=x onerror=alert(1)>}"])
def test_variant_latex_cannot_inject_markup(latex: str) -> None:
    from lrbias.report.mathml import latex_to_mathml

    page = latex_to_mathml(latex, display=True)
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and "<img" not in lowered
    assert "onerror" not in lowered or "&lt;" in page


def test_sanitiser_keeps_math_and_drops_foreign_markup() -> None:
    from lrbias.report.mathml import sanitise_mathml

    dirty = ('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block" onclick="evil()">'
             '<mi href="javascript:alert(1)" style="x">x</mi><script>alert(1)</script><mo>&lt;</mo></math>')
    clean = sanitise_mathml(dirty)
    assert clean == ('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mi>x</mi>'
                     '<mtext>alert(1)</mtext><mo>&lt;</mo></math>')
    assert sanitise_mathml("<div>not math</div>") is None and sanitise_mathml("<math><mi>") is None


def test_every_page_string_is_escaped() -> None:
    from lrbias.report.page import render

    doc = _doc()
    e = doc["entries"][0]
    e["title"] = "<script>alert('t')</script>"
    e["statement"] = "<b onmouseover=x>s</b>"
    e["latex"] = r"\text{<script>alert(2)</script>}"
    e["notes"] = ["<iframe src=javascript:alert(3)>"]
    e["id"] = "x.<svg/onload=alert(4)>"
    e["assumptions"] = "<script>alert(5)</script>"
    e["engine"] = "<script>alert(6)</script>"
    e["counterexample"] = None
    e["frontier"] = None
    doc_copy = copy.deepcopy(doc)
    page = render(doc_copy, [], None, None)
    lowered = page.lower()
    for bad in ("<script>alert", "<b onmouseover", "<iframe", "<svg/onload"):
        assert bad not in lowered, bad


def test_symbolic_steps_of_a_formula_have_a_time_budget(monkeypatch) -> None:
    from lrbias.losses import families

    def slow(expr):
        time.sleep(5)

    monkeypatch.setattr(families, "stabilise", slow)
    monkeypatch.setattr(families, "SYMBOLIC_BUILD_TIMEOUT_S", 0.2)
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match="could not analyse the formula"):
        get_family("expr:(s-1)**2/7 + (s-1)**4/9")
    assert time.perf_counter() - started < 3


def test_time_limits_nest() -> None:
    import signal

    from lrbias.losses.budget import time_limit

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with time_limit(5):
            time.sleep(0.05)
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0.1  # the outer budget still runs
        time.sleep(1.0)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.slow
def test_ctrl_c_tears_a_local_cluster_down(tmp_path: Path) -> None:
    """`--workers N` then Ctrl-C: exit 130 with one line, promptly, no worker left behind.

    The signal goes to the whole process group, as a terminal's Ctrl-C does: the workers must
    neither print tracebacks nor log warnings about the tasks the close cancels.
    """
    pytest.importorskip("distributed")
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    # as from a terminal: a process started under a background job (`cmd &`, as a CI runner may start the
    # tests) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt; the child restores it
    terminal = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "from lrbias.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", terminal, "sweep", "--loss", "square", "--C", "1:3",
                             "--n", "2000000", "--chunk-size", "20000", "--steps", "20000", "--workers", "2",
                             "--no-artefact-check", "--progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)}, start_new_session=True)
    seen = ""
    deadline = time.time() + 240
    while time.time() < deadline and "sweep [" not in seen:  # the cluster is up and chunks are running
        chunk = proc.stderr.read(64) if proc.stderr else ""
        if not chunk:  # the process ended before its progress line: fail below, not spin
            break
        seen = seen[-64:] + chunk  # the marker may straddle two reads
    os.killpg(proc.pid, signal.SIGINT)
    started = time.perf_counter()
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and time.perf_counter() - started < 60
    assert "Traceback" not in err and "lrbias: interrupted" in err
    assert "WARNING" not in err and "distributed." not in err, err[-2000:]
    leftover = ["?"]
    deadline = time.time() + 30  # workers and the resource tracker exit on their own, shortly after
    while leftover and time.time() < deadline:
        time.sleep(0.5)
        leftover = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
    if leftover:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not leftover, f"worker processes left: {leftover}"
