"""``python -m proofs.cli``: the same as ``icl-finetune``."""
import sys

from proofs.cli import entry

sys.exit(entry())
