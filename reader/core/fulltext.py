"""The text of a PDF, for the search index's body field: extracted with pdfium, bounded.

A paper's PDF can be anything a server sent: a 900-page thesis, a scan without a text
layer, an encrypted file, a web page saved as ``.pdf``. Extraction is bounded three ways
(pages, characters, wall time, the deadline looked at after each page) and every failure
is one exception, ``NoText``, with a message for people. Line-end hyphenation is joined
("exam-\\nple" -> "example") and whitespace collapsed to single spaces, so the text
indexes and reads as running prose in snippets.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MAX_PAGES = 300  # a paper with its appendices; theses and books are cut here
MAX_CHARS = 2_000_000  # ~300k words; a longer text is cut (and marked truncated)
DEADLINE = 60.0  # seconds for one file, looked at after each page
# pdfium is not thread-safe: one extraction (or any other pdfium call that takes it) at a time.
PDFIUM_LOCK = threading.Lock()

# pdfium marks a hyphen it takes for line-end hyphenation with U+FFFE (and joins the lines).
# Joined before a lower-case letter ("exam-ple"); kept as "-" before anything else
# ("state-of-the-Art"), as is a plain "-" at a line's end unless a lower-case letter follows.
_SOFT_HYPHEN = re.compile(r"[\ufffe\u00ad]\s*(?=(\S?))")
_LINE_END_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=[a-z])")
# Control characters (the snippet markers \x02 / \x03 among them), private-use glyphs and
# non-characters that PDFs' broken font maps produce.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000-\uf8ff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


class NoText(Exception):
    """The file gave no text: not a PDF, broken, encrypted, or pages without text (a scan)."""


@dataclass
class Extracted:
    body: str
    pages: int  # pages read
    page_count: int  # pages in the file
    truncated: bool  # cut by the page, character or time cap

    @property
    def chars(self) -> int:
        return len(self.body)


def clean_page(text: str) -> str:
    """One page's text: hyphenation joined, junk dropped, whitespace collapsed."""
    text = _SOFT_HYPHEN.sub(_soft_hyphen, text)
    text = _LINE_END_HYPHEN.sub("", text)
    text = _JUNK.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def _soft_hyphen(m: re.Match[str]) -> str:
    following = m.group(1)
    return "" if not following or following.islower() else "-"


def extract_text(
    path: Path,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    deadline: float = DEADLINE,
) -> Extracted:
    """The text of the PDF at ``path``, within the caps; ``NoText`` saying why otherwise."""
    _check_header(path)
    import pypdfium2 as pdfium

    started = time.monotonic()
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as e:
            raise NoText(_open_problem(str(e))) from None
        try:
            page_count = len(document)
            parts: list[str] = []
            chars = pages = 0
            truncated = page_count > max_pages
            for number in range(min(page_count, max_pages)):
                text = clean_page(_page_text(document, number))
                pages += 1
                if text:
                    parts.append(text)
                    chars += len(text) + 1
                if chars > max_chars:
                    truncated = True
                    break
                if time.monotonic() - started > deadline and pages < page_count:
                    truncated = True
                    break
        finally:
            document.close()
    body = " ".join(parts)
    if len(body) > max_chars:
        body = body[:max_chars].rsplit(" ", 1)[0]
    if not body:
        if page_count == 0:
            raise NoText("the PDF has no pages")
        raise NoText("the PDF has no text to search (a scanned document?)")
    return Extracted(body, pages, page_count, truncated)


def _page_text(document: object, number: int) -> str:
    import pypdfium2 as pdfium

    try:
        page = document[number]  # type: ignore[index]
    except pdfium.PdfiumError:
        return ""  # one damaged page: the others are still worth reading
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range())
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return ""
    finally:
        page.close()


def _check_header(path: Path) -> None:
    """Refuse what is plainly not a PDF before pdfium sees it (a saved web page, say)."""
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise NoText(f"the PDF cannot be read ({e.strerror or e})") from None
    if not head:
        raise NoText("the file is empty")
    if b"%PDF-" not in head:
        looks = head.lstrip().lower()
        if looks.startswith((b"<!doctype html", b"<html")) or b"<html" in looks[:512]:
            raise NoText("the file is a web page, not a PDF")
        raise NoText("the file is not a PDF")


def _open_problem(error: str) -> str:
    """pdfium's load error as a sentence for people."""
    if "password" in error.lower():
        return "the PDF is encrypted (it needs a password)"
    if "security" in error.lower():
        return "the PDF uses an encryption this reader does not support"
    return "the PDF is damaged and does not open"
