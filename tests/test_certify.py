"""Certified verdicts (lrbias.gd.certificate): every certificate checked against mpmath, and the
unsound shortcuts shown to be caught."""

from __future__ import annotations

import json
from collections import Counter

import mpmath
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrbias.cli import main
from lrbias.gd.certificate import CONVERGED, DIVERGED, NOT_CERTIFIED, PERIODIC, Soundness, certify, certify_cycle
from lrbias.losses.families import get_family

pytest.importorskip("flint")


def mp_limit(spec: str, x0: float, y0: float, h: float, dps: int, max_steps: int = 40_000):
    """GD in mpmath at ``dps`` digits until |s − 1| < 10^(−dps/2): the limit's (ratio, imbalance,
    x, y), or None when the run does not get there."""
    fam = get_family(spec)
    with mpmath.workdps(dps):
        x, y, hm = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        tol = mpmath.mpf(10) ** (-dps // 2)
        for _ in range(max_steps):
            s = x * y
            if abs(s - 1) < tol:
                q = x * x + y * y
                return (fam.mp.d2(mpmath.mpf(1)) * q * hm / 2, x * x - y * y, x, y)
            if abs(s) > 1e12 or x * x + y * y > 1e12:
                return None
            hg = hm * fam.mp.d1(s)
            x, y = x - hg * y, y - hg * x
    return None


def mp_trajectory(spec: str, x0: float, y0: float, h: float, steps: int, dps: int = 60):
    """(s_t, q_t) for t = 0..steps in mpmath."""
    fam = get_family(spec)
    out = []
    with mpmath.workdps(dps):
        x, y, hm = mpmath.mpf(x0), mpmath.mpf(y0), mpmath.mpf(h)
        for _ in range(steps + 1):
            out.append((x * y, x * x + y * y))
            hg = hm * fam.mp.d1(x * y)
            x, y = x - hg * y, y - hg * x
    return out


def test_square_issue_example_is_certified_narrow_and_right():
    x0, y0, C = 0.5, 6.0, 3.0
    h = C / (x0 * x0 + y0 * y0)
    cert = certify("square", x0, y0, h)
    assert cert.outcome == CONVERGED
    exact = mp_limit("square", x0, y0, h, 60)
    assert exact is not None
    ratio = float(exact[0])
    assert cert.ratio.contains(ratio)
    assert cert.ratio.width < 1e-9
    assert cert.imbalance.contains(float(exact[1]))
    assert cert.x.contains(float(exact[2])) and cert.y.contains(float(exact[3]))
    assert cert.ratio.hi < 1   # ρ < 1 at the limit forces hS∞ < 2


def _float_in(enc, value) -> bool:
    return enc.lo <= float(value) <= enc.hi or abs(float(value) - enc.mid) <= 1e-300


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(["square", "softplus-pair:a=0.5", "logcosh", "quartic", "pseudo-huber", "huber:delta=1"]),
       x0=st.floats(0.05, 1.0), y0=st.floats(0.5, 6.0), kappa=st.floats(0.3, 3.8),
       sign=st.sampled_from([1.0, -1.0]))
def test_every_certificate_contains_the_mpmath_limit(spec, x0, y0, kappa, sign):
    fam = get_family(spec)
    x0, y0 = sign * x0, sign * y0
    h = kappa / (fam.curvature * (x0 * x0 + y0 * y0))
    lo = mp_limit(spec, x0, y0, h, 30, max_steps=6_000)
    hi = mp_limit(spec, x0, y0, h, 60, max_steps=6_000) if lo is not None else None
    assume(lo is not None and hi is not None)
    assume(all(abs(a - b) < mpmath.mpf(10) ** -15 for a, b in zip(lo, hi, strict=True)))
    cert = certify(fam, x0, y0, h, max_steps=10_000)
    if cert.outcome == CONVERGED:
        assert cert.ratio.contains(float(hi[0])), (cert.ratio, hi[0])
        assert cert.imbalance.contains(float(hi[1]))
        assert cert.x.contains(float(hi[2])) and cert.y.contains(float(hi[3]))
        assert cert.ratio.hi < 1


def claims_violated(spec: str, x0: float, y0: float, h: float, soundness: Soundness, steps: int = 200) -> bool | None:
    """Check a tail certificate's claims against mpmath: None when nothing was certified, True
    when some claim is false (|s_{T+k} − 1| ≤ ρ^k e, |q_{T+k} − q_c| ≤ δ, the ratio enclosure)."""
    cert = certify(spec, x0, y0, h, width=0.99, max_steps=5_000, soundness=soundness)
    if cert.outcome != CONVERGED:
        return None
    t = cert.tail
    traj = mp_trajectory(spec, x0, y0, h, t.step + steps)
    rho, e = mpmath.mpf(t.rho), mpmath.mpf(t.e)
    for k in range(steps + 1):
        bound = rho ** k * e
        if bound < mpmath.mpf(10) ** -40:  # below the resolution of the 60-digit trajectory
            break
        s, q = traj[t.step + k]
        if abs(s - 1) > bound or abs(q - t.q_centre) > t.delta:
            return True
    exact = mp_limit(spec, x0, y0, h, 50, max_steps=10_000)
    return exact is not None and not cert.ratio.contains(float(exact[0]))


GRID = [(spec, x0, y0, kappa) for spec in ("softplus-pair:a=0.5", "quartic")
        for x0 in (0.1, 0.6) for y0 in (1.5, 4.0) for kappa in (0.6, 1.9, 3.5)]


def _grid_violations(soundness: Soundness, first: bool = False) -> list[tuple]:
    found = []
    for spec, x0, y0, kappa in GRID:
        h = kappa / (get_family(spec).curvature * (x0 * x0 + y0 * y0))
        if claims_violated(spec, x0, y0, h, soundness):
            found.append((spec, x0, y0, kappa))
            if first:
                break
    return found


@pytest.mark.parametrize("variant", [Soundness(rho_at_point=True), Soundness(curvature_at_one=True)],
                         ids=["rho-at-the-point", "curvature-at-1"])
def test_unsound_variants_are_caught(variant):
    """The shortcut certifies, on some start of the grid, a claim that mpmath refutes."""
    assert _grid_violations(variant, first=True), "the unsound variant was not caught on the grid"


def test_the_sound_certificate_has_no_violation_on_the_same_grid():
    assert _grid_violations(Soundness()) == []


def test_an_unstable_minimiser_is_never_certified_converged():
    # (0.5, 2) lies on xy = 1 with hS = 0.6 · 4.25 = 2.55 > 2
    cert = certify("square", 0.5, 2.0, 0.6)
    assert cert.outcome == NOT_CERTIFIED and "unstable" in cert.reason
    for k in range(1, 6):  # near it: either no certificate or one at a flatter minimiser (mpmath agrees)
        x0 = 0.5 + k * 1e-7
        cert = certify("square", x0, 2.0, 0.6, max_steps=20_000)
        if cert.outcome == CONVERGED:
            assert cert.ratio.hi < 1
            exact = mp_limit("square", x0, 2.0, 0.6, 60)
            assert exact is not None and cert.ratio.contains(float(exact[0]))


def test_a_two_cycle_of_the_square_loss_is_certified_periodic():
    h = 1.1
    cert = certify("square", 1.3, 0.9, h)
    assert cert.outcome == PERIODIC
    assert cert.cycle.period == 2 and cert.cycle.stability == "stable"
    # the cycle lies on x = y, where GD is x -> x(1 - h(x^2 - 1)); its 2-cycle by mpmath
    with mpmath.workdps(40):
        phi = lambda v: v * (1 - h * (v * v - 1))  # noqa: E731
        a = mpmath.findroot(lambda v: phi(phi(v)) - v, cert.cycle.x.mid)
        assert abs(phi(a) - a) > 0.1  # a true 2-cycle, not the fixed point
        assert cert.cycle.x.contains(float(a)) or cert.cycle.x.contains(float(phi(a)))


def test_the_krawczyk_test_refuses_a_non_isolated_fixed_point():
    # fixed points of GD fill the curve xy = 1: F - id is singular there, no isolated cycle
    cycle, why = certify_cycle("square", 0.5, 2.0, 0.3, 1)
    assert cycle is None and why


def test_cli_certify_text_json_and_errors(capsys):
    assert main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--C", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("certified converged") and "ratio" in out and "bits" in out
    assert main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--kappa", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["outcome"] == CONVERGED and doc["ratio"]["lo"] <= doc["ratio"]["hi"]
    assert main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--C", "3", "--max-bits", "64"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-bits 64" in err and "128" in err
    assert main(["certify", "--loss", "square", "--x0", "nan", "--y0", "6", "--C", "3"]) == 2
    assert main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--h", "-1"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--C", "3", "--h", "1"])
    assert exc.value.code == 2


def test_sweep_certify_reports_certified_beside_float_shares(capsys):
    argv = ["sweep", "--loss", "square", "--C", "1:3", "--n", "12", "--certify", "6", "--no-artefact-check"]
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    c = doc["certified"]
    assert c["k"] == 6 and len(c["rows"]) == 6
    assert abs(sum(c["certified_shares"].values()) - 1) < 1e-12
    for row in c["rows"]:   # every certified limit agrees with mpmath
        if row["certified"] == CONVERGED:
            exact = mp_limit("square", row["x0"], row["y0"], row["h"], 40)
            assert exact is not None and row["ratio"]["lo"] <= float(exact[0]) <= row["ratio"]["hi"]
    assert sum(sum(v.values()) for v in c["by_float"].values()) == 6
    for outcome, counts in c["by_float"].items():   # the per-outcome table is the rows, counted
        assert counts == dict(Counter(r["certified"] for r in c["rows"] if r["float"] == outcome))
    assert c["seconds"]["p50"] <= c["seconds"]["p95"] <= c["seconds"]["max"]
    assert main(argv) == 0
    assert "certified tier" in capsys.readouterr().out
    assert main(["sweep", "--loss", "square", "--C", "1:3", "--n", "4", "--certify", "5"]) == 2
    assert "--certify 5" in capsys.readouterr().err
    # --certify all: every start, diverging square runs certified diverged
    assert main(["sweep", "--loss", "square", "--C", "3:5", "--n", "8", "--certify", "all", "--no-artefact-check",
                 "--json"]) == 0
    c = json.loads(capsys.readouterr().out)["certified"]
    assert c["k"] == 8 and c["by_float"].get("diverged", {}).get(DIVERGED, 0) >= 1
    for row in c["rows"]:
        if row["certified"] == DIVERGED:
            assert row["float"] == "diverged" and row["escape"]["rate"] > 1


def test_report_certified_tier_rows_match_the_schema_and_prove_the_three_claims():
    from pathlib import Path

    import jsonschema

    import lrbias.claims
    from lrbias.report.certified import certified_samples

    rows = certified_samples()
    schema = json.loads((Path(lrbias.claims.__file__).parent / "results.schema.json").read_text())
    item = {"$defs": schema["$defs"], "$ref": "#/$defs/certified"}
    for row in json.loads(json.dumps(rows)):
        jsonschema.validate(row, item)
    proven = {k for r in rows for k in r["claims"]}
    assert proven == {"edge of stability", "balancing", "catapult"}
    eos = rows[0]
    exact = mp_limit(eos["spec"], eos["x0"], eos["y0"], eos["h"], 50)
    lo, hi = eos["certificate"]["ratio"]["lo"], eos["certificate"]["ratio"]["hi"]
    assert exact is not None and lo <= float(exact[0]) <= hi


def test_issue_example_diverging_square_run_is_certified_diverged(capsys):
    """(0.5, 6) at C = 4.5: the escape region and entry step are in the JSON (region checked against
    mpmath in tests/test_escape.py)."""
    assert main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--C", "4.5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["outcome"] == DIVERGED and doc["step"] == 4 == doc["escape"]["step"]
    assert doc["escape"]["region"].startswith("s >= ") and doc["escape"]["rate"] > 1
    s = mp_trajectory("square", 0.5, 6.0, 4.5 / 36.25, 4)[4][0]
    assert doc["escape"]["s_entry"]["lo"] <= float(s) <= doc["escape"]["s_entry"]["hi"]
    assert main(["certify", "--loss", "square", "--x0", "0.5", "--y0", "6", "--C", "4.5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("certified diverged") and "escape region entered at step 4" in out
    cert = certify("power:b=3", 2.0, 3.0, 0.01)
    assert cert.outcome == DIVERGED and cert.step == 0


def test_not_certified_says_why():
    # the chaotic transient before the 2-cycle needs more than 128 bits
    cert = certify("square", 1.3, 0.9, 1.1, max_bits=128)
    assert cert.outcome == NOT_CERTIFIED and "2^-64" in cert.reason and "128 bits" in cert.reason
    cert = certify("logcosh", 0.5, 6.0, 5.0)   # bounded l': the box is left, divergence is not proven
    assert cert.outcome == NOT_CERTIFIED and "divergence is not certified" in cert.reason
    assert "leave the box" in cert.reason and "not a polynomial" in cert.reason
    cert = certify("expr:abs(s-1)**3+(s-1)**2", 0.5, 3.0, 0.05)
    assert cert.outcome == NOT_CERTIFIED and "smoothness" in cert.reason
    cert = certify("square", 3.0, 2.0, 0.001, max_steps=3)
    assert cert.outcome == NOT_CERTIFIED and "budget of 3 steps" in cert.reason
