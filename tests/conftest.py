"""Shared pytest configuration: Hypothesis profiles (select with --hypothesis-profile=NAME).

lrbias's own tests ask for the ``lrbias-smoke|ci|default|thorough`` profiles here (they are never
registered by importing lrbias); the default is ``lrbias-default`` unless HYPOTHESIS_PROFILE or
``--hypothesis-profile`` says otherwise.
"""

from __future__ import annotations

import os

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
