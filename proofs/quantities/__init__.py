"""The quantities: values at a setting, the lowest room of :mod:`proofs`.

Everything here computes what a question asks at a setting (d, Sigma, theta_0, sigma^2, m,
n_ft; or symbolic d): the derivation cache (:mod:`~proofs.quantities.derivations`), the
validated setting and its arithmetic, the derived parameters, n-shot error curves, the
zero-shot / few-shot frontier, gradient-descent trajectories, the concrete minimiser where
no closed form exists at symbolic d, and the numeric optimum where the loss is not
quadratic. It imports :mod:`symbolic` and :mod:`numeric` only, never the paper's
statements (:mod:`proofs.paper`) nor the faces (:mod:`proofs.api`, :mod:`proofs.cli`,
:mod:`proofs.figures`).

Importing this package is cheap (standard library only): the command line reads
:mod:`~proofs.quantities.limits` at start-up.
"""
