"""Searching a library: keyword search on the index (typo rescue, snippets, PDF text), simple
matches from SQLite while the index rebuilds, meaning and hybrid search over the vectors, and
the default mode's blend of them (``search.blend``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from reader.core.derived import DerivedData
from reader.core.reports import SearchHit, SearchResults
from reader.core.store import Store
from reader.core.views import View

if TYPE_CHECKING:
    from reader.core.search.query import ParsedQuery
    from reader.core.search.typos import Vocabulary

RESCUE_BELOW = 3  # a plain-word query with fewer hits than this gets typo correction
COMPLETE_FROM = 4  # letters a last word needs to be completed as a prefix (fewer expand widely)
FALLBACK_NOTE = "index rebuilding — showing simple matches"
FALLBACK_SCAN_ABSTRACTS = 50_000  # up to this many papers, simple matches look in abstracts
_SYNTAX_WORDS = {"and", "or", "not"}


class LibrarySearch:
    """The library's searches, over its store and its derived data."""

    def __init__(self, store: Store, derived: DerivedData) -> None:
        self.store = store
        self.derived = derived
        self._vocabulary: Vocabulary | None = None  # typo rescue's, made at its first use

    def parse_query(self, text: str) -> ParsedQuery:
        return self.derived.parser.parse(text)

    def search(
        self,
        text: str,
        limit: int = 20,
        snippets: bool = True,
        within: View | None = None,
        mode: str = "keyword",
    ) -> SearchResults:
        """Ranked full-text search; ``within`` restricts it to a bookmark/unread/tag view.

        ``mode``: "keyword" (Whoosh), "meaning" (the query's embedding against the vectors),
        "hybrid" (reciprocal rank fusion of both rankings) or "auto" (keyword, joined by
        meaning search for a sentence or when few papers match: ``search.blend``). A pasted
        page of text is cut to its first words (``results.shortened`` says so).
        """
        from reader.core.search.query import shortened

        text, note = shortened(text)
        results = self._search(text, limit, snippets, within, mode)
        results.shortened = note
        return results

    def _search(
        self, text: str, limit: int, snippets: bool, within: View | None, mode: str
    ) -> SearchResults:
        if mode == "auto":
            return self._search_auto(text, limit, snippets, within)
        if mode != "keyword":
            return self._search_meaning(text, limit, snippets, within, mode)
        if self.derived.index_status() != "ready":
            return self._simple_search(text, limit, snippets, within)
        try:
            return self._keyword_search(text, limit, snippets, within)
        except Exception as e:  # unreadable index files: answer from SQLite, flag a rebuild
            self.derived.index_error = f"{type(e).__name__}: {e}"
            return self._simple_search(text, limit, snippets, within)

    def _keyword_search(
        self, text: str, limit: int, snippets: bool, within: View | None
    ) -> SearchResults:
        from reader.core.search import highlight
        from reader.core.search.query import is_simple, view_filter

        parsed = self.parse_query(text)
        if parsed.is_empty:
            return SearchResults(text, [], 0, degraded=parsed.degraded)
        restrict = view_filter(within) if within else None
        hits, total = self.derived.index.search_hits(parsed.query, limit, restrict)
        corrected = None
        if len(hits) < RESCUE_BELOW and is_simple(text):
            # a word being typed first ("transfo": transformer...), then a typo ("transfomer")
            for rescuer in (self._completed, self._rescue_typos):
                rescue = rescuer(text)
                if rescue is None:
                    continue
                rescued_hits, rescued_total = self.derived.index.search_hits(
                    rescue.query, limit, restrict
                )
                if len(rescued_hits) > len(hits):
                    parsed, hits, total = rescue, rescued_hits, rescued_total
                    corrected = rescue.text
                    break
        papers = {p.id: p for p in self.store.papers([h.paper_id for h in hits])}
        searcher = self.derived.index.searcher()
        terms = highlight.query_terms(parsed.query, searcher, ("title", "abstract"))
        in_body = [h.paper_id for h in hits if h.lesser_only]
        bodies = self.store.fulltext(in_body) if snippets and in_body else {}
        body_terms = (
            highlight.query_terms(parsed.query, searcher, ("body",)) if in_body else frozenset()
        )
        results = []
        for hit in hits:
            paper = papers.get(hit.paper_id)
            if paper is None:  # indexed but gone from the store: drift that check repairs
                continue
            snippet = ""
            if hit.paper_id in bodies:
                snippet = highlight.body_snippet(bodies[hit.paper_id], body_terms)
            elif snippets:
                snippet = highlight.marked_snippet(paper.abstract, terms)
            results.append(SearchHit(paper, hit.score, snippet, hit.lesser_only))
        return SearchResults(
            text, results, total, corrected, parsed.degraded, terms, body_terms=body_terms
        )

    def _simple_search(
        self, text: str, limit: int, snippets: bool, within: View | None
    ) -> SearchResults:
        """While the index is rebuilding: papers whose title (or, in libraries small enough
        to scan, abstract) contains every word of the query, newest first."""
        from reader.core.search import highlight
        from reader.core.views import where_clause

        words = simple_words(text)
        if not words:
            return SearchResults(text, [], 0, fallback=True)
        where, params = where_clause(within or View())
        columns = ["p.title"]
        if self.store.count() <= FALLBACK_SCAN_ABSTRACTS:
            columns.append("p.title || ' ' || p.abstract")
        found: list[int] = []
        for column in columns:
            likes = " AND ".join(f"{column} LIKE ? ESCAPE '\\'" for _ in words)
            rows = self.store.query(
                f"SELECT p.id FROM papers p {where or 'WHERE 1'} AND {likes}"
                " ORDER BY coalesce(p.published, '') DESC, p.id DESC LIMIT ?",
                [*params, *(f"%{like_escape(w)}%" for w in words), limit],
            )
            found += [r[0] for r in rows if r[0] not in found]
            if len(found) >= limit:
                break
        terms = frozenset(w.lower() for w in words)
        hits = [
            SearchHit(p, 0.0, highlight.marked_snippet(p.abstract, terms) if snippets else "")
            for p in self.store.papers(found[:limit])
        ]
        return SearchResults(text, hits, len(hits), terms=terms, fallback=True)

    def _search_auto(
        self, text: str, limit: int, snippets: bool, within: View | None
    ) -> SearchResults:
        """Keyword search, joined by any-word and meaning search where it helps (a sentence,
        few hits: ``search.blend``); without vectors yet, by any-word search alone."""
        from reader.core.search import blend

        sentence = blend.as_sentence(text)
        keyword = self._search(blend.keyword_text(text), limit, snippets, within, "keyword")
        if sentence is None or keyword.fallback or not blend.wants_meaning(sentence, keyword.total):
            return keyword
        pool = blend.MEANING_POOL  # the keyword hits, then at most this many more
        words, word_terms = self._any_word(sentence, pool, within)
        meaning = [i for i, _ in self._meaning(sentence, pool, within)]
        exact = [h.paper.id for h in keyword.hits]
        ranked = blend.blend(exact, words, meaning, min(limit, len(exact) + pool))
        found = {h.paper.id: h for h in keyword.hits}
        terms = keyword.terms | word_terms
        fresh = [(i, s, source == blend.MEANING) for i, s, source in ranked if i not in found]
        made = {h.paper.id: h for h in self._hits(fresh, terms, snippets)}
        hits = [
            replace(found[i], score=score) if i in found else made[i]
            for i, score, _ in ranked
            if i in found or i in made
        ]
        return SearchResults(
            text,
            hits,
            max(keyword.total, len(hits)),
            keyword.corrected,
            keyword.degraded,
            terms,
            body_terms=keyword.body_terms,
            joined=True,
            no_vectors=not meaning and not self.derived.vector_count(),
        )

    def _any_word(
        self, text: str, limit: int, within: View | None
    ) -> tuple[list[int], frozenset[str]]:
        """Papers sharing any of the words (``blend.any_word_query``), and the words."""
        from reader.core.search import highlight
        from reader.core.search.blend import WORD_FIELDS, any_word_query
        from reader.core.search.query import view_filter

        if self.derived.index_status() != "ready":
            return [], frozenset()
        query = any_word_query(text)
        hits, _ = self.derived.index.search_hits(
            query, limit, view_filter(within) if within else None
        )
        terms = highlight.query_terms(query, self.derived.index.searcher(), WORD_FIELDS)
        return [h.paper_id for h in hits], terms

    def _meaning(self, text: str, limit: int, within: View | None) -> list[tuple[int, float]]:
        """Meaning search's ranking (empty without vectors), kept to ``within``."""
        dense = self.derived.related_papers.meaning(text, limit) if text.strip() else []
        if within is not None and dense:
            allowed = self._ids_in_view([i for i, _ in dense], within)
            dense = [(i, s) for i, s in dense if i in allowed]
        return dense

    def _hits(
        self, ranked: list[tuple[int, float, bool]], terms: frozenset[str], snippets: bool
    ) -> list[SearchHit]:
        """Search hits of (paper id, score, found by meaning) rows, for papers that exist."""
        from reader.core.search import highlight

        papers = {p.id: p for p in self.store.papers([i for i, _, _ in ranked])}
        return [
            SearchHit(
                papers[i],
                score,
                highlight.marked_snippet(papers[i].abstract, terms) if snippets else "",
                by_meaning=by_meaning,
            )
            for i, score, by_meaning in ranked
            if i in papers
        ]

    def _search_meaning(
        self, text: str, limit: int, snippets: bool, within: View | None, mode: str
    ) -> SearchResults:
        """Meaning or hybrid search; without vectors yet, papers sharing the query's words
        stand in for meaning's ranking (``results.no_vectors`` says so)."""
        from reader.core.related.service import reciprocal_rank_fusion

        if mode not in ("meaning", "hybrid"):
            raise ValueError(
                f"unknown search mode {mode!r}; choose auto, keyword, meaning or hybrid"
            )
        pool = max(limit, 50)
        no_vectors = not self.derived.vector_count()
        terms: frozenset[str] = frozenset()
        if no_vectors:
            words, terms = self._any_word(text, pool, within)
            scored = reciprocal_rank_fusion(words)
        else:
            scored = [(i, max(s, 0.0)) for i, s in self._meaning(text, pool, within)]
        dense = [i for i, _ in scored]
        keyword = SearchResults(text, [], 0)
        if mode == "hybrid":
            keyword = self.search(text, limit=pool, snippets=False, within=within)
            scored = reciprocal_rank_fusion([h.paper.id for h in keyword.hits], dense)
        terms |= keyword.terms
        hits = self._hits([(i, s, False) for i, s in scored[:limit]], terms, snippets)
        total = len({h.paper.id for h in keyword.hits} | set(dense))
        return SearchResults(
            text, hits, total, keyword.corrected, keyword.degraded, terms, no_vectors=no_vectors
        )

    def _ids_in_view(self, ids: list[int], view: View) -> set[int]:
        from whoosh.query import Or, Term

        from reader.core.search.query import view_filter

        query = Or([Term("id", str(i)) for i in ids])
        hits, _ = self.derived.index.search(query, len(ids), view_filter(view))
        return {i for i, _ in hits}

    def _completed(self, text: str) -> ParsedQuery | None:
        """The query with its last word as a prefix ("graph neural netw" -> "... netw*"):
        the search box searches whenever typing pauses, often in the middle of a word,
        which typo rescue used to "correct" to the nearest short word ("transfo" -> "tran")."""
        from reader.core.search.analysis import WORD

        words = text.split()
        if not words or not WORD.fullmatch(words[-1]) or len(words[-1]) < COMPLETE_FROM:
            return None
        return self.parse_query(" ".join([*words[:-1], f"{words[-1]}*"]))

    def _rescue_typos(self, text: str) -> ParsedQuery | None:
        """Replace words the index has never seen with the closest frequent indexed word."""
        from reader.core.search.typos import Vocabulary, correct_words

        self._vocabulary = self._vocabulary or Vocabulary()
        corrected = correct_words(
            text, self.derived.index.searcher(), self._title_and_abstract, self._vocabulary
        )
        return self.parse_query(corrected) if corrected and corrected != text else None

    def _title_and_abstract(self, paper_id: int) -> str:
        rows = self.store.query(
            "SELECT title || ' ' || abstract FROM papers WHERE id = ?", (paper_id,)
        )
        return rows[0][0] if rows else ""


def simple_words(text: str) -> list[str]:
    """The plain words of a query for the fallback search (field names and operators dropped)."""
    import re

    text = re.sub(r"\b\w+:", " ", text)  # author:smith -> smith
    words = [w for w in re.findall(r"\w+", text) if len(w) > 1]
    return [w for w in words if w.lower() not in _SYNTAX_WORDS][:8]


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
