"""The one path from "run the catalogue" to "results on disk", shared by every front end.

``lrbias report`` calls :func:`run_report`; ``pytest --lrbias-report DIR`` collects the same
result records (:func:`lrbias.claims.session.entry_record`, frontier included) while the catalogue tests run and calls
:func:`report_from_results`; ``lrbias check`` calls :func:`run_check`.  So on the same profile
and seed every front end writes the same verdicts, frontiers, extras and figures.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shlex
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lrbias.claims.profiles import Profile
from lrbias.outputs import check_file_target, check_report_folder
from lrbias.report.build import build_report

if TYPE_CHECKING:
    from lrbias.claims.entry import Entry
    from lrbias.claims.group import Group
    from lrbias.report.progress import Bar

Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]

__all__ = ["CatalogueRun", "command_line", "compare_with", "frontier_mapper", "known_findings", "nn_extras",
           "report_extras",
           "report_from_results", "run_check", "run_report", "run_selection", "select_entries"]


@dataclass(frozen=True)
class CatalogueRun:
    """The result records of one run (in run order), its wall time, and what was written (if anything)."""

    results: list[dict]
    elapsed_s: float
    written: Path | None = None
    timings: dict[str, Any] | None = None
    comparison: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """Number of entries per verdict."""
        return {v: sum(r["verdict"] == v for r in self.results) for v in ("pass", "fail", "inconclusive")}


def command_line(argv: Sequence[str], program: str = "lrbias") -> str:
    """The one-line command that reproduces a run."""
    return " ".join([program, *(shlex.quote(a) for a in argv)])


@contextlib.contextmanager
def frontier_mapper(scheduler: str | None = None, workers: int | None = None) -> Iterator[Mapper | None]:
    """None (serial), or a mapper running frontier scans on Dask (a scheduler address or N local workers)."""
    if scheduler is None and workers is None:
        yield None
        return
    from lrbias.gd.scaleout import check_executor, dask_client, map_on

    check_executor(scheduler, workers)
    with dask_client(scheduler, workers) as client:
        yield lambda fn, items: map_on(client, fn, items)


def select_entries(ids: Sequence[str] = (), include_nn: bool = True, variants: Sequence[str] = (),
                   starts: str | None = None, groups: Sequence[Group] | None = None) -> list[Entry]:
    """The catalogue entries matching ``ids`` (all when empty), variant files' entries included,
    rebuilt for the start distribution ``starts`` when one is named.  ``groups``: the catalogue's
    groups when already loaded (:func:`lrbias.claims.catalogue.load_groups`)."""
    from lrbias.claims.catalogue import load_groups, select, with_starts

    if groups is None:
        groups = load_groups(include_nn=include_nn, variants=tuple(variants))
    return with_starts(select([e for g in groups for e in g.entries], ids), starts)


def run_selection(entries: Sequence[Entry], profile: Profile, seed: int = 0, *, database: Path | None = None,
                  scheduler: str | None = None, workers: int | None = None,
                  progress: TextIO | None = None, bar: Bar | None = None) -> CatalogueRun:
    """Run ``entries`` with their validity frontiers (scanned on Dask when asked); nothing is written.

    ``bar``: a progress bar (:mod:`lrbias.report.progress`) advanced once per entry."""
    from lrbias.claims.session import run_selection as run

    walls: dict[str, float] = {}
    last = [time.perf_counter()]

    def timed(record: dict) -> None:  # wall time per entry, its frontier scan included
        now = time.perf_counter()
        walls[record["id"]] = round(now - last[0], 3)
        last[0] = now
        if bar is not None:
            bar.advance(record["id"])

    with frontier_mapper(scheduler, workers) as mapper:
        results, elapsed = run(entries, profile, seed=seed, database=database, progress=progress, mapper=mapper,
                               on_result=timed)
    return CatalogueRun(results, elapsed, timings={"entries": walls})


def nn_extras(entry_ids: Iterable[str]) -> dict | None:
    """The series of the NN grids behind the NN claims among ``entry_ids``, for the NN figure and table.

    The grids come from the per-process cache the NN entries trained them into
    (:func:`lrbias.claims.nn.trained_grid`), so nothing is trained twice; None when no NN claim ran.
    """
    from lrbias.claims.nn import catalogue_claims, grid_results

    ran = set(entry_ids)
    names = sorted({g.name for c in catalogue_claims() if c.id in ran for g in c.grids})
    if not names:
        return None
    from lrbias.nn.bracket import placement_text
    from lrbias.nn.phenomena import tail_ratio

    grids = {name: [{"lr": r.lr, "lr_multiple": r.meta.get("lr_multiple"), "summary": r.summary(),
                     "placement": placement_text(r.meta),
                     "tail_ratio": tail_ratio(r), "sharpness_steps": r.sharpness_steps,
                     "top_sharpness": r.top_sharpness, "lanczos_residual": r.meta.get("lanczos_residual"),
                     "loss": r.history["loss"]} for r in grid_results(name)]
             for name in names}
    datasets = sorted({name.rpartition("@")[2] for name in names if "@" in name})
    configs = {g.name: g.base for c in catalogue_claims() for g in c.grids if g.name in grids}
    return {"datasets": datasets, "grids": grids, "titles": {n: grid_title(c) for n, c in configs.items()}}


def grid_title(config: Any) -> str:
    """A human title of an NN grid's configuration ('relu³ + BatchNorm, MSE'), for figures and tables."""
    act = {"relu": "ReLU", "tanh": "tanh", "cubic": "relu³"}.get(config.activation, config.activation)
    loss = {"mse": "MSE", "huber": "Huber"}.get(config.loss, config.loss)
    norm = " + BatchNorm" if config.norm == "bn" else ""
    start = ""
    if config.init_norms:
        start = f", unbalanced start (‖W1‖, ‖W2‖) = ({config.init_norms[0]:g}, {config.init_norms[1]:g})"
    return f"{act}{norm}, {loss}{start}"


def known_findings(entry_ids: Iterable[str], results: Sequence[dict] = (),
                   groups: Sequence[Group] | None = None) -> dict[str, str]:
    """The known-finding texts of the entries that ran: each group's declared ``known_findings`` (default:
    the installed catalogue's groups) and each record's ``known_finding`` (an entry's declared field,
    variants included)."""
    from lrbias.claims.catalogue import known_findings as declared
    from lrbias.claims.catalogue import load_groups

    ran = set(entry_ids)
    found = declared(load_groups() if groups is None else groups, ran)
    found.update({r["id"]: str(r["known_finding"]) for r in results if r.get("known_finding") and r["id"] in ran})
    return found


def report_extras(results: Sequence[dict], profile: Profile, seed: int,
                  groups: Sequence[Group] | None = None) -> dict[str, Any]:
    """The report's extras: the (κ, dor) phase diagram and the start-imbalance maps over the families the
    ``groups`` declare (default: the installed catalogue's), the NN series when NN entries ran, known findings."""
    from lrbias.claims.catalogue import load_groups
    from lrbias.claims.phase import compute_phase_diagram, phase_families
    from lrbias.claims.phasemap import compute_start_phase_map, map_families

    groups = load_groups() if groups is None else groups
    extras: dict[str, Any] = {}
    known = known_findings((r["id"] for r in results), results, groups)
    if known:
        extras["known_findings"] = known
    nn_ids = [r["id"] for r in results if r.get("group") == "nn"]
    nn = nn_extras(nn_ids) if nn_ids else None
    if nn:
        extras["nn"] = nn
    extras["phase_diagram"] = compute_phase_diagram(phase_families(groups), n=profile.frontier_starts, seed=seed)
    extras["start_phase_map"] = compute_start_phase_map(map_families(groups), n=profile.frontier_starts, seed=seed)
    if importlib.util.find_spec("flint") is not None:  # the certified tier needs python-flint (the flint extra)
        from lrbias.report.certified import certified_samples

        extras["certified"] = certified_samples()
    return extras


def compare_with(old: dict, old_name: str, results: list[dict], profile: Profile, seed: int, command: str,
                 elapsed_s: float) -> dict[str, Any]:
    """``extras.comparison``: the diff of an older results document against these records."""
    from lrbias.claims.results import build_document
    from lrbias.report.diff import diff_documents

    new = build_document(results, profile.name, seed, command, elapsed_s)
    return {"old": old_name, "diff": diff_documents(old, new).as_dict()}


def report_from_results(out: Path, results: list[dict], profile: Profile, seed: int, command: str,
                        elapsed_s: float, progress: TextIO | None = None, *,
                        compare: tuple[dict, str] | None = None, timings: dict[str, Any] | None = None,
                        groups: Sequence[Group] | None = None, cache_since: int = 0) -> Path:
    """Compute the extras and write the report of already-collected records at ``out``; index.html's path.

    ``compare``: (an older results document, its name), whose diff the page embeds.  ``timings``: a dict
    that receives the seconds of the extras (``extras_s``) and of the figures and page (``figures_s``).
    ``groups``: the catalogue's groups (default: the installed ones), whose families the figures show.
    ``extras.cache`` says which results came from the disk cache (:func:`lrbias.cache.summary` of the
    lookups from ``cache_since`` on, per entry id and ``extras``).
    """
    from lrbias import cache

    out = check_report_folder(out)
    started = time.perf_counter()
    with cache.scope("extras"):
        extras = report_extras(results, profile, seed, groups)
    extras["cache"] = cache.summary(cache_since)
    if compare is not None:
        extras["comparison"] = compare_with(compare[0], compare[1], results, profile, seed, command, elapsed_s)
    extras_s = time.perf_counter() - started
    index = build_report(out, results, profile.name, seed, command, elapsed_s, extras, progress=progress)
    if timings is not None:
        timings.update(extras_s=round(extras_s, 3), figures_s=round(time.perf_counter() - started - extras_s, 3))
    return index


def run_report(out: Path, ids: Sequence[str], profile: Profile, seed: int, command: str, *,
               include_nn: bool = True, variants: Sequence[str] = (), scheduler: str | None = None,
               workers: int | None = None, progress: TextIO | None = None,
               compare: tuple[dict, str] | None = None, starts: str | None = None) -> CatalogueRun:
    """Run the entries matching ``ids`` (frontiers included) and write their report at ``out`` atomically.

    ``out`` is checked before anything is loaded or run (:func:`lrbias.outputs.check_report_folder`).
    ``progress`` also gets the expected duration of each section first (an estimate from a recorded
    measurement, :mod:`lrbias.report.estimate`).  ``compare``: (older results document, its name) to diff.
    """
    from lrbias import cache
    from lrbias.claims.catalogue import load_groups
    from lrbias.report.estimate import describe_estimate
    from lrbias.report.prefetch import nn_prefetch
    from lrbias.report.progress import bar

    out = check_report_folder(out)
    groups = load_groups(include_nn=include_nn, variants=tuple(variants))
    entries = select_entries(ids, starts=starts, groups=groups)
    since = len(cache.events())
    with bar(progress) as shown:
        progress = shown.stream  # lines go above the bar when one is drawn
        if progress is not None:
            progress.write(describe_estimate([e.id for e in entries], profile.name) + "\n")
        shown.phase("catalogue", total=len(entries))
        with nn_prefetch([e.id for e in entries], allowed=scheduler is None and workers is None):
            run = run_selection(entries, profile, seed, scheduler=scheduler, workers=workers, progress=progress,
                                bar=shown)
        shown.phase("extras and figures")
        timings = dict(run.timings or {})
        index = report_from_results(out, run.results, profile, seed, command, run.elapsed_s, progress,
                                    compare=compare, timings=timings, groups=groups, cache_since=since)
        shown.done()
    comparison = None
    if compare is not None:
        from lrbias.claims.results import load_document

        comparison = (load_document(index.parent / "results.json").get("extras") or {}).get("comparison")
    return CatalogueRun(run.results, run.elapsed_s, index, timings, comparison)


def run_check(ids: Sequence[str], profile: Profile, seed: int, command: str, *, include_nn: bool = True,
              variants: Sequence[str] = (), json_out: Path | None = None, database: Path | None = None,
              scheduler: str | None = None, workers: int | None = None,
              progress: TextIO | None = None, starts: str | None = None) -> CatalogueRun:
    """Run the entries matching ``ids`` (frontiers included); write the results document to ``json_out``.

    ``json_out`` is checked before anything is loaded or run (:func:`lrbias.outputs.check_file_target`).
    """
    from lrbias.claims.results import build_document, write_document

    if json_out is not None:
        check_file_target(json_out, "--json")
    entries = select_entries(ids, include_nn, variants, starts)
    run = run_selection(entries, profile, seed, database=database, scheduler=scheduler, workers=workers,
                        progress=progress)
    if json_out is None:
        return run
    write_document(Path(json_out), build_document(run.results, profile.name, seed, command, run.elapsed_s))
    return CatalogueRun(run.results, run.elapsed_s, Path(json_out))
