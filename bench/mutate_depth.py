"""Break each depth derivation on purpose and watch a test fail.

    python bench/mutate_depth.py [SUBSTRING]     (only the mutations whose description contains it)

Each mutation edits one line of the source, runs the named tests (the disk cache off, so nothing
stale is read), records which fail, and restores the file. A mutation that no test catches is a
defect of the tests: the script exits 1 then.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYM = "tests/test_depth_symbolic.py"
L2 = "concrete_engine and (2-2-2 or 2-1-3 or 2-2-1)"
X10 = "tests/test_depth_layer_choice.py"
X11 = "tests/test_depth_full.py"
DESC = "tests/test_depth_descent.py"
EXACT = "tests/test_depth_exact.py"

MUTATIONS = [
    ("two layers swapped (symbolic chains)", "symbolic/depth_model.py",
     "    for lay in layers:", "    for lay in list(layers)[::-1]:", [SYM, "-k", L2]),
    ("residual dropped (symbolic chains: g_l without g_{l-1})", "symbolic/depth_model.py",
     "        g = _collect(g + new)", "        g = _collect(new)", [SYM, "-k", L2]),
    ("residual dropped (numeric forward pass)", "numeric/depth.py",
     "        Z = Z + V @ Z @ ZT @ Q @ Z / ncol", "        Z = V @ Z @ ZT @ Q @ Z / ncol", ["tests/test_depth_numeric.py"]),
    ("layers swapped (numeric forward pass)", "numeric/depth.py",
     "    for V, Q in layers:\n        ZT", "    for V, Q in layers[::-1]:\n        ZT", ["tests/test_depth_numeric.py"]),
    ("moment count: falling factorial n^(k) -> n^k", "symbolic/exchangeable.py",
     "        out = out * (n - j)", "        out = out * n", [SYM, "-k", L2 + " or count"]),
    ("the query allowed in a context-only sum (b)", "symbolic/exchangeable.py",
     '            if all(ranges[j] == "N" for j in range(len(ranges)) if blocks[j] == c):', "            if True:",
     [SYM, "-k", L2 + " or one_layer_equals"]),
    ("the query not a key (S over the context only)", "symbolic/depth.py",
     '    return ("N",) * ch.k +', '    return ("n",) * ch.k +', [SYM, "-k", L2]),
    ("Gamma^T -> Gamma in the recursion", "symbolic/depth_model.py",
     "            wt = transpose(wG)", "            wt = tuple(wG)", [SYM, "-k", L2 + " or one_layer_equals"]),
    ("1/N missing on one layer's update (N^-1 -> N^-1 only from layer 2)", "symbolic/depth_model.py",
     "    inv = 1 / sp.sympify(n_cols)", "    inv = 1 / sp.sympify(n_cols) ** 2", [SYM, "-k", L2]),
    ("pretraining ansatz with v_y = 2", "symbolic/depth_pretraining.py",
     "DepthLayer(vy=sp.S.One, Gamma=((g, ()),))", "DepthLayer(vy=sp.Integer(2), Gamma=((g, ()),))",
     ["tests/test_depth_pretraining.py", "-k", "concrete_engine"]),
    ("pretraining: 1/m expansion coefficient (1+eps)^-j -> (1+eps)^-(j+1)", "symbolic/depth_pretraining.py",
     "_binomial_series(-j, order", "_binomial_series(-j - 1, order", ["tests/test_depth_pretraining.py", "-k", "limit or series"]),
    ("fine-tuning on the 1-shot loss instead of the zero-shot loss", "symbolic/depth_finetune.py",
     '[(1, 0, "target")], name="value")', '[(1, 1, "target")], name="value")',
     ["tests/test_depth_finetune.py", "-k", "concrete_minimiser or one_layer"]),
    ("two layers swapped, seen at L = 3 (the suite's one L = 3 exact check)", "symbolic/depth_model.py",
     "    for lay in layers:", "    for lay in list(layers)[::-1]:", [SYM, "-k", "three_layers"]),
    ("two layers swapped, seen by Monte Carlo (L = 2 settings)", "symbolic/depth_model.py",
     "    for lay in layers:", "    for lay in list(layers)[::-1]:", ["tests/test_depth_montecarlo.py"]),
    ("Gaussian moment: a closed index loop counts d + 2 instead of d (1/(d+4) -> 1/(d+6) in the fine-tuned v_x)",
     "symbolic/wick.py", "out[fs].append(sp.Integer(k) * DIM ** dpow)", "out[fs].append(sp.Integer(k) * (DIM + 2) ** dpow)",
     ["tests/test_depth_finetune.py", "-k", "limits or concrete_minimiser"]),
    ("pretraining L = 3: the isotropic ansatz's third layer at v_y = 2 (seen by the L = 3 concrete check)",
     "symbolic/depth_pretraining.py", "DepthLayer(vy=sp.S.One, Gamma=((g, ()),)) for g in gs",
     "DepthLayer(vy=sp.S.One if i < 2 else sp.Integer(2), Gamma=((g, ()),)) for i, g in enumerate(gs)",
     ["tests/test_depth_pretraining.py", "-k", "concrete_engine and 3-1-1"]),
    ("Extension 9: fine-tuning starts at Gamma_l = gamma_l I instead of gamma_l Sigma^{-1} (a start ignored)",
     "symbolic/depth_finetune.py", "DepthLayer(vy=sp.S.One, Gamma=((g, (SIGMA_INV_ATOM,)),)) for g in gs",
     "DepthLayer(vy=sp.S.One, Gamma=((g, ()),)) for g in gs", ["tests/test_depth_result.py", "-k", "holds or evaluate_at"]),
    ("Extension 9: the pretrained pair (t, 2/t) -> (t, 1/t)", "symbolic/depth_pretraining.py",
     "pair = (t1, F.element(2) / t1)", "pair = (t1, F.element(1) / t1)",
     ["tests/test_depth_result.py", "-k", "holds or evaluate_at"]),
    ("depth spec: a trained layer counted from the end (V2 -> layer 1 at L = 2; Extension 10's first layer moved in "
     "the last)", "symbolic/depth_finetune.py",
     "        out[l - 1] = replace(out[l - 1], **{b: v})", "        out[-l] = replace(out[-l], **{b: v})",
     ["tests/test_depth_spec.py", "tests/test_depth_layer_choice.py"]),
    ("depth spec: a loss term's weight ignored", "symbolic/depth_finetune.py",
     "        total = total + e * t.weight", "        total = total + e", ["tests/test_depth_spec.py"]),
    ("depth spec: the trajectory starts at v_y = 0, not the pretrained 1 (the start ignored)",
     "symbolic/depth_explicit.py", "            u0[sl] = one", "            u0[sl] = zero", ["tests/test_depth_spec.py"]),
    ("depth spec: the start's Gamma_l = gamma_l I instead of gamma_l Sigma^-1", "symbolic/depth_finetune.py",
     "DepthLayer(vy=sp.S.One, Gamma=((g, (SIGMA_INV_ATOM,)),)) for g in gs",
     "DepthLayer(vy=sp.S.One, Gamma=((g, ()),)) for g in gs", ["tests/test_depth_spec.py"]),
    ("depth spec: a free v_y kept at 0, not its start 1", "symbolic/depth_finetune.py",
     '    start_value = {"v0": sp.S.Zero, "vx": (), "vy": sp.S.One}',
     '    start_value = {"v0": sp.S.Zero, "vx": (), "vy": sp.S.Zero}', ["tests/test_depth_finetune.py"]),
    ("depth spec: the second loss (then) skipped", "symbolic/depth_finetune.py",
     "    if spec.then and free:", "    if False:", ["tests/test_depth_finetune.py"]),
    ("depth spec: a product of trained entries looked for in later layers, not earlier", "symbolic/depth_spec.py",
     "        earlier = [entry_name(k, c) for k, c in spec.train if k < l]",
     "        earlier = [entry_name(k, c) for k, c in spec.train if k > l]", ["tests/test_depth_spec.py"]),
    ("depth trajectory: the few-shot columns at n + 1 shots", "proofs/quantities/trajectories.py",
     "    nn = sp.oo if n is None else sp.Integer(n)\n    cols = {\"zero_shot\": (1, 0, \"target\"), \"few_shot_target\": (1, nn, \"target\"),\n            \"few_shot_opposite\": (1, nn, \"opposite\")}\n    if task is not None:\n        cols[\"task\"] = (1, nn, task)\n    errs = {c: depth",
     "    nn = sp.oo if n is None else sp.Integer(n) + 1\n    cols = {\"zero_shot\": (1, 0, \"target\"), \"few_shot_target\": (1, nn, \"target\"),\n            \"few_shot_opposite\": (1, nn, \"opposite\")}\n    if task is not None:\n        cols[\"task\"] = (1, nn, task)\n    errs = {c: depth",
     ["tests/test_depth_spec.py", "-k", "trajectory"]),
    ("Extension 10: layer index swapped (the errors taken with the values in the other layer)",
     "proofs/paper/results/depth_layer_choice.py", "lay[layer - 1] = lay[layer - 1].with_(",
     "lay[2 - layer] = lay[2 - layer].with_(", [X10]),
    ("Extension 10: the gammas in the other order, silently (the increasing order's arithmetic at (1 + sqrt 2, 1 - sqrt 2))",
     "proofs/paper/results/depth_layer_choice.py",
     'gam = {"increasing": (F.element(g[0]), F.element(g[1])),',
     'gam = {"increasing": (F.element(g[1]), F.element(g[0])),', [X10, "-k", "not holds"]),
    ("Extension 10: (d)'s v_y with the wrong sign (a sign)", "proofs/paper/results/depth_layer_choice.py",
     "vy = -a1 / (2 * a2)", "vy = a1 / (2 * a2)", [X10, "-k", "minimisers"]),
    ("law of large numbers: the Gram matrix's right factor dropped (M_l = A_l M_{l-1})", "symbolic/concrete_depth.py",
     "M = _fmatmul(_fmatmul(step, M, K), _transpose(step), K)", "M = _fmatmul(step, M, K)", [X10, "-k", "two_arbitrary"]),
    ("law of large numbers: the row vector through the steps in the wrong order (A_1 .. A_{L-1}, not reversed)",
     "symbolic/concrete_depth.py", "    for step in reversed(steps):", "    for step in steps:", [X10, "-k", "two_arbitrary"]),
    ("law of large numbers: the last layer's step without its identity (a = e_y^T V M Q)", "symbolic/concrete_depth.py",
     "a = [eye[d + 1][j] + row[j] for j in range(d + 2)]", "a = [row[j] for j in range(d + 2)]",
     [X10, "-k", "law_of_large"]),
    ("law of large numbers: the residual's sign (a_x + theta)", "symbolic/concrete_depth.py",
     "r = [[a[1 + i] - th[i][0]]", "r = [[a[1 + i] + th[i][0]]", [X10, "-k", "law_of_large"]),
    ("QQ(sqrt 2) arithmetic: a denominator 'rationalised' by itself, not its conjugate", "symbolic/radical_field.py",
     "conj = d0 - d1 * self.r", "conj = d0 + d1 * self.r", [X10]),
    ("QQ(sqrt 2) arithmetic: the sign of a + b sqrt 2 decided by a alone", "symbolic/radical_field.py",
     "return sa if a * a > int(self.field.a) * b * b else -sa", "return sa", [X10]),
    ("QQ(sqrt 2) arithmetic: r^e reduced to a^e r^(e mod 2) (the power of a doubled)", "symbolic/radical_field.py",
     "c = c * a ** (e >> 1)", "c = c * a ** e", [X10, "-k", "reduction or holds"]),
    ("QQ(sqrt 2) arithmetic: r^e reduced to a^(e // 2), an odd power's r dropped", "symbolic/radical_field.py",
     "m = m[:i] + (e & 1,) + m[i + 1:]", "m = m[:i] + (0,) + m[i + 1:]", [X10, "-k", "reduction or holds"]),
    ("the exact class start's Q_l = gamma_l Sigma (not Sigma^-1)", "symbolic/concrete_depth.py",
     "Q[1:d + 1, 1:d + 1] = g * Sinv", "Q[1:d + 1, 1:d + 1] = g * S", [X11]),
    ("Extension 11: F1's scale not substituted in its scalars (Q_00 = 1/C left symbolic at C = 1)",
     "proofs/paper/results/depth_full.py", "v = sp.Matrix([[sp.sympify(val).subs(SCALE, scale)]])",
     "v = sp.Matrix([[sp.sympify(val)]])", [X11, "-k", "evaluate"]),
    ("Extension 11: the query-key rows evaluated at the last layer's F1", "proofs/paper/results/depth_full.py",
     "            lays = pre if name == \"depth2-query-key\" else last\n            th = list(sign * th0)\n            got",
     "            lays = last\n            th = list(sign * th0)\n            got", [X11, "-k", "evaluate"]),
    ("Extension 11: the zero-shot comparison with the layers swapped", "proofs/paper/results/depth_full.py",
     "[(e_y, p1), (V2, Q2)]", "[(V2, Q2), (e_y, p1)]", [X11, "-k", "holds"]),
    ("Extension 11: the query-key test inverted (a Q entry required in the error)", "proofs/paper/results/depth_full.py",
     "not (qk.free_symbols & der.data[\"qk_symbols\"])", "bool(qk.free_symbols & der.data[\"qk_symbols\"])",
     [X11, "-k", "holds"]),
    ("descent at depth: the mask ignored (every entry moves)", "proofs/quantities/depth_descent.py",
     "return total, [(gv * mv, gq * mq)", "return total, [(gv, gq)", [DESC]),
    ("descent at depth: a loss term's weight ignored", "proofs/quantities/depth_descent.py",
     "g = [(w * gv, w * gq) for gv, gq in g]", "g = [(gv, gq) for gv, gq in g]", [DESC]),
    ("descent at depth: the opposite task's sign dropped", "proofs/quantities/depth_descent.py",
     "return float(coeff) * vec", "return vec", [DESC]),
    ("the float64 class start's Sigma^-1 as I (the descent's start)", "numeric/depth.py",
     "        Q[1:d + 1, 1:d + 1] = g * Sinv", "        Q[1:d + 1, 1:d + 1] = g * np.eye(d)", [DESC]),
    ("zero-shot quadrature: one node too few per coordinate", "numeric/depth_exact.py",
     "p = 3 ** int(layers) + 1", "p = 3 ** int(layers)", [EXACT]),
    ("zero-shot gradient: (Q + Q^T) as 2Q", "numeric/depth_exact.py", "(z @ (Q + Q.T))", "(z @ (2 * Q))", [EXACT]),
    ("n -> oo in float64: the Gram matrix not updated", "numeric/depth_exact.py",
     "        M = step @ M @ step.T\n", "        pass\n", [EXACT]),
    ("concrete engine: the query's label shown to the model", "symbolic/concrete_depth.py",
     "[[R.one, *x[nn], R.zero]]", "[[R.one, *x[nn], y(nn)]]", [SYM, "-k", L2]),
    ("n -> oo by the all-distinct pattern: two of its tokens made one (a coincidence kept)", "symbolic/depth.py",
     "    names = [str(j) for j in range(1, r + 1)]", "    names = [str(min(j, 2)) for j in range(1, r + 1)]",
     [SYM, "-k", "limit"]),
    ("n -> oo: the chains' coefficients read at N = 2, not N = 1 (a 1/N left in)", "symbolic/depth.py",
     "    cs = chains(layers, sp.S.One)", "    cs = chains(layers, sp.Integer(2))", [SYM, "-k", "limit"]),
    ("n -> oo: the task's number not put in (-theta_0 read as theta_0)", "symbolic/depth.py",
     "substitute(TASK_SCALE, scale)", "substitute(TASK_SCALE, sp.S.One)", ["tests/test_depth_result.py", "-k", "holds"]),
    ("QQ(sqrt 2) arithmetic: a fraction's common factor from coefficients read in reverse", "symbolic/radical_field.py",
     "                out[e] = c          # FLINT's", "                out[top - e] = c          # FLINT's", [X10]),
    ("QQ(sqrt 2) arithmetic: a common factor in several symbols read back with its symbols swapped",
     "symbolic/radical_field.py", "            for j, e in zip(held, sub):", "            for j, e in zip(held[::-1], sub):",
     [X10]),
    ("QQ(sqrt 2) arithmetic: the denominator left undivided by the common factor (one symbol)",
     "symbolic/radical_field.py", "return back(polys.items()), back([(zero, D)])",
     "return back(polys.items()), back([(zero, D * g)])", [X10]),
    ("QQ(sqrt 2) arithmetic: an expression's power read with the opposite sign", "symbolic/radical_field.py",
     "return (n ** k, d ** k) if k >= 0 else (d ** -k, n ** -k)", "return (d ** k, n ** k) if k >= 0 else (n ** -k, d ** -k)",
     [X10]),
    ("QQ(sqrt 2) arithmetic: several substitutions, the denominator of one dropped", "symbolic/radical_field.py",
     "num, den = pn * qd, qn * pd", "num, den = pn, qn * pd", [X10, "-k", "radical_field"]),
    ("Extension 9: the errors not taken at the pretrained gammas", "proofs/paper/results/depth_value.py",
     "at = F.subs_many(errors[n, sign], at_g + ", "at = F.subs_many(errors[n, sign], ",
     ["tests/test_depth_result.py", "-k", "holds"]),
    ("pretraining limit in the ring: gamma_l = t_l + 1 (not t_l - 1)", "symbolic/depth_pretraining.py",
     "images = [S.gens[1 + GAMMA.index(x)] - 1 if", "images = [S.gens[1 + GAMMA.index(x)] + 1 if",
     ["tests/test_depth_pretraining.py", "-k", "limit or series"]),
    ("pretraining limit in the ring: tr(Sigma^j) at Sigma = I counted d^2", "symbolic/depth_pretraining.py",
     "dk = S.gens[0] ** len(factors)", "dk = S.gens[0] ** (2 * len(factors))",
     ["tests/test_depth_pretraining.py", "-k", "limit or series"]),
    ("pretraining limit: theta average in the ring, the keys free of theta dropped", "symbolic/depth_pretraining.py",
     "            parts.append(((factors, noises), sp.S.One, c))", "            pass",
     ["tests/test_depth_pretraining.py", "-k", "limit or series"]),
    ("pretraining limit: theta average in the ring, each contraction's weight doubled", "symbolic/depth_pretraining.py",
     "wring = {w: big.from_expr(w) for w in weights}", "wring = {w: big.from_expr(2 * w) for w in weights}",
     ["tests/test_depth_pretraining.py", "-k", "limit or series"]),
    ("pretraining limit: t_L = b / a on prod t = 2 (a sign)", "symbolic/depth_pretraining.py",
     "num += c * (-b) ** j * a ** (k - j)", "num += c * b ** j * a ** (k - j)",
     ["tests/test_depth_pretraining.py", "-k", "limit"]),
    ("pretraining limit: the derivative's numerator N' D + N D' (a sign)", "symbolic/depth_pretraining.py",
     "(num.diff(g) * den - num * den.diff(g))", "(num.diff(g) * den + num * den.diff(g))",
     ["tests/test_depth_pretraining.py", "-k", "limit"]),
    ("pretraining limit: the stationary point of largest E_1 taken", "symbolic/depth_pretraining.py",
     "best = min(vals, key=lambda cv: cv[1].value(at))", "best = max(vals, key=lambda cv: cv[1].value(at))",
     ["tests/test_depth_pretraining.py", "-k", "limit"]),
    ("factored_fraction: the denominator's factors added, not subtracted", "symbolic/radical_field.py",
     "powers[f] = powers.get(f, 0) - k", "powers[f] = powers.get(f, 0) + k",
     [X10, "-k", "factored_fraction"]),
    ("depth engine in the ring: a chain pair's factor dropped", "symbolic/depth.py",
     "t = to_ring(c) * to_ring(f)", "t = to_ring(c)", [SYM, "-k", L2]),
    ("depth errors into the field: the bilinear form k dropped", "proofs/paper/results/depth_value.py",
     "out += tot.set_ring(F.ring) * k ** len(factors)", "out += tot.set_ring(F.ring)",
     ["tests/test_depth_result.py", "-k", "holds"]),
    ("zero-shot from (c)'s derivation: one c_x per form, not per leg", "proofs/paper/results/depth_value.py",
     "m[ci] += legs", "m[ci] += 1", [X10, "-k", "zero_shot or holds"]),
    ("law of large numbers: an entry read without its denominator (Sigma^-1's det dropped)", "symbolic/concrete_depth.py",
     "K.raw_new(polys[2 * i].numer, polys[2 * i + 1].numer)", "K.raw_new(polys[2 * i].numer, K.ring.one)",
     [X10, "-k", "law_of_large"]),
    ("law of large numbers: a sum over one denominator subtracts", "symbolic/concrete_depth.py",
     "                        num += n\n", "                        num -= n\n", [X11, "-k", "holds"]),
    ("Extension 11: the two-layer and one-layer zero-shot errors compared inverted", "symbolic/concrete_depth.py",
     "return K.convert_from(x, Ka) == K.convert_from(y, Kb)", "return K.convert_from(x, Ka) != K.convert_from(y, Kb)",
     [X11, "-k", "holds"]),
    ("Extension 10: the printed-length bound over the printed length (a short row hidden)",
     "proofs/paper/results/depth_layer_choice.py", "names = [len(show(K)) - 2 if", "names = [len(show(K)) + 400 if",
     [X10, "-k", "long_rows"]),
]


def main() -> int:
    # a SIGTERM (``timeout``, a killed job) exits through the ``finally`` that puts the source back: a
    # mutation left in the tree by a killed run was once committed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    env = dict(os.environ, ICL_FINETUNE_CACHE="off")
    missed = 0
    only = sys.argv[1] if len(sys.argv) > 1 else None       # run the mutations whose description contains it
    for what, path, old, new, tests in MUTATIONS:
        if only and only not in what:
            continue
        p = ROOT / path
        src = p.read_text()
        if src.count(old) != 1:
            print(f"?? {what}: pattern not found exactly once in {path}")
            missed += 1
            continue
        p.write_text(src.replace(old, new))
        try:
            r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", *tests],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        finally:
            p.write_text(src)
        failed = [ln.split(" ", 1)[1].split(" - ")[0] for ln in r.stdout.splitlines() if ln.startswith("FAILED")]
        caught = r.returncode != 0
        missed += not caught
        print(f"{'caught' if caught else 'MISSED'}: {what} ({path}); failing: {', '.join(failed[:4])}"
              f"{' ...' if len(failed) > 4 else ''} [{len(failed)} failed]", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
