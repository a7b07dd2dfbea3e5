"""The transformer sweep's text with one seed (it printed ``± nan`` and "over 1
seeds"): the mean alone, said to have no standard error."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _sweep():
    spec = importlib.util.spec_from_file_location("_bench_sweep", ROOT / "bench" / "sweep_transformer.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_one_seed_has_no_standard_error():
    sw = _sweep()
    for se in (None, float("nan")):
        text = sw.mean_se({"mean": 0.25, "se": se}, 3)
        assert "nan" not in text and "one seed" in text and "+0.250" in text
    assert sw.mean_se({"mean": 0.25, "se": 0.01}) == "+0.25 ± 0.01"
    from proofs.figures.transformer import seeds_title
    assert "1 seeds" not in seeds_title([1]) and "one seed" in seeds_title([1])
    assert seeds_title([2, 3]) == "mean ± one standard error over 2/3 seeds"
