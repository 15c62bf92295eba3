"""Why a paper is related: shared key terms and "similar meaning"."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from reader.core.library import Library
from reader.core.related.explain import analysed, meaning_led, shared_terms
from reader.core.search.analysis import FoldingTokenizer
from reader.core.search.codec import term_hash

STEM = FoldingTokenizer(stemming=True).term


def idf_of(rare: dict[str, float], default: float = 5.0):  # type: ignore[no-untyped-def]
    """An idf lookup where the given words (stemmed) have the given idf, others ``default``."""
    by_hash = {term_hash(STEM(w).encode()): v for w, v in rare.items()}
    return lambda hashes: np.array([by_hash.get(int(h), default) for h in hashes])


MINE = (
    "Speculative decoding with a draft model. Speculative decoding with a draft model. "
    "A small draft model proposes tokens that the large model verifies; LLM inference is "
    "faster. Unfortunately results vary."
)
THEIRS = (
    "Faster LLM serving with speculative decoding. Faster LLM serving with speculative "
    "decoding. Speculative decoding drafts tokens with a draft model; unfortunately the "
    "verification is costly."
)


def test_shared_terms_prefer_phrases_as_the_neighbour_writes_them():
    terms = shared_terms(analysed(MINE), analysed(THEIRS), idf_of({}))
    assert terms[0] == "speculative decoding"  # a phrase both use, in both titles
    assert "LLM" in terms  # an acronym keeps its capitals
    assert "decoding" not in terms and "speculative" not in terms  # inside the phrase
    assert "unfortunately" not in terms  # each text uses it once, in passing
    assert len(terms) <= 4


def test_words_common_in_the_library_explain_nothing():
    common = idf_of({"speculative": 1.2, "decoding": 1.2})  # in most papers of the library
    terms = shared_terms(analysed(MINE), analysed(THEIRS), common)
    assert not any("speculative" in t or "decoding" in t for t in terms)
    assert shared_terms(analysed("protein folding"), analysed("galaxy clusters"), common) == ()


def test_meaning_led_marks_papers_meaning_ranks_higher_than_words_do():
    dense = {1: 0.9, 2: 0.5, 3: 0.7}
    words = {1: 0.4, 2: 0.6, 3: 0.1}
    assert meaning_led(dense, words) == {1, 3}  # 1st and 2nd by meaning, 2nd and 3rd by words
    assert meaning_led({}, words) == set()  # no vectors: nothing is said about meaning


def test_the_library_explains_its_related_papers(seed_library_dir: Path, tmp_path: Path):
    folder = tmp_path / "lib"
    shutil.copytree(seed_library_dir, folder)
    with Library(folder) as library:
        spectr = library.search("SpecTr").hits[0].paper
        related = library.related(spectr.id, limit=5)
        reasons = library.related_reasons(spectr.id, [p.id for p, _ in related])
        assert set(reasons) == {p.id for p, _ in related}
        assert sum("speculative decoding" in r.terms for r in reasons.values()) >= 3
        assert not any(r.meaning for r in reasons.values())  # no vectors yet: words only
        assert library.related_reasons(spectr.id, []) == {}
