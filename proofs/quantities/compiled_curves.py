"""Float64 curves of the four strategies from generated evaluators: no SymPy, no derivation.

A float64 curve of a strategy's closed form (:func:`proofs.quantities.curves.closed_form_curve`)
costs, at d = 1,000, about a millisecond of evaluation behind a second of fixed cost: importing
SymPy, deriving the strategy, walking its expression trees. None of that depends on the setting,
only on the question: the strategy, whether m is finite (derived once with the symbol m) and
n_ft (value-fewshot is derived per n_ft). So for each such key the evaluation is generated
once as straight-line Python (:mod:`symbolic.codegen`: the evaluator itself, run on
placeholders, records every float64 operation it performs on the data) and kept in a cache
directory; later processes read it back and run it, without importing SymPy.

**Derived, never typed in.** The code is written by :func:`generate` from the derivation, and
the test (tests/test_compiled_curves.py) regenerates it, compares the text, and compares its
values with the evaluator's bit for bit at several d and with the exact values at small d.

**Stale code is never run.** A file carries, in its header: the key; ``sources``, a SHA-256 of
the source of everything the generated code depends on (every module of :mod:`symbolic`, the
derivation cache, the setting, the curves, this module, NumPy's and SymPy's versions), computed afresh in
each process, so a change to the derivation or the evaluator makes every file stale; ``derived``,
a SHA-256 of the derived objects the code was generated from (the error polynomial, its limit,
the definitions, the scalar blocks); and ``body``, a SHA-256 of the code itself, so an edited or
truncated file is detected. A file that fails any check is regenerated and rewritten.

The cache directory is ``$ICL_FINETUNE_CACHE`` if set, else ``$XDG_CACHE_HOME/icl-finetune``,
else ``~/.cache/icl-finetune``, with a folder per version of the sources (so that checkouts of
different versions sharing it do not overwrite each other's files; a folder of other sources
untouched for a week is removed when a new one is made); where it cannot be written, the code is
generated in memory for the process. ``ICL_FINETUNE_CACHE=off`` turns generated evaluators off (every curve takes the
full route). Files are written atomically (a temporary file, then a rename), so processes
running at once never read half a file.

:func:`float_curve` is the route: a strategy's name, a task ``target``/``opposite``, float64
arithmetic (asked for, or the default above d = MAX_EXACT_D). Anything else (a spec, an angle,
exact or mp, an argument the checks refuse) returns None, and the caller takes the full route
(:func:`proofs.quantities.solve.solve`), which also gives every error message.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from proofs.quantities.curve_result import CurveResult, noise_scale

__all__ = ["float_curve", "evaluator", "generate", "check", "cache_dir", "cache_path", "sources_fingerprint",
           "key_of", "Key", "FORMAT", "CACHE_ENV"]

#: the environment variable naming the cache directory
CACHE_ENV = "ICL_FINETUNE_CACHE"
#: the layout of a generated file; a file of another format is stale
FORMAT = 1
#: the run-time arguments of a generated evaluator, in order (after the arithmetic ``A``)
ARGUMENTS = ("Sigma", "theta_0", "theta", "sigma", "C", "m", "n")

#: (strategy, m finite, n_ft or None for infinity): what a generated evaluator is for
Key = tuple

_HERE = Path(__file__).resolve().parent


def key_of(name: str, m: int | None, n_ft: int | None) -> Key:
    """The key of a canonical strategy name at pretraining context m and auxiliary shots n_ft
    (None: infinity): a finite m is one key (m is a run-time argument), n_ft only matters to
    value-fewshot."""
    return (name, m is not None, n_ft if name == "value-fewshot" else None)


def _key_text(key: Key) -> str:
    name, finite_m, n_ft = key
    return f"{name} m={'m' if finite_m else 'oo'} n_ft={'oo' if n_ft is None else n_ft}"


def _file_name(key: Key) -> str:
    name, finite_m, n_ft = key
    return f"curve-{name}-m_{'m' if finite_m else 'oo'}-nft_{'oo' if n_ft is None else n_ft}.py"


def cache_dir() -> Path:
    """Where generated evaluators are kept (module docstring)."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "icl-finetune"


def _source_files() -> list[Path]:
    import symbolic
    files = sorted(Path(symbolic.__file__).resolve().parent.glob("*.py"))
    files += [_HERE / f for f in ("curves.py", "curve_result.py", "derivations.py", "setting.py",
                                  "compiled_curves.py")]
    return files


@lru_cache(maxsize=1)
def sources_fingerprint() -> str:
    """SHA-256 of the source of everything a generated evaluator depends on, NumPy's version
    and SymPy's (read from its files, without importing it): the cache's staleness key."""
    import importlib.util
    h = hashlib.sha256(f"format {FORMAT}; python {sys.version_info[:2]}\n".encode())
    for f in _source_files():
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    import numpy  # the constants folded while generating are float64 operations of NumPy
    h.update(f"numpy {numpy.__version__}\n".encode())
    spec = importlib.util.find_spec("sympy")
    release = Path(spec.origin).with_name("release.py") if spec and spec.origin else None
    h.update(release.read_bytes() if release and release.exists() else b"sympy: unknown")
    return h.hexdigest()


def _content_named(text: str) -> str:
    """``text`` with every derived matrix's name (``H_m_inv``, ``H_m_inv_2``...) replaced by a name
    made from its definition, expanded through the derived matrices it refers to. A name is given
    first come, first served (:func:`symbolic.calculus._define_unique`): a process that derived
    another ``H_m_inv`` first (e.g. a frontier at a finite m) calls this one ``H_m_inv_2``. The
    fingerprint of a derivation must not depend on what the process derived before."""
    import re
    from symbolic.definitions import DEFINITIONS
    word = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
    expanded: dict[str, str] = {}

    def expand(name: str, seen: tuple = ()) -> str:
        if name not in expanded:
            body = str(DEFINITIONS[name][0])
            expanded[name] = word.sub(lambda m: ("[" + expand(m.group(), seen + (name,)) + "]"
                                                 if m.group() in DEFINITIONS and m.group() not in seen + (name,)
                                                 else m.group()), body)
        return expanded[name]
    return word.sub(lambda m: "D" + _sha(expand(m.group()))[:16] if m.group() in DEFINITIONS else m.group(), text)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------- generating

def generate(key: Key) -> str:
    """The file text of the generated evaluator of ``key`` (:func:`key_of`): the header (module
    docstring) and ``def curve(A, Sigma, theta_0, theta, sigma, C, m, n)`` returning the error at
    the batch n and its limit n -> oo, written from the derivation by running the float64
    evaluator's own steps (:func:`proofs.quantities.curves.prepare_numeric`, then the limit, then
    the polynomial at n) on placeholders (:class:`symbolic.codegen.Tracer`). Raises
    :class:`symbolic.codegen.NotTraceable` where no straight-line code reproduces it."""
    import sympy as sp
    from symbolic.codegen import NotTraceable, Tracer
    from symbolic.evaluation import numeric_env
    from proofs.quantities.curves import abstract_error_polys, prepare_numeric
    from proofs.quantities.setting import derived
    name, finite_m, n_ft = key
    s, extra = derived(name, sp.Integer(1) if finite_m else sp.oo, sp.oo if n_ft is None else sp.Integer(n_ft))
    if set(extra) - {"m"}:
        raise NotTraceable(f"{name}: the derivation binds {sorted(set(extra) - {'m'})}, not run-time arguments")
    T = Tracer()
    inputs = {a: T.input(a, kind) for a, kind in zip(ARGUMENTS, ("matrix", "vector", "vector", "scalar", "scalar",
                                                                  "scalar", "array"))}
    env = {"Sigma": inputs["Sigma"], "theta_0": inputs["theta_0"], "sigma": inputs["sigma"], "C": inputs["C"]}
    if finite_m:
        env["m"] = inputs["m"]
    ne = numeric_env(env, T)
    p, lim = prepare_numeric(ne, name, s)
    # the same three steps as proofs.quantities.curves._numeric_curve
    ne.values["theta"] = inputs["theta"]
    limit = ne.poly(lim)
    out = ne.bind(n=inputs["n"]).poly(p)
    body = T.source("curve", (out, limit), doc=f"E(V*, Q*, n; theta) at the batch n and its limit n -> oo: "
                                                  f"{_key_text(key)} (generated; do not edit)")
    polys, _, subs = abstract_error_polys(name, s.m, s.n_ft if name == "value-fewshot" else sp.oo)
    derived_text = sp.srepr((sorted((str(k), str(v)) for k, v in polys.terms.items()),
                             sorted((str(k), str(v)) for k, v in lim.terms.items()),
                             sorted((str(k), sp.srepr(v)) for k, v in subs.items()),
                             sorted((k, sp.srepr(v)) for k, v in s.definitions().items())))
    derived_text = _content_named(derived_text)
    header = ["# icl-finetune: a generated evaluator of a derived closed form (proofs.quantities.compiled_curves).",
              "# Do not edit: it is regenerated whenever the derivation's sources change.",
              f"# format: {FORMAT}", f"# key: {_key_text(key)}", f"# sources: {sources_fingerprint()}",
              f"# derived: {_sha(derived_text)}", f"# body: {_sha(body)}"]
    return "\n".join(header) + "\n" + body


def _header(text: str) -> tuple[dict[str, str], str]:
    fields, lines = {}, text.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith("# "):
        k, sep, v = lines[i][2:].partition(": ")
        if sep:
            fields[k] = v
        i += 1
    return fields, "\n".join(lines[i:])


def check(text: str, key: Key) -> str | None:
    """Why the file text ``text`` is not a current evaluator of ``key`` (None when it is):
    another format or key, sources changed since it was generated, or a body that is not the
    one its header hashed."""
    fields, body = _header(text)
    if fields.get("format") != str(FORMAT) or fields.get("key") != _key_text(key):
        return "another format or key"
    if fields.get("sources") != sources_fingerprint():
        return "the derivation's sources changed"
    if fields.get("body") != _sha(body):
        return "the code is not the code generated (edited or truncated)"
    return None


def _load(text: str, where: str) -> Callable[..., Any]:
    _, body = _header(text)
    scope: dict[str, Any] = {}
    exec(compile(body, where, "exec"), scope)  # our own generated code, checked by check()
    return scope["curve"]


#: a folder of generated evaluators for other sources, untouched this long, is removed
PRUNE_AFTER_S = 7 * 24 * 3600


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed); when creating the
    folder of the current sources, remove folders of other sources untouched for a week."""
    import shutil
    import tempfile
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for other in path.parent.parent.glob("curves-*"):
            try:
                if other != path.parent and time.time() - other.stat().st_mtime > PRUNE_AFTER_S:
                    shutil.rmtree(other, ignore_errors=True)
            except OSError:
                pass
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def evaluator(key: Key, directory: Path | None = None) -> Callable[..., Any] | None:
    """The generated evaluator of ``key``: read from the cache directory when its file is
    current (:func:`check`), else generated and written there (in memory only where the
    directory cannot be written); None where the closed form cannot be traced."""
    return _evaluator(key, str(cache_dir() if directory is None else directory))


def cache_path(key: Key, directory: Path | None = None) -> Path:
    """The file of ``key``'s evaluator: in the cache directory, a folder per version of the
    sources (``curves-`` and the start of :func:`sources_fingerprint`), so that checkouts of
    different versions sharing a cache do not overwrite each other's files."""
    folder = (cache_dir() if directory is None else Path(directory)) / f"curves-{sources_fingerprint()[:16]}"
    return folder / _file_name(key)


@lru_cache(maxsize=64)
def _evaluator(key: Key, directory: str) -> Callable[..., Any] | None:
    path = cache_path(key, Path(directory))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    if text is not None and check(text, key) is None:
        try:
            return _load(text, str(path))
        except Exception:  # noqa: BLE001 - a file that does not load is stale like any other
            pass
    from symbolic.codegen import NotTraceable
    try:
        text = generate(key)
    except NotTraceable:
        return None
    try:
        _write(path, text)
    except OSError:
        pass  # an unwritable cache: generated for this process only
    return _load(text, str(path))


# ----------------------------------------------------------------------------- the route

def float_curve(strategy: Any, task: Any, ns: Sequence[int], *, d: Any, sigma2: Any = 0, m: Any = None,
                n_ft: Any = None, scale: Any = 1, Sigma: Any = None, theta0: Any = None, arithmetic: Any = None,
                precision: Any = None, theta_0: Any = None) -> CurveResult | None:
    """The float64 curve of a strategy's closed form from its generated evaluator, with the
    arguments of :func:`proofs.api.curve` (``ns`` already checked); the same
    :class:`~proofs.quantities.curve_result.CurveResult`, bit for bit, as the full route's. None
    where this route does not apply or an argument is refused (module docstring): the caller
    then takes the full route."""
    from symbolic.arithmetic import FLOAT64
    from symbolic.strategy_names import canonical_strategy
    from proofs.quantities import validation as V
    from proofs.quantities.arithmetic import choose
    if os.environ.get(CACHE_ENV) == "off":
        return None
    if not isinstance(strategy, str) or not isinstance(task, str) or task not in ("target", "opposite"):
        return None
    try:
        name = canonical_strategy(strategy)
        if choose(V.dimension(d), arithmetic, precision) != FLOAT64:  # type: ignore[arg-type]
            return None
        v = V.setting_inputs(d, Sigma=Sigma, theta0=V.theta0_once(theta0, theta_0), sigma2=sigma2, m=m,
                             n_ft=n_ft, scale=scale, arithmetic=arithmetic, precision=precision,
                             defer_condition=True)
    except (TypeError, ValueError):
        return None
    curve = evaluator(key_of(name, v.m, v.n_ft))
    if curve is None:
        return None
    A = FLOAT64
    theta = v.theta0 if task == "target" else -v.theta0
    n = A.batch(list(ns))
    import numpy as np
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # as the full route: an overflow is said once
            out, limit = curve(A, v.Sigma, v.theta0, theta, noise_scale(A, v.sigma2), v.scale, v.m, n)
        vals = A.unbatch(out, len(n))
        A.finite(vals, "the error")
        A.finite(limit, "the error's limit")
    except Exception:  # noqa: BLE001 - a singular matrix, float64's range exceeded: the full route says it
        return None
    # Sigma's condition number deferred: the warning is decided without it where a Cholesky
    # factorisation proves it small, and the number (one d x d inverse) is computed where read
    return CurveResult(list(ns), [float(x) for x in vals], float(limit), arith=A, values=list(vals),
                       limit_value=limit, condition=v.condition, warning=A.condition_warning(v.condition))
