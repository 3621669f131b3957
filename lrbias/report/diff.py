"""``lrbias diff OLD.json NEW.json``: what changed between two catalogue runs.

Verdict flips (a *regression* is pass → fail/inconclusive or inconclusive → fail), margin
changes beyond noise (relative change above ``rel_noise`` and absolute above ``abs_noise``),
frontier moves (a family's holding range changed), and entries added or removed.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lrbias.serial import json_number

RANK = {"pass": 2, "inconclusive": 1, "fail": 0}


@dataclass
class Diff:
    """The changes from an old to a new results document."""

    flips: list[dict] = field(default_factory=list)
    margins: list[dict] = field(default_factory=list)
    frontiers: list[dict] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[dict]:
        """Flips to a worse verdict."""
        return [f for f in self.flips if f["regression"]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary, with the regressions listed."""
        return {**asdict(self), "regressions": self.regressions}


def _holding(entry: dict) -> dict[str, list]:
    frontier = entry.get("frontier") or {}
    return {fam: info.get("holds_on") or [] for fam, info in (frontier.get("families") or {}).items()}


def diff_documents(old: dict, new: dict, rel_noise: float = 0.1, abs_noise: float = 1e-9,
                   frontier_tol: float = 0.05) -> Diff:
    """Compare entries by id."""
    result = Diff()
    old_by = {e["id"]: e for e in old["entries"]}
    new_by = {e["id"]: e for e in new["entries"]}
    result.added = sorted(set(new_by) - set(old_by))
    result.removed = sorted(set(old_by) - set(new_by))
    for eid in [i for i in new_by if i in old_by]:
        a, b = old_by[eid], new_by[eid]
        if a["verdict"] != b["verdict"]:
            result.flips.append({"id": eid, "provenance": b["provenance"], "old": a["verdict"],
                                 "new": b["verdict"], "regression": RANK[b["verdict"]] < RANK[a["verdict"]]})
        ma, mb = json_number(a.get("worst_margin")), json_number(b.get("worst_margin"))
        if ma is not None and mb is not None and math.isfinite(ma) and math.isfinite(mb):
            change = mb - ma
            if abs(change) > abs_noise and abs(change) > rel_noise * max(abs(ma), abs(mb)):
                result.margins.append({"id": eid, "old": ma, "new": mb, "change": change})
        ha, hb = _holding(a), _holding(b)
        for fam in sorted(set(ha) | set(hb)):
            ra, rb = ha.get(fam), hb.get(fam)
            if ra is None or rb is None or not _same_ranges(ra, rb, frontier_tol):
                result.frontiers.append({"id": eid, "family": fam, "old": ra, "new": rb})
    return result


def _same_ranges(a: list, b: list, tol: float) -> bool:
    if len(a) != len(b):
        return False
    return all(abs(x - y) <= tol * max(abs(x), abs(y), 1e-12) for ra, rb in zip(a, b, strict=True)
               for x, y in zip(ra, rb, strict=True))


def format_text(d: Diff) -> str:
    """Plain-text account of a diff."""
    lines = []
    if not (d.flips or d.margins or d.frontiers or d.added or d.removed):
        return "no changes"
    for f in d.flips:
        tag = "REGRESSION" if f["regression"] else "improvement"
        lines.append(f"{tag}: {f['id']} ({f['provenance']}) {f['old']} -> {f['new']}")
    for m in d.margins:
        lines.append(f"margin: {m['id']} {m['old']:.4g} -> {m['new']:.4g} ({m['change']:+.3g})")
    for f in d.frontiers:
        lines.append(f"frontier: {f['id']} [{f['family']}] holds on {f['old']} -> {f['new']}")
    lines += [f"added: {i}" for i in d.added] + [f"removed: {i}" for i in d.removed]
    lines.append(f"{len(d.regressions)} regression(s)")
    return "\n".join(lines)


def format_html(d: Diff, old_name: str, new_name: str) -> str:
    """A standalone HTML page of a diff."""
    esc = html.escape
    rows = []
    for f in d.flips:
        cls = "fail" if f["regression"] else "pass"
        rows.append(f'<tr class="{cls}"><td>{"regression" if f["regression"] else "improvement"}</td>'
                    f"<td><code>{esc(f['id'])}</code></td><td>{esc(f['old'])} → {esc(f['new'])}</td></tr>")
    for m in d.margins:
        rows.append(f"<tr><td>margin</td><td><code>{esc(m['id'])}</code></td>"
                    f"<td>{m['old']:.4g} → {m['new']:.4g}</td></tr>")
    for f in d.frontiers:
        rows.append(f"<tr><td>frontier</td><td><code>{esc(f['id'])}</code> {esc(f['family'])}</td>"
                    f"<td>{esc(str(f['old']))} → {esc(str(f['new']))}</td></tr>")
    rows += [f"<tr><td>added</td><td><code>{esc(i)}</code></td><td></td></tr>" for i in d.added]
    rows += [f"<tr><td>removed</td><td><code>{esc(i)}</code></td><td></td></tr>" for i in d.removed]
    body = "".join(rows) or '<tr><td colspan="3">no changes</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lrbias diff</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:auto;padding:1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem}}
tr.fail td:first-child{{color:#cf222e;font-weight:600}}tr.pass td:first-child{{color:#1a7f37}}</style>
</head><body><h1>lrbias diff</h1><p><code>{esc(old_name)}</code> → <code>{esc(new_name)}</code>:
{len(d.regressions)} regression(s).</p>
<table><thead><tr><th>change</th><th>entry</th><th>old → new</th></tr></thead><tbody>{body}</tbody></table>
</body></html>
"""
