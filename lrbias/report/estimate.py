"""How long ``lrbias report`` will take, per section, estimated from a recorded measurement.

The measurement (``timings.json`` next to this module) is the wall time of each entry (its
frontier scan included), of the extras (phase diagram, NN series) and of the figures and page in
one real run per profile, written by ``python benchmarks/report_timings.py``, with the machine
and its load at the time.  An estimate is only that: the machine, its load and the library
versions change it; entries or profiles without a measurement are said to have none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

SECTIONS_LABEL = {"extras_s": "phase diagram and NN series", "figures_s": "figures and page"}


def recorded() -> dict[str, Any]:
    """The recorded measurement ({} when there is none)."""
    try:
        text = resources.files("lrbias.report").joinpath("timings.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def estimate(entry_ids: Sequence[str], profile: str, record: dict[str, Any] | None = None
             ) -> tuple[list[tuple[str, float]], list[str], dict[str, Any]]:
    """(section, seconds) per group of entries and per later section; ids without a measurement; meta.

    Empty sections when the profile has no measurement.
    """
    record = recorded() if record is None else record
    measured = (record.get("profiles") or {}).get(profile)
    if not measured:
        return [], list(entry_ids), record.get("meta") or {}
    per_entry = measured.get("entries") or {}
    groups: dict[str, float] = {}
    missing = []
    for eid in entry_ids:
        if eid in per_entry:
            group = eid.split(".", 1)[0]
            groups[group] = groups.get(group, 0.0) + float(per_entry[eid])
        else:
            missing.append(eid)
    sections = [(f"claims: {g}", s) for g, s in groups.items()]
    sections += [(SECTIONS_LABEL[k], float(measured[k])) for k in SECTIONS_LABEL if k in measured]
    return sections, missing, {**(record.get("meta") or {}), **(measured.get("meta") or {})}


def describe_estimate(entry_ids: Sequence[str], profile: str, record: dict[str, Any] | None = None) -> str:
    """The lines ``lrbias report`` prints before it starts."""
    sections, missing, meta = estimate(entry_ids, profile, record)
    if not sections:
        return f"expected duration: no recorded measurement for profile {profile!r} (estimates exist for: " \
               + (", ".join(sorted((record or recorded()).get("profiles") or {})) or "none") + ")"
    total = sum(s for _, s in sections)
    where = meta.get("machine", "an unnamed machine")
    lines = [f"expected duration (ESTIMATE from one recorded run on {where}; load and machine change it):"]
    lines += [f"  {name:<34} {_duration(s)}" for name, s in sections]
    if missing:
        lines.append(f"  {len(missing)} entr{'y' if len(missing) == 1 else 'ies'} without a measurement: "
                     + ", ".join(missing[:4]) + (", ..." if len(missing) > 4 else ""))
    lines.append(f"  {'total':<34} {_duration(total)}")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "<1 s"
    if seconds < 90:
        return f"~{seconds:.0f} s"
    return f"~{seconds / 60:.1f} min"
