"""The one door to Whoosh's internals that the search reads and extends through.

The evaluator (``vectorized.py``), the index (``index.py``) and the query parser read a few
private parts of Whoosh's segment readers: the term table, the per-document columns, the raw
postings reader, the BM25F per-field B values, an index's segment list, a prefix's terms.
The array codec (``codec.py``) and the mapped storage (``storage.py``) extend Whoosh's
codec and file classes: the bases here hook into Whoosh's private methods and attributes
and hand them on under names of ours (``BlockPostingsWriter.encode``,
``BlockLeafMatcher.decode``, ``TermFieldWriter.term_written``). All of it is reached only
through this module, checked against the Whoosh version it was written for at import, so
that an upgrade fails in one place with a sentence saying what to do. ``PRIVATE_NAMES``
lists what is relied on; tests/core/test_whoosh_compat.py fails when any of it is missing.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from pickle import dumps
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import whoosh
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
)
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

SUPPORTED = ((2, 7, 5), (2, 8, 0))  # [first, last): the versions these internals were read in
PRIVATE_NAMES = {
    # object: the private names it must have (checked on live objects by the test)
    "segment reader": ("_terms", "_perdoc", "_storage"),
    "term table": ("_codec", "_postfile"),
    "postings matcher": (
        *("_next_block", "_goto", "_read_ids", "_read_weights", "_read_values"),
        *("_postfile", "_dataoffset", "_nextoffset", "_blocklength", "_fixedsize"),
        *("_ids", "_weights", "_values"),
    ),
    "postings writer": (
        *("_write_block", "_new_block", "_postfile", "_blockcount", "_terminfo", "_format"),
        *("_ids", "_weights", "_values", "_maxweight", "_minlength", "_maxlength"),
    ),
    "field writer": ("_create_file", "_postwriter", "_tindex", "_fieldid", "_fieldname", "_btext"),
    "codec": ("_blocklimit", "_inlinelimit"),
    "whoosh3 module": ("_lenfield",),
    "BM25F": ("_field_B",),
    "per-document reader": ("_get_column_file",),
    "index": ("_segments",),
    "prefix query": ("_btexts",),
    "struct file": ("_name",),
    "file storage": ("_fpath",),
    "compound storage": ("_file",),
    "segment writer": ("_finalize_segment", "_close_segment", "_commit_toc", "_finish", "_added"),
}
# Keyword arguments of Whoosh's that are private too (checked on the signatures by the test).
PRIVATE_PARAMETERS = {"SegmentWriter": ("_lk",)}


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


# -- reading ----------------------------------------------------------------------------------


def term_table(reader: Any) -> Any:
    """A segment reader's term table (term -> term info, sorted, with ``items_from``)."""
    return reader._terms


def terms_with_prefix(reader: Any, fieldname: str, prefix: bytes) -> Iterator[tuple[bytes, Any]]:
    """(term, term info) of each of a segment's terms of the field starting with ``prefix``,
    in order: one walk of its sorted term table."""
    if fieldname not in reader.indexed_field_names():
        return
    for (name, btext), terminfo in term_table(reader).items_from(fieldname, prefix):
        if name != fieldname or not btext.startswith(prefix):
            return
        yield btext, terminfo


def per_document(reader: Any) -> Any:
    """A segment reader's per-document columns (field lengths)."""
    return reader._perdoc


def column_file(perdoc: Any, column: str) -> tuple[Any, int, int]:
    """(file, offset, length) of a per-document column's bytes."""
    return perdoc._get_column_file(column)


def length_column(fieldname: str) -> str:
    """The name of the per-document column holding a field's length bytes."""
    return whoosh3._lenfield(fieldname)


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


# -- the codec --------------------------------------------------------------------------------


def block_limits(codec: Any) -> tuple[int, int]:
    """A Whoosh 3 codec's postings per block, and the count below which a term's postings
    are inlined in its term info instead."""
    return codec._blocklimit, codec._inlinelimit


class BlockPostingsWriter(W3PostingsWriter):
    """Whoosh 3's postings writer with Whoosh's block framing (magic, block length, pickled
    block info) around block data that a subclass encodes in ``encode``."""

    def encode(self, ids: array[int], weights: array[float], values: list[bytes] | None) -> bytes:
        """A block's data from its postings (``values`` None: the format stores none)."""
        raise NotImplementedError

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        stored = self._format.fixed_value_size() != 0
        data = self.encode(self._ids, self._weights, self._values if stored else None)
        info = dumps(
            (
                len(self._ids),
                self._ids[-1],
                self._maxweight,
                0,  # Whoosh's block compression: none (the data is the subclass's own)
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)  # negative: the last block
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class DecodedBlock(Protocol):
    """A block of postings as ``BlockLeafMatcher.decode`` returns it."""

    ids: np.ndarray
    weights: np.ndarray

    def values(self) -> tuple[bytes, ...]: ...


B = TypeVar("B", bound=DecodedBlock)


class BlockLeafMatcher(W3LeafMatcher, Generic[B]):
    """Whoosh 3's block matcher over block data that a subclass decodes in ``decode``,
    once per block."""

    _block: B | None = None

    def decode(self, data: bytes | memoryview, count: int) -> B:
        """A block's data (``count`` postings) as written by ``BlockPostingsWriter.encode``."""
        raise NotImplementedError

    def block(self) -> B:
        """The current block, decoded once (from a view of the mapped file if it is one)."""
        if self._block is None:
            offset, length = self._dataoffset, self._nextoffset - self._dataoffset
            view = getattr(self._postfile, "view", None)
            data = view(offset, length) if view else self._postfile.get(offset, length)
            self._block = self.decode(data, self._blocklength)
        return self._block

    def _goto(self, position: int) -> None:
        self._block = None
        super()._goto(position)

    def _read_ids(self) -> None:
        self._ids = self.block().ids.tolist()

    def _read_weights(self) -> None:
        self._weights = self.block().weights.tolist()

    def _read_values(self) -> None:
        if self._fixedsize == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = self.block().values()


class TermFieldWriter(W3FieldWriter):
    """Whoosh 3's field writer, telling a subclass of each term it writes."""

    def finish_term(self) -> None:
        terminfo = self._postwriter.finish_postings()
        self._tindex.add(pack_ushort(self._fieldid) + self._btext, terminfo.to_bytes())
        self.term_written(self._fieldname, self._btext, terminfo)

    def term_written(self, fieldname: str, btext: bytes, terminfo: Any) -> None:
        """After a term's postings and term info are written."""

    def create_file(self, ext: str) -> Any:
        """A new file of this segment, named with ``ext``."""
        return self._create_file(ext)


# -- segments written in other processes -------------------------------------------------------


def lockless_writer(ix: Any, **options: Any) -> SegmentWriter:
    """A writer of one new segment that takes no lock: the process that will commit the
    segment holds the index's lock (Whoosh's own multiprocessing writer does the same)."""
    return SegmentWriter(ix, _lk=False, **options)


def finish_segment(writer: SegmentWriter) -> Any:
    """Write out a lockless writer's segment and return it, uncommitted."""
    return writer._finalize_segment()


def commit_with(writer: SegmentWriter, segments: list[Any]) -> None:
    """Commit ``writer`` (its deletions and its own documents) with ``segments`` finished in
    other processes added to the table of contents, without merging; a segment whose every
    document is deleted (an old progress marker's) is dropped."""
    kept = [s for s in writer.segments if s.doc_count() > 0]
    if writer._added:
        kept.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc([*kept, *segments])
    writer._finish()


# -- storage ----------------------------------------------------------------------------------


def file_name(structfile: Any) -> str | None:
    """The name a Whoosh ``StructFile`` was made with."""
    return structfile._name


def file_path(storage: Any, name: str) -> str:
    """The path of a file in a Whoosh ``FileStorage``, as its own methods make it."""
    return storage._fpath(name)


def segment_storage(reader: Any) -> Any:
    """Where a segment reader reads its files from (an ``OverlayStorage`` for a compound
    segment: the segment's file, then the index folder)."""
    return reader._storage


def compound_file(storage: Any) -> Any:
    """The one file a ``CompoundStorage`` holds its segment's files in."""
    return storage._file
