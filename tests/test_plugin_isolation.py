"""Installing lrbias changes nothing in other projects' test runs (the plugin costs nothing until asked).

An unrelated project in a temporary folder runs its own tests with the lrbias plugin loaded (it is
an installed ``pytest11`` entry point): Hypothesis's own default profile stays active, no
``lrbias-`` profile is registered, and the plugin loads three small modules and nothing else of
lrbias.  Timing is not asserted here (no timing thresholds in tests): the import cost is recorded
by ``benchmarks/bench_plugin_import.py``; what makes it small, the modules loaded, is asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

UNRELATED_TEST = textwrap.dedent('''
    import sys

    import pytest
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument


    def test_hypothesis_defaults_are_untouched():
        assert settings.get_current_profile_name() == "default"
        assert settings().deadline is not None
        assert settings().suppress_health_check == ()
        with pytest.raises(InvalidArgument):
            settings.get_profile("lrbias-ci")


    def test_the_plugin_loaded_nothing_heavy():
        assert "lrbias.pytest_plugin" in sys.modules, "the lrbias plugin is not installed"
        loaded = sorted(m for m in sys.modules if m == "lrbias" or m.startswith("lrbias."))
        assert loaded == ["lrbias", "lrbias._version", "lrbias.pytest_plugin"], loaded
''')


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)  # this checkout's plugin, whether installed editable or not
    env.pop("HYPOTHESIS_PROFILE", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _run_unrelated(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_unrelated.py").write_text(UNRELATED_TEST, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path), *extra],
                          cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)


def test_an_unrelated_project_keeps_hypothesis_defaults_and_loads_nothing_heavy(tmp_path):
    out = _run_unrelated(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed" in out.stdout


def test_the_isolation_check_can_fail(tmp_path):
    """Asking for an lrbias profile does register them: the unrelated test then sees them (fails)."""
    out = _run_unrelated(tmp_path, "--hypothesis-profile=lrbias-ci")
    assert out.returncode == 1
    assert "2 failed" in out.stdout, out.stdout


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
