"""The Whoosh internals the search relies on are there, on live objects, and a Whoosh
outside the versions they were read in is refused at import with a sentence."""

from __future__ import annotations

import inspect
import io
import os
import re

import pytest
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import RamStorage
from whoosh.filedb.structfile import StructFile
from whoosh.query import Prefix

from reader.core.search import whoosh_compat as compat
from reader.core.search.codec import BLOCK_POSTINGS, ArrayCodec, ArrayLeafMatcher
from reader.core.search.storage import MappedFile


def whoosh_gives(obj: object, name: str) -> bool:
    """Whether Whoosh itself gives ``obj`` the name: set on it, or defined by one of Whoosh's
    classes (our subclasses' overrides of a Whoosh method do not count)."""
    if name in vars(obj):
        return True
    return any(name in vars(k) for k in type(obj).__mro__ if k.__module__.startswith("whoosh."))


def test_every_private_name_the_search_relies_on_exists(copy_seed_library):
    library, _ = copy_seed_library()
    ix = library.derived.index.ix
    searcher = library.derived.index.searcher()
    reader = searcher.leaf_searchers()[0][0].reader()
    terms = compat.term_table(reader)
    (_, terminfo), *_ = terms.items_from("title", b"")
    fmt = searcher.schema["title"].format
    matcher = compat.raw_postings(reader, terminfo, fmt)
    codec = compat.segments(ix)[0].codec()
    writer = codec.postings_writer(StructFile(io.BytesIO()))
    writer.start_postings(fmt, whoosh3.W3TermInfo())
    ram = RamStorage()
    field_writer = codec.field_writer(ram, codec.new_segment(ram, "compat"))
    toc = next(name for name in ix.storage.list() if name.endswith(".toc"))
    mapped = ix.storage.open_file(toc)
    compound = compat.segment_storage(reader).a  # the seed's segments are compound files
    segment_writer = compat.lockless_writer(ix)
    live = {
        "segment reader": reader,
        "term table": terms,
        "postings matcher": matcher,
        "postings writer": writer,
        "field writer": field_writer,
        "codec": codec,
        "whoosh3 module": whoosh3,
        "BM25F": searcher.weighting,
        "per-document reader": compat.per_document(reader),
        "index": ix,
        "prefix query": Prefix("title", "lang"),
        "struct file": mapped,
        "file storage": ix.storage,
        "compound storage": compound,
        "segment writer": segment_writer,
    }
    assert set(live) == set(compat.PRIVATE_NAMES)
    assert isinstance(matcher, ArrayLeafMatcher) and isinstance(codec, ArrayCodec)
    missing = [
        f"{what}.{name}"
        for what, names in compat.PRIVATE_NAMES.items()
        for name in names
        if not whoosh_gives(live[what], name)
    ]
    assert not missing, f"Whoosh no longer has {missing}: update search/whoosh_compat.py"
    assert compat.segments(ix) and compat.prefix_terms(Prefix("title", "lang"), reader)
    assert 0 <= compat.field_b(searcher.weighting, "title") <= 1
    assert compat.per_document(reader).has_column(compat.length_column("title"))
    assert compat.block_limits(codec)[0] == BLOCK_POSTINGS
    assert compat.file_name(mapped) == toc
    assert isinstance(compat.compound_file(compound), MappedFile)
    assert os.path.isfile(compat.file_path(ix.storage, toc))
    mapped.close()
    field_writer.close()
    segment_writer.cancel()


def test_every_private_parameter_the_search_passes_exists():
    from whoosh import writing

    missing = [
        f"{cls}({name}=)"
        for cls, names in compat.PRIVATE_PARAMETERS.items()
        for name in names
        if name not in inspect.signature(getattr(writing, cls)).parameters
    ]
    assert not missing, f"Whoosh no longer takes {missing}: update search/whoosh_compat.py"


def test_an_override_of_a_name_whoosh_lost_counts_as_missing():
    class Lost(whoosh3.W3LeafMatcher):
        def _read_ids_renamed(self) -> None: ...

    assert whoosh_gives(whoosh3, "_lenfield")
    assert not whoosh_gives(object.__new__(Lost), "_read_ids_renamed")


def test_a_whoosh_outside_the_supported_versions_is_refused_with_a_sentence():
    compat.check_version((2, 7, 5))
    for version in ((2, 7, 4), (2, 8, 0), (3, 0, 0)):
        expected = re.escape("whoosh-reloaded>=2.7.5,<2.8")
        with pytest.raises(compat.UnsupportedWhoosh, match=expected):
            compat.check_version(version)
