"""SIGKILL ``paper-reader sync`` at random moments, while it sends and while it receives: the
library stays sound, and once the syncs are run again both machines end exactly where an
uninterrupted run leaves them.

Two libraries of real arXiv listings (a laptop with 240 papers, a desktop with 60 others),
each with tags, bookmarks, read marks, notes and a saved search, sync for the first time
through a folder: the laptop first, then the desktop, then the laptop again. Change files
hold 20 papers here (``launch_cli.py``), so a sync writes or reads a dozen of them and most
kill moments fall between a file's upload and its commit, or inside one.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.store import Store
from tests.core.sync_state import user_state
from tests.robustness.conftest import real_lines, store_is_sound, write_lines
from tests.robustness.killing import (
    KillPlan,
    Timeline,
    cli,
    kill_seed,
    kill_trials,
    record_timeline,
    run,
    run_and_kill,
)

pytestmark = pytest.mark.slow

EVENT = '"progress"'
PAPERS_PER_FILE = 20
LAPTOP_PAPERS, DESKTOP_PAPERS = 240, 60


def edited_library(folder: Path, lines: list[bytes], label: str) -> None:
    """A library of ``lines`` with every kind of user state on some of its papers."""
    file, arxiv_ids = write_lines(folder.with_suffix(".jsonl"), lines)
    with Library(folder) as library:
        assert library.import_files([file]).added == len(lines)
        ids = [library.resolve(a) for a in arxiv_ids]
        library.add_tags(ids[::7], [f"{label} reading group"])
        library.add_tags(ids[::11], ["shared"])
        library.set_bookmarked(ids[::5], True)
        library.set_read(ids[::3], True)
        for n, paper_id in enumerate(ids[:: len(ids) // 6]):
            library.set_notes(paper_id, f"{label} note {n}")
        library.save_search(f"{label} search", "author:smith")


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``laptop/``, ``desktop/`` and an empty ``remote/``, never synced."""
    root = tmp_path_factory.mktemp("sync-machines")
    lines = real_lines(LAPTOP_PAPERS + DESKTOP_PAPERS)
    edited_library(root / "laptop", lines[:LAPTOP_PAPERS], "laptop")
    edited_library(root / "desktop", lines[LAPTOP_PAPERS:], "desktop")
    (root / "remote").mkdir()
    return root


def sync(root: Path, machine: str) -> list[str]:
    library, remote = root / machine, root / "remote"
    return cli(
        "--library", str(library), "sync", "--remote", str(remote), "--json", "--progress",
        sync_file=PAPERS_PER_FILE,
    )  # fmt: skip


def synced(root: Path, machine: str) -> None:
    done = run(sync(root, machine))
    assert done.returncode == 0, done.stderr[-2000:]


def states(root: Path) -> tuple[dict, dict]:
    def state(machine: str) -> dict:
        store = Store(root / machine / "library.sqlite")
        try:
            return user_state(store)
        finally:
            store.close()

    return state("laptop"), state("desktop")


def copy(machines: Path, to: Path) -> Path:
    shutil.copytree(machines, to)
    return to


def assert_sound_and_indexed(folder: Path) -> None:
    store_is_sound(folder)
    with Library(folder) as library:
        library.catch_up_index()
        assert library.check().consistent, library.check().as_dict()


@pytest.fixture(scope="module")
def reference(machines: Path, tmp_path_factory: pytest.TempPathFactory):
    """The uninterrupted run: each step's timeline and the state both machines end in."""
    root = copy(machines, tmp_path_factory.mktemp("sync-reference") / "run")
    sending = record_timeline(sync(root, "laptop"), EVENT)
    receiving = record_timeline(sync(root, "desktop"), EVENT)
    synced(root, "laptop")
    laptop, desktop = states(root)
    assert laptop == desktop
    assert len(laptop["papers"]) == LAPTOP_PAPERS + DESKTOP_PAPERS
    assert {"laptop search", "desktop search"} <= {name for name, _ in laptop["saved"]}
    return {"laptop": sending, "desktop": receiving}, laptop


@pytest.mark.parametrize("victim", ["laptop", "desktop"], ids=["sending", "receiving"])
def test_a_killed_sync_loses_nothing_and_the_next_ends_where_an_uninterrupted_one_does(
    machines: Path, reference, tmp_path: Path, kill_report, victim: str
):
    timelines, expected = reference
    timeline: Timeline = timelines[victim]
    trials = max(1, kill_trials() // 2)
    plan = KillPlan(timeline, trials, random.Random(f"{kill_seed()}-sync-{victim}"))
    failures: list[str] = []
    for trial, moment in plan:
        root = copy(machines, tmp_path / f"trial-{trial}")
        survived = True
        try:
            if victim == "desktop":
                synced(root, "laptop")
            outcome = run_and_kill(sync(root, victim), moment, EVENT)
            plan.record(outcome)
            assert_sound_and_indexed(root / victim)
            for machine in ("laptop", "desktop", "laptop"):
                synced(root, machine)
            laptop, desktop = states(root)
            assert laptop == desktop, "the two machines differ"
            assert laptop == expected, "the state differs from an uninterrupted run's"
            assert_sound_and_indexed(root / "desktop")
        except AssertionError as e:
            failures.append(f"trial {trial} ({moment.describe()}): {e}")
            survived = False
        kill_report(
            test=f"sync-{victim}",
            trial=trial,
            moment=moment.describe(),
            killed=outcome.killed,
            progress_lines=len(outcome.lines),
            survived=survived,
        )
    assert not failures, "\n".join(failures)
    assert not plan.shortfall(), plan.shortfall()
