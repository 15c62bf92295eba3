"""Ranking papers by closeness: the related-papers pane (dense neighbours fused with tf-idf,
or key-term hits without a vector) and "For you" (unread papers near a tag or the bookmarks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reader.core.derived import DerivedData
from reader.core.identity import title_key
from reader.core.model import Paper
from reader.core.search.keyterms import READ_PER_WORD
from reader.core.store import Store
from reader.core.tags import clean_tag
from reader.core.views import View, where_clause

if TYPE_CHECKING:
    from reader.core.related.explain import Reason

KEY_TERMS = 100  # words of a paper's lexical query (see key_term_neighbours)
# The share of the papers with vectors from which "auto" fuses the dense half in, and from
# which the hybrid alone ranks (the dense half sees only embedded papers): of the hybrid's
# top 10 with every paper embedded, the key-term tables show 0.42, the fused 0.34 at 10 %
# coverage, 0.45 at 30 % (hybrid 0.30), the hybrid 0.58 at 60 % (fused 0.56), on arXiv;
# tune-cs alike (``bench_related.py --sets partial``, 400 queries each).
FUSED_FROM = 0.25
HYBRID_FROM = 0.6


def coverage_band(vectors: int, papers: int) -> str:
    """How "auto" ranks an embedded paper's related papers when ``vectors`` of the
    library's ``papers`` have vectors ("lexical", "fused" or "hybrid")."""
    coverage = vectors / max(papers, 1)
    if coverage < FUSED_FROM:
        return "lexical"
    return "fused" if coverage < HYBRID_FROM else "hybrid"


class Ranking:
    """Related papers and "For you", over the store, the index and the vectors."""

    def __init__(self, store: Store, derived: DerivedData) -> None:
        self.store = store
        self.derived = derived
        self._counted: tuple[int, int] | None = None  # (store rev, papers) of the last count

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

        "auto": ``method`` says how; "hybrid" (``fusion.hybrid_scores`` over the dense
        neighbours), "lexical" (tf-idf over the index's key-term tables) and "dense" force
        one. ``bookmarked``, ``tag`` (with its sub-tags) and ``since`` (a year) keep only the
        papers that match them all.
        """
        paper = self.store.paper(paper_id)
        allowed = self.allowed(bookmarked, tag, since)
        pool = limit + 10
        how = self.method(paper_id) if mode == "auto" else mode
        related = self.derived.related_papers
        if how == "dense":
            query = related.vectors.vector(paper_id)
            ranked = [] if query is None else related.vectors.knn(query, pool, {paper_id}, allowed)
        elif how in ("hybrid", "fused") and related.has_vector(paper_id):
            # the dense neighbours are the candidates: Whoosh's added nothing measurable
            tfidf = related.tfidf(self.derived.index.segment_cache())
            ranked = related.related_ids(paper_id, tfidf, pool, allowed)
            if how == "fused":
                from reader.core.related.service import partly_embedded

                ranked = partly_embedded(
                    ranked, self.key_term_neighbours(paper, pool, allowed), pool
                )
        else:
            ranked = self.key_term_neighbours(paper, pool, allowed)
        own_title = title_key(paper.title)
        papers = {p.id: p for p in self.store.papers([i for i, _ in ranked])}
        related = [
            (papers[i], score)
            for i, score in ranked
            if i in papers and title_key(papers[i].title) != own_title
        ]
        return related[:limit]

    def method(self, paper_id: int) -> str:
        """How "auto" ranks a paper's related papers: "lexical" while it has no vector or
        fewer than ``FUSED_FROM`` of the papers have one, "fused" (the hybrid's and the
        key-term tables' rankings, ``service.partly_embedded``) until ``HYBRID_FROM``,
        then "hybrid"."""
        if not self.derived.related_papers.has_vector(paper_id):
            return "lexical"
        return coverage_band(self.derived.vector_count(), self._paper_count())

    def _paper_count(self) -> int:
        """The store's papers, counted once a change (a count takes 17 ms at 1M papers)."""
        rev = self.store.rev()
        if self._counted is None or self._counted[0] != rev:
            self._counted = (rev, self.store.count())
        return self._counted[1]

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

    def key_term_neighbours(
        self,
        paper: Paper,
        limit: int,
        allowed: set[int] | None = None,
        per_word: int | None = READ_PER_WORD,
    ) -> list[tuple[int, float]]:
        """The lexical half alone: the papers whose key words (the index's key-term tables,
        ``search.keyterms``) best match the paper's own ``KEY_TERMS`` most distinctive
        words, by tf-idf cosine over single words (0..1), from each word's ``per_word``
        heaviest postings per segment (None: every posting, the exact scores)."""
        from reader.core.related.lexical import lexical_text

        tfidf = self.derived.related_papers.tfidf(self.derived.index.segment_cache())
        hashes, weights = tfidf.key_term_query(lexical_text(paper.title, paper.abstract), KEY_TERMS)
        if not len(hashes):
            return []
        depth = limit + 1 if allowed is None else min((limit + 1) * 20, 2000)
        hits = self.derived.index.key_term_neighbours(hashes, weights, depth, per_word)
        kept = [
            (i, min(score, 1.0))
            for i, score in hits
            if i != paper.id and (allowed is None or i in allowed)
        ]
        return kept[:limit]
