"""A Whoosh codec whose posting blocks are flat arrays instead of pickled tuples.

Whoosh 3's codec pickles each block of postings as a tuple of Python ints, floats and one
bytes object per posting (its positions), zlib-compressed. Unpickling those objects was
three quarters of a common-word query at 100k papers (``language model``: 5,800 blocks,
0.74M objects, ~140 ms). Here a block holds three byte strings: the ids as unsigned
ints, the weights as uint16 or float32 (or nothing when all are 1), and the positions as
one zlib-compressed blob with offsets, decompressed only when a phrase is verified. The
block framing, term infos and everything else are Whoosh's own, so Whoosh's matchers read
these postings too (through ``ArrayLeafMatcher``) and merges write them again.

Segments remember the codec that wrote them (it is pickled into the index's table of
contents), so an index is either all this format or, written by an older version, rebuilt.
"""

from __future__ import annotations

import zlib
from array import array
from dataclasses import dataclass
from itertools import accumulate, pairwise
from pickle import loads
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PostingsWriter

BLOCK_POSTINGS = 1024  # Whoosh's 128 made per-block overhead dominate long postings
_VALUES_COMPRESSION = 3
_COMPRESS_FROM = 128  # bytes of positions; below this zlib's overhead outweighs the gain


def _pack_ints(values: list[int]) -> bytes:
    """Unsigned ints as ``H`` (uint16) or ``I`` (uint32) plus their bytes.

    Plain ``array``, not numpy: most blocks hold a handful of postings (rare terms), where
    numpy's per-call overhead made building the index 25 % slower."""
    code = "H" if max(values) < 1 << 16 else "I"
    return code.encode() + array(code, values).tobytes()


def _unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.dtype(chr(data[0])), offset=1)


def _pack_values(values: list[bytes]) -> bytes:
    blob = array("I", accumulate(map(len, values))).tobytes() + b"".join(values)
    if len(blob) < _COMPRESS_FROM:
        return b"r" + blob
    return b"z" + zlib.compress(blob, _VALUES_COMPRESSION)


def _unpack_values(packed: bytes) -> bytes:
    return zlib.decompress(packed[1:]) if packed[:1] == b"z" else packed[1:]


@dataclass
class Block:
    """One block of postings as arrays; positions stay packed until asked for."""

    ids: np.ndarray
    weights: np.ndarray
    packed_values: bytes | None
    _values: tuple[bytes, ...] | None = None
    _raw: bytes | None = None  # every value's bytes, one after the other
    _ends: np.ndarray | None = None  # where each value ends in ``_raw``

    def value(self, i: int) -> bytes:
        """The ``i``-th posting's value (its encoded positions), without the others."""
        if self._values is not None:
            return self._values[i]
        raw, ends = self._unpacked()
        start = int(ends[i - 1]) if i else 0
        return raw[start : int(ends[i])]

    def values(self) -> tuple[bytes, ...]:
        """Every posting's value, as Whoosh's matchers read them."""
        if self._values is None:
            raw, ends = self._unpacked()
            starts = [0, *ends[:-1].tolist()]
            pairs = zip(starts, ends.tolist(), strict=True)
            self._values = tuple(raw[start:end] for start, end in pairs)
        return self._values

    def _unpacked(self) -> tuple[bytes, np.ndarray]:
        """The values' bytes and where each one ends."""
        if self._raw is None:
            count = len(self.ids)
            if self.packed_values is None:
                self._raw, self._ends = b"", np.zeros(count, dtype=np.uint32)
            else:
                blob = _unpack_values(self.packed_values)
                self._raw = blob[4 * count :]
                self._ends = np.frombuffer(blob, dtype=np.uint32, count=count)
        return self._raw, self._ends


def decode_block(data: bytes, count: int) -> Block:
    """A block's data as written by ``ArrayPostingsWriter`` (after Whoosh's framing)."""
    ids, weights, values = loads(data)
    if weights is None:
        weight_array = np.ones(count)
    elif isinstance(weights, float):
        weight_array = np.full(count, weights)
    else:
        weight_array = _unpack(weights).astype(np.float64)
    return Block(np.cumsum(_unpack(ids), dtype=np.int64), weight_array, values)


class ArrayPostingsWriter(W3PostingsWriter):
    """Writes each block's ids, weights and values as packed arrays (see module doc)."""

    def _mini_ids(self) -> bytes:  # type: ignore[override]
        ids = self._ids
        return _pack_ints([ids[0], *(b - a for a, b in pairwise(ids))])

    def _mini_weights(self) -> bytes | float | None:  # type: ignore[override]
        weights = self._weights  # array("f")
        first = weights[0]
        if all(w == first for w in weights):
            return None if first == 1.0 else first
        if all(w.is_integer() and 0 <= w < 1 << 16 for w in weights):
            return _pack_ints([int(w) for w in weights])
        return b"f" + weights.tobytes()

    def _mini_values(self) -> bytes | None:  # type: ignore[override]
        if self._format.fixed_value_size() == 0 or not self._values:
            return None
        return _pack_values(self._values)


class ArrayLeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher over ``ArrayPostingsWriter`` blocks."""

    _block: Block | None = None

    def _goto(self, position: int) -> None:
        self._block = None
        super()._goto(position)

    def block(self) -> Block:
        """The current block, decoded once."""
        if self._block is None:
            data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
            self._block = decode_block(data, self._blocklength)
        return self._block

    def _read_ids(self) -> None:
        self._ids = self.block().ids.tolist()

    def _read_weights(self) -> None:
        self._weights = self.block().weights.tolist()

    def _read_values(self) -> None:
        if self._fixedsize == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = self.block().values()


class ArrayCodec(W3Codec):
    """Whoosh 3's codec with array posting blocks (term vectors, unused here, are not)."""

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_POSTINGS, compression=0)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        if byteids:
            raise ValueError("term vectors are not supported by this codec")
        return ArrayPostingsWriter(
            dbfile, blocklimit=self._blocklimit, compression=0, inlinelimit=self._inlinelimit
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
