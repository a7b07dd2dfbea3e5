"""Fine-tuning the values of every layer at depth L = 2 (numeric, at a concrete setting; labelled so).

    python bench/depth_finetune_all_layers.py [LR] [STEPS]        (defaults 1e-4, 100000)

The zero-shot loss in (v_0, v_x, v_y) of both layers is not quadratic (the prediction is a product
across layers), so there is no closed-form minimiser: this follows plain gradient descent from the
pretrained point (v_0 = 0, v_x = 0, v_y = 1 in every layer, Gamma_l = gamma_l I, Sigma = I, d = 2,
sigma = 0, theta_0 = e_1; gamma = (1 - sqrt 2, 1 + sqrt 2) and the other order) on the *exact*
zero-shot loss (the closed form of symbolic.depth compiled with JAX, exact gradient), then reports the
zero-shot error and the exact n -> oo errors on theta_0 and -theta_0 where it stops. The loss's
curvature is large (degree-10 moments of x through gamma_1 gamma_2), so steps above ~1e-3 diverge.
"""
import sys
import time
from pathlib import Path

import numpy as np
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symbolic.depth import class_layers, depth_error, depth_error_limit  # noqa: E402
from symbolic.depth_float import compile_poly  # noqa: E402
from symbolic.objective import THETA, THETA0  # noqa: E402

d=2; lays=class_layers(2, values_in=(1,2))
zero=compile_poly(depth_error(list(lays), THETA0, 0), xp=jnp)
lim=compile_poly(depth_error_limit(list(lays), THETA))
th0=np.zeros(d); th0[0]=1.
lr=float(sys.argv[1]) if len(sys.argv) > 1 else 1e-4
steps=int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
for gam in [(1-np.sqrt(2),1+np.sqrt(2)),(1+np.sqrt(2),1-np.sqrt(2))]:
    def env(x, th=th0, name='theta_0', mod=jnp):
        e={'Sigma':mod.eye(d), name:th, 'sigma':0.0}
        for l in (1,2):
            o=(l-1)*(d+2); e[f'v_0_{l}']=x[o]; e[f'v_x_{l}']=x[o+1:o+1+d]; e[f'v_y_{l}']=x[o+1+d]; e[f'Gamma_{l}']=gam[l-1]*mod.eye(d)
        return e
    f=jax.jit(jax.value_and_grad(lambda x: zero(env(x))))
    x=jnp.zeros(2*(d+2)).at[d+1].set(1.).at[2*d+3].set(1.)
    t=time.process_time()
    for k in range(steps):
        v,g=f(x); x=x-lr*g
        if k%(steps//5)==0: print(k, float(v), flush=True)
    xn=np.asarray(x)
    print('gamma',np.round(gam,4),'zero-shot',float(v),'|g|',float(jnp.linalg.norm(g)),'inf theta0',lim(env(xn,th0,'theta',np)),'inf -theta0',lim(env(xn,-th0,'theta',np)), time.process_time()-t)
    print('  layer1',np.round(xn[:d+2],5),'layer2',np.round(xn[d+2:],5), flush=True)
