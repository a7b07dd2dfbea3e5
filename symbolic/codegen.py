"""Generated evaluators: a float64 evaluation of a derived closed form, written out once as
straight-line Python by running the evaluator itself on placeholders.

The numeric evaluator (:class:`symbolic.evaluation._NumEnv`) walks a closed form's expression
trees (traces, bilinear forms, words of derived matrices, coefficients rational in n) and
calls its arithmetic (:class:`symbolic.arithmetic.Arithmetic`) for every operation. Walking the
trees costs little at large d but needs SymPy and the derivation, which cost about a second
per process. :class:`Tracer` is an arithmetic whose values are placeholders (:class:`Value`):
running the *same* evaluator with it records, in order, every operation the float64
evaluation performs on run-time data, and :meth:`Tracer.source` writes them out as a Python
function of those data. So the generated code is produced from the derivation, never typed
in, and performs the float64 operations of the evaluator in the same order on the same types:
it returns the same numbers bit for bit (tests/test_compiled_curves.py checks it).

What is known when tracing is computed then, as the evaluator computes it: a rational
coefficient becomes the float ``FLOAT64.number`` gives (written with ``repr``, which reads back
exactly), and so does any operation between such constants. What depends on the data (Sigma,
theta_0, sigma, n...) becomes a statement calling the arithmetic ``A`` passed in at run time
(``A.matmul``, ``A.trace_product``, ``A.inv``...) or a Python operator (``+``, ``*``, ``**``).
Anything the evaluator would decide from a run-time value (a comparison, ``int()`` of a
placeholder) raises :class:`NotTraceable`: such a closed form gets no generated evaluator.

Neither this module nor the code it writes imports SymPy at run time; generating needs it.
"""
from __future__ import annotations

from typing import Any, Sequence

from .arithmetic import FLOAT64, Arithmetic

__all__ = ["Tracer", "Value", "NotTraceable"]

#: the kinds of placeholder: a d x d matrix, a d x 1 vector, a scalar, an array of scalars (n)
KINDS = ("matrix", "vector", "scalar", "array")


class NotTraceable(TypeError):
    """The evaluation branches on a run-time value (or uses an operation the tracer does not
    record): no straight-line code reproduces it."""


class _Dim(int):
    """The dimension d while tracing: an int for the evaluator's size tests (a large one, so
    ``columns > 1`` holds for a matrix), written as ``d`` in the code."""

    def __new__(cls) -> "_Dim":
        return super().__new__(cls, 1 << 30)

    def __repr__(self) -> str:
        return "d"


DIM = _Dim()


def _literal(x: Any) -> str:
    """A constant as Python source that reads back as the same value (floats by ``repr``)."""
    if isinstance(x, Value):
        return x.name
    if isinstance(x, _Dim):
        return "d"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise NotTraceable(f"cannot write the constant {x!r} ({type(x).__name__}) into generated code")
    if isinstance(x, float) and x != x or x in (float("inf"), float("-inf")):
        return f"float({str(x)!r})"
    return repr(x)


class Value:
    """A placeholder for a run-time value of ``kind`` (:data:`KINDS`), named in the code."""

    __slots__ = ("tracer", "name", "kind")

    def __init__(self, tracer: "Tracer", name: str, kind: str) -> None:
        self.tracer, self.name, self.kind = tracer, name, kind

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"

    # Python operators, as the evaluator applies them to floats and arrays ----------------
    def _op(self, left: Any, op: str, right: Any) -> "Value":
        kinds = [v.kind for v in (left, right) if isinstance(v, Value)]
        kind = next((k for k in ("matrix", "vector", "array") if k in kinds), "scalar")
        return self.tracer.emit(f"{_literal(left)} {op} {_literal(right)}", kind)

    def __add__(self, other: Any) -> "Value":
        return self._op(self, "+", other)

    def __radd__(self, other: Any) -> "Value":
        return self._op(other, "+", self)

    def __sub__(self, other: Any) -> "Value":
        return self._op(self, "-", other)

    def __rsub__(self, other: Any) -> "Value":
        return self._op(other, "-", self)

    def __mul__(self, other: Any) -> "Value":
        return self._op(self, "*", other)

    def __rmul__(self, other: Any) -> "Value":
        return self._op(other, "*", self)

    def __truediv__(self, other: Any) -> "Value":
        return self._op(self, "/", other)

    def __rtruediv__(self, other: Any) -> "Value":
        return self._op(other, "/", self)

    def __pow__(self, other: Any) -> "Value":
        if isinstance(other, Value):
            raise NotTraceable("a power with a run-time exponent")
        return self._op(self, "**", other)

    def __neg__(self) -> "Value":
        return self.tracer.emit(f"-{self.name}", self.kind)

    # what would make the code depend on the data: refused ------------------------------
    def _refuse(self, *args: Any) -> Any:
        raise NotTraceable(f"the evaluation branches on the run-time value {self.name}")

    __bool__ = __int__ = __float__ = __index__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore
    __eq__ = __ne__ = __abs__ = __getitem__ = __setitem__ = __iter__ = __len__ = _refuse  # type: ignore
    __hash__ = object.__hash__  # type: ignore[assignment]


class Tracer(Arithmetic):
    """An arithmetic that records the float64 evaluation (module docstring). Constants are
    computed with :data:`symbolic.arithmetic.FLOAT64`; operations on :class:`Value` placeholders
    become statements calling ``A``, the run-time arithmetic (FLOAT64)."""

    name = "float"
    exact = False

    def __init__(self, base: Arithmetic = FLOAT64) -> None:
        self.base = base
        self.lines: list[str] = []
        self.inputs: list[str] = []
        self._count = 0
        self._seen: dict[str, Value] = {}

    def label(self) -> str:
        return f"{self.base.label()} (traced)"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    # placeholders and statements ---------------------------------------------------------
    def input(self, name: str, kind: str) -> Value:
        """A placeholder for the run-time argument ``name`` of the generated function."""
        if kind not in KINDS or not name.isidentifier() or name in self.inputs or name in ("A", "d"):
            raise ValueError(f"input: expected a new identifier and a kind in {KINDS}, got {name!r}, {kind!r}")
        self.inputs.append(name)
        return Value(self, name, kind)

    def emit(self, code: str, kind: str) -> Value:
        """A statement ``v<k> = code``; returns the placeholder of its value. A statement already
        written (the same operation on the same operands, e.g. a product the evaluator reaches
        by two expression trees) is not written again: every statement is a pure function of
        values assigned once, so its earlier value is the same number, bit for bit."""
        if code in self._seen:
            return self._seen[code]
        self._count += 1
        name = f"v{self._count}"
        self.lines.append(f"{name} = {code}")
        self._seen[code] = Value(self, name, kind)
        return self._seen[code]

    def _call(self, method: str, kind: str, *args: Any) -> Value:
        return self.emit(f"A.{method}({', '.join(_literal(a) for a in args)})", kind)

    @staticmethod
    def _traced(*args: Any) -> bool:
        return any(isinstance(a, (Value, _Dim)) for a in args)

    def source(self, function: str, returns: Sequence[Any], doc: str = "") -> str:
        """The recorded statements as ``def function(A, <inputs>)`` returning ``returns``;
        ``d`` is read off the first matrix input."""
        args = ", ".join(["A", *self.inputs])
        body = []
        if doc:
            body.append('"""' + doc.replace('"""', "'''") + '"""')
        uses_d = any("d" in _words(line) for line in self.lines) or any(r is DIM for r in returns)
        if uses_d:
            if "Sigma" not in self.inputs:
                raise NotTraceable("the dimension d is used but no matrix input Sigma gives it")
            body.append("d = A.shape(Sigma)[0]")
        body += self.lines
        body.append("return " + ", ".join(_literal(r) for r in returns))
        return f"def {function}({args}):\n" + "".join(f"    {line}\n" for line in body)

    # the Arithmetic interface, as the numeric evaluator calls it ---------------------------
    def number(self, x: Any) -> Any:
        if isinstance(x, Value):
            # the evaluator passes arrays (n) through and converts everything else (np.float64 -> float)
            return x if x.kind == "array" else self._call("number", x.kind, x)
        if isinstance(x, _Dim):
            return self._call("number", "scalar", x)
        return self.base.number(x)

    def matrix(self, M: Any) -> Any:
        if isinstance(M, Value):
            return M
        raise NotTraceable("an explicit matrix inside the closed form")

    def eye(self, d: int) -> Any:
        return self._call("eye", "matrix", d) if self._traced(d) else self.base.eye(d)

    def zeros(self, r: int, c: int) -> Any:
        return self._call("zeros", "matrix", r, c) if self._traced(r, c) else self.base.zeros(r, c)

    def _matrix_op(self, method: str, *args: Any) -> Any:
        """A matrix operation: computed now on constants, recorded on placeholders (its value a
        vector where an operand is one, a matrix otherwise)."""
        if not self._traced(*args):
            return getattr(self.base, method)(*args)
        kind = "vector" if any(isinstance(a, Value) and a.kind == "vector" for a in args) else "matrix"
        return self._call(method, kind, *args)

    def matmul(self, A: Any, B: Any) -> Any:
        return self._matrix_op("matmul", A, B)

    def inv(self, A: Any) -> Any:
        return self._matrix_op("inv", A)

    def solve(self, A: Any, b: Any) -> Any:
        return self._matrix_op("solve", A, b)

    def transpose(self, A: Any) -> Any:
        if isinstance(A, Value):
            return self._call("transpose", A.kind, A)
        return self.base.transpose(A)

    def trace(self, A: Any) -> Any:
        return self._call("trace", "scalar", A) if self._traced(A) else self.base.trace(A)

    def trace_product(self, A: Any, B: Any) -> Any:
        return self._call("trace_product", "scalar", A, B) if self._traced(A, B) else self.base.trace_product(A, B)

    def entry(self, A: Any) -> Any:
        return self._call("entry", "scalar", A) if self._traced(A) else self.base.entry(A)

    def shape(self, A: Any) -> tuple[int, int]:
        if isinstance(A, Value):
            if A.kind == "matrix":
                return DIM, DIM
            if A.kind == "vector":
                return DIM, 1
            raise NotTraceable(f"the shape of the {A.kind} {A.name}")
        return self.base.shape(A)

    def is_matrix(self, x: Any) -> bool:
        if isinstance(x, Value):
            return x.kind in ("matrix", "vector")
        return self.base.is_matrix(x)

    def power(self, x: Any, e: Any) -> Any:
        # Arithmetic.power itself, on a placeholder: x ** int(e), self.sqrt(x), 1 / self.sqrt(x)...
        return Arithmetic.power(self, x, e) if isinstance(x, Value) else self.base.power(x, e)

    def sqrt(self, x: Any) -> Any:
        return self._call("sqrt", "scalar" if not isinstance(x, Value) else x.kind, x) if self._traced(x) \
            else self.base.sqrt(x)

    def batch(self, values: Any) -> Any:
        return None

    def condition_limit(self) -> float:
        return self.base.condition_limit()


def _words(line: str) -> set[str]:
    import re
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", line))
