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


# --- messages, kinds and boundaries, each pinned whole (issue 27) -------------------------------

import errno  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402

import pytest  # noqa: E402

from lrbias.errors import LrbiasError  # noqa: E402


def _message(call, *args, **kwargs) -> str:
    with pytest.raises(LrbiasError) as err:
        call(*args, **kwargs)
    return str(err.value)


def _no_write(monkeypatch, refused: Path) -> None:
    """os.access says ``refused`` is not writable (this suite runs as root, for whom everything is)."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == refused else real(p, mode))


def test_file_kind_names_every_mode(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    os.mkfifo(tmp_path / "p")
    (tmp_path / "l").symlink_to("f")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tmp_path / "s"))
        kinds = {n: outputs.file_kind(os.lstat(tmp_path / n).st_mode) for n in ("f", "p", "s", "l")}
    assert kinds == {"f": "a file", "p": "a FIFO", "s": "a socket", "l": "not a regular file"}
    assert outputs.file_kind(os.stat(tmp_path).st_mode) == "a folder"
    assert outputs.file_kind(os.stat("/dev/null").st_mode) == "a device"
    assert outputs.file_kind(stat.S_IFBLK | 0o600) == "a device"


def test_file_target_messages_whole(tmp_path: Path, monkeypatch) -> None:
    assert _message(outputs.check_file_target, "  ", "--json") == \
        "--json is empty; accepted: a file name, or - for stdout"
    (tmp_path / "broken").symlink_to(tmp_path / "missing")
    assert _message(outputs.check_file_target, tmp_path / "broken", "--json") == \
        f"--json {tmp_path / 'broken'} is a broken symbolic link; accepted: a regular file, or - for stdout"
    (tmp_path / "d").mkdir()
    assert _message(outputs.check_file_target, tmp_path / "d", "--html") == \
        f"--html {tmp_path / 'd'} is a folder; accepted: a regular file, or - for stdout"
    assert _message(outputs.check_file_target, tmp_path / "no" / "x.json", "--json") == \
        f"--json {tmp_path / 'no' / 'x.json'}: folder {tmp_path / 'no'} does not exist"
    real = tmp_path / "real.json"
    real.write_text("")
    (tmp_path / "link.json").symlink_to(real)
    assert outputs.check_file_target(tmp_path / "link.json", "--json") == tmp_path / "link.json"  # the link kept
    _no_write(monkeypatch, real)
    assert _message(outputs.check_file_target, tmp_path / "link.json", "--json") == \
        f"--json {tmp_path / 'link.json'} is not writable"   # the link's target is what is checked
    _no_write(monkeypatch, tmp_path)
    assert _message(outputs.check_file_target, tmp_path / "new.json", "--json") == \
        f"--json {tmp_path / 'new.json'}: folder {tmp_path} is not writable"


def test_file_target_spares_the_atomic_suffix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "pathconf", lambda p, name: 40)
    assert outputs.check_file_target(tmp_path / ("a" * (40 - outputs.ATOMIC_SUFFIX)), "--json")
    with pytest.raises(LrbiasError, match=f"at most {40 - outputs.ATOMIC_SUFFIX} bytes"):
        outputs.check_file_target(tmp_path / ("a" * (41 - outputs.ATOMIC_SUFFIX)), "--json")
    assert (outputs.ATOMIC_SUFFIX, outputs.LEFTOVER_SUFFIX) == (14, 22)


def test_writable_folder_walks_up_to_the_nearest_existing_folder(tmp_path: Path, monkeypatch) -> None:
    real = os.access
    outputs._writable_folder(tmp_path / "a" / "b", "--out", "s", create=True)
    (tmp_path / "file").write_text("")
    assert _message(outputs._writable_folder, tmp_path / "file" / "b", "--out", "s", create=True) == \
        f"--out s: {tmp_path / 'file'} is not a folder"
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert _message(outputs._writable_folder, tmp_path / "dangling" / "b", "--out", "s", create=True) == \
        f"--out s: {tmp_path / 'dangling'} is a broken symbolic link"
    _no_write(monkeypatch, tmp_path)
    assert _message(outputs._writable_folder, tmp_path / "a" / "b", "--out", "s", create=True) == \
        f"--out s: folder {tmp_path} is not writable"
    for refused in (os.W_OK, os.X_OK):  # both permissions are asked for
        monkeypatch.setattr(os, "access", lambda p, mode, r=refused: not (mode & r) and real(p, mode))
        with pytest.raises(LrbiasError, match="is not writable"):
            outputs._writable_folder(tmp_path, "--out", "s", create=False)


def _tree(folder: Path) -> None:
    (folder / "figures" / "deep").mkdir(parents=True)
    (folder / "index.html").write_text("<html>")
    (folder / "figures" / "a.svg").write_text("svg!")
    (folder / "figures" / "deep" / "b.svg").write_bytes(b"")


def test_write_manifest_records_every_path_whole(tmp_path: Path) -> None:
    import hashlib

    _tree(tmp_path)
    (tmp_path / outputs.MARKER).write_text("stale")   # the marker itself is never recorded
    manifest = outputs.write_manifest(tmp_path)

    def sha(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    assert manifest == {
        "format": "lrbias-report-manifest/1",
        "note": "an lrbias report: `lrbias report --out` replaces this folder only while it holds exactly these "
                "paths, unchanged",
        "paths": {"figures/": {"kind": "folder"}, "figures/deep/": {"kind": "folder"},
                  "figures/a.svg": {"kind": "file", "size": 4, "sha256": sha(b"svg!")},
                  "figures/deep/b.svg": {"kind": "file", "size": 0, "sha256": sha(b"")},
                  "index.html": {"kind": "file", "size": 6, "sha256": sha(b"<html>")}}}
    text = (tmp_path / outputs.MARKER).read_text(encoding="utf-8")
    assert text == json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    assert outputs.foreign_paths(tmp_path) == []


def test_write_manifest_refuses_a_link(tmp_path: Path) -> None:
    (tmp_path / "x").symlink_to("/etc/hostname")
    assert _message(outputs.write_manifest, tmp_path) == \
        f"{tmp_path / 'x'}: a report folder holds only files and folders"
    assert not (tmp_path / outputs.MARKER).exists()


def test_digest_reads_past_one_block(tmp_path: Path) -> None:
    import hashlib

    data = bytes(range(256)) * ((1 << 20) // 256 * 2 + 3)
    (tmp_path / "big").write_bytes(data)
    assert outputs._digest(tmp_path / "big") == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("body, expected", [
    ('{"format": "lrbias-report-manifest/1", "paths": {"a": 1}}', {"a": 1}),
    ('{"format": "lrbias-report-manifest/2", "paths": {}}', None),
    ('{"paths": {}}', None),
    ('{"format": "lrbias-report-manifest/1", "paths": []}', None),
    ('{"format": "lrbias-report-manifest/1"}', None),
    ('["lrbias-report-manifest/1"]', None),
    ("not json", None),
    ("", None),
    (b"\xff\xfe", None),
])
def test_read_manifest_each_shape(tmp_path: Path, body, expected) -> None:
    marker = tmp_path / outputs.MARKER
    marker.write_bytes(body if isinstance(body, bytes) else body.encode())
    assert outputs._read_manifest(tmp_path) == expected


def test_read_manifest_size_limit_and_kind(tmp_path: Path) -> None:
    marker = tmp_path / outputs.MARKER
    head = '{"format": "lrbias-report-manifest/1", "paths": {"a": 1}}'
    marker.write_text(head + " " * (outputs.MANIFEST_MAX_BYTES - len(head)))
    assert outputs._read_manifest(tmp_path) == {"a": 1}    # exactly the limit: read
    marker.write_text(head + " " * (outputs.MANIFEST_MAX_BYTES - len(head) + 1))
    assert outputs._read_manifest(tmp_path) == {}          # one byte over: not read, trusted for nothing
    marker.write_text('{"format": "lrbias-report-manifest/1", "paths": {"a": 1}}' + " " * outputs.MANIFEST_MAX_BYTES)
    assert outputs._read_manifest(tmp_path) == {}
    assert outputs.MANIFEST_MAX_BYTES == 1 << 20
    marker.unlink()
    marker.mkdir()
    assert outputs._read_manifest(tmp_path) == {}


def test_foreign_paths_under_a_manifest(tmp_path: Path) -> None:
    _tree(tmp_path)
    outputs.write_manifest(tmp_path)
    assert outputs.foreign_paths(tmp_path) == []
    (tmp_path / "index.html").write_text("<HTML>")                   # same size, other bytes
    (tmp_path / "figures" / "a.svg").write_text("svg!!")              # other size
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "n1.txt").write_text("")                   # an unrecorded folder counts once
    (tmp_path / "zz.txt").write_text("")
    # breadth of the top folder first (sorted), then the recorded folders entered
    assert outputs.foreign_paths(tmp_path) == ["index.html (changed)", "notes/", "zz.txt",
                                               "figures/a.svg (changed)"]
    assert outputs.foreign_paths(tmp_path, limit=1) == ["index.html (changed)"]
    assert outputs.foreign_paths(tmp_path, limit=3) == ["index.html (changed)", "notes/", "zz.txt"]


def test_foreign_paths_of_another_kind(tmp_path: Path) -> None:
    _tree(tmp_path)
    outputs.write_manifest(tmp_path)
    (tmp_path / "index.html").unlink()
    (tmp_path / "index.html").mkdir()                                  # a folder where a file was recorded
    (tmp_path / "figures" / "a.svg").unlink()
    (tmp_path / "figures" / "a.svg").symlink_to("/etc/hostname")        # a link where a file was recorded
    assert outputs.foreign_paths(tmp_path) == ["index.html/", "figures/a.svg"]
    doc = json.loads((tmp_path / outputs.MARKER).read_text())
    doc["paths"]["figures/deep/b.svg"] = {"kind": "folder"}
    doc["paths"]["x"] = "not a dict"
    (tmp_path / "x").write_text("")
    (tmp_path / outputs.MARKER).write_text(json.dumps(doc))
    assert outputs.foreign_paths(tmp_path) == ["index.html/", "x", "figures/a.svg", "figures/deep/b.svg"]


def test_foreign_paths_under_an_older_marker(tmp_path: Path) -> None:
    (tmp_path / outputs.MARKER).write_text("")
    (tmp_path / "figures").mkdir()
    (tmp_path / "index.html").write_text("")
    (tmp_path / "results.json").write_text("")
    (tmp_path / "figures" / "a-1.b_c.svg").write_text("")
    assert outputs.foreign_paths(tmp_path) == []
    (tmp_path / "figures" / "a.png").write_text("")
    (tmp_path / "figures" / "sub").mkdir()
    (tmp_path / "figures" / "x y.svg").write_text("")
    (tmp_path / "results.json").unlink()
    (tmp_path / "results.json").mkdir()
    (tmp_path / "xindex.html").write_text("")
    assert outputs.foreign_paths(tmp_path) == ["results.json/", "xindex.html", "figures/a.png", "figures/sub/",
                                               "figures/x y.svg"]


def test_foreign_paths_older_marker_kinds(tmp_path: Path) -> None:
    (tmp_path / outputs.MARKER).write_text("")
    (tmp_path / "figures").write_text("")                 # a file named like the folder
    (tmp_path / "index.html").symlink_to("/etc/hostname")   # a link named like a file
    assert outputs.foreign_paths(tmp_path) == ["figures", "index.html"]


def test_list_shows_three_then_counts() -> None:
    assert outputs._list(["a", "b", "c"]) == "a, b, c"
    assert outputs._list(["a", "b", "c", "d"]) == "a, b, c and 1 more"
    assert outputs._list(["a", "b"], limit=1) == "a and 1 more"
    assert outputs._list(["x" * 50]) == "x" * 17 + " ... " + "x" * 18


def test_report_folder_messages_whole(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _message(outputs.check_report_folder, "") == \
        "--out '': a report is a folder; accepted: a new, empty or report folder"
    assert _message(outputs.check_report_folder, "-", "--to") == \
        "--to '-': a report is a folder; accepted: a new, empty or report folder"
    (tmp_path / "link").symlink_to(tmp_path)
    assert _message(outputs.check_report_folder, "link") == \
        "--out link is a symbolic link; give the folder it points to"
    assert _message(outputs.check_report_folder, "/") == (
        "--out / is the current folder or holds it; accepted: a new, empty or report folder below it, "
        "e.g. reports/latest")
    (tmp_path / "f").write_text("")
    assert _message(outputs.check_report_folder, "f") == \
        "--out f is a file, not a folder; accepted: a new, empty or report folder"
    user = tmp_path / "user"
    user.mkdir()
    for n in ("d", "c", "b", "a"):
        (user / n).write_text("")
    assert _message(outputs.check_report_folder, "user") == (
        "--out user is a folder that does not hold an lrbias report (it has a, b, c and 1 more); refusing to "
        "replace it: choose a new or empty folder")
    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "index.html").write_text("")
    outputs.write_manifest(rep)
    assert outputs.check_report_folder("rep") == Path("rep")
    (rep / "mine.txt").write_text("")
    assert _message(outputs.check_report_folder, "rep") == (
        "--out rep holds paths the report did not write: mine.txt; refusing to replace it: move them out "
        "or choose another folder")
    (rep / "mine.txt").unlink()
    assert _message(outputs.check_report_folder, "rep/sub/inner") == (
        f"--out rep/sub/inner lies inside the report folder {rep}, which the next report there would replace; "
        "choose a folder outside it")
    _no_write(monkeypatch, Path("rep"))
    assert _message(outputs.check_report_folder, "rep") == "--out rep is not writable"


def test_report_folder_below_the_current_folder_is_accepted(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    assert outputs.check_report_folder("sub") == Path("sub")
    monkeypatch.chdir(tmp_path / "sub")
    with pytest.raises(LrbiasError, match="current folder or holds it"):
        outputs.check_report_folder(tmp_path)


def test_report_folder_spares_the_leftover_suffix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "pathconf", lambda p, name: 60)
    assert outputs.check_report_folder(tmp_path / ("a" * (60 - outputs.LEFTOVER_SUFFIX)))
    with pytest.raises(LrbiasError, match=f"at most {60 - outputs.LEFTOVER_SUFFIX} bytes"):
        outputs.check_report_folder(tmp_path / ("a" * (61 - outputs.LEFTOVER_SUFFIX)))


def test_enclosing_report_is_the_nearest(tmp_path: Path) -> None:
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    assert outputs._enclosing_report(tmp_path / "a" / "b" / "c") is None
    (tmp_path / "a" / outputs.MARKER).write_text("")
    (tmp_path / "a" / "b" / outputs.MARKER).write_text("")
    assert outputs._enclosing_report(tmp_path / "a" / "b" / "c") == tmp_path / "a" / "b"
    assert outputs._enclosing_report(tmp_path / "a" / "b") == tmp_path / "a"


def test_owner_pid_and_leftover_names() -> None:
    assert outputs._owner_pid(".out.tmp-1234-0a1b2c3d") == 1234
    assert outputs._owner_pid(".out.tmp-x-0a1b2c3d") is None
    assert outputs._owner_pid("out") is None
    assert outputs._leftover(".out.tmp-1-0a1b2c3d", "out", "tmp")
    assert outputs._leftover(".o[u]t.old-99-ffffffff", "o[u]t", "old")
    for name in (".out.tmp-1-0a1b2c3", ".out.tmp-1-0a1b2c3dd", ".out.tmp--0a1b2c3d", ".out.tmp-1-0A1B2C3D",
                 "out.tmp-1-0a1b2c3d", ".out.old-1-0a1b2c3d", ".oux.tmp-1-0a1b2c3d", ".out.tmp-1-0a1b2c3d/"):
        assert not outputs._leftover(name, "out", "tmp"), name


def test_staging_folder_takes_the_replaced_folders_mode(tmp_path: Path) -> None:
    target = tmp_path / "out"
    old = os.umask(0o027)
    try:
        fresh = outputs.staging_folder(target)
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o750
        assert fresh.parent == tmp_path and outputs._leftover(fresh.name, "out", "tmp")
        assert outputs._owner_pid(fresh.name) == os.getpid()
        target.mkdir(mode=0o700)
        os.chmod(target, 0o711)
        assert stat.S_IMODE(outputs.staging_folder(target).stat().st_mode) == 0o711
    finally:
        os.umask(old)


def test_staging_folder_removed_when_its_mode_cannot_be_set(tmp_path: Path, monkeypatch) -> None:
    def refuse(path, mode):
        raise PermissionError(errno.EPERM, "no")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(PermissionError):
        outputs.staging_folder(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_cleanup_leftovers_restores_one_old_and_removes_the_rest(tmp_path: Path) -> None:
    assert outputs.cleanup_leftovers(tmp_path / "missing" / "out") == []
    target = tmp_path / "out"
    olds = [tmp_path / f".out.old-{n}-0000000{n}" for n in (1, 2)]
    for o in olds:
        o.mkdir()
        (o / "tag").write_text(o.name)
    (tmp_path / ".out.old-3-00000003").write_text("a file, not a folder")
    dead = tmp_path / ".out.tmp-999999999-0000000a"
    dead.mkdir()
    live = tmp_path / f".out.tmp-{os.getpid()}-0000000b"
    live.mkdir()
    other = tmp_path / ".other.tmp-999999999-0000000c"
    other.mkdir()
    touched = outputs.cleanup_leftovers(target)
    assert (target / "tag").read_text() == olds[0].name               # the first old folder is put back
    assert touched == [olds[0], olds[1], tmp_path / ".out.old-3-00000003", dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", live.name, other.name,
                                                                 ".out.old-3-00000003"])


def test_cleanup_leftovers_keeps_the_target_when_it_exists(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "tag").write_text("current")
    old = tmp_path / ".out.old-1-00000001"
    old.mkdir()
    assert outputs.cleanup_leftovers(target) == [old]
    assert (target / "tag").read_text() == "current" and not old.exists()
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    old.mkdir()
    assert outputs.cleanup_leftovers(tmp_path / "link") == []         # a (broken) link is something: kept
    assert (tmp_path / "link").is_symlink()


def test_folder_lock_waits_then_names_the_lock(tmp_path: Path, monkeypatch) -> None:
    import fcntl

    target = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    with outputs.folder_lock(target):
        assert lock.exists()
        fd = os.open(lock, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        clock = iter([0.0, 0.0, 0.5, 1.0, 1.5])
        naps: list[float] = []
        monkeypatch.setattr(outputs.time, "monotonic", lambda: next(clock))
        monkeypatch.setattr(outputs.time, "sleep", naps.append)
        message = _message(_hold, target, 1.0)
        assert message == f"another lrbias run is writing {target} (lock {lock}); waited 1 s"
        assert naps == [0.05, 0.05, 0.05]            # at 0.5 and 1.0 it waits on; at 1.5 (> 1 s) it gives up
        monkeypatch.undo()
    assert not lock.exists()
    assert outputs.LOCK_WAIT_S == 600.0


def _hold(target: Path, wait_s: float) -> None:
    with outputs.folder_lock(target, wait_s=wait_s):
        pass


def test_exchange_swaps_and_reports_real_errors(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("b")
    assert outputs._exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / "x").read_text() == "b" and (tmp_path / "b" / "x").read_text() == "a"
    with pytest.raises(FileNotFoundError) as err:
        outputs._exchange(tmp_path / "a", tmp_path / "missing")
    assert err.value.errno == errno.ENOENT and err.value.filename == str(tmp_path / "missing")


def _staged(tmp_path: Path, tag: str) -> Path:
    staging = outputs.staging_folder(tmp_path / "out")
    (staging / "index.html").write_text(tag)
    outputs.write_manifest(staging)
    return staging


def test_swap_folder_without_exchange_uses_two_renames(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out"
    outputs.swap_folder(_staged(tmp_path, "1"), target)               # nothing there: one rename
    assert (target / "index.html").read_text() == "1"
    outputs.swap_folder(_staged(tmp_path, "2"), target)               # exchanged
    assert (target / "index.html").read_text() == "2"
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    outputs.swap_folder(_staged(tmp_path, "3"), target)
    assert (target / "index.html").read_text() == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_swap_folder_puts_the_old_report_back_when_the_second_rename_fails(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out"
    outputs.swap_folder(_staged(tmp_path, "1"), target)
    staging = _staged(tmp_path, "2")
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    real = Path.rename

    def rename(self, dest):
        if self == staging:
            raise OSError(errno.EIO, "disk on fire")
        return real(self, dest)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="disk on fire"):
        outputs.swap_folder(staging, target)
    assert (target / "index.html").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", staging.name])


def test_swap_folder_checks_the_target_again_with_its_flag(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "user.txt").write_text("")
    staging = _staged(tmp_path, "1")
    assert _message(outputs.swap_folder, staging, target, "--to") == (
        f"--to {target} is a folder that does not hold an lrbias report (it has user.txt); refusing to replace "
        "it: choose a new or empty folder")
    assert (target / "user.txt").exists()


def test_report_folder_checks_for_writing_and_entering(tmp_path: Path, monkeypatch) -> None:
    rep = tmp_path / "rep"
    rep.mkdir()
    real = os.access
    for refused in (os.W_OK, os.X_OK):   # refused on the folder itself only (its parent is writable)
        monkeypatch.setattr(os, "access", lambda p, mode, r=refused: real(p, mode) and not (Path(p) == rep and
                                                                                           mode & r))
        assert _message(outputs.check_report_folder, rep) == f"--out {rep} is not writable"


def test_messages_name_the_flag_and_the_path_as_given(tmp_path: Path, monkeypatch) -> None:
    """The flag and the path as given reach the name-length and parent-folder messages of both checks."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "pathconf", lambda p, name: 30)
    long = "n" * 30
    assert _message(outputs.check_file_target, long, "--json").startswith(f"--json {long}: the name ")
    assert _message(outputs.check_report_folder, long, "--to").startswith(f"--to {long}: the name ")
    monkeypatch.setattr(os, "pathconf", lambda p, name: 255)
    (tmp_path / "file").write_text("")
    assert _message(outputs.check_report_folder, "file/sub", "--to") == \
        f"--to file/sub: {tmp_path / 'file'} is not a folder"
    assert outputs.check_report_folder("a/b/c") == Path("a/b/c")            # missing parents: created later
    assert not (tmp_path / "a").exists()


def test_show_keeps_240_characters_whole() -> None:
    assert outputs._show("p" * 240) == "p" * 240
    assert outputs._show("p" * 241) != "p" * 241 and len(outputs._show("p" * 241)) == 240


def test_exchange_reads_each_calls_errno_and_works_on_relative_paths(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a").mkdir()
    Path("b").write_text("b")
    assert outputs._exchange(Path("a"), Path("b"))               # relative: resolved against the current folder
    assert Path("a").read_text() == "b" and Path("b").is_dir()
    with pytest.raises(OSError) as missing:
        outputs._exchange(Path("b"), Path("missing"))
    with pytest.raises(OSError) as under_a_file:
        outputs._exchange(Path("b"), Path("a") / "x")
    assert (missing.value.errno, under_a_file.value.errno) == (errno.ENOENT, errno.ENOTDIR)
    assert missing.value.strerror == os.strerror(errno.ENOENT) and missing.value.filename == "missing"


def test_owner_pid_of_a_name_with_dashes() -> None:
    assert outputs._owner_pid(".my-out.tmp-123-0a1b2c3d") == 123


def _proc_stat(monkeypatch, text: str) -> None:
    real = Path.read_text
    monkeypatch.setattr(os, "kill", lambda pid, sig: None)
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: text if str(self) == "/proc/77/stat"
                        else real(self, *a, **k))


@pytest.mark.parametrize("text, alive", [("77 (sh) R 1 2", True), ("77 (sh) Z 1 2", False), ("77 (sh) X 1 2", False),
                                         ("77 (sh) x 1 2", True), ("77 (a) Z ) R 1 2", True)])
def test_pid_alive_reads_the_state_after_the_last_parenthesis(monkeypatch, text: str, alive: bool) -> None:
    _proc_stat(monkeypatch, text)
    assert outputs._pid_alive(77) is alive


def test_pid_alive_sends_no_signal() -> None:
    # every signal's default action restored in the child: under nohup SIGHUP is inherited as ignored
    child = ("import signal, time\n"
             "for s in signal.valid_signals():\n"
             "    try: signal.signal(s, signal.SIG_DFL)\n"
             "    except (OSError, ValueError): pass\n"
             "time.sleep(60)")
    a = subprocess.Popen([sys.executable, "-c", child])
    try:
        assert outputs._pid_alive(a.pid)
        with pytest.raises(subprocess.TimeoutExpired):   # still running: the probe sent it no signal
            a.wait(timeout=1.0)
    finally:
        a.kill()
        a.wait()


def _raced_rmtree(monkeypatch) -> list[Path]:
    """shutil.rmtree as seen when another run removes the folder first (the cleanup must not crash)."""
    real = shutil.rmtree
    raced: list[Path] = []

    def rmtree(path, *args, **kwargs):
        raced.append(Path(path))
        real(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)
    return raced


def test_cleanup_and_swap_survive_a_folder_removed_meanwhile(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out"
    outputs.swap_folder(_staged(tmp_path, "1"), target)
    (tmp_path / ".out.tmp-999999999-0000000a").mkdir()
    staging = _staged(tmp_path, "2")
    raced = _raced_rmtree(monkeypatch)
    outputs.swap_folder(staging, target)                               # dead staging removed, then exchanged
    assert raced == [tmp_path / ".out.tmp-999999999-0000000a", staging]
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    outputs.swap_folder(_staged(tmp_path, "3"), target)                # two renames: the old one removed
    assert (target / "index.html").read_text() == "3" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_old_report_beside_is_named_as_cleanup_expects(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out"
    outputs.swap_folder(_staged(tmp_path, "1"), target)
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    names = []
    real = Path.rename

    def rename(self, dest):
        names.append(Path(dest).name)
        return real(self, dest)

    monkeypatch.setattr(Path, "rename", rename)
    outputs.swap_folder(_staged(tmp_path, "2"), target)
    assert outputs._leftover(names[0], "out", "old") and outputs._owner_pid(names[0]) == os.getpid()


def test_swap_folder_names_out_by_default(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "user.txt").write_text("")
    assert _message(outputs.swap_folder, _staged(tmp_path, "1"), target).startswith(f"--out {target} is a folder")


def test_foreign_paths_stops_at_fifty_by_default(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("")
    outputs.write_manifest(tmp_path)
    for i in range(60):
        (tmp_path / f"f{i:02}").write_text("")
    assert outputs.foreign_paths(tmp_path) == [f"f{i:02}" for i in range(50)]
