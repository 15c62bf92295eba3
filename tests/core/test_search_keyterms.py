"""The segments' key-term tables, checked against tf-idf computed here from the papers' text."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from reader.core.library import Library
from reader.core.related.lexical import lexical_text, words
from reader.core.search import keyterms
from reader.core.search.codec import term_hash
from reader.core.search.keyterms import read_table


def _h(word: str) -> int:
    return term_hash(word.encode("utf-8"))


def segment_texts(library: Library) -> list[tuple[int, dict[int, Counter[str]]]]:
    """For each segment: its size and the word counts of each document with text, as the
    related half reads a paper (``lexical_text``: the title twice)."""
    ids = [r[0] for r in library.store.query("SELECT id FROM papers")]
    papers = {p.id: p for p in library.papers(ids)}
    found = []
    for sub, _ in library.derived.index.searcher().leaf_searchers():
        reader = sub.reader()
        counts: dict[int, Counter[str]] = {}
        for docnum in range(reader.doc_count_all()):
            paper_id = reader.stored_fields(docnum)["id"]
            if paper_id.isdigit():  # not the progress marker
                paper = papers[int(paper_id)]
                counts[docnum] = Counter(words(lexical_text(paper.title, paper.abstract)))
        found.append((reader.doc_count_all(), counts))
    return found


def local_weights(counts: dict[int, Counter[str]]) -> dict[int, dict[str, float]]:
    """Sublinear tf-idf with the idf of the documents given."""
    df = Counter(w for c in counts.values() for w in c)
    n = max(counts) + 1
    return {
        d: {w: (1 + math.log(tf)) * (math.log((n + 1) / (df[w] + 1)) + 1) for w, tf in c.items()}
        for d, c in counts.items()
    }


def test_each_paper_keeps_its_heaviest_words_with_their_counts(copy_seed_library, monkeypatch):
    monkeypatch.setattr(keyterms, "PER_PAPER", 6)
    library, _ = copy_seed_library()
    library.reindex()
    library.add_tags([1, 2], ["nlp"])  # a second segment; the first keeps the old versions
    readers = [sub.reader() for sub, _ in library.derived.index.searcher().leaf_searchers()]
    checked = 0
    for reader, (_, counts) in zip(readers, segment_texts(library), strict=True):
        table = read_table(reader)
        assert table is not None
        kept: dict[int, dict[int, int]] = {}
        for i, digest in enumerate(table.hashes.tolist()):
            start = int(table.ends[i - 1]) if i else 0
            for doc, count in zip(
                table.docs[start : table.ends[i]].tolist(),
                table.counts[start : table.ends[i]].tolist(),
                strict=True,
            ):
                kept.setdefault(doc, {})[digest] = count
        weights = local_weights(counts)
        for doc, weight in weights.items():
            by_hash = {_h(w): (w, wt) for w, wt in weight.items()}
            mine = kept[doc]
            assert len(mine) == min(6, len(weight))
            assert all(count == counts[doc][by_hash[h][0]] for h, count in mine.items())
            lightest_kept = min(by_hash[h][1] for h in mine)
            heaviest_left = max((wt for h, (_, wt) in by_hash.items() if h not in mine), default=0)
            assert lightest_kept >= heaviest_left - 1e-9
            norm = math.sqrt(sum(wt * wt for wt in weight.values()))
            assert table.norms[doc] == pytest.approx(norm, rel=1e-5)
            checked += 1
        # within a word, the heaviest documents come first
        for i in range(len(table.hashes)):
            start = int(table.ends[i - 1]) if i else 0
            docs = table.docs[start : table.ends[i]]
            impact = (1 + np.log(table.counts[start : table.ends[i]])) / table.norms[docs]
            assert np.all(np.diff(impact) <= 1e-6)
    assert checked > 100


def expected_scores(
    library: Library, query: dict[int, float], per_word: int | None
) -> dict[int, float]:
    """Each live paper's tf-idf cosine with the query, from each word's ``per_word``
    heaviest documents in each segment (deleted ones take their places too)."""
    expected: dict[int, float] = {}
    leaves = library.derived.index.searcher().leaf_searchers()
    for (sub, _), (_, counts) in zip(leaves, segment_texts(library), strict=True):
        reader = sub.reader()
        norms = {
            d: math.sqrt(sum(wt * wt for wt in weight.values()))
            for d, weight in local_weights(counts).items()
        }
        for word in {w for c in counts.values() for w in c}:
            weight = query.get(_h(word), 0.0)
            having = [
                ((1 + math.log(c[word])) / norms[d], d) for d, c in counts.items() if word in c
            ]
            having.sort(key=lambda impact_doc: (-impact_doc[0], impact_doc[1]))
            for impact, doc in having[:per_word]:
                if weight and not reader.is_deleted(doc):
                    paper_id = int(reader.stored_fields(doc)["id"])
                    expected[paper_id] = expected.get(paper_id, 0.0) + weight * impact
    return expected


@pytest.mark.parametrize("per_word", [None, 2])
def test_neighbour_scores_are_the_tfidf_cosine_over_the_kept_words(
    copy_seed_library, monkeypatch, per_word
):
    monkeypatch.setattr(keyterms, "PER_PAPER", 10_000)  # every word kept
    library, _ = copy_seed_library()
    library.reindex()
    library.add_tags([1, 2], ["nlp"])  # papers 1 and 2 now live in the second segment
    index = library.derived.index
    tfidf = library.derived.related_papers.tfidf(index.segment_cache())
    paper = library.paper(5)
    hashes, weights = tfidf.key_term_query(lexical_text(paper.title, paper.abstract), 30)
    assert 0 < len(hashes) <= 30
    query = dict(zip(hashes.tolist(), weights.tolist(), strict=True))
    expected = expected_scores(library, query, per_word)
    neighbours = index.key_term_neighbours(hashes, weights, 10_000, per_word)
    found = dict(neighbours)
    assert len(found) == len(neighbours)  # an updated paper counts once, as it is now
    assert found.keys() == expected.keys()
    for paper_id, score in found.items():
        assert score == pytest.approx(expected[paper_id], rel=1e-4)
    best = index.key_term_neighbours(hashes, weights, 5, per_word)
    top = sorted(expected.values(), reverse=True)[:5]
    assert [s for _, s in best] == pytest.approx(top, rel=1e-4)
    assert best[0][0] == 5  # the paper itself is its own best match
    if per_word is not None:  # the cap leaves papers out
        assert len(found) < len(expected_scores(library, query, None))


def test_an_unknown_word_finds_nothing(copy_seed_library):
    library, _ = copy_seed_library()
    found = library.derived.index.key_term_neighbours(
        np.array([_h("no-such-word")], np.uint64), np.ones(1), 10, None
    )
    assert found == []


def test_tables_are_read_in_place_from_aligned_compound_files(copy_seed_library):
    library, _ = copy_seed_library()
    library.reindex()
    library.add_tags([1, 2], ["nlp"])  # a second segment, written in this process
    readers = [sub.reader() for sub, _ in library.derived.index.searcher().leaf_searchers()]
    assert len(readers) == 2
    for reader in readers:
        assert reader.segment().is_compound()
        table = read_table(reader)
        assert table is not None and len(table.docs)
        for postings in (table.docs, table.counts):
            assert postings.base is not None  # a view of the mapping, not a copy
            assert postings.flags.aligned
