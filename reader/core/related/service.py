"""Related papers for a library: embedding jobs, the dense + lexical fusion, meaning search.

Related = ``fusion.hybrid_scores`` (centred dense + 1.5 × tf-idf cosine, with one round of
pseudo-relevance feedback) over the paper's 50 nearest dense neighbours (adding Whoosh's
key-term hits as candidates changed nothing measurable: arXiv P@10 0.640 vs 0.642, seeds P@5
0.453 both; on the tuning sets 0.601 / 0.590 vs 0.601 / 0.589).
A paper without a vector yet gets the lexical half alone (tf-idf over the index's key-term
tables), so the pane is useful the moment a paper is imported; while only part of the
library has vectors, the two are fused (``partly_embedded``, ``ranking.Ranking.method``).

The embedding job also fills the term store (each paper's words, ``terms.TermStore``), so a
query weighs its candidates with array work instead of tokenising their abstracts; a paper
the store lacks (not yet embedded, or edited since) is tokenised on the spot.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from more_itertools import chunked

from reader.core.related.embedder import Embedder, ModelMissing, paper_text
from reader.core.related.explain import Reason, analysed, meaning_led, shared_terms
from reader.core.related.fusion import (
    centred,
    for_you_scores,
    hybrid_scores,
    liked_classifier,
)
from reader.core.related.lexical import (
    MergedFrequencies,
    PaperTerms,
    TermsCache,
    TfIdf,
    lexical_text,
    unit,
    whoosh_tfidf,
)
from reader.core.related.terms import TermStore
from reader.core.related.vectors import VectorStore, text_hash
from reader.core.related.wanted import WantedFirst, batches

if TYPE_CHECKING:
    from reader.core.search.vectorized import SegmentCache
    from reader.core.store import Store

EMBED_BATCH = 64  # papers per commit of the vector store
TERMS_BATCH = 2000  # papers per commit of the term store (when only terms are missing)
DENSE_CANDIDATES = 50
FOR_YOU_CANDIDATES = 200  # top papers of the liked papers' classifier, re-ranked
FOR_YOU_PROFILE = 500  # liked papers whose tf-idf vectors make the lexical profile
FOR_YOU_OTHERS = 5000  # papers (a fixed random sample) the classifier learns as not liked
RRF_K = 60
QUICK_CHECK = 2000  # papers changed since the last embedding run that up_to_date() compares
# Whether the researcher has touched a paper (``papers`` row alias-free, 0 or 1).
TOUCHED = (
    "(bookmarked OR is_read OR notes != ''"
    " OR EXISTS (SELECT 1 FROM paper_tags WHERE paper_tags.paper_id = papers.id))"
)

Progress = Callable[[int, int], None]


@dataclass
class VectorCheck:
    model: str = ""
    vectors: int = 0  # papers with a current vector
    missing: list[int] = field(default_factory=list)  # papers without a vector
    stale: list[int] = field(default_factory=list)  # vector made from an older title/abstract
    extra: list[int] = field(default_factory=list)  # vectors of papers gone from the store
    model_changed: bool = False
    damaged: bool = False  # the vector files were cut short; the lost rows are re-embedded


class RelatedPapers:
    """Owns the embedder and the vector store of one library folder."""

    def __init__(self, folder: Path, store: Store, embedder: Embedder | None = None) -> None:
        self.store = store
        self.embedder = embedder or Embedder()
        self.vectors = VectorStore(folder / "vectors")
        self.terms = TermStore(folder / "vectors" / "terms.sqlite")
        self.terms_cache = TermsCache()
        self._tfidf: tuple[object, TfIdf] | None = None
        self._frequencies = MergedFrequencies()  # kept across index states

    # -- embedding -------------------------------------------------------------------------------

    def model_name(self) -> str | None:
        try:
            return self.embedder.name
        except ModelMissing:
            return None

    def _ensure_model(self) -> str:
        name = self.embedder.name  # raises ModelMissing
        if self.vectors.model != name or self.vectors.dim != self.embedder.dim:
            self.vectors.reset(name, self.embedder.dim)
        return name

    def pending(self) -> list[tuple[int, int, str, str]]:
        """(id, text hash, title, abstract) of every paper whose vector is missing or out of
        date."""
        return self._outdated(self.vectors.rev, self.vectors.hash_of)

    def terms_pending(self, skip: set[int]) -> list[tuple[int, int, str, str]]:
        """Like ``pending``, for the term store (papers in ``skip`` are left out)."""
        return self._outdated(self.terms.rev, self.terms.hashes().get, skip)

    def _outdated(
        self, rev: int, stored: Callable[[int], int | None], skip: Collection[int] = ()
    ) -> list[tuple[int, int, str, str]]:
        """The papers changed after ``rev`` whose ``stored`` text hash is not their text's,
        in the order they are worth embedding: the papers the researcher has touched
        (bookmarked, read, tagged, annotated) first, then the newest by date. At a million
        papers the dense model needs days for the whole library; in this order the papers
        a researcher cares about get their vectors within the first minutes (and the one on
        screen next: ``wanted``); the pane uses them once enough of the library has vectors
        (``ranking.Ranking.method``)."""
        todo = []
        for row in self.store.query(
            f"SELECT id, title, abstract, {TOUCHED} AS touched, coalesce(published, '')"
            " FROM papers WHERE rev > ?",
            (rev,),
        ):
            if row[0] not in skip:
                digest = text_hash(paper_text(row[1], row[2]))
                if stored(row[0]) != digest:
                    todo.append((row[3], row[4], row[0], digest, row[1], row[2]))
        todo.sort(reverse=True)  # touched, newest, highest id first
        return [(i, digest, title, abstract) for _, _, i, digest, title, abstract in todo]

    def embed(
        self,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        wanted: WantedFirst | None = None,
    ) -> int:
        """Embed every paper that needs it and store its terms, committing every batch; return
        how many papers were embedded. Papers that only lack terms (cheap) go first; papers
        ``wanted`` asks for meanwhile go into the next batch."""
        self._ensure_model()
        target = self.store.rev()
        todo = self.pending()
        backlog = self.terms_pending({i for i, _, _, _ in todo})
        total, done = len(backlog) + len(todo), 0
        if progress:
            progress(0, total)
        for chunk in chunked(backlog, TERMS_BATCH):
            if cancelled():
                return 0
            self.terms.put(terms_rows(chunk))
            done += len(chunk)
            if progress:
                progress(done, total)
        embedded = 0
        for chunk, asked in batches(todo, EMBED_BATCH, wanted):
            if cancelled():
                return embedded
            vectors = self.embedder.embed([paper_text(t, a) for _, _, t, a in chunk])
            self.vectors.append([i for i, *_ in chunk], [h for _, h, _, _ in chunk], vectors)
            self.terms.put(terms_rows(chunk))
            embedded += len(chunk)
            if asked and wanted:
                wanted.on_embedded(asked)
            if progress:
                progress(done + embedded, total)
        self.vectors.set_rev(target)
        self.vectors.damaged = False  # rows lost to cut-short files are embedded again
        self.terms.put([], rev=target)
        if self.vectors.dead_rows > max(1000, len(self.vectors) // 4):
            self.vectors.compact()
        self.vectors.build_ann()  # only for big libraries, and only if usearch is installed
        return embedded

    def up_to_date(self) -> bool:
        """Whether every paper has its vector and terms for its current text.

        Any write bumps the library's change counter, a bookmark or a tag too: when only a few
        papers changed since the last embedding run, their text hashes are compared here, so
        a new bookmark does not start an embedding run that finds nothing to do."""
        if self.model_name() != self.vectors.model:
            return False
        since = min(self.vectors.rev, self.terms.rev)
        if since >= self.store.rev():
            return True
        changed = self.store.query(
            "SELECT id, title, abstract FROM papers WHERE rev > ? LIMIT ?",
            (since, QUICK_CHECK + 1),
        )
        if len(changed) > QUICK_CHECK:
            return False  # the embedding run sorts them out
        ids = [row[0] for row in changed]
        digests = [text_hash(paper_text(row[1], row[2])) for row in changed]
        with_terms = self.terms.get(ids, digests)
        return all(
            self.vectors.hash_of(i) == d and i in with_terms
            for i, d in zip(ids, digests, strict=True)
        )

    # -- related ---------------------------------------------------------------------------------

    def tfidf(self, segments: SegmentCache) -> TfIdf:
        """The lexical half's weights for this index state (kept while its searcher is)."""
        if self._tfidf is None or self._tfidf[0] is not segments:
            self._tfidf = (segments, whoosh_tfidf(segments, self._frequencies))
        return self._tfidf[1]

    def related_ids(
        self,
        paper_id: int,
        tfidf: TfIdf,
        limit: int,
        allowed: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        """Fused scores (``fusion.hybrid_scores``) for the best ``limit`` of the paper's
        dense neighbours (ids only; the caller filters); empty without a vector.

        ``allowed``: only these papers may be returned (bookmarks, a tag, recent years).
        """
        query = self.vectors.vector(paper_id) if self.has_vector(paper_id) else None
        if query is None:
            return []
        nearest = self.vectors.knn(query, DENSE_CANDIDATES, {paper_id}, allowed)
        terms = self.paper_terms([paper_id, *(i for i, _ in nearest)])
        if paper_id not in terms:
            return []
        ids, matrix = self.vectors.rows_of([i for i, _ in nearest if i in terms])
        if not ids:
            return []
        own, lexical = tfidf.batch([terms[paper_id], *(terms[i] for i in ids)]).split(1)
        scores = hybrid_scores(query, matrix, own.total([0]), lexical, self.vectors.centre())
        ranked = sorted(zip(ids, scores.tolist(), strict=True), key=lambda kv: -kv[1])
        return [(i, min(max(s, 0.0), 1.0)) for i, s in ranked[:limit]]

    def reasons(self, paper_id: int, ids: list[int], tfidf: TfIdf) -> dict[int, Reason]:
        """Why each of ``ids`` is related to the paper (``explain``): shared key terms, and
        whether the meaning vectors rate the pair at least as close as the words do."""
        rows = self.store.query(
            "SELECT id, title, abstract FROM papers WHERE id IN"
            f" ({','.join('?' * (len(ids) + 1))})",
            [paper_id, *ids],
        )
        texts = {r[0]: lexical_text(r[1], r[2]) for r in rows}
        if paper_id not in texts:
            return {}
        others = [i for i in ids if i in texts]
        terms = self.paper_terms([paper_id, *others])
        own, lexical = tfidf.batch([terms[paper_id], *(terms[i] for i in others)]).split(1)
        words = dict(zip(others, lexical.dot(own.total([0])).tolist(), strict=True))
        dense: dict[int, float] = {}
        query = self.vectors.vector(paper_id) if self.has_vector(paper_id) else None
        if query is not None:
            have, matrix = self.vectors.rows_of(others)
            centre = self.vectors.centre()
            cosines = centred(matrix, centre) @ centred(query, centre)
            dense = dict(zip(have, cosines.tolist(), strict=True))
        by_meaning, own_text = meaning_led(dense, words), analysed(texts[paper_id])
        return {
            i: Reason(shared_terms(own_text, analysed(texts[i]), tfidf.idf), i in by_meaning)
            for i in others
        }

    def for_you_ids(
        self,
        liked: Collection[int],
        tfidf: TfIdf,
        limit: int,
        allowed: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        """Papers (not in ``liked``) ranked by a linear classifier of the liked papers'
        vectors against the library's (``fusion.liked_classifier``), re-ranked with their
        summed tf-idf vector (``fusion.for_you_scores``)."""
        liked_ids, liked_rows = self.vectors.rows_of(list(liked))
        if not liked_ids or self.vectors.model != self.model_name():
            return []
        liked_set = set(liked_ids)
        others = [i for i in self.vectors.ids() if i not in liked_set]
        if not others:
            return []
        if len(others) > FOR_YOU_OTHERS:
            picks = np.random.default_rng(0).choice(len(others), FOR_YOU_OTHERS, replace=False)
            others = [others[n] for n in sorted(picks.tolist())]
        weights, bias = liked_classifier(liked_rows, self.vectors.rows_of(others)[1])
        pool = max(limit * 4, FOR_YOU_CANDIDATES)
        # on unit rows, the nearest neighbours of the weight vector are its best scores
        nearest = self.vectors.knn(unit(weights), pool, set(liked), allowed)
        terms = self.paper_terms([*liked_ids[:FOR_YOU_PROFILE], *(i for i, _ in nearest)])
        profile_ids = [i for i in liked_ids[:FOR_YOU_PROFILE] if i in terms]
        ids, matrix = self.vectors.rows_of([i for i, _ in nearest if i in terms])
        batch = tfidf.batch([terms[i] for i in [*profile_ids, *ids]])
        profile, lexical = batch.split(len(profile_ids))
        if not ids:
            return []
        liked_vector = unit(profile.total(range(len(profile_ids))))
        scores = for_you_scores(matrix @ weights + bias, lexical.dot(liked_vector))
        ranked = sorted(zip(ids, scores.tolist(), strict=True), key=lambda kv: -kv[1])
        return ranked[:limit]

    def paper_terms(self, ids: list[int]) -> dict[int, PaperTerms]:
        """The terms of those papers that exist: from the term store where it holds them for
        the paper's current text, else made from the text."""
        ids = list(dict.fromkeys(ids))
        rows = self.store.query(
            f"SELECT id, title, abstract FROM papers WHERE id IN ({','.join('?' * len(ids))})",
            ids,
        )
        digests = {r[0]: text_hash(paper_text(r[1], r[2])) for r in rows}
        found = self.terms.get(list(digests), list(digests.values()))
        for paper_id, title, abstract in rows:
            if paper_id not in found:
                found[paper_id] = self.terms_cache.get(
                    digests[paper_id], lexical_text(title, abstract)
                )
        return found

    def has_vector(self, paper_id: int) -> bool:
        return paper_id in self.vectors and self.vectors.model == self.model_name()

    def dense_ids(self, paper_id: int, limit: int) -> list[tuple[int, float]]:
        query = self.vectors.vector(paper_id)
        return [] if query is None else self.vectors.knn(query, limit, exclude={paper_id})

    # -- meaning search --------------------------------------------------------------------------

    def meaning(self, text: str, limit: int) -> list[tuple[int, float]]:
        if not len(self.vectors) or self.vectors.model != self.model_name():
            return []
        query = self.embedder.embed([text])[0]
        return self.vectors.knn(query, limit)

    # -- check -----------------------------------------------------------------------------------

    def check(self) -> VectorCheck:
        name = self.model_name() or ""
        report = VectorCheck(
            model=self.vectors.model,
            model_changed=name != self.vectors.model,
            damaged=self.vectors.damaged,
        )
        seen = set()
        for row in self.store.query("SELECT id, title, abstract FROM papers"):
            seen.add(row[0])
            have = self.vectors.hash_of(row[0])
            if have is None or report.model_changed:
                report.missing.append(row[0])
            elif have != text_hash(paper_text(row[1], row[2])):
                report.stale.append(row[0])
            else:
                report.vectors += 1
        report.extra = [i for i in self.vectors.ids() if i not in seen]
        return report


def terms_rows(papers: list[tuple[int, int, str, str]]) -> list[tuple[int, int, PaperTerms]]:
    """Term store rows of (id, text hash, title, abstract) tuples."""
    return [(i, digest, PaperTerms.of(lexical_text(t, a))) for i, digest, t, a in papers]


def reciprocal_rank_fusion(*rankings: list[int], k: int = RRF_K) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, paper_id in enumerate(ranking):
            scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (k + rank + 1)
    top = max(scores.values(), default=1.0)
    return sorted(((i, s / top) for i, s in scores.items()), key=lambda kv: -kv[1])


def partly_embedded(
    dense: list[tuple[int, float]], lexical: list[tuple[int, float]], limit: int
) -> list[tuple[int, float]]:
    """A paper's neighbours while only part of the library has vectors: the hybrid's (which
    sees only the embedded papers) and the key-term tables' (which see every paper) joined
    by reciprocal rank fusion, each keeping its own score for the pane's bar."""
    order = reciprocal_rank_fusion([i for i, _ in dense], [i for i, _ in lexical])
    score = {**dict(lexical), **dict(dense)}
    return [(i, score[i]) for i, _ in order[:limit]]


__all__ = ["RelatedPapers", "VectorCheck", "partly_embedded", "reciprocal_rank_fusion"]
