"""Certifying a sweep: the float64 outcome of each start beside what was proven about it
(``lrbias sweep --certify K`` or ``--certify all``), in parallel on local processes or Dask.

The float64 sweep of the chunks runs first (in this process: it is fast); the starts to certify
are then cut into tasks of :data:`TASK_STARTS` starts, each certified by :func:`certify` on the
executor of :func:`lrbias.gd.scaleout.map_tasks` (serial, ``workers=N`` local processes, or a
Dask ``scheduler``).  Rows come back in sweep order whatever the executor.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from functools import partial
from typing import Any

from lrbias.errors import InvalidArgument
from lrbias.gd.certificate.follower import certify
from lrbias.gd.certificate.records import (
    CONVERGED,
    DEFAULT_MAX_BITS,
    DIVERGED,
    NOT_CERTIFIED,
    PERIODIC,
)

TASK_STARTS = 25
"""Starts per certification task: small enough to balance slow certificates across workers."""

SWEEP_WIDTH = 1e-6
"""A sweep stops a converged run's proof once its ratio enclosure is this narrow (relative): the
outcome is proven at the first tail certificate; narrowing to ``lrbias certify``'s 1e-12 costs
up to 4x the steps on runs near the edge of stability (benchmarks/bench_certify.py)."""

STEP_FACTOR = 4
"""A sweep's certificates follow at most this many times the sweep's float step budget."""

OUTCOMES = (CONVERGED, PERIODIC, DIVERGED, NOT_CERTIFIED)


def certify_rows(spec: str, starts: list[tuple[float, float, float, str]], max_steps: int, max_bits: int,
                 width: float) -> list[dict[str, Any]]:
    """Certify each (x0, y0, C, float outcome); one row each (a module-level function: it pickles)."""
    rows = []
    for x0, y0, C, outcome in starts:
        h = float(C / (x0 * x0 + y0 * y0))
        cert = certify(spec, x0, y0, h, max_steps=max_steps, max_bits=max_bits, width=width)
        rows.append({"x0": x0, "y0": y0, "C": C, "h": h, "float": outcome, "certified": cert.outcome,
                     "step": cert.step, "ratio": cert.ratio.as_dict() if cert.ratio else None,
                     "escape": cert.escape.as_dict() if cert.escape else None,
                     "bits": cert.bits, "seconds": cert.seconds, "steps_followed": cert.steps_followed,
                     "reason": cert.reason})
    return rows


def _quantile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def certify_sweep_sample(spec: str, n: int, ranges: Any, seed: int, chunk_size: int, settings: Any, k: int,
                         max_steps: int | None = None, max_bits: int = DEFAULT_MAX_BITS,
                         width: float = SWEEP_WIDTH, scheduler: str | None = None,
                         workers: int | None = None) -> dict[str, Any]:
    """Certify the first ``k`` starts of a sweep (the same starts and C as ``lrbias sweep`` draws,
    chunk by chunk; k = n is ``--certify all``).

    Returns the float64 outcome shares of those starts beside their certified shares, a table
    ``by_float`` {float outcome: {certified outcome: count}}, the certified share of each float
    outcome, time percentiles per certificate (p50, p95, max), the wall time of the certification
    and of the float64 run of the same chunks (and their ratio), and every row.
    """
    from lrbias.gd.scaleout import chunk_sample, describe_executor, map_tasks, plan_chunks, run_chunk

    if not (isinstance(k, int) and 1 <= k <= n):
        raise InvalidArgument(f"--certify {k!r} is invalid; accepted: an integer, 1 <= K <= n = {n}, or 'all'")
    max_steps = max_steps or STEP_FACTOR * settings.max_steps
    starts: list[tuple[float, float, float, str]] = []
    started = time.perf_counter()
    for chunk in plan_chunks(n, chunk_size, seed):
        if len(starts) >= k:
            break
        x0, y0, C = chunk_sample(chunk, ranges)
        batch = run_chunk(spec, chunk, ranges, settings)
        for i, rec in enumerate(batch.records()):
            if len(starts) >= k:
                break
            starts.append((float(x0[i]), float(y0[i]), float(C[i]), rec.outcome))
    float_s = time.perf_counter() - started
    tasks = [starts[i:i + TASK_STARTS] for i in range(0, len(starts), TASK_STARTS)]
    started = time.perf_counter()
    parts = map_tasks(partial(certify_rows, spec, max_steps=max_steps, max_bits=max_bits, width=width), tasks,
                      scheduler, workers)
    certify_s = time.perf_counter() - started
    rows = [row for part in parts for row in part]
    outcomes = sorted({r["float"] for r in rows})
    float_shares = {o: sum(r["float"] == o for r in rows) / len(rows) for o in outcomes}
    cert_shares = {o: sum(r["certified"] == o for r in rows) / len(rows) for o in OUTCOMES}
    by_float = {o: dict(Counter(r["certified"] for r in rows if r["float"] == o)) for o in outcomes}
    certified_share = {o: sum(v for c, v in by_float[o].items() if c != NOT_CERTIFIED) / sum(by_float[o].values())
                       for o in outcomes}
    times = [r["seconds"] for r in rows]
    conv = [r for r in rows if r["float"] == "converged"]
    reasons = Counter(r["reason"].split("(")[0].strip()[:100] for r in rows if r["certified"] == NOT_CERTIFIED)
    return {"k": len(rows), "executor": describe_executor(scheduler, workers), "width": width,
            "max_steps": max_steps, "float_shares": float_shares, "certified_shares": cert_shares,
            "by_float": by_float, "certified_share_by_float": certified_share,
            "float_converged": len(conv),
            "certified_of_float_converged": (sum(r["certified"] == CONVERGED for r in conv) / len(conv)
                                             if conv else None),
            "seconds": {"p50": _quantile(times, 0.5), "p95": _quantile(times, 0.95), "max": max(times),
                        "sum": sum(times)},
            "median_seconds": _quantile(times, 0.5),
            "certify_wall_s": round(certify_s, 3), "float_wall_s": round(float_s, 3),
            "ratio_to_float": certify_s / float_s if float_s > 0 else None,
            "not_certified_reasons": dict(reasons.most_common(5)), "rows": rows}
