"""The disk cache (lrbias.cache, lrbias.claims.caching): keys, atomic entries, corrupt entries, concurrent writers."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from lrbias import cache
from lrbias.claims import caching, sweeps
from lrbias.cli import main


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A private, empty cache folder for the test."""
    monkeypatch.delenv("LRBIAS_NO_CACHE", raising=False)
    with cache.configured(tmp_path / "cache", enabled=True):
        yield tmp_path / "cache"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.pkl"))


def test_key_changes_with_config_seed_version_and_code(monkeypatch):
    base = caching.sweep_parts("square", 3.0, 0, 16, "box", 5000)
    key = cache.content_key("sweep", base)
    assert cache.content_key("sweep", dict(base)) == key  # deterministic
    for change in ({"seed": 1}, {"kappa": repr(3.5)}, {"n": 17}, {"steps": 10000}, {"starts": "shell"}):
        assert cache.content_key("sweep", {**base, **change}) != key, change
    assert caching.sweep_parts("square", 3.0, 1, 16, "box", 5000) != base
    assert caching.sweep_parts("quartic", 3.0, 0, 16, "box", 5000)["expr"] != base["expr"]
    monkeypatch.setattr("lrbias._version.__version__", "0.0.0-other")
    assert cache.content_key("sweep", base) != key
    monkeypatch.undo()
    monkeypatch.setattr(cache, "code_hash", lambda: "0" * 64)
    assert cache.content_key("sweep", base) != key


def test_code_hash_follows_every_source_file(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    before = cache.tree_hash(tmp_path / "pkg")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 3\n")
    assert cache.tree_hash(tmp_path / "pkg") != before
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    assert cache.tree_hash(tmp_path / "pkg") == before
    (tmp_path / "pkg" / "sub" / "b.py").rename(tmp_path / "pkg" / "b.py")  # same bytes, another module
    assert cache.tree_hash(tmp_path / "pkg") != before
    assert cache.code_hash() == cache.tree_hash(Path(cache.__file__).resolve().parent)


def test_a_sweep_is_computed_once_then_read_back_equal(fresh):
    case = ("softplus-pair:a=0.5", 4.25, 11, 24, "box", sweeps.STEPS)
    sweeps._cached_sweep.cache_clear()
    mark = len(cache.events())
    first = sweeps.sweep(*case[:4])
    sweeps._cached_sweep.cache_clear()  # a new process, as far as the in-memory cache knows
    again = sweeps.sweep(*case[:4])
    hits = [e.hit for e in cache.events()[mark:] if e.kind == "sweep"]
    assert hits == [False, True]
    assert len(_entries(fresh)) == 1
    for name in ("x0", "y0", "h", "outcome", "steps", "x", "y", "sharpness"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name), err_msg=name)
    assert not again.outcome.flags.writeable  # read-only like a computed sweep
    sweeps._cached_sweep.cache_clear()


def test_corrupt_or_truncated_entries_are_recomputed(fresh):
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    parts = {"case": "corrupt"}
    assert cache.cached("test", parts, compute) == {"value": 1}
    (path,) = _entries(fresh)
    whole = path.read_bytes()
    for broken in (whole[: len(whole) // 2], b"", b"garbage", whole[:-1] + bytes([whole[-1] ^ 1]),
                   cache.MAGIC + b"0" * 64 + b"\n" + whole.split(b"\n", 2)[2]):
        path.write_bytes(broken)
        n = len(calls)
        assert cache.cached("test", parts, compute) == {"value": n + 1}  # recomputed, not read
        assert path.read_bytes().startswith(cache.MAGIC)
        assert cache.cached("test", parts, compute) == {"value": n + 1}  # and stored whole again
    assert len(calls) == 6


def test_a_failed_write_leaves_no_entry_and_no_temporary_file(fresh, monkeypatch):
    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    assert cache.cached("test", {"case": "full disk"}, lambda: 42) == 42  # the value, nothing stored
    assert _entries(fresh) == []
    assert not [p for p in fresh.rglob("*") if p.name.endswith(".tmp")]


def _writer(folder: str, counter: str, parts: dict) -> int:
    cache.configure(folder, enabled=True)
    ready = Path(counter).parent / "ready"
    ready.mkdir(exist_ok=True)
    (ready / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(ready.iterdir())) < 4 and time.monotonic() < deadline:  # all four look up at once
        time.sleep(0.01)

    def compute():
        with open(counter, "a") as f:
            f.write("x")
        time.sleep(0.5)
        return 7

    return cache.cached("test", parts, compute)


def test_concurrent_writers_compute_once_and_agree(fresh, tmp_path):
    counter = tmp_path / "computed"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        values = pool.starmap(_writer, [(str(fresh), str(counter), {"case": "race"})] * 4)
    assert values == [7, 7, 7, 7]
    assert counter.read_text() == "x"  # the lock made the others wait and read
    assert len(_entries(fresh)) == 1


def test_off_computes_every_time_and_records_nothing(tmp_path, monkeypatch):
    calls = []
    mark = len(cache.events())
    with cache.configured(tmp_path / "c", enabled=False):
        for _ in range(2):
            cache.cached("test", {"case": "off"}, lambda: calls.append(1))
    assert len(calls) == 2 and not (tmp_path / "c").exists() and len(cache.events()) == mark
    monkeypatch.setenv("LRBIAS_NO_CACHE", "1")
    assert not cache.enabled()
    monkeypatch.setenv("LRBIAS_NO_CACHE", "0")
    assert cache.enabled()


def test_cache_folder_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("LRBIAS_CACHE_DIR", str(tmp_path / "env"))
    assert cache.cache_dir() == tmp_path / "env"
    with cache.configured(tmp_path / "option"):
        assert cache.cache_dir() == tmp_path / "option"
    assert cache.cache_dir() == tmp_path / "env"
    monkeypatch.delenv("LRBIAS_CACHE_DIR")
    assert cache.cache_dir().name == "lrbias"


def test_summary_says_per_scope_what_came_from_the_cache(fresh):
    mark = len(cache.events())
    with cache.scope("claim.a"):
        cache.cached("sweep", {"k": 1}, lambda: 1)
        cache.cached("sweep", {"k": 1}, lambda: 1)
    with cache.scope("extras"):
        cache.cached("nn-grid", {"k": 2}, lambda: 2)
    s = cache.summary(mark)
    assert (s["hits"], s["computed"], s["dir"]) == (1, 2, str(fresh))
    assert s["scopes"]["claim.a"] == {"hits": 1, "computed": 1, "kinds": {"sweep": {"hits": 1, "computed": 1}}}
    from lrbias.report.page import cache_text

    assert cache_text(s["scopes"]["claim.a"]) == "1 of 2 results from the disk cache (1 of 2 float64 sweeps)"
    assert cache_text(None) == ""


def test_cache_dir_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("")
    assert main(["report", "--out", str(tmp_path / "r"), "--cache-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--cache-dir" in err and "not a folder" in err


def test_an_entry_record_is_computed_once_and_a_variant_entry_never_stored(fresh):
    from lrbias.claims.catalogue import load_entries, load_groups
    from lrbias.claims.entry_cache import entry_parts
    from lrbias.claims.profiles import PROFILES
    from lrbias.claims.session import run_selection

    smoke = PROFILES["smoke"]
    entry = next(e for e in load_entries(include_nn=False) if e.id == "exact.product-update")
    mark = len(cache.events())
    first, _ = run_selection([entry], smoke, seed=3)
    again, _ = run_selection([entry], smoke, seed=3)
    assert again == first
    assert [(e.kind, e.hit, e.scope) for e in cache.events()[mark:] if e.kind == "entry"] == [
        ("entry", False, entry.id), ("entry", True, entry.id)]
    parts = entry_parts(entry, smoke, 3)
    assert entry_parts(entry, smoke, 4) != parts and entry_parts(entry, PROFILES["ci"], 3) != parts
    variant = [e for g in load_groups(include_nn=False, variants=[str(EXAMPLES / "huber_like_eos.py")])
               for e in g.entries if e.id.startswith("variant")]
    assert variant and entry_parts(variant[0], smoke, 3) is None  # its source is not hashed: never stored


EXAMPLES = Path(__file__).parent.parent / "examples"


def test_nn_prefetch_plans_the_grids_in_the_order_the_entries_ask_for_them(tmp_path):
    pytest.importorskip("torch")
    from lrbias.claims.nn import catalogue_claims, longer
    from lrbias.claims.runner import BUDGET_FACTOR
    from lrbias.report.prefetch import nn_prefetch, prefetch_grids

    claim = catalogue_claims()[0]
    planned = prefetch_grids(["exact.product-update", claim.id])
    expected = [*claim.grids, *(longer(g, BUDGET_FACTOR) for g in claim.grids)]
    assert planned[: len(expected)] == expected
    assert prefetch_grids(["exact.product-update"]) == []
    with cache.configured(tmp_path, enabled=False), nn_prefetch([claim.id]) as started:
        assert not started  # the disk cache is how the two processes share grids: off, nothing starts
    with nn_prefetch(["exact.product-update"]) as started:
        assert not started
