"""A worked variant: a claimed edge-of-stability bound for a Huber-like loss.

Run it beside the built-in catalogue:

    lrbias check --variants examples/huber_like_eos.py variant --profile ci --no-nn

The family is a smooth Huber of width δ, ℓ(s) = δ²(√(1 + ((s − 1)/δ)²) − 1) (dor 1, ℓ″(1) = 1).
Two claims over κ = C·ℓ″(1) in [4, 12] for δ in {1/2, 1}:

* ``variant.soft-huber-eos``: the median limiting ratio S∞·h/2 of converged runs is ≥ 0.7;
* ``variant.soft-huber-eos-too-strong``: the same with 0.95, a deliberately too-strong constant
  that the search refutes with a counterexample (a (δ, κ, seed) batch whose median is lower).

The first claim's validity frontier (κ in [1, 24]) shows where it breaks: below κ ≈ 3 the runs
end well below the edge.  (With δ = 2 the first claim fails too, at κ ≈ 9: try adding it.)
"""

from lrbias.api import Group, Mutant, batch_claim, median_ratio_at_least, register_family

register_family("soft-huber", "delta**2*(sqrt(1 + ((s - 1)/delta)**2) - 1)",
                params={"delta": (1, 0, 10)}, description="smooth Huber of width delta")

FAMILIES = ["soft-huber:delta=0.5", "soft-huber:delta=1"]

ENTRIES = [
    batch_claim(
        id="variant.soft-huber-eos", title="Soft-Huber reaches the edge of stability",
        statement="For the soft Huber loss (δ in {1/2, 1}) and κ in [4, 12], the median S∞·h/2 of converged "
                  "runs is at least 0.7.",
        families=FAMILIES, kappa=(4.0, 12.0), statistic=median_ratio_at_least(0.7),
        mutants=[Mutant("median-0.99", "median at least 0.99", statistic=median_ratio_at_least(0.99))],
        latex=r"\kappa\in[4,12]:\ \operatorname{median} S_\infty h/2 \ge 0.7",
        frontier=(1.0, 24.0)),
    batch_claim(
        id="variant.soft-huber-eos-too-strong", title="Soft-Huber sits right at the edge (too strong)",
        statement="The same family and range with a median of at least 0.95: a deliberately too-strong constant.",
        families=FAMILIES, kappa=(4.0, 12.0), statistic=median_ratio_at_least(0.95),
        mutants=[Mutant("median-0.999", "median at least 0.999", statistic=median_ratio_at_least(0.999))],
        latex=r"\kappa\in[4,12]:\ \operatorname{median} S_\infty h/2 \ge 0.95",
        known_finding="a deliberately too-strong constant: the median sits below 0.95 at small κ"),
]

GROUP = Group("variant", "Soft-Huber variant", tuple(ENTRIES), figures=("phase", "start-map-*"),
              phase_families=tuple(FAMILIES), map_families=tuple(FAMILIES))
"""The group as the report shows it: the phase diagram and the start-imbalance maps gain the two
soft-Huber families, and both claims link to those figures."""
