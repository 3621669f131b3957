"""pytest plugin: ``pytest --lrbias-report DIR`` writes the HTML report of the catalogue tests run.

The catalogue tests (tests/test_catalogue.py, or a user's own) hand each entry's result to the
``lrbias_results`` fixture; at the end of the session the collected results become the same
report ``lrbias report`` writes (atomically, at DIR).
"""

from __future__ import annotations

import time

import pytest

_STATE: dict = {"results": [], "started": None}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lrbias")
    group.addoption("--lrbias-report", metavar="DIR", default=None,
                    help="write the lrbias HTML compliance report of the catalogue entries run to DIR")


def pytest_sessionstart(session: pytest.Session) -> None:
    _STATE["results"] = []
    _STATE["started"] = time.perf_counter()


class ResultCollector:
    """Collects catalogue results (dicts as in the results document) during a test session."""

    def add(self, entry, result) -> None:
        """Record one entry's EntryResult."""
        from lrbias.claims.session import describe_entry

        data = result.as_dict()
        data.update(describe_entry(entry))
        data["frontier"] = None
        _STATE["results"] = [r for r in _STATE["results"] if r["id"] != data["id"]] + [data]


@pytest.fixture(scope="session")
def lrbias_results() -> ResultCollector:
    """Hand catalogue results to the --lrbias-report writer."""
    return ResultCollector()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = session.config.getoption("--lrbias-report")
    if not out or not _STATE["results"]:
        return
    from hypothesis import settings

    from lrbias.report.build import build_report

    profile = settings.get_current_profile_name()
    elapsed = time.perf_counter() - (_STATE["started"] or time.perf_counter())
    index = build_report(out, _STATE["results"], profile, 0,
                         f"pytest --hypothesis-profile={profile} --lrbias-report {out}", elapsed,
                         progress=None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"lrbias report written to {index}")
