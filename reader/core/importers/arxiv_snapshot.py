"""Importer for arXiv metadata JSON lines: the Kaggle snapshot and daily-listing dumps."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from pylatexenc.latex2text import LatexNodes2Text

from reader.core.identity import normalise_arxiv_id, normalise_doi
from reader.core.importers.base import ImportOptions, file_error, legacy_encoding_warning
from reader.core.importers.textio import MAX_LINE_BYTES, iter_lines
from reader.core.model import (
    Listing,
    PaperRecord,
    ParsedRecord,
    ParseResult,
    RecordError,
    SourcePosition,
)
from reader.core.text import one_line, unfold

FORMAT = "arxiv-snapshot"

_NAMES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
_SNIFF_ID = re.compile(rb'"id"\s*:')
_SNIFF_ABSTRACT = re.compile(rb'"(?:abstract|summary)"\s*:')
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARENTHESES = re.compile(r"\([^()]*\)")
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_NAME_SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "II", "III", "IV"})
_NOT_NAMES = frozenset({"et al", "et al."})
_SPACED_HYPHEN = re.compile(r"(?<=\.) -(?=\w)")  # Kaggle's "C. -P." for "C.-P."
_JSON_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
_LATEX = LatexNodes2Text()


class _Invalid(Exception):
    """A line is JSON but not a usable arXiv record."""


def sniff(name: str, head: bytes) -> float:
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)
    if not first[0].startswith(b"{"):
        return 0.0
    complete = len(first) > 1
    if complete:  # the whole first line is here: it must be a record object
        try:
            obj = json.loads(first[0])
        except ValueError:
            return 0.0
        looks_right = (
            isinstance(obj, dict) and "id" in obj and ("abstract" in obj or "summary" in obj)
        )
    else:  # a first line longer than the head (say, 1,700 authors): look for its keys
        looks_right = bool(_SNIFF_ID.search(first[0]) and _SNIFF_ABSTRACT.search(first[0]))
    if not looks_right:
        return 0.0
    score = 0.97 if complete else 0.85
    return score if name.lower().endswith(_NAMES) else score - 0.3


def parse(
    path: Path, options: ImportOptions, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[ParseResult]:
    """One record per non-blank line; ``max_line_bytes`` caps what one line may hold."""
    legacy_warned = any_content = False
    try:
        for line in iter_lines(path, max_line_bytes):
            if line.text is None:
                any_content = True
                message = f"line {line.number} is longer than {_size(max_line_bytes)}; skipped"
                yield RecordError(message, SourcePosition(str(path), line=line.number))
                continue
            if not line.text.strip():
                continue
            any_content = True
            if line.legacy_encoding and not legacy_warned:
                legacy_warned = True
                yield legacy_encoding_warning(path, line.number)
            yield _parse_line(line.text, path, line.number)
    except (OSError, EOFError, zlib.error) as e:
        yield file_error(path, f"cannot read the file: {e}")
        return
    if not any_content:
        yield file_error(path, "the file is empty")


def _parse_line(text: str, path: Path, number: int) -> ParseResult:
    position = SourcePosition(str(path), line=number)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return RecordError(f"invalid JSON: {e.msg} at column {e.colno}", position)
    except (ValueError, RecursionError) as e:  # absurdly long numbers, deep nesting
        return RecordError(f"invalid JSON: {e}", position)
    if not isinstance(obj, dict):
        return RecordError(f"expected a JSON object, found {_kind(obj)}", position)
    try:
        record = _record(obj)
    except _Invalid as e:
        return RecordError(str(e), position)
    record.listing = Listing(source=path.name, kind=FORMAT, position=number)
    return ParsedRecord(record, position)


def _record(obj: dict[str, Any]) -> PaperRecord:
    """Both shapes: Kaggle (abstract, authors string, categories string, versions...)
    and the daily-listing bots (summary, authors list, categories list, abs, pdf)."""
    raw_id = _string(obj, "id")
    if not raw_id:
        raise _Invalid('the record has no "id"')
    arxiv_id = normalise_arxiv_id(raw_id)
    if arxiv_id is None:
        raise _Invalid(f'"id" {raw_id!r} is not an arXiv id')
    title = _one_line(_string(obj, "title"))
    if not title:
        raise _Invalid('the record has no "title"')
    dates = _version_dates(obj.get("versions"))
    if dates:
        published, updated = dates[0], dates[-1]
    else:  # the daily listings carry no dates: the id's yymm is the month of submission
        update_date = _string(obj, "update_date") or ""
        published = _id_month(arxiv_id)
        updated = update_date[:10] if _ISO_DATE.match(update_date) else None
    categories = _string_or_list(obj, "categories")
    return PaperRecord(
        title=title,
        abstract=unfold(_string(obj, "abstract") or _string(obj, "summary")),
        authors=_authors(obj),
        arxiv_id=arxiv_id,
        doi=normalise_doi(_string(obj, "doi")),
        published=published,
        updated=updated,
        categories=list(
            dict.fromkeys(categories.split() if isinstance(categories, str) else categories)
        ),
        comments=_one_line(_string(obj, "comments") or _string(obj, "comment")) or None,
        journal_ref=_one_line(_string(obj, "journal-ref")) or None,
        abs_url=_string(obj, "abs") or None,
        pdf_url=_string(obj, "pdf") or None,
    )


def _authors(obj: dict[str, Any]) -> list[str]:
    parsed = obj.get("authors_parsed")
    if parsed is not None:  # Kaggle's [[last, first, suffix, affiliation?], ...]
        if not isinstance(parsed, list) or not all(
            isinstance(p, list) and p and all(isinstance(s, str) for s in p) for p in parsed
        ):
            raise _Invalid('"authors_parsed" should be a list of [last, first, suffix] lists')
        return [
            name
            for last, first, suffix, *_ in ([*p, "", ""] for p in parsed)
            if (name := _name(" ".join((_SPACED_HYPHEN.sub("-", first), last, suffix))))
        ]
    authors = _string_or_list(obj, "authors")
    if isinstance(authors, list):
        return [name for a in authors if (name := _name(a))]
    return _split_authors(authors)


def _split_authors(text: str) -> list[str]:
    """'A. Smith (1) and B. Jones ((1) MIT)' -> ['A. Smith', 'B. Jones']."""
    previous = None
    while previous != text:  # drop affiliations, innermost parentheses first
        previous, text = text, _PARENTHESES.sub(" ", text)
    names: list[str] = []
    for part in _AUTHOR_SEPARATOR.split(one_line(text)):
        name = _name(part)
        if name in _NAME_SUFFIXES and names:
            names[-1] += f" {name}"
        elif name and name not in _NOT_NAMES:
            names.append(name)
    return names


def _name(text: str) -> str:
    """An author name with TeX accents decoded: "Bal\\'azs" -> "Balázs"."""
    if "\\" in text or "{" in text:
        try:
            text = _LATEX.latex_to_text(text)
        except RecursionError:  # pylatexenc recurses once per nested brace
            raise _Invalid("an author name nests braces too deeply to read") from None
    return _one_line(text)


def _one_line(text: str | None) -> str:
    """``one_line``, without its work for text that is one line already (most names and
    titles): printable text holds no whitespace but the space, and no control character."""
    if text and text.isprintable() and "  " not in text and text[0] != " " != text[-1]:
        return text
    return one_line(text)


def _version_dates(versions: object) -> list[str]:
    """Kaggle's versions[].created, RFC 2822 ('Mon, 2 Apr 2007 19:18:42 GMT'), as ISO dates."""
    if versions is None:
        return []
    if not isinstance(versions, list) or not all(
        isinstance(v, dict) and isinstance(v.get("created", ""), str) for v in versions
    ):
        raise _Invalid('"versions" should be a list of {"version", "created"} objects')
    dates = []
    for version in versions:
        try:
            dates.append(parsedate_to_datetime(version.get("created", "")).date().isoformat())
        except (TypeError, ValueError):
            continue  # an unreadable date loses the date, not the paper
    return dates


def _id_month(arxiv_id: str) -> str | None:
    """'2406.12345' -> '2024-06'; 'hep-th/9901001' -> '1999-01' (arXiv began in 1991)."""
    yymm = arxiv_id.rpartition("/")[2][:4]
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        return None
    return f"{1900 + year if year >= 91 else 2000 + year}-{month:02d}"


def _string(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(f'"{key}" should be a string, not {_kind(value)}')


def _string_or_list(obj: dict[str, Any], key: str) -> str | list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return value
    raise _Invalid(f'"{key}" should be a string or a list of strings, not {_kind(value)}')


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_KINDS.get(type(value), "a number")


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit} bytes"
