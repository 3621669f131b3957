"""Binding tests of ``lrbias.report.diff`` (issue 27): every comparison at its boundary, on both sides,
every constant where it decides, and the text and HTML compared whole.

Numbers are binary-exact (powers of two and their sums), so a boundary is met exactly, not within rounding.
"""

from __future__ import annotations

import math

import pytest

from lrbias.errors import InvalidArgument
from lrbias.report.diff import (
    FRONTIER_TOL,
    RANK,
    Diff,
    comparability_warnings,
    diff_documents,
    format_fragment,
    format_html,
    format_text,
    shrank,
    size,
)


def _entry(eid, verdict="pass", margin=None, families=None, provenance="exact"):
    entry = {"id": eid, "verdict": verdict, "provenance": provenance, "worst_margin": margin}
    if families is not None:
        entry["frontier"] = {"families": {f: {"holds_on": r} for f, r in families.items()}}
    return entry


def _doc(*entries, profile="ci", seed=0, versions=None):
    return {"profile": profile, "seed": seed, "environment": {"versions": versions or {"lrbias": "1"}},
            "entries": list(entries)}


def _one(old_entry, new_entry, **kw) -> Diff:
    return diff_documents(_doc(old_entry), _doc(new_entry), **kw)


def test_constants():
    assert RANK == {"pass": 2, "inconclusive": 1, "fail": 0}
    assert FRONTIER_TOL == 0.1
    assert Diff().frontier_tol == 0.1


@pytest.mark.parametrize(("old", "new", "regression"), [
    ("pass", "fail", True), ("pass", "inconclusive", True), ("inconclusive", "fail", True),
    ("fail", "pass", False), ("inconclusive", "pass", False), ("fail", "inconclusive", False),
])
def test_every_flip_is_ranked(old, new, regression):
    d = _one(_entry("a", old), _entry("a", new, provenance="paper"))
    assert d.flips == [{"id": "a", "provenance": "paper", "old": old, "new": new, "regression": regression}]
    assert d.regressions == ([d.flips[0]] if regression else [])


def test_equal_verdicts_are_no_flip():
    assert _one(_entry("a", "fail"), _entry("a", "fail")).flips == []


@pytest.mark.parametrize(("ma", "mb", "rel", "reported"), [
    (0.875, 1.0, 0.125, False),    # change 1/8 == rel × max(|ma|, |mb|): not beyond the noise
    (0.875, 1.0, 0.0625, True),    # beyond it
    (-1.0, -0.875, 0.125, False),  # the larger magnitude is |ma| = 1 (a max of signed values would be −7/8)
    (1.0, 0.875, 0.125, False),    # a fall is measured the same way
    (1.0, 0.875, 0.0625, True),
])
def test_margin_noise_is_relative_to_the_larger_magnitude(ma, mb, rel, reported):
    d = _one(_entry("a", margin=ma), _entry("a", margin=mb), rel_noise=rel, abs_noise=0.0)
    assert d.margins == ([{"id": "a", "old": ma, "new": mb, "change": mb - ma}] if reported else [])


@pytest.mark.parametrize(("abs_noise", "reported"), [(2.0 ** -30, False), (2.0 ** -31, True)])
def test_margin_noise_has_an_absolute_floor(abs_noise, reported):
    d = _one(_entry("a", margin=0.0), _entry("a", margin=2.0 ** -30), rel_noise=0.125, abs_noise=abs_noise)
    assert bool(d.margins) is reported


def test_default_noise_floors():
    """rel 0.1 and abs 1e-9: a change of 0.1 × 1.0 exactly is noise, one of 1e-9 at zero is noise too."""
    assert _one(_entry("a", margin=0.9), _entry("a", margin=1.0)).margins == []
    assert len(_one(_entry("a", margin=0.875), _entry("a", margin=1.0)).margins) == 1
    assert _one(_entry("a", margin=0.0), _entry("a", margin=1e-9)).margins == []
    assert len(_one(_entry("a", margin=0.0), _entry("a", margin=2e-9)).margins) == 1


@pytest.mark.parametrize(("ma", "mb"), [(None, 1.0), (1.0, None), (math.inf, 1.0), (1.0, "-inf"), ("inf", 2.0)])
def test_margins_not_both_finite_are_not_compared(ma, mb):
    assert _one(_entry("a", margin=ma), _entry("a", margin=mb)).margins == []


def test_frontiers_within_the_matching_tolerance_are_the_same():
    # frontier_tol 1/16: ranges match within min(0.05, 1/32) = 1/32 of the larger end
    same = _one(_entry("a", families={"f": [[1.0, 31.0]]}), _entry("a", families={"f": [[1.0, 32.0]]}),
                frontier_tol=0.0625)
    assert same.frontiers == []          # |31 − 32| = 1 == 32/32
    moved = _one(_entry("a", families={"f": [[1.0, 30.96875]]}), _entry("a", families={"f": [[1.0, 32.0]]}),
                 frontier_tol=0.0625)
    assert len(moved.frontiers) == 1     # 1.03125 > 1


def test_matching_tolerance_is_capped_at_five_percent():
    # frontier_tol 0.5 would allow 0.25; the cap 0.05 does not: |20 − 22| = 2 > 0.05 × 22
    d = _one(_entry("a", families={"f": [[1.0, 20.0]]}), _entry("a", families={"f": [[1.0, 22.0]]}),
             frontier_tol=0.5)
    assert len(d.frontiers) == 1 and d.frontiers[0]["regression"] is False
    same = _one(_entry("a", families={"f": [[1.0, 20.0]]}), _entry("a", families={"f": [[1.0, 21.0]]}),
                frontier_tol=0.5)
    assert same.frontiers == []          # |20 − 21| = 1 <= 0.05 × 21


def test_a_range_near_zero_is_matched_against_a_floor():
    """Two equal zero ends match (the floor 1e-12 keeps the tolerance positive)."""
    assert _one(_entry("a", families={"f": [[0.0, 1.0]]}), _entry("a", families={"f": [[0.0, 1.0]]})).frontiers == []
    d = _one(_entry("a", families={"f": [[0.0, 1.0]]}), _entry("a", families={"f": [[2e-12, 1.0]]}))
    assert len(d.frontiers) == 1


def test_a_different_number_of_ranges_is_a_change():
    d = _one(_entry("a", families={"f": [[1.0, 2.0]]}), _entry("a", families={"f": [[1.0, 2.0], [3.0, 4.0]]}))
    assert d.frontiers == [{"id": "a", "family": "f", "old": [[1.0, 2.0]], "new": [[1.0, 2.0], [3.0, 4.0]],
                            "old_size": 1.0, "new_size": 2.0, "change": 1.0, "vanished": False,
                            "regression": False}]


@pytest.mark.parametrize(("new_hi", "tol", "regression"), [
    (4.0, 0.25, False),    # size 4 -> 3 == (1 − 1/4) × 4: not beyond the tolerance
    (3.75, 0.25, True),    # 2.75 < 3
    (4.75, 0.0, True),     # tol 0 (allowed): any loss beyond matching counts
])
def test_a_shrinking_frontier_is_a_regression_beyond_the_tolerance(new_hi, tol, regression):
    d = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a", families={"f": [[1.0, new_hi]]}),
             frontier_tol=tol)
    (f,) = d.frontiers
    assert (f["old_size"], f["new_size"], f["change"]) == (4.0, new_hi - 1.0, new_hi - 5.0)
    assert f["regression"] is regression and f["vanished"] is False
    assert d.regressions == ([{**f, "regression": True}] if regression else [])


def test_a_vanished_frontier_and_a_new_one():
    gone = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a", families={"f": []}))
    assert gone.frontiers[0]["vanished"] is True and gone.frontiers[0]["regression"] is True
    missing = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a"))
    assert missing.frontiers == [{"id": "a", "family": "f", "old": [[1.0, 5.0]], "new": None, "old_size": 4.0,
                                  "new_size": 0.0, "change": -4.0, "vanished": True, "regression": True}]
    new = _one(_entry("a"), _entry("a", families={"f": [[1.0, 5.0]]}))
    assert new.frontiers == [{"id": "a", "family": "f", "old": None, "new": [[1.0, 5.0]], "old_size": 0.0,
                              "new_size": 4.0, "change": 4.0, "vanished": False, "regression": False}]


def test_size_and_shrank():
    assert size(None) == 0.0 and size([]) == 0.0 and size([[1.0, 2.5], [3.0, 7.0]]) == 5.5
    assert size([[1.0, math.inf]]) == math.inf
    assert shrank(4.0, 2.9, 0.25) and not shrank(4.0, 3.0, 0.25)
    assert not shrank(0.0, -1.0, 0.0)                     # nothing to lose
    assert shrank(math.inf, 5.0, 0.1) and not shrank(math.inf, math.inf, 0.1)


@pytest.mark.parametrize("tol", [-2.0 ** -20, 1.0, 1.5])
def test_frontier_tolerance_is_checked(tol):
    with pytest.raises(InvalidArgument, match=rf"frontier_tol {tol} is invalid; accepted: 0 <= tol < 1"):
        diff_documents(_doc(), _doc(), frontier_tol=tol)


def test_frontier_tolerance_boundaries_are_accepted():
    assert diff_documents(_doc(), _doc(), frontier_tol=0.0).frontier_tol == 0.0
    assert diff_documents(_doc(), _doc(), frontier_tol=1 - 2.0 ** -20).frontier_tol == 1 - 2.0 ** -20


@pytest.mark.parametrize("bad", [[[2.0, 1.0]], [[1.0, "nan"]], [["x", 1.0]], [[1.0]], [None]])
def test_invalid_frontier_ranges_are_named(bad):
    with pytest.raises(ValueError, match=r"entry 'a', family 'f': frontier range .* is invalid; "
                                         r"accepted: \[lo, hi\], numbers with lo <= hi"):
        _one(_entry("a", families={"f": bad}), _entry("a"))


def test_frontier_ranges_read_back():
    """A point range (lo == hi) is valid, "inf" reads back as ∞, and a pair that is not a list is one range."""
    d = _one(_entry("a", families={"f": [[2.0, 2.0]], "g": [[1.0, "inf"]], "h": (1.0, 3.0)}),
             _entry("a", families={"f": [], "g": [[1.0, "inf"]], "h": [[1.0, 3.0]]}))
    assert [f["family"] for f in d.frontiers] == ["f"]
    assert d.frontiers[0]["old"] == [[2.0, 2.0]] and d.frontiers[0]["vanished"] is False


def test_added_and_removed_entries_and_only_shared_ones_compared():
    d = diff_documents(_doc(_entry("b", "pass"), _entry("a", "pass")),
                       _doc(_entry("c", "fail"), _entry("a", "fail"), _entry("d")))
    assert d.added == ["c", "d"] and d.removed == ["b"]
    assert [f["id"] for f in d.flips] == ["a"]


def test_comparability_warnings_name_each_difference():
    old = {"profile": "ci", "seed": 0, "environment": {"versions": {"lrbias": "1", "numpy": "2"}}}
    new = {"profile": "smoke", "seed": 3, "environment": {"versions": {"lrbias": "2", "scipy": "1"}}}
    assert comparability_warnings(old, new) == [
        "profiles differ: ci -> smoke (a smaller budget scans fewer starts and κ points: frontiers and verdicts "
        "may change for that reason alone)",
        "seeds differ: 0 -> 3",
        "versions differ: lrbias 1 -> 2, numpy 2 -> None, scipy None -> 1",
    ]
    assert comparability_warnings(old, dict(old)) == []
    assert comparability_warnings({}, {"environment": {}}) == []


def test_versions_read_from_the_environment():
    """No ``versions`` reads as none; versions (or an ``environment``) that are not an object are refused."""
    assert comparability_warnings({"environment": {"a": "1"}}, {"environment": {"versions": {"a": "1"}}}) == \
        ["versions differ: a None -> 1"]
    for env in ({"versions": ["x"]}, ["x"]):
        with pytest.raises(ValueError, match=r"environment.versions is a list; accepted: an object "
                                             r"\{package: version\}"):
            comparability_warnings({"environment": env}, {})


def _rich() -> Diff:
    old = _doc(_entry("a", "pass", 1.0, {"f": [[1.0, 5.0]], "g": [[1.0, 2.0]]}), _entry("b", "fail", 2.0),
               _entry("gone"), profile="ci")
    new = _doc(_entry("a", "fail", 0.5, {"f": [], "g": [[1.0, 4.0]]}), _entry("b", "pass", 2.0),
               _entry("new<1>"), profile="smoke")
    return diff_documents(old, new)


def test_format_text_whole():
    assert format_text(_rich()) == "\n".join([
        "WARNING: profiles differ: ci -> smoke (a smaller budget scans fewer starts and κ points: frontiers "
        "and verdicts may change for that reason alone)",
        "REGRESSION: a (exact) pass -> fail",
        "improvement: b (exact) fail -> pass",
        "margin: a 1 -> 0.5 (-0.5)",
        "REGRESSION: frontier: a [f] holds on [1, 5] -> nowhere (VANISHED: size 4 -> 0 in κ, -4)",
        "frontier: a [g] holds on [1, 2] -> [1, 4] (grew: size 1 -> 3 in κ, +2)",
        "added: new<1>",
        "removed: gone",
        "2 regression(s) (a frontier losing more than 10% of its size counts as one); the runs are NOT like "
        "for like, see the warnings above",
    ])


def test_format_text_words_for_each_frontier_change():
    shrunk = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a", families={"f": [[1.0, 4.5]]}))
    assert format_text(shrunk).splitlines() == [
        "REGRESSION: frontier: a [f] holds on [1, 5] -> [1, 4.5] (shrank: size 4 -> 3.5 in κ, -0.5)",
        "1 regression(s) (a frontier losing more than 10% of its size counts as one)"]
    moved = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a", families={"f": [[2.0, 6.0]]}))
    assert format_text(moved).splitlines()[0] == \
        "frontier: a [f] holds on [1, 5] -> [2, 6] (moved: size 4 -> 4 in κ, +0)"
    nothing = _one(_entry("a", families={}), _entry("a", families={"f": [[2.0, 6.0]]}))
    assert format_text(nothing).splitlines()[0] == \
        "frontier: a [f] holds on (no frontier) -> [2, 6] (grew: size 0 -> 4 in κ, +4)"


def test_format_text_without_changes():
    assert format_text(Diff()) == "no changes"
    assert format_text(Diff(warnings=["w"])) == "WARNING: w\nno changes"


def test_format_fragment_whole():
    assert format_fragment(_rich(), "old<.json", "new.json") == (
        '<p class="warning" role="alert"><strong>Not like for like:</strong> profiles differ: ci -&gt; smoke '
        "(a smaller budget scans fewer starts and κ points: frontiers and verdicts may change for that reason "
        "alone)</p>"
        "<p><code>old&lt;.json</code> → <code>new.json</code>: <strong>2 regression(s)</strong> (a frontier "
        "losing more than 10% of its size counts as one).</p>"
        '<table aria-label="changes"><thead><tr><th>change</th><th>entry</th><th>old → new</th></tr></thead>'
        "<tbody>"
        '<tr class="fail"><td>regression</td><td><code>a</code></td><td>pass → fail</td></tr>'
        '<tr class="pass"><td>improvement</td><td><code>b</code></td><td>fail → pass</td></tr>'
        "<tr><td>margin</td><td><code>a</code></td><td>1 → 0.5</td></tr>"
        '<tr class="fail"><td>regression: frontier vanished</td><td><code>a</code> f</td>'
        "<td>[1, 5] → nowhere (size 4 → 0 in κ)</td></tr>"
        "<tr><td>frontier</td><td><code>a</code> g</td><td>[1, 2] → [1, 4] (size 1 → 3 in κ)</td></tr>"
        "<tr><td>added</td><td><code>new&lt;1&gt;</code></td><td></td></tr>"
        "<tr><td>removed</td><td><code>gone</code></td><td></td></tr>"
        "</tbody></table>")


def test_format_fragment_names_a_shrunk_frontier_and_an_empty_diff():
    shrunk = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a", families={"f": [[1.0, 4.5]]}))
    assert ('<tr class="fail"><td>regression: frontier shrank</td><td><code>a</code> f</td>'
            "<td>[1, 5] → [1, 4.5] (size 4 → 3.5 in κ)</td></tr>") in format_fragment(shrunk, "o", "n")
    assert '<tbody><tr><td colspan="3">no changes</td></tr></tbody>' in format_fragment(Diff(), "o", "n")


def test_format_html_is_a_page_around_the_fragment():
    d = _rich()
    page = format_html(d, "o.json", "n.json")
    assert page == f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lrbias diff</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:auto;padding:1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem}}
.warning{{background:#fff8c5;border:2px solid #9a6700;padding:.5rem .8rem}}
tr.fail td:first-child{{color:#cf222e;font-weight:600}}tr.pass td:first-child{{color:#1a7f37}}</style>
</head><body><h1>lrbias diff</h1>{format_fragment(d, "o.json", "n.json")}
</body></html>
"""


def test_as_dict_lists_the_regressions():
    d = _rich()
    out = d.as_dict()
    assert out["regressions"] == d.regressions and len(out["regressions"]) == 2
    assert set(out) == {"flips", "margins", "frontiers", "added", "removed", "warnings", "frontier_tol",
                        "regressions"}


# ---- the survivors of the first mutation run, each killed where it binds ---------------------------------

@pytest.mark.parametrize("bad", [[[None, 1.0]], [[1.0, None]]])
def test_a_missing_end_is_named_not_a_type_error(bad):
    with pytest.raises(ValueError, match=r"frontier range \[.*None.*\] is invalid"):
        _one(_entry("a", families={"f": bad}), _entry("a"))


def test_the_named_range_is_cut_at_sixty_characters():
    bad = [1.0, 0.5, "x" * 80]
    with pytest.raises(ValueError) as info:
        _one(_entry("a", families={"f": [bad]}), _entry("a"))
    assert str(info.value) == (f"entry 'a', family 'f': frontier range {str(bad)[:60]} is invalid; "
                               "accepted: [lo, hi], numbers with lo <= hi")


def test_a_small_growth_reads_grew():
    grew = _one(_entry("a", families={"f": [[1.0, 5.0]]}), _entry("a", families={"f": [[1.0, 5.5]]}))
    assert format_text(grew).splitlines()[0] == \
        "frontier: a [f] holds on [1, 5] -> [1, 5.5] (grew: size 4 -> 4.5 in κ, +0.5)"


def test_the_matching_tolerance_is_relative_to_the_larger_end_on_either_side():
    same = _one(_entry("a", families={"f": [[1.0, 32.0]]}), _entry("a", families={"f": [[1.0, 31.0]]}),
                frontier_tol=0.0625)
    assert same.frontiers == []          # |32 − 31| = 1 == 32/32, the old end the larger


def test_ends_near_zero_match_within_the_floor():
    """Below 1e-12 the tolerance is taken of the floor: 0 and 1e-14 match (1e-14 <= 0.05 × 1e-12)."""
    assert _one(_entry("a", families={"f": [[0.0, 1.0]]}), _entry("a", families={"f": [[1e-14, 1.0]]})).frontiers \
        == []


def test_a_matching_family_does_not_end_the_comparison():
    d = _one(_entry("a", families={"f": [[1.0, 5.0]], "g": [[1.0, 5.0]]}),
             _entry("a", families={"f": [[1.0, 5.0]], "g": [[1.0, 2.0]]}))
    assert [f["family"] for f in d.frontiers] == ["g"]


def test_a_frontier_smaller_than_one_can_vanish_and_shrink():
    gone = _one(_entry("a", families={"f": [[1.0, 1.5]]}), _entry("a", families={"f": []}))
    assert gone.frontiers[0]["vanished"] is True and gone.frontiers[0]["regression"] is True
    assert shrank(0.5, 0.25, 0.1)


def test_only_added_or_only_removed_entries_are_changes():
    assert format_text(Diff(added=["x"])) == "added: x\n0 regression(s) (a frontier losing more than 10% of its " \
                                             "size counts as one)"
    assert format_text(Diff(removed=["y"])).splitlines()[0] == "removed: y"


def test_every_warning_is_its_own_paragraph():
    fragment = format_fragment(Diff(warnings=["w1", "w2"]), "o", "n")
    assert fragment.startswith('<p class="warning" role="alert"><strong>Not like for like:</strong> w1</p>'
                               '<p class="warning" role="alert"><strong>Not like for like:</strong> w2</p><p>')
