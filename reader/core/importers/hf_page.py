"""Importer for the Hugging Face Daily Papers web page, copied from a browser as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reader.core.importers.base import ImportOptions, file_error, whole_text
from reader.core.importers.textio import decode
from reader.core.model import (
    Listing,
    PaperRecord,
    ParsedRecord,
    ParseResult,
    RecordError,
    SourcePosition,
)
from reader.core.text import one_line, unfold

FORMAT = "hf-page"

SOURCE_NAME = "Daily Papers"
TITLE_MAX = 300  # a longer line is always an abstract
HEADER_LINES = frozenset(
    line.casefold()
    for line in (
        "new",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
    )
)
TRENDING = "get trending papers"  # "... in your email inbox!", "... once a day!"
SUBSCRIBE = "Subscribe"  # the copied button text can be glued to the first title
MARKERS = ("Daily Papers", "Get trending papers")
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
MONTHS = {n: i for i, full in enumerate(_MONTH_NAMES, 1) for n in (full, full[:3])} | {"sept": 9}
_DATE = re.compile(
    r"(?P<month>[a-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?",
    re.IGNORECASE,
)
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")
_STRUCTURED_START = ("{", "[", "<", "@")  # JSON, XML/HTML, BibTeX


@dataclass
class PageDate:
    month: int
    day: int
    year: int | None


def parse_date(line: str) -> PageDate | None:
    """'Aug 8', 'Sep 10', 'August 8, 2024' -> the date; None if the line is not a date."""
    m = _DATE.fullmatch(line.strip())
    month = MONTHS.get(m["month"].casefold(), 0) if m else 0
    if not m or not month:
        return None
    year = int(m["year"]) if m["year"] else None
    try:
        date(year or 2000, month, int(m["day"]))  # 2000 is a leap year: "Feb 29" is a date
    except ValueError:
        return None
    return PageDate(month, int(m["day"]), year)


def looks_binary(text: str) -> bool:
    return "\x00" in text or len(_BINARY.findall(text)) > len(text) / 100


def sniff(name: str, head: bytes) -> float:
    text, _ = decode(head)
    start = text.lstrip()
    if not start or looks_binary(text) or start.startswith(_STRUCTURED_START):
        return 0.0
    is_txt = name.lower().removesuffix(".gz").endswith(".txt")
    if any(marker in text for marker in MARKERS):
        return 0.9 if is_txt else 0.7
    return 0.1 if is_txt else 0.05


@dataclass
class _Line:
    number: int
    text: str


@dataclass
class _Section:
    """The papers under one date line (or before any)."""

    date: PageDate | None = None
    date_line: int | None = None
    lines: list[_Line] = field(default_factory=list)


def _listed_on(page_date: PageDate | None, options: ImportOptions) -> tuple[str, str | None]:
    """The ISO date of the page and, if the given year cannot hold it, a warning."""
    if page_date is None:
        return "", None
    month_day = f"{page_date.month:02d}-{page_date.day:02d}"
    year = page_date.year or options.year
    if year is None:
        return f"--{month_day}", None
    try:
        date(year, page_date.month, page_date.day)
    except ValueError:
        return f"--{month_day}", f"{month_day} is not a date in {year}; the year is left out"
    return f"{year:04d}-{month_day}", None


def _sections(text: str) -> list[_Section]:
    """Non-blank lines without the page's header, split at date lines."""
    sections = [_Section()]
    previous_was_header = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if previous_was_header and line.startswith(SUBSCRIBE) and line != SUBSCRIBE:
            line = line[len(SUBSCRIBE) :].strip()
        folded = line.casefold()
        previous_was_header = folded in HEADER_LINES or folded.startswith(TRENDING)
        if previous_was_header:
            continue
        page_date = parse_date(line)
        if page_date is not None:
            sections.append(_Section(page_date, number))
        else:
            sections[-1].lines.append(_Line(number, line))
    return sections


def parse(path: Path, options: ImportOptions) -> Iterator[ParseResult]:
    text, problems = whole_text(path)
    if text is None:
        yield from problems
        return
    if looks_binary(text):
        yield file_error(path, "binary data, not the text of a Daily Papers page")
        return
    if text.lstrip().startswith(_STRUCTURED_START):
        yield file_error(path, "JSON, XML or BibTeX, not the text of a Daily Papers page")
        return
    yield from problems  # a legacy-encoding warning, if any

    file = str(path)
    sections = _sections(text)
    record = 0
    for section in sections:
        listed_on, problem = _listed_on(section.date, options)
        if problem:
            yield RecordError(problem, SourcePosition(file, line=section.date_line), warning=True)
        position = 0
        for title, abstract in _pair(section.lines):
            if isinstance(abstract, str):
                yield RecordError(abstract, SourcePosition(file, line=title.number))
                continue
            record += 1
            position += 1
            paper = PaperRecord(
                title=one_line(title.text),
                abstract=unfold(abstract.text),
                listing=Listing(SOURCE_NAME, FORMAT, position, listed_on),
            )
            yield ParsedRecord(paper, SourcePosition(file, line=title.number, record=record))


def _pair(lines: list[_Line]) -> Iterator[tuple[_Line, _Line | str]]:
    """(title, abstract) pairs in page order, or (line, why it cannot be paired)."""
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else None
        after = lines[i + 2] if i + 2 < len(lines) else None
        if len(line.text) > TITLE_MAX:
            yield line, f"an abstract with no title before it, skipped: {_excerpt(line)}"
            i += 1
        elif following is None or (
            len(following.text) <= TITLE_MAX and after is not None and len(after.text) > TITLE_MAX
        ):  # nothing follows, or the next line is the title of the long line after it
            yield line, f"a title with no abstract after it, skipped: {_excerpt(line)}"
            i += 1
        else:
            yield line, following
            i += 2


def _excerpt(line: _Line) -> str:
    return repr(line.text if len(line.text) <= 80 else line.text[:77] + "...")
