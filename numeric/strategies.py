"""Hypothesis strategies for property tests of the n-shot error E(V, Q, n; theta).

Import them in your own tests (requires the ``test`` extra, i.e. ``hypothesis``)::

    from hypothesis import given
    from numeric.strategies import cases

    @given(cases(max_d=3, max_n=20))
    def test_my_formula(case):
        assert_matches_monte_carlo(my_formula(case), **case.kwargs())

Everything drawn is a float64 numpy array or a Python number, well conditioned:
Sigma = O diag(lambda) O^T with eigenvalues in [min_eig, max_eig] (condition number
at most max_eig / min_eig), entries of theta, V and Q bounded by the given scales.
Sizes are controlled by the arguments. See ``docs/property-tests.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .validation import check_count

__all__ = [
    "Setting",
    "Case",
    "dimensions",
    "spd_matrices",
    "vectors",
    "noise_variances",
    "shots",
    "settings",
    "parameters",
    "cases",
]


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


@dataclass(frozen=True)
class Setting:
    """A task and prompt length: n shots, task vector theta (d,), covariance Sigma (d, d), noise sigma2."""

    d: int
    n: int
    theta: np.ndarray
    Sigma: np.ndarray
    sigma2: float

    def kwargs(self) -> dict[str, Any]:
        """``dict(n=..., theta=..., Sigma=..., sigma2=...)``, the estimators' keyword arguments."""
        return dict(n=self.n, theta=self.theta, Sigma=self.Sigma, sigma2=self.sigma2)


@dataclass(frozen=True)
class Case:
    """A setting together with parameters V, Q of matching size (d+2, d+2)."""

    setting: Setting
    V: np.ndarray
    Q: np.ndarray

    @property
    def d(self) -> int:
        return self.setting.d

    @property
    def n(self) -> int:
        return self.setting.n

    def kwargs(self) -> dict[str, Any]:
        """``dict(V=..., Q=..., n=..., theta=..., Sigma=..., sigma2=...)``: all the arguments of
        :func:`numeric.testing.assert_matches_monte_carlo` but the value."""
        return dict(V=self.V, Q=self.Q, **self.setting.kwargs())


def dimensions(min_d: int = 1, max_d: int = 4) -> st.SearchStrategy[int]:
    """The dimension d of x, in [min_d, max_d]."""
    min_d = int(check_count(min_d, "min_d", minimum=1))
    max_d = int(check_count(max_d, "max_d", minimum=min_d))
    return st.integers(min_d, max_d)


def shots(min_n: int = 0, max_n: int = 50) -> st.SearchStrategy[int]:
    """The number of in-context examples n, in [min_n, max_n] (0 is zero-shot)."""
    min_n = int(check_count(min_n, "min_n"))
    max_n = int(check_count(max_n, "max_n", minimum=min_n))
    return st.integers(min_n, max_n)


def spd_matrices(d: int, *, min_eig: float = 0.25, max_eig: float = 2.0) -> st.SearchStrategy[np.ndarray]:
    """Symmetric positive definite d x d matrices O diag(lambda) O^T, lambda in [min_eig, max_eig]."""
    d = int(check_count(d, "d", minimum=1))
    if not (0 < min_eig <= max_eig < np.inf):
        raise ValueError(f"min_eig, max_eig: expected 0 < min_eig <= max_eig < inf, got {min_eig}, {max_eig}")

    @st.composite
    def draw(draw_: Any) -> np.ndarray:
        lam = np.array(draw_(st.lists(_floats(min_eig, max_eig), min_size=d, max_size=d)))
        A = draw_(hnp.arrays(np.float64, (d, d), elements=_floats(-1, 1)))
        O, R = np.linalg.qr(A + 2 * np.eye(d))   # + 2I keeps R well away from singular
        O = O * np.sign(np.where(np.diag(R) == 0, 1.0, np.diag(R)))
        S = (O * lam) @ O.T
        return (S + S.T) / 2

    return draw()


def vectors(d: int, *, scale: float = 1.0) -> st.SearchStrategy[np.ndarray]:
    """Real vectors of length d with entries in [-scale, scale] (task vectors theta)."""
    d = int(check_count(d, "d", minimum=1))
    scale = _positive(scale, "scale")
    return hnp.arrays(np.float64, (d,), elements=_floats(-scale, scale))


def noise_variances(min_value: float = 0.0, max_value: float = 1.0) -> st.SearchStrategy[float]:
    """Noise variances sigma2 in [min_value, max_value] (default [0, 1])."""
    if not (0 <= min_value <= max_value < np.inf):
        raise ValueError(f"min_value, max_value: expected 0 <= min_value <= max_value < inf, got {min_value}, {max_value}")
    return _floats(min_value, max_value)


def _positive(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not (0 < x < np.inf):
        raise ValueError(f"{name}: expected a positive finite number, got {x!r}")
    return float(x)


def settings(*, d: int | None = None, min_d: int = 1, max_d: int = 4, min_n: int = 0, max_n: int = 50,
             theta_scale: float = 1.0, min_eig: float = 0.25, max_eig: float = 2.0,
             max_sigma2: float = 1.0) -> st.SearchStrategy[Setting]:
    """A :class:`Setting`: d (fixed if given, else in [min_d, max_d]), n in [min_n, max_n],
    Sigma from :func:`spd_matrices`, theta from :func:`vectors`, sigma2 in [0, max_sigma2].

    Arguments are validated when the strategy is built (ValueError naming the argument).
    """
    dims = st.just(int(check_count(d, "d", minimum=1))) if d is not None else dimensions(min_d, max_d)
    ns = shots(min_n, max_n)
    theta_scale = _positive(theta_scale, "theta_scale")
    spd_matrices(1, min_eig=min_eig, max_eig=max_eig)     # validates the eigenvalue range
    sig = noise_variances(0.0, max_sigma2)

    @st.composite
    def draw_setting(draw: Any) -> Setting:
        dd = draw(dims)
        return Setting(
            d=dd,
            n=draw(ns),
            theta=draw(vectors(dd, scale=theta_scale)),
            Sigma=draw(spd_matrices(dd, min_eig=min_eig, max_eig=max_eig)),
            sigma2=draw(sig),
        )

    return draw_setting()


def parameters(d: int, *, scale: float = 0.5) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Pairs (V, Q) of real (d+2) x (d+2) matrices with entries in [-scale, scale]."""
    d = int(check_count(d, "d", minimum=1))
    scale = _positive(scale, "scale")
    m = hnp.arrays(np.float64, (d + 2, d + 2), elements=_floats(-scale, scale))
    return st.tuples(m, m)


def cases(*, scale: float = 0.5, **setting_kwargs: Any) -> st.SearchStrategy[Case]:
    """A :class:`Case`: a setting (keyword arguments as :func:`settings`) and parameters (V, Q) of
    its size with entries in [-scale, scale]."""
    scale = _positive(scale, "scale")
    setting_strategy = settings(**setting_kwargs)

    @st.composite
    def draw_case(draw: Any) -> Case:
        s = draw(setting_strategy)
        V, Q = draw(parameters(s.d, scale=scale))
        return Case(setting=s, V=V, Q=Q)

    return draw_case()
