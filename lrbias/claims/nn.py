"""Machinery of the neural-network claims: grids, claim specs, combining checks, training grids.

An :class:`NNClaim` names the configuration grids it needs (:class:`Grid`: a base
:class:`~lrbias.nn.config.RunConfig` and a learning-rate list, trained from one shared initial
state) and a ``check(results)`` mapping ``{grid name: [RunResult per lr]}`` to a
:class:`~lrbias.verdict.Check`.  The claims themselves (the paper's, with their grids)
are catalogue content: ``theorems/nn.py`` declares them in its group (``Group.nn_claims``), and
:func:`catalogue_claims` reads every group the catalogue loads, so ``lrbias nn-grid`` and the
report see exactly the claims the catalogue runs.  :mod:`lrbias.claims.nn_entries` makes them
entries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from lrbias.nn.config import NNConfigError, RunConfig
from lrbias.verdict import Check, Verdict, fail, inconclusive, passed

if TYPE_CHECKING:
    from lrbias.nn.trainer import Progress, RunResult

__all__ = ["CONFIRM_OVERRIDES", "SEED_MARK", "Grid", "NNClaim", "Results", "Rival", "catalogue_claims", "check_claims",
           "combine", "confirm_rival", "deciding_text", "each", "every_run", "get_claims", "grid_bracket", "grid_keys",
           "grid_results", "longer", "per_grid", "placed_multiples", "protocol_grids", "run_grids", "seeded",
           "train_grid", "trained_grid"]

Results = Mapping[str, Sequence["RunResult"]]


@dataclass(frozen=True)
class Grid:
    """A base configuration trained from one saved initial state at learning rates h = m · 2/S0.

    S0 is the sharpness measured at that initial state (the paper's protocol: the grid is stated
    relative to the initial sharpness, so S0·h/2 = m).  The multiples m are, by precedence:

    * ``same_h_as``: the absolute learning rates of that grid's runs (BatchNorm at the h of the
      matching grid without it), m = h·S0/2 with this grid's own S0, those below this grid's own
      bracketed m* (the others, where it diverges, are recorded as ``outside_window``);
    * ``window`` (``'edge'`` or ``'catapult'``, :data:`lrbias.nn.bracket.WINDOWS`): the ``fractions``
      of that window, bracketed by bisection for this dataset, seed and initial state
      (:func:`lrbias.nn.bracket.find_bracket`);
    * else ``multiples`` as given.

    A grid with a window or ``same_h_as`` records its bracket (S0, m_c, m*) in every run's meta.
    ``protocol_steps``: the step budget of the full protocol (``lrbias nn-grid``), where the catalogue
    entries train ``base.steps``.
    """

    name: str
    base: RunConfig
    multiples: tuple[float, ...] = ()
    window: str | None = None
    fractions: tuple[float, ...] = ()
    same_h_as: Grid | None = None
    protocol_steps: int | None = None

    @property
    def dataset(self) -> str:
        return self.base.dataset

    def describe(self) -> str:
        """One line: data, model, init, how h is placed, steps, seed."""
        b = self.base
        init = f"init norms {b.init_norms[0]:g}/{b.init_norms[1]:g}" if b.init_norms else "default init"
        if self.same_h_as is not None:
            where = f"h of {self.same_h_as.name}"
        elif self.window is not None:
            lo, hi = ("1", "m*") if self.window == "edge" else ("m_c", "m*")
            where = (f"h = m·2/S0 at fractions ({', '.join(f'{f:g}' for f in self.fractions)}) of the bracketed "
                     f"window ({lo}, {hi})")
        else:
            where = f"h = ({', '.join(f'{m:g}' for m in self.multiples)})·2/S0"
        return (f"{b.dataset} n={b.n}, {b.activation}/{b.loss}/norm {b.norm}, width {b.width}, {init}, "
                f"{where}, {b.steps} steps, seed {b.seed}")


SEED_MARK = "#seed"
"""A seeded grid is named ``NAME#seedK`` (:func:`seeded`); checks find a grid's runs under every seed."""


def seeded(grid: Grid, seed: int, steps: int | None = None) -> Grid:
    """``grid`` drawn from ``seed`` (and, with ``steps``, that budget and as many sharpness measurements per step)."""
    base = replace(grid.base, seed=seed)
    if steps is not None:
        every = max(1, round(base.sharpness_every * steps / base.steps)) if base.sharpness_every else 0
        base = replace(base, steps=steps, sharpness_every=every)
    same = None if grid.same_h_as is None else seeded(grid.same_h_as, seed, steps and grid.same_h_as.protocol_steps)
    return replace(grid, name=f"{grid.name}{SEED_MARK}{seed}", base=base, same_h_as=same)


def protocol_grids(grids: Sequence[Grid], seeds: Sequence[int], full: bool = True) -> list[Grid]:
    """Each grid under each seed; ``full``: at its ``protocol_steps`` (the paper protocol of ``lrbias nn-grid``)."""
    return [seeded(g, s, g.protocol_steps if full else None) for g in grids for s in seeds]


def grid_keys(results: Results, name: str) -> list[str]:
    """The result keys of grid ``name``: itself, or its seeded copies ``name#seedK``, in seed order."""
    keys = [k for k in results if k == name or k.startswith(name + SEED_MARK)]
    return sorted(keys, key=lambda k: (len(k), k))


@dataclass(frozen=True)
class Rival:
    """A nearby plausible but false statement about a claim's runs, which the trained grids must refute.

    ``check(results)`` decides the rival on the runs of ``grids`` (pass: the rival holds there);
    a failing check names the runs that refute it in its detail, ``deciding`` = [[grid name,
    multiple], ...].  :func:`confirm_rival` re-trains exactly those runs in float64 (GD and
    Hessian-vector products) and decides the rival again on them: a refutation counts only if
    the float64 runs refute it too.  ``confirm_overrides`` replace config fields of that
    re-training (``sharpness_every=0`` where the rival reads no sharpness trace).
    """

    statement: str
    grids: tuple[Grid, ...]
    check: Callable[[Results], Check]
    confirm_overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NNClaim:
    """One neural-network claim: id, statement, provenance, grids, its check and its thresholds (text).

    ``fails_if`` says in words which realistic input makes the check fail (tests/test_nn_vacuity.py
    trains one); ``rival`` is the nearby false statement the claim's own runs refute.
    """

    id: str
    title: str
    statement: str
    provenance: str
    grids: tuple[Grid, ...]
    check: Callable[[Results], Check]
    thresholds: str = ""
    fails_if: str = ""
    rival: Rival | None = None


def combine(checks: Iterable[Check], **detail: object) -> Check:
    """All of ``checks``: fail if any fails, inconclusive if any is, else pass (margin: the smallest)."""
    checks = list(checks)
    per_run = [{"verdict": str(c.verdict), "margin": c.margin, **c.detail} for c in checks]
    margin = min((c.margin for c in checks), default=math.inf)
    if any(c.verdict == Verdict.FAIL for c in checks):
        return fail(margin, runs=per_run, **detail)
    if not checks or any(c.verdict == Verdict.INCONCLUSIVE for c in checks):
        return inconclusive("an undecided run" if checks else "no runs", runs=per_run, **detail)
    return passed(margin, runs=per_run, **detail)


def each(grid: str, detector: Callable[[RunResult], Check]) -> Callable[[Results], Check]:
    """A claim check: ``detector`` holds on every run of ``grid`` (:func:`combine` of the runs)."""
    def check(results: Results) -> Check:
        return combine(detector(r) for r in results[grid])
    return check


def per_grid(grids: Sequence[Grid],
             check_one: Callable[[str], Callable[[Results], Check]]) -> Callable[[Results], Check]:
    """A claim check over several grids (one per dataset): ``check_one(key)`` on each, combined.

    Each grid is checked under every key it has in the results (:func:`grid_keys`: the grid itself,
    or one key per seed), so a claim holds only where it holds on every dataset and seed.

    The detail keeps each grid's own verdict and figures under ``grids`` (so a report can show the
    datasets side by side); the flattened ``runs`` list the per-run figures of every grid;
    ``budget_limited`` counts the runs judged where the step budget stopped them (every run that did
    not diverge), which the runner's budget check re-decides with a longer budget.
    """
    def check(results: Results) -> Check:
        parts = {key: check_one(key)(results) for g in grids for key in grid_keys(results, g.name)}
        runs = [dict(run, grid=name) for name, c in parts.items() for run in c.detail.get("runs", [c.detail])]
        merged = combine(parts.values())
        detail = {"runs": runs, "grids": {name: {"verdict": str(c.verdict), "margin": c.margin,
                                                  **{k: v for k, v in c.detail.items() if k != "runs"}}
                                           for name, c in parts.items()},
                  "budget_limited": sum(r.outcome != "diverged" for key in parts for r in results[key])}
        if "reason" in merged.detail:
            detail["reason"] = merged.detail["reason"]
        return Check(merged.verdict, merged.margin, detail)
    return check


def every_run(grids: Sequence[Grid], predicate: Callable[[RunResult], Check]) -> Callable[[Results], Check]:
    """A rival's check: ``predicate`` holds on every run of ``grids``; a failure names its worst run as deciding."""
    def check(results: Results) -> Check:
        rows = [(key, run, predicate(run)) for g in grids for key in grid_keys(results, g.name)
                for run in results[key]]
        runs = [{"grid": name, "lr_multiple": run.meta.get("lr_multiple"), "verdict": str(c.verdict),
                 "margin": c.margin, **c.detail} for name, run, c in rows]
        failed = [(c.margin, name, run.meta.get("lr_multiple")) for name, run, c in rows if c.verdict == Verdict.FAIL]
        if failed:
            margin, name, m = min(failed, key=lambda f: f[0])
            return fail(margin, runs=runs, deciding=[[name, m]])
        if not rows or any(c.verdict == Verdict.INCONCLUSIVE for _, _, c in rows):
            return inconclusive("an undecided run" if rows else "no runs", runs=runs)
        return passed(min(c.margin for _, _, c in rows), runs=runs)
    return check


def deciding_text(deciding: Sequence[Sequence[Any]]) -> str:
    """The runs a rival's refutation names, [[grid name, multiple], ...], as "grid at m·2/S0; ..."."""
    return "; ".join(f"{name} at {m:g}·2/S0" for name, m in deciding)


CONFIRM_OVERRIDES: Mapping[str, Any] = {"dtype": "float64", "hvp_dtype": "float64", "device": "cpu"}
"""How a rival's refuting runs are re-trained for confirmation: float64 GD and HVPs, on the CPU."""


def confirm_rival(rival: Rival, results: Results) -> Check:
    """Re-decide ``rival`` on its deciding runs re-trained in float64 (:data:`CONFIRM_OVERRIDES`).

    The deciding runs are those the float32 ``results`` name; each is re-trained from its grid's
    initial state (drawn in float32, then cast) at the same multiple of 2/S0, S0 re-measured in
    float64.  Returns the rival's check on those runs (fail: the refutation is confirmed; their
    figures under ``runs``), with the precisions used (``dtypes``) and a line saying what was
    re-trained (``confirmation``); inconclusive when the float32 runs did not refute the rival.
    """
    first = rival.check(results)
    deciding = first.detail.get("deciding") if first.verdict == Verdict.FAIL else None
    if not deciding:
        return inconclusive("the float32 runs did not refute the rival: nothing to confirm")
    grids = {g.name: g for g in rival.grids}
    wide: dict[str, list[RunResult]] = {}
    for name, m in deciding:
        base_name, _, seed = name.partition(SEED_MARK)
        grid = grids[base_name] if not seed else seeded(grids[base_name], int(seed))
        grid = replace(grid, name=name, multiples=(m,), window=None, fractions=(), same_h_as=None)
        wide.setdefault(name, []).extend(train_grid(grid, {**CONFIRM_OVERRIDES, **rival.confirm_overrides}))
    again = rival.check(wide)
    dtypes = sorted({str(r.meta.get(k)) for runs in wide.values() for r in runs for k in ("dtype", "hvp_dtype")})
    return Check(again.verdict, again.margin,
                 {**again.detail, "dtypes": dtypes,
                  "confirmation": f"{' and '.join(dtypes)} GD and HVPs re-trained {len(deciding)} deciding run(s): "
                                  + deciding_text(deciding)})


def catalogue_claims() -> tuple[NNClaim, ...]:
    """The NN claims of the installed catalogue: every group's declared ``nn_claims``, in catalogue order."""
    from lrbias.claims.catalogue import load_groups

    return tuple(c for group in load_groups(include_nn=True) for c in group.nn_claims)


def get_claims(selector: str, claims: Sequence[NNClaim] | None = None) -> list[NNClaim]:
    """``'all'`` or a comma-separated list of claim ids, among ``claims`` (default: the catalogue's)."""
    known = list(catalogue_claims() if claims is None else claims)
    if selector.strip() == "all":
        return known
    by_id = {c.id: c for c in known}
    wanted = [s.strip() for s in selector.split(",") if s.strip()]
    unknown = [w for w in wanted if w not in by_id]
    if unknown or not wanted:
        raise NNConfigError(f"unknown claim id(s) {', '.join(unknown) or repr(selector)}; accepted: all, "
                            + ", ".join(by_id))
    return [by_id[w] for w in wanted]


def train_grid(grid: Grid, overrides: Mapping[str, Any] | None = None,
               progress: Progress | None = None) -> list[RunResult]:
    """Train ``grid`` from one prepared initial state at h = m·2/S0 for each multiple m.

    S0 is measured once at the prepared state (:func:`lrbias.nn.trainer.initial_sharpness`) and
    recorded in every run's meta with its multiple.  Read from the disk cache when this code trained
    the same grid with the same overrides before (:mod:`lrbias.claims.caching`).
    """
    from lrbias.claims.caching import disk_cached_grid

    return list(disk_cached_grid(lambda: tuple(_train_grid(grid, overrides, progress)), grid, dict(overrides or {})))


_BRACKETS: dict[str, Any] = {}


def grid_bracket(prep: Any, s0: float, base: RunConfig) -> Any:
    """The bracket of ``base``'s configuration (:func:`lrbias.nn.bracket.find_bracket`), once per process.

    Keyed by the configuration without its step budget and logging cadence (the probes use neither),
    so a grid and its longer copy (the budget check) share one bracket.
    """
    from lrbias.nn.bracket import find_bracket

    key = repr(replace(base, steps=1, sharpness_every=0))
    if key not in _BRACKETS:
        _BRACKETS[key] = find_bracket(prep, s0)
    return _BRACKETS[key]


def placed_multiples(grid: Grid, overrides: Mapping[str, Any] | None = None,
                     progress: Progress | None = None) -> tuple[Any, float, tuple[float, ...], dict[str, Any]]:
    """Prepare ``grid`` and place its learning rates: (prepared state, S0, multiples of 2/S0, placement record).

    The record (empty for a grid with plain multiples) holds the bracket and the window, or the grid
    whose absolute h this one reuses; no run is trained (a reused grid's h needs only its S0 and bracket).
    """
    from lrbias.nn.trainer import initial_sharpness, prepare

    base = replace(grid.base, **(overrides or {}))
    prep = prepare(base)
    s0 = initial_sharpness(prep)
    if not (math.isfinite(s0) and s0 > 0):
        raise NNConfigError(f"grid {grid.name}: initial sharpness S0 = {s0!r} is not a positive number")
    if grid.window is None and grid.same_h_as is None:
        return prep, s0, grid.multiples, {}
    if progress is not None:
        progress(f"[{grid.name}] bracketing m_c and m* by bisection (S0={s0:.4g})")
    bracket = grid_bracket(prep, s0, base)
    placed: dict[str, Any] = {"bracket": bracket.as_dict()}
    if grid.same_h_as is not None:
        _, s0_other, other, _ = placed_multiples(grid.same_h_as, overrides, progress)
        same = [m * s0 / s0_other for m in other]
        inside = tuple(m for m in same if m < bracket.divergence[0])
        placed["same_h_as"] = grid.same_h_as.name
        placed["outside_window"] = [m for m in same if m >= bracket.divergence[0]]
        return prep, s0, inside, placed
    assert grid.window is not None
    placed["window"] = {"kind": grid.window, "ends": list(bracket.window(grid.window)),
                        "fractions": list(grid.fractions)}
    return prep, s0, bracket.place(grid.window, grid.fractions), placed


def _train_grid(grid: Grid, overrides: Mapping[str, Any] | None = None,
                progress: Progress | None = None) -> list[RunResult]:
    from lrbias.nn.trainer import train

    prep, s0, multiples, placed = placed_multiples(grid, overrides, progress)
    runs = []
    for m in multiples:
        h = m * 2 / s0
        if progress is not None:
            progress(f"[{grid.name}] h={m:g}·2/S0={h:.4g} (S0={s0:.4g}), {prep.config.steps} steps")
        run = train(prep, lr=h, progress=progress)
        run.meta["lr_multiple"] = m
        run.meta.update(placed)
        runs.append(run)
    return runs


def run_grids(claims: Sequence[NNClaim], overrides: Mapping[str, Any] | None = None,
              progress: Progress | None = None, seeds: Sequence[int] | None = None,
              full: bool = False) -> dict[str, list[RunResult]]:
    """Train every grid the claims need, once each; ``overrides`` replace config fields (e.g. device).

    ``seeds``: each grid under each seed (keys ``NAME#seedK``, :func:`protocol_grids`), at its
    ``protocol_steps`` when ``full``; None: the grids as declared (keys their names).
    """
    out: dict[str, list[RunResult]] = {}
    for claim in claims:
        grids = list(claim.grids) if seeds is None else protocol_grids(claim.grids, seeds, full)
        for grid in grids:
            if grid.name not in out:
                out[grid.name] = train_grid(grid, overrides, progress)
    return out


def check_claims(claims: Sequence[NNClaim], results: Results) -> dict[str, Check]:
    """Each claim's verdict on the trained grids."""
    return {c.id: c.check(results) for c in claims}


def longer(grid: Grid, factor: int) -> Grid:
    """``grid`` with ``factor`` × its step budget and the same number of sharpness measurements."""
    base = grid.base
    return replace(grid, base=replace(base, steps=base.steps * factor, sharpness_every=base.sharpness_every * factor))


_TRAINED: dict[str, tuple[RunResult, ...]] = {}


def trained_grid(grid: Grid) -> tuple[RunResult, ...]:
    """``grid`` trained on the CPU, once per process (claims sharing a grid, and the report, share its runs)."""
    key = repr(grid)
    if key not in _TRAINED:
        _TRAINED[key] = tuple(train_grid(grid, overrides={"device": "cpu"}))
    return _TRAINED[key]


def grid_results(name: str) -> tuple[RunResult, ...]:
    """The trained runs (:func:`trained_grid`) of the catalogue grid called ``name``."""
    for claim in catalogue_claims():
        for grid in claim.grids:
            if grid.name == name:
                return trained_grid(grid)
    raise NNConfigError(f"no grid {name!r} in the catalogue's NN claims")
