"""Render the report page (Jinja2, autoescaped) from a results document and figure files."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jinja2

from lrbias._version import __version__
from lrbias.report.audit import audit_view
from lrbias.report.failures import failure_views
from lrbias.report.mathml import latex_to_mathml, sympy_to_mathml
from lrbias.report.numbers import format_ranges
from lrbias.report.overview import (
    boundary_text,
    claims_for_figure,
    evidence_tier,
    figures_for,
    overview_rows,
    reproduce_command,
    variants_of,
)
from lrbias.serial import format_number

VERDICTS = ("pass", "fail", "inconclusive")


@dataclass(frozen=True)
class FigureRef:
    """A figure file written next to index.html: relative path, alt text, caption, pixel size."""

    name: str
    src: str
    alt: str
    caption: str
    width: int
    height: int


def anchor(entry_id: str) -> str:
    """An HTML id for a catalogue entry."""
    return "claim-" + re.sub(r"[^A-Za-z0-9_-]", "-", entry_id)


def _frontier_view(frontier: dict | None) -> dict | None:
    if not frontier:
        return None
    families = {}
    for spec, info in frontier["families"].items():
        holds = info.get("holds_on") or []
        families[spec] = {
            "holds_text": format_ranges(holds) if holds else "nowhere in range",
            "boundary_text": boundary_text(info),
            "points_text": ", ".join(f"{k:.3g}: {v}" for k, v, _ in info.get("points", [])),
        }
    return {"parameter": frontier.get("parameter", "kappa"), "families": families}


def _entry_view(entry: dict, doc: dict, available: set[str]) -> dict:
    view = dict(entry)
    view["anchor"] = anchor(entry["id"])
    view["reproduce"] = reproduce_command(entry, doc.get("profile", "default"), variants_of(doc.get("command", "")))
    view["tier"], view["tier_how"] = evidence_tier(entry)
    view["figures"] = figures_for(entry, available)
    view["mathml"] = latex_to_mathml(entry.get("latex") or "", display=True) if entry.get("latex") else ""
    view["worst_margin_text"] = format_number(entry.get("worst_margin"),
                                              none="none measured (every case at infinite margin or undecided)")
    view["frontier"] = _frontier_view(entry.get("frontier"))
    view["audit"] = audit_view(entry)
    view["cache"] = cache_text(((doc.get("extras") or {}).get("cache") or {}).get("scopes", {}).get(entry["id"]))
    view.setdefault("notes", [])
    view.setdefault("coverage", [])
    return view


def family_rows(specs: list[str]) -> list[dict]:
    """Rows of the families table: spec, ℓ(s) in MathML, ℓ″(1), dor, smoothness."""
    from lrbias.losses.families import get_family
    from lrbias.losses.regularity import degree_of_regularity
    from lrbias.losses.symbolic import to_elementary

    rows = []
    for spec in specs:
        fam = get_family(spec)
        dor = degree_of_regularity(fam)
        rows.append({"spec": fam.spec, "mathml": sympy_to_mathml(to_elementary(fam.display_expr)),
                     "curvature": f"{fam.curvature:.6g}", "dor": dor.exact or f"{dor.value:.4g} ± {dor.error:.2g}",
                     "smoothness": fam.smoothness})
    return rows


def nn_rows(nn: dict | None) -> list[dict]:
    """Rows of the neural-network table (one per grid and learning rate) from the report's NN extras."""
    rows = []
    for grid, runs in ((nn or {}).get("grids") or {}).items():
        for run in runs:
            s = run.get("summary") or {}

            def num(key: str, s: dict = s) -> str:
                return format_number(s.get(key), none="–")

            m = run.get("lr_multiple")
            lr = format_number(run.get("lr"), none="–") + (f" ({format_number(m)}·2/S0)" if m is not None else "")
            rows.append({"grid": grid, "lr": lr, "placement": run.get("placement") or "fixed multiple",
                         "outcome": s.get("outcome", "–"), "steps": s.get("steps_run", "–"),
                         "sharpness": num("sharpness_final"), "two_over_lr": num("two_over_lr"),
                         "ratio": format_number(run.get("tail_ratio", s.get("ratio_final")), none="–"),
                         "catapult": num("loss_max_over_start"),
                         "gap": f"{num('norm_gap_start')} → {num('norm_gap_final')}"})
    return rows


KIND_NAMES = {"sweep": "float64 sweep", "nn-grid": "NN grid", "entry": "entry record", "figure": "figure"}


def cache_text(scope: dict | None) -> str:
    """'3 of 5 results from the disk cache (2 of 4 float64 sweeps, 1 of 1 NN grid)', or '' when none was looked up."""
    if not scope or not (scope.get("hits", 0) + scope.get("computed", 0)):
        return ""
    kinds = scope.get("kinds") or {}
    parts = [f"{k['hits']} of {k['hits'] + k['computed']} {KIND_NAMES.get(name, name)}s"
             for name, k in kinds.items()]
    total = scope["hits"] + scope["computed"]
    return f"{scope['hits']} of {total} results from the disk cache" + (f" ({', '.join(parts)})" if parts else "")


def render(doc: dict, figures: list[FigureRef], families: list[dict] | None = None,
           nn: list[dict] | None = None) -> str:
    """The full HTML page as text; ``nn``: rows from :func:`nn_rows` (no NN section when empty)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("lrbias.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.get_template("report.html.j2")
    available = {f.name for f in figures}
    anchors = {e["id"]: anchor(e["id"]) for e in doc["entries"]}
    figure_claims = {f.name: [(i, anchors[i]) for i in claims_for_figure(f.name, doc["entries"])] for f in figures}
    extras = doc.get("extras") or {}
    rows = overview_rows(doc, anchors, available)
    return template.render(doc=doc, summary=doc["summary"], verdicts=VERDICTS, version=__version__,
                           entries=[_entry_view(e, doc, available) for e in doc["entries"]], figures=figures,
                           families=families or [], nn=nn or [],
                           overview=rows, show_starts=any(r["starts"] != "–" for r in rows),
                           failures=failure_views(doc, anchors),
                           figure_claims=figure_claims, git=(doc.get("environment") or {}).get("git"),
                           comparison=comparison_html(extras.get("comparison")),
                           cache=extras.get("cache"),
                           cache_extras=cache_text(((extras.get("cache") or {}).get("scopes") or {}).get("extras")))


def comparison_html(comparison: dict | None) -> str:
    """The embedded diff against an older run (``extras.comparison``), as trusted HTML, or ''."""
    if not comparison:
        return ""
    from dataclasses import fields

    from lrbias.report.diff import Diff, format_fragment

    d = Diff(**{f.name: comparison["diff"][f.name] for f in fields(Diff) if f.name in comparison["diff"]})
    return format_fragment(d, comparison["old"], "this run")
