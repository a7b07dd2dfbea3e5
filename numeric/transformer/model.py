"""A small GPT-style softmax transformer reading the poster's prompts (JAX, functional).

Tokens are the linear model's: a context token ``z_i = (1, x_i, y_i)`` and a query token
``q = (1, x_q, 0)``, both in R^{d+2}. The prediction for the prompt ``[z_1 ... z_n q]`` is
read at the query's label coordinate: ``f = [W_u LN(h_q) + b_u]_{d+1}``, where ``h_q`` is
the query's residual stream after the last block.

The network (pre-layer-norm decoder, no positional embedding: the task is invariant
under permuting the shots, as the linear model is):

    h = W_e z + b_e
    for each layer: h += W_o MHA(LN(h); W_q, W_k, W_v)     (softmax attention, masked)
                    h += W_2 gelu(W_1 LN(h) + b_1) + b_2
    f = [W_u LN(h) + b_u]_{d+1}

Parameters are a flat ``dict`` from names (``"layer0/attn/wv"``...) to arrays: a pytree whose
leaves a strategy can pick by name (:func:`trainable_names`), and which saves to ``.npz``
as it is. Every function here is pure.

**Every position a query, in one pass.** :func:`packed_tokens` lays out ``N`` shots and
``N + 1`` queries as ``[z_1 ... z_N, q_0 ... q_N]`` with ``q_n = (1, x_{n+1}, 0)``, and
:func:`packed_mask` lets ``z_i`` attend to ``z_1 .. z_i`` (causal) and ``q_n`` attend to
``z_1 .. z_n`` and itself only. Without positional embeddings every token's state is then
exactly the state it has in the prompt ``[z_1 ... z_n q_n]`` under the ordinary causal mask,
so the output at ``q_n`` *is* the n-shot prediction ``f([z_1 ... z_n q_n])`` (checked by
``tests/test_transformer.py``): one pass gives the n-shot predictions for every n = 0..N.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["ModelConfig", "init_params", "forward", "predict_prompt", "predict_packed", "packed_tokens",
           "packed_mask", "causal_mask", "prompt_tokens", "PARAM_GROUPS", "trainable_names", "count_params",
           "param_shapes",
           "linear_forward", "linear_layers", "KINDS", "MAX_PREFIX"]

Params = dict[str, jax.Array]

#: the model kinds: the softmax decoder, the paper's linear self-attention
KINDS = ("softmax", "linear")
#: the largest prefix accepted
MAX_PREFIX = 256
#: initial scale of the linear model's V and Q entries
LINEAR_INIT_STD = 0.1


@dataclass(frozen=True)
class ModelConfig:
    """``d`` (dimension of x), ``layers``, ``width`` (residual stream), ``heads``, ``mlp`` (hidden
    width of each MLP, as a multiple of ``width``)."""

    d: int = 5
    layers: int = 2
    width: int = 32
    heads: int = 4
    mlp: int = 4
    #: ``softmax`` (the decoder above) or ``linear`` (the paper's model, see :func:`linear_forward`)
    kind: str = "softmax"
    #: k learned prefix ("instruction") vectors in front of every prompt (softmax only)
    prefix: int = 0

    def __post_init__(self) -> None:
        for name in ("d", "layers", "width", "heads", "mlp"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: expected an integer >= 1, got {v!r}")
        if self.width % self.heads:
            raise ValueError(f"heads: expected a divisor of width {self.width}, got {self.heads}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if isinstance(self.prefix, bool) or not isinstance(self.prefix, (int, np.integer)) or \
                not 0 <= self.prefix <= MAX_PREFIX:
            raise ValueError(f"prefix: expected an integer from 0 to {MAX_PREFIX}, got {self.prefix!r}")
        if self.kind == "linear" and self.prefix:
            raise ValueError(f"prefix: the linear model (the paper's, at any depth) has no prefix, got "
                             f"prefix = {self.prefix}")

    @property
    def token_dim(self) -> int:
        return self.d + 2

    def to_dict(self) -> dict:
        return asdict(self)


def init_params(config: ModelConfig, key: jax.Array) -> Params:
    """GPT-2-style initialisation: weights N(0, 0.02^2), the residual projections (``wo``,
    ``mlp/w2``) scaled by ``1/sqrt(2 * layers)``, biases 0, layer-norm scales 1."""
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config: expected a ModelConfig, got {type(config).__name__}")
    return _init_jit(config, key)


def _init(config: ModelConfig, key: jax.Array) -> Params:
    if config.kind == "linear":  # every entry of every V_l, Q_l free: N(0, LINEAR_INIT_STD^2)
        D = config.token_dim
        out = {}
        for i in range(config.layers):  # layer 0 from the key itself (one layer: as before), layer i from fold_in(key, i)
            kv, kq = jax.random.split(key if i == 0 else jax.random.fold_in(key, i))
            out[f"layer{i}/attn/Q"] = LINEAR_INIT_STD * jax.random.normal(kq, (D, D), jnp.float32)
            out[f"layer{i}/attn/V"] = LINEAR_INIT_STD * jax.random.normal(kv, (D, D), jnp.float32)
        return dict(sorted(out.items()))
    D, w, h = config.token_dim, config.width, config.mlp * config.width
    std, res_std = 0.02, 0.02 / math.sqrt(2 * config.layers)
    shapes: dict[str, tuple[tuple[int, ...], float]] = {"embed/w": ((D, w), std)}
    for i in range(config.layers):
        p = f"layer{i}/"
        shapes.update({p + "attn/wq": ((w, w), std), p + "attn/wk": ((w, w), std), p + "attn/wv": ((w, w), std),
                       p + "attn/wo": ((w, w), res_std), p + "mlp/w1": ((w, h), std),
                       p + "mlp/w2": ((h, w), res_std)})
    shapes["unembed/w"] = ((w, D), std)
    keys = jax.random.split(key, len(shapes))
    params: Params = {name: s * jax.random.normal(k, shape, jnp.float32)
                      for k, (name, (shape, s)) in zip(keys, shapes.items())}
    params["embed/b"] = jnp.zeros(w, jnp.float32)
    for i in range(config.layers):
        p = f"layer{i}/"
        params.update({p + "ln1/scale": jnp.ones(w, jnp.float32), p + "ln1/bias": jnp.zeros(w, jnp.float32),
                       p + "ln2/scale": jnp.ones(w, jnp.float32), p + "ln2/bias": jnp.zeros(w, jnp.float32),
                       p + "mlp/b1": jnp.zeros(h, jnp.float32), p + "mlp/b2": jnp.zeros(w, jnp.float32)})
    params.update({"final_ln/scale": jnp.ones(w, jnp.float32), "final_ln/bias": jnp.zeros(w, jnp.float32),
                   "unembed/b": jnp.zeros(D, jnp.float32)})
    if config.prefix:
        params["prefix"] = std * jax.random.normal(jax.random.fold_in(key, 1), (config.prefix, w), jnp.float32)
    return dict(sorted(params.items()))


# one compiled program, not one dispatch per array; at XLA's optimisation level 0 (it runs once)
try:
    _init_jit = jax.jit(_init, static_argnums=0, compiler_options={"xla_backend_optimization_level": 0})
except TypeError:  # a JAX whose jit takes no compiler options
    _init_jit = jax.jit(_init, static_argnums=0)


def param_shapes(config: ModelConfig) -> dict[str, jax.ShapeDtypeStruct]:
    """The parameters' names, shapes and dtypes, computed without compiling or allocating."""
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config: expected a ModelConfig, got {type(config).__name__}")
    return jax.eval_shape(lambda k: _init(config, k), jax.random.key(0))


def count_params(params: Params) -> int:
    return int(sum(np.prod(v.shape) for v in params.values()))


#: parameter groups by the strategies' names: which names each strategy fine-tunes
PARAM_GROUPS = {
    "full": lambda name: True,
    "value": lambda name: name.endswith(("attn/wv", "attn/wo", "attn/V")),
    "value-fewshot": lambda name: name.endswith(("attn/wv", "attn/wo", "attn/V")),
    "query-key": lambda name: name.endswith(("attn/wq", "attn/wk", "attn/Q")),
}


def trainable_names(params: Params, strategy: str) -> list[str]:
    """The names a strategy trains: ``full`` all (the prefix too); ``value`` and ``value-fewshot`` the
    value and output projections of every layer (the linear model's V); ``query-key`` the query and key
    projections of every layer (the linear model's Q)."""
    if strategy not in PARAM_GROUPS:
        raise ValueError(f"strategy: expected one of {', '.join(PARAM_GROUPS)}, got {strategy!r}")
    pick = PARAM_GROUPS[strategy]
    return [k for k in params if pick(k)]


def _layer_norm(h: jax.Array, scale: jax.Array, bias: jax.Array) -> jax.Array:
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    return (h - mu) * jax.lax.rsqrt(var + 1e-5) * scale + bias


def linear_layers(params: Params) -> int:
    """The number of layers L of the linear model's parameters (``layer{i}/attn/V`` for i < L)."""
    L = 0
    while f"layer{L}/attn/V" in params:
        L += 1
    return L


def linear_forward(params: Params, tokens: jax.Array, mask: jax.Array) -> jax.Array:
    """The paper's linear self-attention, L layers on a residual stream (L = the layers in ``params``),
    at every position: ``(B, T)``. Layer l maps position i's state ``z_i`` to
    ``z_i + V_l (sum_{j in S_i} z_j z_j^T) Q_l z_i / |S_i|`` with ``S_i`` the positions i attends to
    (``mask[i]``); the output is the last coordinate after layer L. One layer under the causal mask:
    the last position's output is ``f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}``. At depth the
    context tokens' states feed layer 2, so the mask matters: the paper's depth model
    (:mod:`numeric.depth`) is unmasked, which :func:`predict_prompt` uses for this model."""
    m = jnp.asarray(mask, tokens.dtype)
    cols = m.sum(-1)[:, None]  # |S_i|
    h = tokens
    for i in range(linear_layers(params)):
        V, Q = params[f"layer{i}/attn/V"], params[f"layer{i}/attn/Q"]
        s = jnp.einsum("bjd,bid->bij", h, h @ Q.T) * m  # z_j^T Q z_i, masked
        s = s / cols  # / ncol of position i's prompt
        h = h + jnp.einsum("bij,bjd->bid", s, h @ V.T)
    return h[..., -1]


def _with_prefix(h: jax.Array, mask: jax.Array, prefix: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Put the k prefix vectors in front of every prompt's states ``h`` ``(B, T, w)``: the prefix
    attends causally to itself, every other position to the whole prefix and to what ``mask`` allows."""
    k = prefix.shape[0]
    B, T, w = h.shape
    h = jnp.concatenate([jnp.broadcast_to(prefix, (B, k, w)).astype(h.dtype), h], axis=1)
    top = jnp.concatenate([jnp.asarray(causal_mask(k)), jnp.zeros((k, T), bool)], axis=1)
    low = jnp.concatenate([jnp.ones((T, k), bool), jnp.asarray(mask, bool)], axis=1)
    return h, jnp.concatenate([top, low], axis=0)


def forward(params: Params, tokens: jax.Array, mask: jax.Array, *, layers: int, heads: int) -> jax.Array:
    """Outputs ``(B, T)``: the label coordinate of every position of ``tokens`` ``(B, T, d+2)``.

    ``mask`` ``(T, T)`` boolean: position ``i`` attends to ``j`` where ``mask[i, j]``; every row
    must allow at least one position (its own). The parameters say the kind: the linear model's
    (``layer0/attn/V``, :func:`linear_forward`) or the decoder's; with a ``prefix`` parameter
    ``(k, width)`` the k prefix vectors stand in front of every prompt (every position sees them).
    """
    if "layer0/attn/V" in params:
        return linear_forward(params, tokens, mask)
    h = tokens @ params["embed/w"] + params["embed/b"]
    npre = 0
    if "prefix" in params:
        npre = params["prefix"].shape[0]
        h, mask = _with_prefix(h, mask, params["prefix"])
    B, T, w = h.shape
    dh = w // heads
    neg = jnp.asarray(-1e30, h.dtype)
    for i in range(layers):
        p = f"layer{i}/"
        a = _layer_norm(h, params[p + "ln1/scale"], params[p + "ln1/bias"])
        q = (a @ params[p + "attn/wq"]).reshape(B, T, heads, dh)
        k = (a @ params[p + "attn/wk"]).reshape(B, T, heads, dh)
        v = (a @ params[p + "attn/wv"]).reshape(B, T, heads, dh)
        s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(dh)
        s = jnp.where(mask, s, neg)
        att = jax.nn.softmax(s, axis=-1)
        o = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(B, T, w)
        h = h + o @ params[p + "attn/wo"]
        a = _layer_norm(h, params[p + "ln2/scale"], params[p + "ln2/bias"])
        h = h + jax.nn.gelu(a @ params[p + "mlp/w1"] + params[p + "mlp/b1"]) @ params[p + "mlp/w2"] \
            + params[p + "mlp/b2"]
    h = _layer_norm(h[:, npre:], params["final_ln/scale"], params["final_ln/bias"])
    out = h @ params["unembed/w"] + params["unembed/b"]
    return out[..., -1]


def causal_mask(T: int) -> np.ndarray:
    """The ordinary causal mask: position i attends to positions 0..i."""
    return np.tril(np.ones((T, T), dtype=bool))


def packed_mask(N: int) -> np.ndarray:
    """The mask of :func:`packed_tokens`' layout ``[z_1 .. z_N, q_0 .. q_N]`` (length 2N + 1):
    ``z_i`` sees ``z_1 .. z_i``; ``q_n`` sees ``z_1 .. z_n`` and itself."""
    T = 2 * N + 1
    m = np.zeros((T, T), dtype=bool)
    m[:N, :N] = causal_mask(N)
    for n in range(N + 1):
        m[N + n, :n] = True
        m[N + n, N + n] = True
    return m


def prompt_tokens(x: jax.Array, y: jax.Array) -> jax.Array:
    """The prompt ``[z_1 .. z_n q]`` ``(B, n+1, d+2)`` from ``x`` ``(B, n+1, d)`` and ``y`` ``(B, n+1)``
    (the last example is the query: its label is replaced by 0)."""
    B, T, _ = x.shape
    ys = y.at[:, -1].set(0.0)
    return jnp.concatenate([jnp.ones((B, T, 1), x.dtype), x, ys[..., None]], axis=-1)


def packed_tokens(x: jax.Array, y: jax.Array) -> jax.Array:
    """The packed layout ``[z_1 .. z_N, q_0 .. q_N]`` ``(B, 2N+1, d+2)`` from ``N + 1`` examples
    ``x`` ``(B, N+1, d)``, ``y`` ``(B, N+1)``: ``z_i = (1, x_i, y_i)`` for i <= N and
    ``q_n = (1, x_{n+1}, 0)``, whose target is ``y_{n+1}``."""
    B, T, _ = x.shape
    ones = jnp.ones((B, T, 1), x.dtype)
    z = jnp.concatenate([ones[:, :-1], x[:, :-1], y[:, :-1, None]], axis=-1)
    q = jnp.concatenate([ones, x, jnp.zeros((B, T, 1), x.dtype)], axis=-1)
    return jnp.concatenate([z, q], axis=1)


def predict_packed(params: Params, x: jax.Array, y: jax.Array, *, layers: int, heads: int) -> jax.Array:
    """The n-shot predictions ``(B, N+1)`` for n = 0..N: column n is ``f([z_1 .. z_n q_n])``
    with ``q_n = (1, x_{n+1}, 0)``; its target is ``y[:, n]``."""
    if linear_layers(params) > 1:
        raise ValueError("params: the packed pass is the n-shot prediction only for causal models; the linear "
                         "model at depth is unmasked (its context tokens see the query): use predict_prompt per n")
    N = x.shape[1] - 1
    out = forward(params, packed_tokens(x, y), jnp.asarray(packed_mask(N)), layers=layers, heads=heads)
    return out[:, N:]


def predict_prompt(params: Params, x: jax.Array, y: jax.Array, *, layers: int, heads: int) -> jax.Array:
    """The prediction ``(B,)`` for the prompts ``[z_1 .. z_n q]`` built from ``x`` ``(B, n+1, d)``,
    ``y`` ``(B, n+1)`` (the last example is the query), under the ordinary causal mask; the linear
    model's prompt unmasked (every token sees every token: the paper's model at any depth, see
    :mod:`numeric.depth`; at one layer the last position's output is the same under either mask)."""
    T = x.shape[1]
    mask = np.ones((T, T), dtype=bool) if "layer0/attn/V" in params else causal_mask(T)
    out = forward(params, prompt_tokens(x, y), jnp.asarray(mask), layers=layers, heads=heads)
    return out[:, -1]
