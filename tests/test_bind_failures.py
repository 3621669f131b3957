"""Binding tests of ``lrbias.report.failures`` (issue 27): the failure views compared whole, the detail tables
at their one-record and common-column boundaries, and the inline trace plot at its framing boundaries."""

from __future__ import annotations

import math

from lrbias.report.failures import PALETTE, _grid_names, _nn_runs, _value_text, detail_tables, failure_views, trace_svg


def test_palette_is_okabe_ito():
    assert PALETTE == ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")


def test_value_text_of_every_kind():
    assert _value_text(None) == "-"
    assert _value_text(0.123456) == "0.1235"
    assert _value_text(3) == "3" and _value_text("x") == "x" and _value_text(True) == "True"
    assert _value_text([1.5, None, (2, "a")]) == "[1.5, -, [2, a]]"
    assert _value_text({"k": 0.5, "m": [1]}) == "{k: 0.5, m: [1]}"


def test_grid_names_keep_known_names_only():
    grids = {"a": [], "b": []}
    assert _grid_names("a", grids) == ["a"]
    assert _grid_names(("b", "c", 3, "a"), grids) == ["b", "a"]
    assert _grid_names(["c"], grids) == [] and _grid_names(None, grids) == []


def test_detail_tables_split_records_from_scalars():
    rows, tables = detail_tables({"runs": [{"lr": 0.5, "grid": "g", "ok": True},
                                           {"lr": 1.0, "grid": "g", "extra": 2}],
                                  "note": "n", "empty": [], "mixed": [{"a": 1}, 2], "margin": 0.25})
    assert rows == [("note", "n"), ("empty", "[]"), ("mixed", "[{a: 1}, 2]"), ("margin", "0.25")]
    assert tables == [{"name": "runs", "columns": ["lr", "ok", "extra"], "common": "grid g",
                       "rows": [["0.5", "True", "-"], ["1", "-", "2"]]}]


def test_a_single_record_keeps_every_column():
    """With one record every column holds one value; none is said once above the table (that needs two)."""
    _, tables = detail_tables({"runs": [{"lr": 0.5, "grid": "g"}]})
    assert tables == [{"name": "runs", "columns": ["lr", "grid"], "common": "", "rows": [["0.5", "g"]]}]


def _run(lr, steps, values):
    return {"lr": lr, "sharpness_steps": steps, "top_sharpness": values}


def test_trace_svg_without_values_is_empty():
    assert trace_svg([]) == ""
    assert trace_svg([_run(0.5, [0, 10], [None, float("nan")]), _run(1.0, [], []), {"lr": None}]) == ""


def test_trace_svg_whole():
    """Two runs; the frame is 1.5 (the floor) since every later value × 1.15 is below it."""
    svg = trace_svg([_run(2.0, [0, 50, 100], [1.0, 1.0, 1.0]), _run(1.0, [0, 100], [2.0, None])],
                    width=224, height=138)
    # plot 100 × 100 px at (40, 10): x = 40 + s, y = 10 + 100 (1 − v/1.5)
    assert svg == (
        '<svg xmlns="http://www.w3.org/2000/svg" class="trace" width="224" height="138" viewBox="0 0 224 138" '
        'role="img" aria-label="S·h/2 over the steps of each run">'
        '<rect x="40" y="10" width="100" height="100" fill="none" stroke="#888"/>'
        '<line x1="40" x2="140" y1="43.3" y2="43.3" stroke="#000" stroke-dasharray="4 3"/>'
        '<text x="36" y="47.3" text-anchor="end" font-size="11">1</text>'
        '<text x="36" y="114" text-anchor="end" font-size="11">0</text>'
        '<text x="36" y="19" text-anchor="end" font-size="11">1.5</text>'
        '<text x="40" y="130" font-size="11">0</text>'
        '<text x="140" y="130" text-anchor="end" font-size="11">100</text>'
        '<text x="90.0" y="130" text-anchor="middle" font-size="11">step</text>'
        '<polyline points="40.0,43.3 90.0,43.3 140.0,43.3" fill="none" stroke="#0072B2" stroke-width="1.6"/>'
        '<text x="146" y="22" font-size="11" fill="#0072B2">h = 2</text>'
        '<polyline points="40.0,43.3" fill="none" stroke="#E69F00" stroke-width="1.6"/>'
        '<text x="146" y="36" font-size="11" fill="#E69F00">h = 1</text>'
        "</svg>")


def test_trace_svg_frames_the_tail_and_says_what_it_cut():
    """The frame is 1.15 × the largest value after the first tenth of the steps; an earlier, larger value is
    drawn at the top edge and named."""
    svg = trace_svg([_run(2.0, [0, 10, 11, 100], [8.0, 8.0, 2.0, 2.0])])
    assert '>2.3</text>' in svg                                     # 1.15 × 2
    assert "early values up to 8 drawn at the top edge" in svg       # the step 10 value is not in the tail
    # steps 0 and 10 (values 8) clipped to the top edge y = 10; steps 11 and 100 at 2 of 2.3
    assert 'points="40.0,10.0 73.6,10.0 77.0,27.2 376.0,27.2"' in svg
    svg_at = trace_svg([_run(2.0, [0, 10, 100], [1.0, 1.0, 1.2])])  # tail max 1.2: 1.15 × 1.2 = 1.38 < 1.5
    assert ">1.5</text>" in svg_at and "early values" not in svg_at


def test_trace_svg_without_a_tail_frames_every_value():
    """Every value at step 0 (the axis then ends at 1): no value lies after the first tenth, so the frame is
    1.05 × the largest value, floored at 1.5."""
    svg = trace_svg([_run(2.0, [0], [4.0])])
    assert ">4.2</text>" in svg and "early values" not in svg
    assert ">1.5</text>" in trace_svg([_run(2.0, [0], [1.0])])


def test_trace_svg_cycles_the_palette():
    runs = [_run(float(i + 1), [0, 10], [0.5, 0.5]) for i in range(len(PALETTE) + 1)]
    svg = trace_svg(runs)
    assert svg.count(f'stroke="{PALETTE[0]}"') == 2 and f'fill="{PALETTE[-1]}"' in svg


def _doc(command="lrbias check"):
    return {"command": command, "profile": "ci",
            "extras": {"known_findings": {"b": "known text"},
                       "nn": {"grids": {"g@digits": [{"lr": 0.5, "summary": {"outcome": "converged", "steps_run": 40,
                                                                             "ratio_final": 0.98765,
                                                                             "sharpness_final": 3.5,
                                                                             "two_over_lr": 4.0},
                                                      "sharpness_steps": [0, 40], "top_sharpness": [3.0, 3.5]},
                                                     {"lr": None}]}}},
            "entries": [{"id": "a", "verdict": "pass"},
                        {"id": "b", "verdict": "fail", "title": "T", "seed": 3, "examples": 7, "engine": "nn",
                         "notes": ["n1"],
                         "counterexample": {"case": ["g@digits"], "margin": -0.012345, "detail": {"x": 1.5},
                                            "confirmed": True, "confirmation": {"tier": "float64", "k": 0.5},
                                            "replay": "python -c 1", "certificate": {"tier": "certified",
                                                                                     "how": "h"}}},
                        {"id": "c", "verdict": "fail"},
                        {"id": "d", "verdict": "inconclusive"}]}


def test_failure_views_whole():
    doc = _doc("lrbias report --variants v.py")
    views = failure_views(doc, {"a": "#a", "b": "#b", "c": "#c", "d": "#d"})
    assert [v["id"] for v in views] == ["b", "c"]
    b, c = views
    runs = b.pop("runs")
    assert b == {"id": "b", "anchor": "#b", "title": "T", "known": "known text", "case": "[g@digits]",
                 "margin": "-0.01235", "detail": [("x", "1.5")], "detail_tables": [], "confirmed": True,
                 "confirmation": [("tier", "float64"), ("k", "0.5")], "replay": "python -c 1",
                 "tier": "certified (h)",
                 "reproduce": "lrbias check b --profile ci --seed 3 --variants v.py",
                 "notes": ["n1"], "engine": "nn", "examples": 7, "seed": 3}
    assert len(runs) == 1 and runs[0]["grid"] == "g@digits"
    assert runs[0]["rows"] == [
        {"lr": "0.5", "outcome": "converged", "steps": 40, "ratio": "0.9877", "sharpness": "3.5", "two_over_lr": "4"},
        {"lr": "–", "outcome": "–", "steps": "–", "ratio": "–", "sharpness": "–", "two_over_lr": "–"}]
    assert runs[0]["svg"].startswith("<svg")
    assert c == {"id": "c", "anchor": "#c", "title": "", "known": None, "case": "", "margin": "–", "detail": [],
                 "detail_tables": [], "confirmed": None, "confirmation": [], "replay": None, "tier": "",
                 "reproduce": "lrbias check c --profile ci --seed 0 --variants v.py", "notes": [], "engine": "",
                 "examples": None, "seed": None, "runs": []}


def test_failure_views_without_extras_or_profile():
    doc = {"entries": [{"id": "c", "verdict": "fail", "counterexample": {"case": 1.0, "margin": math.inf}}]}
    (view,) = failure_views(doc, {"c": "#c"})
    assert view["reproduce"] == "lrbias check c --profile default --seed 0"
    assert (view["case"], view["margin"], view["known"], view["runs"]) == ("1", "inf", None, [])


def test_nn_runs_need_the_grids():
    entry = {"counterexample": {"case": "g"}}
    assert _nn_runs(entry, None) == [] and _nn_runs(entry, {"grids": {}}) == []
    assert _nn_runs({}, {"grids": {"g": []}}) == []
    assert _nn_runs(entry, {"grids": {"g": []}}) == [{"grid": "g", "rows": [], "svg": ""}]


# ---- the survivors of the first mutation run, each killed where it binds ---------------------------------

def test_every_common_column_is_said_once():
    _, tables = detail_tables({"runs": [{"a": 1, "b": "g", "c": 0.5}, {"a": 2, "b": "g", "c": 0.5}]})
    assert tables[0]["common"] == "b g, c 0.5" and tables[0]["columns"] == ["a"]


def test_trace_svg_whole_when_clipped():
    svg = trace_svg([_run(2.0, [0, 100], [3.0, 1.0])], width=224, height=138)
    assert ('<text x="36" y="19" text-anchor="end" font-size="11">1.5</text>'
            '<text x="46" y="22" font-size="11">early values up to 3 drawn at the top edge</text>'
            '<text x="40" y="130" font-size="11">0</text>') in svg


def test_a_value_equal_to_the_frame_is_not_clipped():
    """full = 1.5 = ymax (the floor): drawn inside the frame, no note."""
    assert "early values" not in trace_svg([_run(2.0, [0, 100], [1.5, 1.0])])


def test_the_step_axis_of_a_plot_at_step_zero_ends_at_one():
    assert '<text x="376" y="162" text-anchor="end" font-size="11">1</text>' in trace_svg([_run(2.0, [0], [1.0])])


def test_a_run_without_a_rate_does_not_hide_the_runs_after_it():
    svg = trace_svg([{"lr": None}, _run(2.0, [0, 10], [1.0, 1.0])])
    assert svg.count("<polyline") == 1 and ">h = 2</text>" in svg


def test_steps_and_values_of_different_lengths_plot_their_common_part():
    svg = trace_svg([_run(2.0, [0, 10, 20], [1.0, 1.0])])
    assert 'points="40.0,54.0 376.0,54.0"' in svg
