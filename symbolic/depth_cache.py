r"""Disk cache of the depth derivations (the L = 3 closed form takes tens of seconds cold).

:func:`cached` (``key, compute``) returns the engine :class:`~symbolic.forms.Poly` stored under
``key``, computing and storing it on a miss. The file name is a SHA-256 of the key *and of the
source code of every module the derivation runs through* (words, forms, wick, model, objective,
exchangeable, depth_model, depth, depth_pretraining...), so editing the derivation (on purpose,
to break it, or to fix it) never reads a stale result.

The stored form is plain data (tuples of SymPy expressions, strings, booleans), rebuilt into
Atoms, Legs, Forms and Traces on load, so no hash cached in one process reaches another.
Directory: ``$ICL_FINETUNE_CACHE`` if set, else ``~/.cache/icl-finetune``; ``ICL_FINETUNE_CACHE=off``
disables the disk (memory only). A file that cannot be read is recomputed and rewritten.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .forms import Form, Leg, Poly, Tr
from .words import Atom

__all__ = ["cached", "is_cached", "cache_dir", "dump_poly", "load_poly"]

_SOURCES = ("words.py", "forms.py", "wick.py", "model.py", "objective.py", "exchangeable.py", "depth_model.py",
            "depth.py", "depth_pretraining.py", "depth_cache.py")
_MEMORY: dict = {}


@lru_cache(maxsize=1)
def _code_hash() -> str:
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _SOURCES:
        p = here / name
        if p.exists():
            h.update(name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path | None:
    """The cache directory (None when disabled with ICL_FINETUNE_CACHE=off)."""
    env = os.environ.get("ICL_FINETUNE_CACHE")
    if env is not None and env.strip().lower() in ("off", "0", "none", ""):
        return None
    return Path(env) if env else Path.home() / ".cache" / "icl-finetune"


def _atom(a: Atom) -> tuple:
    return (a.expr, a.symmetric, a.transposed)


def _leg(l: Leg) -> tuple:
    return (l.kind, l.obj)


def dump_poly(p: Poly) -> list:
    """A Poly as plain data (see the module docstring)."""
    out = []
    for (factors, noises), c in p.terms.items():
        fs = []
        for f in factors:
            if isinstance(f, Tr):
                fs.append(("T", tuple(_atom(a) for a in f.word)))
            else:
                fs.append(("F", _leg(f.left), tuple(_atom(a) for a in f.word), _leg(f.right)))
        out.append((tuple(fs), tuple(noises), c))
    return out


def load_poly(data: list) -> Poly:
    """Inverse of :func:`dump_poly`."""
    terms = {}
    for fs, noises, c in data:
        factors = []
        for f in fs:
            if f[0] == "T":
                factors.append(Tr(tuple(Atom(*a) for a in f[1])))
            else:
                factors.append(Form(Leg(*f[1]), tuple(Atom(*a) for a in f[2]), Leg(*f[3])))
        terms[(tuple(factors), tuple(tuple(x) for x in noises))] = c
    return Poly(terms)


def _full_key(key: tuple) -> tuple:
    return (_code_hash(),) + tuple(str(k) for k in key)


def _path(full: tuple) -> Path | None:
    d = cache_dir()
    return None if d is None else d / ("depth-" + hashlib.sha256(repr(full).encode()).hexdigest()[:32] + ".pkl")


def is_cached(key: tuple) -> bool:
    """Whether :func:`cached` would answer ``key`` without computing (in memory, or a file on disk
    under its name: a torn file there is recomputed by :func:`cached`, so this can err only towards
    True)."""
    full = _full_key(key)
    if full in _MEMORY:
        return True
    path = _path(full)
    return path is not None and path.exists()


def cached(key: tuple, compute: Callable[[], Poly]) -> Poly:
    """``compute()`` cached in memory and on disk under ``key`` (a tuple of strings and numbers)."""
    full = _full_key(key)
    if full in _MEMORY:
        return _MEMORY[full]
    path = _path(full)
    if path is not None:
        if path.exists():
            try:
                with open(path, "rb") as fh:
                    stored_key, data = pickle.load(fh)
                if stored_key == full:
                    p = load_poly(data)
                    _MEMORY[full] = p
                    return p
            except Exception:  # a torn or foreign file: recompute
                pass
    p = compute()
    _MEMORY[full] = p
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump((full, dump_poly(p)), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass
    return p
