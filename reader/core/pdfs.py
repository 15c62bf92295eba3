"""The offline PDF cache: papers' PDFs in the library's ``pdfs/`` folder, one ``pdfs`` row each.

A file is downloaded to a temporary name, checked to be a whole PDF that opens, renamed into
place, and only then recorded: a crash leaves at most a stray file, which ``check`` reports
and ``check --repair`` removes. The cache keeps under a size cap by evicting the least
recently read PDFs of papers that no offline pin (a tag, or the bookmarks) holds.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.store import now_iso

if TYPE_CHECKING:
    from reader.core.model import Paper
    from reader.core.store import Store

Cancelled = Callable[[], bool]

FOLDER = "pdfs"
PART_SUFFIX = ".part"
MAX_PDF_BYTES = 200 * 1024 * 1024  # no paper is bigger; a bigger answer is not a paper
DEFAULT_CAP_MB = 4096
CAP_KEY = "pdf_cache_cap_mb"
BOOKMARKS_PIN = ""  # the offline_pins row that pins the bookmarks


class NotAPdf(Exception):
    """A downloaded file is not a PDF that opens (a web page, a cut-off file…)."""


class NoPdfSource(Exception):
    """The paper has neither an arXiv id nor a PDF link to download from."""


@dataclass
class PdfInfo:
    paper_id: int
    path: Path
    size: int
    pages: int
    last_page: int  # 0-based, where the reader was left


@dataclass
class OfflineReport:
    """What "make available offline" did, paper by paper."""

    downloaded: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    no_source: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    evicted: list[int] = field(default_factory=list)
    cancelled: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "downloaded": len(self.downloaded),
            "already": len(self.already),
            "no_source": len(self.no_source),
            "failed": [{"id": i, "message": m} for i, m in self.failed],
            "evicted": len(self.evicted),
            "cancelled": self.cancelled,
        }


@dataclass
class CacheCheck:
    files: int
    missing: list[int]  # rows whose file is gone or has another size
    strays: list[str]  # files no row records (an interrupted download, a copy)

    @property
    def consistent(self) -> bool:
        return not (self.missing or self.strays)


def file_name(paper: Paper) -> str:
    """The cache's name for a paper's PDF: its arXiv id made safe, else its row id."""
    if paper.arxiv_id:
        return re.sub(r"[^A-Za-z0-9.-]", "_", paper.arxiv_id) + ".pdf"
    return f"paper-{paper.id}.pdf"


def pdf_source(paper: Paper) -> str:
    """Where a paper's PDF is downloaded from: arXiv for arXiv papers, else its PDF link."""
    from reader.core.online.services import ARXIV_PDF

    if paper.arxiv_id:
        return f"{ARXIV_PDF.base}/{paper.arxiv_id}"
    if paper.pdf_url and paper.pdf_url.startswith(("https://", "http://")):
        return paper.pdf_url
    raise NoPdfSource(f"paper {paper.id} has no arXiv id or PDF link to download from")


def check_pdf(path: Path) -> int:
    """The page count of a whole, readable PDF; ``NotAPdf`` saying what it is otherwise."""
    import pypdfium2 as pdfium

    with path.open("rb") as f:
        head = f.read(1024)
        f.seek(max(0, path.stat().st_size - 2048))
        tail = f.read()
    if b"%PDF-" not in head:
        looks = head.lstrip().lower()
        if looks.startswith((b"<!doctype html", b"<html")) or b"<html" in looks[:512]:
            raise NotAPdf("the server sent a web page, not a PDF")
        raise NotAPdf("the file is not a PDF")
    if b"%%EOF" not in tail:
        raise NotAPdf("the PDF is cut off (no end-of-file marker)")
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise NotAPdf(f"the PDF does not open ({e})") from None
    try:
        pages = len(document)
        if pages == 0:
            raise NotAPdf("the PDF has no pages")
        document[0].close()
        return pages
    finally:
        document.close()


def make_available(
    cache: PdfCache,
    papers: Sequence[Paper],
    after_download: Callable[[int, Path], None],
    progress: Callable[[int, int, int], None] | None = None,
    cancelled: Cancelled = lambda: False,
) -> OfflineReport:
    """Download the PDFs of the papers that have none yet, one after another; a paper that
    fails is named and the others go on (an unreachable server ends it: ``Unreachable``).
    ``after_download(paper_id, path)`` runs for each new file (its text for the index);
    ``progress(done, total, downloaded)``."""
    from reader.core.online.http import FetchCancelled, FetchError, Unreachable

    report = OfflineReport()
    have = cache.offline_ids()
    for done, paper in enumerate(papers):
        if progress:
            progress(done, len(papers), len(report.downloaded))
        if cancelled():
            report.cancelled = True
            break
        if paper.id in have:
            report.already.append(paper.id)
            continue
        try:
            info = cache.download(paper, cancelled)
        except NoPdfSource:
            report.no_source.append(paper.id)
            continue
        except FetchCancelled:
            report.cancelled = True
            break
        except Unreachable:
            raise
        except (FetchError, NotAPdf) as e:
            report.failed.append((paper.id, str(e)))
            continue
        report.downloaded.append(paper.id)
        after_download(paper.id, info.path)
    report.evicted = cache.evict(keep={p.id for p in papers})
    if progress and not report.cancelled:
        progress(len(papers), len(papers), len(report.downloaded))
    return report


class PdfCache:
    """The ``pdfs`` rows and the ``pdfs/`` folder of one library."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder / FOLDER
        self.store = store

    def info(self, paper_id: int) -> PdfInfo | None:
        rows = self.store.query(
            "SELECT file, size, pages, last_page FROM pdfs WHERE paper_id = ?", (paper_id,)
        )
        if not rows:
            return None
        file, size, pages, last_page = rows[0]
        return PdfInfo(paper_id, self.folder / file, size, pages, last_page)

    def offline_ids(self) -> set[int]:
        return {r[0] for r in self.store.query("SELECT paper_id FROM pdfs")}

    def total_size(self) -> int:
        return int(self.store.query("SELECT coalesce(sum(size), 0) FROM pdfs")[0][0])

    def cap_bytes(self) -> int:
        try:
            mb = float(self.store.meta(CAP_KEY) or DEFAULT_CAP_MB)
        except ValueError:
            mb = DEFAULT_CAP_MB
        return int(mb * 1024 * 1024)

    def set_cap_mb(self, mb: float) -> None:
        if not mb > 0:
            raise ValueError("the PDF cache's size cap must be more than 0 MB")
        self.store.set_meta(CAP_KEY, str(mb))

    def download(self, paper: Paper, cancelled: Cancelled = lambda: False) -> PdfInfo:
        """Download, check and record a paper's PDF (``FetchError`` / ``NotAPdf`` if it
        cannot be had); the cache is then trimmed to its cap, this paper kept."""
        from reader.core.online.http import HttpClient
        from reader.core.online.services import ARXIV_PDF, read_timeout

        url = pdf_source(paper)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = file_name(paper)
        part = self.folder / f".{name}.{os.getpid()}{PART_SUFFIX}"
        service = ARXIV_PDF.name if paper.arxiv_id else "PDF download"
        try:
            with HttpClient(service, cancelled=cancelled, read_timeout=read_timeout()) as client:
                client.download(url, part, MAX_PDF_BYTES)
            pages = check_pdf(part)
            size = part.stat().st_size
            digest = _sha256(part)
            os.replace(part, self.folder / name)
        finally:
            part.unlink(missing_ok=True)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO pdfs (paper_id, file, size, pages, sha256, source_url, downloaded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(paper_id) DO UPDATE SET"
                " file = excluded.file, size = excluded.size, pages = excluded.pages,"
                " sha256 = excluded.sha256, source_url = excluded.source_url,"
                " downloaded_at = excluded.downloaded_at",
                (paper.id, name, size, pages, digest, url, now_iso()),
            )
        return PdfInfo(paper.id, self.folder / name, size, pages, 0)

    def remember_page(self, paper_id: int, page: int) -> None:
        """The reader's place in a paper (and that it was read now, for eviction)."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE pdfs SET last_page = ?, last_read_at = ? WHERE paper_id = ?",
                (max(0, page), now_iso(), paper_id),
            )

    def remove(self, paper_ids: Sequence[int]) -> None:
        """Forget these papers' PDFs: rows first, then the files (a crash leaves strays)."""
        rows = self.store.query(
            f"SELECT file FROM pdfs WHERE paper_id IN ({','.join('?' * len(paper_ids))})",
            list(paper_ids),
        )
        with self.store.transaction() as conn:
            conn.executemany("DELETE FROM pdfs WHERE paper_id = ?", [(i,) for i in paper_ids])
        for (file,) in rows:
            (self.folder / file).unlink(missing_ok=True)

    def pinned_ids(self) -> set[int]:
        """Papers an offline pin holds: a pinned tag (or a tag under it), or the bookmarks."""
        ids: set[int] = set()
        for (tag,) in self.store.query("SELECT tag FROM offline_pins"):
            ids |= self.pin_members(tag)
        return ids

    def pin_members(self, tag: str) -> set[int]:
        """The papers a pin holds: the tag's and its sub-tags', or the bookmarks."""
        from reader.core.views import View, where_clause

        view = View(kind="tag", value=tag) if tag != BOOKMARKS_PIN else View(kind="bookmarked")
        where, params = where_clause(view)
        return {r[0] for r in self.store.query(f"SELECT p.id FROM papers p {where}", params)}

    def pin(self, tag: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO offline_pins (tag) VALUES (?)", (tag,))

    def unpin(self, tag: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM offline_pins WHERE tag = ?", (tag,))

    def evict(self, keep: set[int]) -> list[int]:
        """Delete least-recently-read unpinned PDFs until the cache fits its cap."""
        over = self.total_size() - self.cap_bytes()
        if over <= 0:
            return []
        protected = keep | self.pinned_ids()
        rows = self.store.query(
            "SELECT paper_id, size FROM pdfs ORDER BY coalesce(last_read_at, downloaded_at)"
        )
        victims = []
        for paper_id, size in rows:
            if over <= 0:
                break
            if paper_id in protected:
                continue
            victims.append(paper_id)
            over -= size
        if victims:
            self.remove(victims)
        return victims

    def check(self) -> CacheCheck:
        """The rows against the files: a missing or resized file, a file no row records."""
        rows = self.store.query("SELECT paper_id, file, size FROM pdfs")
        missing = []
        for paper_id, file, size in rows:
            path = self.folder / file
            if not path.is_file() or path.stat().st_size != size:
                missing.append(paper_id)
        known = {r[1] for r in rows}
        strays = (
            sorted(p.name for p in self.folder.iterdir() if p.name not in known)
            if self.folder.is_dir()
            else []
        )
        return CacheCheck(len(rows), missing, strays)

    def repair(self) -> CacheCheck:
        """Forget rows whose file is gone or changed, delete stray files."""
        found = self.check()
        if found.missing:
            self.remove(found.missing)
        for name in found.strays:
            path = self.folder / name
            if path.is_file():
                path.unlink(missing_ok=True)
        return self.check()


def open_in_system_viewer(path: Path) -> None:
    """Hand a cached PDF to the desktop's own viewer (the in-app reader is the default)."""
    import subprocess
    import sys

    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen([opener, str(path)], start_new_session=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
