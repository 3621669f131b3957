"""Evidence for one equivalent mutant (mutants/equivalent.toml): tail_certificate's sixth box is never needed.

``python -m mutants.tail_boxes`` models the box loop of :func:`lrbias.gd.certificate.tail.tail_certificate`
in floats (ℓ″ = 1 on the box: ρ and K over the corners of S × Q) and, for each (hℓ″, q_c, r) of a grid,
bisects the deviation e = |s_T − 1| to the edge between a certificate and a refusal, where the loop works
hardest.  It prints how many boxes each edge case needed: every case we scanned decides by its second box,
so a loop of 7 boxes instead of 6 (mutant ``x_tail_certificate__mutmut_55``) changes no result.
"""

from __future__ import annotations

import math
from collections import Counter


def boxes(hm: float, qc: float, r: float, e: float, limit: int = 12) -> tuple[str, int]:
    """('ok' | 'rho' | 'drift', index of the box that decided) for the float model of the loop."""
    delta = 2 * r + abs(qc) * 2.0 ** -60
    for k in range(limit):
        corners = [(S, Q) for S in (1 - e, 1 + e) for Q in (qc - delta, qc + delta)]
        rho = max(abs(1 - hm * Q + hm * hm * (S - 1) * S) for S, Q in corners)
        K = max(abs(hm * hm * (S - 1) * Q - 4 * hm * S) for S, Q in corners)
        if not rho < 1:
            return "rho", k
        R = K * e / (1 - rho)
        if r + R <= delta:
            return "ok", k
        delta = max(2 * delta, 2 * (r + R))
    return "drift", limit


def main() -> None:
    needed: Counter[int] = Counter()
    for hm in (0.5, 1.0, 1.5):
        for qc in (x / 20 for x in range(1, 40)):
            for r in (10.0 ** -k for k in range(3, 16, 2)):
                lo, hi = 1e-12, 0.5
                if boxes(hm, qc, r, lo)[0] != "ok" or boxes(hm, qc, r, hi)[0] == "ok":
                    continue
                for _ in range(200):
                    mid = math.sqrt(lo * hi) if hi / lo > 1 + 1e-7 else (lo + hi) / 2
                    lo, hi = (mid, hi) if boxes(hm, qc, r, mid)[0] == "ok" else (lo, mid)
                needed[boxes(hm, qc, r, lo)[1] + 1] += 1
    print("boxes needed at the edge -> cases:", dict(sorted(needed.items())))


if __name__ == "__main__":
    main()
