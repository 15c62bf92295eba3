"""The lexical half's arrays: tf-idf batches against a direct computation, and the term store
(filled by embedding, never trusted for an edited paper, rebuilt when lost or damaged)."""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.core.related import lexical
from reader.core.related import service as service_module
from reader.core.related.lexical import PaperTerms, TfIdf, lexical_text, words
from reader.core.search.codec import term_hash

from .conftest import build_library
from .test_related import FakeEmbedder, with_embedder

TEXTS = [
    "Speculative decoding. Speculative decoding. A draft model proposes tokens; the target"
    " model verifies draft tokens in parallel, so decoding is faster.",
    "Draft models for faster decoding. Draft models for faster decoding. We train a small"
    " draft model and verify its tokens with the large model.",
    "Protein folding. Protein folding. Amino acid chains fold into structures.",
    "",
]


def reference_vector(text: str, df: dict[str, int], n_docs: int) -> dict[str, float]:
    """arxiv-sanity-lite's tf-idf written out with Counters: 1 + log tf, a bigram's idf that
    of its rarer word, unit length."""
    ws = words(text)
    counts = Counter(ws) + Counter(f"{a} {b}" for a, b in pairwise(ws))

    def idf(word: str) -> float:
        return math.log((n_docs + 1) / (min(max(df.get(word, 0), 1), n_docs) + 1)) + 1

    weights = {t: (1 + math.log(c)) * max(idf(w) for w in t.split(" ")) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {t: w / norm for t, w in weights.items()}


def test_a_batch_gives_the_cosines_of_a_direct_computation():
    df = {w: 1 + n % 4 for n, w in enumerate(sorted({w for t in TEXTS for w in words(t)}))}
    by_hash = {term_hash(w.encode()): f for w, f in df.items()}
    tfidf = TfIdf(10, lambda keys: np.array([by_hash.get(int(k), 0) for k in keys]))
    own, others = tfidf.batch([PaperTerms.of(t) for t in TEXTS]).split(1)
    got = others.dot(own.total([0]))
    reference = [reference_vector(t, df, 10) for t in TEXTS]
    expected = [sum(w * r.get(t, 0.0) for t, w in reference[0].items()) for r in reference[1:]]
    assert got == pytest.approx(expected, abs=1e-9)
    assert got[0] > 0.2 and got[1] == got[2] == 0  # on topic; off topic and empty share nothing
    assert np.allclose(np.bincount(own.row, own.weight**2), 1.0)  # unit length


def test_paper_terms_survive_bytes_and_keep_word_order():
    terms = PaperTerms.of(TEXTS[0])
    again = PaperTerms.from_bytes(terms.to_bytes())
    assert np.array_equal(again.words, terms.words)
    assert np.array_equal(again.sequence, terms.sequence)
    first = words(TEXTS[0])
    assert again.words[again.sequence[0]] == term_hash(first[0].encode())
    assert len(again.sequence) == len(first) and len(again.words) == len(set(first))


def records() -> list[PaperRecord]:
    topics = ["speculative decoding draft tokens", "protein folding structure", "galaxy survey"]
    return [
        PaperRecord(
            title=f"{topics[i % 3].split()[0].title()} study {i}",
            abstract=f"We study {topics[i % 3]} in setting {i}.",
        )
        for i in range(60)
    ]


def test_embedding_fills_the_term_store_and_related_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with with_embedder(build_library(tmp_path, records()), FakeEmbedder()) as library:
        without_store = library.related(4, limit=8)
        library.embed()
        service = library.derived.related_papers
        assert service.terms.rev == library.store.rev() and len(service.terms.hashes()) == 60
        fresh = with_embedder(Library(tmp_path), FakeEmbedder())
        fresh.derived.related_papers.vectors = service.vectors
        monkeypatch.setattr(lexical.PaperTerms, "of", None)  # tokenising now fails loudly
        with_store = fresh.related(4, limit=8)
        fresh.close()
    dense_and_lexical = [p.id for p, _ in with_store]
    assert len(dense_and_lexical) == 8 and without_store  # the lexical half before embedding
    assert {p.title.split()[0] for p, _ in with_store[:3]} == {"Speculative"}


def test_an_edited_paper_is_not_read_from_its_old_terms(tmp_path: Path):
    with with_embedder(build_library(tmp_path, records()), FakeEmbedder()) as library:
        library.embed()
        with library.store.transaction() as conn:
            rev = library.store._bump_rev()
            conn.execute("UPDATE papers SET abstract = 'Galaxy.', rev = ? WHERE id = 5", (rev,))
        paper = library.store.paper(5)
        got = library.derived.related_papers.paper_terms([5])[5]
        expected = PaperTerms.of(lexical_text(paper.title, paper.abstract))
        assert np.array_equal(got.words, expected.words)
        assert not library.derived.related_papers.up_to_date()
        assert library.embed() == 1 and library.derived.related_papers.up_to_date()


def test_bookmarks_and_tags_leave_the_vectors_up_to_date_and_an_edit_does_not(
    tmp_path: Path, monkeypatch
):
    with with_embedder(build_library(tmp_path, records()), FakeEmbedder()) as library:
        library.embed()
        library.set_bookmarked([1, 2], True)
        library.add_tags([3], ["to-read"])
        library.set_read([4], True)
        service = library.derived.related_papers
        assert min(service.vectors.rev, service.terms.rev) < library.store.rev()  # stale revs
        assert service.up_to_date()  # …but no paper's text changed: nothing to embed

        monkeypatch.setattr(service_module, "QUICK_CHECK", 2)  # 4 papers changed: too many
        assert not service.up_to_date()  # left to the embedding run, which embeds none
        assert library.embed() == 0 and service.up_to_date()

        monkeypatch.undo()
        with library.store.transaction() as conn:
            rev = library.store._bump_rev()
            conn.execute("UPDATE papers SET title = 'Galaxies', rev = ? WHERE id = 6", (rev,))
        assert not service.up_to_date()
        assert library.embed() == 1 and service.up_to_date()


def test_a_library_embedded_without_terms_gets_them_without_reembedding(tmp_path: Path):
    with with_embedder(build_library(tmp_path, records()), FakeEmbedder()) as library:
        library.embed()
    (tmp_path / "vectors" / "terms.sqlite").unlink()
    with with_embedder(Library(tmp_path), FakeEmbedder()) as reopened:
        service = reopened.derived.related_papers
        assert not service.up_to_date()
        assert reopened.embed() == 0 and service.embedder.calls == 0
        assert service.up_to_date() and len(service.terms.hashes()) == 60


def test_a_damaged_term_store_is_replaced(tmp_path: Path):
    with with_embedder(build_library(tmp_path, records()), FakeEmbedder()) as library:
        library.embed()
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp_path / 'vectors' / 'terms.sqlite'}{suffix}").unlink(missing_ok=True)
    (tmp_path / "vectors" / "terms.sqlite").write_bytes(b"not a database" * 100)
    with with_embedder(Library(tmp_path), FakeEmbedder()) as reopened:
        assert len(reopened.related(4, limit=8)) == 8
        assert reopened.embed() == 0
        assert reopened.derived.related_papers.up_to_date()
        assert len(reopened.derived.related_papers.terms.hashes()) == 60


def test_related_works_while_the_index_is_still_empty(tmp_path: Path):
    """An index being rebuilt (a new format, a repair) is empty for a while: the lexical half
    then weighs every word alike instead of failing."""
    library = with_embedder(Library(tmp_path), FakeEmbedder())
    with library:
        library.store.write_records(records(), None)  # stored, not indexed yet
        library.embed()
        assert library.derived.index.searcher().doc_count() == 0
        assert len(library.related(4, limit=8)) == 8


def test_a_locked_or_read_only_term_store_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import sqlite3

    from reader.core.related.terms import TermStore

    path = tmp_path / "terms.sqlite"
    store = TermStore(path)
    store.put([(1, 11, PaperTerms.of(TEXTS[0]))], rev=5)
    store.close()

    def locked(self: TermStore) -> sqlite3.Connection:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(TermStore, "_open", locked)
    again = TermStore(path)
    assert again.get([1], [11]) == {} and again.rev == 0  # the caller tokenises instead
    monkeypatch.undo()
    assert TermStore(path).rev == 5  # and the rows are still there
