"""The non-copying Whoosh storage: file semantics, and an index read through it."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.query import Term

from reader.core.search import whoosh_compat as compat
from reader.core.search.storage import MappedFile, MappedStorage


def test_a_mapped_file_reads_seeks_and_unpickles(tmp_path: Path):
    payload = b"head\nline two\n" + pickle.dumps({"a": 1}) + b"tail"
    (tmp_path / "f").write_bytes(payload)
    f = MappedFile.open(str(tmp_path / "f"), "f")
    assert f.readline() == b"head\n"
    assert f.read(4) == b"line"
    assert f.tell() == 9
    f.seek(14)
    assert f.read_pickle() == {"a": 1}
    assert f.read() == b"tail"
    assert f.read(10) == b""
    assert f.seek(-4, os.SEEK_END) == len(payload) - 4
    assert f.get(0, 4) == b"head"
    sub = f.subset(5, 8)
    assert sub.read() == b"line two"
    assert sub.get(5, 3) == b"two"
    sub.close()
    f.close()


def test_an_empty_file_opens(tmp_path: Path):
    (tmp_path / "empty").write_bytes(b"")
    f = MappedFile.open(str(tmp_path / "empty"), "empty")
    assert f.read() == b""
    f.close()


def test_segments_are_read_as_views_of_one_mapping(tmp_path: Path):
    ix = MappedStorage(str(tmp_path)).create_index(
        Schema(id=ID(stored=True), body=TEXT(stored=True))
    )
    w = ix.writer()
    for i in range(50):
        w.add_document(id=str(i), body=f"word{i} common")
    w.commit(merge=False)
    w = ix.writer()
    w.add_document(id="50", body="common rare")
    w.commit(merge=False)
    with ix.searcher() as s:
        readers = [r for r, _ in s.reader().leaf_readers()]
        assert len(readers) == 2
        for reader in readers:
            storage = compat.segment_storage(reader).a  # the segment, then the folder
            assert isinstance(storage, CompoundStorage)
            assert isinstance(compat.compound_file(storage), MappedFile)
        hits = s.search(Term("body", "common"), limit=None)
        assert len(hits) == 51
        assert [h["id"] for h in s.search(Term("body", "rare"))] == ["50"]


def test_each_thread_reads_a_shared_file_from_its_own_position(tmp_path: Path):
    """The window's jobs share one searcher: one thread's seek between another's seek and
    read must not move the other's position (it unpickled the wrong bytes at 1M papers)."""
    payload = b"head\nline two\n" + pickle.dumps({"a": 1}) + b"tail"
    (tmp_path / "f").write_bytes(payload)
    f = MappedFile.open(str(tmp_path / "f"), "f")
    sought, moved = threading.Event(), threading.Event()
    got: list[object] = []

    def reader() -> None:
        f.seek(14)
        sought.set()
        moved.wait(5)
        got.append(f.read_pickle())

    thread = threading.Thread(target=reader)
    thread.start()
    sought.wait(5)
    f.seek(0)  # this thread, between the other's seek and its read
    assert f.read(4) == b"head"
    moved.set()
    thread.join(5)
    assert got == [{"a": 1}]
    assert f.tell() == 4
    f.close()
