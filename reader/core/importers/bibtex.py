"""BibTeX importer (Zotero, Better BibTeX, JabRef, Mendeley, hand-written .bib) via bibtexparser."""

from __future__ import annotations

import codecs
import logging
import re
import zlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    MonthIntMiddleware,
    NameParts,
    NormalizeFieldKeys,
    SeparateCoAuthors,
    SplitNameParts,
    default_parse_stack,
)
from bibtexparser.middlewares.names import parse_single_name_into_parts
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)
from pylatexenc.latex2text import LatexNodes2Text

from reader.core.identity import normalise_arxiv_id, normalise_doi
from reader.core.importers.base import ImportOptions, file_error, legacy_encoding_warning
from reader.core.importers.textio import FileTooLarge, read_whole_text
from reader.core.model import (
    Listing,
    PaperRecord,
    ParsedRecord,
    ParseResult,
    RecordError,
    SourcePosition,
)
from reader.core.text import one_line, unfold

# bibtexparser logs every broken block itself; we report each one as a RecordError with
# its file and line, so its own messages would only repeat ours on stderr.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

FORMAT = "bibtex"

_ENTRY_START = re.compile(rb"@\s*[A-Za-z]+\s*[{(]")
_BLOCK_HEAD = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^,\s]*)")
_ARXIV_EPRINT = re.compile(
    r"(?:arxiv:)?(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE
)
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(\S+)", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")  # LaTeX would read these as comment / tab stop
_SIMPLE_ESCAPE = re.compile(r"\\([%&$_#])")
_NEEDS_LATEX = re.compile(r"[\\$~]|--|``|''")
_NOT_AUTHORS = {"others", "et al.", "et al"}
_DUPLICATE = "reader_duplicate"  # parser metadata: (original key, warning) of a recovered entry

_LATEX = LatexNodes2Text(math_mode="verbatim")


class _LenientSplitNameParts(SplitNameParts):
    """Split names like bibtexparser, repairing stray braces and commas instead of failing."""

    def _transform_field_value(self, name: list[str]) -> list[NameParts]:
        return [parse_single_name_into_parts(n, strict=False) for n in name]


_PARSE_STACK = [
    *default_parse_stack(),  # resolve @string macros, then strip {…} / "…" enclosings
    NormalizeFieldKeys(),
    SeparateCoAuthors(),
    _LenientSplitNameParts(),
    MonthIntMiddleware(),
]


def sniff(name: str, head: bytes) -> float:
    if name.lower().removesuffix(".gz").endswith((".bib", ".bibtex")):
        return 0.95
    for line in head.removeprefix(codecs.BOM_UTF8).splitlines():
        line = line.strip()
        if line and not line.startswith(b"%"):
            return 0.8 if _ENTRY_START.match(line) else 0.0
    return 0.0


def parse(path: Path, options: ImportOptions) -> Iterator[ParseResult]:
    try:
        whole = read_whole_text(path)
    except FileTooLarge as e:
        yield file_error(path, str(e))
        return
    except (OSError, EOFError, zlib.error) as e:
        yield file_error(path, f"cannot read: {e}")
        return
    if whole.legacy_encoding:
        yield legacy_encoding_warning(path)
    try:
        library = _load(whole.text)
    except Exception as e:  # bibtexparser re-raises its own internal errors
        yield file_error(path, f"the BibTeX parser failed: {e}")
        return

    by_key = {entry.key.lower(): entry for entry in library.entries}
    number = rejected = 0
    for block in library.blocks:
        if isinstance(block, Entry):
            number += 1
            position = SourcePosition(str(path), line=_line(block), record=number)
            duplicate = block.get_parser_metadata(_DUPLICATE)
            if duplicate:
                yield RecordError(duplicate[1], position, warning=True)
            try:
                yield _convert(block, by_key, path, number, position)
            except RecursionError:  # pylatexenc recurses once per nested brace
                yield RecordError(f"entry {key_of(block)!r} nests braces too deeply", position)
        elif isinstance(block, DuplicateBlockKeyBlock):  # an @string defined twice
            message = f"@string {block.key!r} is defined again; the first definition is used"
            yield RecordError(message, SourcePosition(str(path), _line(block)), warning=True)
        elif isinstance(block, ParsingFailedBlock):
            rejected += 1
            yield RecordError(_failure_message(block), SourcePosition(str(path), _line(block)))
    if not number and not rejected:
        yield file_error(path, "no BibTeX entries found")


def _load(text: str) -> Library:
    """Split and run the parse stack, keeping the entries bibtexparser sets aside for a
    repeated key or field: in real exports they are still distinct papers."""
    blocks: list[Block] = []
    for block in bibtexparser.parse_string(text, parse_stack=[]).blocks:
        entry = block.ignore_error_block if isinstance(block, ParsingFailedBlock) else None
        if isinstance(entry, Entry) and isinstance(block, DuplicateBlockKeyBlock):
            warning = f"duplicate entry key {entry.key!r}; imported anyway"
        elif isinstance(entry, Entry) and isinstance(block, DuplicateFieldKeyBlock):
            repeated = ", ".join(sorted(block.duplicate_keys))
            warning = f"entry {entry.key!r} repeats field(s) {repeated}; the last value is used"
            entry.fields = list({field.key: field for field in entry.fields}.values())
        else:
            blocks.append(block)
            continue
        entry.set_parser_metadata(_DUPLICATE, (entry.key, warning))
        entry.key = f"{entry.key}\n{entry.start_line}"  # unique, so the library keeps it
        blocks.append(entry)
    library = Library(blocks, fail_on_duplicate_key=False)
    for middleware in _PARSE_STACK:
        library = middleware.transform(library)
    return library


def key_of(entry: Entry) -> str:
    duplicate = entry.get_parser_metadata(_DUPLICATE)
    return duplicate[0] if duplicate else entry.key


def _line(block: Block) -> int | None:
    return None if block.start_line is None else block.start_line + 1  # bibtexparser is 0-based


def _failure_message(block: ParsingFailedBlock) -> str:
    head = _BLOCK_HEAD.match(block.raw or "")
    what = f"@{head.group(1)} entry {head.group(2)!r}" if head else "block"
    reason = getattr(block.error, "abort_reason", "") or str(block.error)
    return f"unreadable BibTeX {what}: {one_line(reason)}"


def _convert(
    entry: Entry, by_key: dict[str, Entry], path: Path, number: int, position: SourcePosition
) -> ParseResult:
    duplicate = entry.get_parser_metadata(_DUPLICATE)
    key = duplicate[0] if duplicate else entry.key
    fields = _fields(entry, by_key)
    title = one_line(_text(fields.get("title")))
    if not title:
        return RecordError(f"entry {key!r} has no title", position)
    journal = one_line(_text(fields.get("journal") or fields.get("journaltitle")))
    arxiv_journal = journal.lower().startswith("arxiv")  # "arXiv preprint arXiv:1706.03762"
    arxiv_id = _arxiv_id(fields, journal if arxiv_journal else "")
    primary_class = _str(fields.get("primaryclass")).strip()
    url = _verbatim(fields.get("url"))
    container = "" if arxiv_journal else journal
    record = PaperRecord(
        title=title,
        abstract=unfold(_text(fields.get("abstract"))),
        authors=_authors(fields.get("author")),
        arxiv_id=arxiv_id,
        doi=normalise_doi(_verbatim(fields.get("doi"))),
        published=_published(fields),
        categories=[primary_class] if arxiv_id and primary_class else [],
        journal_ref=container or one_line(_text(fields.get("booktitle"))) or None,
        abs_url=url or None,
        listing=Listing(source=path.name, kind=FORMAT, position=number),
    )
    return ParsedRecord(record, position)


def _fields(entry: Entry, by_key: dict[str, Entry]) -> dict[str, object]:
    """The entry's fields, completed from the entry its ``crossref`` names (same file)."""
    fields = {f.key: f.value for f in entry.fields}
    parent = by_key.get(_str(fields.get("crossref")).strip().lower())
    if parent is None or parent is entry:
        return fields
    inherited = {f.key: f.value for f in parent.fields if f.key not in ("title", "crossref")}
    if "title" in parent:
        inherited.setdefault("booktitle", parent["title"])
    return inherited | fields


def _str(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _text(value: object) -> str:
    return _latex_to_text(_str(value))


@lru_cache(maxsize=65536)  # names repeat a lot across a library
def _latex_to_text(latex: str) -> str:
    """LaTeX to Unicode text: accents, escapes and braces; math is kept verbatim."""
    text = _BARE_SPECIAL.sub(r"\\\1", latex)
    if not _NEEDS_LATEX.search(_SIMPLE_ESCAPE.sub("", text)):  # no macros: skip the slow parser
        return _SIMPLE_ESCAPE.sub(r"\1", text).replace("{", "").replace("}", "")
    return _LATEX.latex_to_text(text)


def _verbatim(value: object) -> str:
    """URL-like fields: not LaTeX (``%`` is part of the URL), but ``\\_`` escapes happen."""
    return _SIMPLE_ESCAPE.sub(r"\1", _str(value)).strip()


def _authors(value: object) -> list[str]:
    names = value if isinstance(value, list) else []
    authors = (one_line(_text(n.merge_first_name_first)) for n in names)
    return [a for a in authors if a and a.lower() not in _NOT_AUTHORS]


def _published(fields: dict[str, object]) -> str | None:
    date = _ISO_DATE.match(_str(fields.get("date")).strip())
    if date:
        return "-".join(part for part in date.groups() if part)
    year = _YEAR.search(_str(fields.get("year")))
    if not year:
        return None
    month = fields.get("month")
    return f"{year.group()}-{month:02d}" if isinstance(month, int) else year.group()


def _arxiv_id(fields: dict[str, object], arxiv_journal: str) -> str | None:
    eprint = _verbatim(fields.get("eprint"))
    prefix = _str(fields.get("archiveprefix") or fields.get("eprinttype")).strip().lower()
    if eprint and (prefix == "arxiv" or (not prefix and _ARXIV_EPRINT.fullmatch(eprint))):
        return normalise_arxiv_id(eprint)
    for name in ("arxiv", "arxivid"):  # Mendeley and others; sometimes holding a DOI
        value = _verbatim(fields.get(name))
        if _ARXIV_EPRINT.fullmatch(value):
            return normalise_arxiv_id(value)
    url = _verbatim(fields.get("url"))
    doi = _ARXIV_DOI.search(_verbatim(fields.get("doi")))
    if "arxiv.org/" in url.lower():
        return normalise_arxiv_id(url)
    if doi:
        return normalise_arxiv_id(doi.group(1))
    return normalise_arxiv_id(arxiv_journal)
