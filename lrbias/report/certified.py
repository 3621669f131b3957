"""The report's certified tier: proofs (lrbias.gd.certificate) for the sample runs the report shows.

The runs are those of the good-regularity trajectory figure and the edge-of-stability figure
(softplus-pair, a = 1/2, κ = 8, starts (3, 0.4), (−2.5, −1.2), (0.3, 3.5)).  For each: the
certificate (outcome, enclosures, bits, time) and what it proves of the three claims —
edge of stability (the enclosure of S∞h/2), balancing (a proven upper bound of
|x∞² − y∞²| / |x0² − y0²|) and catapult (a proven step where the loss rose above its start, with a
lower bound of the rise).
"""

from __future__ import annotations

from typing import Any

from lrbias.gd.certificate import Certificate, certify, upper
from lrbias.losses.families import get_family

SPEC = "softplus-pair:a=0.5"
KAPPA = 8.0
STARTS = ((3.0, 0.4), (-2.5, -1.2), (0.3, 3.5))


def proven_claims(cert: Certificate, x0: float, y0: float) -> dict[str, str]:
    """One line per claim the certificate proves (empty when it proves none)."""
    out: dict[str, str] = {}
    if cert.ratio is not None:
        out["edge of stability"] = f"S∞h/2 ∈ [{cert.ratio.lo!r}, {cert.ratio.hi!r}]"
    if cert.imbalance is not None and x0 * x0 != y0 * y0:
        import flint

        arb = flint.arb
        d0 = abs(arb(x0) * arb(x0) - arb(y0) * arb(y0))          # a ball: rounding enclosed
        bound = upper(arb(max(abs(cert.imbalance.lo), abs(cert.imbalance.hi))) / d0)
        if bound < 1:
            out["balancing"] = f"|x∞² − y∞²| / |x0² − y0²| ≤ {bound:.6g}"
    if cert.catapult is not None:
        out["catapult"] = (f"ℓ(s_t) > ℓ(s_0) proven at step {cert.catapult['step']}; the excess loss rose "
                           f"≥ {cert.catapult['rise_lower']:.4g}× its start")
    return out


def certified_samples() -> list[dict[str, Any]]:
    """Certificates of the report's sample runs, as JSON-ready rows."""
    fam = get_family(SPEC)
    rows = []
    for x0, y0 in STARTS:
        h = KAPPA / (fam.curvature * (x0 * x0 + y0 * y0))
        cert = certify(fam, x0, y0, h)
        rows.append({"spec": fam.spec, "x0": x0, "y0": y0, "kappa": KAPPA, "h": h, "outcome": cert.outcome,
                     "bits": cert.bits, "seconds": cert.seconds, "claims": proven_claims(cert, x0, y0),
                     "reason": cert.reason, "certificate": cert.as_dict()})
    return rows


__all__ = ["certified_samples", "proven_claims"]
