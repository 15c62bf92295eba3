"""Fixtures for the core tests: a seed library built once per module, hand-made records."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.model import Listing, PaperRecord

SEED_DIR = Path(__file__).resolve().parents[2] / "resources" / "sample"
SEED_PAPERS = 317
SEED_LISTINGS = 420


def seed_files() -> list[Path]:
    return sorted(SEED_DIR.glob("*.txt"))


def record(title: str, **fields: object) -> PaperRecord:
    """A hand-made record; ``listing=("source", position, "listed_on")`` adds a listing."""
    listing = fields.pop("listing", None)
    rec = PaperRecord(title=title, **fields)  # type: ignore[arg-type]
    if listing is not None:
        source, position, listed_on = listing  # type: ignore[misc]
        rec.listing = Listing(source, "test", position, listed_on)
    return rec


def build_library(folder: Path, records: Sequence[PaperRecord]) -> Library:
    """A library holding ``records`` (one store batch), indexed."""
    library = Library(folder)
    library.store.write_records(list(records), None)
    library.catch_up_index()
    return library


@pytest.fixture(scope="module")
def seed_library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed library folder holding the five bundled seed pages (built once per module)."""
    folder = tmp_path_factory.mktemp("seed-library")
    with Library(folder) as library:
        report = library.import_files(seed_files())
        assert report.added == SEED_PAPERS and not report.errors
    return folder


@pytest.fixture
def copy_seed_library(
    seed_library_dir: Path, tmp_path: Path
) -> Iterator[Callable[[], tuple[Library, Path]]]:
    """Opens a private copy of the seed library (for tests that change it)."""
    opened: list[Library] = []

    def make() -> tuple[Library, Path]:
        folder = tmp_path / f"copy{len(opened)}"
        shutil.copytree(seed_library_dir, folder)
        library = Library(folder)
        opened.append(library)
        return library, folder

    yield make
    for library in opened:
        library.close()
