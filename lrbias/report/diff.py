"""``lrbias diff OLD.json NEW.json``: what changed between two catalogue runs.

Verdict flips (a *regression* is pass → fail/inconclusive or inconclusive → fail), margin
changes beyond noise (relative change above ``rel_noise`` and absolute above ``abs_noise``),
frontier moves (a family's holding range changed, with the change of its size in κ), and
entries added or removed.  A frontier that shrinks by more than ``frontier_tol`` of its old
size, or vanishes, is a regression too.  Runs that are not comparable (different profile,
seed, lrbias or library versions) are named in ``warnings``: their differences may come from
the budget or the code, not from the claims.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from lrbias.errors import InvalidArgument
from lrbias.report.numbers import format_ranges, round_sig
from lrbias.serial import json_number

RANK = {"pass": 2, "inconclusive": 1, "fail": 0}
FRONTIER_TOL = 0.1
"""Default share of its size a frontier may lose before the loss counts as a regression."""


@dataclass
class Diff:
    """The changes from an old to a new results document, and why the two may not be comparable."""

    flips: list[dict] = field(default_factory=list)
    margins: list[dict] = field(default_factory=list)
    frontiers: list[dict] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    frontier_tol: float = FRONTIER_TOL

    @property
    def regressions(self) -> list[dict]:
        """Flips to a worse verdict, then frontiers that shrank beyond the tolerance or vanished."""
        return ([f for f in self.flips if f["regression"]]
                + [{**f, "regression": True} for f in self.frontiers if f["regression"]])

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary, with the regressions listed."""
        return {**asdict(self), "regressions": self.regressions}


def _holding(entry: dict) -> dict[str, list]:
    frontier = entry.get("frontier") or {}
    return {fam: _checked_ranges(entry.get("id"), fam, info.get("holds_on") or [])
            for fam, info in (frontier.get("families") or {}).items()}


def _checked_ranges(eid: Any, fam: str, ranges: Any) -> list[list[float]]:
    """``ranges`` as [[lo, hi], ...] floats ("inf" read back as ∞); ValueError naming the entry if one is
    not a pair of numbers with lo <= hi (an inverted range would count as a negative size)."""
    out = []
    for r in ranges if isinstance(ranges, list) else [ranges]:
        try:
            lo, hi = (json_number(v) for v in r)
        except (TypeError, ValueError):
            lo = hi = None
        if lo is None or hi is None or math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise ValueError(f"entry {eid!r}, family {fam!r}: frontier range {str(r)[:60]} is invalid; "
                             "accepted: [lo, hi], numbers with lo <= hi")
        out.append([lo, hi])
    return out


def size(ranges: list | None) -> float:
    """Total length in κ of a list of [lo, hi] ranges (0 for none; ∞ for an unbounded or overflowing one)."""
    return float(sum(hi - lo for lo, hi in ranges or []))


def shrank(old_size: float, new_size: float, tol: float) -> bool:
    """Whether a frontier lost more than ``tol`` of its size: new < (1 − tol) × old, so an unbounded
    (infinite) old frontier that became bounded shrank, and two unbounded ones did not."""
    return old_size > 0 and new_size < (1 - tol) * old_size


def comparability_warnings(old: dict, new: dict) -> list[str]:
    """Why two results documents are not like for like: profile, seed, lrbias or library versions."""
    out = []
    if old.get("profile") != new.get("profile"):
        out.append(f"profiles differ: {old.get('profile')} -> {new.get('profile')} (a smaller budget scans "
                   "fewer starts and κ points: frontiers and verdicts may change for that reason alone)")
    if old.get("seed") != new.get("seed"):
        out.append(f"seeds differ: {old.get('seed')} -> {new.get('seed')}")
    va, vb = _versions(old), _versions(new)
    changed = [f"{k} {va.get(k)} -> {vb.get(k)}" for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)]
    if changed:
        out.append("versions differ: " + ", ".join(changed))
    return out


def _versions(doc: dict) -> dict:
    """``environment.versions`` of a results document; ValueError if present but not an object of names."""
    env = doc.get("environment") or {}
    versions = env.get("versions") if isinstance(env, dict) else env
    if versions is None:
        return {}
    if not isinstance(versions, dict):
        raise ValueError(f"environment.versions is a {type(versions).__name__}; accepted: an object "
                         "{package: version}")
    return versions


def diff_documents(old: dict, new: dict, rel_noise: float = 0.1, abs_noise: float = 1e-9,
                   frontier_tol: float = FRONTIER_TOL) -> Diff:
    """Compare entries by id; ``frontier_tol``: the share of its size a frontier may lose (0 <= tol < 1)."""
    if not 0 <= frontier_tol < 1:
        raise InvalidArgument(f"frontier_tol {frontier_tol} is invalid; accepted: 0 <= tol < 1")
    result = Diff(warnings=comparability_warnings(old, new), frontier_tol=frontier_tol)
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
            if ra is not None and rb is not None and _same_ranges(ra, rb, min(0.05, frontier_tol / 2)):
                continue
            sa, sb = size(ra), size(rb)
            result.frontiers.append({"id": eid, "family": fam, "old": ra, "new": rb, "old_size": sa,
                                     "new_size": sb, "change": sb - sa,
                                     "vanished": sa > 0 and sb == 0,
                                     "regression": shrank(sa, sb, frontier_tol)})
    return result


def _same_ranges(a: list, b: list, tol: float) -> bool:
    """Whether two lists of ranges match end for end within ``tol`` of the larger end (equal ends, ∞ included,
    always match: ∞ − ∞ is NaN, which no tolerance admits)."""
    if len(a) != len(b):
        return False
    return all(x == y or abs(x - y) <= tol * max(abs(x), abs(y), 1e-12) for ra, rb in zip(a, b, strict=True)
               for x, y in zip(ra, rb, strict=True))


def _ranges(r: list | None) -> str:
    return "(no frontier)" if r is None else format_ranges(r)


def _frontier_line(f: dict) -> str:
    what = ("VANISHED" if f["vanished"] else "shrank" if f["change"] < 0 else "grew" if f["change"] > 0
            else "moved")
    return (f"{f['id']} [{f['family']}] holds on {_ranges(f['old'])} -> {_ranges(f['new'])} "
            f"({what}: size {round_sig(f['old_size']):g} -> {round_sig(f['new_size']):g} in κ, "
            f"{round_sig(f['change']):+g})")


def format_text(d: Diff) -> str:
    """Plain-text account of a diff: warnings first, numbers rounded to 4 significant digits."""
    lines = [f"WARNING: {w}" for w in d.warnings]
    if not (d.flips or d.margins or d.frontiers or d.added or d.removed):
        return "\n".join([*lines, "no changes"])
    for f in d.flips:
        tag = "REGRESSION" if f["regression"] else "improvement"
        lines.append(f"{tag}: {f['id']} ({f['provenance']}) {f['old']} -> {f['new']}")
    for m in d.margins:
        lines.append(f"margin: {m['id']} {m['old']:.4g} -> {m['new']:.4g} ({m['change']:+.3g})")
    for f in d.frontiers:
        tag = "REGRESSION: frontier" if f["regression"] else "frontier"
        lines.append(f"{tag}: {_frontier_line(f)}")
    lines += [f"added: {i}" for i in d.added] + [f"removed: {i}" for i in d.removed]
    lines.append(f"{len(d.regressions)} regression(s) (a frontier losing more than {d.frontier_tol:.0%} of its "
                 "size counts as one)" + ("; the runs are NOT like for like, see the warnings above"
                                          if d.warnings else ""))
    return "\n".join(lines)


def format_fragment(d: Diff, old_name: str, new_name: str) -> str:
    """The diff as an HTML fragment (warnings, then one table), for a page of its own or the report."""
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
        cls = ' class="fail"' if f["regression"] else ""
        label = ("regression: frontier vanished" if f["vanished"] else "regression: frontier shrank"
                 if f["regression"] else "frontier")
        rows.append(f"<tr{cls}><td>{label}</td><td><code>{esc(f['id'])}</code> {esc(f['family'])}</td>"
                    f"<td>{esc(_ranges(f['old']))} → {esc(_ranges(f['new']))} (size {round_sig(f['old_size']):g}"
                    f" → {round_sig(f['new_size']):g} in κ)</td></tr>")
    rows += [f"<tr><td>added</td><td><code>{esc(i)}</code></td><td></td></tr>" for i in d.added]
    rows += [f"<tr><td>removed</td><td><code>{esc(i)}</code></td><td></td></tr>" for i in d.removed]
    body = "".join(rows) or '<tr><td colspan="3">no changes</td></tr>'
    warnings = "".join(f'<p class="warning" role="alert"><strong>Not like for like:</strong> {esc(w)}</p>'
                       for w in d.warnings)
    return (f"{warnings}<p><code>{esc(old_name)}</code> → <code>{esc(new_name)}</code>: "
            f"<strong>{len(d.regressions)} regression(s)</strong> (a frontier losing more than "
            f"{d.frontier_tol:.0%} of its size counts as one).</p>"
            f'<table aria-label="changes"><thead><tr><th>change</th><th>entry</th><th>old → new</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def format_html(d: Diff, old_name: str, new_name: str) -> str:
    """A standalone HTML page of a diff."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lrbias diff</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:auto;padding:1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem}}
.warning{{background:#fff8c5;border:2px solid #9a6700;padding:.5rem .8rem}}
tr.fail td:first-child{{color:#cf222e;font-weight:600}}tr.pass td:first-child{{color:#1a7f37}}</style>
</head><body><h1>lrbias diff</h1>{format_fragment(d, old_name, new_name)}
</body></html>
"""
