r"""Parse back what the toolkit prints, for the round-trip tests (tests/test_printing_roundtrip.py).

* :func:`parse_latex`: a small recursive-descent parser of the LaTeX subset the toolkit writes
  (``\frac``, ``\left( \right)``, powers ``^{...}``, juxtaposition, ``\operatorname{tr}``,
  ``\sqrt``, ``\cos``...).  It reads every name as a *commutative* symbol and the transpose
  ``^{T}`` as a power with the symbol ``T``: the structure (what a power, a fraction, a product
  applies to) is what is compared, so ``\theta_{0}^{T} \Sigma \theta_{0}^{2}`` parses as
  ``theta_0**(T + 2) * Sigma``, not as ``(theta_0**T * Sigma * theta_0)**2``.
* :func:`surrogate`: the same commutative image of a SymPy expression of the toolkit (bilinear
  forms, traces, matrix symbols), computed from its structure, not from its printing.
* :func:`parse_text`: ``sympify`` of the ``str`` form with the expression's own symbols, and
  bilinear forms ``(a.T*W*b)`` read back as :class:`symbolic.Bilinear`.

``parse_latex(latex(e)) == surrogate(e)`` is the LaTeX round trip; ``parse_text(sstr(e)) == e``
the text one.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp

from symbolic import Bilinear

T = sp.Symbol("T")
TR = sp.Function("tr")

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
          "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
          "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
          "varphi", "epsilon", "varepsilon"}
_FUNCS = {"cos": sp.cos, "sin": sp.sin, "arccos": sp.acos, "arcsin": sp.asin, "log": sp.log, "exp": sp.exp}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\[,;:! ]|\d+(?:\.\d+)?|[A-Za-z]|[{}()\[\]^_+\-*/=,']|\S")


class _Parser:
    def __init__(self, text: str):
        self.toks = [t for t in _TOKEN.findall(text) if t not in (r"\,", r"\;", r"\:", r"\!", "\\ ")]
        self.i = 0

    # ------------------------------------------------------------- tokens
    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        t = self.peek()
        if t is None or (want is not None and t != want):
            raise ValueError(f"expected {want!r} at token {self.i} ({t!r}) of {' '.join(self.toks)}")
        self.i += 1
        return t

    def group_text(self) -> str:
        """The raw tokens of a ``{...}`` group (for names), joined."""
        self.take("{")
        depth, out = 1, []
        while True:
            t = self.take()
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(t)

    # ------------------------------------------------------------- grammar
    def parse(self) -> sp.Expr:
        e = self.expr()
        if self.peek() is not None:
            raise ValueError(f"trailing tokens from {self.i}: {self.toks[self.i:]}")
        return e

    def expr(self) -> sp.Expr:
        sign = 1
        if self.peek() in ("-", "+"):
            sign = -1 if self.take() == "-" else 1
        out = sign * self.term()
        while self.peek() in ("+", "-"):
            op = self.take()
            t = self.term()
            out = out + t if op == "+" else out - t
        return out

    def term(self) -> sp.Expr:
        out = self.factor()
        while True:
            t = self.peek()
            if t in (r"\cdot", r"\times", "*"):
                self.take()
                out = out * self.factor()
            elif t is not None and t not in ("+", "-", ")", "}", "]", r"\right", "=", ","):
                out = out * self.factor()
            else:
                return out

    def factor(self) -> sp.Expr:
        base = self.atom()
        while self.peek() == "^":
            self.take()
            base = base ** self.exponent()
        return base

    def exponent(self) -> sp.Expr:
        if self.peek() == "{":
            self.take("{")
            e = self.expr()
            self.take("}")
            return e
        t = self.take()
        return sp.Integer(t) if t.isdigit() else self.name_from(t)

    def name_from(self, head: str) -> sp.Expr:
        base = head[1:] if head.startswith("\\") else head
        if head == "T":
            return T
        if head == "i" and self.peek() != "_":
            return sp.I  # SymPy's imaginary unit
        if head in (r"\mathrm", r"\mathcal", r"\hat", r"\mathbf", r"\operatorname"):
            inner = self.group_text()
            base = inner.lstrip("\\") + ("_hat" if head == r"\hat" else "")
        if self.peek() == "_":
            self.take()
            sub = self.group_text() if self.peek() == "{" else self.take()
            sub = re.sub(r"\\mathrm|\\", "", sub).replace("{", "").replace("}", "").replace(",", "")
            base += "_" + sub
        return sp.Symbol(base)

    def atom(self) -> sp.Expr:
        t = self.take()
        if re.fullmatch(r"\d+", t):
            return sp.Integer(t)
        if t == r"\left":
            opener = self.take()
            e = self.expr()
            self.take(r"\right")
            self.take({"(": ")", "[": "]"}[opener])
            return e
        if t == "(":
            e = self.expr()
            self.take(")")
            return e
        if t == "{":
            e = self.expr()
            self.take("}")
            return e
        if t in (r"\frac", r"\dfrac", r"\tfrac"):
            num = self.braced()
            return num / self.braced()
        if t == r"\sqrt":
            if self.peek() == "[":
                self.take("[")
                k = self.expr()
                self.take("]")
                return self.braced() ** (1 / k)
            return sp.sqrt(self.braced())
        if t == r"\operatorname":
            name = self.group_text()
            if name == "tr":
                return TR(self.argument())
            t = "\\" + {"acos": "arccos", "asin": "arcsin"}.get(name, name)
        if t.startswith("\\") and t[1:] in _FUNCS:
            power = None
            if self.peek() == "^":
                self.take()
                power = self.exponent()
            out = _FUNCS[t[1:]](self.argument())
            return out if power is None else out ** power
        if t == r"\infty":
            return sp.oo
        if t == r"\text":  # words (a label such as \text{early stopping}): one symbol
            return sp.Symbol("text:" + self.group_text())
        if t.startswith("\\") and t[1:] in _GREEK or re.fullmatch(r"[A-Za-z]", t) or t in (
                r"\mathrm", r"\mathcal", r"\hat", r"\mathbf", r"\operatorname"):
            return self.name_from(t)
        raise ValueError(f"unexpected token {t!r} at {self.i - 1} of {' '.join(self.toks)}")

    def braced(self) -> sp.Expr:
        self.take("{")
        e = self.expr()
        self.take("}")
        return e

    def argument(self) -> sp.Expr:
        """A function's argument: ``{\\left(x \\right)}``, ``\\left(x\\right)``, ``(x)`` or ``{x}``."""
        return self.atom()


def parse_latex(text: str) -> sp.Expr:
    """The commutative structure of the toolkit's LaTeX (see the module's docstring)."""
    return _Parser(text).parse()


def _name(atom: sp.Basic) -> sp.Expr:
    """A symbol's commutative image: its own LaTeX, parsed (atom spellings are not under test)."""
    from symbolic.printing import latex
    return parse_latex(latex(atom))


def surrogate(e: Any, names: dict | None = None) -> sp.Expr:
    """The commutative image of a toolkit expression, from its structure (see the module's
    docstring); ``names``: SymPy's ``symbol_names`` used when it was printed."""
    e = sp.sympify(e)
    if names and e in names:
        return parse_latex(names[e])
    if isinstance(e, Bilinear):
        mid = sp.S.One if isinstance(e.middle, sp.Identity) else surrogate(e.middle, names)
        return surrogate(e.left, names) ** T * mid * surrogate(e.right, names)
    if isinstance(e, sp.Trace):
        return TR(surrogate(e.arg, names))
    if isinstance(e, sp.Transpose):
        return surrogate(e.arg, names) ** T
    if isinstance(e, sp.Inverse):
        return surrogate(e.arg, names) ** -1
    if isinstance(e, sp.MatPow):
        return surrogate(e.base, names) ** surrogate(e.exp, names)
    if isinstance(e, sp.MatMul):
        return sp.Mul(*[surrogate(a, names) for a in e.args])
    if isinstance(e, sp.MatAdd):
        return sp.Add(*[surrogate(a, names) for a in e.args])
    if isinstance(e, sp.Identity):
        return sp.Symbol("I")
    if isinstance(e, sp.ZeroMatrix):
        return sp.S.Zero
    if isinstance(e, (sp.Symbol, sp.MatrixSymbol)):
        return _name(e)
    if not e.args:
        return e
    return e.func(*[surrogate(a, names) for a in e.args])


class _Row:
    """``a.T`` of a vector read back: ``a.T*W`` keeps W, ``... * b`` closes the form."""

    def __init__(self, left: sp.Basic, middle: sp.Basic | None = None):
        self.left, self.middle = left, middle

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, _Vec):
            from symbolic import DIM
            return Bilinear(self.left, sp.Identity(DIM) if self.middle is None else self.middle, other.expr)
        return _Row(self.left, other if self.middle is None else self.middle * other)


class _Vec:
    """A vector symbol while parsing ``str`` output: ``.T`` opens a bilinear form."""

    def __init__(self, expr: sp.Basic):
        self.expr = expr

    @property
    def T(self) -> _Row:
        return _Row(self.expr)

    def __add__(self, other: Any) -> "_Vec":
        return _Vec(self.expr + _unwrap(other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> "_Vec":
        return _Vec(self.expr - _unwrap(other))

    def __rsub__(self, other: Any) -> "_Vec":
        return _Vec(_unwrap(other) - self.expr)

    def __neg__(self) -> "_Vec":
        return _Vec(-self.expr)

    def __rmul__(self, other: Any) -> "_Vec":
        return _Vec(_unwrap(other) * self.expr)

    def __mul__(self, other: Any) -> "_Vec":
        return _Vec(self.expr * _unwrap(other))

    def __truediv__(self, other: Any) -> "_Vec":
        return _Vec(self.expr / _unwrap(other))


def _unwrap(x: Any) -> Any:
    return x.expr if isinstance(x, _Vec) else x


def parse_text(text: str, like: Any) -> sp.Expr:
    """``sympify`` of ``str`` output, over the symbols of the expression ``like`` (the toolkit's
    symbols, with their assumptions), bilinear forms read back as forms."""
    like = sp.sympify(like)
    table: dict[str, Any] = {"Trace": sp.Trace}
    for s in like.atoms(sp.Symbol):
        table[s.name] = s
    for s in like.atoms(sp.MatrixSymbol):
        table[s.name] = _Vec(s) if s.shape[1] == 1 else s
    if like.atoms(sp.Identity):
        table["I"] = next(iter(like.atoms(sp.Identity)))
    return _unwrap(sp.sympify(text, locals=table))
