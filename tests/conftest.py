"""Shared fixtures: where the real data in ../shared lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path | None:
    for candidate in (
        os.environ.get("PAPER_READER_SHARED"),
        REPO.parent / "shared",
        "/work/shared",
    ):
        if candidate and (Path(candidate) / "seeds").is_dir():
            return Path(candidate)
    return None


SHARED = _shared_dir()
SEEDS = REPO / "resources" / "sample"  # the bundled copy of ../shared/seeds


@pytest.fixture
def shared() -> Path:
    """The real third-party data beside the repo (``PAPER_READER_SHARED`` overrides)."""
    if SHARED is None:
        pytest.skip("../shared data not found; set PAPER_READER_SHARED")
    return SHARED


@pytest.fixture
def seeds() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))
