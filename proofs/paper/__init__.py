"""The paper: its statements and what is written from them, the middle room of :mod:`proofs`.

One module per result (:mod:`proofs.paper.results`, each a :class:`~proofs.paper.result.Result`
that derives, states and checks), the summary table, the notation shared by every output, the
LaTeX document, the generated documentation pages, the Monte Carlo verification of every
derived formula, and the transformer experiment's claims. It imports the quantities
(:mod:`proofs.quantities`), :mod:`symbolic` and :mod:`numeric`; the faces (:mod:`proofs.api`,
:mod:`proofs.cli`, :mod:`proofs.figures`) sit on top of it.

Importing this package is cheap (standard library only).
"""
