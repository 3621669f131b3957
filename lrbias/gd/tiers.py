"""Tiered confirmation of float64 verdicts: float64 → quad (batched) → mpmath, until two precisions agree.

Every suspect verdict is re-run in the quad tier (binary128, the one batched loop on quad
arrays, :func:`lrbias.gd.step_loop.quad_backend`), all at once.  Where float64 and quad agree
(:func:`lrbias.gd.scalar.agree`, final points compared to :func:`point_rtol` of the coarser
number type) two precisions agree and the verdict is *confirmed by quad*.  Where they disagree,
or where quad cannot resolve the start (it lies off an invariant line y = ±x by less than
LINE_RESOLUTION quad epsilons: binary128 rounds it onto the line), the run is *escalated* to
mpmath ``auto`` starting above quad's precision (AUTO_START_DPS digits, doubled until two
precisions agree).  A *flip* is a confirmed verdict that differs from float64's; each flip keeps
the three verdicts and a replay command.

Coverage is the share of suspects whose verdict two precisions confirmed.  A run that the budget
did not reach is *skipped*; one whose mpmath precisions never agreed is *inconclusive*: neither
counts as confirmed, never as an agreement.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from lrbias.gd import step_loop
from lrbias.gd.outcome import Outcome, RunRecord, Settings
from lrbias.gd.scalar import agree, run_auto
from lrbias.gd.vectorised import result_arrays, run_batch
from lrbias.losses.families import Family

FLOAT64_EPS = 2.0 ** -52
POINT_RTOL_PER_EPS = 2.0 ** 32    # final points agree to this many epsilons of the coarser type (float64: ~1e-6)
RECORD_RTOL = 2.0 ** -40          # records carry float64 points: the finest comparison they resolve
LINE_RESOLUTION = 16              # a start closer than this many quad epsilons to y = ±x skips quad
AUTO_START_DPS = 40               # mpmath starts above binary128 (~34 digits)
AUTO_MAX_DPS = 640
QUAD_CHUNK = 1024                 # suspects per quad batch (the budget is checked between them)


def point_rtol(eps: float) -> float:
    """The final-point tolerance of a comparison whose coarser number type has machine epsilon ``eps``."""
    return max(POINT_RTOL_PER_EPS * eps, RECORD_RTOL)


def quad_eps() -> float:
    """binary128's machine epsilon (2⁻¹¹²)."""
    return step_loop.quad_backend().eps


def replay_command(family: Family, x0: Any, y0: Any, h: Any, st: Settings, precision: str = "auto") -> str:
    """The ``lrbias run`` command that re-runs one start at ``precision``."""
    args = ["lrbias", "run", "--loss", family.spec, "--x0", repr(float(x0)), "--y0", repr(float(y0)),
            "--h", repr(float(h)), "--steps", str(st.max_steps), "--check-every", str(st.check_every),
            "--precision", precision]
    return " ".join(shlex.quote(a) for a in args)


@dataclass
class Coverage:
    """What the tiers confirmed of ``suspects`` verdicts (see the module docstring).

    ``disagreed`` counts the runs where float64 and quad disagreed (each is escalated while the
    budget and the escalation limit allow); ``quad_wrong`` the escalated runs where mpmath
    disagreed with quad (quad was the wrong one); ``unresolved_by_quad`` the starts sent straight
    to mpmath (too close to a line).
    """

    suspects: int
    confirmed_quad: int = 0
    disagreed: int = 0
    escalated: int = 0
    confirmed_mpmath: int = 0
    inconclusive: int = 0
    skipped: int = 0
    quad_wrong: int = 0
    unresolved_by_quad: int = 0
    flips: list[dict[str, Any]] = field(default_factory=list)
    quad_s: float = 0.0
    mpmath_s: float = 0.0

    @property
    def confirmed(self) -> int:
        """Suspects whose verdict two precisions confirmed."""
        return self.confirmed_quad + self.confirmed_mpmath

    @property
    def coverage(self) -> float:
        """Confirmed over suspects (1.0 when there are none)."""
        return self.confirmed / self.suspects if self.suspects else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (the figures plus coverage and the flips)."""
        return {"suspects": self.suspects, "coverage": self.coverage, "confirmed": self.confirmed,
                "confirmed_by_quad": self.confirmed_quad, "disagreed": self.disagreed, "escalated": self.escalated,
                "confirmed_by_mpmath": self.confirmed_mpmath, "inconclusive": self.inconclusive,
                "skipped": self.skipped, "quad_wrong": self.quad_wrong,
                "unresolved_by_quad": self.unresolved_by_quad, "flips": self.flips,
                "quad_s": round(self.quad_s, 3), "mpmath_s": round(self.mpmath_s, 3)}


@dataclass
class Confirmed:
    """The tiers' verdict on one start: ``final`` (None when skipped or inconclusive) and the tier
    that settled it ('quad', 'mpmath', 'inconclusive', 'skipped')."""

    float64: RunRecord
    quad: RunRecord | None
    precise: RunRecord | None
    tier: str

    @property
    def final(self) -> RunRecord | None:
        """The confirmed record: quad's when quad agreed with float64, else mpmath's."""
        if self.tier == "quad":
            return self.quad
        if self.tier == "mpmath":
            return self.precise
        return None


def _exact(values: Sequence[Any]) -> list[Any]:
    """Starts as exact mpmath numbers (floats are exact binary numbers; mpf and strings kept at 200 digits)."""
    with mpmath.workdps(200):
        return [mpmath.mpf(v) for v in values]


def below_quad_resolution(x0: Any, y0: Any) -> bool:
    """Whether (x0, y0) lies off y = ±x by less than LINE_RESOLUTION quad epsilons (but not on it):
    binary128 would round the start onto the invariant line, which no later step can leave."""
    with mpmath.workdps(200):
        x, y = mpmath.mpf(x0), mpmath.mpf(y0)
        gap = min(abs(x - y), abs(x + y))
        return bool(0 < gap < LINE_RESOLUTION * quad_eps() * (abs(x) + abs(y)))


def run_quad(family: Family, x0: Sequence[Any], y0: Sequence[Any], h: Sequence[Any], st: Settings) -> list[RunRecord]:
    """Quad-tier records of many starts at once; starts given as floats, mpmath numbers or strings
    (exact starts finer than float64 are rounded to binary128, not to float64)."""
    if all(isinstance(v, float) for v in (*x0, *y0, *h)):
        batch = run_batch(family, list(x0), list(y0), h=list(h), settings=st, backend="quad", track_max=False)
        return batch.records()
    from lrbias.losses.backends import mpf_to_quad

    with mpmath.workdps(200):
        xq, yq, hq = (mpf_to_quad(_exact(v)) for v in (x0, y0, h))
        x0f = [float(v) for v in _exact(x0)]
        y0f = [float(v) for v in _exact(y0)]
        hf = [float(v) for v in _exact(h)]
    n = len(x0f)
    out = result_arrays(n)
    step_loop.run_chunk(family, xq, yq, hq, st, out, step_loop.quad_backend(), track_max=False)
    template = run_batch(family, x0f, y0f, h=hf, settings=Settings(max_steps=1))
    template.outcome[:], template.steps[:], template.period[:] = out["outcome"], out["steps"], out["period"]
    template.x[:], template.y[:] = out["x"], out["y"]
    template.fmax[:], template.fmax_ratio[:], template.fmax_step[:] = out["fmax"], out["fmax_ratio"], out["fmax_step"]
    from lrbias.gd import objective

    with np.errstate(all="ignore"):
        _, hi = objective.hessian_eigenvalues(family, out["x"], out["y"])
    template.sharpness[:] = np.where(np.isfinite(hi), hi, np.nan)
    template.settings = st
    template.meta = {"precision": "quad"}
    return template.records()


def confirm(family: Family, x0: Sequence[Any], y0: Sequence[Any], h: Sequence[Any],
            fast: Sequence[RunRecord], settings: Settings, budget_s: float | None = 30.0,
            max_dps: int = AUTO_MAX_DPS, progress: Callable[[int, int], None] | None = None,
            escalation_limit: int | None = None) -> tuple[Coverage, list[Confirmed]]:
    """Confirm the float64 records ``fast`` of the starts (x0[i], y0[i], h[i]) through the tiers.

    ``budget_s`` bounds the wall time (None: no bound); the quad tier runs in chunks of
    QUAD_CHUNK and mpmath one start at a time, each only while time is left, and at most
    ``escalation_limit`` starts (None: no limit) go to mpmath.
    ``progress(done, total)`` is called after each quad chunk and each mpmath run.
    """
    n = len(fast)
    cov = Coverage(n)
    started = time.perf_counter()
    results: list[Confirmed] = [Confirmed(fast[i], None, None, "skipped") for i in range(n)]

    def time_left() -> bool:
        return budget_s is None or time.perf_counter() - started < budget_s

    quad_rows = [i for i in range(n) if not below_quad_resolution(x0[i], y0[i])]
    cov.unresolved_by_quad = n - len(quad_rows)
    escalate = [i for i in range(n) if i not in set(quad_rows)]
    rtol_f64 = point_rtol(FLOAT64_EPS)
    done = 0
    for lo in range(0, len(quad_rows), QUAD_CHUNK):
        if not time_left():
            break
        rows = quad_rows[lo:lo + QUAD_CHUNK]
        t0 = time.perf_counter()
        recs = run_quad(family, [x0[i] for i in rows], [y0[i] for i in rows], [h[i] for i in rows], settings)
        cov.quad_s += time.perf_counter() - t0
        for i, rec in zip(rows, recs, strict=True):
            results[i].quad = rec
            if agree(fast[i], rec, rtol_f64):
                results[i].tier = "quad"
                cov.confirmed_quad += 1
            else:
                cov.disagreed += 1
                escalate.append(i)
        done += len(rows)
        if progress is not None:
            progress(done, n)
    rtol_quad = point_rtol(quad_eps())
    for i in escalate:
        if not time_left() or (escalation_limit is not None and cov.escalated >= escalation_limit):
            break
        cov.escalated += 1
        t0 = time.perf_counter()
        with mpmath.workdps(200):
            xs, ys, hs = mpmath.mpf(x0[i]), mpmath.mpf(y0[i]), mpmath.mpf(h[i])
        precise = run_auto(family, xs, ys, hs, settings, start_dps=AUTO_START_DPS, max_dps=max_dps)
        precise.x0, precise.y0, precise.h, precise.C = float(xs), float(ys), float(hs), float(precise.C)
        cov.mpmath_s += time.perf_counter() - t0
        results[i].precise = precise
        done += 1
        if progress is not None:
            progress(done, n)
        if precise.extra.get("precision_disagreement"):
            results[i].tier = "inconclusive"
            cov.inconclusive += 1
            continue
        results[i].tier = "mpmath"
        cov.confirmed_mpmath += 1
        quad = results[i].quad
        if quad is not None and not agree(quad, precise, rtol_quad):
            cov.quad_wrong += 1
        if not agree(fast[i], precise, rtol_f64):
            cov.flips.append(flip_entry(family, i, fast[i], quad, precise, settings))
    cov.skipped = sum(1 for r in results if r.tier == "skipped")
    return cov, results


def flip_entry(family: Family, index: int, fast: RunRecord, quad: RunRecord | None, precise: RunRecord,
               st: Settings) -> dict[str, Any]:
    """One flip: the start, each tier's verdict and final point, and the replay command."""
    def verdict(rec: RunRecord | None) -> dict[str, Any] | None:
        if rec is None:
            return None
        return {"outcome": rec.outcome, "steps": rec.steps, "point": [rec.x, rec.y], "precision": rec.precision,
                "reason": rec.reason}

    return {"index": index, "x0": fast.x0, "y0": fast.y0, "h": fast.h, "float64": fast.outcome,
            "float64_point": [fast.x, fast.y], "precise": precise.outcome, "precise_point": [precise.x, precise.y],
            "precision": precise.precision, "reason": precise.reason,
            "verdicts": {"float64": verdict(fast), "quad": verdict(quad), "mpmath": verdict(precise)},
            "replay": replay_command(family, fast.x0, fast.y0, fast.h, st),
            "replay_float64": replay_command(family, fast.x0, fast.y0, fast.h, st, "float64")}


def outcome_code(rec: RunRecord) -> int:
    """The Outcome code of a record (for writing a confirmed verdict back into batch arrays)."""
    return int(Outcome.parse(rec.outcome))
