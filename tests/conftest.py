"""Shared pytest configuration: Hypothesis profiles (select with --hypothesis-profile=NAME).

lrbias's own tests ask for the ``lrbias-smoke|ci|default|thorough`` profiles here (they are never
registered by importing lrbias); the default is ``lrbias-default`` unless HYPOTHESIS_PROFILE or
``--hypothesis-profile`` says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from lrbias.claims.profiles import register_hypothesis_profiles

register_hypothesis_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "lrbias-default"))


@pytest.fixture
def one_torch_thread():
    """Torch pinned to one thread for the test (the project's rule for every run), restored after."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---- test tiers, pytest-xdist and per-session shared results (issue 22) ------------------------------
# `pytest` runs the fast tier; tests marked `slow` (or `browser`) are skipped unless `--runslow` is given
# or the marker expression names them (`-m slow`), the numpy/scipy convention.  Under pytest-xdist the
# session fixtures below are built once for all workers: a file lock in the temp folder the workers share.
# The disk cache of sweeps and NN grids (lrbias.cache) is one fresh folder per test session, shared by
# the workers and by the subprocesses the tests start, so a sweep or grid is computed once per session.

SLOW_TIER = ("slow", "browser")
"""Markers of the opt-in tier; a `browser` test is also marked `slow`, so `-m slow` selects it."""


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the slow tier: NN training, browser, subprocess reports, mypy, Dask")


def pytest_configure(config):
    import shutil
    import tempfile

    if "PYTEST_XDIST_WORKER" not in os.environ:  # the controller (or a plain run): the workers inherit it
        folder = tempfile.mkdtemp(prefix="lrbias-test-cache-")
        os.environ["LRBIAS_CACHE_DIR"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
    if config.getoption("--runslow") or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow tier: run with --runslow (or -m slow)")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _torch_one_thread_per_worker():
    """Torch (when a test module imported it) on one intra-op thread: xdist's workers share the cores."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    yield


def shared_tmp(tmp_path_factory) -> Path:
    """A temp folder every xdist worker of this session sees (the session's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


def _session_report(tmp_path_factory, name: str, ids: list[str]) -> Path:
    """`lrbias report --profile smoke --no-nn [IDS]`, built once per test session (once for all xdist
    workers) into a folder called ``name``; tests read it and never modify it (copy it first)."""
    from lrbias.cache import locked
    from lrbias.cli import main

    root = shared_tmp(tmp_path_factory) / name
    out = root / "latest"
    with locked(root / ".lock"):
        if not (out / "index.html").exists():
            assert main(["report", "--out", str(out), "--profile", "smoke", "--no-nn", *ids]) == 0
    return out


@pytest.fixture(scope="session")
def smoke_report(tmp_path_factory) -> Path:
    """The whole catalogue but the NN entries (``lrbias report --profile smoke --no-nn``): a slow-tier
    fixture, since its validity-frontier scans cost most of its ~6 CPU-minutes."""
    return _session_report(tmp_path_factory, "smoke-report", [])


@pytest.fixture(scope="session")
def page_report(tmp_path_factory) -> Path:
    """The fast tier's report: the non-NN entries without a validity frontier (the two frontier entries scan
    15 frontiers each, ~70 % of the whole report's time), and without the dor-ordering finding (its open
    runs, followed to 10⁵ steps, cost ~25 s): a page with passes, an inconclusive claim, a known finding,
    certificates and figures, for the page, schema and diff tests.  Measured: 91 s against ~6 min for the
    whole catalogue (2 cores, beside a niced mutation run)."""
    from lrbias.claims.catalogue import load_entries

    costly = {"ordering.eos-share-falls-with-dor"}
    ids = [e.id for e in load_entries() if e.group != "nn" and e.frontier is None and e.id not in costly]
    return _session_report(tmp_path_factory, "page-report", ids)
# ---- end of the test tiers block -----------------------------------------------------------------------
