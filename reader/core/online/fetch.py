"""Fetching new papers: Hugging Face Daily Papers days, arXiv Atom queries and OAI-PMH harvests.

Each response is written to a temporary file and imported through the same path as a file
the user picked (identity, merge, index, vectors), one response per store batch: a fetch
killed mid-way leaves only whole responses stored, and running it again completes it (what
was stored merges as unchanged; an OAI-PMH harvest resumes from its saved token).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from reader.core.online.enrich import enrich_added
from reader.core.online.http import Cancelled, FetchCancelled, FetchError, HttpClient, Unreachable
from reader.core.online.services import ARXIV_API, ARXIV_OAI, HF, Service
from reader.core.store import now_iso

if TYPE_CHECKING:
    from reader.core.library import ImportReport, Library
    from reader.core.online.enrich import EnrichReport

MAX_DAYS = 366  # one request a day: a longer range is a typo
ARXIV_PAGE = 100  # entries per Atom request (arXiv allows up to 2,000; 100 keeps pages small)
ARXIV_MAX = 2_000  # a query fetches at most this many papers unless --max says more
ARXIV_MAX_LIMIT = 30_000  # arXiv's own cap on a query's results
OAI_MAX_PAGES = 10_000  # a harvest that never ends (a looping token) stops here
FIRST_HARVEST_DAYS = 7  # a set's first harvest without a start day takes its last week
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"
OAI = "{http://www.openarchives.org/OAI/2.0/}"


@dataclass
class FetchProgress:
    """One step of a fetch, for the status bar: ``done`` of ``total`` requests or days."""

    service: str
    done: int
    total: int  # 0 while unknown
    added: int
    stage: str = "fetching"  # "fetching", "waiting" (arXiv's interval), "indexing"


@dataclass
class FetchReport:
    """The import summary of everything fetched, plus what the fetch itself did."""

    imported: ImportReport
    days: int = 0  # Daily Papers days asked for
    requests: int = 0  # HTTP requests sent, retries included
    failed: list[str] = field(default_factory=list)  # a day or page that could not be had
    harvested: str | None = None  # OAI-PMH: the harvest's state after this run
    enriched: EnrichReport | None = None  # papers added without arXiv id or authors, looked up

    def as_dict(self) -> dict[str, object]:
        return {
            **self.imported.as_dict(),
            "days": self.days,
            "requests": self.requests,
            "failed": self.failed,
            **({"harvest": self.harvested} if self.harvested else {}),
            **({"enriched": self.enriched.as_dict()} if self.enriched else {}),
        }


Progress = Callable[[FetchProgress], None]


def day_range(first: date, last: date) -> list[date]:
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ValueError(f"{days} days is more than the {MAX_DAYS} one fetch takes")
    return [first + timedelta(days=i) for i in range(days)]


class _Fetch:
    """One fetch run: a client for a service, a scratch folder, the running report."""

    def __init__(
        self, library: Library, service: Service, progress: Progress | None, cancelled: Cancelled
    ) -> None:
        from reader.core.library import ImportReport

        self.library = library
        self.service = service
        self.progress = progress
        self.cancelled = cancelled
        self.report = FetchReport(ImportReport())
        self.client: HttpClient = service.client(cancelled)

    @contextmanager
    def running(self) -> Iterator[_Fetch]:
        scratch = Path(tempfile.mkdtemp(prefix="fetching-", dir=self.library.folder))
        self.scratch = scratch
        started = now_iso()
        try:
            yield self
        except FetchCancelled:
            self.report.imported.cancelled = True
        finally:
            self.report.requests = self.client.requests
            self.client.close()
            shutil.rmtree(scratch, ignore_errors=True)
        if not self.report.imported.cancelled:
            self.tell(0, 0, "indexing")
            self.library.finish_import(self.report.imported, self.cancelled)
            self.report.enriched = enrich_added(self.library, started, self.cancelled)

    def tell(self, done: int, total: int, stage: str = "fetching") -> None:
        if self.progress:
            self.progress(
                FetchProgress(self.service.name, done, total, self.report.imported.added, stage)
            )

    def store(self, body: bytes, file_name: str, fmt: str, source: str) -> None:
        """Import one response (saved under ``file_name``: the Daily Papers importer reads
        the day from it) as its own batch, its errors named for ``source`` (the URL)."""
        path = self.scratch / file_name
        path.write_bytes(body)
        try:
            self.library.import_files(
                [path],
                fmt=fmt,
                cancelled=self.cancelled,
                index=False,
                names=[source],
                report=self.report.imported,
            )
        finally:
            path.unlink(missing_ok=True)
        if self.report.imported.cancelled:
            raise FetchCancelled()


def fetch_hf_days(
    library: Library,
    days: list[date],
    progress: Progress | None = None,
    cancelled: Cancelled = lambda: False,
) -> FetchReport:
    """The Daily Papers of each day (one request a day); a day the server fails on is named
    in ``failed`` and the others are fetched; an unreachable server stops the fetch."""
    fetch = _Fetch(library, HF, progress, cancelled)
    fetch.report.days = len(days)
    with fetch.running():
        for done, day in enumerate(days):
            fetch.tell(done, len(days))
            url = f"{HF.base}/api/daily_papers"
            try:
                response = fetch.client.get(url, {"date": day.isoformat()})
            except Unreachable:
                raise
            except FetchError as e:
                fetch.report.failed.append(f"{day.isoformat()}: {e}")
                continue
            fetch.store(response.body, f"{day.isoformat()}.json", "hf-api", response.url)
        fetch.tell(len(days), len(days))
    return fetch.report


def fetch_arxiv_query(
    library: Library,
    query: str,
    limit: int = ARXIV_MAX,
    progress: Progress | None = None,
    cancelled: Cancelled = lambda: False,
) -> FetchReport:
    """The newest papers matching an arXiv API ``search_query`` (``cat:cs.CL``, ``ti:…``),
    page by page, at most ``limit``; a failed page ends the fetch (the pages before it are
    kept) since later pages would shift under it."""
    limit = max(1, min(limit, ARXIV_MAX_LIMIT))
    fetch = _Fetch(library, ARXIV_API, progress, cancelled)
    with fetch.running():
        start, total = 0, limit
        while start < min(limit, total):
            size = min(ARXIV_PAGE, limit - start)
            fetch.tell(start, min(limit, total))
            params = {
                "search_query": query,
                "start": str(start),
                "max_results": str(size),
                "sortBy": "submittedDate",
                "sortOrder": "descending",
            }
            try:
                response = fetch.client.get(ARXIV_API.base, params)
            except Unreachable:
                raise
            except FetchError as e:
                fetch.report.failed.append(f"results {start + 1}-{start + size}: {e}")
                break
            entries, total = _atom_page(response.body)
            fetch.store(response.body, f"arxiv-{start}.xml", "arxiv-atom", response.url)
            if entries == 0:
                break
            start += entries
        fetch.tell(min(start, limit), min(start, limit))
    return fetch.report


def _atom_page(body: bytes) -> tuple[int, int]:
    """How many entries an Atom page holds and how many results the query has in all."""
    try:
        feed = SafeET.fromstring(body)
    except SafeET.ParseError:
        return 0, 0  # the importer reports the broken page with its position
    entries = [e for e in feed.iter(f"{ATOM}entry") if "api/errors" not in (_text(e, f"{ATOM}id"))]
    total = _text(feed, f"{OPENSEARCH}totalResults")
    return len(entries), int(total) if total.isdigit() else len(entries)


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def harvest_oai(
    library: Library,
    set_spec: str,
    from_date: date | None = None,
    until_date: date | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled = lambda: False,
) -> FetchReport:
    """An OAI-PMH ``ListRecords`` harvest of one set, following resumption tokens.

    The token is saved in SQLite after each page is stored: a harvest that was interrupted
    (killed, cancelled, a failed page) resumes from it when run again with the same range.
    Without ``from_date``, a set harvested before continues from where its last complete
    harvest ended (incremental harvesting); a set never harvested starts a week back."""
    harvests = Harvests(library)
    state = harvests.get(set_spec)
    if from_date is None and state and state.token is None and state.finished_on:
        from_date = date.fromisoformat(state.finished_on)
    elif from_date is None and state is None:  # a first harvest: not the whole set's history
        from_date = date.today() - timedelta(days=FIRST_HARVEST_DAYS)
    wanted = (_iso(from_date), _iso(until_date))
    resume = state is not None and state.token and (state.from_date, state.until_date) == wanted
    fetch = _Fetch(library, ARXIV_OAI, progress, cancelled)
    with fetch.running():
        token = state.token if resume and state else None
        fetched = state.fetched if resume and state else 0
        seen: set[str] = set()
        for page in range(OAI_MAX_PAGES):
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": set_spec}
                params |= {k: v for k, v in (("from", wanted[0]), ("until", wanted[1])) if v}
            fetch.tell(fetched, state.complete_size if state and state.complete_size else 0)
            try:
                response = fetch.client.get(ARXIV_OAI.base, params)
            except Unreachable:
                raise
            except FetchError as e:
                fetch.report.failed.append(f"page {page + 1}: {e}")
                break
            records, next_token, size = _oai_page(response.body)
            fetch.store(response.body, f"oai-{page}.xml", "arxiv-oai", response.url)
            fetched += records
            if next_token and next_token in seen:
                fetch.report.failed.append(
                    f"page {page + 1}: the server sent the same resumption token again;"
                    " the harvest stopped (what was fetched is kept)"
                )
                break
            token = next_token
            if token:
                seen.add(token)
            state = harvests.save(set_spec, wanted, token, fetched, size)
            if not token:
                break
        else:
            fetch.report.failed.append(
                f"the harvest did not end after {OAI_MAX_PAGES:,} pages; stopped"
            )
        fetch.report.harvested = (
            "complete" if state is not None and state.token is None else "incomplete"
        )
    return fetch.report


def _oai_page(body: bytes) -> tuple[int, str | None, int | None]:
    """Records on an OAI-PMH page, its resumption token (None at the end), the list size."""
    try:
        root = SafeET.fromstring(body)
    except SafeET.ParseError:
        return 0, None, None
    records = sum(1 for _ in root.iter(f"{OAI}record"))
    token_element = next(root.iter(f"{OAI}resumptionToken"), None)
    if token_element is None:
        return records, None, None
    size = token_element.get("completeListSize", "")
    token = (token_element.text or "").strip() or None
    return records, token, int(size) if size.isdigit() else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass
class HarvestState:
    set_spec: str
    from_date: str | None
    until_date: str | None
    token: str | None  # None: the last harvest of this set completed
    fetched: int
    complete_size: int | None
    updated_at: str

    @property
    def finished_on(self) -> str | None:
        """The day the last complete harvest reached (its until date, or the day it ran)."""
        return self.until_date or self.updated_at[:10]


class Harvests:
    """The ``harvests`` table: each OAI-PMH set's progress (``oai:SET`` rows)."""

    def __init__(self, library: Library) -> None:
        self.store = library.store

    def get(self, set_spec: str) -> HarvestState | None:
        rows = self.store.query(
            "SELECT from_date, until_date, token, fetched, complete_size, updated_at"
            " FROM harvests WHERE name = ?",
            (f"oai:{set_spec}",),
        )
        return HarvestState(set_spec, *rows[0]) if rows else None

    def save(
        self,
        set_spec: str,
        dates: tuple[str | None, str | None],
        token: str | None,
        fetched: int,
        size: int | None,
    ) -> HarvestState:
        state = HarvestState(set_spec, *dates, token, fetched, size, now_iso())
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO harvests"
                " (name, from_date, until_date, token, fetched, complete_size, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    f"oai:{set_spec}",
                    state.from_date,
                    state.until_date,
                    token,
                    fetched,
                    size,
                    state.updated_at,
                ),
            )
        return state
