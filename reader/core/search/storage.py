"""A Whoosh file storage that reads segments through mmap without copying them.

Whoosh's ``FileStorage`` maps each compound segment file, but its ``BufferFile`` wraps
every sub-file (terms, postings) in a ``BytesIO``, which copies it: opening a searcher
on a 100k-paper index read ~800 MB into memory and took 0.3 s before the first query.
Here a file is a read-only view of the mapping; sub-files are slices of that view, and
bytes are copied only when a reader asks for them. Pages are loaded by the OS on demand.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import pickle
import threading
from array import array
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.system import IS_LITTLE

from reader.core.search import whoosh_compat as compat

_EMPTY = memoryview(b"")
_PICKLE_WINDOW = 512


class _Cursor(threading.local):
    """A file's read position, one per thread (see ``MappedFile``)."""

    pos = 0


class MappedFile(StructFile):
    """A read-only ``StructFile`` over a memoryview (of an mmap, or of a slice of one).

    Its position is kept per thread: the window's jobs share one searcher (the search, the
    related pane's term statistics, the progress marker), and Whoosh's readers seek and then
    read. With one shared position, a seek from one thread between another's seek and read
    made it unpickle the wrong bytes ("invalid load key") in the related pane at 1M papers.
    The bytes themselves never change (a segment is written once), so nothing else is shared.
    """

    def __init__(self, view: memoryview, name: str | None = None, source: Any = None) -> None:
        super().__init__(self, name)  # its own ``file``: StructFile's methods read through it
        self._view = view
        self._source = source  # the mmap this view belongs to (only on the root file)
        self._cursor = _Cursor()

    @classmethod
    def open(cls, path: str, name: str) -> MappedFile:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:  # an empty file cannot be mapped
                return cls(_EMPTY, name)
            source = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return cls(memoryview(source), name, source)

    def subset(self, offset: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._view[offset : offset + length], name or compat.file_name(self))

    # -- the file protocol -----------------------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        start = self._cursor.pos
        data = self._view[start:] if size is None or size < 0 else self._view[start : start + size]
        self._cursor.pos = start + len(data)
        return data.tobytes()

    def read_pickle(self) -> Any:
        """Unpickle from a small copied window (pickle's C reader), widened if too short:
        the codec reads a pickled header for every postings block."""
        start, window = self._cursor.pos, _PICKLE_WINDOW
        while True:
            chunk = io.BytesIO(self._view[start : start + window])
            try:
                value = pickle.load(chunk)
            except (EOFError, pickle.UnpicklingError, ValueError):
                if start + window >= len(self._view):
                    raise
                window *= 16
                continue
            self._cursor.pos = start + chunk.tell()
            return value

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self._view)
        if size is not None and size >= 0:
            end = min(end, self._cursor.pos + size)
        chunk = self._view[self._cursor.pos : end].tobytes()
        newline = chunk.find(b"\n")
        if newline >= 0:
            chunk = chunk[: newline + 1]
        self._cursor.pos += len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._cursor.pos
        elif whence == os.SEEK_END:
            offset += len(self._view)
        self._cursor.pos = max(0, offset)
        return self._cursor.pos

    def tell(self) -> int:
        return self._cursor.pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        self._view = _EMPTY
        if self._source is not None:
            # While a sub-file still holds a view, the mapping is unmapped by the GC later.
            with contextlib.suppress(BufferError):
                self._source.close()
            self._source = None

    # -- random access (what the codec's readers use most) -----------------------------------

    def get(self, position: int, length: int) -> bytes:
        return self._view[position : position + length].tobytes()

    def whole(self) -> memoryview:
        """The whole file without a copy (``keyterms.read_table`` reads a table so)."""
        return self._view

    def view(self, position: int, length: int) -> memoryview:
        """Bytes of the file without a copy (``codec.ArrayLeafMatcher`` reads blocks so)."""
        return self._view[position : position + length]

    def get_array(self, position: int, typecode: str, length: int) -> array[Any]:
        """Big-endian items, as Whoosh writes arrays (item sizes native, as Whoosh's)."""
        a = array(typecode)
        a.frombytes(self.get(position, length * a.itemsize))
        if IS_LITTLE:
            a.byteswap()
        return a

    def read_array(self, typecode: str, length: int) -> array[Any]:
        a = self.get_array(self._cursor.pos, typecode, length)
        self._cursor.pos += length * a.itemsize
        return a


class MappedStorage(FileStorage):
    """``FileStorage`` whose files (and compound segments' sub-files) are mmap views.

    ``supports_mmap`` is False so that Whoosh's ``CompoundStorage`` does not map the
    segment a second time, and takes its sub-files from ``MappedFile.subset`` instead.
    """

    supports_mmap = False

    def __init__(self, path: str, readonly: bool = False) -> None:
        super().__init__(path, supports_mmap=False, readonly=readonly)

    def open_file(self, name: str, **kwargs: Any) -> MappedFile:  # type: ignore[override]
        return MappedFile.open(compat.file_path(self, name), name)
