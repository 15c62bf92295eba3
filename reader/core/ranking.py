"""Ranking papers by closeness: the related-papers pane (dense neighbours fused with tf-idf,
or key-term hits without a vector) and "For you" (unread papers near a tag or the bookmarks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reader.core.derived import DerivedData
from reader.core.identity import title_key
from reader.core.model import Paper
from reader.core.store import Store
from reader.core.tags import clean_tag
from reader.core.views import View, where_clause

if TYPE_CHECKING:
    from reader.core.related.explain import Reason

KEY_TERMS = 10  # words of a paper's lexical-candidates query (see key_term_hits)


class Ranking:
    """Related papers and "For you", over the store, the index and the vectors."""

    def __init__(self, store: Store, derived: DerivedData) -> None:
        self.store = store
        self.derived = derived

    def related(
        self,
        paper_id: int,
        limit: int = 10,
        mode: str = "auto",
        bookmarked: bool = False,
        tag: str | None = None,
        since: int | None = None,
    ) -> list[tuple[Paper, float]]:
        """The papers closest to this one, scored 0..1, without itself or same-title copies.

        "auto": the hybrid (``fusion.hybrid_scores``) over the dense neighbours when the paper
        has a vector, else tf-idf over Whoosh's key-term hits; "lexical" and "dense" force one
        half. ``bookmarked``, ``tag`` (with its sub-tags) and ``since`` (a year) keep only the
        papers that match them all.
        """
        paper = self.store.paper(paper_id)
        allowed = self.allowed(bookmarked, tag, since)
        pool = limit + 10
        if mode == "dense":
            query = self.derived.related_papers.vectors.vector(paper_id)
            ranked = (
                []
                if query is None
                else self.derived.related_papers.vectors.knn(query, pool, {paper_id}, allowed)
            )
        else:
            # With a vector, the dense neighbours are the candidates (Whoosh's added nothing
            # measurable and cost ~30 ms); without one, Whoosh's key-term hits are.
            dense = mode != "lexical" and self.derived.related_papers.has_vector(paper_id)
            lexical = [] if dense else [i for i, _ in self.key_term_hits(paper, 50, allowed)]
            ranked = self.derived.related_papers.related_ids(
                paper_id,
                lexical,
                self.derived.related_papers.tfidf(self.derived.index.segment_cache()),
                pool,
                dense=dense,
                allowed=allowed,
            )
        own_title = title_key(paper.title)
        papers = {p.id: p for p in self.store.papers([i for i, _ in ranked])}
        related = [
            (papers[i], score)
            for i, score in ranked
            if i in papers and title_key(papers[i].title) != own_title
        ]
        return related[:limit]

    def related_reasons(self, paper_id: int, related_ids: list[int]) -> dict[int, Reason]:
        """Why each related paper is related (``related.explain``), for the pane to show."""
        if not related_ids:
            return {}
        service = self.derived.related_papers
        return service.reasons(
            paper_id, related_ids, service.tfidf(self.derived.index.segment_cache())
        )

    def for_you(self, tag: str | None = None, limit: int = 50) -> list[tuple[Paper, float]]:
        """Unread papers ranked by closeness (0..1) to a tag's papers, or to the bookmarks.

        Empty when the tag (or the bookmarks) has no embedded paper yet.
        """
        if tag:
            liked = self.allowed(False, tag, None) or set()
        else:
            liked = self.allowed(True, None, None) or set()
        if not liked:
            return []
        unread = {r[0] for r in self.store.query("SELECT id FROM papers WHERE is_read = 0")}
        ranked = self.derived.related_papers.for_you_ids(
            liked,
            self.derived.related_papers.tfidf(self.derived.index.segment_cache()),
            limit,
            unread - liked,
        )
        papers = {p.id: p for p in self.store.papers([i for i, _ in ranked])}
        return [(papers[i], score) for i, score in ranked if i in papers]

    def allowed(self, bookmarked: bool, tag: str | None, since: int | None) -> set[int] | None:
        """The ids the related filters let through (None: no filter)."""
        parts, params = [], []
        if bookmarked:
            parts.append("p.bookmarked = 1")
        if tag:
            where, tag_params = where_clause(View(kind="tag", value=clean_tag(tag)))
            parts.append(where.removeprefix("WHERE "))
            params += tag_params
        if since is not None:
            parts.append("CAST(substr(p.published, 1, 4) AS INTEGER) >= ?")
            params.append(since)
        if not parts:
            return None
        sql = f"SELECT p.id FROM papers p WHERE {' AND '.join(parts)}"
        return {r[0] for r in self.store.query(sql, params)}

    def key_term_hits(
        self, paper: Paper, limit: int, allowed: set[int] | None = None
    ) -> list[tuple[int, float]]:
        """Whoosh's lexical candidates: an OR of the paper's most distinctive words
        (``TfIdf.key_terms``) over titles and abstracts.

        The query costs ~0.2 ms a word, field and segment, so its words are few: 10 words
        against 15 by Whoosh's Bo1 choice took 1M papers' pane query from 504 to 216 ms
        (p95) with the same candidates' quality (P@10 on arxiv 0.559 vs 0.563, tune-cs
        0.450 vs 0.448, tune-astro 0.558 vs 0.566; seeds P@5 0.441 both)."""
        from whoosh.query import Or, Term

        from reader.core.related.lexical import lexical_text

        service = self.derived.related_papers
        tfidf = service.tfidf(self.derived.index.segment_cache())
        keys = tfidf.key_terms(lexical_text(paper.title, paper.abstract), KEY_TERMS)
        if not keys:
            return []
        query = Or(
            [Term("abstract", term, boost=weight) for term, weight in keys]
            + [Term("title", term, boost=weight) for term, weight in keys]
        )
        if allowed is not None:  # fetch deeper, then keep the allowed
            limit = min(limit * 20, 2000)
        hits, _ = self.derived.index.search(query, limit + 1)
        return [
            (i, score) for i, score in hits if i != paper.id and (allowed is None or i in allowed)
        ]
