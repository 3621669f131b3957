"""The public API for users' own theory variants (the same one the built-in catalogue uses).

A variant file imports from here, declares families with :func:`register_family` and lists its
claims in ``ENTRIES``; ``lrbias check --variants FILE`` runs them beside the built-in ones.  A
package can contribute entries through the ``lrbias.theorems`` entry-point group instead.
See ``examples/huber_like_eos.py`` and the README's tutorial.
"""

from __future__ import annotations

from lrbias.claims import strategies
from lrbias.claims.batch import batch_claim, cases, sized
from lrbias.claims.entry import Conclusion, Entry, Mutant, Statistic
from lrbias.claims.frontier import Frontier
from lrbias.claims.profiles import PROFILES, Profile, get_profile
from lrbias.claims.statistics import (
    STATISTICS,
    eos_share_at_most,
    imbalance_bound,
    imbalance_shrinks,
    median_ratio_at_least,
    share_converged,
)
from lrbias.claims.verdict import Check, Verdict, fail, holds, inconclusive, passed
from lrbias.gd import objective
from lrbias.losses.families import Family, get_family, register_family
from lrbias.losses.regularity import degree_of_regularity

__all__ = ["PROFILES", "STATISTICS", "Check", "Conclusion", "Entry", "Family", "Frontier", "Mutant", "Profile",
           "Statistic", "Verdict", "batch_claim", "cases", "degree_of_regularity", "eos_share_at_most", "fail",
           "get_family", "get_profile", "holds", "imbalance_bound", "imbalance_shrinks", "inconclusive",
           "median_ratio_at_least", "objective", "passed", "register_family", "share_converged", "sized",
           "strategies"]
