"""Text clean-up shared by importers: unfolding hard wraps, whitespace, control chars.

Whitespace is collapsed a slice at a time: ``" ".join(text.split())`` on a 20 MB field
held a string object per word, 250 MB at once; here the words of one 64k slice are.
"""

from __future__ import annotations

import io
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SPACE = re.compile(r"\s")
_SLICE = 1 << 16  # characters collapsed at a time (cut at the next whitespace)


def unfold(text: str | None) -> str:
    """Join hard-wrapped lines into one line, keeping blank-line paragraph breaks.

    Markup is kept as literal text; only whitespace and control characters change.
    """
    if not text:
        return ""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    out = io.StringIO()
    start = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        _collapse_into(out, text, start, match.start(), "\n\n")
        start = match.end()
    _collapse_into(out, text, start, len(text), "\n\n")
    return out.getvalue()


def one_line(text: str | None) -> str:
    """Collapse all whitespace (titles, author names) to single spaces."""
    if not text:
        return ""
    out = io.StringIO()
    text = _CONTROL.sub("", text)
    _collapse_into(out, text, 0, len(text), " ")
    return out.getvalue()


def _collapse_into(out: io.StringIO, text: str, start: int, end: int, before: str) -> None:
    """Write the words of ``text[start:end]`` to ``out``, one space apart; ``before`` goes
    ahead of them when ``out`` already holds words."""
    first = True
    while start < end:
        stop = start + _SLICE
        if stop < end:  # cut at whitespace, so that no word is split
            match = _SPACE.search(text, stop, end)
            stop = match.start() if match else end
        else:
            stop = end
        words = text[start:stop].split()
        if words:
            if out.tell():
                out.write(before if first else " ")
            out.write(" ".join(words))
            first = False
        start = stop
