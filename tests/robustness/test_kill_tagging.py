"""SIGKILL tagging at random moments: each write is whole or absent, and the index agrees.

Two writers over a library of real arXiv listings: a loop of CLI ``tag``/``untag``/
``bookmark`` commands (one process per command, as a shell script would run them) and a
script doing the same writes back to back through the Library facade (so that most of its
time, and most kill moments, fall inside store transactions and index commits).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from whoosh.query import Term

from reader.core.library import Library
from tests.robustness.conftest import real_lines, store_is_sound, write_lines
from tests.robustness.killing import (
    KillMoment,
    KillPlan,
    Timeline,
    cli,
    kill_seed,
    kill_trials,
    record_timeline,
    run,
    run_and_kill,
)
from tests.robustness.tag_writer import expected_state, operation

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("tag_writer.py")
CLI_OPERATIONS = 6
SCRIPT_OPERATIONS = 40


@pytest.fixture
def tagged_base(tmp_path: Path) -> tuple[Path, list[str]]:
    """A library of 300 real listings, indexed; and its arXiv ids in sorted order."""
    file, ids = write_lines(tmp_path / "listings.jsonl", real_lines(300))
    folder = tmp_path / "base"
    with Library(folder) as library:
        assert library.import_files([file]).added == 300
    return folder, sorted(ids)


def stored_state(folder: Path) -> tuple[set[tuple[str, str]], set[str]]:
    conn = sqlite3.connect(f"file:{folder / 'library.sqlite'}?mode=ro", uri=True)
    try:
        tags = set(
            conn.execute(
                "SELECT p.arxiv_id, t.name FROM paper_tags pt JOIN papers p ON p.id = pt.paper_id"
                " JOIN tags t ON t.id = pt.tag_id"
            ).fetchall()
        )
        marked = {r[0] for r in conn.execute("SELECT arxiv_id FROM papers WHERE bookmarked = 1")}
        return tags, marked
    finally:
        conn.close()


def assert_index_agrees(library: Library, operations: int) -> None:
    """Every tag and the bookmark flag find exactly the papers the store says."""
    tags, marked = stored_state(library.folder)
    by_arxiv = {r[1]: r[0] for r in library.store.query("SELECT id, arxiv_id FROM papers")}

    def indexed(field: str, value: str) -> set[int]:
        hits, _ = library.derived.index.search(Term(field, value), 10_000)
        return {i for i, _ in hits}

    for i in range(operations):
        tag = f"killtest-{i}"
        assert indexed("tags", tag) == {by_arxiv[a] for a, t in tags if t == tag}, tag
    assert indexed("is", "bookmarked") == {by_arxiv[a] for a in marked}


def assert_after_kill(folder: Path, acknowledged: int, ids: list[str]) -> None:
    """The state is that of the acknowledged writes, plus at most the one in flight, and the
    index is behind or equal, never ahead or different; catching up makes it agree."""
    with Library(folder) as library:
        report = library.check()
        assert (report.missing, report.stale, report.extra) == ([], [], []), report.as_dict()
        assert library.derived.index.marker().rev <= library.store.rev(), "the index is ahead"
    store_is_sound(folder)
    state = stored_state(folder)
    allowed = [expected_state(acknowledged, ids), expected_state(acknowledged + 1, ids)]
    assert state in allowed, f"a write is torn or lost after {acknowledged} acknowledged"
    with Library(folder) as library:
        library.catch_up_index()
        assert library.check().consistent
        assert_index_agrees(library, acknowledged + 1)


def cli_operation(folder: Path, i: int, ids: list[str]) -> list[str]:
    command, paper, tag = operation(i, ids)
    return cli("--library", str(folder), command, paper, *([tag] if tag else []))


def test_a_killed_cli_tag_loop_loses_no_acknowledged_write(
    tmp_path: Path, tagged_base: tuple[Path, list[str]], kill_report
):
    base, ids = tagged_base
    durations = []
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    for i in range(CLI_OPERATIONS):
        timeline = record_timeline(cli_operation(reference, i, ids), "never")
        durations.append(timeline.end)
    assert stored_state(reference) == expected_state(CLI_OPERATIONS, ids)

    trials = max(1, kill_trials() // 2)
    rng = random.Random(f"{kill_seed()}-tag-cli")
    failures, killed = [], 0
    for trial in range(3 * trials):
        if killed == trials:  # commands that ended before their kill moment do not count
            break
        folder = tmp_path / f"trial-{trial}"
        shutil.copytree(base, folder)
        victim = rng.randrange(CLI_OPERATIONS)
        moment = KillMoment(0, rng.uniform(0, durations[victim]))
        survived = was_killed = True
        try:
            for i in range(victim):
                assert run(cli_operation(folder, i, ids)).returncode == 0
            outcome = run_and_kill(cli_operation(folder, victim, ids), moment, "never")
            was_killed = outcome.killed
            killed += was_killed
            if outcome.timeline is not None:  # it ended first: the machine got quieter
                durations[victim] = min(durations[victim], outcome.timeline.end)
            assert_after_kill(folder, victim, ids)
            for i in range(victim, CLI_OPERATIONS):  # the loop, run again from the killed one
                assert run(cli_operation(folder, i, ids)).returncode == 0
            assert stored_state(folder) == expected_state(CLI_OPERATIONS, ids)
            with Library(folder) as library:
                assert library.check().consistent
                assert_index_agrees(library, CLI_OPERATIONS)
        except AssertionError as e:
            failures.append(f"trial {trial} (command {victim}, {moment.describe()}): {e}")
            survived = False
        kill_report(
            test="tagging-cli",
            trial=trial,
            moment=f"command {victim}, {moment.describe()}",
            killed=was_killed,
            survived=survived,
        )
    assert not failures, "\n".join(failures)
    assert killed == trials, f"only {killed} of {3 * trials} commands were killed before they ended"


def test_a_killed_tag_writing_script_loses_no_acknowledged_write(
    tmp_path: Path, tagged_base: tuple[Path, list[str]], kill_report
):
    base, ids = tagged_base

    def writer(folder: Path, first: int, count: int) -> list[str]:
        return [sys.executable, str(WRITER), str(folder), str(first), str(count)]

    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    timeline: Timeline = record_timeline(writer(reference, 0, SCRIPT_OPERATIONS), "done ")
    assert stored_state(reference) == expected_state(SCRIPT_OPERATIONS, ids)

    trials = max(1, kill_trials() // 2)
    rng = random.Random(f"{kill_seed()}-tag-script")
    failures: list[str] = []
    plan = KillPlan(timeline, trials, rng)
    for trial, moment in plan:
        folder = tmp_path / f"trial-{trial}"
        shutil.copytree(base, folder)
        outcome = run_and_kill(writer(folder, 0, SCRIPT_OPERATIONS), moment, "done ")
        plan.record(outcome)
        acknowledged = len(outcome.lines)
        survived = True
        try:
            assert_after_kill(folder, acknowledged, ids)
            rest = run(writer(folder, acknowledged, SCRIPT_OPERATIONS - acknowledged))
            assert rest.returncode == 0, rest.stderr[-2000:]
            assert stored_state(folder) == expected_state(SCRIPT_OPERATIONS, ids)
            with Library(folder) as library:
                assert library.check().consistent
                assert_index_agrees(library, SCRIPT_OPERATIONS)
        except AssertionError as e:
            failures.append(f"trial {trial} ({moment.describe()}): {e}")
            survived = False
        kill_report(
            test="tagging-script",
            trial=trial,
            moment=moment.describe(),
            killed=outcome.killed,
            acknowledged=acknowledged,
            survived=survived,
        )
    assert not failures, "\n".join(failures)
    assert not plan.shortfall(), plan.shortfall()
