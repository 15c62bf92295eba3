"""Importer for arXiv OAI-PMH ListRecords/GetRecord responses in oai_dc."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from reader.core.identity import normalise_arxiv_id, normalise_doi
from reader.core.importers.base import ImportOptions, file_error
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

FORMAT = "arxiv-oai"

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
_VERBS = ("ListRecords", "GetRecord")  # the responses that carry metadata

# arXiv's oai_dc gives dc:subject as names ("Computer Science - Artificial Intelligence")
# and MSC/ACM codes ("40-01, 65B10", "I.2.7"), never as arXiv codes, and a name cannot be
# mapped to a code without a table that would go stale. So only subjects that already are
# arXiv codes become categories: an archive that stands alone ("hep-th") or one with its
# subject class ("cs.AI"); bare "cs" or "physics" are archives, not categories.
_ARXIV_CATEGORY = re.compile(
    r"(?:astro-ph|cond-mat)(?:\.[A-Za-z][A-Za-z-]*)?|gr-qc|hep-(?:ex|lat|ph|th)|math-ph"
    r"|nucl-(?:ex|th)|quant-ph|(?:cs|econ|eess|math|nlin|physics|q-bio|q-fin|stat)"
    r"\.[A-Za-z][A-Za-z-]*"
)
_COMMENT = re.compile(r"Comment:\s*", re.IGNORECASE)


def sniff(name: str, head: bytes) -> float:
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return 0.0
    return 0.95 if b"OAI-PMH" in head else 0.0


def parse(path: Path, options: ImportOptions) -> Iterator[ParseResult]:
    tags = {f"{OAI}request", f"{OAI}record", f"{OAI}error"}
    index = 0
    for item in iter_elements(path, f"{OAI}OAI-PMH", tags, "an OAI-PMH response"):
        if isinstance(item, RecordError):
            yield item
        elif item.tag == f"{OAI}request":
            if problem := _unsupported(item):
                yield file_error(path, problem)
                return
        elif item.tag == f"{OAI}error":
            code = item.get("code", "")
            message = f"OAI-PMH error {code}: {one_line(text(item))}"
            # noRecordsMatch is an empty harvest, not a failure.
            yield RecordError(
                message,
                SourcePosition(str(path)),
                fatal=code != "noRecordsMatch",
                warning=code == "noRecordsMatch",
            )
        else:
            index += 1
            if result := _record(item, path, index):
                yield result


def _unsupported(request: Element) -> str | None:
    verb = request.get("verb")
    prefix = request.get("metadataPrefix")
    if verb and verb not in _VERBS:
        return f"OAI-PMH {verb} responses hold no paper metadata; harvest with ListRecords"
    if prefix and prefix != "oai_dc":
        return f"metadataPrefix={prefix} is not supported; harvest with metadataPrefix=oai_dc"
    return None


def _record(record: Element, path: Path, index: int) -> ParseResult | None:
    position = SourcePosition(str(path), record=index)
    header = record.find(f"{OAI}header")
    header_id = text(header.find(f"{OAI}identifier")) if header is not None else ""
    if header is not None and header.get("status") == "deleted":
        return RecordError(f"{header_id or 'record'} is deleted; skipped", position, warning=True)
    dc = record.find(f"{OAI}metadata/{OAI_DC}dc")
    if dc is None:
        return RecordError("record has no oai_dc metadata", position)
    title = one_line(text(dc.find(f"{DC}title")))
    if not title:
        return RecordError("record has no title", position)

    def values(tag: str) -> list[str]:
        return [value for e in dc.iterfind(f"{DC}{tag}") if (value := text(e).strip())]

    abstract, comments = "", None
    for description in values("description"):
        if _COMMENT.match(description):
            comments = comments or one_line(_COMMENT.sub("", description, count=1))
        elif not abstract:
            abstract = unfold(description)
    abs_url, doi, journal_ref = None, None, None
    # arXiv lists the abs URL, then (when known) the journal reference and "doi:10...".
    for identifier in values("identifier"):
        if identifier.startswith(("http://arxiv.org/abs/", "https://arxiv.org/abs/")):
            abs_url = abs_url or identifier
        elif identifier.lower().startswith("doi:"):
            doi = doi or normalise_doi(identifier)
        else:
            journal_ref = journal_ref or one_line(identifier)
    dates = [date for value in values("date") if (date := iso_date(value))]
    return ParsedRecord(
        PaperRecord(
            title=title,
            abstract=abstract,
            authors=[_display_name(name) for name in values("creator")],
            arxiv_id=normalise_arxiv_id(abs_url) or normalise_arxiv_id(header_id),
            doi=doi,
            published=dates[0] if dates else None,
            updated=dates[-1] if dates else None,
            categories=list(dict.fromkeys(filter(_ARXIV_CATEGORY.fullmatch, values("subject")))),
            comments=comments,
            journal_ref=journal_ref,
            abs_url=abs_url,
            listing=Listing(source=path.name, kind=FORMAT, position=index),
        ),
        position,
    )


def _display_name(creator: str) -> str:
    """'Last, First' -> 'First Last'; BibTeX-style 'Last, Jr., First' -> 'First Last Jr.'."""
    parts = [one_line(part) for part in creator.split(",")]
    if len(parts) == 2 and all(parts):
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and all(parts):
        return f"{parts[2]} {parts[0]} {parts[1]}"
    return one_line(creator)
