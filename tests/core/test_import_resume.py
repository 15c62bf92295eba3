"""An import killed mid-way resumes: the records its batches stored are skipped, not redone."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core import importing
from reader.core.library import Library

REPO = Path(__file__).resolve().parents[2]
RECORDS = 3000
BATCH = 100
BAD_LINE = 150  # a line that is not JSON: rejected, and counted among what a batch consumed

# The child imports with small batches and reports each one; it is killed mid-way.
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from reader.core import importing
    from reader.core.library import Library

    importing.BATCH_SIZE = int(sys.argv[3])
    with Library(Path(sys.argv[1])) as library:
        library.import_files(
            [Path(sys.argv[2])],
            index=False,
            progress=lambda p: print(p.records, flush=True),
        )
    """
)


def write_listings(path: Path, count: int) -> Path:
    """``count`` arXiv daily-listing lines, one bad line among them."""
    with path.open("w", encoding="utf-8") as f:
        for n in range(1, count + 1):
            if n == BAD_LINE:
                f.write("{not json\n")
                continue
            record = {
                "id": f"2401.{n:05d}",
                "title": f"Resumable imports, part {n} of a study in {n % 7} acts",
                "summary": f"Abstract number {n}.",
                "authors": [f"Author {n % 13}"],
                "categories": ["cs.DB"],
            }
            f.write(json.dumps(record) + "\n")
    return path


def import_and_kill(folder: Path, file: Path, after_records: int) -> None:
    """Import ``file`` in a child process and SIGKILL it once it has stored that many."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(file), str(BATCH)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if int(line) >= after_records:
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, "the import ended before it was killed"


def stored(folder: Path) -> tuple[list[str], int, list[tuple[str, int]]]:
    """The papers' arXiv ids, the number of listings, and each batch's (status, consumed)."""
    with sqlite3.connect(folder / "library.sqlite") as conn:
        ids = [r[0] for r in conn.execute("SELECT arxiv_id FROM papers ORDER BY id")]
        listings = conn.execute("SELECT count(*) FROM listings").fetchone()[0]
        batches = conn.execute("SELECT status, consumed FROM batches ORDER BY id").fetchall()
    return ids, listings, batches


def test_a_killed_import_resumes_after_the_records_it_stored(tmp_path: Path):
    file = write_listings(tmp_path / "listings.jsonl", RECORDS)
    folder = tmp_path / "lib"
    import_and_kill(folder, file, after_records=RECORDS // 3)
    ids, _, batches = stored(folder)
    assert [status for status, _ in batches] == ["running"]  # killed: nobody finished it
    consumed = batches[0][1]
    assert len(ids) == consumed - 1  # the bad line was consumed too, and rejected
    assert len(ids) >= RECORDS // 3 and len(ids) % BATCH == 0  # whole batches

    with Library(folder) as library:
        report = library.import_files([file], index=False)
    assert report.resumed == {str(file): consumed}
    # the stored prefix was skipped, not resolved again (it would count as unchanged)
    assert (report.added, report.merged, report.unchanged) == (RECORDS - consumed, 0, 0)
    assert report.rejected == 0  # the bad line was in the skipped part
    ids, listings, batches = stored(folder)
    expected = [f"2401.{n:05d}" for n in range(1, RECORDS + 1) if n != BAD_LINE]
    assert ids == expected  # every record stored exactly once, in file order
    assert listings == RECORDS - 1
    assert batches == [("interrupted", consumed), ("done", RECORDS)]
    assert report.as_dict()["resumed"] == {str(file): consumed}


def test_a_resumed_import_killed_again_resumes_from_its_own_progress(tmp_path: Path):
    file = write_listings(tmp_path / "listings.jsonl", RECORDS)
    folder = tmp_path / "lib"
    import_and_kill(folder, file, after_records=RECORDS // 4)
    first = stored(folder)[2][0][1]
    with Library(folder):  # what the next run finds: the killed batch is interrupted
        pass
    import_and_kill(folder, file, after_records=RECORDS // 2)
    second = stored(folder)[2][1][1]
    assert first < second < RECORDS
    with Library(folder) as library:
        report = library.import_files([file], index=False)
    assert report.resumed == {str(file): second}
    assert report.added == RECORDS - second
    assert stored(folder)[0] == [f"2401.{n:05d}" for n in range(1, RECORDS + 1) if n != BAD_LINE]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", BATCH)


def after_first_batch() -> Callable[[], bool]:
    """A cancel button pressed once the first batch is stored (the import asks before the
    file and after each batch)."""
    asked = iter((False,))
    return lambda: next(asked, True)


def interrupt_after_first_batch(folder: Path, file: Path) -> None:
    """An import that stored one batch and then died (its batch left "running")."""
    with Library(folder) as library:
        library.import_files([file], index=False, cancelled=after_first_batch())
        library.store.conn.execute("UPDATE batches SET status = 'running'")


@pytest.mark.usefixtures("small_batches")
def test_a_finished_or_changed_file_is_imported_from_its_start(tmp_path: Path):
    file = write_listings(tmp_path / "listings.jsonl", 300)
    folder = tmp_path / "lib"
    with Library(folder) as library:
        library.import_files([file], index=False)
        again = library.import_files([file], index=False)  # the last import was done
    assert again.resumed == {} and again.unchanged == 299

    interrupt_after_first_batch(folder, file)
    os.utime(file, ns=(1, 1))  # the file changed since (its modification time did)
    with Library(folder) as library:
        changed = library.import_files([file], index=False)
    assert changed.resumed == {} and changed.unchanged == 299


@pytest.mark.usefixtures("small_batches")
def test_a_cancelled_import_is_not_resumed_but_an_interrupted_one_is(tmp_path: Path):
    file = write_listings(tmp_path / "listings.jsonl", 300)
    folder = tmp_path / "lib"
    with Library(folder) as library:
        cancelled = library.import_files([file], index=False, cancelled=after_first_batch())
        assert cancelled.added == BATCH
        again = library.import_files([file], index=False)
    assert again.resumed == {} and (again.added, again.unchanged) == (199, BATCH)

    folder = tmp_path / "lib2"
    interrupt_after_first_batch(folder, file)
    with Library(folder) as library:
        resumed = library.import_files([file], index=False)
    assert resumed.resumed == {str(file): BATCH}
    assert (resumed.added, resumed.unchanged, resumed.rejected) == (199, 0, 1)
