"""The array posting codec: Whoosh reads back exactly what Whoosh's own codec would."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

from reader.core.library import Library
from reader.core.related.lexical import MergedFrequencies, whoosh_tfidf
from reader.core.search import whoosh_compat as compat
from reader.core.search.codec import (
    BLOCK_POSTINGS,
    DF_FIELDS,
    ArrayCodec,
    ArrayLeafMatcher,
    document_frequencies,
    term_hash,
    written_here,
)
from reader.core.search.index import SearchIndex

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def build(folder: Path, codec: object, docs: list[dict[str, str]]) -> Index:
    folder.mkdir()
    schema = Schema(id=ID(stored=True), body=TEXT(), tags=KEYWORD(commas=True, scorable=True))
    ix = FileStorage(str(folder)).create_index(schema)
    writer = ix.writer(codec=codec)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return ix


def postings(ix: Index, field: str, word: str) -> list[tuple[int, float, list[int] | None]]:
    with ix.searcher() as searcher:
        reader = searcher.reader()
        fmt = reader.schema[field].format
        matcher = reader.postings(field, word)
        found = []
        while matcher.is_active():
            positions = matcher.value_as("positions") if fmt.supports("positions") else None
            found.append((matcher.id(), matcher.weight(), positions))
            matcher.next()
        return found


@pytest.fixture(scope="module")
def docs() -> list[dict[str, str]]:
    rng = random.Random(7)
    return [
        {
            "id": str(n),
            # Long bodies repeat words (weights > 1, many positions); every 5th is empty.
            "body": " ".join(rng.choices(WORDS, k=rng.randrange(0, 60))) if n % 5 else "",
            "tags": ",".join(rng.sample(WORDS, 2)),
        }
        for n in range(3 * BLOCK_POSTINGS + 17)  # several blocks, the last one short
    ]


def term_stats(ix: Index, field: str, word: str) -> tuple:
    with ix.searcher() as searcher:
        info = searcher.reader().term_info(field, word)
        return info.weight(), info.doc_frequency(), info.min_length(), info.max_length()


def test_postings_read_back_as_whoosh_wrote_them(tmp_path: Path, docs):
    ours = build(tmp_path / "array", ArrayCodec(), docs)
    theirs = build(tmp_path / "w3", W3Codec(), docs)
    for field in ("body", "tags"):
        for word in WORDS:
            assert postings(ours, field, word) == postings(theirs, field, word), (field, word)
            assert term_stats(ours, field, word) == term_stats(theirs, field, word)


def test_skipping_and_block_reads_agree(tmp_path: Path, docs):
    ix = build(tmp_path / "array", ArrayCodec(), docs)
    everything = postings(ix, "body", "gamma")
    with ix.searcher() as searcher:
        matcher = searcher.reader().postings("body", "gamma")
        assert isinstance(matcher, ArrayLeafMatcher)
        target = everything[len(everything) // 2][0]
        matcher.skip_to(target)
        assert matcher.id() == target
        blocks = []
        matcher.reset()
        while matcher.is_active():
            blocks.append(matcher.block())
            compat.next_block(matcher)
    assert len(blocks) > 1
    assert [int(i) for b in blocks for i in b.ids] == [doc for doc, _, _ in everything]
    assert [float(w) for b in blocks for w in b.weights] == [w for _, w, _ in everything]


def older_array_codec() -> ArrayCodec:
    codec = ArrayCodec()
    codec.format = ArrayCodec.FORMAT - 1
    return codec


@pytest.mark.parametrize("old_codec", [W3Codec, older_array_codec])
def test_an_index_from_another_codec_is_rebuilt_from_the_store(tmp_path: Path, seeds, old_codec):
    with Library.open(tmp_path / "lib") as library:
        library.import_files(seeds[:1])
        papers = library.stats()["papers"]
    folder = tmp_path / "lib" / "index"
    ix = FileStorage(str(folder)).open_index()
    old = ix.writer(codec=old_codec())
    old.add_document(id="__old__")
    old.commit(merge=True)  # rewrites every segment with Whoosh's own codec
    with Library.open(tmp_path / "lib") as library:
        assert library.index_status() == "rebuilding"
        assert library.search("model").fallback
        assert library.catch_up_derived()  # a repair is needed (the window runs it apart)
        library.repair()
        assert library.index_status() == "ready"
        assert library.derived.index.doc_count() == papers
        assert not library.search("model").fallback
    assert all(written_here(s.codec()) for s in compat.segments(SearchIndex(folder).ix))


def test_segment_frequency_tables_match_whoosh(copy_seed_library):
    library, _ = copy_seed_library()
    library.add_tags([1, 2], ["nlp"])  # new segments, and deleted old versions
    searcher = library.derived.index.searcher()
    tables = [document_frequencies(sub.reader()) for sub, _ in searcher.leaf_searchers()]
    assert len(tables) > 1 and all(t is not None for t in tables)
    words: set[str] = set()
    for field in DF_FIELDS:
        terms = list(searcher.reader().lexicon(field))
        assert terms
        for btext in terms:
            key = term_hash(btext)
            total = 0
            for table in tables:
                hashes, counts = table[field]
                at = np.searchsorted(hashes, key)
                total += int(counts[at]) if at < len(hashes) and hashes[at] == key else 0
            assert total == searcher.doc_frequency(field, btext), (field, btext)
            words.add(btext.decode())
    asked = [*sorted(words), "no-such-word"]
    keys = np.array([term_hash(w.encode()) for w in asked], np.uint64)

    def expected() -> list[int]:
        found = library.derived.index.searcher()
        return [max(found.doc_frequency(f, w) for f in DF_FIELDS) for w in asked]

    merged = MergedFrequencies()
    merged.SUMMED_FROM = 100  # the seed's first segment is summed, the tags' ones are not
    cache = library.derived.index.segment_cache()
    assert [s.size >= 100 for s in cache.segments] == [True, *([False] * (len(tables) - 1))]
    assert whoosh_tfidf(cache, merged)._df(keys).tolist() == expected()
    assert len(merged.tables(cache)) == len(tables)  # one sum, the small ones apart
    summed = merged.tables(cache)[0]
    library.add_tags([3, 4], ["nlp"])  # another small segment: the sum is kept
    cache = library.derived.index.segment_cache()
    assert whoosh_tfidf(cache, merged)._df(keys).tolist() == expected()
    assert merged.tables(cache)[0] is summed
    library.reindex()  # the summed segment is gone: summed again
    cache = library.derived.index.segment_cache()
    assert whoosh_tfidf(cache, merged)._df(keys).tolist() == expected()
    assert merged.tables(cache)[0] is not summed


def test_a_segment_lacks_exactly_the_terms_its_frequency_table_does_not_hold(copy_seed_library):
    """The search skips Whoosh's term lookup where the table proves a term absent: never for
    a term the segment has (the search would lose matches)."""
    library, _ = copy_seed_library()
    library.add_tags([1, 2], ["nlp"])  # a small second segment lacks most words
    cache = library.derived.index.segment_cache()
    assert len(cache.segments) > 1
    everywhere = set()
    for field in DF_FIELDS:
        everywhere |= {(field, t) for t in library.derived.index.searcher().reader().lexicon(field)}
    skipped = 0
    for index, segment in enumerate(cache.segments):
        reader = segment.searcher.reader()
        for field, btext in everywhere:
            has = reader.doc_frequency(field, btext) > 0 or (field, btext) in reader
            lacks = cache.lacks(index, field, btext)
            assert not (has and lacks), (index, field, btext)
            skipped += lacks
        assert cache.lacks(index, "abstract", b"no-such-word")
        assert not cache.lacks(index, "authors", b"no-such-word")  # no table: ask Whoosh
    assert skipped  # the small segment's missing words are skipped


def test_positions_read_one_run_at_a_time_as_whole_blocks_do(tmp_path: Path, docs):
    """A block longer than ``VALUES_RUN`` packs its positions in runs: one posting's value,
    asked alone (a phrase check), is what reading the whole block gives."""
    from reader.core.search.codec import VALUES_RUN

    ix = build(tmp_path / "array", ArrayCodec(), docs)

    def blocks() -> list:
        with ix.searcher() as searcher:
            matcher = searcher.reader().postings("body", "gamma")
            found = []
            while matcher.is_active():
                found.append(matcher.block())
                compat.next_block(matcher)
            return found

    whole, alone = blocks(), blocks()
    assert any(len(b.ids) > VALUES_RUN and bytes(b.packed_values[:1]) == b"s" for b in whole)
    for full, single in zip(whole, alone, strict=True):
        values = full.values()
        for i in reversed(range(len(single.ids))):  # runs decoded out of order
            assert single.value(i) == values[i]
        assert len(single._runs) == -(-len(single.ids) // single._run_size())
