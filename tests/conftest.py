"""Test-session setup: generated float curve evaluators (:mod:`proofs.quantities.compiled_curves`)
are cached in a temporary folder of the session, never in the user's ``~/.cache``."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("ICL_FINETUNE_CACHE", tempfile.mkdtemp(prefix="icl-finetune-test-cache-"))
