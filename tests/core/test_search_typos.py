"""Typo rescue's vocabulary: the same frequencies and candidates as Whoosh's own walk of the
term dictionary, kept while the big segments stay and read anew when they change."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.core.search import typos
from reader.core.search.typos import Vocabulary


@pytest.fixture
def library(copy_seed_library: Callable[[], tuple[Library, object]]) -> Library:
    return copy_seed_library()[0]


def add_paper(library: Library, title: str, abstract: str) -> None:
    library.store.write_records([PaperRecord(title=title, abstract=abstract)], None)
    library.catch_up_index()


@pytest.mark.parametrize("kept_from", [1, 10**9])  # every segment kept, or none
def test_frequencies_and_candidates_are_whoosh_s(
    library: Library, monkeypatch: pytest.MonkeyPatch, kept_from: int
) -> None:
    monkeypatch.setattr(Vocabulary, "KEPT_FROM", kept_from)
    add_paper(library, "Speculatively sampled drafts", "A sparse speculator for decoding.")
    searcher = library.derived.index.searcher()
    reader = searcher.reader()
    assert len(reader.leaf_readers()) > 1  # terms in several segments (Whoosh's OSA walk)
    vocabulary = Vocabulary()
    for field in typos.FIELDS:
        for word in (w.decode() for w in reader.lexicon(field)):
            if word[:1] in "sd":
                assert vocabulary.frequency(searcher, field, word) == reader.doc_frequency(
                    field, word
                )
        found = 0
        # a dropped letter, a wrong one, two swapped ones (one edit: OSA, not Levenshtein)
        for word in ("specul", "speculatve", "decodng", "sparce", "spceulative", "dcoeding"):
            for edits in (1, 2):
                within = vocabulary.within(searcher, field, word, edits)
                assert set(within) == set(reader.terms_within(field, word, edits, prefix=1))
                assert all(within[w] == reader.doc_frequency(field, w) for w in within)
                found += len(within)
        assert found
    assert "decod" in vocabulary.within(searcher, "abstract", "deocd", 1)  # a swap is one


def test_big_segments_are_read_once_and_again_when_they_change(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Vocabulary, "KEPT_FROM", 100)  # the seed import's segment is big
    gathered: list[int] = []  # the papers of the segments each gathering read
    original = typos._Words.of

    def spy(readers, field: str, letter: str):
        gathered.append(sum(r.doc_count_all() for r in readers.values()))
        return original(readers, field, letter)

    monkeypatch.setattr(typos._Words, "of", spy)
    vocabulary = Vocabulary()
    searcher = library.derived.index.searcher()
    vocabulary.frequency(searcher, "title", "zebra")
    vocabulary.within(searcher, "title", "zebra", 2)
    assert len(gathered) == 1 and gathered[0] >= 100  # once, the big segment

    add_paper(library, "Zygomorphic zebrafish", "zygomorphic patterns")  # a small segment
    searcher = library.derived.index.searcher()
    assert vocabulary.frequency(searcher, "title", "zygomorphic") == 1
    assert vocabulary.frequency(searcher, "title", "zebrafish") == 1
    assert len(gathered) == 2 and gathered[1] < 10  # only the new (small) segment is read
    assert vocabulary.within(searcher, "title", "zygomorpic", 1) == {"zygomorphic": 1}

    library.derived.index.rebuild()  # the big segments go: everything is read again
    library.catch_up_index()
    searcher = library.derived.index.searcher()
    assert vocabulary.frequency(searcher, "title", "zygomorphic") == 1
    assert gathered[-1] > 100


def test_only_the_letters_asked_for_last_are_kept(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Vocabulary, "KEPT_FROM", 1)
    monkeypatch.setattr(Vocabulary, "KEPT_LETTERS", 2)
    vocabulary = Vocabulary()
    searcher = library.derived.index.searcher()
    for letter in "abcab":
        vocabulary.frequency(searcher, "title", letter)
    assert list(vocabulary._big) == [("title", "a"), ("title", "b")]
