"""``icl-finetune trajectory``: the gradient-descent path of a quadratic strategy in closed form
(:mod:`proofs.quantities.trajectories`): the zero-shot and few-shot errors at every recorded step."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.quantities import limits as L
from proofs.cli import options as O

FORMATS = ("text", "json", "latex")
#: what run prints (``module.Class``) and in which formats (tests/test_printers.py): LoRA's path has no
#: LaTeX, which run refuses with exit status 2
PRINTS = {"proofs.cli.reports.TrajectoryReport": FORMATS, "proofs.cli.reports.NumericTrajectory": FORMATS,
          "proofs.cli.reports.RankTrajectoryReport": ("text", "json")}
ARITHMETIC = ("auto", "exact", "float")
#: ``--arithmetic auto`` is exact up to this many trained entries (the characteristic polynomial
#: of the Hessian is factored over the rationals), float64 above
AUTO_EXACT_ENTRIES = 24
CONVENTION = ("gradient descent on the trained blocks' entries, u <- u - eta grad E(u), E the loss exactly as "
              "the strategy or spec defines it (mean squared error, no factor 1/2), from the start (the "
              "pretrained parameters unless the spec gives one)")


def parse_steps(text: str, option: str = "--steps") -> int:
    """``--steps``: an integer 0 <= T <= :data:`proofs.quantities.limits.MAX_STEPS`."""
    return O.parse_count(text, option, minimum=0, maximum=L.MAX_STEPS,  # type: ignore[return-value]
                         why="the closed form's step numbers stay exact in float64")


def parse_every(text: str, option: str = "--every") -> int:
    """``--every``: an integer K >= 1."""
    return O.parse_count(text, option, minimum=1, maximum=L.MAX_STEPS)  # type: ignore[return-value]


def parse_level(text: str, option: str = "--level") -> Any:
    """``--level``: an error level, a number >= 0."""
    value = O._real(text, option, "a number >= 0")
    if value < 0:
        raise O.UsageError(f"{option}: expected a number >= 0, got {O._show(text)}")
    return value


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``trajectory`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "trajectory", help="the gradient-descent path of a strategy in closed form, step by step",
        description="Gradient descent u <- u - eta grad E(u) on the trained entries of a strategy whose loss\n"
                    "is quadratic in them ((c), (d), any V-row or Q-block spec, Q_xx included), from the\n"
                    "start, in closed form: u_t = u_* + (I - eta H)^t (u_0 - u_*). For each recorded step:\n"
                    "the zero-shot error on theta0 and the n-shot errors on theta0 and -theta0 (and on --task),\n"
                    "exact where the Hessian's eigenvalues are rational. (d) runs in two stages (docs/cli.md).\n"
                    "Stable for 0 < eta < 2/lambda_max(H); outside, the run is reported up to the step at which\n"
                    "an error exceeds 10^6 times its largest value at step 0. A spec whose block carries a rank\n"
                    "(LoRA) follows gradient descent on the factors B, A (B = 0, A random), reduced to scalars\n"
                    "where it can be, and ends against the rank-r optimum.",
        example="  icl-finetune trajectory --strategy value --lr 0.005 --steps 1000 --every 100\n"
                "  icl-finetune trajectory --spec lora.json --lr 0.05 --steps 2000 --every 200   (a rank: LoRA's path)",
        run=run)
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("--strategy", metavar="S", type=O.argtype(O.parse_strategy, "--strategy"),
                       help="value or value-fewshot (c, d); pretrain and full have no closed form")
    which.add_argument("--spec", metavar="FILE", type=O.argtype(O.parse_file_name, "--spec"),
                       help="a strategy given as a spec (JSON, docs/cli.md) whose loss is quadratic")
    sub.add_argument("--lr", required=True, metavar="ETA", type=O.argtype(O.parse_lr, "--lr"),
                     help="step size eta > 0 (required)")
    sub.add_argument("--steps", required=True, metavar="T", type=O.argtype(parse_steps, "--steps"),
                     help=f"number of steps T, an integer 0 <= T <= {O._bound(L.MAX_STEPS)} (required; "
                          "two-stage specs run T steps per stage)")
    sub.add_argument("--lr2", metavar="ETA2", type=O.argtype(O.parse_lr, "--lr2"), default=None,
                     help="value-fewshot (two stages): stage 2's step eta_2 > 0 (default: the same fraction of "
                          "stage 2's stable range as --lr is of stage 1's; the header says which step each stage used)")
    sub.add_argument("--path", metavar="{staged,mixed}", default="staged",
                     type=O.argtype(lambda t, o: O.choice(o, ("staged", "mixed"))(t), "--path"),
                     help="value-fewshot only: staged (the derivation's two stages, default) or mixed (plain "
                          "gradient descent on E(0) + lambda E(n_ft) from the pretrained parameters; needs --lambda)")
    sub.add_argument("--lambda", metavar="X", dest="lam", type=O.argtype(parse_level, "--lambda"), default=None,
                     help="--path mixed: the weight lambda >= 0 of the few-shot loss E(n_ft)")
    sub.add_argument("--every", metavar="K", type=O.argtype(parse_every, "--every"), default=None,
                     help="record every K-th step, K <= T (default: T/100 rounded down, at least 1); "
                          "step T is always recorded")
    sub.add_argument("--flow", action="store_true",
                     help="gradient flow du/dtau = -grad E at time tau = eta * step, instead of gradient descent")
    sub.add_argument("--numeric", action="store_true",
                     help="strategy full (no closed form): gradient descent iterated step by step on the exact "
                          f"population loss and gradient, float64, labelled numeric (d <= 8, at most "
                          f"{O._bound(L.MAX_NUMERIC_STEPS)} steps)")
    sub.add_argument("--n", metavar="N", type=O.argtype(O.parse_shots, "--n"), default=None,
                     help="shots of the few-shot columns, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--n-ft", metavar="N", type=O.argtype(O.parse_n_ft, "--n-ft"), default=None, dest="n_ft",
                     help="shots in value-fewshot's auxiliary loss, integer >= 1 or inf (default: inf)")
    sub.add_argument("--level", metavar="X", type=O.argtype(parse_level, "--level"), default=None,
                     help="report the first step at which each error crosses the level X")
    sub.add_argument("--task", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--task"),
                     help="JSON file with a further evaluation task theta (d numbers): one more column")
    sub.add_argument("--d", metavar="D", type=O.argtype(O.parse_dimension, "--d"), default=5,
                     help="dimension of x (default: 5)")
    sub.add_argument("--sigma2", metavar="X", type=O.argtype(O.parse_sigma2, "--sigma2"),
                     default=O.parse_sigma2("0.1"), help="noise variance sigma^2 >= 0 (default: 0.1)")
    sub.add_argument("--m", metavar="M", type=O.argtype(O.parse_shots, "--m"), default=None,
                     help="pretraining context length, an integer >= 0 or inf (default: inf)")
    sub.add_argument("--Sigma", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--Sigma"),
                     help="JSON file with the d x d covariance of x (default: identity)")
    sub.add_argument("--theta0", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--theta0"),
                     help="JSON file with the target task theta0, d numbers (default: e_1)")
    sub.add_argument("--seed", metavar="S", type=O.argtype(O.parse_seed, "--seed"), default=0,
                     help="a spec with a rank (LoRA): the seed of A's random start (B starts at 0; default: 0)")
    sub.add_argument("--arithmetic", default="auto", metavar="{auto,exact,float}", dest="traj_arithmetic",
                     type=O.argtype(lambda t, o: O.choice(o, ARITHMETIC)(t), "--arithmetic"),
                     help=f"exact spectral data (rational eigenvalues) or float64; auto: exact up to "
                          f"{AUTO_EXACT_ENTRIES} trained entries (default: auto)")
    O.format_option(sub, FORMATS)
    return sub


def _entries(spec: Any, d: int) -> int:
    from symbolic.depth_spec import DepthSpec
    from symbolic.explicit import block_sizes
    if isinstance(spec, DepthSpec):   # (layer, block) pairs: v_x has d entries, v_0 and v_y one
        return sum(d if b == "vx" else 1 for _, b in spec.train)
    return sum(block_sizes(spec.train, d).values())


def run(args: argparse.Namespace) -> int:
    """Validate, build the closed form, print the rows."""
    from proofs import api
    from proofs.cli.inputs import check_spec, fixed_dimension, setting, strategy_of
    which, label = strategy_of(args)
    d, Sigma, theta0 = setting(args, need_d=True, d=fixed_dimension(which, any_start=True))
    assert d is not None
    check_spec(which, d)
    if args.every is not None and args.every > max(args.steps, 1):
        raise O.UsageError(f"--every: expected at most --steps ({args.steps}), got {args.every}")
    every = args.every if args.every is not None else max(1, args.steps // 100)
    rows = (args.steps // every + 1)
    if rows > L.MAX_ROWS:
        raise O.UsageError(f"--every: expected at most {L.MAX_ROWS} recorded rows (--steps/--every + 1), got {rows}")
    if hasattr(which, "train") and which.constraining_ranks(d):   # a constraining rank: LoRA's path
        return _lora(args, which, label, d, Sigma, theta0, every)
    task = None
    if args.task:
        from proofs.cli.files import load_theta0
        task = load_theta0(args.task, d, "--task")
    from symbolic.quadratic import NotQuadratic
    from proofs.quantities import trajectories as T
    if not hasattr(which, "train") and which == "full" and args.numeric:
        return _numeric_full(args, d, Sigma, theta0, task, every)
    if not hasattr(which, "train") and which in ("pretrain", "full"):
        raise O.Unavailable(f"--strategy {which}: no closed form (the loss is not quadratic in what it trains: "
                            "V and Q move together)" + ("; --numeric gives full's path numerically" if which == "full" else
                                                        "; pretraining has no start to follow a path from"))
    if args.numeric:
        if getattr(which, "layers", 1) > 1:   # a depth spec: its numeric answer is derive's, not a path here
            raise O.UsageError("--numeric: only for --strategy full; a depth spec without a closed form is answered "
                               "numerically by 'derive --spec FILE --numeric'")
        raise O.UsageError("--numeric: only for --strategy full (every other strategy here has a closed form)")
    if args.path == "mixed" and (hasattr(which, "train") or which != "value-fewshot"):
        raise O.UsageError("--path: mixed is strategy value-fewshot's alternative path; give --strategy value-fewshot")
    if (args.path == "mixed") != (args.lam is not None):
        raise O.UsageError("--lambda: give it with --path mixed (the weight of E(n_ft)), and only then")
    if args.lr2 is not None and (args.path == "mixed" or hasattr(which, "train") or which != "value-fewshot"):
        raise O.UsageError("--lr2: only for --strategy value-fewshot on its two-stage path")
    try:
        spec = T.as_spec(which, args.n_ft)
    except NotImplementedError as err:
        raise O.Unavailable(str(err)) from None
    entries = _entries(spec, d)
    if entries > L.MAX_TRAINED_ENTRIES:
        raise O.UsageError(f"--d: the spec trains {entries} entries at d = {d}; expected at most "
                           f"{L.MAX_TRAINED_ENTRIES} (the Hessian is that size squared)")
    arithmetic = args.traj_arithmetic
    if arithmetic == "auto":
        arithmetic = "exact" if entries <= AUTO_EXACT_ENTRIES and d <= L.MAX_EXACT_D else "float"
    if arithmetic == "exact" and d > L.MAX_EXACT_D:
        raise O.UsageError(f"--arithmetic: exact needs d <= {L.MAX_EXACT_D}, got d = {d}")
    try:
        result = api.trajectory(spec if args.path == "staged" else which, eta=O.exact(args.lr),
                                eta2=None if args.lr2 is None else O.exact(args.lr2), path=args.path,
                                lam=None if args.lam is None else O.exact(args.lam), steps=args.steps, every=every, flow=args.flow, n=args.n,
                                d=d, sigma2=O.exact(args.sigma2), m=args.m, n_ft=args.n_ft, Sigma=Sigma,
                                theta0=theta0, task=None if task is None else [O.exact(x) for x in task],
                                level=None if args.level is None else O.exact(args.level), arithmetic=arithmetic)
    except NotQuadratic as err:
        raise O.Unavailable(f"no closed form: {err}") from None
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.printers.common import inf_or
    from proofs.cli.reports import TrajectoryReport
    from symbolic.depth_spec import DepthSpec
    if isinstance(which, DepthSpec) and arithmetic == "exact" and not result.exact:
        arithmetic = "float"    # an irrational pretrained gamma_l (the trajectory's note says so)
    settings = {"strategy": label, "path": args.path if not hasattr(which, "train") and which == "value-fewshot" else None,
                "lambda": None if args.lam is None else float(args.lam), "lr": float(args.lr),
                "lr2": None if args.lr2 is None else float(args.lr2), "steps": args.steps, "every": every, "flow": args.flow,
                "n": inf_or(args.n), "n_ft": inf_or(args.n_ft), "d": d, "sigma2": float(args.sigma2),
                "m": inf_or(args.m), "Sigma": args.Sigma or "identity", "theta0": args.theta0 or "e_1",
                "task": args.task, "level": None if args.level is None else float(args.level),
                "arithmetic": arithmetic}
    write(printer(args.format).doprint(TrajectoryReport(result, settings, CONVENTION)))
    return O.EXIT_OK


def _numeric_full(args: argparse.Namespace, d: int, Sigma: Any, theta0: Any, task: Any, every: int) -> int:
    """``--strategy full --numeric``: the path iterated in float64 (proofs.quantities.numeric_trajectory)."""
    from proofs.quantities.numeric_trajectory import MAX_NUMERIC_D, full_trajectory
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.printers.common import inf_or
    from proofs.cli.reports import NumericTrajectory
    if d > MAX_NUMERIC_D:
        raise O.UsageError(f"--d: expected at most {MAX_NUMERIC_D} with --numeric (the moment tensor has (d+1)^6 entries), got {d}")
    if args.steps > L.MAX_NUMERIC_STEPS:
        raise O.UsageError(f"--steps: expected at most {O._bound(L.MAX_NUMERIC_STEPS)} with --numeric, got {args.steps}")
    if args.flow:
        raise O.UsageError("--flow: not available with --numeric")
    th = None if theta0 is None else [float(x) for x in (list(theta0) if not hasattr(theta0, "tolist") else
                                                         sum(([y] if not isinstance(y, list) else y for y in theta0.tolist()), []))]
    rows, (V, Q), diverged = full_trajectory(eta=float(args.lr), steps=args.steps, every=every, d=d,
                                             sigma2=O.exact(args.sigma2), Sigma=Sigma, theta0=th, n=args.n,
                                             task=None if task is None else [float(x) for x in task])
    settings = {"strategy": "full", "numeric": True, "lr": float(args.lr), "steps": args.steps, "every": every,
                "n": inf_or(args.n), "d": d, "sigma2": float(args.sigma2), "Sigma": args.Sigma or "identity",
                "theta0": args.theta0 or "e_1"}
    note = ("numeric: full fine-tuning's loss is quartic; gradient descent iterated step by step on the exact "
            "population loss and gradient (Gaussian moments, float64), from the pretrained parameters (m = inf)")
    write(printer(args.format).doprint(NumericTrajectory(rows, V, Q, diverged, settings, CONVENTION, note)))
    return O.EXIT_OK


def _lora(args: argparse.Namespace, spec: Any, label: str, d: int, Sigma: Any, theta0: Any, every: int) -> int:
    """``trajectory --spec`` of a rank-constrained spec: LoRA's path
    (:mod:`proofs.quantities.lora_trajectory`), its rows and where it ends against the rank-r optimum."""
    from proofs import api
    from proofs.cli.output import write
    from proofs.cli.printers import printer
    from proofs.cli.printers.common import inf_or
    from proofs.cli.reports import RankTrajectoryReport
    if args.flow:
        raise O.UsageError("--flow: LoRA's path is gradient descent on the factors B, A; give no --flow")
    if args.task:
        raise O.UsageError("--task: LoRA's path reports the errors on theta0 and -theta0 only")
    if args.numeric:
        raise O.UsageError("--numeric: LoRA's path is followed step by step already (reduced to scalars where it can be)")
    if args.steps > L.MAX_NUMERIC_STEPS:
        raise O.UsageError(f"--steps: expected at most {O._bound(L.MAX_NUMERIC_STEPS)} on LoRA's path (each step is "
                           f"iterated), got {args.steps}")
    if args.format == "latex":
        raise O.UsageError("--format: latex is for closed-form paths; use text or json for LoRA's path")
    arithmetic = None if args.traj_arithmetic == "auto" else args.traj_arithmetic
    r = api.trajectory(spec, eta=O.exact(args.lr), steps=args.steps, every=every, n=args.n, d=d,
                       sigma2=O.exact(args.sigma2), m=args.m, Sigma=Sigma, theta0=theta0,
                       level=None if args.level is None else O.exact(args.level), arithmetic=arithmetic,
                       seed=args.seed)
    settings = {"spec": label, "lr": float(args.lr), "steps": args.steps, "every": every, "n": inf_or(args.n), "d": d,
                "sigma2": float(args.sigma2), "m": inf_or(args.m), "Sigma": args.Sigma or "identity",
                "theta0": args.theta0 or "e_1", "seed": args.seed,
                "level": None if args.level is None else float(args.level)}
    write(printer(args.format).doprint(RankTrajectoryReport(r, settings)))
    return O.EXIT_OK
