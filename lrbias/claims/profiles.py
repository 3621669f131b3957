"""Named search profiles (``smoke``, ``ci``, ``default``, ``thorough``), shared by pytest and the CLI.

They are registered as Hypothesis settings profiles of the same names, so
``pytest --hypothesis-profile=ci`` and ``lrbias check --profile ci`` mean the same budget.
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

for _p in PROFILES.values():
    settings.register_profile(_p.name, max_examples=_p.max_examples, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.filter_too_much])


def get_profile(name: str) -> Profile:
    """The profile called ``name``; LrbiasError naming the accepted ones otherwise."""
    if name not in PROFILES:
        raise LrbiasError(f"unknown profile {name!r}; accepted: {', '.join(PROFILES)}")
    return PROFILES[name]

