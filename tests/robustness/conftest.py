"""Fixtures for the robustness tests: real arXiv lines, library dumps, kill reports."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from itertools import islice
from pathlib import Path

import pytest

from reader.core.search import whoosh_compat as compat
from tests.conftest import SHARED

CS_LISTINGS = "arxiv-daily-listings/cs_ai_listings_sample.jsonl.gz"
KAGGLE_SAMPLE = "arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json"


def real_lines(count: int, name: str = CS_LISTINGS) -> list[bytes]:
    """The first ``count`` lines of a real JSON-lines file in ../shared/data."""
    if SHARED is None:
        pytest.skip("../shared data not found; set PAPER_READER_SHARED")
    path = SHARED / "data" / name
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        lines = list(islice(f, count))
    assert len(lines) == count, f"{path} has fewer than {count} lines"
    return lines


def write_lines(path: Path, lines: list[bytes]) -> tuple[Path, list[str]]:
    """Write the lines; return the file and the arXiv ids in file order."""
    path.write_bytes(b"".join(lines))
    return path, [json.loads(line)["id"] for line in lines]


def library_dump(folder: Path) -> dict[str, list[tuple[object, ...]]]:
    """What a library holds, minus what legitimately differs between two runs that ended in
    the same state (change stamps, times, which import batch wrote a listing)."""
    conn = sqlite3.connect(f"file:{folder / 'library.sqlite'}?mode=ro", uri=True)
    try:
        columns = [
            row[1]
            for row in conn.execute("PRAGMA table_info(papers)")
            if row[1] not in ("rev", "added_at")
        ]
        queries = {
            "papers": f"SELECT {', '.join(columns)} FROM papers ORDER BY id",
            "listings": "SELECT l.paper_id, s.name, s.kind, l.listed_on, l.position FROM listings l"
            " JOIN sources s ON s.id = l.source_id ORDER BY l.paper_id, s.name, l.position",
            "tags": "SELECT pt.paper_id, t.name FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id"
            " ORDER BY pt.paper_id, t.name",
            "duplicates": "SELECT paper_id, other_id, score, status FROM duplicate_candidates"
            " ORDER BY paper_id, other_id",
        }
        return {name: [tuple(r) for r in conn.execute(sql)] for name, sql in queries.items()}
    finally:
        conn.close()


def store_is_sound(folder: Path) -> None:
    """SQLite's own checks: the file is intact and no row points at a missing one."""
    conn = sqlite3.connect(folder / "library.sqlite")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def index_leftovers(folder: Path) -> int:
    """Files in the index folder that its current table of contents does not use: what a
    kill in the middle of an index commit leaves (the next commit clears them)."""
    from whoosh import index as whoosh_index

    path = folder / "index"
    if not whoosh_index.exists_in(str(path)):
        return 0
    ix = whoosh_index.open_dir(str(path))
    used = {s.segment_id() for s in compat.segments(ix)}
    toc = f"_MAIN_{ix.latest_generation()}.toc"
    return sum(
        1
        for f in path.iterdir()
        if f.name not in (toc, "MAIN_WRITELOCK") and f.name.split(".")[0] not in used
    )


@pytest.fixture
def kill_report():
    """Appends one JSON line per kill trial to $PAPER_READER_KILL_REPORT (if set)."""
    target = os.environ.get("PAPER_READER_KILL_REPORT")

    def report(**fields: object) -> None:
        print(json.dumps(fields))
        if target:
            with open(target, "a", encoding="utf-8") as f:
                f.write(json.dumps(fields) + "\n")

    return report
