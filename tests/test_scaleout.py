"""Chunked sweeps: the same arrays in one process and on a real Dask cluster on loopback."""

from __future__ import annotations

import dataclasses
import json
import operator
import socket
import sys

import numpy as np
import pytest

from lrbias.cli import engines, main
from lrbias.errors import LrbiasError
from lrbias.gd import BatchResult, Settings, scaleout
from lrbias.gd.sampling import Range
from lrbias.gd.scaleout import SweepRanges, chunk_seed, concat_batches, map_tasks, plan_chunks, run_sweep_chunks

distributed = pytest.importorskip("distributed")

SPEC = "softplus-pair:a=0.5"
RANGES = SweepRanges(Range(0.5, 4), Range(0.5, 4), Range(2, 6), "independent")
SETTINGS = Settings(max_steps=2000)
SWEEP = ["sweep", "--loss", SPEC, "--C", "2:6", "--n", "3000", "--seed", "5", "--steps", "2000",
         "--chunk-size", "700", "--random-signs", "--no-artefact-check", "--json"]


@pytest.fixture(scope="module")
def cluster():
    """A two-process Dask cluster listening on loopback (tcp), shut down after the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


def assert_same_batch(a: BatchResult, b: BatchResult) -> None:
    """Every per-run array equal, NaN where NaN."""
    for f in dataclasses.fields(BatchResult):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray) and f.name != "trajectory":
            nan_ok = va.dtype.kind == "f"
            assert va.dtype == vb.dtype and np.array_equal(va, vb, equal_nan=nan_ok), f.name


def assert_chunks_distinct(batch: BatchResult) -> None:
    """No start is drawn twice: chunk samples are independent draws, not copies of one another."""
    starts = set(zip(batch.x0.tolist(), batch.y0.tolist(), strict=True))
    assert len(starts) == len(batch), f"{len(batch) - len(starts)} duplicated starts"
    assert np.unique(batch.C).size == len(batch), "duplicated C values"


def test_chunk_seeds_are_pinned_distinct_and_stable():
    assert chunk_seed(0, 0) == 15793235383387715774 and chunk_seed(9, 3) == 12002089303353060208
    seeds = {chunk_seed(s, i) for s in range(20) for i in range(200)}
    assert len(seeds) == 4000
    assert [c.seed for c in plan_chunks(5000, 700, 3)] == [c.seed for c in plan_chunks(5000, 700, 3)]


def test_plan_covers_every_row_once():
    chunks = plan_chunks(5000, 700, 1)
    assert [c.index for c in chunks] == list(range(8)) and chunks[-1].size == 100
    assert [c.start for c in chunks] == list(range(0, 5000, 700)) and sum(c.size for c in chunks) == 5000
    assert [c.size for c in plan_chunks(5, 700, 1)] == [5]


@pytest.mark.parametrize(("args", "needle"), [((0, 10, 1), "n = 0"), ((10, 0, 1), "chunk size 0"),
                                              ((10, 3, -1), "seed = -1"), ((10**8, 10, 0), "at most")])
def test_plan_rejects_bad_input(args, needle):
    with pytest.raises(LrbiasError, match=needle):
        plan_chunks(*args)


def test_serial_sweep_is_chunk_by_chunk_and_has_no_repeats():
    batch = run_sweep_chunks(SPEC, 3000, RANGES, 5, SETTINGS, chunk_size=700)
    assert len(batch) == 3000 and batch.seed == 5 and batch.meta["chunks"] == 5
    assert_chunks_distinct(batch)
    last = scaleout.run_chunk(SPEC, plan_chunks(3000, 700, 5)[-1], RANGES, SETTINGS)
    assert_same_batch(concat_batches([last]), concat_batches([batch_rows(batch, slice(2800, 3000))]))


def batch_rows(batch: BatchResult, rows: slice) -> BatchResult:
    """The rows ``rows`` of a batch (array fields only)."""
    arrays = {f.name: getattr(batch, f.name)[rows] for f in dataclasses.fields(BatchResult)
              if isinstance(getattr(batch, f.name), np.ndarray) and f.name != "trajectory"}
    return BatchResult(family=batch.family, settings=batch.settings, **arrays)


def test_mutant_shared_chunk_seed_is_caught(monkeypatch):
    monkeypatch.setattr(scaleout, "chunk_seed", lambda seed, index: seed)
    mutant = run_sweep_chunks(SPEC, 1400, RANGES, 5, SETTINGS, chunk_size=700)
    with pytest.raises(AssertionError, match="duplicated"):
        assert_chunks_distinct(mutant)


def test_mutant_chunk_order_is_caught(monkeypatch):
    reference = run_sweep_chunks(SPEC, 1400, RANGES, 5, SETTINGS, chunk_size=700)
    real_map = scaleout.map_tasks
    monkeypatch.setattr(scaleout, "map_tasks", lambda *a, **k: real_map(*a, **k)[::-1])
    with pytest.raises(AssertionError):
        assert_same_batch(reference, run_sweep_chunks(SPEC, 1400, RANGES, 5, SETTINGS, chunk_size=700))


@pytest.mark.slow  # a Dask cluster of processes
def test_local_workers_give_identical_arrays():
    serial = run_sweep_chunks(SPEC, 3000, RANGES, 5, SETTINGS, chunk_size=700)
    seen: list[tuple[int, int]] = []
    dask = run_sweep_chunks(SPEC, 3000, RANGES, 5, SETTINGS, chunk_size=700, workers=2,
                            progress=lambda done, n: seen.append((done, n)))
    assert_same_batch(serial, dask)
    assert dask.meta["executor"] == "local:2" and seen[-1] == (3000, 3000) and len(seen) == 5


@pytest.mark.slow  # a Dask cluster of processes
def test_map_tasks_keeps_order_on_a_scheduler(cluster):
    items = list(range(40))
    assert map_tasks(operator.neg, items, scheduler=cluster.scheduler_address) == [-i for i in items]
    assert map_tasks(operator.neg, items) == [-i for i in items]


@pytest.mark.slow  # a Dask cluster of processes
def test_cli_scheduler_matches_serial(cluster, capsys):
    assert main(SWEEP) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main([*SWEEP, "--scheduler", cluster.scheduler_address]) == 0
    dask = json.loads(capsys.readouterr().out)
    assert serial.pop("executor") == "serial" and dask.pop("executor") == cluster.scheduler_address
    serial.pop("elapsed_s"), dask.pop("elapsed_s")
    assert serial == dask
    assert serial["settings"]["chunk_size"] == 700 and "SeedSequence" in serial["settings"]["seed_scheme"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("extra", "needle"), [
    (["--scheduler", "localhost:8786"], "malformed"),
    (["--scheduler", "tcp://127.0.0.1:99999"], "malformed"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "--workers together"),
    (["--workers", "0"], "--workers 0"),
    (["--chunk-size", "0"], "--chunk-size 0"),
    (["--chunk-size", "1"], "at most"),
    (["--scheduler", "closed"], "cannot connect"),
])
def test_bad_executor_exits_2_with_one_line(extra, needle, capsys, monkeypatch):
    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT_S", 2)
    extra = [f"tcp://127.0.0.1:{_closed_port()}" if e == "closed" else e for e in extra]
    assert main(["sweep", "--loss", "square", "--C", "1:2", "--n", "200000", *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err and "accepted" in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_without_dask_the_error_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["sweep", "--loss", "square", "--C", "1:2", "--n", "10", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "lrbias[dask]" in err and err.count("\n") == 1


def test_cli_default_chunk_size_matches_the_module():
    assert engines.DEFAULT_CHUNK_SIZE == scaleout.DEFAULT_CHUNK_SIZE
