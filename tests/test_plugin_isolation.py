"""Installing lrbias changes nothing in other projects' test runs (the plugin costs nothing until asked).

An unrelated project in a temporary folder runs its own tests with the lrbias plugin loaded (it is
an installed ``pytest11`` entry point): the Hypothesis profile and settings it sees are exactly those
it sees with the plugin disabled (``-p no:lrbias``; Hypothesis itself picks ``ci`` under a CI
environment and ``default`` elsewhere), no ``lrbias-`` profile is registered, and the plugin loads
three small modules and nothing else of lrbias.  Timing is not asserted here (no timing thresholds
in tests): the import cost is recorded by ``benchmarks/bench_plugin_import.py``; what makes it
small, the modules loaded, is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]

UNRELATED_TEST = textwrap.dedent('''
    import json
    import os
    import sys

    import pytest
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument


    def test_record_hypothesis_settings():
        # the database is left out: its repr names the project's folder
        seen = {"profile": settings.get_current_profile_name(), "settings": repr(settings(database=None))}
        with open(os.environ["LRBIAS_ISOLATION_OUT"], "w", encoding="utf-8") as handle:
            json.dump(seen, handle)
        with pytest.raises(InvalidArgument):
            settings.get_profile("lrbias-ci")


    def test_the_plugin_loaded_nothing_heavy():
        if "lrbias.pytest_plugin" not in sys.modules:
            pytest.skip("plugin disabled (the baseline run)")
        loaded = sorted(m for m in sys.modules if m == "lrbias" or m.startswith("lrbias."))
        assert loaded == ["lrbias", "lrbias._version", "lrbias.pytest_plugin"], loaded
''')


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)  # this checkout's plugin, whether installed editable or not
    env.pop("HYPOTHESIS_PROFILE", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


class Unrelated(NamedTuple):
    """One run of the unrelated project: pytest's result and the Hypothesis settings its test saw."""

    run: subprocess.CompletedProcess[str]
    seen: dict[str, str]


def _run_unrelated(folder: Path, *extra: str) -> Unrelated:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_unrelated.py").write_text(UNRELATED_TEST, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    out_file = folder / "seen.json"
    env = _env() | {"LRBIAS_ISOLATION_OUT": str(out_file)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--rootdir", str(folder), str(folder), *extra],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    seen = json.loads(out_file.read_text(encoding="utf-8")) if out_file.exists() else {}
    return Unrelated(run, seen)


def test_an_unrelated_project_keeps_hypothesis_defaults_and_loads_nothing_heavy(tmp_path):
    baseline = _run_unrelated(tmp_path / "baseline", "-p", "no:lrbias")
    assert baseline.run.returncode == 0, baseline.run.stdout + baseline.run.stderr
    with_plugin = _run_unrelated(tmp_path / "plugin")
    assert with_plugin.run.returncode == 0, with_plugin.run.stdout + with_plugin.run.stderr
    assert "2 passed" in with_plugin.run.stdout
    assert with_plugin.seen == baseline.seen
    assert not baseline.seen["profile"].startswith("lrbias-")


def test_the_isolation_check_can_fail(tmp_path):
    """Asking for an lrbias profile does register and load it: the unrelated project then sees it."""
    baseline = _run_unrelated(tmp_path / "baseline", "-p", "no:lrbias")
    asked = _run_unrelated(tmp_path / "asked", "--hypothesis-profile=lrbias-ci")
    assert asked.run.returncode == 1  # the lrbias-ci profile now exists
    assert asked.seen["profile"] == "lrbias-ci" != baseline.seen["profile"]
    assert asked.seen["settings"] != baseline.seen["settings"]


def test_lrbias_profiles_are_registered_on_request():
    """The plugin registers ``lrbias-*`` before Hypothesis loads the asked profile (tryfirst)."""
    code = ("import sys, pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', "
            "'--hypothesis-profile=lrbias-smoke', '--co', '--rootdir', sys.argv[1], sys.argv[1]]))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "tests" / "data")], env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert "lrbias-smoke" not in out.stderr, out.stderr
    assert out.returncode in (0, 5), out.stdout + out.stderr  # 5: no tests collected


@pytest.mark.parametrize("name", ["lrbias-ci", "ci"])
def test_profile_names_are_namespaced(name):
    from lrbias.claims.profiles import PROFILES, from_hypothesis_profile, hypothesis_profile_name

    assert hypothesis_profile_name(PROFILES["ci"]) == "lrbias-ci"
    assert from_hypothesis_profile(name) is (PROFILES["ci"] if name == "lrbias-ci" else PROFILES["default"])
