"""The toolkit's figures.

- :mod:`proofs.figures.linear`: the poster's linear-regression figure (``make_figure``),
  behind ``icl-finetune figure``; it trains every strategy (:mod:`numeric.training`),
  draws (:mod:`proofs.figures.draw`) the derivation's curves (:mod:`proofs.figures.theory`)
  against the trained models, and reports how close they come (:mod:`proofs.figures.report`,
  measured by :mod:`proofs.figures.closeness`).

Importing this package loads nothing heavy; NumPy comes with its modules, matplotlib and
tqdm only when a figure is drawn.
"""
