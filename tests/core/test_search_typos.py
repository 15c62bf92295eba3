"""Typo rescue's vocabulary: the same words, frequencies and candidates as Whoosh's own
walk of the term dictionary, kept while the big segments stay and read anew when they go."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.core.search import typos
from reader.core.search.typos import Vocabulary


@pytest.fixture
def library(seed_library_dir: Path, tmp_path: Path):
    folder = tmp_path / "library"
    shutil.copytree(seed_library_dir, folder)
    with Library(folder) as opened:
        yield opened


def add_paper(library: Library, title: str, abstract: str) -> None:
    library.store.write_records([PaperRecord(title=title, abstract=abstract)], None)
    library.catch_up_index()


def whoosh_words(library: Library, field: str, letter: str) -> dict[str, int]:
    reader = library.derived.index.searcher().reader()
    words = (w.decode() for w in reader.lexicon(field))
    return {w: reader.doc_frequency(field, w) for w in words if w.startswith(letter)}


@pytest.mark.parametrize("kept_from", [1, 10**9])  # every segment kept, or none
def test_words_and_candidates_are_whoosh_s(
    library: Library, monkeypatch: pytest.MonkeyPatch, kept_from: int
) -> None:
    monkeypatch.setattr(Vocabulary, "KEPT_FROM", kept_from)
    add_paper(library, "Speculatively sampled drafts", "A sparse speculator for decoding.")
    searcher = library.derived.index.searcher()
    assert len(searcher.reader().leaf_readers()) > 1
    vocabulary = Vocabulary()
    for field in typos.FIELDS:
        for letter in "sd":
            words, counts = vocabulary.words(searcher, field, letter)
            assert dict(zip(words, counts.tolist(), strict=True)) == whoosh_words(
                library, field, letter
            )
        found = 0
        for word in ("specul", "speculatve", "decodng", "sparce", "drafs"):
            for edits in (1, 2):
                within = vocabulary.within(searcher, field, word, edits)
                expected = set(searcher.reader().terms_within(field, word, edits, prefix=1))
                assert set(within) == expected
                assert all(within[w] == searcher.reader().doc_frequency(field, w) for w in within)
                found += len(within)
        assert found


def test_big_segments_are_read_once_and_again_when_they_change(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Vocabulary, "KEPT_FROM", 100)  # the seed import's segment is big
    gathered: list[int] = []  # the papers of the segments each gathering read
    original = typos._gathered

    def spy(readers, field: str, letter: str):
        readers = list(readers)
        gathered.append(sum(r.doc_count_all() for r in readers))
        return original(readers, field, letter)

    monkeypatch.setattr(typos, "_gathered", spy)
    vocabulary = Vocabulary()
    searcher = library.derived.index.searcher()
    vocabulary.words(searcher, "title", "z")
    vocabulary.words(searcher, "title", "z")
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
