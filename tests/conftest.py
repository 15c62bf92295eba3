"""Shared fixtures: where the real data in ../shared lives; a local HTTP server on 127.0.0.1
with every online service pointed at it (the tests never touch the network)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

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


@pytest.fixture
def server(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """The test server, with every service's base URL on it and no polite waiting."""
    base = httpserver.url_for("").rstrip("/")
    monkeypatch.setenv("PAPER_READER_HF_URL", base)
    monkeypatch.setenv("PAPER_READER_ARXIV_API_URL", f"{base}/api/query")
    monkeypatch.setenv("PAPER_READER_ARXIV_OAI_URL", f"{base}/oai")
    monkeypatch.setenv("PAPER_READER_ARXIV_PDF_URL", f"{base}/pdf")
    monkeypatch.setenv("PAPER_READER_REQUEST_INTERVAL", "0")
    monkeypatch.setenv("PAPER_READER_HTTP_TIMEOUT", "2")
    monkeypatch.setattr("reader.core.online.http.BACKOFF", 0.01)
    yield httpserver
    httpserver.clear()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (an offline machine's answer: refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
