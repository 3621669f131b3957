"""Issue 26, items 1-4, 13, 16 and 17: a report folder keeps users' files, modes and names.

The marker is a manifest of the paths a report wrote; a folder is replaced only while it holds
exactly those, unchanged.  Each reproduction of the issue is one test here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lrbias import outputs
from lrbias.cli import main
from lrbias.errors import LrbiasError
from lrbias.serial import write_atomic

REP = ["report", "exact", "--profile", "smoke", "--no-nn"]


def _tiny_writer(monkeypatch) -> None:
    """build_report with a one-file page, so the folder rules are tested without drawing figures."""
    from lrbias.report import build

    def tiny(folder: Path, doc: dict, progress=None) -> None:
        (folder / "figures").mkdir()
        (folder / "figures" / "a.svg").write_text("<svg/>")
        (folder / "index.html").write_text(doc["command"])

    monkeypatch.setattr(build, "write_report_folder", tiny)


def _build(out: Path, command: str = "one") -> None:
    from lrbias.report.build import build_report

    build_report(out, [], "smoke", 0, command, 0.0, {}, progress=None)


def test_item1_a_site_with_index_and_figures_is_not_a_report(tmp_path: Path, capsys) -> None:
    site = tmp_path / "site"
    (site / "figures").mkdir(parents=True)
    (site / "index.html").write_text("my site")
    (site / "figures" / "thesis-plot.png").write_bytes(b"png")
    assert main([*REP, "--out", str(site)]) == 2
    err = capsys.readouterr().err
    assert "does not hold an lrbias report" in err and "figures" in err and len(err.splitlines()) == 1
    assert (site / "index.html").read_text() == "my site"
    assert (site / "figures" / "thesis-plot.png").read_bytes() == b"png"


def test_item2_users_files_in_a_report_are_kept_and_named(tmp_path: Path, monkeypatch, capsys) -> None:
    """A report, then the user's notes.txt and mydata/x.csv: the next run refuses (before any work), naming both."""
    _tiny_writer(monkeypatch)
    out = tmp_path / "reports" / "latest"
    _build(out)
    assert outputs.foreign_paths(out) == []
    (out / "notes.txt").write_text("mine")
    (out / "mydata").mkdir()
    (out / "mydata" / "x.csv").write_text("1,2")
    capsys.readouterr()
    assert main([*REP, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mydata/" in err and "notes.txt" in err, err
    assert (out / "notes.txt").read_text() == "mine" and (out / "mydata" / "x.csv").read_text() == "1,2"
    (out / "notes.txt").unlink()
    (out / "mydata" / "x.csv").unlink()
    (out / "mydata").rmdir()
    _build(out, "two")  # only what the report wrote: replaced
    assert (out / "index.html").read_text() == "two"


@pytest.mark.slow
def test_item2_real_report_run_then_users_files(tmp_path: Path, capsys) -> None:
    """The reproduction as given: a real `REP --out reports/latest`, the user's files, the same command again."""
    out = tmp_path / "reports" / "latest"
    assert main([*REP, "--out", str(out)]) == 0
    assert outputs.foreign_paths(out) == []
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main([*REP, "--out", str(out)]) == 2
    assert "notes.txt" in capsys.readouterr().err and (out / "notes.txt").read_text() == "mine"


def test_item2_a_changed_or_retyped_recorded_path_is_foreign(tmp_path: Path, monkeypatch) -> None:
    _tiny_writer(monkeypatch)
    out = tmp_path / "r"
    _build(out)
    _build(out, "two")  # ours: replaced
    assert (out / "index.html").read_text() == "two"
    (out / "index.html").write_text("edited by hand")
    assert outputs.foreign_paths(out) == ["index.html (changed)"]
    with pytest.raises(LrbiasError, match=r"index.html \(changed\)"):
        _build(out, "three")
    _build_fresh = tmp_path / "s"
    _build(_build_fresh)
    (_build_fresh / "figures" / "a.svg").unlink()
    (_build_fresh / "figures" / "a.svg").symlink_to("/etc/passwd")
    assert outputs.foreign_paths(_build_fresh) == ["figures/a.svg"]
    (_build_fresh / "figures" / "a.svg").unlink()
    assert outputs.foreign_paths(_build_fresh) == []  # a recorded path missing is not foreign


def test_a_marker_without_manifest_vouches_only_for_report_names(tmp_path: Path) -> None:
    old = tmp_path / "old"
    (old / "figures").mkdir(parents=True)
    (old / outputs.MARKER).write_text("an lrbias report\n")
    (old / "index.html").write_text("")
    (old / "figures" / "eos.svg").write_text("")
    outputs.check_report_folder(old)
    (old / "figures" / "thesis.png").write_text("")
    with pytest.raises(LrbiasError, match=r"thesis\.png"):
        outputs.check_report_folder(old)


def test_item3_no_report_inside_another_report(tmp_path: Path, monkeypatch, capsys) -> None:
    _tiny_writer(monkeypatch)
    rep = tmp_path / "rep"
    _build(rep)
    assert main([*REP, "--out", str(rep / "inner")]) == 2
    assert "inside the report folder" in capsys.readouterr().err
    with pytest.raises(LrbiasError, match="inside the report folder"):
        outputs.check_report_folder(rep / "figures" / "deeper" / "x")
    # a report that got inside another one anyway (made by hand) is foreign to the outer one
    (rep / "inner").mkdir()
    (rep / "inner" / outputs.MARKER).write_text("")
    with pytest.raises(LrbiasError, match="inner/"):
        _build(rep, "two")
    assert (rep / "inner" / outputs.MARKER).exists()


def test_item4_cleanup_matches_leftovers_by_exact_name(tmp_path: Path, monkeypatch) -> None:
    """'r[1]' as a glob matched '.r1.old-...': another report's pending backup was moved and deleted."""
    _tiny_writer(monkeypatch)
    backup = tmp_path / ".r1.old-123-abcdef01"
    staging = tmp_path / ".r1.tmp-999999999-abcdef01"
    for p in (backup, staging):
        p.mkdir()
        (p / "index.html").write_text("r1's")
    out = tmp_path / "r[1]"
    _build(out)
    assert backup.is_dir() and staging.is_dir(), "another report's leftovers must not be touched"
    assert (out / "index.html").read_text() == "one"
    mine = tmp_path / ".r[1].old-42-0123abcd"
    mine.mkdir()
    not_a_leftover = tmp_path / ".r[1].old-notes"
    not_a_leftover.mkdir()
    with outputs.folder_lock(out):
        assert outputs.cleanup_leftovers(out) == [mine]
    assert not_a_leftover.is_dir()


def test_item13_file_mode_and_owner_kept(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    target.write_text("old")
    target.chmod(0o600)
    write_atomic(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.stat().st_uid == os.getuid()
    fresh = tmp_path / "fresh.json"
    write_atomic(fresh, "x")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~outputs.current_umask()


def test_item13_hard_links_documented_behaviour(tmp_path: Path) -> None:
    """The name given gets the new text; another hard link keeps the old file (documented in write_atomic)."""
    target = tmp_path / "a.json"
    target.write_text("old")
    os.link(target, tmp_path / "b.json")
    write_atomic(target, "new")
    assert target.read_text() == "new" and (tmp_path / "b.json").read_text() == "old"


def _results_doc(tmp_path: Path) -> Path:
    from lrbias.claims.results import build_document, write_document

    path = tmp_path / "a.json"
    write_document(path, build_document([], "smoke", 0, "lrbias check", 0.0))
    return path


def test_item13_cli_keeps_a_private_html(tmp_path: Path, capsys) -> None:
    html = tmp_path / "d.html"
    html.write_text("")
    html.chmod(0o600)
    a = _results_doc(tmp_path)
    assert main(["diff", str(a), str(a), "--html", str(html)]) == 0, capsys.readouterr().err
    assert stat.S_IMODE(html.stat().st_mode) == 0o600 and "<html" in html.read_text().lower()


def test_item13_report_folder_mode_kept(tmp_path: Path, monkeypatch) -> None:
    _tiny_writer(monkeypatch)
    out = tmp_path / "private"
    _build(out)
    out.chmod(0o700)
    _build(out, "two")
    assert stat.S_IMODE(out.stat().st_mode) == 0o700 and (out / "index.html").read_text() == "two"


@pytest.mark.parametrize("flag", ["--out", "--html"])
def test_item17_too_long_names_refused_before_any_work(tmp_path: Path, monkeypatch, capsys, flag: str) -> None:
    name = "r" * 250  # the issue: 240 for --out (its staging name is 22 bytes longer), longer for --html
    called = []
    monkeypatch.setattr("lrbias.report.job.run_selection", lambda *a, **k: called.append(1))
    if flag == "--out":
        code = main([*REP, "--out", str(tmp_path / name)])
    else:
        a = _results_doc(tmp_path)
        code = main(["diff", str(a), str(a), "--html", str(tmp_path / name)])
    err = capsys.readouterr().err
    assert code == 2 and "bytes" in err and "at most" in err and not called, err
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "a.json"])
    # at the limit it is accepted: the check binds exactly at NAME_MAX minus the temporary suffix
    room = os.pathconf(tmp_path, "PC_NAME_MAX") - (outputs.LEFTOVER_SUFFIX if flag == "--out" else
                                                   outputs.ATOMIC_SUFFIX)
    checker = outputs.check_report_folder if flag == "--out" else (lambda p: outputs.check_file_target(p, flag))
    checker(tmp_path / ("r" * room))
    with pytest.raises(LrbiasError, match="at most"):
        checker(tmp_path / ("r" * (room + 1)))
