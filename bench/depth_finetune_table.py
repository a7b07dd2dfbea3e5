"""Fine-tuning at depth, the table: one layer's values (strategy (c) or (d)) of the pretrained depth-L class model.

    python bench/depth_finetune_table.py L LAYER c|d

Prints the derived fine-tuned values (symbolic gamma_l, Gamma_l = gamma_l Sigma^{-1}), then for each order of the
pretrained m -> oo gamma's (L = 2: 1 -+ sqrt 2; L = 3: sqrt3 - 2 (twice), 1 + sqrt3) the zero-shot error on
theta_0 and the n -> oo errors on theta_0 and -theta_0 (k = theta_0^T Sigma theta_0): values at sigma = 0, k = 1,
d = 1, 2, 5, 20, and the exact formula where it simplifies quickly.
"""
import sys
import time
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from symbolic.depth_finetune import *
from symbolic.depth import depth_error, depth_error_limit
from symbolic.convert import to_sympy
from symbolic.printing import Bilinear
from symbolic.objective import THETA0, N
from symbolic.words import DIM as d
from symbolic.objective import SIGMA_NOISE as s
K=sp.Symbol('k')
def kk(e): return e.xreplace({a: K for a in e.atoms(Bilinear)})
L=int(sys.argv[1]); layer=int(sys.argv[2]); strat=sys.argv[3]
G=sp.symbols('gamma_1:4', real=True)
pre={2:[(1-sp.sqrt(2),1+sp.sqrt(2)),(1+sp.sqrt(2),1-sp.sqrt(2))],3:[(sp.sqrt(3)-2,sp.sqrt(3)-2,1+sp.sqrt(3)),(1+sp.sqrt(3),sp.sqrt(3)-2,sp.sqrt(3)-2),(sp.sqrt(3)-2,1+sp.sqrt(3),sp.sqrt(3)-2)]}[L]
t=time.process_time()
r=(finetune_value if strat=='c' else finetune_value_fewshot)(L, layer)
print(strat,'L',L,'layer',layer,'values', r.steps[-1][1] if strat=='c' else r.steps[-1], round(time.process_time()-t,1), flush=True)
z=kk(to_sympy(depth_error(list(r.layers), THETA0, 0)))
lt=kk(to_sympy(depth_error_limit(list(r.layers), THETA0)))
lo=kk(to_sympy(depth_error_limit(list(r.layers), -THETA0)))
print('  derived', round(time.process_time()-t,1), flush=True)
for gs in pre:
    sub=dict(zip(G,gs))
    out=[]
    for name,e in (('zero',z),('inf target',lt),('inf opposite',lo)):
        e2=e.subs(sub)
        ev=[round(float(e2.subs({d:dd,s:0,K:1})),6) for dd in (1,2,5,20)]
        out.append((name, ev))
    print('  gammas', gs, 'sigma=0,k=1, d=1,2,5,20:', out, flush=True)
    if L==2 or layer==L:
        print('   exact:', [sp.factor(sp.radsimp(sp.together(e.subs(sub)))) for e in (z,lt,lo)], flush=True)
print(round(time.process_time()-t,1))
