"""Issue 26, items 10-12 and 19: bounds everywhere, inputs checked like outputs.

10. --from-json FIFO (and --database FIFO or file, a variant FIFO) refused with one line, never blocking;
11. caps on --steps, --max-steps, --n and recorded states, stated in --help and binding where stated;
12. nested powers bounded before sympy sees them, the same answer under any hash seed; input files capped;
19. ASCII digits only; Hypothesis's cache out of the current folder; a broken third-party group skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lrbias import inputs
from lrbias.cli import engines, main
from lrbias.cli import nn as nn_cli

ROOT = Path(__file__).resolve().parents[1]


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def _no_block(fn, seconds: float = 20.0):
    """``fn()`` in a thread; fails if it has not returned within ``seconds`` (a FIFO read blocks forever)."""
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked on an input"
    return result.get("value")


# --- 10: inputs that would block ------------------------------------------------------------------

def test_item10_from_json_fifo_refused(tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code = _no_block(lambda: main(["nn-grid", "--claims", "nn.no-eos-cubic", "--from-json", str(fifo)]))
    err = capsys.readouterr().err
    assert code == 2 and "is a FIFO" in err and str(fifo) in err, err


@pytest.mark.parametrize("kind", ["fifo", "file", "device"])
def test_item19_database_must_be_a_folder(tmp_path: Path, capsys, kind: str) -> None:
    target = {"fifo": tmp_path / "fifo", "file": tmp_path / "db", "device": Path("/dev/null")}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "file":
        target.write_text("")
    code, _, err = _run(["check", "exact", "--profile", "smoke", "--no-nn", "--database", str(target)], capsys)
    assert code == 2 and "--database" in err and "accepted: a folder" in err, err


def test_variant_fifo_refused(tmp_path: Path, capsys) -> None:
    for suffix in (".toml", ".py"):
        fifo = tmp_path / f"v{suffix}"
        os.mkfifo(fifo)
        code = _no_block(lambda f=fifo: main(["check", "--variants", str(f), "--profile", "smoke", "--no-nn"]))
        assert code == 2 and "is a FIFO" in capsys.readouterr().err


@pytest.mark.parametrize(("doc", "says"), [
    ('{"runs": 5}', "'runs' must be an object"),
    ('{"runs": {"cubic-mse-unbalanced@digits": [], "cubic-mse-unbalanced@mnist1d": []}}', "holds no runs"),
    ('{"runs": {"cubic-mse-unbalanced@digits": [{"config": {}}], "cubic-mse-unbalanced@mnist1d": [1]}}',
     "not a run record"),
    ('{"runs": NaN}', "NaN is not a JSON number"),
    ('{"runs": 1' + "0" * 5000 + "}", "an integer of 5001 digits"),
])
def test_item15_from_json_shapes_are_one_line_errors(tmp_path: Path, capsys, doc: str, says: str) -> None:
    path = tmp_path / "saved.json"
    path.write_text(doc)
    code, _, err = _run(["nn-grid", "--claims", "nn.no-eos-cubic", "--from-json", str(path)], capsys)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err


def test_item15_saved_run_series_checked() -> None:
    """String sharpness, a history of mismatched lengths: named, not an internal error."""
    from types import SimpleNamespace

    from lrbias.errors import LrbiasError

    good = SimpleNamespace(history={"loss": [1.0, None, "inf"], "acc": [0.1, 0.2, 0.3]}, sharpness=[[1.0]],
                           sharpness_steps=[0])
    nn_cli._check_saved_run(good, "w")
    assert good.history["loss"][2] == float("inf")
    for bad, says in [({"loss": [1.0], "acc": [0.1, 0.2]}, "different lengths"),
                      ({"loss": ["x"]}, "not a number")]:
        with pytest.raises(LrbiasError, match=says):
            nn_cli._check_saved_run(SimpleNamespace(history=bad, sharpness=[], sharpness_steps=[]), "w")
    with pytest.raises(LrbiasError, match="sharpness rows"):
        nn_cli._check_saved_run(SimpleNamespace(history={}, sharpness=[[1.0]], sharpness_steps=[0, 1]), "w")


# --- 11: caps stated in --help and binding where stated ---------------------------------------------

@pytest.mark.parametrize(("argv", "flag"), [
    (["run", "--loss", "square", "--x0", "1", "--y0", "2", "--C", "1"], "--steps"),
    (["sweep", "--loss", "square", "--C", "1", "--n", "2"], "--steps"),
    (["certify", "--loss", "square", "--x0", "1", "--y0", "2", "--C", "1"], "--max-steps"),
])
def test_item11_step_caps_bind_at_the_limit(argv: list[str], flag: str, capsys) -> None:
    code, _, err = _run([*argv, flag, str(engines.MAX_STEPS + 1)], capsys)
    assert code == 2 and f"<= {engines.MAX_STEPS}" in err, err
    code, _, err = _run([*argv, flag, "100000000000000000000000"], capsys)
    assert code == 2 and flag in err
    code, out, _ = _run([argv[0], "--help"], capsys)
    assert str(engines.MAX_STEPS) in " ".join(out.split())


def test_item11_recorded_states_capped(capsys) -> None:
    base = ["run", "--loss", "square", "--x0", "1", "--y0", "2", "--C", "1", "--steps", "600000"]
    code, _, err = _run([*base, "--record-every", "1"], capsys)
    assert code == 2 and f"at most {engines.MAX_RECORDED}" in err and "--record-every >= 7" in err, err
    steps = (engines.MAX_RECORDED - 1) * 3  # exactly MAX_RECORDED states: accepted (checked, not run)
    code, _, err = _run([*base[:-1], str(steps), "--record-every", "2"], capsys)
    assert code == 2 and f"at most {engines.MAX_RECORDED}" in err
    code, _, err = _run([*base[:-1], str(steps), "--record-every", "3", "--json", "--x0", "1e-300", "--h", "1e-300",
                         "--C", "1"], capsys)  # argparse refuses --h with --C: only the cap is under test above


def test_item11_nn_n_capped_per_data_set(capsys) -> None:
    code, _, err = _run(["nn", "--dataset", "mnist1d", "--n", "1000000", "--steps", "1", "--lr", "0.1"], capsys)
    assert code == 2 and "<= 4000" in err, err
    code, out, _ = _run(["nn", "--help"], capsys)
    assert "4000 for mnist1d" in " ".join(out.split())


def test_item15_init_norms_bounded(capsys) -> None:
    code, _, err = _run(["nn", "--init-norms", "1e308,1e308", "--steps", "1", "--lr", "0.1"], capsys)
    assert code == 2 and "--init-norms" in err and "internal error" not in err, err


# --- 12: symbolic work and input sizes bounded ---------------------------------------------------------

def test_item12_nested_powers_refused_at_parse_time(capsys) -> None:
    code, _, err = _run(["dor", "expr:(s-1)**2+(((s-1)**64)**64)**64"], capsys)
    assert code == 2 and "nests exponents to 4096" in err, err
    from lrbias.losses.parser import parse_expression

    parse_expression("((s-1)**8)**8")  # product 64: at the limit, accepted
    with pytest.raises(Exception, match="nests exponents"):
        parse_expression("((s-1)**8)**9")


@pytest.mark.slow
def test_item12_dor_method_does_not_depend_on_the_hash_seed() -> None:
    spec = "expr:(s-1)**2+((s-1)**8)**8"
    outs = set()
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
        res = subprocess.run([sys.executable, "-m", "lrbias.cli", "dor", spec, "--json"], capture_output=True,
                             text=True, timeout=120, env=env)
        outs.add(res.stdout + res.stderr)
    assert len(outs) == 1, outs


def test_item18_dor_of_a_bounded_oscillation_is_found(capsys) -> None:
    """(s-1)**2*(2+sin(exp(s/1e9))) has dor 2; far out sin's argument is beyond mpmath's guard, so the
    numeric fit uses the nearer points and says so (it used to be refused as "grows too fast")."""
    code, out, err = _run(["dor", "expr:(s-1)**2*(2+sin(exp(s/1e9)))", "--method", "numeric", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and abs(doc["value"] - 2) < 0.1 and "fitted only up to" in doc["note"], (out, err)


def test_item18_numeric_dor_says_where_it_stopped(capsys) -> None:
    code, _, err = _run(["dor", "expr:(s-1)**2*(2+sin(exp(s)))", "--method", "numeric"], capsys)
    assert code == 2 and "too few points" in err and "|s| = 1e" in err, err


def test_item12_input_files_capped(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text('{"x": "' + "a" * 2000 + '"}')
    code, _, err = _run(["diff", str(big), str(big)], capsys)
    assert code == 2 and "accepted: at most" in err and "MiB" in err, err
    small = tmp_path / "small.json"
    small.write_text("{}")
    assert inputs.read_text(small, "") == "{}"


# --- 19: minor --------------------------------------------------------------------------------------

@pytest.mark.parametrize("digits", ["١٢", "１２", "1٢"])
def test_item19_only_ascii_digits(digits: str, capsys) -> None:
    code, _, err = _run(["run", "--loss", "square", "--x0", digits, "--y0", "2", "--C", "1"], capsys)
    assert code == 2 and "ASCII digits" in err, err


def test_item19_hypothesis_storage_is_moved_and_restored(tmp_path: Path, monkeypatch) -> None:
    from hypothesis.configuration import storage_directory

    from lrbias.cli import _hypothesis_storage

    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    before = storage_directory("x", intent_to_write=False).path
    with _hypothesis_storage():
        inside = storage_directory("x", intent_to_write=False).path
    assert inside == tmp_path / "cache" / "lrbias" / "hypothesis" / "x"
    assert storage_directory("x", intent_to_write=False).path == before


@pytest.mark.slow
def test_item19_no_hypothesis_folder_in_the_current_folder(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    work = tmp_path / "work"
    work.mkdir()
    res = subprocess.run([sys.executable, "-m", "lrbias.cli", "check", "exact.invariant-lines", "--profile", "smoke",
                          "--no-nn"], cwd=work, capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-500:]
    assert list(work.iterdir()) == []


def test_item19_broken_third_party_group_is_skipped(monkeypatch, capsys) -> None:
    from importlib import metadata

    from lrbias.claims import catalogue

    real = metadata.entry_points

    def with_broken(**kwargs):
        found = list(real(**kwargs))
        if kwargs.get("group") == catalogue.ENTRY_POINT_GROUP:
            found.append(metadata.EntryPoint("broken", "no_such_module_lrbias_test", catalogue.ENTRY_POINT_GROUP))
        return found

    monkeypatch.setattr(metadata, "entry_points", with_broken)
    entries = catalogue.load_entries(include_nn=False)
    assert entries and any(e.id.startswith("exact.") for e in entries)
    assert "no_such_module_lrbias_test" in capsys.readouterr().err


def test_from_json_reads_the_full_protocols_output_but_not_more(tmp_path: Path, capsys) -> None:
    """nn-grid --from-json takes up to MAX_GRID_JSON (the 3-seed protocol writes ~55 MB), not the
    default 32 MiB of other inputs; one byte more is a one-line error (sparse files: nothing written)."""
    from lrbias.cli.nn import MAX_GRID_JSON

    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(MAX_GRID_JSON + 1)
    code, _, err = _run(["nn-grid", "--claims", "nn.no-eos-cubic", "--from-json", str(big)], capsys)
    assert code == 2 and "accepted: at most 256 MiB" in err and len(err.strip().splitlines()) == 1, err
    mid = tmp_path / "mid.json"
    with mid.open("wb") as fh:  # above 32 MiB: read, then refused as JSON, not for its size
        fh.truncate(40 * 2**20)
    code, _, err = _run(["nn-grid", "--claims", "nn.no-eos-cubic", "--from-json", str(mid)], capsys)
    assert code == 2 and "MiB" not in err, err
