"""Writing a matplotlib figure to its files, one way for every figure of the toolkit."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable


def with_twin(out: Path) -> list[Path]:
    """The files a figure drawn at ``out`` writes: ``out``, and its PDF / PNG twin when ``out`` is
    one of the two (a paper takes the PDF, a page the PNG)."""
    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf"):
        return [out]
    return [out, out.with_suffix(".pdf" if out.suffix.lower() == ".png" else ".png")]


def save_figure(fig: Any, paths: Iterable[Path], png_dpi: int = 300) -> None:
    """Save ``fig`` to each path (format from the suffix; PNG at ``png_dpi``), with fontTools'
    font-subsetting notices (harmless, logged while a PDF is written) kept off the terminal."""
    quiet = logging.getLogger("fontTools")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for path in paths:
            fig.savefig(path, dpi=png_dpi if Path(path).suffix.lower() == ".png" else None)
    finally:
        quiet.setLevel(level)
