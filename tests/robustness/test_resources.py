"""A read-only library folder, a full disk and a missing folder: one clear line, exit 2, no
traceback, and the library left as it was (SQLite intact, readable afterwards).

The full disk is a real one: a small tmpfs mounted for the test (as root); the read-only
folder is a read-only bind mount (as root) or a folder without write permission (as any
other user). Where neither is possible the tests skip and say why.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
from pathlib import Path

from reader.core.library import Library
from tests.mounts import read_only, resize, small_disk
from tests.robustness.conftest import library_dump, real_lines, store_is_sound, write_lines
from tests.robustness.killing import cli, run


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("paper-reader: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes()).hexdigest()


def test_a_read_only_library_folder_is_one_clear_line_and_stays_as_it_was(tmp_path: Path):
    file, ids = write_lines(tmp_path / "listings.jsonl", real_lines(120))
    folder = tmp_path / "library"
    with Library(folder) as library:
        library.import_files([file])
    before, sqlite_digest = library_dump(folder), digest(folder / "library.sqlite")
    more, _ = write_lines(tmp_path / "more.jsonl", real_lines(200))
    with read_only(folder):
        for args in (
            ("import", str(more)),
            ("tag", ids[0], "read-only-test"),
            ("stats",),
            ("search", "language"),
        ):
            result = run(cli("--library", str(folder), *args))
            assert_one_clear_line(result, "read-only")
    store_is_sound(folder)
    assert digest(folder / "library.sqlite") == sqlite_digest
    assert library_dump(folder) == before
    with Library(folder) as library:
        assert library.check().consistent


def test_a_full_disk_keeps_whole_batches_and_the_import_completes_when_there_is_room(
    tmp_path: Path,
):
    lines = real_lines(2600)
    first, _ = write_lines(tmp_path / "first.jsonl", lines[:100])
    everything, ids = write_lines(tmp_path / "all.jsonl", lines)
    with small_disk(tmp_path / "disk", "4m") as disk:
        folder = disk / "library"
        assert run(cli("--library", str(folder), "import", str(first))).returncode == 0
        full = run(cli("--library", str(folder), "import", str(everything)))
        assert_one_clear_line(full, "disk", "full", "kept")
        readable = run(cli("--library", str(folder), "stats", "--json"))  # still on a full disk
        assert readable.returncode == 0, readable.stderr
        resize(disk, "64m")
        store_is_sound(folder)
        present = [row[1] for row in library_dump(folder)["papers"]]
        assert present in (ids[:100], ids[:2000], ids[:2600])  # whole batches only
        with Library(folder) as library:
            report = library.check()
            assert (report.missing, report.stale, report.extra) == ([], [], []), report.as_dict()
            assert library.derived.index.marker().rev <= library.store.rev()
        again = run(cli("--library", str(folder), "import", str(everything)))
        assert again.returncode == 0, again.stderr
        with Library(folder) as library:
            report = library.check()
            assert report.consistent and report.papers == 2600 == report.indexed


def test_a_full_disk_when_opening_is_one_clear_line(tmp_path: Path):
    file, _ = write_lines(tmp_path / "listings.jsonl", real_lines(10))
    with small_disk(tmp_path / "disk", "64k") as disk:
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as f:
            for _ in range(64):  # until the tmpfs has no byte left
                f.write(b"\0" * 4096)
                f.flush()
        result = run(cli("--library", str(disk / "library"), "import", str(file)))
        assert_one_clear_line(result, "cannot open the library", "full")


def test_a_missing_library_folder_is_named_and_not_created(tmp_path: Path):
    missing = tmp_path / "no" / "such" / "library"
    for args in (("stats",), ("search", "x"), ("show", "1"), ("check",), ("export",)):
        result = run(cli("--library", str(missing), *args))
        assert_one_clear_line(result, "no library in", str(missing))
    assert not (tmp_path / "no").exists()


def test_a_library_path_through_a_file_is_one_clear_line(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    file, _ = write_lines(tmp_path / "listings.jsonl", real_lines(5))
    result = run(cli("--library", str(blocker / "library"), "import", str(file)))
    assert_one_clear_line(result, "not a folder")
    assert blocker.read_text() == "not a folder"
