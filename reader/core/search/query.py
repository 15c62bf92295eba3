"""The researcher's query language, translated to Whoosh queries; never a traceback.

Syntax: words (all must match), "quoted phrases", ``author:``, ``tag:``, ``cat:``,
``title:``, ``abstract:``, ``body:`` / ``fulltext:`` (a PDF's text), ``arxiv:``,
``year:2023``, ``year:2020..2023``, ``is:bookmarked``, ``is:unread`` / ``is:read``,
OR / NOT / parentheses, ``prefix*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import qparser
from whoosh.fields import Schema
from whoosh.matching import Matcher, NullMatcher
from whoosh.query import And, Not, NullQuery, Or, Prefix, Query, Term
from whoosh.searching import Searcher

from reader.core.identity import normalise_arxiv_id
from reader.core.search import whoosh_compat as compat
from reader.core.search.analysis import STOP_WORDS, WORD
from reader.core.views import View

# Bare words search the text fields (all have positions, so phrases work in each);
# tags, categories and arXiv ids are matched through their own syntax.
SEARCH_FIELDS = ["title", "abstract", "authors", "notes", "body"]
# A PDF's text is long and says everything somewhere: it counts for little, and a paper that
# matches only with its help ranks after every paper that matches without it (LESSER_FIELDS).
FIELD_BOOSTS = {"title": 3.0, "authors": 1.5, "body": 0.2}
LESSER_FIELDS = frozenset({"body"})
ALIASES = {
    "body": ["fulltext"],
    "authors": ["author", "au", "by"],
    "tags": ["tag"],
    "cat": ["category", "categories"],
    "title": ["ti"],
    "abstract": ["abs"],
}
_YEAR_RANGE = re.compile(r"\byear:(\d{4})?\.\.(\d{4})?")
_LOOKS_LIKE_ID = re.compile(
    r"(?:arxiv:)?(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE
)
_TAG = re.compile(r"\b(tags?):([^\s\"()*/]+)(?=[\s)]|$)")
_QUOTED_OR_WORD = re.compile(r'"[^"]*"?|\S+')
_FIELD_SYNTAX = re.compile(r'\w+:|["()*?]|\b(?:AND|OR|NOT)\b')


# A query longer than this is a paste (an abstract, a page), not a search: it is cut, and the
# results say so. Parsing, typo correction and matching all grow with the terms (a pasted
# 10,000-word query took minutes); 64 words and 2,000 characters take tens of milliseconds.
MAX_QUERY_WORDS = 64
MAX_QUERY_CHARS = 2_000


def shortened(text: str) -> tuple[str, str]:
    """``text`` cut to ``MAX_QUERY_WORDS`` words and ``MAX_QUERY_CHARS`` characters, and a
    note saying what was cut ("" when nothing was)."""
    words = text.split()
    if len(words) <= MAX_QUERY_WORDS and len(text) <= MAX_QUERY_CHARS:
        return text, ""
    kept = " ".join(words[:MAX_QUERY_WORDS])
    if len(kept) > MAX_QUERY_CHARS:  # cut at the last whole word (or inside a lone long one)
        kept = kept[: MAX_QUERY_CHARS + 1].rsplit(" ", 1)[0][:MAX_QUERY_CHARS]
    kept_words = len(kept.split())
    if kept_words < len(words):
        note = f"searched the first {kept_words:,} of its {len(words):,} words"
    else:  # a few very long words
        note = f"searched the first {len(kept):,} of its {len(text):,} characters"
    return kept, note


@dataclass
class ParsedQuery:
    text: str  # what the user typed
    query: Query
    degraded: bool = False  # the syntax was malformed; searched as plain words

    @property
    def is_empty(self) -> bool:
        return self.query is NullQuery  # whoosh's NullQuery is a singleton instance


class QueryParser:
    def __init__(self, schema: Schema) -> None:
        parser = qparser.MultifieldParser(
            SEARCH_FIELDS, schema, fieldboosts=FIELD_BOOSTS, group=qparser.AndGroup
        )
        parser.add_plugin(qparser.FieldAliasPlugin(ALIASES))
        self._parser = parser

    def parse(self, text: str) -> ParsedQuery:
        arxiv_id = normalise_arxiv_id(text) if _LOOKS_LIKE_ID.fullmatch(text.strip()) else None
        if arxiv_id:
            return ParsedQuery(text, Term("arxiv", arxiv_id))
        try:
            query = self._parser.parse(prepare(text)).accept(_fast_expansions)
            _check(query)
            if query is NullQuery and plain_words(text):
                raise ValueError("nothing searchable was understood")
            return ParsedQuery(text, query)
        except Exception:  # whoosh raises many kinds on malformed input; degrade instead
            return ParsedQuery(text, self._parser.parse(plain_words(text)), degraded=True)


class _ArrayOr(Or):
    """An OR that preloads its sub-matchers' documents and scores into arrays: far faster
    for the hundreds of terms a prefix expands to (design.md: ``quant*`` 383 -> 55 ms)."""

    matcher_type = Or.ARRAY_MATCHER


class _FastPrefix(Prefix):
    def matcher(self, searcher: Searcher, context: object = None) -> Matcher:
        words = compat.prefix_terms(self, searcher.reader())
        terms = [Term(self.fieldname, t) for t in words if t]
        if not terms:
            return NullMatcher()
        if len(terms) == 1:
            return terms[0].matcher(searcher, context)
        return _ArrayOr(terms, boost=self.boost).matcher(searcher, context)


def _fast_expansions(query: Query) -> Query:
    if type(query) is Prefix:
        return _FastPrefix(query.fieldname, query.text, boost=query.boost)
    return query


def _check(query: Query) -> None:
    """Refuse trees that parsed but would misbehave."""
    from whoosh.qparser.common import QueryParserError
    from whoosh.query import Every

    stack = [query]
    while stack:
        sub = stack.pop()
        if isinstance(sub, Every):  # a bare "*" would scan the whole library
            raise QueryParserError("match-all")
        stack.extend(sub.children())


def without_fields(query: Query, fields: frozenset[str]) -> Query:
    """What ``query`` matches if ``fields`` held nothing (NullQuery: nothing at all). A NOT
    is kept whole: an excluded word excludes wherever it is."""
    if isinstance(query, Not):
        return query
    children = list(query.children())
    if not children:
        return NullQuery if getattr(query, "fieldname", None) in fields else query
    kept = [without_fields(c, fields) for c in children]
    if isinstance(query, Or):
        if all(k is NullQuery for k in kept):
            return NullQuery
    elif any(k is NullQuery for k in kept) and isinstance(query, And):
        return NullQuery
    replaced = iter(kept)
    return query.apply(lambda _child: next(replaced))


def prepare(text: str) -> str:
    """Year ranges to Whoosh syntax; stop words dropped outside quotes."""
    text = _YEAR_RANGE.sub(_year_range, text)
    # A tag matches the tags below it too ("tag:nlp" finds "nlp/peft"), as in the sidebar.
    text = _TAG.sub(lambda m: f"({m.group(1)}:{m.group(2)} OR {m.group(1)}:{m.group(2)}/*)", text)
    kept = [
        part
        for part in _QUOTED_OR_WORD.findall(text)
        if part.startswith('"') or part not in STOP_WORDS
    ]
    return " ".join(kept)


def _year_range(m: re.Match[str]) -> str:
    """'year:2020..2023' -> 'year:[2020 TO 2023]', 'year:2020..' -> 'year:[2020 TO]'
    (Whoosh parses '[2020 TO ]', with a blank before the bracket, as nothing)."""
    low, high = m.group(1) or "", m.group(2) or ""
    return f"year:[{f'{low} TO {high}'.strip()}]"


def plain_words(text: str) -> str:
    """The words of a query with all syntax removed."""
    return " ".join(w for w in WORD.findall(text) if w.lower() not in STOP_WORDS)


def is_simple(text: str) -> bool:
    """Plain words only (no fields, quotes, operators or wildcards): a candidate for typo
    rescue, and (later) for meaning-based search."""
    return not _FIELD_SYNTAX.search(text)


def view_filter(view: View) -> Query | None:
    """A Whoosh filter for the sidebar views the index knows about (None: no filter)."""
    if view.kind == "unread":
        return Term("is", "unread")
    if view.kind == "bookmarked":
        return Term("is", "bookmarked")
    if view.kind == "tag":
        name = view.value.lower()
        return Or([Term("tags", name), Prefix("tags", name + "/")])
    return None
