"""Where the command line's output goes: :func:`write` (a command's result, standard output),
:func:`note` and :func:`warn` (one line for people, standard error).

What is written is made by the printers (:mod:`proofs.cli.printers`); this module only writes,
and stays cheap to import (the command line loads it at start-up).
"""
from __future__ import annotations

import errno
import sys
from typing import Any

from proofs.cli.printers.common import one_line

__all__ = ["StdoutError", "write", "note", "warn", "one_line", "MAX_NOTE"]


class StdoutError(OSError):
    """Standard output cannot be written (closed, a full disk, ``/dev/full``)."""


def write(text: str) -> None:
    """Write ``text`` to standard output at once (a subcommand's result).

    Raises :class:`StdoutError` (naming standard output and the OS error) when it cannot be
    written; a closed pipe stays ``BrokenPipeError`` (``icl-finetune table | head -1`` is fine).
    """
    stream = sys.stdout
    if stream is None:  # started with standard output closed (`>&-`)
        raise StdoutError(errno.EBADF, "it is closed", "standard output")
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:  # e.g. PYTHONIOENCODING=ascii and a file name in the output
            encoding = getattr(stream, "encoding", None) or "ascii"
            stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as err:
        raise StdoutError(err.errno, err.strerror or str(err), "standard output") from None
    except ValueError as err:  # a closed file object
        raise StdoutError(errno.EBADF, str(err), "standard output") from None


#: the longest line :func:`note` writes (an error message is one line of sensible length)
MAX_NOTE = 300


def note(text: str) -> None:
    """One line for people on standard error (``wrote FILE``); nothing if it is closed. Control
    characters are escaped (:func:`one_line`) and a line longer than :data:`MAX_NOTE` loses its middle."""
    stream = sys.stderr
    if stream is None:
        return
    text = one_line(text)
    if len(text) > MAX_NOTE:  # the middle goes: a message starts with what and ends with what to do
        head, tail = MAX_NOTE // 2, MAX_NOTE // 2 - 45
        space = text.rfind(" ", head // 2, head)  # cut between words where there is a space to cut at
        head = space if space > 0 else head
        space = text.find(" ", len(text) - tail, len(text) - tail // 2)
        tail = len(text) - space - 1 if space > 0 else tail
        text = text[:head] + f" [... {len(text) - head - tail} characters ...] " + text[len(text) - tail:]
    try:
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def warn(result: Any) -> None:
    """A result's one-line warning (an ill-conditioned Sigma), on standard error."""
    text = getattr(result, "warning", None)
    if text:
        note(text)
