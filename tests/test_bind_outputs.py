"""Bindings for lrbias/outputs.py that the main file's tests left open: a killed run that its parent has
not yet reaped (a zombie) is dead for the leftover cleanup (the cause of the flaky
test_two_concurrent_swaps_one_killed_mid_swap[renames] on a loaded machine: the next run took the lock
in the moment between the kill and the parent's wait, saw the zombie's pid "alive", and kept its staging).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from lrbias import outputs
from tests.test_outputs import _complete, _seed_report, _swapper


def test_a_killed_but_unreaped_runs_staging_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "out"
    _seed_report(target, "old")
    a = _swapper(target, "A", "renames")
    assert a.stdout.readline().strip() == "MID"
    a.send_signal(signal.SIGKILL)
    b = _swapper(target, "B", "none")  # B runs to the end while A is a zombie: A is not reaped until after
    assert b.communicate(timeout=120)[0].strip() == "DONE" and b.returncode == 0
    a.wait()
    assert _complete(target) == "B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "the zombie's staging survived"


def test_pid_alive_says_no_for_a_zombie() -> None:
    a = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    assert outputs._pid_alive(a.pid)
    a.send_signal(signal.SIGKILL)
    for _ in range(500):  # until the kernel has made it a zombie (not reaped: no wait yet)
        if Path(f"/proc/{a.pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
            break
        time.sleep(0.01)
    try:
        assert not outputs._pid_alive(a.pid)
    finally:
        a.wait()
    assert not outputs._pid_alive(a.pid)


def test_check_name_length_each_boundary(tmp_path: Path, monkeypatch) -> None:
    """Binds check_name_length: the limit of the nearest existing folder (PC_NAME_MAX), `extra` spared on the last
    component only, a name of exactly the room accepted and one byte more refused, '/', '.' and '..' not names."""
    import os

    import pytest

    from lrbias.errors import LrbiasError

    asked = []

    def pathconf(p, name):
        if name != "PC_NAME_MAX":
            raise ValueError(name)
        asked.append(Path(p))
        return 100

    monkeypatch.setattr(os, "pathconf", pathconf)
    outputs.check_name_length(tmp_path / "new" / "deeper" / ("a" * 95), "--out", "x", 5)
    assert asked == [tmp_path]
    with pytest.raises(LrbiasError, match=r"at most 95 bytes \(the file system allows 100"):
        outputs.check_name_length(tmp_path / ("a" * 96), "--out", "x", 5)
    outputs.check_name_length(tmp_path / ("b" * 100) / "c", "--out", "x", 5)   # not last: the whole 100
    with pytest.raises(LrbiasError, match="at most 100 bytes"):
        outputs.check_name_length(tmp_path / ("b" * 101) / "c", "--out", "x", 5)
    with pytest.raises(LrbiasError, match="at most 95 bytes"):
        outputs.check_name_length(Path(str(tmp_path / ("a" * 96)) + "/.."), "--out", "x", 5)
    outputs.check_name_length(Path("/"), "--out", "x", 100)
    outputs.check_name_length(Path(".."), "--out", "x", 100)


def test_check_name_length_quotes_the_name_shortened_to_40(tmp_path: Path, monkeypatch) -> None:
    """Binds check_name_length's message: the flag, the shown path, the name cut to 40 characters and its bytes."""
    import os

    import pytest

    from lrbias.errors import LrbiasError, short

    monkeypatch.setattr(os, "pathconf", lambda p, name: 50)
    name = "0123456789" * 5 + "abcdef"
    with pytest.raises(LrbiasError) as err:
        outputs.check_name_length(tmp_path / name, "--out", "shown", 0)
    assert f"--out shown: the name {short(name, 40)!r} is 56 bytes; accepted: at most 50 bytes" in str(err.value)
    assert short(name, 40) != short(name, 41) and short(name, 40) != short(name)
