"""What the store takes from an imported record: values it can hold, at sizes real papers have.

Every importer's records pass here on their way to the store, so a value SQLite cannot take
(a lone surrogate from a JSON ``\\ud800`` escape, an integer beyond 64 bits, NaN) costs only
its own record, named by file and line, whatever format it came from. Fields longer than any
real paper's are cut to a cap, and the import report says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from reader.core.model import Listing, PaperRecord

# The largest values real papers reach, with room to spare: arXiv caps abstracts at 1,920
# characters and titles at a few hundred; the longest author lists (ATLAS, CMS, LIGO) hold
# about 5,000 names.
MAX_TITLE = 2_000
MAX_ABSTRACT = 100_000
MAX_AUTHORS = 10_000
MAX_AUTHOR_NAME = 500
MAX_CATEGORIES = 100
MAX_TEXT = 10_000  # comments, journal reference, links
MAX_NOTES = 1_000_000  # a user's notes on one paper

_INT64 = (-(2**63), 2**63 - 1)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_IDS = ("arxiv_id", "doi")
_RECORD_FIELDS = tuple(f.name for f in fields(PaperRecord))
_LISTING_FIELDS = tuple(f.name for f in fields(Listing))
_LABELS = {"arxiv_id": "arXiv id", "doi": "DOI", "journal_ref": "journal reference"}


class Unstorable(ValueError):
    """A record holding a value the store cannot take; the message says which and why."""


@dataclass(frozen=True)
class Cut:
    """A field cut to its cap: for the import report."""

    field: str
    had: int  # characters (or names, for authors) before the cut
    cap: int

    def describe(self) -> str:
        unit = "names" if self.field == "authors" else "characters"
        return f"{_label(self.field)} cut to {self.cap:,} {unit} (it had {self.had:,})"


def vet(record: PaperRecord) -> list[Cut]:
    """Check ``record`` in place: raise ``Unstorable`` for a value the store cannot take,
    cut over-long fields to their caps and say which were cut."""
    for name in _RECORD_FIELDS:
        _check_value(name, getattr(record, name))
    for name in _IDS:
        value = getattr(record, name)
        if value and _CONTROL.search(value):
            raise Unstorable(f"{_LABELS[name]}: a control character")
    cuts: list[Cut] = []
    for name, cap in (("title", MAX_TITLE), ("abstract", MAX_ABSTRACT)):
        value = getattr(record, name)
        if len(value) > cap:
            cuts.append(Cut(name, len(value), cap))
            setattr(record, name, value[:cap])
    for name in ("comments", "journal_ref", "abs_url", "pdf_url", "hf_url", "updated"):
        value = getattr(record, name)
        if value and len(value) > MAX_TEXT:
            cuts.append(Cut(name, len(value), MAX_TEXT))
            setattr(record, name, value[:MAX_TEXT])
    if len(record.authors) > MAX_AUTHORS:
        cuts.append(Cut("authors", len(record.authors), MAX_AUTHORS))
        record.authors = record.authors[:MAX_AUTHORS]
    longest = max((len(name) for name in record.authors), default=0)
    if longest > MAX_AUTHOR_NAME:
        cuts.append(Cut("an author's name", longest, MAX_AUTHOR_NAME))
        record.authors = [name[:MAX_AUTHOR_NAME] for name in record.authors]
    if len(record.categories) > MAX_CATEGORIES:
        cuts.append(Cut("categories", len(record.categories), MAX_CATEGORIES))
        record.categories = record.categories[:MAX_CATEGORIES]
    return cuts


def _check_value(name: str, value: object) -> None:
    if isinstance(value, str):
        # ASCII text (most fields of most records) holds no surrogate: no search needed
        if not value.isascii() and _SURROGATE.search(value):
            raise Unstorable(f"{_label(name)}: an invalid character (a lone UTF-16 surrogate)")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise Unstorable(f"{_label(name)}: a {value.bit_length()}-bit number, beyond 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Unstorable(f"{_label(name)}: {value} is not a number")
    elif isinstance(value, list):
        try:  # a list of strings (authors, categories) is checked as one string
            joined = "".join(value)
        except TypeError:
            for item in value:
                _check_value(name, item)
        else:
            _check_value(name, joined)
    elif isinstance(value, Listing):
        for field_name in _LISTING_FIELDS:
            _check_value(f"listing {field_name}", getattr(value, field_name))


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " "))
