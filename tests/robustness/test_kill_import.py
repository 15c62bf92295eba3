"""SIGKILL a CLI import at random moments: whole batches or nothing, and a re-run completes it.

Each trial copies nothing from a previous one: it imports real arXiv listings into a fresh
library, kills the process (its whole process group) at a seeded random moment spread over
the store batches, the index chunks and their commits, then checks the library as the next
run would find it, and finally re-runs the same import and compares the result with an
uninterrupted import, row by row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from reader.core.library import Library
from tests.robustness.conftest import (
    index_leftovers,
    library_dump,
    real_lines,
    store_is_sound,
    write_lines,
)
from tests.robustness.killing import (
    KillPlan,
    cli,
    kill_seed,
    kill_trials,
    record_timeline,
    run,
    run_and_kill,
)

pytestmark = pytest.mark.slow

PROGRESS = '"progress"'


@dataclass(frozen=True)
class Profile:
    name: str
    lines: int  # real arXiv listing lines imported
    batch: int | None  # store batch size (None: as shipped, 2000)
    chunk: int | None  # index chunk size (None: as shipped, 5000)
    share: float  # this profile's share of PAPER_READER_KILL_TRIALS

    @property
    def store_batch(self) -> int:
        return self.batch or 2000

    def command(self, library: Path, file: Path) -> list[str]:
        args = ("--library", str(library), "import", "--progress", str(file))
        return cli(*args, batch=self.batch, chunk=self.chunk)


PROFILES = [
    # 4 store transactions and 3 index commits (+ the marker) in a few seconds
    Profile("small-batches", lines=400, batch=100, chunk=150, share=1.0),
    # the shipped command and batch sizes: 2 store transactions, then one index commit
    Profile("as-shipped", lines=2100, batch=None, chunk=None, share=0.25),
]


def assert_whole_batches(folder: Path, ids: list[str], profile: Profile, reference: dict) -> int:
    """The library a killed import left: it opens, is sound, holds whole batches, and its
    index is never ahead of the store. Returns the number of papers present."""
    with Library(folder) as library:  # opening also finishes a schema the kill interrupted
        report = library.check()
        assert (report.missing, report.stale, report.extra) == ([], [], []), report.as_dict()
        assert library.derived.index.marker().rev <= library.store.rev(), "the index is ahead"
        statuses = {r[0] for r in library.store.query("SELECT status FROM batches")}
        assert "running" not in statuses, "the killed import's batch still says running"
    store_is_sound(folder)
    dump = library_dump(folder)
    present = [row[1] for row in dump["papers"]]  # (id, arxiv_id, ...) in id order
    count = len(present)
    assert report.papers == count and report.indexed <= count
    assert count % profile.store_batch == 0 or count == len(ids), f"a torn batch: {count} papers"
    assert present == ids[:count], "the papers present are not the file's first batches"
    # No partial paper: each one is exactly what the uninterrupted import stored, listings too.
    assert dump["papers"] == reference["papers"][:count]
    kept = {row[0] for row in dump["papers"]}
    assert dump["listings"] == [r for r in reference["listings"] if r[0] in kept]
    return count


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_a_killed_import_keeps_whole_batches_and_a_rerun_completes_it(
    tmp_path: Path, profile: Profile, kill_report
):
    trials = max(1, int(kill_trials() * profile.share))
    file, ids = write_lines(tmp_path / "listings.jsonl", real_lines(profile.lines))
    reference_dir = tmp_path / "reference"
    timeline = record_timeline(profile.command(reference_dir, file), PROGRESS)
    reference = library_dump(reference_dir)
    assert len(reference["papers"]) == profile.lines

    rng = random.Random(f"{kill_seed()}-import-{profile.name}")
    failures: list[str] = []
    plan = KillPlan(timeline, trials, rng)
    for trial, moment in plan:
        folder = tmp_path / f"trial-{trial}"
        outcome = run_and_kill(profile.command(folder, file), moment, PROGRESS)
        plan.record(outcome)
        papers = indexed = leftovers = 0
        survived = True
        try:
            if (folder / "library.sqlite").exists():  # else killed before the library was made
                leftovers = index_leftovers(folder)
                papers = assert_whole_batches(folder, ids, profile, reference)
                with Library(folder) as library:
                    indexed = library.check().indexed
            rerun = run(profile.command(folder, file))
            assert rerun.returncode == 0, rerun.stderr[-2000:]
            assert library_dump(folder) == reference, "the re-run did not reach the same library"
            with Library(folder) as library:
                final = library.check()
                assert final.consistent and final.indexed == profile.lines, final.as_dict()
        except AssertionError as e:
            failures.append(f"trial {trial} ({moment.describe()}): {e}")
            survived = False
        kill_report(
            test="import",
            profile=profile.name,
            trial=trial,
            moment=moment.describe(),
            killed=outcome.killed,
            papers_at_kill=papers,
            indexed_at_kill=indexed,
            index_commit_leftovers=leftovers,
            survived=survived,
        )
    assert not failures, "\n".join(failures)
    assert not plan.shortfall(), plan.shortfall()
