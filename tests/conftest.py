"""Shared pytest configuration: Hypothesis profiles (select with --hypothesis-profile=NAME).

The profiles ci/default/thorough are registered by lrbias.claims.profiles; the default is
``default`` unless HYPOTHESIS_PROFILE says otherwise.
"""

from __future__ import annotations

import os

from hypothesis import settings

import lrbias.claims.profiles  # noqa: F401  (registers the profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
