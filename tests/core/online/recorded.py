"""Recorded responses of the real services (../shared/data), served on 127.0.0.1 by the tests'
HTTP server (pytest-httpserver): Daily Papers days, arXiv Atom pages, OAI-PMH pages."""

from __future__ import annotations

import gzip
import json
import tarfile
from functools import cache
from pathlib import Path

from werkzeug import Request, Response

from tests.conftest import SHARED

DATA = (SHARED or Path("/work/shared")) / "data"
HF_TAR = DATA / "hf-daily-papers" / "daily_papers_2024-05-27_to_2026-08-21.tar.gz"
ATOM_DIR = DATA / "arxiv-api-atom" / "new-2026"
OAI_DIR = DATA / "arxiv-oai-pmh"
# the recorded week: Saturday 15 to Friday 21 August 2026 (no papers at the weekend)
WEEK = [f"2026-08-{d}" for d in range(15, 22)]


@cache
def hf_days(first: str = WEEK[0], last: str = WEEK[-1]) -> dict[str, bytes]:
    """The Daily Papers API responses of the recorded days between ``first`` and ``last``."""
    days: dict[str, bytes] = {}
    with tarfile.open(HF_TAR) as tar:
        for member in tar.getmembers():
            name = Path(member.name).name.removesuffix(".json")
            if member.isfile() and first <= name <= last:
                handle = tar.extractfile(member)
                assert handle is not None
                days[name] = handle.read()
    return days


def hf_handler(days: dict[str, bytes]):  # type: ignore[no-untyped-def]
    """``/api/daily_papers?date=D`` as the real API answers it: a day without papers is []."""

    def handle(request: Request) -> Response:
        body = days.get(request.args.get("date", ""), b"[]")
        return Response(body, content_type="application/json")

    return handle


@cache
def atom_testing_pages() -> dict[tuple[int, int], bytes]:
    """The recorded "testing" search, by (start, max_results)."""
    pages = {}
    for path in ATOM_DIR.glob("q_testing_*.json"):
        recorded = json.loads(path.read_text())
        url = recorded["url"]
        params = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
        pages[int(params["start"]), int(params["max_results"])] = recorded["body"].encode()
    return pages


@cache
def oai_pages() -> list[bytes]:
    """The recorded three-page ListRecords harvest (2,265 records)."""
    return [
        gzip.decompress((OAI_DIR / f"ListRecords_data_{i}.xml.gz").read_bytes()) for i in range(3)
    ]


def oai_tokens() -> list[str]:
    """The resumption tokens of pages 1 and 2 (what a client sends for pages 2 and 3)."""
    import re

    tokens = []
    for body in oai_pages()[:2]:
        match = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
        assert match
        tokens.append(match[1].decode())
    return tokens


def oai_handler(requests: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    """The harvest: page 1 for a new ListRecords, the next page for each token; every
    request's arguments are recorded in ``requests``."""
    pages, tokens = oai_pages(), oai_tokens()

    def handle(request: Request) -> Response:
        args = dict(request.args)
        requests.append(args)
        token = args.get("resumptionToken")
        page = 0 if token is None else tokens.index(token) + 1
        return Response(pages[page], content_type="text/xml")

    return handle
