"""Export papers as BibTeX, written by bibtexparser, with stable unique citation keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import bibtexparser
from bibtexparser import BibtexFormat
from bibtexparser.library import Library
from bibtexparser.middlewares import MonthAbbreviationMiddleware
from bibtexparser.model import Entry, Field
from pylatexenc.latexencode import UnicodeToLatexEncoder

from reader.core.model import Paper

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_NON_ASCII = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",  # {\"u}: BibTeX treats it as one letter
    unknown_char_policy="keep",  # e.g. CJK: left for XeLaTeX / LuaLaTeX
    unknown_char_warning=False,
)
_STOPWORDS = frozenset(
    {"a", "an", "and", "the", "on", "of", "in", "for", "to", "towards", "how", "what"}
)
_AND = re.compile(r"\sand\s", re.IGNORECASE)


def to_bibtex(papers: Iterable[Paper]) -> str:
    papers = list(papers)
    entries = [_entry(p, key) for p, key in zip(papers, citation_keys(papers), strict=True)]
    layout = BibtexFormat()
    layout.block_separator = "\n"
    return bibtexparser.write_string(
        Library(entries), prepend_middleware=[MonthAbbreviationMiddleware()], bibtex_format=layout
    )


def citation_keys(papers: Sequence[Paper]) -> list[str]:
    """Keys like ``vaswani2017attention``: first author's family name, year and first
    significant title word, in ASCII; repeats get ``a``, ``b``, … appended."""
    used: set[str] = set()
    keys = []
    for paper in papers:
        base = _citation_key(paper)
        key, n = base, 0
        while key in used:
            key, n = base + _letters(n), n + 1
        used.add(key)
        keys.append(key)
    return keys


def family_given(name: str) -> tuple[str, str]:
    """Stored names are "Given Family"; the last word is taken as the family name."""
    given, _, family = name.strip().rpartition(" ")
    return family, given


def date_parts(published: str | None) -> list[int]:
    """'2017-06-12' -> [2017, 6, 12]; [] when there is no usable date."""
    parts = (published or "").split("-")
    return [int(p) for p in parts] if all(p.isdigit() for p in parts) else []


def _citation_key(paper: Paper) -> str:
    family = _ascii_words(family_given(paper.authors[0])[0]) if paper.authors else []
    word = next((w for w in _ascii_words(paper.title) if w not in _STOPWORDS), "")
    return f"{''.join(family) or 'anon'}{paper.year or ''}{word}"


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded)


def _letters(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, …"""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _latex(text: str) -> str:
    """Plain text as BibTeX-safe LaTeX: ASCII specials escaped, accents as TeX macros."""
    return _NON_ASCII.unicode_to_latex("".join(_SPECIAL.get(c, c) for c in text))


def _name(name: str) -> str:
    latex = _latex(name)
    return f"{{{latex}}}" if "," in name or _AND.search(name) else latex  # keep it one person


def _entry(paper: Paper, key: str) -> Entry:
    date = [*date_parts(paper.published), 0, 0]
    fields = {
        "title": _latex(paper.title),
        "author": " and ".join(_name(a) for a in paper.authors),
        "journal": _latex(paper.journal_ref or ""),
        "year": str(date[0] or ""),
        "month": date[1],  # an int, written as the month macro (jun)
        "doi": paper.doi or "",
        "url": paper.arxiv_abs_url or "",
        "abstract": _latex(paper.abstract),
        "keywords": ", ".join(_latex(t) for t in paper.tags),
    }
    if paper.arxiv_id:
        fields |= {
            "eprint": paper.arxiv_id,
            "archivePrefix": "arXiv",
            "primaryClass": paper.categories[0] if paper.categories else "",
        }
    entry_type = "article" if paper.journal_ref else "misc"
    return Entry(entry_type, key, [Field(k, v) for k, v in fields.items() if v])
