"""Plain records that importers produce and the store consumes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourcePosition:
    """Where a record came from, so errors can name it."""

    file: str
    line: int | None = None  # 1-based line where the record starts
    record: int | None = None  # 1-based record number within the file

    def describe(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        return ", ".join(parts)


@dataclass
class Listing:
    """One appearance of a paper in a source (a daily page, a feed, a file).

    ``listed_on`` is ISO 8601: ``YYYY-MM-DD`` when the year is known, ``--MM-DD``
    when the page only says "Aug 8" (the year is never invented), ``""`` if undated.
    """

    source: str  # human name of the source, e.g. "Daily Papers" or a file name
    kind: str  # importer format name, e.g. "hf-page"
    position: int  # 1-based position within the source/day
    listed_on: str = ""


@dataclass
class PaperRecord:
    """A paper as read from a file, before identity resolution."""

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None  # version-less, e.g. "2406.12345" or "hep-th/9901001"
    doi: str | None = None  # lower-cased, without "https://doi.org/"
    published: str | None = None  # ISO date "YYYY-MM-DD" (or "YYYY-MM" / "YYYY")
    updated: str | None = None
    categories: list[str] = field(default_factory=list)  # primary first
    comments: str | None = None
    journal_ref: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    hf_url: str | None = None
    upvotes: int | None = None
    listing: Listing | None = None


@dataclass
class ParsedRecord:
    record: PaperRecord
    position: SourcePosition


@dataclass
class RecordError:
    """A record (or a whole file) that could not be read; the import goes on."""

    message: str
    position: SourcePosition
    fatal: bool = False  # True when nothing more can be read from the file
    warning: bool = False  # informational (e.g. a legacy encoding); nothing was rejected

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.position.file,
            "line": self.position.line,
            "record": self.position.record,
            "message": self.message,
            "warning": self.warning,
        }


ParseResult = ParsedRecord | RecordError


@dataclass
class Paper:
    """A paper as stored in the library, with the user's own state."""

    id: int
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    doi: str | None = None
    published: str | None = None
    updated: str | None = None
    categories: list[str] = field(default_factory=list)
    comments: str | None = None
    journal_ref: str | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    hf_url: str | None = None
    upvotes: int | None = None
    added_at: str = ""
    bookmarked: bool = False
    read: bool = False
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return int(self.published[:4]) if self.published and self.published[:4].isdigit() else None

    @property
    def arxiv_abs_url(self) -> str | None:
        if self.abs_url:
            return self.abs_url
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else None
