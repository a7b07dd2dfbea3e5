"""numeric: numpy Monte Carlo for the linear-attention ICL model (never imports ``symbolic``).

- :func:`forward`: the reference forward pass f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}.
- :func:`sample_prompts`: prompts of the linear regression task.
- :func:`estimate_error`: reference Monte Carlo of E(V, Q, n; theta), an :class:`Estimate`.
- :func:`estimate_error_fast`: the same from a sufficient statistic, with exact variance reduction.
- :func:`moment_error`: E(V, Q, n; theta) exactly in float64 from Gaussian moments (n may be inf).
- :func:`check_against_monte_carlo`, :func:`assert_matches_monte_carlo`, :func:`calibrate`: statistical
  checks of a claimed exact error (``numeric.testing``); Hypothesis strategies in ``numeric.strategies``
  (imported separately: they need the ``test`` extra).
- validators ``check_*``: shared argument checks raising ValueError.
"""
from .fast import estimate_error_fast, moment_error
from .model import forward
from .montecarlo import Estimate, estimate_error
from .sampling import sample_prompts
from .testing import (
    Calibration,
    Check,
    assert_matches_monte_carlo,
    calibrate,
    check_against_monte_carlo,
)
from .validation import (
    check_count,
    check_covariance,
    check_dimension,
    check_params,
    check_prompts,
    check_samples,
    check_seed,
    check_sigma2,
    check_vector,
)

__all__ = [
    "Estimate",
    "estimate_error",
    "estimate_error_fast",
    "moment_error",
    "forward",
    "Check",
    "check_against_monte_carlo",
    "assert_matches_monte_carlo",
    "Calibration",
    "calibrate",
    "sample_prompts",
    "check_count",
    "check_covariance",
    "check_dimension",
    "check_params",
    "check_prompts",
    "check_samples",
    "check_seed",
    "check_sigma2",
    "check_vector",
]
