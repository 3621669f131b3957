"""A new loss family, a new start distribution and a claim about them, run end to end: the public front only.

    python examples/new_family_claim.py     # prints the verdict and a replay command that works in a new process
"""
import numpy as np  # noqa: I001  (the front's names on two lines, as a reader scans them)
from lrbias import MIN_CONVERGED, PROFILES, Mutant, Rival, batch_claim, converged, holds, inconclusive
from lrbias import register_family, register_starts, run_entry

register_family("wide-logcosh", "w**2*log(cosh((s - 1)/w))", params={"w": (1, 0, 10)})  # dor 1, ℓ″(1) = 1


def wide(n: int, seed: int):
    """x0, y0 log-uniform in ±[0.25, 8], signs uniform."""
    rng = np.random.default_rng(seed)
    return tuple(rng.choice([-1, 1], (2, n)) * np.exp(rng.uniform(np.log(0.25), np.log(8), (2, n))))


register_starts("wide", "x0, y0 log-uniform in ±[0.25, 8]", wide)


def shrinks(level: float, fraction: float = 1.0):
    """At least ``level`` of the converged runs end with |x∞² − y∞²| < ``fraction``·|x0² − y0²|."""
    def statistic(b):
        conv = converged(b)
        if conv.sum() < MIN_CONVERGED:
            return inconclusive("too few converged runs", converged=int(conv.sum())), np.flatnonzero(~conv)
        ok = np.abs(b.imbalance[conv]) < fraction * np.abs(b.x0**2 - b.y0**2)[conv]
        return holds(ok.mean() >= level, float(ok.mean() - level), share=float(ok.mean())), np.flatnonzero(conv)[~ok]
    return statistic


ENTRIES = [batch_claim(
    id="mine.wide-logcosh-balances", title="Wide log-cosh balances", starts="wide", source=__file__,
    statement="For w in {1/2, 2} and κ in [1, 4], at least 99% of converged runs end less unbalanced than they start.",
    families=["wide-logcosh:w=1/2", "wide-logcosh:w=2"], kappa=(1.0, 4.0), statistic=shrinks(0.99),
    mutants=[Mutant("halves", "every run at least halves its imbalance", statistic=shrinks(0.99, 0.5))],
    rival=Rival("Balancing below the threshold too: at κ in [0.1, 0.5] 99% halve it.", shrinks(0.99, 0.5),
                kappa=(0.1, 0.5)))]

if __name__ == "__main__":
    result = run_entry(ENTRIES[0], PROFILES["smoke"])
    print(f"{result.id}: {result.verdict} over {result.examples} sweeps, worst margin {result.worst_margin:.3g}")
    print("replay:", ENTRIES[0].replay(result.worst_case))
