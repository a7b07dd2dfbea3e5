"""What the commands print: a quantity's result with the context a command adds to it.

A command computes a result (a :class:`proofs.quantities.params.ParamsResult`, a
:class:`proofs.quantities.curves.CurveResult`, a :class:`proofs.quantities.solve.Solution`, a
:class:`proofs.quantities.compare.Comparison`...) and hands it to ``printer(format).doprint``
(:mod:`proofs.cli.printers`). Where the result alone does not say everything the output shows
(the label the user gave the strategy, the task, the settings as the options gave them, the
names of the files Sigma and theta0 came from), the command wraps it in one of these. They
hold values only: no computation, no formatting, and nothing heavy is imported here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProvedResult", "ProveReport", "SummaryTable", "ParamsReport", "CurveReport", "ErrorReport",
           "DepthErrorReport", "VerifyReport", "DeriveReport", "FrontierReport", "TrajectoryReport",
           "NumericTrajectory", "RankFrontierReport", "RankTrajectoryReport"]


@dataclass
class ProvedResult:
    """One result of ``prove`` and its verdict: ``holds``, the ``checks`` made, the ``seconds``
    they took, and the ``error`` (``Type: message``) when the check raised."""

    id: str
    title: str
    holds: bool
    seconds: float
    checks: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ProveReport:
    """Every result of ``prove`` (``rows``) and the total ``seconds``; ``unavailable`` says why
    there are no results at all (the backend does not list them yet)."""

    rows: list[ProvedResult]
    seconds: float
    unavailable: str | None = None

    @property
    def holds(self) -> bool:
        return all(r.holds for r in self.rows)


@dataclass
class SummaryTable:
    """The summary table: its ``rows`` (:class:`proofs.paper.table.TableRow`) and the meaning of
    each symbol of its expressions (``symbols``, for JSON)."""

    rows: list[Any]
    symbols: dict[str, str] = field(default_factory=dict)


@dataclass
class ParamsReport:
    """``params``: the strategy's ``label`` as given, its V and Q (``result``, a
    :class:`proofs.quantities.params.ParamsResult`) and the ``symbols`` of the JSON expressions."""

    label: str
    result: Any
    symbols: dict[str, str] = field(default_factory=dict)


@dataclass
class CurveReport:
    """``curve``: the strategy's ``label``, the ``task`` as shown (target, opposite or angle), the
    curve (``result``, a :class:`proofs.quantities.curves.CurveResult`) and the ``settings`` the
    options gave (None for an infinite m or n_ft); the printers add the arithmetic the curve was
    evaluated in."""

    label: str
    task: str
    result: Any
    settings: dict[str, Any]


@dataclass
class ErrorReport:
    """``error``: the value E(V, Q, n; theta) at ``n`` shots, in the arithmetic ``arith``."""

    value: Any
    n: int
    arith: Any


@dataclass
class DepthErrorReport:
    """``error`` with a layer list: a :class:`proofs.quantities.depth_error.DepthError` (value, route,
    label, standard error where Monte Carlo)."""

    result: Any


@dataclass
class VerifyReport:
    """``verify``: the Monte Carlo ``rows`` (:class:`proofs.paper.verify.VerifyRow`), with the
    ``samples`` per formula and the ``seed``."""

    rows: list[Any]
    samples: int
    seed: int

    @property
    def passed(self) -> bool:
        return all(bool(r.passed) for r in self.rows)


@dataclass
class DeriveReport:
    """``derive``: the ``answer`` (a :class:`proofs.quantities.solve.ClosedForm`,
    ``ConcreteMinimum``, ``NumericMinimum`` or :class:`proofs.quantities.lowrank.RankMinimum`), with
    what its output shows beside it: for a closed form its ``derivation``
    (:class:`proofs.quantities.spec_derivation.SpecDerivation`: the steps and the errors at symbolic d;
    for a rank spec at symbolic d, :class:`proofs.quantities.lowrank.RankSummary`), for an answer
    at one setting its ``errors`` there; and where ``Sigma`` and ``theta0`` came from (a file's
    name, or the default)."""

    answer: Any
    derivation: Any = None
    errors: dict[str, Any] | None = None
    Sigma: str = "identity"
    theta0: str = "e_1"


@dataclass
class FrontierReport:
    """``frontier``: the trade-off (``frontier``, a :class:`proofs.quantities.frontier.Frontier`),
    the arithmetic it was evaluated in (``arith``) and the ``settings`` the options gave
    ("inf" for an infinite count)."""

    frontier: Any
    arith: Any
    settings: dict[str, Any]


@dataclass
class TrajectoryReport:
    """``trajectory``: the closed-form path (``trajectory``, a
    :class:`proofs.quantities.trajectories.Trajectory`), the ``settings`` the options gave and the
    ``convention`` the loss follows."""

    trajectory: Any
    settings: dict[str, Any]
    convention: str


@dataclass
class NumericTrajectory:
    """``trajectory --numeric``: full fine-tuning's path iterated in float64
    (:func:`proofs.quantities.numeric_trajectory.full_trajectory`): the recorded ``rows`` (step,
    {column: error}), the end point ``V``, ``Q``, the step it ``diverged`` at (or None), the
    ``settings``, the ``convention`` and a ``note`` on how it was computed."""

    rows: list[tuple[int, dict[str, float]]]
    V: Any
    Q: Any
    diverged: int | None
    settings: dict[str, Any]
    convention: str
    note: str

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0][1]) if self.rows else []


@dataclass
class RankFrontierReport:
    """``frontier --rank``: a curve per rank (``frontier``, a
    :class:`proofs.quantities.frontier_rank.RankFrontier`), the arithmetic it was evaluated in
    (``arith``) and the ``settings`` the options gave ("inf" for an infinite count)."""

    frontier: Any
    arith: Any
    settings: dict[str, Any]


@dataclass
class RankTrajectoryReport:
    """``trajectory --spec`` of a spec with a constraining rank: LoRA's path (``trajectory``, a
    :class:`proofs.quantities.lora_trajectory.LoraTrajectory`) and the ``settings`` the options
    gave ("inf" for an infinite count, None for an option not given)."""

    trajectory: Any
    settings: dict[str, Any]
