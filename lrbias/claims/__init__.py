"""The claim catalogue machinery: entries, verdicts, the Hypothesis runner, results, frontiers.

The entries themselves live in the top-level ``theorems`` package (one module per group);
this package knows nothing of any particular claim.
"""

from lrbias.claims.core import Check, Entry, Mutant, Verdict, fail, inconclusive, passed
from lrbias.claims.profiles import PROFILES, Profile, get_profile

__all__ = ["PROFILES", "Check", "Entry", "Mutant", "Profile", "Verdict", "fail", "get_profile",
           "inconclusive", "passed"]
