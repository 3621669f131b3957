"""The (κ, |d0|/q0) phase map, its heat maps and the audit view of a claim's report section."""

from __future__ import annotations

from lrbias.claims.phasemap import compute_start_phase_map
from lrbias.report.audit import audit_view
from lrbias.report.heatmaps import figure_jobs, start_phase_figure


def test_phase_map_bins_every_run_by_start_imbalance():
    pm = compute_start_phase_map(n=60, seed=1, families=("square", "softplus-pair:a=1"), kappas=(1.0, 3.0))
    assert pm["starts"] == "shell" and pm["q0"] == 4.0 and len(pm["families"]) == 2
    for fam in pm["families"]:
        cells = fam["cells"]
        assert len(cells) == len(pm["bins"]) - 1 and all(len(row) == 2 for row in cells)
        for j in range(2):
            assert sum(row[j]["runs"] for row in cells) == 60
            for row in cells:
                c = row[j]
                if c["runs"]:
                    assert 0 <= c["eos"] <= c["converged"] <= 1
    # κ = 1 (below the threshold): every shell start converges for the square loss
    assert all(row[0]["converged"] == 1.0 for row in pm["families"][0]["cells"] if row[0]["runs"])


def test_heat_maps_are_drawn_per_family():
    pm = compute_start_phase_map(n=40, seed=0, families=("logcosh",), kappas=(2.0, 4.0))
    jobs = figure_jobs({"start_phase_map": pm})
    assert [name for name, _, _ in jobs] == ["start-map-0"]
    svg, alt = start_phase_figure(pm, 0)
    assert svg.startswith("<svg") and "logcosh" in alt
    assert figure_jobs({}) == []


def test_audit_view_shows_evidence_rival_and_frontiers_per_start_distribution():
    record = {
        "fails_if": "the square loss at κ = 6",
        "evidence": {"closest_margin": 0.3, "near": 0.05, "weakly_tested": True, "runs": 600, "runs_per_case": 200,
                     "undecided_share": 0.02, "starts": "box", "budget_stable": False},
        "budget": {"factor": 4, "cases": [{"case": ["square", 2.0, 0, 200],
                                           "at_budget": {"verdict": "pass", "margin": 0.1},
                                           "at_larger": {"verdict": "fail", "margin": -0.1}}]},
        "rival": {"statement": "also for dor 2", "refuted": True, "verdict": "fail",
                  "counterexample": {"case": ["square", 2.0, 0, 200]}},
        "frontier": {"by_starts": {"box": {"square": {"holds_on": [[1.0, 2.5]], "boundaries": []}},
                                   "shell": {"square": {"holds_on": [], "boundaries": []}}}},
    }
    view = audit_view(record)
    rows = dict(view["rows"])
    assert "weakly tested" in rows["closest margin reached"]
    assert rows["same verdict at 4× the step budget"].startswith("no")
    assert view["fails_if"] and view["rival"]["refuted"]
    assert [(f["starts"], f["holds_text"]) for f in view["frontiers"]] == [("box", "[1, 2.5]"),
                                                                          ("shell", "nowhere in range")]
    assert view["rival"]["case_text"] == "['square', 2.0, 0, 200]"
    assert view["rival"]["confirmed_how"] == "at high precision"
    assert audit_view({})["rows"] == [] and audit_view({})["frontiers"] == []


def test_audit_view_names_an_nn_rival_by_its_deciding_runs_and_its_confirmation_tier():
    """An NN rival's case is a tuple of grid names: the view names the refuting runs instead, and says the
    refutation was confirmed by float64 re-training (not "at high precision", which is the 2-D tiers' word)."""
    how = "float64 GD and HVPs re-trained 1 deciding run(s): relu-huber@mnist1d at 2·2/S0"
    record = {"rival": {"statement": "classical stability", "refuted": True, "verdict": "fail",
                        "counterexample": {"case": ["relu-huber@digits", "relu-huber@mnist1d"],
                                           "detail": {"deciding": [["relu-huber@mnist1d", 2.0]]},
                                           "confirmation": {"verdict": "fail", "confirmation": how}}}}
    rival = audit_view(record)["rival"]
    assert rival["case_text"] == "relu-huber@mnist1d at 2·2/S0"
    assert rival["confirmed_how"] == how
