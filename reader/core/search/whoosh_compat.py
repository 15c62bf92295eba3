"""The one door to Whoosh's internals that the array search reads through.

The evaluator (``vectorized.py``), the index (``index.py``) and the query parser read a few
private parts of Whoosh's segment readers: the term table, the per-document columns, the raw
postings reader, the BM25F per-field B values, an index's segment list, a prefix's terms.
They are reached only through the functions here, checked against the Whoosh version they
were written for at import, so that an upgrade fails in one place with a sentence saying
what to do. ``PRIVATE_NAMES`` lists what is relied on; tests/core/test_whoosh_compat.py
fails when any of it is missing. (``codec.py`` and ``storage.py`` subclass Whoosh's codec and
file classes: those are extensions written against the same versions, checked here too.)
"""

from __future__ import annotations

from typing import Any

import whoosh

SUPPORTED = ((2, 7, 5), (2, 8, 0))  # [first, last): the versions these internals were read in
PRIVATE_NAMES = {
    # object: the private names it must have (checked on live objects by the test)
    "segment reader": ("_terms", "_perdoc"),
    "term table": ("_codec", "_postfile"),
    "postings matcher": ("_next_block",),
    "BM25F": ("_field_B",),
    "per-document reader": ("_get_column_file",),
    "index": ("_segments",),
    "prefix query": ("_btexts",),
}


class UnsupportedWhoosh(ImportError):
    pass


def check_version(version: tuple[int, ...] = whoosh.__version__) -> None:
    first, last = SUPPORTED
    if not first <= tuple(version) < last:
        found = ".".join(map(str, version))
        raise UnsupportedWhoosh(
            f"Paper Reader's search reads Whoosh internals written for whoosh-reloaded"
            f" {'.'.join(map(str, first))} up to {'.'.join(map(str, last))} (found {found});"
            " install a version in that range (pip install 'whoosh-reloaded>=2.7.5,<2.8')"
        )


check_version()


def term_table(reader: Any) -> Any:
    """A segment reader's term table (term -> term info, sorted, with ``items_from``)."""
    return reader._terms


def per_document(reader: Any) -> Any:
    """A segment reader's per-document columns (field lengths)."""
    return reader._perdoc


def column_file(perdoc: Any, column: str) -> tuple[Any, int, int]:
    """(file, offset, length) of a per-document column's bytes."""
    return perdoc._get_column_file(column)


def raw_postings(reader: Any, terminfo: Any, fmt: Any) -> Any:
    """A term's postings matcher over every posting, deleted documents included."""
    terms = term_table(reader)
    return terms._codec.postings_reader(terms._postfile, terminfo, fmt)


def next_block(matcher: Any) -> None:
    matcher._next_block()


def field_b(weighting: Any, fieldname: str) -> float:
    """BM25F's B for a field (its per-field value, else the default)."""
    return float(weighting._field_B.get(fieldname, weighting.B))


def segments(ix: Any) -> list[Any]:
    """An index's segments, as its table of contents lists them."""
    return list(ix._segments())


def prefix_terms(query: Any, reader: Any) -> list[bytes]:
    """A prefix query's terms in a reader, as bytes."""
    return list(query._btexts(reader))
