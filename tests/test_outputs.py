"""Output safety (lrbias/outputs.py): nothing lost, nothing but regular files and report folders replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lrbias import outputs
from lrbias.cli import main
from lrbias.errors import LrbiasError
from lrbias.serial import write_atomic

ROOT = Path(__file__).resolve().parents[1]


# --- file targets (--json, --html) -------------------------------------------------------------

def test_file_target_accepts_regular_files_new_names_and_stdout(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("{}")
    assert outputs.check_file_target(tmp_path / "old.json", "--json") == tmp_path / "old.json"
    assert outputs.check_file_target(tmp_path / "new.json", "--json") == tmp_path / "new.json"
    with pytest.raises(LrbiasError, match="does not exist"):
        outputs.check_file_target(tmp_path / "new" / "deeper.json", "--json")
    assert outputs.check_file_target("-", "--json") is None
    assert outputs.check_file_target(None, "--json") is None


@pytest.mark.parametrize("make, kind", [
    (lambda p: p.mkdir(), "a folder"),
    (lambda p: os.mkfifo(p), "a FIFO"),
    (lambda p: p.symlink_to("/dev/null"), "a device"),
    (lambda p: p.symlink_to(p.parent / "missing"), "broken symbolic link"),
])
def test_file_target_refuses_what_is_not_a_regular_file(tmp_path: Path, make, kind: str) -> None:
    target = tmp_path / "out"
    make(target)
    with pytest.raises(LrbiasError, match=kind):
        outputs.check_file_target(target, "--json")


def test_write_atomic_never_replaces_a_fifo_or_folder_and_follows_links(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(LrbiasError, match="not a regular file"):
        write_atomic(fifo, "x")
    assert fifo.is_fifo()
    (tmp_path / "dir").mkdir()
    with pytest.raises(LrbiasError):
        write_atomic(tmp_path / "dir", "x")
    assert (tmp_path / "dir").is_dir()
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "fifo", "link.json", "real.json"]


def test_cli_refuses_bad_targets_before_any_work(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("fifo")
    Path("dir").mkdir()
    cases = [["check", "exact", "--no-nn", "--json", "dir"], ["check", "exact", "--json", "fifo"],
             ["nn", "--lr", "0.1", "--steps", "1", "--json", "dir"],
             ["diff", "a.json", "b.json", "--html", "fifo"]]
    for argv in cases:
        started = time.perf_counter()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("lrbias: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
        assert time.perf_counter() - started < 30  # refused up front, not after a run
    assert Path("fifo").is_fifo() and Path("dir").is_dir()


# --- report folders ---------------------------------------------------------------------------

def test_report_folder_holding_other_files_is_refused_and_kept(tmp_path: Path, capsys) -> None:
    """Reproduction 1: `report --out v` on a folder with thesis.tex used to delete it."""
    v = tmp_path / "v"
    (v / "sub").mkdir(parents=True)
    (v / "thesis.tex").write_text("x")
    assert main(["report", "exact", "--profile", "smoke", "--no-nn", "--out", str(v)]) == 2
    assert "does not hold an lrbias report" in capsys.readouterr().err
    assert (v / "thesis.tex").read_text() == "x" and (v / "sub").is_dir()


def test_report_folder_rules(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert outputs.check_report_folder(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    outputs.check_report_folder(tmp_path / "empty")
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / outputs.MARKER).write_text("")
    (ours / "index.html").write_text("")
    outputs.check_report_folder(ours)
    (ours / "extra-note.txt").write_text("")  # issue 26: a marked folder is ours only without foreign paths
    with pytest.raises(LrbiasError, match=r"extra-note\.txt"):
        outputs.check_report_folder(ours)
    unmarked = tmp_path / "legacy"
    (unmarked / "figures").mkdir(parents=True)
    (unmarked / "index.html").write_text("")  # a user's site: report names alone no longer make it ours
    with pytest.raises(LrbiasError, match="does not hold an lrbias report"):
        outputs.check_report_folder(unmarked)
    (tmp_path / "file").write_text("")
    (tmp_path / "link").symlink_to(ours)
    for bad, why in [(".", "current folder"), ("..", "current folder"), ("-", "a report is a folder"),
                     (tmp_path / "file", "not a folder"), (tmp_path / "link", "symbolic link")]:
        with pytest.raises(LrbiasError, match=why):
            outputs.check_report_folder(bad)


def test_build_report_writes_the_marker_and_leaves_nothing_beside(tmp_path: Path, monkeypatch) -> None:
    from lrbias.report import build

    def tiny(folder: Path, doc: dict, progress=None) -> None:
        (folder / outputs.MARKER).write_text("")
        (folder / "index.html").write_text(doc["command"])

    monkeypatch.setattr(build, "write_report_folder", tiny)
    out = tmp_path / "r"
    for command in ("one", "two"):
        build.build_report(out, [], "smoke", 0, command, 0.0, {}, progress=None)
        assert (out / "index.html").read_text() == command
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


# --- the swap: concurrent runs, kills ---------------------------------------------------------

SWAPPER = textwrap.dedent("""
    import shutil, sys, time
    from pathlib import Path
    from lrbias import outputs
    target, tag, pause = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    staging = outputs.staging_folder(target)
    (staging / outputs.MARKER).write_text("")
    (staging / "index.html").write_text(tag)
    (staging / "results.json").write_text(tag)
    def stop(*args, **kwargs):
        print("MID", flush=True)
        time.sleep(120)
    if pause == "renames":  # the two-rename fallback, killed between the renames
        outputs._exchange = lambda a, b: False
        real = Path.rename
        def rename(self, dst):
            result = real(self, dst)
            if ".old-" in str(dst):
                stop()
            return result
        Path.rename = rename
    elif pause == "exchange":  # killed after the exchange, before the old report is removed
        outputs.shutil = type("S", (), {"rmtree": staticmethod(stop)})
    outputs.swap_folder(staging, target)
    print("DONE", flush=True)
""")


def _swapper(target: Path, tag: str, pause: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", SWAPPER, str(target), tag, pause], stdout=subprocess.PIPE,
                            text=True, env=env)


def _complete(target: Path) -> str:
    """The tag of the one whole report at ``target`` (every file from the same run)."""
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted([outputs.MARKER, "index.html", "results.json"]), names
    tag = (target / "index.html").read_text()
    assert (target / "results.json").read_text() == tag
    return tag


def _seed_report(target: Path, tag: str) -> None:
    target.mkdir()
    (target / outputs.MARKER).write_text("")
    (target / "index.html").write_text(tag)
    (target / "results.json").write_text(tag)


@pytest.mark.parametrize("pause", ["renames", "exchange"])
def test_two_concurrent_swaps_one_killed_mid_swap(tmp_path: Path, pause: str) -> None:
    """Reproduction 3: a kill between the renames lost --out; concurrent runs deleted each other's staging."""
    target = tmp_path / "out"
    _seed_report(target, "old")
    a = _swapper(target, "A", pause)
    assert a.stdout.readline().strip() == "MID"  # A holds the lock, mid-swap
    b = _swapper(target, "B", "none")  # B builds its staging, then waits for the lock
    time.sleep(1.0)
    assert b.poll() is None, "B must wait for A's swap, not barge in"
    a.send_signal(signal.SIGKILL)
    a.wait()
    assert b.communicate(timeout=120)[0].strip() == "DONE" and b.returncode == 0
    assert _complete(target) == "B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "leftovers of the killed run survived"


def test_kill_between_renames_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _seed_report(target, "old")
    a = _swapper(target, "A", "renames")
    assert a.stdout.readline().strip() == "MID"
    a.send_signal(signal.SIGKILL)
    a.wait()
    assert not target.exists()  # the window the fallback has; the next run restores the old report
    with outputs.folder_lock(target):
        outputs.cleanup_leftovers(target)
    assert _complete(target) == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_exchange_keeps_a_complete_report_even_when_killed(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _seed_report(target, "old")
    a = _swapper(target, "A", "exchange")
    assert a.stdout.readline().strip() == "MID"
    a.send_signal(signal.SIGKILL)
    a.wait()
    assert _complete(target) == "A"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    with outputs.folder_lock(target):
        outputs.cleanup_leftovers(target)
    assert leftovers and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_live_runs_staging_is_never_removed(tmp_path: Path) -> None:
    target = tmp_path / "out"
    mine = outputs.staging_folder(target)
    dead = tmp_path / ".out.tmp-999999999-abcd0123"
    dead.mkdir()
    with outputs.folder_lock(target):
        removed = outputs.cleanup_leftovers(target)
    assert mine.is_dir() and not dead.exists() and removed == [dead]


def test_lock_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with outputs.folder_lock(target):
        script = ("import sys; from pathlib import Path; from lrbias import outputs\n"
                  "with outputs.folder_lock(Path(sys.argv[1]), wait_s=0.2): pass")
        res = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert res.returncode == 1 and "another lrbias run is writing" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
