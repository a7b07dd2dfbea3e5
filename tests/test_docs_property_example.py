"""Runs docs/examples/test_property_example.py (the user-facing example of docs/property-tests.md)
and checks that the document shows that file verbatim."""
import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLE = DOCS / "examples" / "test_property_example.py"

_spec = importlib.util.spec_from_file_location("docs_property_example", EXAMPLE)
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)

test_pretrained_like_error = _example.test_pretrained_like_error
test_a_one_percent_bug_is_caught = _example.test_a_one_percent_bug_is_caught


def test_document_shows_the_example_verbatim():
    text = (DOCS / "property-tests.md").read_text()
    start = text.index("```python\n# docs/examples/test_property_example.py\n") + len("```python\n# docs/examples/test_property_example.py\n")
    block = text[start:text.index("```", start)]
    assert block == EXAMPLE.read_text()
