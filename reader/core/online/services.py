"""The online services Paper Reader talks to, and where they are (mirrors and tests point the
base URLs elsewhere through environment variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from reader.core.online.http import READ_TIMEOUT, Cancelled, HttpClient


@dataclass(frozen=True)
class Service:
    name: str  # in messages: "arXiv API: cannot reach …"
    env: str  # the variable that replaces the base URL
    default: str
    interval: float  # seconds between two requests (arXiv asks for 3)

    @property
    def base(self) -> str:
        return (os.environ.get(self.env) or self.default).rstrip("/")

    def client(self, cancelled: Cancelled = lambda: False) -> HttpClient:
        return HttpClient(
            self.name, interval=self._interval(), cancelled=cancelled, read_timeout=read_timeout()
        )

    def _interval(self) -> float:
        """The polite interval; a mirror or a test server (base URL replaced) may set its own
        with PAPER_READER_REQUEST_INTERVAL — the real arXiv always gets its 3 s."""
        override = os.environ.get("PAPER_READER_REQUEST_INTERVAL")
        if override and os.environ.get(self.env):
            try:
                return max(0.0, float(override))
            except ValueError:
                pass
        return self.interval


def read_timeout() -> float:
    """The read timeout (PAPER_READER_HTTP_TIMEOUT: a slow link, or the tests' stalls)."""
    try:
        return float(os.environ.get("PAPER_READER_HTTP_TIMEOUT", READ_TIMEOUT))
    except ValueError:
        return READ_TIMEOUT


HF = Service("Hugging Face Daily Papers", "PAPER_READER_HF_URL", "https://huggingface.co", 0.5)
ARXIV_API = Service(
    "arXiv API", "PAPER_READER_ARXIV_API_URL", "https://export.arxiv.org/api/query", 3.0
)
ARXIV_OAI = Service(
    "arXiv OAI-PMH", "PAPER_READER_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai", 3.0
)
ARXIV_PDF = Service("arXiv PDFs", "PAPER_READER_ARXIV_PDF_URL", "https://arxiv.org/pdf", 1.0)
