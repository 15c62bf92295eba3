"""The Whoosh internals the search relies on are there, on live objects, and a Whoosh
outside the versions they were read in is refused at import with a sentence."""

from __future__ import annotations

import re

import pytest
from whoosh.query import Prefix

from reader.core.search import whoosh_compat as compat


def test_every_private_name_the_search_relies_on_exists(copy_seed_library):
    library, _ = copy_seed_library()
    ix = library.index.ix
    searcher = library.index.searcher()
    reader = searcher.leaf_searchers()[0][0].reader()
    terms = compat.term_table(reader)
    (_, terminfo), *_ = terms.items_from("title", b"")
    fmt = searcher.schema["title"].format
    live = {
        "segment reader": reader,
        "term table": terms,
        "postings matcher": compat.raw_postings(reader, terminfo, fmt),
        "BM25F": searcher.weighting,
        "per-document reader": compat.per_document(reader),
        "index": ix,
        "prefix query": Prefix("title", "lang"),
    }
    assert set(live) == set(compat.PRIVATE_NAMES)
    missing = [
        f"{what}.{name}"
        for what, names in compat.PRIVATE_NAMES.items()
        for name in names
        if not hasattr(live[what], name)
    ]
    assert not missing, f"Whoosh no longer has {missing}: update search/whoosh_compat.py"
    assert compat.segments(ix) and compat.prefix_terms(Prefix("title", "lang"), reader)
    assert 0 <= compat.field_b(searcher.weighting, "title") <= 1


def test_a_whoosh_outside_the_supported_versions_is_refused_with_a_sentence():
    compat.check_version((2, 7, 5))
    for version in ((2, 7, 4), (2, 8, 0), (3, 0, 0)):
        expected = re.escape("whoosh-reloaded>=2.7.5,<2.8")
        with pytest.raises(compat.UnsupportedWhoosh, match=expected):
            compat.check_version(version)
