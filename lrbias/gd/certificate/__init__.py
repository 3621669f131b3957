"""Certified verdicts: computer-assisted proofs about one GD run on f(x, y) = ℓ(xy).

The run is followed in arb ball arithmetic (python-flint) from the exact binary start, with the
precision raised (the run restarted at twice the bits) whenever an enclosure's relative radius
passes ``2^-RADIUS_BITS``, up to ``max_bits``.  At a stride the *tail certificate* is tried on
the current balls (DESIGN.md, "Certified verdicts", has the statement and its proof): a box
B = {|s − 1| ≤ ε, |q − q_c| ≤ δ} on which, with ℓ″ enclosed over the whole interval
[1 − ε, 1 + ε],

    ρ ≥ sup_B |1 − h m q + h² m² (s − 1) s|,   K ≥ sup_B |m| · |h² m (s − 1) q − 4 h s|,

ρ < 1, |s_T − 1| ≤ ε and q_T ± K|s_T − 1|/(1 − ρ) ⊂ [q_c − δ, q_c + δ].  Then every later
iterate stays in B, s_t → 1 geometrically, and the limit's q∞, sharpness ℓ″(1)q∞, ratio
S∞h/2, imbalance x∞² − y∞² and point (x∞, y∞) are enclosed.  Every inequality is decided in
ball arithmetic (a comparison holds only when it holds for the whole ball), so an answer of
``certified converged`` is a proof; anything undecided is ``not certified`` with the reason.

Periodic orbits: :func:`certify_cycle` proves a period-p cycle by the Krawczyk test on
F^p(z) − z over a box, with its stability from an enclosure of the Jacobian of F^p over the box
(Schur–Cohn conditions); :func:`certify` reports ``certified periodic`` when, besides, the
run's ball enters a neighbourhood of the cycle that F^p maps into itself as a contraction (so
the run converges to the cycle).  Divergence: :mod:`.escape` proves that the run enters a region
that GD cannot leave and in which |s| grows by a proven factor per step (families whose ℓ′ is a
polynomial; DESIGN.md, "Divergence certificates").

Modules: :mod:`.intervals` (float bounds of balls, :class:`Enclosure`), :mod:`.records` (outcomes,
budgets, :class:`Certificate`), :mod:`.tail` (the tail theorem), :mod:`.periodic` (cycles),
:mod:`.escape` (divergence),
:mod:`.follower` (:func:`certify`), :mod:`.sweep` (a sweep's sample).
"""

from lrbias.gd.certificate.escape import Escape, escape_certificate
from lrbias.gd.certificate.follower import certify
from lrbias.gd.certificate.intervals import Enclosure, lower, upper
from lrbias.gd.certificate.periodic import certify_cycle
from lrbias.gd.certificate.records import CONVERGED, DIVERGED, NOT_CERTIFIED, PERIODIC, Certificate, Cycle, Tail
from lrbias.gd.certificate.sweep import certify_sweep_sample
from lrbias.gd.certificate.tail import Soundness, limit_enclosures, tail_certificate

__all__ = ["CONVERGED", "DIVERGED", "NOT_CERTIFIED", "PERIODIC", "Certificate", "Cycle", "Enclosure", "Escape",
           "Soundness", "Tail", "certify", "certify_cycle", "certify_sweep_sample", "escape_certificate",
           "limit_enclosures", "lower", "tail_certificate", "upper"]
