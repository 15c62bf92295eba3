"""Snippets with the query's terms marked, computed only for the hits being shown."""

from __future__ import annotations

import html
from collections.abc import Iterable

from whoosh import highlight
from whoosh.query import Query
from whoosh.searching import Searcher

from reader.core.search.analysis import text_analyzer

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
