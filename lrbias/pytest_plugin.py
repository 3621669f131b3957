"""pytest plugin: ``pytest --lrbias-report DIR`` writes the HTML report of the catalogue tests run.

The catalogue tests (tests/test_catalogue.py, or a user's own) hand each entry's result to the
``lrbias_results`` fixture, which records it as ``lrbias report`` does (validity frontier
included, same profile and seed).  At the end of the session the records go through
:func:`lrbias.report.job.report_from_results`, the same path ``lrbias report`` takes, so both
write the same page.  The state lives in ``config.stash``, one per pytest run.
"""

from __future__ import annotations

import os
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from lrbias.claims.entry import Entry
    from lrbias.claims.profiles import Profile
    from lrbias.claims.runner import EntryResult


@dataclass
class ResultCollector:
    """Collects catalogue records (dicts as in the results document) during a test session.

    Without ``--lrbias-report`` (``out`` is None) it records nothing, so no frontier is scanned.
    """

    out: Path | None = None
    started: float = field(default_factory=time.perf_counter)
    records: dict[str, dict] = field(default_factory=dict)
    profile: Profile | None = None
    seed: int | None = None

    def add(self, entry: Entry, result: EntryResult, profile: Profile | None = None) -> None:
        """Record one entry's EntryResult, computing its frontier as ``lrbias report`` does.

        ``profile``: the profile the entry ran with (default: the one named by the current
        Hypothesis settings profile, as the catalogue tests choose it).
        """
        if self.out is None:
            return
        from lrbias.claims.session import entry_record

        profile = profile or current_profile()
        self.profile = self.profile or profile
        self.seed = result.seed if self.seed is None else self.seed
        self.records[entry.id] = entry_record(entry, result, profile)


COLLECTOR = pytest.StashKey[ResultCollector]()


def current_profile() -> Profile:
    """The lrbias profile of the active Hypothesis settings profile (``lrbias-ci`` → ci; ``default`` otherwise)."""
    from hypothesis import settings

    from lrbias.claims.profiles import from_hypothesis_profile

    return from_hypothesis_profile(settings.get_current_profile_name())


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--lrbias-report DIR``."""
    group = parser.getgroup("lrbias")
    group.addoption("--lrbias-report", metavar="DIR", default=None,
                    help="write the lrbias HTML compliance report of the catalogue entries run to DIR")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Check the report folder before any test runs; start an empty collector.

    Runs before Hypothesis's own plugin, so that ``--hypothesis-profile=lrbias-ci`` finds its
    profile: the ``lrbias-`` Hypothesis profiles are registered here, and only when
    ``--lrbias-report`` or one of them is asked for.  Otherwise this plugin imports nothing of
    lrbias and changes no setting (other projects' test runs are untouched).
    """
    out = config.getoption("--lrbias-report", default=None)
    asked = str(config.getoption("hypothesis_profile", default=None) or "")
    if out or asked.startswith("lrbias-"):
        from lrbias.claims.profiles import register_hypothesis_profiles

        register_hypothesis_profiles()
    if out:
        from lrbias.errors import LrbiasError
        from lrbias.outputs import check_report_folder

        try:
            check_report_folder(Path(out), flag="--lrbias-report")
        except LrbiasError as exc:
            raise pytest.UsageError(str(exc)) from None
        if getattr(config.option, "dist", "no") != "no":  # pytest-xdist: the report needs every record in one
            config.option.dist, config.option.numprocesses, config.option.tx = "no", None, []  # process
    config.stash[COLLECTOR] = ResultCollector(Path(out) if out else None)


@pytest.fixture(scope="session")
def lrbias_results(pytestconfig: pytest.Config) -> ResultCollector:
    """Hand catalogue results to the --lrbias-report writer."""
    return pytestconfig.stash[COLLECTOR]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the report of the collected records (when --lrbias-report was given and any ran)."""
    config = session.config
    collector = config.stash.get(COLLECTOR, None)
    if collector is None or collector.out is None or not collector.records or collector.profile is None:
        return
    from lrbias.errors import LrbiasError
    from lrbias.report.job import command_line, report_from_results

    # the selection as given, options from PYTEST_ADDOPTS (e.g. a -k there) included
    args = shlex.split(os.environ.get("PYTEST_ADDOPTS", "")) + list(config.invocation_params.args)
    if not any(a.startswith("--hypothesis-profile") for a in args):
        from lrbias.claims.profiles import hypothesis_profile_name

        args.insert(0, f"--hypothesis-profile={hypothesis_profile_name(collector.profile)}")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    command, elapsed = command_line(args, "pytest"), time.perf_counter() - collector.started
    try:
        index = report_from_results(collector.out, list(collector.records.values()), collector.profile,
                                    collector.seed or 0, command, elapsed, progress=None)
    except (LrbiasError, ValueError, OSError) as exc:  # e.g. a foreign file appeared in the folder meanwhile
        kept = _keep_results(collector, command, elapsed)
        line = f"lrbias report NOT written to {collector.out}: {' '.join(str(exc).split())[:400]}; " + (
            f"the results document is kept in {kept}" if kept else "the results could not be kept either")
        if reporter is not None:
            reporter.write_line(line, red=True)
        else:
            print(line)
        return
    if reporter is not None:
        reporter.write_line(f"lrbias report written to {index}")


def _keep_results(collector: ResultCollector, command: str, elapsed: float) -> Path | None:
    """Write the collected records as a results document beside the report folder (a new file); its path."""
    from lrbias.claims.results import build_document
    from lrbias.serial import dumps

    assert collector.out is not None and collector.profile is not None
    doc = build_document(list(collector.records.values()), collector.profile.name, collector.seed or 0,
                         command, elapsed)
    base = collector.out.parent / f"{collector.out.name}.results"
    for i in range(100):
        path = base.with_name(f"{base.name}{'' if i == 0 else f'-{i}'}.json")
        try:
            with open(path, "x", encoding="utf-8") as handle:  # never replaces a file
                handle.write(dumps(doc) + "\n")
            return path
        except FileExistsError:
            continue
        except OSError:
            return None
    return None
