"""CLI subcommands for the neural-network experiments (``nn``, ``nn-grid``).

Both validate their arguments before importing torch, so bad input is a one-line error (exit 2)
even without the ``nn`` extra installed.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from lrbias.errors import InvalidArgument, short
from lrbias.nn.config import ACTIVATIONS, DATASETS, DEVICES, DTYPES, LOSSES, NORMS, RunConfig, parse_init_norms
from lrbias.outputs import check_file_target
from lrbias.serial import dumps, print_table, write_json

MAX_N = 1_000_000
DATASET_IMAGES = {"digits": 1797, "mnist1d": 4000, "mnist": 60_000, "cifar10": 50_000}
"""Training images of each data set: the most --n takes (mnist1d is generated, so it is capped here)."""
MAX_WIDTH = 65_536
MAX_SEED = 2**32 - 1
MAX_STEPS = 10_000_000
MAX_THREADS = 256
MAX_GRID_JSON = 256 * 2**20
"""--from-json reads at most this much: the full protocol's output (3 seeds, every step's loss) is about 55 MB."""
DEFAULT_SEEDS = (0, 1, 2)
"""Seeds of ``nn-grid``'s full protocol (theorems/nn.py's SEEDS): a claim holds when it holds on each."""
MAX_SEEDS = 32
PROTOCOLS = ("full", "catalogue")


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InvalidArgument("the nn subcommands need torch: pip install 'lrbias[nn]'") from None


def _json_target(path: str | None) -> Path | None:
    """The --json output path, checked before any work (:func:`lrbias.outputs.check_file_target`)."""
    return check_file_target(path, "--json")


def _emit_json(path: str | None, target: Path | None, payload: dict, what: str) -> None:
    """Write ``payload`` to ``target``, or to stdout for ``--json -``."""
    if path == "-":
        print(dumps(payload))
    elif target is not None:
        write_json(target, payload)
        print(f"{what} written to {target}")


def _bounded(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        side = f">= {lo}" if value < lo else f"<= {hi}"
        raise InvalidArgument(f"{name} must be an integer {side}, got {short(value)}; accepted: "
                          f"{lo} <= {name[2:]} <= {hi}")


def _check_threads(threads: int) -> None:
    _bounded("--threads", threads, 1, MAX_THREADS)


def _progress(args: argparse.Namespace):
    if args.quiet:
        return None
    return lambda msg: print(f"lrbias nn: {msg}", file=sys.stderr, flush=True)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICES)} (default auto: cuda if "
                   "available; TF32 is switched off)")
    p.add_argument("--dtype", default="float32", help=f"one of {', '.join(DTYPES)} (default float32)")
    p.add_argument("--hvp-dtype", default=None, help=f"dtype of the Hessian-vector products and Lanczos, one "
                   f"of {', '.join(DTYPES)} (default: the run's --dtype; float64 evaluates them on a float64 "
                   "copy of the model, the accuracy check of a float32 run)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: fastest at these "
                   "sizes)")
    p.add_argument("--json", metavar="OUT", help="write every logged series and the summary to this JSON "
                   "file")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _config_from_args(args: argparse.Namespace) -> RunConfig:
    _bounded("--n", args.n, 2, min(MAX_N, DATASET_IMAGES.get(args.dataset, MAX_N)))
    _bounded("--width", args.width, 1, MAX_WIDTH)
    _bounded("--seed", args.seed, 0, MAX_SEED)
    _bounded("--steps", args.steps, 1, MAX_STEPS)
    _check_threads(args.threads)
    multiple = getattr(args, "lr_multiple", None)
    if (args.lr is None) == (multiple is None):
        raise InvalidArgument("give exactly one of --lr H and --lr-multiple M (h = M*2/S0)")
    if multiple is not None:
        if not math.isfinite(multiple) or multiple <= 0:
            raise InvalidArgument(f"--lr-multiple must be a finite number > 0, got {multiple!r}")
        args.lr = 1.0  # placeholder until S0 is measured; replaced before training
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise InvalidArgument(f"--lr must be a finite number > 0, got {args.lr!r}")
    if args.sharpness_every < 0:
        raise InvalidArgument(f"--sharpness-every must be >= 0, got {args.sharpness_every}")
    return RunConfig(dataset=args.dataset, n=args.n, activation=args.activation, loss=args.loss,
                     norm=args.norm, width=args.width, lr=args.lr, steps=args.steps,
                     init_norms=parse_init_norms(args.init_norms), sharpness_every=args.sharpness_every,
                     seed=args.seed, device=args.device, dtype=args.dtype, data_root=args.data_root,
                     download=args.download, loss_bound=args.loss_bound, eig_tol=args.eig_tol,
                     hvp_dtype=args.hvp_dtype)


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _cmd_nn(args: argparse.Namespace) -> int:
    config = _config_from_args(args)
    if config.dataset in ("mnist", "cifar10") and config.data_root is None:
        raise InvalidArgument(f"--dataset {config.dataset} needs --data-root DIR (torchvision's layout; add "
                          "--download to fetch it), or use --dataset digits (offline)")
    json_out = _json_target(args.json)
    _require_torch()
    from lrbias.nn.device import configure_threads
    from lrbias.nn.phenomena import classify_eos
    from lrbias.nn.trainer import initial_sharpness, prepare, train

    configure_threads(args.threads)
    prep = prepare(config)
    s0 = initial_sharpness(prep)
    if args.lr_multiple is not None:
        config = config.with_lr(args.lr_multiple * 2 / s0)
    result = train(prep, lr=config.lr, progress=_progress(args))
    s = result.summary()
    out = sys.stderr if args.json == "-" else sys.stdout
    call, eos = classify_eos(result)
    print(f"nn run: {config.dataset} n={config.n} width={config.width} activation={config.activation} "
          f"loss={config.loss} norm={config.norm} lr={config.lr:g} init_norms={config.init_norms} "
          f"seed={config.seed} device={result.device} dtype={config.dtype}", file=out)
    rows = [("outcome", f"{s['outcome']} ({s['reason']})"), ("steps run", s["steps_run"]),
            ("final sharpness S", s["sharpness_final"]), ("2/h", s["two_over_lr"]),
            ("ratio S*h/2", s["ratio_final"]), ("S0", s["s0"]), ("S0*h/2", s["s0_lr_over_2"]),
            ("tail median S*h/2", eos.get("ratio_median", float("nan"))), ("EoS call", f"{call} ({eos['why']})"),
            ("loss start", s["loss_start"]),
            ("loss final", s["loss_final"]),
            ("loss max/start", s["loss_max_over_start"]), ("accuracy final", s["accuracy_final"]),
            ("norm gap |W1|-|W2| start", s["norm_gap_start"]), ("norm gap end", s["norm_gap_final"]),
            ("seconds", s["seconds"])]
    print_table(("quantity", "value"), [(k, _fmt(v)) for k, v in rows], out, free_last=True)
    _emit_json(args.json, json_out, result.as_dict(), "curves")
    return 0


def _saved_runs(path: str, claims: list, doc: Any = None) -> dict:
    """The runs of an earlier ``nn-grid --json`` output, for re-checking the claims without training."""
    from lrbias.inputs import read_json
    from lrbias.nn.trainer import RunResult

    shown = f"--from-json {short(path, 240)}"
    if doc is None:
        doc = read_json(path, "--from-json", MAX_GRID_JSON)  # a regular file of bounded size, strict JSON
    saved = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(saved, dict):
        raise InvalidArgument(f"{shown}: not an nn-grid JSON output ('runs' must be an object of grids, "
                          f"not {type(saved).__name__})")
    from lrbias.claims.nn import grid_keys

    missing = sorted({g.name for c in claims for g in c.grids if not grid_keys(saved, g.name)})
    if missing:
        raise InvalidArgument(f"{shown} lacks the grid(s) {', '.join(missing)}")
    out: dict[str, list] = {}
    for name, runs in saved.items():
        if not isinstance(runs, list) or not runs:
            raise InvalidArgument(f"{shown}: grid {short(name)!r} holds no runs (a non-empty list of run records)")
        out[name] = []
        for i, record in enumerate(runs):
            where = f"{shown}: grid {short(name)!r}, run {i}"
            try:
                run = RunResult.from_dict(record)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                raise InvalidArgument(f"{where}: not a run record ({type(exc).__name__}: {short(str(exc))})") from None
            _check_saved_run(run, where)
            out[name].append(run)
    return out


def _check_saved_run(run: Any, where: str) -> None:
    """A saved run's series are numbers (null: no value, "inf") of consistent lengths, else one line naming it."""
    from lrbias.serial import json_number

    lengths = set()
    for key, series in run.history.items():
        if not isinstance(series, list) or not all(v is None or v in ("inf", "-inf") or (
                isinstance(v, int | float) and not isinstance(v, bool)) for v in series):
            raise InvalidArgument(f"{where}: history {short(key)!r} holds a value that is not a number")
        values = [json_number(v) for v in series]
        run.history[key] = [math.nan if v is None else v for v in values]
        lengths.add(len(series))
    if len(lengths) > 1:
        raise InvalidArgument(f"{where}: the history series have different lengths ({sorted(lengths)})")
    if len(run.sharpness) != len(run.sharpness_steps):
        raise InvalidArgument(f"{where}: {len(run.sharpness)} sharpness rows for {len(run.sharpness_steps)} steps")
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in run.sharpness_steps):
        raise InvalidArgument(f"{where}: sharpness_steps must be integers")


def _parse_seeds(text: str) -> tuple[int, ...]:
    """'0,1,2' as distinct seeds in 0..MAX_SEED, at most MAX_SEEDS of them; else a one-line error."""
    try:
        seeds = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise InvalidArgument(f"bad --seeds {short(text)!r}: expected comma-separated integers, e.g. 0,1,2") from None
    if not seeds or len(seeds) > MAX_SEEDS or len(set(seeds)) != len(seeds) or \
            not all(0 <= s <= MAX_SEED for s in seeds):
        raise InvalidArgument(f"bad --seeds {short(text)!r}: accepted: 1 to {MAX_SEEDS} distinct integers in "
                              f"0..{MAX_SEED}")
    return seeds


def _bracket_lines(results: dict) -> list[tuple[str, str, str, str]]:
    """One row per trained grid with a bracket: S0, m_c and m* as bisected, and the multiples its runs sit at."""
    from lrbias.nn.bracket import placement_text

    rows = []
    for name, runs in results.items():
        text = placement_text(runs[0].meta) if runs else ""
        if text:
            rows.append(("bracket", "", name, text + "; runs at m = "
                         + ", ".join(f"{r.meta.get('lr_multiple', math.nan):.4g}" for r in runs)))
    return rows


def _cmd_nn_grid(args: argparse.Namespace) -> int:
    from lrbias.claims.nn import check_claims, get_claims, run_grids

    claims = get_claims(args.claims)
    overrides: dict[str, Any] = {"device": args.device, "dtype": args.dtype, "hvp_dtype": args.hvp_dtype}
    if args.init not in ("paper", "default"):
        raise InvalidArgument(f"--init must be 'paper' or 'default', got {args.init!r}")
    if args.init == "default":
        overrides["init_norms"] = None
    if args.steps is not None:
        _bounded("--steps", args.steps, 1, MAX_STEPS)
        overrides["steps"] = args.steps
    if args.protocol not in PROTOCOLS:
        raise InvalidArgument(f"--protocol must be one of {', '.join(PROTOCOLS)}, got {short(args.protocol)!r}")
    seeds = _parse_seeds(args.seeds) if args.protocol == "full" else None
    _check_threads(args.threads)
    RunConfig(**overrides)  # validates device/dtype before torch is imported
    json_out = _json_target(args.json)
    saved = None
    if args.from_json is not None:  # checked and read before torch is imported (a FIFO would block)
        from lrbias.inputs import read_json

        saved = read_json(args.from_json, "--from-json", MAX_GRID_JSON)
    _require_torch()
    from lrbias.nn.device import configure_threads

    configure_threads(args.threads)
    if args.from_json is not None:
        results = _saved_runs(args.from_json, claims, saved)
    else:
        results = run_grids(claims, overrides, progress=_progress(args), seeds=seeds, full=args.steps is None)
    try:
        verdicts = check_claims(claims, results)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as exc:
        if args.from_json is None:
            raise
        raise InvalidArgument(f"--from-json {short(args.from_json, 240)}: the saved runs do not fit the claims "
                          f"({type(exc).__name__}: {short(str(exc))})") from None
    header = ("claim", "verdict", "grid", "figures")
    rows = []
    for claim in claims:
        check = verdicts[claim.id]
        figs = []
        for run in check.detail.get("runs", []):
            if "series" in run:
                continue  # a trend check's figures (no "lr"): printed per grid below
            if "lr" not in run:  # a check's figures without a run: every one but the verdict
                figs.append(",".join(f"{k}={_fmt(v)}" for k, v in run.items() if k not in ("verdict", "margin")))
                continue
            keys = [k for k in ("s0_lr_over_2", "ratio_median", "call", "loss_max_over_start",
                                "gap_final_over_start") if k in run and run[k] is not None]
            if run.get("outcome") == "diverged":
                keys.append("outcome")
            where = str(run.get("grid", "")).rpartition("@")[2]
            label = f"{where + ' ' if where else ''}h={run['lr']:g}:"
            figs.append(label + ",".join(f"{k}={_fmt(run[k])}" for k in keys))
        for name, part in check.detail.get("grids", {}).items():
            if "series" in part and "slope" in part:  # relu³: the tail sharpness against h
                figs.append(f"{name}: tail S by h " + ", ".join(
                    f"{x['s0_lr_over_2']:.3g}->{x['sharpness_tail']:.4g}" for x in part["series"])
                    + f", slope {part['slope']:.3g} ({part['verdict']})")
            elif "series" in part:
                figs.append(f"{name}: tail gap by h " + ", ".join(
                    f"{x['s0_lr_over_2']:.3g}->{x.get('gap', math.nan):.4f}" for x in part["series"])
                    + f" ({part['verdict']})")
        rows.append((claim.id, str(check.verdict), "+".join(g.name for g in claim.grids), "; ".join(figs)))
    rows += _bracket_lines(results)
    print_table(header, rows, sys.stderr if args.json == "-" else None, free_last=True)
    if args.json is not None:
        payload = {"claims": [{"id": c.id, "title": c.title, "statement": c.statement,
                               "provenance": c.provenance,
                               "thresholds": c.thresholds, "verdict": str(verdicts[c.id].verdict),
                               "margin": verdicts[c.id].margin, "detail": verdicts[c.id].detail,
                               "grids": [g.name for g in c.grids]} for c in claims],
                   "protocol": args.protocol, "seeds": list(seeds) if seeds is not None else [0],
                   "runs": {name: [r.as_dict() for r in runs] for name, runs in results.items()}}
        _emit_json(args.json, json_out, payload, "results")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the neural-network subcommands to the ``lrbias`` parser."""
    p = sub.add_parser(
        "nn", help="train the paper's two-layer net by full-batch GD and track its sharpness",
        description="Full-batch GD (w <- w - h grad L, no momentum) on a two-layer net without biases: "
        "Flatten -> Linear(d->width) -> [BatchNorm1d|LayerNorm, no affine] -> activation -> "
        "Linear(width->10), on the first n training images (per-feature standardised). Logs loss, accuracy, "
        "|W1|_F, |W2|_F every step and the sharpness (top Hessian eigenvalue by Lanczos on exact "
        "Hessian-vector products, BatchNorm in train mode) every K steps. Prints final sharpness, "
        "ratio S*h/2 (about 1 = edge of stability), loss max/start (catapult), norm gap (balancing), "
        "outcome (completed or diverged).",
        epilog="example: lrbias nn --activation tanh --loss mse --lr 0.2 --steps 1000 --json tanh.json")
    p.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)} (default digits: "
                   "scikit-learn's 8x8 digits, offline; mnist1d: generated offline by the mnist1d package)")
    p.add_argument("--data-root", metavar="DIR", help="torchvision root for mnist (DIR/MNIST/raw/) and "
                   "cifar10 (DIR/cifar-10-batches-py/)")
    p.add_argument("--download", action="store_true", help="let torchvision download mnist/cifar10 into "
                   "--data-root (never without this flag)")
    p.add_argument("--n", type=int, default=1000, help="number of training images (first n; default 1000; at "
                   "most " + ", ".join(f"{v} for {k}" for k, v in DATASET_IMAGES.items()) + ")")
    p.add_argument("--width", type=int, default=200, help="hidden width (default 200)")
    p.add_argument("--activation", default="relu", help=f"one of {', '.join(ACTIVATIONS)} "
                   "(cubic = relu(z)^3; default relu)")
    p.add_argument("--loss", default="mse", help=f"one of {', '.join(LOSSES)} (mse = 1/2|out-onehot|^2, "
                   "huber delta=1 summed over outputs, ce = cross-entropy; default mse)")
    p.add_argument("--norm", default="none", help=f"one of {', '.join(NORMS)} "
                   "(bn = BatchNorm1d(affine=False), ln = LayerNorm(no affine), before the activation; "
                   "default none)")
    p.add_argument("--lr", type=float, help="learning rate h > 0 (or --lr-multiple)")
    p.add_argument("--lr-multiple", type=float, metavar="M", help="learning rate h = M*2/S0, S0 the sharpness "
                   "at the initial state (the paper's protocol; S0*h/2 = M)")
    p.add_argument("--steps", type=int, required=True, help=f"number of GD steps (1 to {MAX_STEPS})")
    p.add_argument("--init-norms", metavar="A,B", help="rescale W1, W2 to Frobenius norms A, B after the "
                   "default init (unbalanced start, e.g. 6,20)")
    p.add_argument("--sharpness-every", metavar="K", type=int, default=20, help="sharpness every K steps and "
                   "at the end (0: start and end only; default 20)")
    p.add_argument("--eig-tol", type=float, default=1e-3, help="Lanczos relative tolerance (default 1e-3)")
    p.add_argument("--loss-bound", type=float, default=1e6, help="diverged when the loss exceeds this "
                   "times max(1, initial loss) or is not finite (default 1e6)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights (default 0)")
    _common(p)
    p.set_defaults(func=_cmd_nn)

    p = sub.add_parser(
        "nn-grid", help="run the paper's neural-network claims over their learning-rate grids",
        description="Train the configuration grids of the NN claims (each grid: one saved initial state "
        "shared by every learning rate, h given as multiples of 2/S0 with S0 the sharpness there) on the "
        "embedded digits and mnist1d data and print a verdict table (pass / fail / inconclusive with "
        "the measured figures: S0*h/2, tail median of S*h/2, the EoS call).",
        epilog="example: lrbias nn-grid --claims all --json nn-claims.json")
    p.add_argument("--claims", default="all", help="'all' or comma-separated claim ids (nn.eos-bounded-loss, "
                   "nn.eos-bounded-activation, nn.catapult-mse-relu, nn.balancing-mse-relu, "
                   "nn.limit-below-eos-mse-relu, nn.no-eos-cubic, nn.bn-restores-eos)")
    p.add_argument("--steps", type=int, help="override every grid's step count (default: the claim's own; "
                   f"at most {MAX_STEPS})")
    p.add_argument("--from-json", metavar="FILE", help="re-check the claims on the runs saved in an earlier "
                   "--json output instead of training (same verdicts unless the checks changed)")
    p.add_argument("--init", default="paper", help="'paper' (default: every grid starts from "
                   "|W1|_F = 6, |W2|_F = 20, the authors' protocol) or 'default' (PyTorch's default init, the "
                   "named variant)")
    p.add_argument("--protocol", default="full", help="'full' (default: every grid on each --seeds seed at its "
                   "protocol step budget, at least 6,000 steps for the EoS claims) or 'catalogue' (seed 0 at the "
                   "budgets the catalogue entries and the report train)")
    p.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)), metavar="S,S,...",
                   help=f"seeds of the full protocol (default {','.join(map(str, DEFAULT_SEEDS))}; each "
                   f"in 0..{MAX_SEED}, at most {MAX_SEEDS})")
    _common(p)
    p.set_defaults(func=_cmd_nn_grid)
