"""How papers are recognised: arXiv ids, DOIs and normalised titles."""

from __future__ import annotations

import re
import unicodedata

# New style: 2406.12345 (or 0704.0001); old style: hep-th/9901001, math.GT/0309136.
_NEW_ID = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_OLD_ID = re.compile(r"([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_arxiv_id(value: str | None) -> str | None:
    """'arXiv:2406.12345v2', 'https://arxiv.org/abs/2406.12345' -> '2406.12345'."""
    if not value:
        return None
    value = value.strip()
    m = _NEW_ID.search(value)
    if m:
        return m.group(1)
    m = _OLD_ID.search(value)
    if m:
        archive, number = m.group(1).split("/")
        return f"{archive.lower() if '.' not in archive else archive}/{number}"
    return None


def normalise_doi(value: str | None) -> str | None:
    """'https://doi.org/10.1000/XYZ' -> '10.1000/xyz' (DOIs are case-insensitive)."""
    if not value:
        return None
    m = _DOI.search(value.strip())
    if not m:
        return None
    return m.group(1).rstrip(".,;").lower()


def title_key(title: str) -> str:
    """A title reduced for exact-duplicate matching: folded accents, case, punctuation."""
    if not title.isascii():  # most titles are: skip the per-character pass
        decomposed = unicodedata.normalize("NFKD", title)
        title = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", title.casefold()).strip()


def title_blocks(key: str) -> tuple[str, str]:
    """Two short keys (first and last words) used to find fuzzy-duplicate candidates
    without comparing a new title against the whole library."""
    words = key.split()
    return " ".join(words[:3]), " ".join(words[-3:])
