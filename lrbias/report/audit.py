"""The audit part of a claim's report section: evidence strength, its rival, what would make it
fail, and its validity frontier per start distribution (rendered by templates/audit.html.j2)."""

from __future__ import annotations

from typing import Any

from lrbias.claims.frontier import merge_ranges
from lrbias.claims.nn import deciding_text
from lrbias.serial import format_number

__all__ = ["audit_view"]


def _frontiers_by_starts(frontier: dict | None) -> list[dict[str, Any]]:
    if not frontier or not frontier.get("by_starts"):
        return []
    rows = []
    for starts, families in frontier["by_starts"].items():
        for spec, info in families.items():
            holds = info.get("holds_on") or []
            rows.append({"starts": starts, "family": spec,
                         "holds_text": merge_ranges(holds) if holds else "nowhere in range",
                         "boundary_text": "; ".join(f"{b['between'][0]:.3g}–{b['between'][1]:.3g}"
                                                    for b in info.get("boundaries", [])) or "none in range"})
    return rows


def _figures_view(figures: dict | None) -> dict | None:
    """A budget row's figures with the margin as text (JSON writes an infinite margin as "-inf")."""
    return None if figures is None else {**figures, "margin_text": format_number(figures.get("margin"), 3)}


def _rival_view(rival: dict | None) -> dict | None:
    """The rival record plus how its counterexample reads: the deciding runs (NN rivals) or the case, and the
    confirmation's own account of its tier (float64 re-training, quad/mpmath coverage) where it gives one."""
    if not rival or not rival.get("counterexample"):
        return rival
    ce = rival["counterexample"]
    deciding = (ce.get("detail") or {}).get("deciding")
    case = deciding_text(deciding) if deciding else str(ce.get("case"))
    how = (ce.get("confirmation") or {}).get("confirmation") or "at high precision"
    return {**rival, "case_text": case, "confirmed_how": how, "tier_text": tier_text(ce.get("certificate"))}


def tier_text(cert: dict | None) -> str:
    """'certified (how)' or '<tier>: <reason>' for a counterexample's certificate record ('' without one)."""
    if not cert:
        return ""
    if cert.get("tier") == "certified":
        return f"certified ({cert.get('how', '')})"
    return f"{cert.get('tier')}: {cert.get('reason', '')}"


def audit_view(entry: dict) -> dict[str, Any]:
    """What the template shows under a claim: evidence rows, rival, fails_if, frontier per start distribution."""
    ev = entry.get("evidence") or {}
    rows = []
    if ev:
        weak = ev.get("weakly_tested")
        near = ev.get("near")
        rows.append(("closest margin reached", format_number(ev.get("closest_margin"), none="none")
                     + ("" if weak is None else " (weakly tested: never within "
                        f"{near:g} of failing)" if weak else f" (came within {near:g} of failing)")))
        if ev.get("runs"):
            rows.append(("GD runs behind the statistics", f"{ev['runs']} ({ev.get('runs_per_case')} per case), "
                         f"{format_number(ev.get('undecided_share'), 3)} of them undecided"))
        if ev.get("starts"):
            rows.append(("start distribution", ev["starts"]))
        if ev.get("budget_stable") is not None:
            rows.append(("same verdict at 4× the step budget", "yes" if ev["budget_stable"] else
                         "no: inconclusive (budget-sensitive)"))
    budget = entry.get("budget") or {}
    budget_rows = [{"case": str(c["case"]), "at_budget": _figures_view(c["at_budget"]),
                    "at_larger": _figures_view(c["at_larger"])} for c in budget.get("cases", [])]
    return {"rows": rows, "rival": _rival_view(entry.get("rival")), "fails_if": entry.get("fails_if") or "",
            "budget_rows": budget_rows, "budget_factor": budget.get("factor"),
            "frontiers": _frontiers_by_starts(entry.get("frontier"))}
