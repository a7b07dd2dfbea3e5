"""numeric: numpy Monte Carlo for the linear-attention ICL model (never imports ``symbolic``).

- :func:`forward`: the reference forward pass f(Z; V, Q) = [Z + V Z Z^T Q Z / ncol(Z)]_{-1,-1}.
- :func:`sample_prompts`: prompts of the linear regression task.
- validators ``check_*``: shared argument checks raising ValueError.
"""
from .model import forward
from .sampling import sample_prompts
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
    "forward",
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
