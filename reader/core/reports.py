"""What the library's operations report: imports, searches, checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reader.core.importing import ImportCounts
from reader.core.model import Paper


@dataclass
class ImportProgress:
    file: str
    file_number: int  # 1-based
    file_count: int
    records: int  # read from this file so far
    added: int  # over the whole import so far
    stage: str = "storing"  # "storing" or "indexing"


@dataclass
class ImportReport(ImportCounts):
    failed_files: list[str] = field(default_factory=list)  # files nothing could be read from
    cancelled: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "failed_files": self.failed_files,
            "cancelled": self.cancelled,
            "resumed": self.resumed,  # file -> records an interrupted import had stored
        }


@dataclass
class SearchHit:
    paper: Paper
    score: float
    snippet: str  # marked with highlight.START / END
    in_fulltext: bool = False  # matched only with the PDF's text (the snippet comes from it)
    by_meaning: bool = False  # auto search: found by meaning search, not by the query's words


@dataclass
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int  # estimated number of matches
    corrected: str | None = None  # "showing results for …" after a typo rescue
    degraded: bool = False  # the query's syntax was malformed; searched as words
    terms: frozenset[str] = frozenset()  # matched terms, for highlighting elsewhere
    fallback: bool = False  # the index is rebuilding: simple title matches (FALLBACK_NOTE)
    body_terms: frozenset[str] = frozenset()  # matched terms in PDF text (``in_fulltext`` hits)
    shortened: str = ""  # the query was too long: what was searched ("searched the first …")
    joined: bool = False  # auto search: any-word and meaning search joined the keyword search
    no_vectors: bool = False  # meaning search was wanted but no paper has a vector yet


@dataclass
class CheckReport:
    papers: int
    indexed: int
    behind: int  # changed papers the index has not caught up with yet
    missing: list[int]  # in the store, not in the index
    stale: list[int]  # indexed at an older change than the store's
    extra: list[int]  # in the index, not in the store
    # the vectors (derived like the index, but made by `embed`, so not part of `consistent`)
    vectors: int = 0  # papers with a current vector
    vectors_missing: list[int] = field(default_factory=list)  # no vector (or another model's)
    vectors_stale: list[int] = field(default_factory=list)  # made from an older title/abstract
    vectors_model: str = ""
    index_damaged: bool = False  # the index files could not be read
    vectors_damaged: bool = False  # the vector files are shorter than their record says
    # the offline PDF cache (``pdfs``): rows whose file is gone or changed, unrecorded files
    pdfs: int = 0
    pdfs_missing: list[int] = field(default_factory=list)
    pdf_strays: list[str] = field(default_factory=list)

    @property
    def related_ready(self) -> bool:
        return not (self.vectors_missing or self.vectors_stale)

    @property
    def consistent(self) -> bool:
        index_ok = not (
            self.behind or self.missing or self.stale or self.extra or self.index_damaged
        )
        return index_ok and not (self.pdfs_missing or self.pdf_strays)

    def as_dict(self) -> dict[str, object]:
        return {
            "consistent": self.consistent,
            "papers": self.papers,
            "indexed": self.indexed,
            "behind": self.behind,
            "missing": self.missing[:100],
            "stale": self.stale[:100],
            "extra": self.extra[:100],
            "vectors": self.vectors,
            "vectors_model": self.vectors_model,
            "vectors_missing": self.vectors_missing[:100],
            "vectors_stale": self.vectors_stale[:100],
            "related_ready": self.related_ready,
            "index_damaged": self.index_damaged,
            "vectors_damaged": self.vectors_damaged,
            "pdfs": self.pdfs,
            "pdfs_missing": self.pdfs_missing[:100],
            "pdf_strays": self.pdf_strays[:100],
        }


Cancelled = Callable[[], bool]
