"""A local HTTP server on 127.0.0.1 for the online tests, and the services pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


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
