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
                   starts: str | None = None) -> list[Entry]:
    """The catalogue entries matching ``ids`` (all when empty), variant files' entries included,
    rebuilt for the start distribution ``starts`` when one is named."""
    from lrbias.claims.catalogue import load_entries, select, with_starts

    return with_starts(select(load_entries(include_nn=include_nn, variants=tuple(variants)), ids), starts)


def run_selection(entries: Sequence[Entry], profile: Profile, seed: int = 0, *, database: Path | None = None,
                  scheduler: str | None = None, workers: int | None = None,
                  progress: TextIO | None = None) -> CatalogueRun:
    """Run ``entries`` with their validity frontiers (scanned on Dask when asked); nothing is written."""
    from lrbias.claims.session import run_selection as run

    walls: dict[str, float] = {}
    last = [time.perf_counter()]

    def timed(record: dict) -> None:  # wall time per entry, its frontier scan included
        now = time.perf_counter()
        walls[record["id"]] = round(now - last[0], 3)
        last[0] = now

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
    from lrbias.nn.phenomena import tail_ratio

    grids = {name: [{"lr": r.lr, "lr_multiple": r.meta.get("lr_multiple"), "summary": r.summary(),
                     "tail_ratio": tail_ratio(r), "sharpness_steps": r.sharpness_steps,
                     "top_sharpness": r.top_sharpness, "lanczos_residual": r.meta.get("lanczos_residual"),
                     "loss": r.history["loss"], "bracket": r.meta.get("bracket"), "window": r.meta.get("window"),
                     "fraction": r.meta.get("fraction"), "seed": r.config.seed} for r in grid_results(name)]
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


def known_findings(entry_ids: Iterable[str]) -> dict[str, str]:
    """The catalogue's known-finding texts (each group module's ``KNOWN_FINDINGS``) of the entries that ran."""
    from lrbias.claims.catalogue import module_attribute

    ran = set(entry_ids)
    found: dict[str, str] = {}
    for table in module_attribute("KNOWN_FINDINGS"):
        found.update({k: str(v) for k, v in dict(table).items() if k in ran})
    return found


def report_extras(results: Sequence[dict], profile: Profile, seed: int) -> dict[str, Any]:
    """The report's extras: the (κ, dor) phase diagram, the NN series when NN entries ran, known findings."""
    from lrbias.claims.phase import compute_phase_diagram
    from lrbias.claims.phasemap import compute_start_phase_map

    extras: dict[str, Any] = {}
    known = known_findings(r["id"] for r in results)
    if known:
        extras["known_findings"] = known
    nn_ids = [r["id"] for r in results if r.get("group") == "nn"]
    nn = nn_extras(nn_ids) if nn_ids else None
    if nn:
        extras["nn"] = nn
    extras["phase_diagram"] = compute_phase_diagram(n=profile.frontier_starts, seed=seed)
    extras["start_phase_map"] = compute_start_phase_map(n=profile.frontier_starts, seed=seed)
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
                        compare: tuple[dict, str] | None = None, timings: dict[str, Any] | None = None) -> Path:
    """Compute the extras and write the report of already-collected records at ``out``; index.html's path.

    ``compare``: (an older results document, its name), whose diff the page embeds.  ``timings``: a dict
    that receives the seconds of the extras (``extras_s``) and of the figures and page (``figures_s``).
    """
    out = check_report_folder(out)
    started = time.perf_counter()
    extras = report_extras(results, profile, seed)
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
    from lrbias.report.estimate import describe_estimate

    out = check_report_folder(out)
    entries = select_entries(ids, include_nn, variants, starts)
    if progress is not None:
        progress.write(describe_estimate([e.id for e in entries], profile.name) + "\n")
    run = run_selection(entries, profile, seed, scheduler=scheduler, workers=workers, progress=progress)
    timings = dict(run.timings or {})
    index = report_from_results(out, run.results, profile, seed, command, run.elapsed_s, progress,
                                compare=compare, timings=timings)
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
