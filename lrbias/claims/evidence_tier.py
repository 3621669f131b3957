"""The evidence tier of a verdict: the strongest tier reached by the runs behind it, and how.

Tiers, weakest to strongest: float64 → quad → mpmath → certified (a proof).  A failing verdict
rests on its counterexample: ``certified`` when the counterexample's single-run fact is proven
(its ``certificate``), ``mpmath`` when high precision confirmed it, ``float64`` otherwise.  A
passing exact identity is checked numerically on the drawn cases (never a symbolic proof here),
so it is ``mpmath``; a passing population claim is a statistic over float64 runs (``quad`` when
its high-precision re-checks covered the quad tier) and says so.
"""

from __future__ import annotations

from typing import Any


def verdict_tier(record: dict[str, Any]) -> dict[str, str]:
    """{"name": tier, "how": one line} for an entry's result record (as :func:`entry_record` builds it)."""
    verdict, ce = record.get("verdict"), record.get("counterexample")
    if verdict == "fail" and ce:
        cert = ce.get("certificate") or {}
        if cert.get("tier") == "certified":
            return {"name": "certified", "how": f"the counterexample is proven ({cert.get('how', '')})"}
        if ce.get("confirmed"):
            return {"name": "mpmath", "how": "counterexample confirmed at high precision; not certified: "
                    + str(cert.get("reason", "no certificate"))}
        return {"name": "float64", "how": "float64 counterexample; " + str(cert.get("reason", "no certificate"))}
    engine = record.get("engine") or ""
    if verdict == "pass" and record.get("provenance") == "exact":
        return {"name": "mpmath", "how": f"checked numerically on {record.get('examples', 0)} cases "
                f"({engine or 'mpmath'}), each to a stated number of digits; not a symbolic proof"}
    coverage = " ".join(record.get("coverage") or [])
    if verdict == "pass":
        name = "quad" if "quad" in coverage else "float64"
        return {"name": name, "how": f"population statistic over {name} runs ({engine or 'float64'}); "
                "population statistics are not certified"}
    return {"name": "float64", "how": f"{verdict}: no verdict to certify"}


__all__ = ["verdict_tier"]
