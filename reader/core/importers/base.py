"""The one protocol every importer module follows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reader.core.importers.textio import FileTooLarge, read_whole_text
from reader.core.model import ParseResult, RecordError, SourcePosition


@dataclass(frozen=True)
class ImportOptions:
    year: int | None = None  # completes page dates like "Aug 8" that carry no year


class Importer(Protocol):
    """A module in ``reader.core.importers`` that reads one file format.

    ``sniff`` scores how likely the file is in this format (0 = no, 1 = surely) from its
    name and its first decompressed bytes. ``parse`` streams records and errors; it must
    never raise for bad input: a broken record becomes a ``RecordError`` naming the file
    and line/record, and a file that cannot be read at all yields one fatal error.
    """

    FORMAT: str

    def sniff(self, name: str, head: bytes) -> float: ...

    def parse(self, path: Path, options: ImportOptions) -> Iterator[ParseResult]: ...


def file_error(path: Path, message: str, line: int | None = None) -> RecordError:
    """An error that ends reading of ``path``."""
    return RecordError(message, SourcePosition(str(path), line=line), fatal=True)


def legacy_encoding_warning(path: Path, line: int | None = None) -> RecordError:
    return RecordError(
        "not valid UTF-8; read as Windows-1252 (legacy 8-bit) text",
        SourcePosition(str(path), line=line),
        warning=True,
    )


def whole_text(path: Path) -> tuple[str | None, list[RecordError]]:
    """A whole-file format's text (None if it cannot be imported) and what to report first:
    a fatal error for an unreadable or empty file, a warning for a legacy 8-bit encoding."""
    import zlib

    try:
        whole = read_whole_text(path)
    except FileTooLarge as e:
        return None, [file_error(path, str(e))]
    except (OSError, EOFError, zlib.error) as e:
        return None, [file_error(path, f"cannot read the file: {e}")]
    if not whole.text.strip():
        return None, [file_error(path, "the file is empty")]
    return whole.text, [legacy_encoding_warning(path)] if whole.legacy_encoding else []
