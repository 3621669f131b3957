"""Named search profiles (``smoke``, ``ci``, ``default``, ``thorough``), shared by pytest and the CLI.

Each has a Hypothesis settings profile named ``lrbias-<name>`` (``lrbias-ci``, ...), so
``pytest --hypothesis-profile=lrbias-ci`` and ``lrbias check --profile ci`` mean the same budget.
Those are registered only on request (:func:`register_hypothesis_profiles`: lrbias's own tests,
the pytest plugin when ``--lrbias-report`` or an ``lrbias-`` profile is asked for), never by
import, and never under Hypothesis's own names, so installing lrbias changes no other project's
Hypothesis settings.
A profile is always passed explicitly (``run_entry(entry, profile)``, ``Frontier.compute``);
there is no ambient "active" profile: an entry whose cases depend on the budget declares its
hypotheses as a function of the profile (see :mod:`lrbias.claims.entry`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings

from lrbias.errors import LrbiasError


@dataclass(frozen=True)
class Profile:
    """A budget: Hypothesis examples per entry (before an entry's scale) and sweep sizes."""

    name: str
    max_examples: int
    sweep_starts: int
    frontier_starts: int
    frontier_steps: int


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", 10, 100, 80, 4),
    "ci": Profile("ci", 30, 200, 150, 6),
    "default": Profile("default", 100, 600, 300, 8),
    "thorough": Profile("thorough", 1000, 3000, 1500, 12),
}

HYPOTHESIS_PREFIX = "lrbias-"


def hypothesis_profile_name(profile: Profile) -> str:
    """The Hypothesis settings profile of ``profile``: ``lrbias-<name>``."""
    return HYPOTHESIS_PREFIX + profile.name


def register_hypothesis_profiles() -> None:
    """Register ``lrbias-<name>`` Hypothesis profiles for every profile (idempotent; loads none)."""
    for p in PROFILES.values():
        settings.register_profile(hypothesis_profile_name(p), max_examples=p.max_examples, deadline=None,
                                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def from_hypothesis_profile(name: str) -> Profile:
    """The profile whose Hypothesis profile is ``name`` (``lrbias-ci`` → ci); ``default`` otherwise."""
    if name.startswith(HYPOTHESIS_PREFIX):
        return PROFILES.get(name[len(HYPOTHESIS_PREFIX):], PROFILES["default"])
    return PROFILES["default"]


def get_profile(name: str) -> Profile:
    """The profile called ``name``; LrbiasError naming the accepted ones otherwise."""
    if name not in PROFILES:
        raise LrbiasError(f"unknown profile {name!r}; accepted: {', '.join(PROFILES)}")
    return PROFILES[name]

