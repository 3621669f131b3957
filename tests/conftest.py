"""Shared pytest configuration: Hypothesis profiles (select with --hypothesis-profile=NAME).

The profiles ci/default/thorough are registered by lrbias.claims.profiles; the default is
``default`` unless HYPOTHESIS_PROFILE says otherwise.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import lrbias.claims.profiles  # noqa: F401  (registers the profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def one_torch_thread():
    """Torch pinned to one thread for the test (the project's rule for every run), restored after."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
