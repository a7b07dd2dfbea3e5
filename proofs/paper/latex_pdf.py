"""Compiling the LaTeX document to a finished PDF (``icl-finetune latex --pdf``).

One ``pdflatex`` pass leaves references unresolved ("Table ??"): :func:`compile_pdf`
runs it twice in a temporary folder (a third time if the log still asks for a rerun)
and copies only the PDF out.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["compile_pdf", "PdflatexMissing", "PASSES"]

#: pdflatex passes: two resolve the references of a document without a bibliography
PASSES = 2


class PdflatexMissing(RuntimeError):
    """``pdflatex`` is not on the PATH."""


def compile_pdf(source: str, out: Path | str, *, pdflatex: str = "pdflatex", timeout: float = 120.0,
                passes: int = PASSES) -> Path:
    """Compile the LaTeX ``source`` to the PDF ``out`` with ``pdflatex`` (run in a temporary
    folder, ``passes`` times, and once more if the log then says "Rerun"; ``passes=1`` is
    the single pass that leaves "??"); returns ``out``.

    Raises :class:`PdflatexMissing` when ``pdflatex`` cannot be found, ``RuntimeError`` with the
    log's first error line when it fails, ``ValueError`` for an ``out`` not ending in ``.pdf``.
    """
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise ValueError(f"out: expected a file name ending in .pdf, got {str(out)!r}")
    exe = shutil.which(pdflatex)
    if exe is None:
        raise PdflatexMissing(f"{pdflatex} not found: install a TeX distribution (Debian: apt-get install "
                              "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)")
    with tempfile.TemporaryDirectory(prefix="icl-finetune-latex-") as tmp:
        tex = Path(tmp) / "document.tex"
        tex.write_text(source, encoding="utf-8")
        for k in range(passes + 1):
            run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tmp,
                                 capture_output=True, text=True, timeout=timeout)
            log = (Path(tmp) / "document.log")
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else run.stdout
            if run.returncode != 0:
                first = next((ln for ln in text.splitlines() if ln.startswith("!")), "see its log")
                raise RuntimeError(f"pdflatex failed: {first}")
            if k + 1 >= passes and ("Rerun to get" not in text or passes == 1):
                break
        shutil.copyfile(Path(tmp) / "document.pdf", out)
    return out
