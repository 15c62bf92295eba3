"""A Whoosh codec whose posting blocks are flat arrays instead of pickled tuples.

Whoosh 3's codec pickles each block of postings as a tuple of Python ints, floats and one
bytes object per posting (its positions), zlib-compressed. Unpickling those objects was
three quarters of a common-word query at 100k papers (``language model``: 5,800 blocks,
0.74M objects, ~140 ms). Here a block's data is a small header and three sections: the
ids (deltas) as uint16 or uint32, the weights as uint16 or float32 (or nothing when all
are equal), and the positions as one zlib-compressed blob with offsets, decompressed only
when a phrase is verified. Read from a memory-mapped file, the arrays are views of the
mapping: nothing is copied or unpickled per block. Whoosh's block framing (length, pickled
block info), term infos and everything else are Whoosh's own, so Whoosh's matchers read
these postings too (through ``ArrayLeafMatcher``) and merges write them again.

Segments remember the codec that wrote them (it is pickled into the index's table of
contents, with ``FORMAT``), so an index written by another version is rebuilt.
"""

from __future__ import annotations

import dataclasses
import shutil
import struct
import zlib
from array import array
from dataclasses import dataclass
from hashlib import blake2b
from itertools import accumulate, pairwise
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.compound import CompoundStorage
from whoosh.util.numeric import byte_to_length

from reader.core.search import whoosh_compat as compat
from reader.core.search.keyterms import FIELD_COUNTS, KEY_EXT, KeyTermCollector

# Postings per block: per-block costs dominated long postings (Whoosh's 128; 1024 took 84 ms
# for ``language model`` at 1M papers, 8192 55 ms). Blocks are self-describing, so an index
# of smaller blocks reads the same.
BLOCK_POSTINGS = 8192
VALUES_RUN = 1024  # positions compressed per this many postings (``_pack_values``)
COMPOUND_ALIGN = 64  # where each file starts in a compound segment (``AlignedSegment``)
_VALUES_COMPRESSION = 3
# Fields whose document frequencies each segment also keeps in a table of its own: the
# related-papers tf-idf looks up hundreds of words per paper, and Whoosh's per-segment hash
# lookups (two fields x every segment per word) made that 90 ms at 100k papers.
DF_FIELDS = ("title", "abstract")
DF_EXT = ".dfs"
_COUNT = struct.Struct("<I")
_HEADER = struct.Struct("<III")  # byte lengths of a block's ids, weights and values
_CONSTANT = struct.Struct("<d")
_COMPRESS_FROM = 128  # bytes of positions; below this zlib's overhead outweighs the gain


def _pack_ints(values: list[int]) -> bytes:
    """Unsigned ints as ``H`` (uint16) or ``I`` (uint32) plus their bytes.

    Plain ``array``, not numpy: most blocks hold a handful of postings (rare terms), where
    numpy's per-call overhead made building the index 25 % slower."""
    code = "H" if max(values) < 1 << 16 else "I"
    return code.encode() + array(code, values).tobytes()


def _unpack(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(data, dtype=np.dtype(chr(data[0])), offset=1)


def _pack_ids(ids: array[int]) -> bytes:
    """The ids as deltas, each from the one before (the first from 0)."""
    return _pack_ints([ids[0], *(b - a for a, b in pairwise(ids))])


def _pack_weights(weights: array[float]) -> bytes:
    first = weights[0]
    if all(w == first for w in weights):
        return b"" if first == 1.0 else b"c" + _CONSTANT.pack(first)
    if all(w.is_integer() and 0 <= w < 1 << 16 for w in weights):
        return _pack_ints([int(w) for w in weights])
    return b"f" + weights.tobytes()


def _pack_values(values: list[bytes]) -> bytes:
    """A block's values, in runs of ``VALUES_RUN`` packed apart (marker ``s``) when there
    are more: checking a phrase in one document then decompresses one run, not the block."""
    if len(values) <= VALUES_RUN:
        return _pack_run(values)
    runs = [_pack_run(values[at : at + VALUES_RUN]) for at in range(0, len(values), VALUES_RUN)]
    offsets = array("I", accumulate(map(len, runs), initial=0))
    return b"s" + _COUNT.pack(len(runs)) + offsets.tobytes() + b"".join(runs)


def _pack_run(values: list[bytes]) -> bytes:
    """Values as one blob: where each ends, then their bytes; zlib-compressed (``z``) when
    long enough to gain from it, else raw (``r``)."""
    blob = array("I", accumulate(map(len, values))).tobytes() + b"".join(values)
    if len(blob) < _COMPRESS_FROM:
        return b"r" + blob
    return b"z" + zlib.compress(blob, _VALUES_COMPRESSION)


def _unpack_run(packed: bytes | memoryview, count: int) -> tuple[bytes, np.ndarray]:
    """A run's ``count`` values' bytes, and where each one ends in them."""
    blob = zlib.decompress(packed[1:]) if packed[0] == ord("z") else bytes(packed[1:])
    return blob[4 * count :], np.frombuffer(blob, dtype=np.uint32, count=count)


@dataclass
class Block:
    """One block of postings as arrays; positions stay packed until asked for, a run of
    them at a time."""

    ids: np.ndarray
    weights: np.ndarray
    packed_values: bytes | memoryview | None
    _values: tuple[bytes, ...] | None = None
    # run number -> its values' bytes, one after the other, and where each ends in them
    _runs: dict[int, tuple[bytes, np.ndarray]] = dataclasses.field(default_factory=dict)

    def value(self, i: int) -> bytes:
        """The ``i``-th posting's value (its encoded positions), without the others."""
        if self._values is not None:
            return self._values[i]
        size = self._run_size()
        raw, ends = self._run(i // size)
        at = i % size
        start = int(ends[at - 1]) if at else 0
        return raw[start : int(ends[at])]

    def values(self) -> tuple[bytes, ...]:
        """Every posting's value, as Whoosh's matchers read them."""
        if self._values is None:
            found: list[bytes] = []
            for run in range(-(-len(self.ids) // self._run_size())):
                raw, ends = self._run(run)
                starts = [0, *ends[:-1].tolist()]
                found += [raw[a:b] for a, b in zip(starts, ends.tolist(), strict=True)]
            self._values = tuple(found)
        return self._values

    def _run_size(self) -> int:
        packed = self.packed_values
        chunked = packed is not None and packed[0] == ord("s")
        return VALUES_RUN if chunked else max(len(self.ids), 1)

    def _run(self, run: int) -> tuple[bytes, np.ndarray]:
        found = self._runs.get(run)
        if found is None:
            packed, count = self.packed_values, len(self.ids)
            if packed is None:
                found = (b"", np.zeros(count, dtype=np.uint32))
            elif packed[0] == ord("s"):
                (runs,) = _COUNT.unpack_from(packed, 1)
                offsets = np.frombuffer(packed, np.uint32, runs + 1, 1 + _COUNT.size)
                base = 1 + _COUNT.size + 4 * (runs + 1)
                part = packed[base + int(offsets[run]) : base + int(offsets[run + 1])]
                found = _unpack_run(part, min(VALUES_RUN, count - run * VALUES_RUN))
            else:
                found = _unpack_run(packed, count)
            self._runs[run] = found
        return found


def decode_block(data: bytes | memoryview, count: int) -> Block:
    """A block's data as written by ``ArrayPostingsWriter.encode``."""
    id_bytes, weight_bytes, value_bytes = _HEADER.unpack_from(data)
    at = _HEADER.size
    ids = _unpack(data[at : at + id_bytes])
    at += id_bytes
    weights = data[at : at + weight_bytes]
    at += weight_bytes
    if not weights:
        weight_array = np.ones(count)
    elif weights[0] == ord("c"):  # one weight for every posting
        weight_array = np.full(count, _CONSTANT.unpack_from(weights, 1)[0])
    else:
        weight_array = _unpack(weights).astype(np.float64)
    values = data[at : at + value_bytes] if value_bytes else None
    return Block(np.cumsum(ids, dtype=np.int64), weight_array, values)


class ArrayPostingsWriter(compat.BlockPostingsWriter):
    """Writes each block's ids, weights and values as packed arrays (see module doc)."""

    def encode(self, ids: array[int], weights: array[float], values: list[bytes] | None) -> bytes:
        packed = (_pack_ids(ids), _pack_weights(weights), _pack_values(values) if values else b"")
        return _HEADER.pack(*map(len, packed)) + b"".join(packed)


class ArrayLeafMatcher(compat.BlockLeafMatcher[Block]):
    """Whoosh's block matcher over ``ArrayPostingsWriter`` blocks."""

    def decode(self, data: bytes | memoryview, count: int) -> Block:
        return decode_block(data, count)


def length_codes(perdoc: Any, fieldname: str) -> np.ndarray | None:
    """A field's length byte for every document of a segment (Whoosh's lossy one-byte
    lengths), from its per-document reader; None if no document has the field."""
    column = compat.length_column(fieldname)
    if not perdoc.has_column(column):
        return None
    colfile, offset, length = compat.column_file(perdoc, column)
    codes = np.zeros(perdoc.doc_count_all(), dtype=np.uint8)
    raw = np.frombuffer(colfile.get(offset, length), dtype=np.uint8)[: len(codes)]
    codes[: len(raw)] = raw
    return codes


_BYTE_LENGTHS = [byte_to_length(code) if code else None for code in range(256)]


class _ColumnLengths:
    """``doc_field_length`` from each field's length column read whole, once: Whoosh's
    own reads one byte back per posting while writing a segment (12 % of indexing)."""

    def __init__(self, perdoc: Any) -> None:
        self._columns = perdoc
        self._fields: dict[str, list[int | None] | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        if fieldname not in self._fields:
            codes = length_codes(self._columns, fieldname)
            self._fields[fieldname] = (
                None if codes is None else [_BYTE_LENGTHS[c] for c in codes.tolist()]
            )
        column = self._fields[fieldname]
        return default if column is None else column[docnum]


def term_hash(btext: bytes) -> int:
    """A stable 64-bit key for a term (``DF_EXT`` tables are sorted by it)."""
    return int.from_bytes(blake2b(btext, digest_size=8).digest(), "little")


class ArrayFieldWriter(compat.TermFieldWriter):
    """Whoosh's field writer, plus the segment's ``DF_EXT`` table of document frequencies
    and its ``keyterms.KEY_EXT`` table of each paper's key words."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._frequencies: dict[str, tuple[list[int], list[int]]] = {f: ([], []) for f in DF_FIELDS}
        self._key_terms = KeyTermCollector(term_hash)

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        self._key_terms.boosts = {
            f: schema[f].format.field_boost for f in FIELD_COUNTS if f in schema
        }
        super().add_postings(
            schema, _ColumnLengths(lengths) if lengths else None, self._collected(items)
        )

    def _collected(self, items: Any) -> Any:
        """The postings, passed on after their counts reach the key-term collector."""
        posting = self._key_terms.posting
        for item in items:
            posting(item[0], item[2], item[3])
            yield item

    def term_written(self, fieldname: str, btext: bytes, terminfo: Any) -> None:
        table = self._frequencies.get(fieldname)
        if table is not None:
            digest = term_hash(btext)
            table[0].append(digest)
            table[1].append(terminfo.doc_frequency())
            self._key_terms.term(fieldname, digest, terminfo.doc_frequency())

    def close(self) -> None:
        parts = []
        for field in DF_FIELDS:
            hashes = np.array(self._frequencies[field][0], dtype=np.uint64)
            counts = np.array(self._frequencies[field][1], dtype=np.uint32)
            order = np.argsort(hashes)
            parts += [_COUNT.pack(len(hashes)), hashes[order].tobytes(), counts[order].tobytes()]
        for ext, data in ((DF_EXT, b"".join(parts)), (KEY_EXT, self._key_terms.to_bytes())):
            out = self.create_file(ext)
            out.write(data)
            out.close()
        super().close()


# For each of ``DF_FIELDS``: the sorted term hashes and their document frequencies.
FrequencyTables = dict[str, tuple[np.ndarray, np.ndarray]]


def document_frequencies(reader: Any) -> FrequencyTables | None:
    """A segment's ``DF_EXT`` table: for each of ``DF_FIELDS``, the sorted term hashes and
    their document frequencies (None for a segment without one)."""
    segment = reader.segment()
    if segment is None:  # an empty index
        return {f: (np.zeros(0, np.uint64), np.zeros(0, np.uint32)) for f in DF_FIELDS}
    try:
        data = segment.open_file(reader.storage(), DF_EXT).read()
    except (OSError, NameError, KeyError):  # not in this segment (plain or compound)
        return None
    tables, at = {}, 0
    for field in DF_FIELDS:
        (count,) = _COUNT.unpack_from(data, at)
        at += _COUNT.size
        # copied: the table sits at 4-byte offsets, and numpy copies an unaligned array on
        # every search of it (46 µs a term lookup at 100k papers, not 1)
        hashes = np.frombuffer(data, dtype=np.uint64, count=count, offset=at).copy()
        at += 8 * count
        counts = np.frombuffer(data, dtype=np.uint32, count=count, offset=at).copy()
        tables[field] = (hashes, counts)
        at += 4 * count
    return tables


class ArrayCodec(W3Codec):
    """Whoosh 3's codec with array posting blocks (term vectors, unused here, are not)."""

    # of the block data and the key-term tables; pickled with each segment (``written_here``)
    FORMAT = 4

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_POSTINGS, compression=0)
        self.format = self.FORMAT

    def new_segment(self, storage: Any, indexname: str) -> AlignedSegment:
        return AlignedSegment(self, indexname)

    def field_writer(self, storage: Any, segment: Any) -> ArrayFieldWriter:
        return ArrayFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> ArrayPostingsWriter:
        if byteids:
            raise ValueError("term vectors are not supported by this codec")
        blocklimit, inlinelimit = compat.block_limits(self)
        return ArrayPostingsWriter(
            dbfile, blocklimit=blocklimit, compression=0, inlinelimit=inlinelimit
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class AlignedSegment(W3Segment):
    """A segment whose compound file starts each of its files at a multiple of
    ``COMPOUND_ALIGN`` bytes. Whoosh packs them end to end, so the key-term table's arrays,
    read in place from the mapping, sat at odd addresses, and numpy gathers from an
    unaligned array ~5x slower (0.31 ms against 0.06 for one query's 35k postings)."""

    def create_compound_file(self, storage: Any) -> None:
        names = self.list_files(storage)
        out = self.create_file(storage, self.COMPOUND_EXT)
        directory = {}
        out.write_long(0)  # where the directory is and its length, as Whoosh's
        out.write_int(0)
        for name in names:
            out.write(bytes(-out.tell() % COMPOUND_ALIGN))
            directory[name] = {
                "offset": out.tell(),
                "length": storage.file_length(name),
                "modified": storage.file_modified(name),
            }
            part = storage.open_file(name)
            shutil.copyfileobj(part, out)
            part.close()
        CompoundStorage.write_dir(out, 0, directory)
        for name in names:
            storage.delete_file(name)
        self.compound = True


def written_here(codec: object) -> bool:
    """Whether a segment's codec is this module's, at this block format."""
    return isinstance(codec, ArrayCodec) and getattr(codec, "format", None) == ArrayCodec.FORMAT
