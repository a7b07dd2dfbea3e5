"""``icl-finetune latex``: a standalone LaTeX document of every result."""
from __future__ import annotations

import argparse
from typing import Any

from proofs.cli import options as O


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``latex`` and its options to ``subparsers``."""
    sub = O.add_subcommand(
        subparsers, "latex", help="a standalone LaTeX document of every result",
        description="A standalone LaTeX document with every result's statement, the parameters,\n"
                    "the free parameters and conventions, and the summary table (amsmath only).",
        example="  icl-finetune latex --out results.tex\n  icl-finetune latex --pdf --out results.pdf", run=run)
    sub.add_argument("--out", metavar="FILE", default=None, type=O.argtype(O.parse_file_name, "--out"),
                     help="output file (default: stdout)")
    sub.add_argument("--pdf", action="store_true",
                     help="compile with pdflatex (twice, in a temporary folder, so that every reference "
                          "resolves) and write the finished PDF to --out FILE.pdf; exit 3 without pdflatex")
    return sub


def run(args: argparse.Namespace) -> int:
    """Write the document to ``--out`` or standard output."""
    from proofs import api
    from proofs.cli import files
    from proofs.cli import output as F
    if args.pdf:
        if args.out is None:
            raise O.UsageError("--pdf: needs --out FILE.pdf, the PDF to write")
        out = files.check_output_path(args.out, "--out", (".pdf",))
        import shutil
        if shutil.which("pdflatex") is None:
            raise O.Unavailable("--pdf: needs pdflatex, which is not installed (Debian: apt-get install "
                                "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended)")
        from proofs.paper.latex_pdf import compile_pdf
        try:
            compile_pdf(api.latex_document(), out)
        except RuntimeError as exc:
            raise O.Unavailable(f"--pdf: {exc}") from None
        F.note(f"wrote {out}")
        return O.EXIT_OK
    out = files.check_output_path(args.out) if args.out is not None else None
    document = api.latex_document()
    if out is None:
        F.write(document)
    else:
        files.write_text(out, document, "--out")
        F.note(f"wrote {out}")
    return O.EXIT_OK
