"""Certifying a sample of a sweep: the float64 outcome shares of the first k starts beside what
was proven about them (``lrbias sweep --certify K``)."""

from __future__ import annotations

from typing import Any

from lrbias.errors import LrbiasError
from lrbias.gd.certificate.follower import certify
from lrbias.gd.certificate.records import CONVERGED, DEFAULT_MAX_BITS, DEFAULT_MAX_STEPS, NOT_CERTIFIED, PERIODIC


def certify_sweep_sample(spec: str, n: int, ranges: Any, seed: int, chunk_size: int, settings: Any, k: int,
                         max_steps: int = DEFAULT_MAX_STEPS, max_bits: int = DEFAULT_MAX_BITS) -> dict[str, Any]:
    """Certify the first ``k`` starts of a sweep (the same starts and C as ``lrbias sweep`` draws,
    chunk by chunk): their float64 outcome shares beside their certified shares, the certified
    share of the float-converged ones, the time per certificate and every row."""
    from lrbias.gd.scaleout import chunk_sample, plan_chunks, run_chunk

    if not (isinstance(k, int) and 1 <= k <= n):
        raise LrbiasError(f"--certify {k!r} is invalid; accepted: an integer, 1 <= K <= n = {n}")
    rows: list[dict[str, Any]] = []
    for chunk in plan_chunks(n, chunk_size, seed):
        if len(rows) >= k:
            break
        x0, y0, C = chunk_sample(chunk, ranges)
        batch = run_chunk(spec, chunk, ranges, settings)
        for i, rec in enumerate(batch.records()):
            if len(rows) >= k:
                break
            h = float(C[i] / (x0[i] * x0[i] + y0[i] * y0[i]))
            cert = certify(spec, float(x0[i]), float(y0[i]), h, max_steps=max_steps, max_bits=max_bits)
            rows.append({"x0": float(x0[i]), "y0": float(y0[i]), "C": float(C[i]), "h": h, "float": rec.outcome,
                         "certified": cert.outcome, "ratio": cert.ratio.as_dict() if cert.ratio else None,
                         "bits": cert.bits, "seconds": cert.seconds, "reason": cert.reason})
    outcomes = sorted({r["float"] for r in rows})
    float_shares = {o: sum(r["float"] == o for r in rows) / len(rows) for o in outcomes}
    cert_shares = {o: sum(r["certified"] == o for r in rows) / len(rows) for o in (CONVERGED, PERIODIC, NOT_CERTIFIED)}
    conv = [r for r in rows if r["float"] == "converged"]
    times = sorted(r["seconds"] for r in rows if r["certified"] != NOT_CERTIFIED)
    return {"k": len(rows), "float_shares": float_shares, "certified_shares": cert_shares,
            "float_converged": len(conv),
            "certified_of_float_converged": (sum(r["certified"] == CONVERGED for r in conv) / len(conv)
                                             if conv else None),
            "median_seconds": times[len(times) // 2] if times else None, "rows": rows}

