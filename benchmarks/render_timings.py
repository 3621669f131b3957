"""Write the recorded timing figures into README.md and docs/*.md, between markers.

    python benchmarks/render_timings.py            # rewrite the figures from benchmarks/recordings/
    python benchmarks/render_timings.py --check    # exit 1 if a figure differs from its recording

Markers (HTML comments, invisible on the page):

* ``<!-- timing:NAME -->…<!-- /timing -->``: the full figure of recording NAME (wall and CPU
  time, peak memory, machine, load before and after, date and commit);
* ``<!-- timing:NAME:FIELD -->…<!-- /timing -->`` with FIELD ``wall``, ``cpu``, ``memory``,
  ``machine``, ``load``, ``date`` or ``command``: that part alone;
* ``<!-- timing-output:NAME -->…<!-- /timing-output -->``: the recorded command, its figures
  and the last lines of its output (a benchmark's table) in a code block.

Recordings are written by ``benchmarks/record_timing.py NAME -- CMD ...``.  A marker naming no
recording is an error, so no figure can stand in the docs without a recorded run behind it.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "benchmarks" / "recordings"
FIELDS = ("wall", "cpu", "memory", "machine", "load", "date", "command")
INLINE = re.compile(r"<!-- timing:(?P<name>[a-z0-9][a-z0-9._-]*?)(?::(?P<field>[a-z]+))? -->"
                    r"(?P<body>.*?)<!-- /timing -->", re.S)
BLOCK = re.compile(r"<!-- timing-output:(?P<name>[a-z0-9][a-z0-9._-]*) -->(?P<body>.*?)<!-- /timing-output -->", re.S)
ANY_OPEN = re.compile(r"<!-- timing(?:-output)?:")
OUTPUT_LINES = 60  # at most this many of the recorded output's last lines appear in a page


class RenderError(Exception):
    """A marker that cannot be rendered (no such recording, unknown field, unclosed marker)."""


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md and every markdown page under docs/."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def load(name: str, recordings: Path = RECORDINGS) -> dict:
    path = recordings / f"{name}.json"
    if not path.is_file():
        raise RenderError(f"marker names recording {name!r}, but {path.relative_to(ROOT)} does not exist "
                          f"(record it: python benchmarks/record_timing.py {name} -- CMD ...)")
    return json.loads(path.read_text(encoding="utf-8"))


def duration(seconds: float) -> str:
    """12.3 s, 42 s, 4 min 27 s, 1 h 05 min."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def memory(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def machine(rec: dict) -> str:
    m = rec["machine"]
    return f"{m['cores']} cores, {m['cpu_model']}, {m['memory_gib']} GiB"


def loadavg(rec: dict) -> str:
    before, after = rec.get("load_before"), rec.get("load_after")
    if not before or not after:
        return "load not recorded"
    during = rec.get("load_during")
    if during:
        return f"1-min load {before[0]:.1f} before, {during['mean']:.1f} on average during, {after[0]:.1f} after"
    return f"1-min load {before[0]:.1f} before, {after[0]:.1f} after"


def date(rec: dict) -> str:
    commit = (rec.get("git_commit") or "unknown")[:7] + (" + local changes" if rec.get("git_dirty") else "")
    return f"{rec['date'][:10]}, commit {commit}"


def figure(rec: dict, field: str | None = None) -> str:
    parts = {
        "wall": duration(rec["wall_s"]),
        "cpu": duration(rec["cpu_s"]),
        "memory": memory(rec["peak_rss_mib"]),
        "machine": machine(rec),
        "load": loadavg(rec),
        "date": date(rec),
        "command": f"`{command_text(rec)}`",
    }
    if field is not None:
        if field not in parts:
            raise RenderError(f"timing field {field!r} is unknown; accepted: {', '.join(FIELDS)}")
        return parts[field]
    return (f"{parts['wall']} wall, {parts['cpu']} CPU, {parts['memory']} peak memory for {parts['command']} "
            f"(recorded on {parts['machine']}, {parts['load']}; {parts['date']})")


def command_text(rec: dict) -> str:
    """The recorded command, absolute paths shortened to their last part (no machine's paths in a page)."""
    args = list(rec["command"])
    short = {i: f"…/{Path(a).name}" for i, a in enumerate(args) if a.startswith("/") and len(a) > 1}
    text = shlex.join([f"PATH{i}" if i in short else a for i, a in enumerate(args)])
    for i, path in short.items():
        text = re.sub(rf"\bPATH{i}\b", path, text)
    return text


def output_block(rec: dict) -> str:
    lines = rec.get("output_tail", [])[-OUTPUT_LINES:]
    return (f"\n{figure(rec)}.\n\n"
            "```text\n" + "\n".join(lines) + "\n```\n")


def render(text: str, recordings: Path = RECORDINGS) -> str:
    """``text`` with every marker's body replaced by the figure of its recording."""
    def inline(m: re.Match) -> str:
        rec = load(m["name"], recordings)
        field = m["field"]
        return f"<!-- timing:{m['name']}{':' + field if field else ''} -->{figure(rec, field)}<!-- /timing -->"

    def block(m: re.Match) -> str:
        return f"<!-- timing-output:{m['name']} -->{output_block(load(m['name'], recordings))}<!-- /timing-output -->"

    opened = len(ANY_OPEN.findall(text))
    closed = len(INLINE.findall(text)) + len(BLOCK.findall(text))
    if opened != closed:
        raise RenderError(f"{opened - closed} timing marker(s) without their closing <!-- /timing --> "
                          "or <!-- /timing-output -->")
    return INLINE.sub(inline, BLOCK.sub(block, text))


def markers(text: str) -> list[str]:
    """The recording names the markers of ``text`` refer to."""
    return [m["name"] for m in INLINE.finditer(text)] + [m["name"] for m in BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a figure differs from its recording")
    args = parser.parse_args(argv)
    stale = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        try:
            new = render(text)
        except RenderError as exc:
            print(f"{path.relative_to(ROOT)}: {exc}", file=sys.stderr)
            return 1
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print("figures differ from their recordings in: " + ", ".join(map(str, stale))
              + " (run python benchmarks/render_timings.py)", file=sys.stderr)
        return 1
    if not args.check:
        print("updated: " + (", ".join(map(str, stale)) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
