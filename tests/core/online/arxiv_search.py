"""A stand-in for arXiv's search API built from real arXiv records (../shared/data), for the
enrichment tests and benchmark: ``/api/query?search_query=ti:…`` answered on 127.0.0.1.

How the responses are built:

- **The records** are real arXiv metadata, merged by arXiv id from three folders:
  ``hf-daily-papers`` (9,881 Daily Papers items, 580 days: id, ``paper.title`` with arXiv's
  own hard wraps, authors, ``paper.publishedAt``, the abstract), ``arxiv-daily-listings``
  (36,468 records of the cs/AI and astro-ph listings: id, title, authors, categories,
  comment, abstract; they carry no dates) and ``arxiv-kaggle-snapshot-sample`` (200 records
  with everything: versions' dates, DOI, journal ref). Where a paper is in several, the
  listings' categories and the Daily Papers' date are both kept. Nothing is invented: a
  field no folder has (the date of a listings-only record, the categories of a Daily Papers
  -only one) is left out of its entry.
- **The query** is read as arXiv reads a title search: terms ``ti:word`` or
  ``ti:"several words"`` joined by ``AND`` (``OR`` and ``ANDNOT`` too). A title matches a
  term when it contains all the term's words (lower-cased, accents folded, split at
  anything that is not a letter or digit, English stop words not required). Simplification:
  a quoted phrase is matched as words, not as adjacent words.
- **The ranking** stands in for arXiv's relevance: titles matching more of an ``OR``
  query's terms first, then titles with fewer words (a field's length normalisation), then
  newer ids. ``start`` and
  ``max_results`` page it; ``opensearch:totalResults`` counts every match.
- **The feed** has the shape of arXiv's current API (``arxiv-api-atom/new-2026``): the
  namespaces on ``<feed>``, ``https://arxiv.org/api/…`` ids, ``opensearch:*`` counts, and
  per entry ``id``, ``title``, ``updated``, ``link`` alternate and pdf, ``summary``,
  ``category``, ``published``, ``arxiv:comment``, ``arxiv:primary_category``,
  ``arxiv:journal_ref``, ``author/name``, ``arxiv:doi`` in that order. The version is v1.
"""

from __future__ import annotations

import ast
import gzip
import json
import re
import tarfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from werkzeug import Request, Response

from tests.core.online.recorded import HF_TAR

SHARED = HF_TAR.parents[1]  # ../shared/data

LISTINGS = [
    SHARED / "arxiv-daily-listings" / "cs_ai_listings_sample.jsonl.gz",
    SHARED / "arxiv-daily-listings" / "astro_ph_listings.jsonl.gz",
]
KAGGLE = SHARED / "arxiv-kaggle-snapshot-sample" / "arxiv-metadata-oai-snapshot.head200.json"
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)
_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r'ti:(?:"([^"]*)"|\(([^)]*)\)|(\S+))')


@dataclass
class Entry:
    """One arXiv record as the corpus holds it."""

    arxiv_id: str
    title: str
    authors: list[str]
    abstract: str = ""
    published: str = ""  # ISO 8601 with time, '' when no folder has it
    updated: str = ""
    categories: list[str] = field(default_factory=list)
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""


def words(text: str) -> list[str]:
    """A title's words as the stand-in search sees them."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _WORD.findall(folded)


@cache
def corpus() -> dict[str, Entry]:
    """Every record of the three folders, by arXiv id."""
    entries: dict[str, Entry] = {}
    for item in _hf_items():
        paper = item["paper"]
        entries[paper["id"]] = Entry(
            paper["id"],
            paper["title"],
            [a["name"] for a in paper.get("authors", []) if a.get("name")],
            paper.get("summary", ""),
            published=paper.get("publishedAt", "")[:19] + "Z" if paper.get("publishedAt") else "",
        )
    for path in LISTINGS:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                known = entries.get(record["id"])
                if known is None:
                    entries[record["id"]] = known = Entry(
                        record["id"], record["title"], record["authors"], record["summary"]
                    )
                known.categories = known.categories or record.get("categories", [])
                known.comment = known.comment or (record.get("comment") or "")
    for line in KAGGLE.read_text().splitlines():
        record = json.loads(line)
        created = record["versions"][0]["created"]  # 'Mon, 2 Apr 2007 19:18:42 GMT'
        published = datetime.strptime(created, "%a, %d %b %Y %H:%M:%S %Z")
        entries[record["id"]] = Entry(
            record["id"],
            record["title"],
            [a.strip() for a in re.split(r",| and ", record["authors"]) if a.strip()],
            record["abstract"].strip(),
            published=published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            updated=f"{record['update_date']}T00:00:00Z",
            categories=record["categories"].split(),
            comment=record.get("comments") or "",
            journal_ref=record.get("journal-ref") or "",
            doi=record.get("doi") or "",
        )
    return entries


def _hf_items() -> list[dict]:
    """The Daily Papers items of all 580 recorded days (three file shapes, see SOURCE.md)."""
    items = []
    with tarfile.open(HF_TAR) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            data = json.loads(handle.read())
            if isinstance(data, dict):
                data = data["data"]
            items += [ast.literal_eval(i) if isinstance(i, str) else i for i in data]
    return items


class Search:
    """The corpus (or any dict of entries) searchable by title words."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.entries = list(entries.values())
        self.lengths = [len(words(e.title)) for e in self.entries]
        self.postings: dict[str, set[int]] = {}
        for n, entry in enumerate(self.entries):
            for word in words(entry.title):
                self.postings.setdefault(word, set()).add(n)

    def matches(self, search_query: str) -> list[Entry]:
        """The entries a query matches, best first: most terms matched (an OR query), then
        the shortest title, then the newest id."""
        hits: set[int] | None = None
        matched: dict[int, int] = {}
        op = "AND"
        rest = search_query
        while rest.strip():
            m = _TERM.search(rest)
            if m is None:
                break
            before = rest[: m.start()].strip().upper()
            op = before.split()[-1] if before else op
            term = self._term(next(g for g in m.groups() if g is not None))
            for n in term:
                matched[n] = matched.get(n, 0) + 1
            if hits is None:
                hits = term
            elif op == "OR":
                hits = hits | term
            elif op == "ANDNOT":
                hits = hits - term
            else:
                hits = hits & term
            rest = rest[m.end() :]
        newest_first = sorted(hits or (), key=lambda n: self.entries[n].arxiv_id, reverse=True)
        found = sorted(newest_first, key=lambda n: (-matched[n], self.lengths[n]))
        return [self.entries[n] for n in found]

    def by_ids(self, ids: list[str]) -> list[Entry]:
        return [e for e in self.entries if e.arxiv_id in ids]

    def _term(self, text: str) -> set[int]:
        wanted = [w for w in words(text) if w not in STOP_WORDS]
        if not wanted:
            return set()
        sets = sorted((self.postings.get(w, set()) for w in wanted), key=len)
        return set.intersection(*sets)


def feed(entries: list[Entry], query: str, start: int, total: int) -> bytes:
    """An Atom page in the shape of arXiv's current API."""
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
        ' xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        "  <id>https://arxiv.org/api/recorded</id>",
        f"  <title>arXiv Query: search_query={escape(query)}&amp;id_list=&amp;start={start}"
        f"&amp;max_results={len(entries)}</title>",
        "  <updated>2026-08-21T00:00:00Z</updated>",
        f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    out += [_entry(e) for e in entries]
    out.append("</feed>")
    return "\n".join(out).encode()


def _entry(e: Entry) -> str:
    abs_url, pdf_url = (
        f"https://arxiv.org/abs/{e.arxiv_id}v1",
        f"https://arxiv.org/pdf/{e.arxiv_id}v1",
    )
    parts = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{e.arxiv_id}v1</id>",
        f"    <title>{escape(e.title)}</title>",
    ]
    if e.updated or e.published:
        parts.append(f"    <updated>{e.updated or e.published}</updated>")
    parts += [
        f'    <link href="{abs_url}" rel="alternate" type="text/html"/>',
        f'    <link href="{pdf_url}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(e.abstract)}</summary>",
    ]
    parts += [
        f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
        for c in e.categories
    ]
    if e.published:
        parts.append(f"    <published>{e.published}</published>")
    if e.comment:
        parts.append(f"    <arxiv:comment>{escape(e.comment)}</arxiv:comment>")
    if e.categories:
        parts.append(f"    <arxiv:primary_category term={quoteattr(e.categories[0])}/>")
    if e.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(e.journal_ref)}</arxiv:journal_ref>")
    parts += [f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in e.authors]
    if e.doi:
        parts.append(f"    <arxiv:doi>{escape(e.doi)}</arxiv:doi>")
    parts.append("  </entry>")
    return "\n".join(parts)


def handler(search: Search, requests: list[str] | None = None):  # type: ignore[no-untyped-def]
    """``/api/query`` answering ``search_query`` from ``search`` (queries kept in ``requests``)."""

    def handle(request: Request) -> Response:
        query = request.args.get("search_query", "")
        id_list = [i for i in request.args.get("id_list", "").split(",") if i]
        if requests is not None:
            requests.append(query or f"id_list={','.join(id_list)}")
        start = int(request.args.get("start", "0"))
        size = int(request.args.get("max_results", "10"))
        found = search.by_ids(id_list) if id_list else search.matches(query)
        body = feed(found[start : start + size], query, start, len(found))
        return Response(body, content_type="application/atom+xml; charset=utf-8")

    return handle


@cache
def corpus_search() -> Search:
    return Search(corpus())
