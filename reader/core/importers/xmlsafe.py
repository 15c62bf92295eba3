"""Streaming, hardened XML reading shared by the XML importers."""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from pyexpat import errors as expat_errors
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from reader.core.importers.base import file_error
from reader.core.importers.textio import open_binary
from reader.core.model import RecordError

_NO_ELEMENTS = expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# The encodings expat reads itself; a declaration naming any other that Python knows (Shift_JIS,
# EUC-JP, GB2312, UTF-7, ...) is read through Python's codec and handed to expat as UTF-8.
_EXPAT_ENCODINGS = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "iso8859-1", "ascii"}
_DECLARATION = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1""")

READ_SIZE = 64 * 1024  # bytes handed to the XML parser at a time, while elements keep coming
MAX_READ_SIZE = 16 * 1024 * 1024


class _GrowingReads:
    """Feeds the parser 64 kB at a time, doubling while no element event comes out.

    Expat before 2.6 re-scans a token that spans reads from its start on every read
    (CVE-2023-52425), so one multi-MB token (an attribute value, a comment, junk between
    elements) took quadratic time in ElementTree's fixed 16 kB reads: 20 MB, 15 s. Growing
    reads make that linear; ``reset`` (called on every event) keeps memory flat otherwise.
    A read error after some data (a cut or damaged gzip) returns that data first and is
    raised on the next read, so the elements before the damage still come out.
    """

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._size = READ_SIZE
        self._error: Exception | None = None

    def reset(self) -> None:
        self._size = READ_SIZE

    def read(self, size: int = -1) -> bytes:
        if self._error is not None:
            raise self._error
        parts: list[bytes] = []
        wanted = self._size
        try:
            while wanted > 0:
                chunk = self._f.read(min(wanted, READ_SIZE))
                if not chunk:
                    break
                parts.append(chunk)
                wanted -= len(chunk)
        except (OSError, EOFError, zlib.error) as e:
            if not parts:
                raise
            self._error = e
        self._size = min(2 * self._size, MAX_READ_SIZE)
        return b"".join(parts)


class _Transcoding:
    """A binary file in another encoding, read as UTF-8 (its declaration rewritten to say so).

    Expat reads only UTF-8, UTF-16, Latin-1 and ASCII itself; the multi-byte encodings a
    declaration may name made it raise "multi-byte encodings are not supported", and the
    file's papers were lost. Newlines pass through unchanged, so error lines still match.
    """

    def __init__(self, f: BinaryIO, encoding: str, declaration: re.Match[bytes]) -> None:
        self._f = f
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._declaration = declaration
        self._first = True
        self._done = False

    def read(self, size: int = READ_SIZE) -> bytes:
        while not self._done:
            raw = self._f.read(size if size > 0 else READ_SIZE)
            if self._first:  # the declaration is ASCII in every encoding that names itself
                self._first = False
                d = self._declaration
                head = raw[: d.start(2)] + b"UTF-8" + raw[d.end(2) : d.end()]
                rest = raw[d.end() :]
                return head + self._decoder.decode(rest, final=not rest).encode()
            self._done = not raw
            text = self._decoder.decode(raw, final=self._done)
            if text or self._done:
                return text.encode()
        return b""


def _transcoded(f: BinaryIO) -> BinaryIO | _Transcoding:
    """``f``, or ``f`` read through Python's codec if its declaration names an encoding that
    expat cannot read itself (an unknown name is left to expat, which reports it)."""
    head = f.peek(256)[:256] if hasattr(f, "peek") else b""
    declaration = _DECLARATION.match(head)
    if declaration is None:
        return f
    try:
        encoding = codecs.lookup(declaration[2].decode("ascii")).name
    except LookupError:
        return f
    if encoding in _EXPAT_ENCODINGS:
        return f
    return _Transcoding(f, encoding, declaration)


def iter_elements(
    path: Path, root: str, tags: Collection[str], kind: str
) -> Iterator[Element | RecordError]:
    """Yield each complete element tagged one of ``tags`` (outermost only), in order.

    ``root`` is the required (namespaced) root tag and ``kind`` names the format in
    errors. DTDs, entities and external references are refused before anything is
    expanded. Every finished element is cleared and detached once the caller resumes,
    so memory stays flat however large the file; callers must not keep yielded
    elements. Problems end the stream with one fatal ``RecordError``.
    """
    stack: list[Element] = []  # the open elements, root first
    try:
        with open_binary(path) as f:
            match: Element | None = None
            reads = _GrowingReads(_transcoded(f))
            for event, elem in iterparse(
                reads,
                events=("start", "end"),
                forbid_dtd=True,
                forbid_entities=True,
                forbid_external=True,
            ):
                reads.reset()
                if event == "start":
                    if not stack and elem.tag != root:
                        yield file_error(path, f"not {kind}: the root element is <{elem.tag}>")
                        return
                    if match is None and elem.tag in tags:
                        match = elem
                    stack.append(elem)
                    continue
                stack.pop()
                if match is not None:
                    if elem is not match:
                        continue  # part of the element the caller is waiting for
                    match = None
                    yield elem
                elem.clear()
                if stack:
                    stack[-1].remove(elem)
    except ParseError as e:
        if e.code == _NO_ELEMENTS and not stack:
            yield file_error(path, f"not {kind}: the file has no XML element (is it empty?)")
        else:
            message = f"not well-formed XML (truncated or damaged?): {e}"
            yield file_error(path, message, e.position[0])
    except DefusedXmlException as e:
        yield file_error(
            path,
            f"refused unsafe XML ({e}): DTDs, entity declarations and external "
            "references are not allowed",
        )
    except LookupError as e:  # the XML declaration names an encoding Python does not know
        yield file_error(path, f"cannot read the file's text: {e} (in its XML declaration)", 1)
    except UnicodeDecodeError as e:  # not in the encoding its declaration names
        yield file_error(path, f"cannot read the file's text: {e}")
    except ValueError as e:  # any other encoding expat refuses
        yield file_error(path, f"cannot read the file's text: {e}", 1)
    except (OSError, EOFError, zlib.error) as e:
        yield file_error(path, f"cannot read the file: {e}")


def text(elem: Element | None) -> str:
    """All text inside ``elem`` (markup in it is dropped), or "" when it is missing."""
    return "".join(elem.itertext()) if elem is not None else ""


def iso_date(value: str) -> str | None:
    """'2011-11-08T18:48:36Z' or '2011-11-08' -> '2011-11-08'; None if it is no date."""
    value = value.strip()
    return value[:10] if _ISO_DATE.match(value) else None
