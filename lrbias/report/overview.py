"""The top of the page: one row per claim answering "does it hold, how sure are we, and where".

Read from the results document alone, defensively: a start distribution, an evidence tier or a
certificate appear when the entry records them (older documents do not), and the tier is
otherwise derived from what the record shows (a failure confirmed at high precision →
*confirmed*; else *float*), with the derivation said.  Failures come first, then inconclusive
verdicts, then passes, each group in run order.
"""

from __future__ import annotations

import shlex
from typing import Any

from lrbias.report.numbers import format_ranges, format_span
from lrbias.serial import format_number

ORDER = {"fail": 0, "inconclusive": 1, "pass": 2}

def figures_for(entry: dict, available: set[str]) -> list[str]:
    """Names of the figures, among ``available``, that illustrate ``entry``: those its record declares
    (``figures``, the entry's declared field; a name ending in ``*`` stands for every figure whose name
    starts with what precedes it, e.g. one heat map per family).  A record without the field (a
    document written before entries declared their figures) links none."""
    found: list[str] = []
    for name in entry.get("figures") or ():
        if name.endswith("*"):
            found += sorted(f for f in available if f.startswith(name[:-1]) and f not in found)
        elif name in available and name not in found:
            found.append(name)
    return found


def claims_for_figure(name: str, entries: list[dict]) -> list[str]:
    """Ids of the entries a figure illustrates, in run order."""
    return [e["id"] for e in entries if name in figures_for(e, {name})]


def start_distribution(entry: dict) -> str:
    """The start distribution the entry recorded (any of the forms a results document may hold), or '–'."""
    for key in ("start_distribution", "starts", "distribution"):
        value = entry.get(key)
        if value:
            break
    else:
        return "–"
    if isinstance(value, dict):
        for key in ("label", "name", "description", "text"):
            if value.get(key):
                return str(value[key])
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def evidence_tier(entry: dict) -> tuple[str, str]:
    """(tier, how it was read): float / quad / confirmed / certified.

    An explicit ``tier`` (or ``evidence_tier``) in the record wins; a recorded certificate that
    holds means *certified*; a counterexample confirmed at high precision means *confirmed*.
    """
    for key in ("tier", "evidence_tier"):
        value = entry.get(key)
        how = "recorded"
        if isinstance(value, dict):
            how = str(value.get("how") or how)
            value = value.get("name") or value.get("tier")
        if value:
            return str(value), how
    cert = entry.get("certificate")
    if isinstance(cert, dict) and cert.get("verdict") in ("pass", "certified", "proved", True):
        return "certified", "recorded certificate"
    ce = entry.get("counterexample") or {}
    if ce.get("confirmed") is True:
        return "confirmed", "counterexample re-decided at high precision"
    return "float", "no higher tier recorded"


def where_it_holds(entry: dict) -> list[tuple[str, str]]:
    """(families, κ ranges) of the entry's frontier, compact: families holding on the same ranges share
    a line ('softplus-pair:a=0.25, logcosh' → '[3.06, 18]'); [] when the entry has no frontier."""
    frontier = entry.get("frontier") or {}
    grouped: dict[str, list[str]] = {}
    for fam, info in (frontier.get("families") or {}).items():
        grouped.setdefault(format_ranges(info.get("holds_on") or []), []).append(fam)
    return [(", ".join(fams), ranges) for ranges, fams in grouped.items()]


def boundary_text(info: dict) -> str:
    """'3.01–3.02 (pass→fail); …' for a family's frontier, ends kept apart, or 'no transition in range'."""
    return "; ".join(f"{format_span(b['between'][0], b['between'][1])} ({b['from']}→{b['to']})"
                     for b in info.get("boundaries", [])) or "no transition in range"


def reason(entry: dict, known: dict[str, str]) -> str:
    """The one-line reason of a verdict that is not a pass ('' for a pass)."""
    if entry["verdict"] == "pass":
        return ""
    if entry["id"] in known:
        return f"known finding: {known[entry['id']]}"
    ce = entry.get("counterexample")
    notes = entry.get("notes") or []
    if ce:
        head = f"counterexample with margin {format_number(ce.get('margin'), 3)}"
        confirmed = {True: "confirmed at high precision", False: "not confirmed at high precision"}.get(
            ce.get("confirmed"), "no high-precision confirmation")
        return f"{head} ({confirmed})" + (f"; {notes[0]}" if notes else "")
    if notes:
        return str(notes[0])
    return f"{entry.get('inconclusive', 0)} of {entry.get('examples', 0)} cases undecided"


def reproduce_command(entry: dict, profile: str, variants: list[str] | None = None) -> str:
    """``lrbias check ID --profile P --seed S`` (the entry's own seed), which re-runs this claim alone."""
    words = ["lrbias", "check", entry["id"], "--profile", profile, "--seed", str(entry.get("seed", 0))]
    for v in variants or []:
        words += ["--variants", v]
    return " ".join(shlex.quote(w) for w in words)


def variants_of(command: str) -> list[str]:
    """The ``--variants FILE`` arguments of the run's command line (a variant's claims need its file)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return []
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--variants"]


def overview_rows(doc: dict, anchors: dict[str, str], available: set[str]) -> list[dict[str, Any]]:
    """One row per entry, failures first: what the overview table shows and links to."""
    known = (doc.get("extras") or {}).get("known_findings") or {}
    rows = []
    for i, e in enumerate(doc["entries"]):
        tier, tier_how = evidence_tier(e)
        rows.append({"id": e["id"], "anchor": anchors[e["id"]], "title": e.get("title", ""),
                     "provenance": e["provenance"], "verdict": e["verdict"], "order": i,
                     "starts": start_distribution(e), "tier": tier, "tier_how": tier_how,
                     "holds": where_it_holds(e), "reason": reason(e, known),
                     "figures": figures_for(e, available)})
    rows.sort(key=lambda r: (ORDER.get(r["verdict"], 3), r["order"]))
    return rows
