"""Reading import files as text: gzip, BOMs, CRLF, legacy 8-bit encodings, huge lines."""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
LEGACY_ENCODING = "cp1252"
MAX_LINE_BYTES = 16 * 1024 * 1024  # a JSON line longer than this is refused, not loaded
MAX_WHOLE_FILE_BYTES = 512 * 1024 * 1024  # formats that must be read whole (BibTeX, pages)


class FileTooLarge(Exception):
    """A whole-file format is larger than we are willing to hold in memory."""


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, transparently un-gzipping it."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    raw.seek(0)
    return raw


def read_head(path: Path, size: int = 8192) -> bytes:
    """The first ``size`` decompressed bytes, for format sniffing."""
    return read_head_checked(path, size)[0]


def read_head_checked(path: Path, size: int = 8192) -> tuple[bytes, bool]:
    """The first ``size`` decompressed bytes, and whether the gzip data broke off before
    them (cut short or damaged: then the bytes are those read before the damage)."""
    head = b""
    with open_binary(path) as f:
        try:
            while len(head) < size:  # in small reads, so what precedes damage is kept
                chunk = f.read(min(1024, size - len(head)))
                if not chunk:
                    break
                head += chunk
        except (OSError, EOFError, zlib.error):  # zlib.error is no OSError
            return _sniffable(head), True
    return _sniffable(head), False


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF16_SNIFF_BYTES = 4096
_BOMS = (codecs.BOM_UTF8, *UTF16_BOMS)


def utf16_codec(head: bytes) -> str | None:
    """The UTF-16 codec of text starting with ``head``, or None if it is not UTF-16.

    With a BOM (Notepad's "Unicode", PowerShell's ``>``), "utf-16". Without one (some
    exporters, .NET's ``Encoding.Unicode`` streams), metadata is mostly ASCII, so every
    other byte is zero: on odd offsets little-endian, on even ones big-endian.
    """
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    sample = head[: UTF16_SNIFF_BYTES & ~1]
    if len(sample) < 4:
        return None
    pairs = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.6 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.6 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def _sniffable(head: bytes) -> bytes:
    """UTF-16 text as UTF-8, for the format sniffers."""
    codec = utf16_codec(head)
    if codec:
        return head[: len(head) & ~1].decode(codec, errors="replace").encode("utf-8")
    return head


def decode(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8 (with or without BOM) or UTF-16 (see ``utf16_codec``); fall back to
    Windows-1252.

    Returns the text and whether the legacy fallback was used.
    """
    codec = utf16_codec(data)
    if codec:
        return data.decode(codec, errors="replace"), False
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode(LEGACY_ENCODING, errors="replace"), True


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class WholeText:
    text: str
    legacy_encoding: bool


READ_CHUNK_BYTES = 1 << 20


def read_whole_text(path: Path, limit: int = MAX_WHOLE_FILE_BYTES) -> WholeText:
    """Read a whole (possibly gzipped) file as text with newlines normalised."""
    chunks, size = [], 0
    with open_binary(path) as f:  # in pieces: read(limit + 1) reserves the limit up front
        while chunk := f.read(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise FileTooLarge(f"file is larger than {limit // (1024 * 1024)} MB")
            chunks.append(chunk)
    data = b"".join(chunks)
    del chunks
    text, legacy = decode(data)
    return WholeText(normalise_newlines(text), legacy)


@dataclass
class Line:
    number: int  # 1-based
    text: str | None  # None when the line was too long and skipped
    legacy_encoding: bool = False


def iter_lines(path: Path, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Stream decoded lines in constant memory; over-long lines come back with text None."""
    with open_binary(path) as f:
        reader = io.BufferedReader(f) if not isinstance(f, io.BufferedReader) else f
        codec = utf16_codec(reader.peek(UTF16_SNIFF_BYTES)[:UTF16_SNIFF_BYTES])
        if codec:
            yield from _utf16_lines(reader, codec, max_line_bytes)
            return
        number = 0
        while True:
            chunk = reader.readline(max_line_bytes + 1)
            if not chunk:
                return
            number += 1
            if len(chunk) > max_line_bytes and not chunk.endswith(b"\n"):
                while chunk and not chunk.endswith(b"\n"):  # skip the rest of the line
                    chunk = reader.readline(max_line_bytes)
                yield Line(number, None)
                continue
            if number == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            text, legacy = _decode_line(chunk)
            yield Line(number, text.rstrip("\r\n"), legacy)


def _decode_line(chunk: bytes) -> tuple[str, bool]:
    """``decode`` of one line, without its UTF-16 sniffing where it cannot apply: a line
    with no NUL byte and no BOM is UTF-8 or legacy 8-bit text."""
    if b"\x00" in chunk or chunk.startswith(_BOMS):
        return decode(chunk)
    try:
        return chunk.decode("utf-8"), False
    except UnicodeDecodeError:
        return chunk.decode(LEGACY_ENCODING, errors="replace"), True


def _utf16_lines(reader: BinaryIO, codec: str, max_line_bytes: int) -> Iterator[Line]:
    """``iter_lines`` for UTF-16 text (the limit counts characters here)."""
    text = io.TextIOWrapper(reader, encoding=codec, errors="replace", newline="")  # type: ignore[arg-type]
    number = 0
    while line := text.readline(max_line_bytes + 1):
        number += 1
        if len(line) > max_line_bytes and not line.endswith(("\n", "\r")):
            while line and not line.endswith(("\n", "\r")):  # skip the rest of the line
                line = text.readline(max_line_bytes)
            yield Line(number, None)
            continue
        yield Line(number, line.rstrip("\r\n"))
    text.detach()
