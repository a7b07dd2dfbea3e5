"""The printer: one class per output format, one method per result type, chosen by the type.

As SymPy's printers (``sympy/printing/printer.py``): :meth:`Printer._print` walks the MRO of
the object's type and calls the first method ``_print_<ClassName>`` the printer defines, so a
subclass of a result type prints as its parent unless the printer says otherwise. Unlike
SymPy's there is no fallback: a type the printer has no method for raises :class:`NoPrinter`
naming the format, the type and the types it does print.

A printer's settings (``unicode``, ``verbose``) are given once, as SymPy's are:
``printer("text", unicode=False).doprint(obj)``; a format that has no use for one ignores it.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Printer", "NoPrinter"]


class NoPrinter(TypeError):
    """A printer was asked to print a type it has no method for."""


class Printer:
    """Base class of the printers. A subclass names its ``format`` and defines
    ``_print_<ClassName>(self, obj, **kw)`` for each type it prints; :meth:`doprint` returns
    the finished output (a string ending in a newline)."""

    #: the ``--format`` value this printer serves
    format: str = ""
    #: whether the command prints the parts of a long run as they come (a log, as text) rather
    #: than one document at the end (JSON): see :mod:`proofs.cli.prove`
    streams: bool = False
    #: the settings every printer accepts, and their defaults (``unicode`` None: as the terminal)
    _default_settings: dict[str, Any] = {"unicode": None, "verbose": False}

    def __init__(self, **settings: Any) -> None:
        unknown = sorted(set(settings) - set(self._default_settings))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown setting(s) {', '.join(unknown)}; "
                            f"expected some of {', '.join(self._default_settings)}")
        self._settings = {**self._default_settings, **settings}

    @property
    def unicode(self) -> bool:
        """Whether pretty maths may use unicode (default: whether standard output takes it)."""
        value = self._settings["unicode"]
        if value is None:
            from proofs.cli.printers.common import use_unicode
            return use_unicode()
        return bool(value)

    @property
    def verbose(self) -> bool:
        return bool(self._settings["verbose"])

    def doprint(self, obj: Any) -> str:
        """The output for ``obj``."""
        return self._print(obj)

    def _print(self, obj: Any, **kw: Any) -> Any:
        """Dispatch on ``type(obj).__mro__`` to ``_print_<ClassName>``; :class:`NoPrinter` if none."""
        method = self._method(type(obj))
        if method is None:
            raise NoPrinter(f"the {self.format} printer has no method for {type(obj).__name__} "
                            f"(it prints {', '.join(self.printed_types())})")
        return getattr(self, method)(obj, **kw)

    @classmethod
    def _method(cls, kind: type) -> str | None:
        for c in kind.__mro__:
            name = "_print_" + c.__name__
            if hasattr(cls, name):
                return name
        return None

    @classmethod
    def handles(cls, kind: type | str) -> bool:
        """Whether this printer prints ``kind`` (a type, or a class name with no subclasses to follow)."""
        if isinstance(kind, str):
            return hasattr(cls, "_print_" + kind)
        return cls._method(kind) is not None

    @classmethod
    def printed_types(cls) -> list[str]:
        """The class names this printer has a method for, sorted."""
        return sorted(name[len("_print_"):] for name in dir(cls) if name.startswith("_print_"))
