r"""Beyond the paper: low-rank (LoRA) fine-tuning of Q and of Q_xx on an n_ft-shot loss, as a function
of the rank r, against full fine-tuning of the same block.

Strategy: from the pretrained model (V at V_hat, Q at Q_hat, m -> oo, any Sigma), one block X,
Q (= Q[:, :d+1], every block of Q that reaches the output) or Q_xx, moves by its best update of rank
at most r (LoRA's ``X_hat + B A``; gradient descent on the factors from B = 0 ends there) on the
n_ft-shot loss ``E(V_hat, Q, n_ft; theta_0)``.  Derived at symbolic d, Sigma, sigma, n_ft and r by
:mod:`symbolic.lowrank` (the symmetric ansatz about theta_0, weighted Eckart-Young on the
Kronecker-structured Hessian), nothing typed in; checked against the rank-r optimum found at a
concrete setting by another route (:mod:`symbolic.lowrank_concrete`: the explicit quadratic in X's
entries and the exact eigen-decomposition of the whitened problem), by the first-order conditions
on the factors and by the Eckart-Young-Mirsky bound there.

Findings, as checked (k = theta_0^T Sigma theta_0):

* Below full rank (1 <= r <= d - 1) the best update, of Q and of Q_xx alike, switches the pretrained
  Q_xx off on r directions Sigma-orthogonal to theta_0 (``Q_xx = Sigma^{-1} - U (U^T Sigma U)^{-1}
  U^T``, any U with ``U^T Sigma theta_0 = 0``) and moves nothing else: each of those d - 1 directions
  gains ``n_ft (sigma^2 + k)/(n_ft + 1)^2`` on the fine-tuning loss, more than the theta_0 block's
  directions.  Full fine-tuning of the block (Extension 7) is reached at r = d.
* So LoRA forgets nothing on theta_0 or -theta_0 (its n -> oo errors stay the pretrained sigma^2:
  0 per unit of gain, against ``rho_Q`` for full Q, 5.35 at the poster's setting, and ``rho_xx``
  for full Q_xx), but learns nothing specific to theta_0 either, and on random tasks theta ~ N(0, I)
  it costs exactly one unit of error per rank: ``gamma_r = (n_ft + 1)^2 / (n_ft (sigma^2 + k))`` per
  unit of gain (6.55 at the poster's setting), below full Q's (41.7) and just above full Q_xx's
  (6.34), the order holding at every setting (checked).
* The zero-shot error does not move at any rank (at V_hat the zero-shot prediction is 0 whatever Q
  is): there is no zero-shot gain to measure forgetting against.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from symbolic import ratfun
from symbolic import N_FT, THETA0
from symbolic.objective import SIGMA_NOISE
from symbolic.strategy import Step
from symbolic.words import DIM

from proofs.paper.result import PARAMS, Derivation, Line, Param, Result, TestError, claim
from proofs.paper.results._common import (PRETRAINED, SETTING, T0ST0, check_setting_keys, equality_line,
                                           refuse_finite_m, same, show, sigma)

#: the rank, 1 <= r <= d - 1 in the statement
R = sp.Symbol("r", integer=True, positive=True)
#: forgetting per unit of gain (module docstring): on -theta_0 for full Q, full Q_xx and rank r; on
#: theta ~ N(0, I) for rank r
RHO_Q, RHO_XX, RHO_R, GAMMA_R = Param("rho_Q"), Param("rho_xx"), Param("rho_r"), Param("gamma_r")
BLOCKS = ("Q", "Qxx")
#: the poster's setting, where the note line reads the numbers
POSTER = {"d": 5, "sigma2": sp.Rational(1, 10), "k": 1, "n_ft": 5}

PARAMS.update({"lora-rank": ("V_hat, X_r", r"\hat{V}, X_r")})


class RandomTask(sp.Symbol):
    """The task averaged over, theta ~ N(0, I_d): ``E(V, Q, n; theta_N)`` is the error averaged
    over it (stated at Sigma = I)."""

    def _latex(self, printer) -> str:
        return r"\theta_{\mathcal{N}}"

    def _sympystr(self, printer) -> str:
        return "theta_N"


THETA_N = RandomTask("theta_N")


def lora_spec(block: str, n_ft: Any = N_FT, rank: int = 1):
    """The block by its best rank-``rank`` update on the n_ft-shot loss on theta_0 (the statement's r
    is symbolic; the derivation is the same for every rank: its allocation is a function of r)."""
    from symbolic.spec import Rank, make_spec
    return make_spec([Rank(block, rank)], [(1, n_ft, "target")], name=f"lora-{block}")


@lru_cache(maxsize=None)
def derivations() -> dict[str, Any]:
    """:func:`symbolic.lowrank.derive_lowrank` of both blocks at symbolic n_ft, m -> oo."""
    from symbolic.lowrank import derive_lowrank
    return {b: derive_lowrank(lora_spec(b)) for b in BLOCKS}


def _k(e: Any) -> sp.Expr:
    """A formula of :mod:`symbolic.lowrank` (in its k) in the statements' theta_0^T Sigma theta_0."""
    from symbolic.lowrank import K
    return sp.sympify(e).xreplace({K: T0ST0})


def _full(D: Any) -> tuple[int, Any]:
    """The allocation of full fine-tuning of the block: every nonzero gain taken."""
    return sum(1 for g in D.theta_gains if g != 0), (DIM - 1 if D.perp_gain != 0 else 0)


class LowRank(Result):
    id = "low-rank-fine-tuning"
    title = "beyond the paper: low-rank (LoRA) fine-tuning of Q and of Q_xx, as a function of the rank r"
    title_latex = (r"beyond the paper: low-rank (LoRA) fine-tuning of $Q$ and of $Q_{xx}$, as a function of the "
                   r"rank $r$")
    label_text = "Extension 8"
    strategy = "pretrain"
    assumption_pairs = (SETTING, PRETRAINED,
                        ("X_r is the best update of rank at most r of Q (Q[:, :d+1]) or of Q_xx (the two give the "
                         "same errors) from Q_hat, V at V_hat, on the n_ft-shot loss E(V_hat, Q, n_ft; theta_0), "
                         "1 <= r <= d - 1 (at r = d it is full fine-tuning of the block, Extension 7)",
                         r"$X_r$ is the best update of rank at most $r$ of $Q$ ($Q_{:, :d+1}$) or of $Q_{xx}$ (the two "
                         r"give the same errors) from $\hat{Q}$, $V$ at $\hat{V}$, on the $n_{\mathrm{ft}}$-shot loss "
                         r"$\mathcal{E}(\hat{V}, Q, n_{\mathrm{ft}}; \theta_0)$, $1 \leq r \leq d - 1$ (at $r = d$ it "
                         r"is full fine-tuning of the block, Extension 7)"),
                        ("the error on theta_N and gamma_r are stated at Sigma = I",
                         r"the error on $\theta_{\mathcal{N}}$ and $\gamma_r$ are stated at $\Sigma = I$"))
    definitions = (
        ("r", "r is the rank", "$r$ is the rank"),
        ("theta_N", "theta_N stands for tasks theta ~ N(0, I_d), the error averaged over them",
         r"$\theta_{\mathcal{N}}$ stands for tasks $\theta \sim \mathcal{N}(0, I_d)$, the error averaged over them"),
        ("rho_r", "rho_X is the rise of the n -> oo error on -theta_0 per unit fall of the n_ft-shot loss on "
                  "theta_0, for X = X_r, full Q (rho_Q) and full Q_xx (rho_xx)",
         r"$\rho_X$ is the rise of the $n \to \infty$ error on $-\theta_0$ per unit fall of the "
         r"$n_{\mathrm{ft}}$-shot loss on $\theta_0$, for $X = X_r$, full $Q$ ($\rho_Q$) and full $Q_{xx}$ ($\rho_{xx}$)"),
        ("rho_Q", "", ""), ("rho_xx", "", ""),
        ("gamma_r", "gamma_r is the same ratio on theta_N", r"$\gamma_r$ is the same ratio on $\theta_{\mathcal{N}}$"),
    )
    claim = ("Below full rank the best update of Q or of Q_xx switches the pretrained Q_xx off on r directions "
             "Sigma-orthogonal to theta_0 (Q_xx = Sigma^(-1) - U (U^T Sigma U)^(-1) U^T, U^T Sigma theta_0 = 0) and moves "
             "nothing else:",
             r"Below full rank the best update of $Q$ or of $Q_{xx}$ switches the pretrained $Q_{xx}$ off on $r$ "
             r"directions $\Sigma$-orthogonal to $\theta_0$ ($Q_{xx} = \Sigma^{-1} - U (U^{T} \Sigma U)^{-1} U^{T}$, "
             r"$U^{T} \Sigma \theta_0 = 0$) and moves nothing else:")
    remark = ("Does LoRA forget less, and how much per unit of gain? On theta_0 and -theta_0 it forgets nothing "
              "(rho_r = 0, against rho_Q and rho_xx > 0 for full fine-tuning of the block), but it learns nothing "
              "specific to theta_0 either: its n -> oo error on theta_0 stays the pretrained sigma^2 and its gain is on "
              "the n_ft-shot loss only. On random tasks it costs one unit of error per rank, gamma_r per unit of gain: "
              "less than full Q, slightly more than full Q_xx. The zero-shot error does not move at any rank, so there "
              "is no zero-shot gain to forget against.",
              r"Does LoRA forget less, and how much per unit of gain? On $\theta_0$ and $-\theta_0$ it forgets nothing "
              r"($\rho_r = 0$, against $\rho_Q, \rho_{xx} > 0$ for full fine-tuning of the block), but it learns nothing "
              r"specific to $\theta_0$ either: its $n \to \infty$ error on $\theta_0$ stays the pretrained $\sigma^2$ "
              r"and its gain is on the $n_{\mathrm{ft}}$-shot loss only. On random tasks it costs one unit of error per "
              r"rank, $\gamma_r$ per unit of gain: less than full $Q$, slightly more than full $Q_{xx}$. The zero-shot "
              r"error does not move at any rank, so there is no zero-shot gain to forget against.")

    def _statement(self):
        k, s2, n = T0ST0, sigma ** 2, N_FT
        few = s2 + k / (n + 1) + (DIM - R) * n * (s2 + k) / (n + 1) ** 2
        return (claim(TestError("lora-rank", 0, THETA0), s2 + k),
                claim(TestError("lora-rank", n, THETA0), few),
                claim(TestError("lora-rank", n, -THETA0), few),
                claim(TestError("lora-rank", sp.oo, THETA0), s2),
                claim(TestError("lora-rank", sp.oo, -THETA0), s2),
                claim(TestError("lora-rank", sp.oo, THETA_N), s2 + R),
                claim(RHO_R, 0),
                claim(RHO_Q, k * (n + 1) ** 2 * (2 * n + 3) ** 2
                      / (n * (n + 2) * (DIM * (n + 2) * (s2 + k) - (n + 1) * k))),
                claim(RHO_XX, k * (s2 + k) * (n + 1) ** 2
                      / (n * ((n + 2) * k + s2) * (DIM * (n + 2) * k + DIM * s2 - (n + 1) * k))),
                claim(GAMMA_R, (n + 1) ** 2 / (n * (s2 + k))))

    def _derive(self) -> Derivation:
        Ds = derivations()
        D = Ds["Q"]
        values, quantities = {}, {}
        for b, Db in Ds.items():
            quantities[b] = _quantities(Db, shown=b == "Q")
        q = quantities["Q"]
        lhs = [e.lhs for e in self.statement]
        values[lhs[0]] = q["zero"]
        values[lhs[1]], values[lhs[2]] = q["few_t"], q["few_o"]
        values[lhs[3]], values[lhs[4]], values[lhs[5]] = q["lim_t"], q["lim_o"], q["lim_N"]
        values[RHO_R] = q["rho_r"]
        values[RHO_Q] = q["rho_full"]
        values[RHO_XX] = quantities["Qxx"]["rho_full"]
        values[GAMMA_R] = q["gamma_r"]
        steps = [Step("Q by its best rank-r update on the n_ft-shot loss on theta_0")] + list(D.steps)
        steps += [Step("Q_xx alone, the same")] + list(Ds["Qxx"].steps)
        return Derivation(values=values, steps=steps,
                          extra={"gains per perp direction (Q, Q_xx)": [_k(Db.perp_gain) for Db in Ds.values()],
                                 "theta-block gains (Q)": [_k(g) for g in D.theta_gains],
                                 "theta-block gains (Q_xx)": [_k(g) for g in Ds["Qxx"].theta_gains],
                                 "gamma at full rank (Q, Q_xx)": [quantities[b]["gamma_full"] for b in BLOCKS]},
                          data={"D": Ds, "q": quantities})

    def _checks(self, der: Derivation):
        Ds, qs = der.data["D"], der.data["q"]
        for b, D in Ds.items():
            jA, jP = D.allocation(R, None)
            zero = all(x == 0 for x in D.theta_truncations[0])
            conds = ", ".join(f"{c}: {show(_k(v))}" for c, v in D.order_conditions.items())
            yield Line("exact", f"{b}: the perp gain {show(_k(D.perp_gain))} (d - 1 directions) exceeds every theta-block "
                       f"gain ({conds}, each > 0 for d >= 2, n_ft >= 1, sigma^2 > 0), so rank r <= d - 1 takes "
                       f"{jA} theta-block and r perp directions; there s* = {show(D.perp_update)}: Q_xx = Sigma^(-1) - "
                       "U (U^T Sigma U)^(-1) U^T and the theta block does not move",
                       D.decided and D.order[0] == "perp" and (jA, jP) == (0, R) and zero and D.perp_update == -1)
        keys = ("zero", "few_t", "few_o", "lim_t", "lim_o", "lim_N", "rho_r", "gamma_r")
        yield Line("exact", "Q and Q_xx give the same errors below full rank (each of: " + ", ".join(keys) + ")",
                   all(same(qs["Q"][key], qs["Qxx"][key]) for key in keys))
        names = ("zero-shot on theta_0", "n_ft-shot on theta_0", "n_ft-shot on -theta_0", "n -> oo on theta_0",
                 "n -> oo on -theta_0", "n -> oo on theta_N (Sigma = I)", "rho_r", "rho_Q (full Q)",
                 "rho_xx (full Q_xx)", "gamma_r")
        for eq, what in zip(self.statement, names):
            yield equality_line(what, der.values[eq.lhs], eq.rhs)
        for b, D in Ds.items():
            rows = D.compare_with_full(ns=(0, N_FT, sp.oo))
            yield Line("exact", f"{b} at full rank = today's unconstrained derivation of the block (symbolic.general."
                       f"derive_spec, Extension 7's spec): the training loss and the errors on +-theta_0 at n = 0, "
                       f"n_ft, oo ({len(rows)} values)", all(ok for *_, ok in rows))
        yield from _orders(qs)
        yield from _concrete_lines(self)
        yield _poster_note(qs)

    def evaluate(self, *, digits: int | None = None, **setting: Any) -> dict[sp.Basic, Any]:
        """Each statement's two sides at a setting: ``{lhs: (computed, stated)}``, the computed side
        from the rank-r optimum found at the setting by weighted Eckart-Young (exact; another route than
        the closed form), of Q (Q_xx gives the same: a check of :meth:`check`).  Keys: ``Sigma``,
        ``theta_0``, ``sigma2`` (required), ``d``, ``n_ft`` (default 5), ``r`` (default 1), ``m``.  The
        lines on theta_N and gamma_r are given at Sigma = I only.  Refused, with the reason: r outside
        1 <= r <= d - 1, a finite m, a task other than theta_0, -theta_0."""
        allowed = {"Sigma", "theta_0", "sigma2", "d", "n_ft", "r", "m"}
        check_setting_keys(setting, allowed, theta_why=" (the statement is on theta_0, -theta_0 and theta ~ N(0, I))")
        refuse_finite_m(setting, "at finite m the order of the gains depends on m, symbolic.lowrank")
        from proofs.quantities import validation as V
        from proofs.quantities.setting import setting as make
        n_ft = V.count(setting.pop("n_ft", 5), "n_ft", minimum=1)
        where = make(setting.get("d"), Sigma=setting.get("Sigma"), theta0=setting.get("theta_0"),
                     sigma2=setting["sigma2"], n_ft=n_ft, arithmetic="exact")
        d = where.d
        r = setting.get("r", 1)
        if isinstance(r, bool) or not isinstance(r, (int, sp.Integer)) or not 1 <= int(r) <= d - 1:
            raise ValueError(f"r: the statement holds for 1 <= r <= d - 1 = {d - 1} (at r = d the update is full "
                             f"fine-tuning of the block, Extension 7), got {r!r}")
        return _evaluate(self, where, int(r), n_ft, digits)


def _quantities(D: Any, shown: bool = True) -> dict[str, sp.Expr]:
    """The statement's quantities for one block (in the statement's k), and the full-rank ones.
    ``shown``: the values below full rank are printed (Q's), so factored; Q_xx's are only compared
    with Q's (:func:`proofs.paper.results._common.same`: any form) and are left unfactored.  The
    ratios are computed in the field QQ(parameters) (:meth:`symbolic.lowrank.LowRankDerivation.error_element`,
    ``gain_element``) and factored there, k written as theta_0^T Sigma theta_0 (where it sorts: the same
    normal form as factoring the expression)."""
    from symbolic.lowrank_ring import lift, shifted_ratio
    jA, jP = _full(D)
    jAr, jPr = D.allocation(R)
    s2 = sigma ** 2
    tidy = _kfac if shown else (lambda x: _k(x.as_expr()))   # noqa: E731
    # D.error and D.error_at come factored (symbolic.lowrank) when shown: k substituted, not factored again
    out = {"zero": _k(D.error(R, THETA0, 0, factored=shown)),
           "few_t": _k(D.error(R, THETA0, N_FT, factored=shown)),
           "few_o": _k(D.error(R, -THETA0, N_FT, factored=shown)),
           "lim_t": _k(D.error(R, THETA0, sp.oo, factored=shown)),
           "lim_o": _k(D.error(R, -THETA0, sp.oo, factored=shown)),
           "lim_N": _k(D.family_error(R, sp.oo, factored=shown))}
    gain_r = D.gain_element(jAr, jPr)
    gain_full = D.gain_element(jA, jP)
    gain_r, gain_full, lim_o, lim_N, full_o, full_N, s2 = lift(
        (gain_r, gain_full, D.error_element(jAr, jPr, ("task", -THETA0), sp.oo),
         D.error_element(jAr, jPr, ("family", None), sp.oo, identity=True),
         D.error_element(jA, jP, ("task", -THETA0), sp.oo), D.error_element(jA, jP, ("family", None), sp.oo, identity=True)),
        s2)
    out["gain_r"], out["gain_full"] = _kfac(gain_r), _kfac(gain_full)
    out["rho_r"] = tidy(shifted_ratio(lim_o, s2, gain_r))
    out["gamma_r"] = tidy(shifted_ratio(lim_N, s2, gain_r))
    out["rho_full"] = _kfac(shifted_ratio(full_o, s2, gain_full))
    out["gamma_full"] = _kfac(shifted_ratio(full_N, s2, gain_full))
    out["lim_t_full"] = _k(D.error_at(jA, jP, THETA0, sp.oo, factored=shown))
    return out


def _kfac(x: Any) -> sp.Expr:
    """An element of QQ(parameters) factored (:func:`symbolic.lowrank_ring.factored`), k written as
    theta_0^T Sigma theta_0: ``ratfun.factored`` of the expression in theta_0^T Sigma theta_0 (which
    takes k's place in SymPy's order of generators)."""
    from symbolic.lowrank import K
    from symbolic.lowrank_ring import factored, ordered
    gens = x.field.ring.symbols
    named = [T0ST0 if g == K else g for g in gens]
    if K in gens and ordered(named) != tuple(named):   # the renamed generator sorts elsewhere: the expression's
        return ratfun.factored(_k(x.as_expr()))
    return factored(x, named)


def positive(e: sp.Expr) -> bool:
    """Whether ``e`` > 0 for every d >= 2, n_ft >= 1, sigma^2 > 0, k > 0: after d = 2 + a,
    n_ft = 1 + b, its numerator and denominator, expanded, have positive coefficients only (a
    sufficient, exact test)."""
    a, b, c, k = (sp.Symbol(x, positive=True) for x in ("a_", "b_", "c_", "k_"))
    from symbolic import Bilinear
    e = sp.sympify(e).xreplace({x: k for x in sp.sympify(e).atoms(Bilinear)})
    e = e.xreplace({DIM: 2 + a, N_FT: 1 + b, SIGMA_NOISE: sp.sqrt(c)})
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring
    from symbolic.lowrank import ring_fraction
    try:    # numerator and denominator in QQ[a, b, c, k], their common factor cancelled (as cancel does)
        num, den = ring_fraction(e, ring((a, b, c, k), QQ)[0])
        _, num, den = num.cofactors(den)
        coeffs = [num.coeffs() if num else [0], den.coeffs()]
    except ValueError:      # not a rational function of a, b, c, k: SymPy's cancel
        num, den = sp.fraction(sp.cancel(sp.together(e)))
        coeffs = [sp.Poly(sp.expand(x), a, b, c, k).coeffs() for x in (num, den)]
    signs = [set(sp.sign(co) for co in cs) for cs in coeffs]
    return all(len(s) == 1 for s in signs) and signs[0] == signs[1]


def _orders(qs: dict):
    """The comparisons the answer rests on, each proved for every d >= 2, n_ft >= 1, sigma^2, k > 0."""
    Q, X = qs["Q"], qs["Qxx"]
    yield Line("exact", f"rho_Q = {show(Q['rho_full'])} > 0 and rho_xx = {show(X['rho_full'])} > 0: full fine-tuning "
               "of the block forgets on -theta_0, rank r <= d - 1 does not (rho_r = 0)",
               positive(Q["rho_full"]) and positive(X["rho_full"]) and Q["rho_r"] == 0)
    yield Line("exact", "on theta_N, per unit of gain: full Q_xx < rank r < full Q, i.e. gamma_r - gamma_xx,full > 0 and "
               "gamma_Q,full - gamma_r > 0 (numerator and denominator with positive coefficients only)",
               positive(Q["gamma_r"] - X["gamma_full"]) and positive(Q["gamma_full"] - Q["gamma_r"]))
    per_rank = ratfun.factored(qs["Q"]["lim_N"] - sp.diff(qs["Q"]["lim_N"], R) * R)
    yield Line("exact", f"on theta_N the n -> oo error rises by {show(sp.diff(qs['Q']['lim_N'], R))} per rank (from "
               f"the pretrained {show(per_rank)}), the n_ft-shot loss falls by {show(ratfun.factored(Q['gain_r'] / R))} per rank",
               sp.diff(qs["Q"]["lim_N"], R) == 1 and same(per_rank, sigma ** 2))
    yield Line("exact", f"full Q, n -> oo on theta_0: {show(Q['lim_t_full'])}, above the pretrained sigma^2 that rank "
               "r <= d - 1 keeps (Extension 7: full Q trades theta_0's own in-context limit too)",
               positive(Q["lim_t_full"] - sigma ** 2))


def _poster_note(qs: dict) -> Line:
    from symbolic.evaluation import evaluate
    env = {"d": POSTER["d"], "sigma": sp.sqrt(POSTER["sigma2"]), "n_ft": POSTER["n_ft"]}
    k = sp.Symbol("k_", positive=True)

    def at(e: sp.Expr) -> float:
        from symbolic import Bilinear
        e = sp.sympify(e).xreplace({x: k for x in sp.sympify(e).atoms(Bilinear)})
        return float(evaluate(e.xreplace({k: POSTER["k"]}), env))
    vals = [at(qs["Q"]["rho_full"]), at(qs["Qxx"]["rho_full"]), at(qs["Q"]["gamma_r"]), at(qs["Q"]["gamma_full"]),
            at(qs["Qxx"]["gamma_full"])]
    return Line("note", "at the poster's setting (d = 5, sigma^2 = 1/10, k = 1, n_ft = 5), from the formulas: rho_Q = "
                f"{vals[0]:.4g}, rho_xx = {vals[1]:.4g}, rho_r = 0; gamma_r = {vals[2]:.4g}, gamma_Q,full = "
                f"{vals[3]:.4g}, gamma_xx,full = {vals[4]:.4g}", None)


# ----------------------------------------------------------------------------- at a concrete setting

#: the concrete setting of the checks: d = 3, a dense Sigma, theta_0, sigma^2, n_ft = 2
CHECK = {"Sigma": sp.Matrix([[2, 1, 0], [1, 2, sp.Rational(1, 2)], [0, sp.Rational(1, 2), 1]]),
         "theta_0": [1, -1, 2], "sigma2": sp.Rational(1, 2), "n_ft": 2}


def _errors_of(V: Any, Q: Any, where: Any, n_ft: int, tasks: tuple = ("target", "opposite")) -> dict[str, Any]:
    """The errors of explicit V, Q at the setting (:func:`proofs.quantities.curves.explicit_task_errors`)
    on the ``tasks`` asked for: ``zero``, ``few_t``, ``lim_t`` (target), ``few_o``, ``lim_o`` (opposite)."""
    from proofs.quantities.curves import explicit_task_errors
    out = {}
    got = explicit_task_errors(V, Q, where, [t for t in ("target", "opposite") if t in tasks], [0, n_ft])
    if "target" in tasks:
        (out["zero"], out["few_t"]), out["lim_t"] = got["target"]
    if "opposite" in tasks:
        (_, out["few_o"]), out["lim_o"] = got["opposite"]
    return out


_ERRORS: dict = {}


def _optimum_errors(b: str, n_ft: int, r: int, where: Any, tasks: tuple = ("target", "opposite")) -> dict[str, Any]:
    """:func:`_errors_of` the rank-r optimum of block ``b`` at the setting, once per process and task
    (the rank-r optimum of the full block is the same at every r the statement is evaluated at)."""
    from proofs.quantities.lowrank import rank_optimum
    key = (b, n_ft, r, where.key())
    if key not in _ERRORS:
        if len(_ERRORS) > 16:
            _ERRORS.clear()
        _ERRORS[key] = {}
    have = _ERRORS[key]
    missing = tuple(t for t in tasks if t not in have)
    if missing:
        o = rank_optimum(lora_spec(b, n_ft, r), where)
        have.update({t: None for t in missing})
        have.update(_errors_of(o.V, o.Q, where, n_ft, missing))
    return {k: v for k, v in have.items() if k not in ("target", "opposite")}


def family_error(V: Any, Q: Any, where: Any) -> sp.Expr:
    """The n -> oo error of explicit V, Q averaged over theta ~ N(0, I_d), exact: the Wick engine's
    family average (:func:`symbolic.explicit.explicit_quadratic` of a family term with nothing
    trained, V, Q its start: its constant is the loss there, the number the quadratic in Q_xx gives
    at its start, without assembling that quadratic)."""
    from symbolic.explicit import explicit_quadratic
    from symbolic.spec import spec_from_json
    rows = lambda M: [[str(x) for x in row] for row in sp.Matrix(M).tolist()]  # noqa: E731
    spec = spec_from_json({"train": ["Qxx"], "loss": [{"n": "inf", "task": {"mean": "zero", "cov": 1}}],
                           "start": {"V": rows(V), "Q": rows(Q)}})
    q = explicit_quadratic(spec.loss, (), start=spec.start, values=dict(spec.bindings), d=where.d,
                           Sigma=where.Sigma, theta0=where.theta0, sigma2=where.sigma2)
    return q.c


def _evaluate(result: Any, where: Any, r: int, n_ft: int, digits: Any) -> dict:
    from symbolic.evaluation import evaluate
    from proofs.quantities.lowrank import rank_optimum
    o = rank_optimum(lora_spec("Q", n_ft, r), where)
    got = _optimum_errors("Q", n_ft, r, where)
    gain = o.loss_start - o.loss
    identity = where.Sigma == sp.eye(where.d)
    rho = {}
    for b in BLOCKS:
        rb = where.d if b == "Qxx" else where.d + 1   # full rank
        f = rank_optimum(lora_spec(b, n_ft, rb), where)
        lim_o = _optimum_errors(b, n_ft, rb, where, ("opposite",))["lim_o"]
        rho[b] = (lim_o - where.sigma2) / (f.loss_start - f.loss)
    env = {"Sigma": where.Sigma, "theta_0": where.theta0, "sigma": sp.sqrt(where.sigma2), "d": where.d, "n_ft": n_ft,
           "r": r}
    lhs = [e.lhs for e in result.statement]
    computed = {lhs[0]: got["zero"], lhs[1]: got["few_t"], lhs[2]: got["few_o"], lhs[3]: got["lim_t"],
                lhs[4]: got["lim_o"], RHO_R: (got["lim_o"] - where.sigma2) / gain, RHO_Q: rho["Q"], RHO_XX: rho["Qxx"]}
    if identity:
        fam = family_error(o.V, o.Q, where)
        computed[lhs[5]] = fam
        computed[GAMMA_R] = (fam - where.sigma2) / gain
    out = {}
    for eq in result.statement:
        if eq.lhs not in computed:
            continue
        want = evaluate(eq.rhs.xreplace({R: r, N_FT: n_ft}), env)
        got_v = sp.simplify(computed[eq.lhs])
        out[eq.lhs] = (sp.N(got_v, digits), sp.N(want, digits)) if digits else (got_v, want)
    return out


def _concrete_lines(result: Any):
    """At d = 3, a dense Sigma, n_ft = 2: for r = 1, 2 and both blocks, the rank-r optimum found by weighted
    Eckart-Young (exact) gives every statement value; it satisfies the first-order conditions on the
    factors, reaches the Eckart-Young-Mirsky bound (the global minimum over rank-r updates), and no BFGS
    run over the factors goes below it; the closed form's representative there reaches the same loss."""
    import numpy as np
    from numeric.lora import BlockQuadratic, bfgs_factors
    from symbolic.arithmetic import FLOAT64
    from symbolic.lowrank_concrete import kronecker_quadratic
    from proofs.quantities.lowrank import rank_optimum
    from proofs.quantities.setting import setting as make
    S, t0, s2, n_ft = CHECK["Sigma"], CHECK["theta_0"], CHECK["sigma2"], CHECK["n_ft"]
    where = make(3, Sigma=S, theta0=t0, sigma2=s2, n_ft=n_ft)
    ok_vals, ok_foc, ok_bound, ok_closed, shown = True, True, True, True, 0
    bfgs_ok, bfgs_worst = True, 0.0
    # the statement's values at r = 1, 2 (evaluate computes them from Q's optimum; Q_xx's equal
    # errors are checked at symbolic d above), each compared once
    for r in (1, 2):
        vals = result.evaluate(Sigma=S, theta_0=t0, sigma2=s2, n_ft=n_ft, r=r)
        for got, want in vals.values():
            ok_vals &= sp.simplify(got - want) == 0
            shown += 1
    for b in BLOCKS:
        kq = kronecker_quadratic(lora_spec(b, n_ft), d=3, Sigma=S, theta0=t0, sigma2=s2)
        Dclosed = derivations()[b]   # the statement's closed form (symbolic n_ft), at n_ft = 2
        for r in (1, 2):
            o = rank_optimum(lora_spec(b, n_ft, r), where)
            Dm = sp.Matrix(o.Delta.tolist())
            G = sp.Matrix((kq.H.dot(o.Delta).dot(kq.S) - kq.G).tolist())
            ok_foc &= (G * Dm.T).is_zero_matrix and (Dm.T * G).is_zero_matrix
            gains = sorted((v for v, mult in o.spectrum for _ in range(mult)), key=lambda v: -sp.N(v, 50))
            ok_bound &= sp.simplify(o.loss - (o.loss_full + sum(gains[r:], sp.S.Zero))) == 0
            V, Q = Dclosed.parameters_at(r, d=3, Sigma=S, theta0=t0, sigma2=s2, n_ft=n_ft)
            x = slice(1, 4)
            X = Q[x, x] if b == "Qxx" else Q[:5, :4]
            Dc = np.array((X - sp.Matrix(kq.X0.tolist())).tolist(), dtype=object)
            ok_closed &= sp.simplify(kq.value(Dc) - o.loss) == 0 and sp.Matrix(Dc.tolist()).rank() <= r
        kf = kronecker_quadratic(lora_spec(b, n_ft), d=3, Sigma=S, theta0=t0, sigma2=s2, arithmetic=FLOAT64)
        q = BlockQuadratic.kronecker(kf.H, kf.S, kf.G, kf.L0)
        for r in (1, 2):
            o = rank_optimum(lora_spec(b, n_ft, r), where)
            runs = bfgs_factors(q, r, starts=10, seed=r, max_iter=300, tol=1e-9)
            scale = max(1.0, abs(float(o.loss)))
            bfgs_ok &= runs.best >= float(o.loss) - 1e-10 * scale
            bfgs_worst = max(bfgs_worst, (runs.best - float(o.loss)) / scale)
    setting_text = "d = 3, Sigma = [[2, 1, 0], [1, 2, 1/2], [0, 1/2, 1]], theta_0 = (1, -1, 2), sigma^2 = 1/2, n_ft = 2"
    yield Line("exact", f"at {setting_text}, r = 1, 2: the rank-r optimum found by weighted Eckart-Young (exact, the "
               f"explicit quadratic in Q's entries) gives every statement value ({shown} values; theta_N and gamma_r are "
               "checked at Sigma = I below)", bool(ok_vals))
    yield Line("exact", "there, for Q and Q_xx and r = 1, 2: the first-order conditions on the factors hold at the optimum "
               "Delta = B A (grad_B = G(Delta) A^T = 0 and grad_A = B^T G(Delta) = 0, i.e. G(Delta) Delta^T = 0 and "
               "Delta^T G(Delta) = 0 with G = H Delta S - G_0), exactly", bool(ok_foc))
    yield Line("exact", "there: the loss at the optimum is L* + (the gains not taken), the Eckart-Young-Mirsky bound on "
               "the whitened problem (Hessian H (x) S, checked): no update of rank <= r is lower (global optimality), "
               "and the closed form's representative (symbolic.lowrank.parameters_at) has rank <= r and the same loss",
               bool(ok_bound and ok_closed))
    yield Line("numeric", f"there: 10 BFGS runs over the factors (B, A) per block and rank never go below the optimum "
               f"(best run minus optimum, relative: {bfgs_worst:.1e})", bool(bfgs_ok))
    # theta_N and gamma_r at Sigma = I
    vals = result.evaluate(Sigma=sp.eye(4), theta_0=[1, 0, 2, -1], sigma2=sp.Rational(1, 10), n_ft=3, r=2)
    ok = all(sp.simplify(g - w) == 0 for g, w in vals.values()) and GAMMA_R in vals
    yield Line("exact", "at d = 4, Sigma = I, theta_0 = (1, 0, 2, -1), sigma^2 = 1/10, n_ft = 3, r = 2: every statement "
               "value, theta_N and gamma_r included (the family average of the optimum's error by the Wick engine), "
               f"from the rank-r optimum ({len(vals)} values)", bool(ok))


RESULT = LowRank()
