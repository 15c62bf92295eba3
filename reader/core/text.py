"""Text clean-up shared by importers: unfolding hard wraps, whitespace, control chars."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def unfold(text: str | None) -> str:
    """Join hard-wrapped lines into one line, keeping blank-line paragraph breaks.

    Markup is kept as literal text; only whitespace and control characters change.
    """
    if not text:
        return ""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    lines = (" ".join(p.split()) for p in paragraphs)
    return "\n\n".join(line for line in lines if line)


def one_line(text: str | None) -> str:
    """Collapse all whitespace (titles, author names) to single spaces."""
    if not text:
        return ""
    return " ".join(_CONTROL.sub("", text).split())
