"""Snippets with the query's terms marked, computed only for the hits being shown."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from whoosh import highlight
from whoosh.query import Query
from whoosh.searching import Searcher

from reader.core.search.analysis import fold, text_analyzer

# Markers that cannot occur in text we store (control characters are stripped on import).
START, END = "\x02", "\x03"
_ANALYZER = text_analyzer()


class _MarkerFormatter(highlight.Formatter):
    between = " … "

    def format_token(self, text: str, token: object, replace: bool = False) -> str:
        return START + highlight.get_text(text, token, replace) + END


def query_terms(query: Query, searcher: Searcher, fields: Iterable[str]) -> frozenset[str]:
    """The indexed terms a query matches in ``fields`` (prefixes expanded).

    One call per field: Whoosh 2.7's ``existing_terms`` reuses its ``fieldname`` argument
    as a loop variable, so in one call only the first field's terms would survive.
    """
    reader = searcher.reader()
    terms: set[tuple[str, bytes]] = set()
    for field in fields:
        terms |= query.existing_terms(reader, expand=True, fieldname=field)
    return frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t) for _, t in terms)


def marked_snippet(text: str, terms: frozenset[str], top: int = 2, width: int = 90) -> str:
    """The best fragments of ``text`` with matches wrapped in START/END markers."""
    if not text:
        return ""
    if terms:
        fragmenter = highlight.ContextFragmenter(maxchars=width * 3, surround=width // 2)
        marked = highlight.highlight(
            text, terms, _ANALYZER, fragmenter, _MarkerFormatter(), top=top
        )
        if marked:
            return marked
    return text[: width * 2].rsplit(" ", 1)[0] + ("…" if len(text) > width * 2 else "")


def body_snippet(body: str, terms: frozenset[str], width: int = 90, scan: int = 200) -> str:
    """A snippet of a long text (a PDF's) around its matches, marked as ``marked_snippet``.

    A body can hold 2 MB, too much to analyse for each hit shown: a regular expression of
    the terms' beginnings finds candidate words, each is checked against the terms, and of
    the first ``scan`` matches the window holding the most distinct terms is highlighted."""
    if not body:
        return ""
    found = _matches(body, terms, scan)
    if not found:
        return marked_snippet(body[: width * 3], terms, width=width)
    span = width * 2
    best, best_count = 0, 0
    for i, (start, _) in enumerate(found):
        count = len({term for at, term in found[i:] if at < start + span})
        if count > best_count:
            best, best_count = i, count
    start = found[best][0]
    left = body.rfind(" ", 0, max(0, start - width // 2)) + 1
    right = body.find(" ", start + span)
    window = body[left : right if right >= 0 else len(body)]
    return ("… " if left else "") + marked_snippet(window, terms, top=2, width=width)


def _matches(text: str, terms: frozenset[str], limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` (offset, term) of the words of ``text`` that analyse to one of ``terms``."""
    heads = sorted({t[: max(3, len(t) - 1)] for t in terms if t}, key=len, reverse=True)
    if not heads:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, heads)) + r")\w*", re.IGNORECASE)
    found = []
    for m in pattern.finditer(text):
        term = _ANALYZER.term(m.group())
        if term in terms or fold(m.group()) in terms:
            found.append((m.start(), term))
            if len(found) >= limit:
                break
    return found


def mark_all(text: str, terms: frozenset[str]) -> str:
    """The whole of ``text`` with every match marked (for the detail pane's abstract)."""
    if not text or not terms:
        return text
    return (
        highlight.highlight(
            text, terms, _ANALYZER, highlight.WholeFragmenter(), _MarkerFormatter(), top=1
        )
        or text
    )


def as_plain(marked: str) -> str:
    return marked.replace(START, "").replace(END, "")


def as_html(marked: str) -> str:
    """Escaped HTML: imported text is data, so any markup in it is shown literally."""
    return html.escape(marked).replace(START, "<b>").replace(END, "</b>")


def as_ansi(marked: str) -> str:
    return marked.replace(START, "\x1b[1m").replace(END, "\x1b[0m")
