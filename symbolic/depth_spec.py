r"""Specs at depth: which layer's values move, on which losses (the strategy language with layers).

A depth spec is a one-layer spec (:mod:`symbolic.spec`) plus a number of layers L (1..3,
``MAX_DEPTH``) and a layer on each trained block. The model is the class of
:mod:`symbolic.depth_model` (V_l acts on the label row, its last row (v_0, v_x^T, v_y);
Q_l = blockdiag(0, Gamma_l, 0)); the start is the pretrained class model V_l = e_y e_y^T,
Gamma_l = gamma_l Sigma^{-1} (:func:`pretrained_layers`; the gamma_l symbols at symbolic d, the
pretrained values of :mod:`symbolic.depth_pretraining` at a setting's m).

JSON (docs/cli.md): ``{"layers": 2, "train": ["V2.vx", "V2.vy"], "loss": [...], "then": [...]}``.
A train entry is

* ``"V<l>.<b>"`` with b one of ``v0 vx vy``: block b of layer l's values (``"V2.vx"``);
* ``"V<l>"``: the three value blocks of layer l;
* ``"v0"``, ``"vx"``, ``"vy"``, ``"V"`` without a layer: the last layer's (as at one layer, where
  the last layer is the only one).

**Whole matrices (outside the class).** ``"Q<l>"``: every entry of layer l's query-key matrix;
``"Q"``: every layer's; ``"V<l>.all"``: every entry of layer l's value matrix (its first rows too,
which at depth write into the stream the later layers read); ``"all"``: every entry of every V_l and
Q_l (full fine-tuning, strategy (b), at depth). Such a spec has no closed form (the prediction has
degree 3^L in x); it is answered at a concrete setting by gradient descent on the exact zero-shot loss
(:mod:`proofs.quantities.depth_descent`), so its loss terms are zero-shot (n = 0) and it has no
``then``. One-layer Q block names, ranks, an explicit start and task families are refused at depth
with a one-line ValueError naming the field. ``"layers": 1`` (or absent) is the one-layer
spec exactly (:func:`read_spec`, the reader of both kinds, returns a :class:`symbolic.spec.Spec`; a
``"V1.vx"`` entry is then ``"vx"``); :func:`make_depth_spec` builds a depth spec at any L,
L = 1 included (the depth route at one layer, which tests compare with the one-layer route).

**When the loss is quadratic.** The prediction f_L = x_q^T g_L, with

    g_l = g_{l-1} + (1/N) Gamma_l^T ( v_0^{(l)} s + S v_x^{(l)} + v_y^{(l)} (b + S g_{l-1}) ),

is linear in each layer's values, and multilinear across layers only through v_y^{(l)} g_{l-1}:
a product of a trained v_y^{(l)} with a trained value of an earlier layer l' < l. So the loss
(a sum of mean squared errors of f_L) is quadratic in the trained entries exactly when no trained
v_y^{(l)} has a trained block in an earlier layer (:func:`quadratic_reason` says why not
otherwise). One layer's values always qualify; v_0, v_x of several layers together do too.

Public API: :class:`DepthSpec`, :func:`make_depth_spec`, :func:`depth_spec_from_json`,
:func:`layered_entry`, :func:`quadratic_reason`, :func:`is_depth_json`, ``VALUE_BLOCKS``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

from .depth_model import MAX_DEPTH
from .spec import Term, shown

__all__ = ["DepthSpec", "make_depth_spec", "depth_spec_from_json", "read_spec", "layered_entry", "quadratic_reason",
           "is_depth_json", "VALUE_BLOCKS", "MATRIX_BLOCKS", "entry_name", "terms_text"]

#: the blocks of a layer's values that a depth spec may train
VALUE_BLOCKS = ("v0", "vx", "vy")
#: whole matrices of a layer (outside the class): ``(l, "V")`` every entry of V_l, ``(l, "Q")`` of Q_l
MATRIX_BLOCKS = ("V", "Q")
_LAYERED = re.compile(r"^V([0-9]+)(?:\.(\w+))?\Z")
_QUERY = re.compile(r"^Q([1-9][0-9]*)\Z")  # a layer from 1 (not Q00, a one-layer block); ASCII digits, \Z as above


def entry_name(layer: int, blk: str) -> str:
    """The spec's name of a trained block: ``V2.vx``; whole matrices ``V2.all``, ``Q2``."""
    if blk == "Q":
        return f"Q{layer}"
    return f"V{layer}.all" if blk == "V" else f"V{layer}.{blk}"


@dataclass(frozen=True)
class DepthSpec:
    """A fine-tuning question at depth: train these (layer, block) pairs of an L-layer class model,
    from its pretrained parameters, on these losses (``then``: within the first loss's minimisers).

    ``train``: sorted (layer, block) pairs, block in :data:`VALUE_BLOCKS`; ``loss``, ``then``:
    :class:`symbolic.spec.Term` tuples with fixed tasks (theta_0, -theta_0, bound task vectors);
    ``bindings``: the values of the task vectors a JSON spec gave (part of the identity, as at one
    layer)."""

    layers: int
    train: tuple[tuple[int, str], ...]
    loss: tuple[Term, ...]
    then: tuple[Term, ...] = ()
    name: str = "spec"
    bindings: tuple = ()
    #: what a one-layer spec has and a depth spec never does (read by code shared with one-layer specs)
    start = None
    ranks: tuple = ()

    def constraining_ranks(self, d: int | None = None) -> tuple:
        return ()

    @property
    def names(self) -> tuple[str, ...]:
        """The trained blocks as the spec writes them (``V2.vx``)."""
        return tuple(entry_name(l, b) for l, b in self.train)

    @property
    def general(self) -> bool:
        """Whether it trains a whole matrix (``Q<l>``, ``V<l>.all``): outside the class, no closed form."""
        return any(b in MATRIX_BLOCKS for _, b in self.train)

    @property
    def trained_layers(self) -> tuple[int, ...]:
        return tuple(sorted({l for l, _ in self.train}))

    def __str__(self) -> str:
        out = f"L = {self.layers} layers: train {', '.join(self.names)} on {terms_text(self.loss)}"
        if self.then:
            out += f", then within its minimisers on {terms_text(self.then)}"
        return out + ", from the pretrained class model"


def terms_text(terms: Sequence[Term]) -> str:
    """A loss at depth as text: ``E_L(0; theta_0) + lambda*E_L(oo; theta_0)``."""
    return " + ".join(str(t).replace("E(V, Q, ", "E_L(") for t in terms)


def _check_layers(layers: Any, where: str = "layers") -> int:
    if isinstance(layers, Fraction) and layers.denominator == 1:  # JSON's 2.0, read exactly (as a term's n)
        layers = int(layers)
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= MAX_DEPTH:
        raise ValueError(f"{where}: expected an integer number of layers 1 <= L <= {MAX_DEPTH}, got {shown(layers)}")
    return layers


def layered_entry(entry: Any, L: int, where: str = "train[0]") -> list[tuple[int, str]]:
    """The (layer, block) pairs a train entry names at depth L (module docstring), or a one-line
    ValueError naming ``where``: an unknown layer, a Q block, a rank, an unknown block."""
    from .spec import BLOCKS, GROUPS, SILENT_BLOCKS
    if isinstance(entry, Mapping):
        raise ValueError(f"{where}: a rank (a {{\"block\", \"rank\"}} entry) is not supported at depth (L = {L}); "
                         "train whole value blocks (V<l>.v0, V<l>.vx, V<l>.vy)")
    if not isinstance(entry, str):
        raise ValueError(f"{where}: expected a block name such as 'V{L}.vx', got {shown(entry)}")
    if entry == "all":
        return [(l, b) for l in range(1, L + 1) for b in MATRIX_BLOCKS]
    if entry == "Q":
        return [(l, "Q") for l in range(1, L + 1)]
    q = _QUERY.match(entry)
    if q:
        layer = _layer_number(q.group(1), entry, L, where)
        return [(layer, "Q")]
    m = _LAYERED.match(entry)
    if m:
        layer = _layer_number(m.group(1), entry, L, where)
        blk = m.group(2)
        if blk is None:
            return [(layer, b) for b in VALUE_BLOCKS]
        if blk in VALUE_BLOCKS:
            return [(layer, blk)]
        if blk == "all":
            return [(layer, "V")]
        raise ValueError(f"{where}: unknown block {shown(blk)} in {shown(entry)} "
                         "(expected V<l>.v0, V<l>.vx, V<l>.vy or V<l>.all)")
    if entry in VALUE_BLOCKS:
        return [(L, entry)]
    if entry == "V":
        return [(L, b) for b in VALUE_BLOCKS]
    if entry in BLOCKS or entry in GROUPS or entry in SILENT_BLOCKS:
        raise ValueError(f"{where}: the block {entry} is not supported at depth (L = {L}): the class fixes Q_l's "
                         "form (Gamma_l on the x block) and V_l's first rows; train the values V<l>.v0, V<l>.vx, V<l>.vy, "
                         "or whole matrices (Q<l>, V<l>.all, all)")
    raise ValueError(f"{where}: unknown block {shown(entry)} (expected V<l>.v0, V<l>.vx, V<l>.vy, V<l>, "
                     "v0, vx, vy for the last layer, or whole matrices Q<l>, Q, V<l>.all, all)")


def _layer_number(digits: str, entry: str, L: int, where: str) -> int:
    if len(digits) > 4:  # not a layer number (and int() refuses more than 4300 digits)
        raise ValueError(f"{where}: unknown layer in {shown(entry)} (the spec has layers 1..{L})")
    layer = int(digits)
    if not 1 <= layer <= L:
        hint = f'; give "layers": {layer} or more' if L == 1 and layer <= MAX_DEPTH else ""
        raise ValueError(f"{where}: unknown layer {layer} in {shown(entry)} (the spec has layers 1..{L}{hint})")
    return layer


def is_depth_json(obj: Any) -> bool:
    """Whether a JSON spec is written for depth: it has the key ``layers`` or names a layer (``V2.vx``)."""
    if not isinstance(obj, Mapping):
        return False
    train = obj.get("train")
    layered = isinstance(train, list) and any(isinstance(e, str) and (_LAYERED.match(e) or _QUERY.match(e))
                                              for e in train)
    return "layers" in obj or layered


def quadratic_reason(spec: DepthSpec) -> str | None:
    """None when the spec's loss is quadratic in what it trains; else why not, in one line naming
    the spec (module docstring: a trained v_y^{(l)} with a trained block of an earlier layer, or a
    whole matrix)."""
    whole = [entry_name(l, b) for l, b in spec.train if b in MATRIX_BLOCKS]
    if whole:
        return (f"spec {spec.name!r}: trains {', '.join(whole)}, whole matrices outside the class, which the depth "
                "derivation covers (there the prediction has degree 3^L in x): no closed form (gradient descent on "
                "the exact zero-shot loss at a concrete setting: derive --numeric)")
    for l, b in spec.train:
        if b != "vy":
            continue
        earlier = [entry_name(k, c) for k, c in spec.train if k < l]
        if earlier:
            return (f"spec {spec.name!r}: trains {entry_name(l, 'vy')} and {', '.join(earlier)}: the prediction "
                    f"holds the products v_y^({l}) x (earlier layer's values), so the loss is quartic in the trained "
                    "entries, not quadratic: no closed form (a numeric optimum at a concrete setting: derive --numeric)")
    return None


def make_depth_spec(layers: int, train: Sequence[Any], loss: Sequence[Any], then: Sequence[Any] = (),
                    name: str = "spec", bindings: tuple = ()) -> DepthSpec:
    """Validate and build a :class:`DepthSpec` (``train``: names as in JSON, or (layer, block) pairs)."""
    from .spec import make_spec
    L = _check_layers(layers)
    if isinstance(train, str) or (isinstance(train, tuple) and len(train) == 2 and isinstance(train[0], int)
                                  and not isinstance(train[0], bool)):
        train = [train]   # one name, or one (layer, block) pair
    if not isinstance(train, (list, tuple)) or not train:
        raise ValueError("train: expected a non-empty list of block names such as 'V2.vx'")
    pairs: list[tuple[int, str]] = []
    for i, entry in enumerate(train):
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], int):
            got = layered_entry(entry_name(*entry), L, f"train[{i}]")
        else:
            got = layered_entry(entry, L, f"train[{i}]")
        for p in got:
            if p in pairs:
                raise ValueError(f"train[{i}]: the block {entry_name(*p)} is listed twice")
            pairs.append(p)
    # the loss terms, their tasks and the name: validated by the one-layer spec's rules
    one = make_spec(["vx"], loss, then, None, name, bindings)
    for key, t in [("loss", t) for t in one.loss] + [("then", t) for t in one.then]:
        if not t.task.is_fixed:
            raise ValueError(f"{key}: the task family {t.task} is not supported at depth (L = {L}); "
                             "give a fixed task ('target', 'opposite' or d numbers)")
    _check_whole(pairs, one.loss, one.then, L)
    order = {b: i for i, b in enumerate(VALUE_BLOCKS + MATRIX_BLOCKS)}
    pairs.sort(key=lambda p: (p[0], order[p[1]]))
    return DepthSpec(L, tuple(pairs), one.loss, one.then, one.name, one.bindings)


def _check_whole(pairs: Sequence[tuple[int, str]], loss: Sequence[Term], then: Sequence[Term], L: int) -> None:
    """A spec with whole matrices: at depth (L >= 2), no value block of a layer whose V_l is whole,
    zero-shot loss terms, no ``then`` (one-line ValueError naming the field)."""
    whole = [p for p in pairs if p[1] in MATRIX_BLOCKS]
    if not whole:
        return
    if L == 1:
        raise ValueError("train: whole matrices (all, Q, Q<l>, V<l>.all) are for depth, L >= 2; at one layer "
                         "train the one-layer blocks (docs/specs.md)")
    for l, b in pairs:
        if b in VALUE_BLOCKS and (l, "V") in pairs:
            raise ValueError(f"train: {entry_name(l, b)} is part of {entry_name(l, 'V')}, listed too")
    for i, t in enumerate(loss):
        if t.n != 0:
            raise ValueError(f"loss[{i}]: a spec training whole matrices ({entry_name(*whole[0])}...) is answered by "
                             f"gradient descent on the exact zero-shot loss; expected n = 0, got n = {t.n} (outside "
                             "the class the n-shot loss has no exact route: train with 'transformer --model linear')")
    if then:
        raise ValueError(f"then: a spec training whole matrices ({entry_name(*whole[0])}...) minimises one zero-shot "
                         "loss; a second stage is not supported")


def read_spec(obj: Any, d: int | None = None, max_d: int | None = None) -> Any:
    """A spec from its JSON form, at one layer or at depth: :func:`depth_spec_from_json` when it has
    the key ``layers`` or names a layer (``"V2.vx"``), else :func:`symbolic.spec.spec_from_json`."""
    from .spec import spec_from_json
    from .validation import MAX_SPEC_D
    if is_depth_json(obj):
        return depth_spec_from_json(obj, d, max_d)
    return spec_from_json(obj, d, MAX_SPEC_D if max_d is None else max_d)


def depth_spec_from_json(obj: Mapping, d: int | None = None, max_d: int | None = None) -> Any:
    """A depth spec from its JSON form (``layers`` and layered train entries; module docstring),
    validated before any work. ``"layers": 1`` gives the one-layer :class:`symbolic.spec.Spec`
    (``V1.vx`` read as ``vx``), today's question exactly."""
    from .spec import spec_from_json
    from .validation import MAX_SPEC_D
    max_d = MAX_SPEC_D if max_d is None else max_d
    unknown = set(obj) - {"train", "loss", "then", "name", "start", "layers"}
    if unknown:
        raise ValueError(f"spec: unknown key {shown(sorted(map(str, unknown))[0])} "
                         "(expected layers, train, loss, then, name)")
    L = _check_layers(obj.get("layers", 1), "layers")
    train = obj.get("train")
    if not isinstance(train, list) or not train:
        raise ValueError("train: expected a non-empty list of block names such as 'V2.vx'")
    pairs: list[tuple[int, str]] = []
    for i, entry in enumerate(train):
        for p in layered_entry(entry, L, f"train[{i}]"):
            if p in pairs:   # said here, at the JSON entry's index (make_depth_spec sees the pairs)
                raise ValueError(f"train[{i}]: the block {entry_name(*p)} is listed twice")
            pairs.append(p)
    if obj.get("start", "pretrained") != "pretrained":
        raise ValueError(f"start: an explicit start is not supported at depth (L = {L}); the start is the "
                         "pretrained class model (omit start or write \"pretrained\")")
    rest = {k: v for k, v in obj.items() if k not in ("layers", "train")}
    if L == 1:
        _check_whole(pairs, (), (), 1)
        return spec_from_json({**rest, "train": [b for _, b in pairs]}, d, max_d)
    # the loss terms (task vectors bound, d fixed by them) read by the one-layer reader
    one = spec_from_json({**rest, "train": ["vx"]}, d, max_d)
    return make_depth_spec(L, pairs, one.loss, one.then, one.name, one.bindings)
