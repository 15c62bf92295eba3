"""Importer for export.arxiv.org Atom API responses (legacy and current formats)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from reader.core.identity import normalise_arxiv_id, normalise_doi
from reader.core.importers.base import ImportOptions
from reader.core.importers.xmlsafe import iso_date, iter_elements, text
from reader.core.model import (
    Listing,
    PaperRecord,
    ParsedRecord,
    ParseResult,
    RecordError,
    SourcePosition,
)
from reader.core.text import one_line, unfold

FORMAT = "arxiv-atom"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_ERROR_ID = "arxiv.org/api/errors"  # the id of the entry the API sends instead of results


def sniff(name: str, head: bytes) -> float:
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return 0.0  # not XML (e.g. a JSON wrapper that quotes a feed)
    return 0.95 if b"<feed" in head and b"http://www.w3.org/2005/Atom" in head else 0.0


def parse(path: Path, options: ImportOptions) -> Iterator[ParseResult]:
    index = 0
    for item in iter_elements(path, f"{ATOM}feed", {f"{ATOM}entry"}, "an Atom feed"):
        if isinstance(item, RecordError):
            yield item
            continue
        index += 1
        yield _entry(item, path, index)


def _entry(entry: Element, path: Path, index: int) -> ParseResult:
    position = SourcePosition(str(path), record=index)
    entry_id = text(entry.find(f"{ATOM}id")).strip()
    summary = unfold(text(entry.find(f"{ATOM}summary")))
    if _ERROR_ID in entry_id:
        return RecordError(f"arXiv API error: {summary or entry_id}", position)
    title = one_line(text(entry.find(f"{ATOM}title")))
    if not title:
        return RecordError("entry has no title", position)
    return ParsedRecord(
        PaperRecord(
            title=title,
            abstract=summary,
            authors=[
                name
                for author in entry.iterfind(f"{ATOM}author")
                if (name := one_line(text(author.find(f"{ATOM}name"))))
            ],
            arxiv_id=normalise_arxiv_id(entry_id),
            doi=normalise_doi(text(entry.find(f"{ARXIV}doi"))),
            published=iso_date(text(entry.find(f"{ATOM}published"))),
            updated=iso_date(text(entry.find(f"{ATOM}updated"))),
            categories=_categories(entry),
            comments=one_line(text(entry.find(f"{ARXIV}comment"))) or None,
            journal_ref=one_line(text(entry.find(f"{ARXIV}journal_ref"))) or None,
            abs_url=_link(entry, rel="alternate"),
            pdf_url=_link(entry, title="pdf"),
            listing=Listing(source=path.name, kind=FORMAT, position=index),
        ),
        position,
    )


def _categories(entry: Element) -> list[str]:
    """arxiv:primary_category first, then every <category term> in order, once each."""
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary] if primary is not None else []
    terms += entry.iterfind(f"{ATOM}category")
    return list(dict.fromkeys(term for e in terms if (term := e.get("term", "").strip())))


def _link(entry: Element, **wanted: str) -> str | None:
    for link in entry.iterfind(f"{ATOM}link"):
        if all(link.get(key) == value for key, value in wanted.items()):
            return link.get("href") or None
    return None
