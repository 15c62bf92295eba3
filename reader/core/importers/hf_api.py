"""Importer for Hugging Face ``/api/daily_papers`` JSON day files, in all three saved shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reader.core.identity import normalise_arxiv_id
from reader.core.importers.base import ImportOptions, file_error, whole_text
from reader.core.importers.pyrepr import repr_as_json
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

FORMAT = "hf-api"

SOURCE_NAME = "Daily Papers"
_DAY_FILE = re.compile(r"(\d{4}-\d{2}-\d{2})\.json(?:\.gz)?", re.IGNORECASE)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Whole numbers longer than Python converts (4,300 digits) would raise mid-array and end the
# file; they decode to a marker instead, and only their item is rejected.
MAX_DIGITS = 4_000


class _HugeNumber(int):
    """A JSON whole number too long to convert; its value is its digit count."""


def _whole_number(digits: str) -> int:
    return int(digits) if len(digits) <= MAX_DIGITS else _HugeNumber(len(digits))


# strict=False tolerates raw control characters inside strings
_DECODER = json.JSONDecoder(strict=False, parse_int=_whole_number)


def sniff(name: str, head: bytes) -> float:
    text, _ = decode(head)
    if not text.lstrip().startswith(("[", "{")):
        return 0.0
    if '"paper"' in text or "'paper'" in text:
        return 0.95
    if '"status"' in text and '"data"' in text:
        return 0.8
    return 0.2 if _DAY_FILE.fullmatch(name) else 0.0


class _BadItem(Exception):
    """An item that cannot become a record; the message says why."""


@dataclass
class _Item:
    line: int  # 1-based line where the item starts
    value: object


class _LineCounter:
    """Turns offsets, visited in increasing order, into 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _skip(text: str, i: int) -> int:
    match = _WHITESPACE.match(text, i)
    return match.end() if match else i


def _scan_array(text: str, i: int, lines: _LineCounter, items: list[_Item]) -> int:
    """Append the elements of the JSON array at ``text[i]`` to ``items`` as they are read
    (so a truncated file keeps its first items); return the offset after the array."""
    i = _skip(text, i + 1)
    if text.startswith("]", i):
        return i + 1
    while True:
        value, end = _DECODER.raw_decode(text, i)
        items.append(_Item(lines.at(i), value))
        i, closed = _next_member(text, _skip(text, end), "]")
        if closed:
            return i


def _next_member(text: str, i: int, close: str) -> tuple[int, bool]:
    """After a member at ``text[i]``: step over a comma to the next member, or over the
    closing bracket (returning True); anything else is a JSON error at ``i``."""
    if text.startswith(",", i):
        return _skip(text, i + 1), False
    if text.startswith(close, i):
        return i + 1, True
    raise json.JSONDecodeError("Expecting ',' delimiter", text, i)


def _scan_wrapper(
    text: str, i: int, lines: _LineCounter, members: dict[str, object], items: list[_Item]
) -> int:
    """Read the JSON object at ``text[i]`` into ``members``, the elements of its "data" array
    into ``items``; return the offset after the object."""
    i = _skip(text, i + 1)
    if text.startswith("}", i):
        return i + 1
    while True:
        if not text.startswith('"', i):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if not text.startswith(":", i):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
        i = _skip(text, i + 1)
        if key == "data" and text.startswith("[", i):
            i = _scan_array(text, i, lines, items)
            members[key] = items
        else:
            members[key], i = _DECODER.raw_decode(text, i)
        i, closed = _next_member(text, _skip(text, i), "}")
        if closed:
            return i


def _iso_day(value: object) -> str | None:
    """The 'YYYY-MM-DD' a date or timestamp string starts with, if it is a real date."""
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _kind(value: object) -> str:
    if isinstance(value, _HugeNumber):
        return f"a number of {int(value):,} digits"
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false", int: "a number"}
    return kinds.get(type(value), "null" if value is None else f"a {type(value).__name__}")


def _text(obj: dict[str, object], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _BadItem(f'"{key}" is {_kind(value)}, not text')


def _record(value: object) -> tuple[PaperRecord, dict[str, object]]:
    """The paper in one item (an object or its Python repr), and the item itself."""
    if isinstance(value, str):
        try:
            value = _DECODER.decode(repr_as_json(value))
        except (ValueError, RecursionError):
            raise _BadItem("text that is not the Python repr of an item") from None
    if not isinstance(value, dict):
        raise _BadItem(f"expected an object, got {_kind(value)}")
    paper = value.get("paper")
    if paper is None:
        raise _BadItem('the item has no "paper" object')
    if not isinstance(paper, dict):
        raise _BadItem(f'"paper" is {_kind(paper)}, not an object')
    title = one_line(_text(value, "title")) or one_line(_text(paper, "title"))
    if not title:
        raise _BadItem("the paper has no title")
    authors = paper.get("authors", [])
    if not isinstance(authors, list):
        raise _BadItem(f'"authors" is {_kind(authors)}, not a list')
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    if not all(isinstance(name, str) for name in names):
        raise _BadItem('an author is not an object with a "name"')
    upvotes = paper.get("upvotes")
    if isinstance(upvotes, _HugeNumber):
        raise _BadItem(f'"upvotes" is {_kind(upvotes)}, beyond 64 bits')
    if upvotes is not None and (isinstance(upvotes, bool) or not isinstance(upvotes, int)):
        raise _BadItem(f'"upvotes" is {_kind(upvotes)}, not a whole number')
    raw_id = one_line(_text(paper, "id"))
    arxiv_id = normalise_arxiv_id(raw_id)
    record = PaperRecord(
        title=title,
        abstract=unfold(_text(paper, "summary") or _text(value, "summary")),
        authors=[n for n in (one_line(name) for name in names) if n],
        arxiv_id=arxiv_id,
        published=_iso_day(_text(paper, "publishedAt")),
        abs_url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}" if arxiv_id else None,
        hf_url=f"https://huggingface.co/papers/{raw_id}" if raw_id else None,
        upvotes=upvotes,
    )
    return record, value


def parse(path: Path, options: ImportOptions) -> Iterator[ParseResult]:
    text, problems = whole_text(path)
    if text is None:
        yield from problems
        return
    yield from problems  # a legacy-encoding warning, if any

    lines = _LineCounter(text)
    items: list[_Item] = []
    wrapper: dict[str, object] = {}
    problem: RecordError | None = None
    start = _skip(text, 0)
    try:
        if text.startswith("[", start):
            end = _scan_array(text, start, lines, items)
        elif text.startswith("{", start):
            end = _scan_wrapper(text, start, lines, wrapper, items)
        else:
            yield file_error(path, "not a daily_papers file: it does not start with '[' or '{'")
            return
        if _skip(text, end) < len(text):
            raise json.JSONDecodeError("Extra data", text, _skip(text, end))
    except json.JSONDecodeError as e:
        problem = file_error(path, f"invalid or truncated JSON: {e}", line=e.lineno)
    except RecursionError:
        problem = file_error(path, "not a daily_papers file: JSON nested too deeply")
    if problem is None and text.startswith("{", start) and wrapper.get("data") is not items:
        problem = file_error(path, 'not a daily_papers file: a JSON object without a "data" list')

    file = str(path)
    name_day = _DAY_FILE.fullmatch(path.name)
    day = (_iso_day(name_day[1]) if name_day else None) or _iso_day(wrapper.get("date"))
    for number, item in enumerate(items, start=1):
        position = SourcePosition(file, line=item.line, record=number)
        try:
            record, raw = _record(item.value)
        except _BadItem as e:
            yield RecordError(str(e), position)
            continue
        listed_on = day or _iso_day(raw.get("publishedAt")) or ""
        record.listing = Listing(SOURCE_NAME, FORMAT, number, listed_on)
        yield ParsedRecord(record, position)
    if problem is not None:
        yield problem
