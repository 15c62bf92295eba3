"""How papers are recognised: their keys (arXiv ids, DOIs, normalised titles) and which
stored paper a record is (the resolver, the owner of an id, near-duplicate titles)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from more_itertools import chunked

if TYPE_CHECKING:
    import sqlite3

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


# -- which stored paper a record is ----------------------------------------------------------

FUZZY_THRESHOLD = 92.0  # rapidfuzz ratio at which two different titles are flagged
FUZZY_CANDIDATES = 200  # at most this many titles compared per block


class Resolver:
    """Finds the stored paper a row belongs to: arXiv id, then DOI, then normalised title.

    Looks up everything the batch could match in three indexed queries, then answers
    from memory, remembering papers added or changed earlier in the same batch.
    """

    def __init__(self, conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
        self.by_arxiv: dict[str, dict[str, Any]] = {}
        self.by_doi: dict[str, dict[str, Any]] = {}
        self.by_title: dict[str, list[dict[str, Any]]] = {}
        for column in ("arxiv_id", "doi", "title_key"):
            for chunk in chunked({r[column] for r in rows if r[column]}, 500):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(f"SELECT * FROM papers WHERE {column} IN ({marks})", chunk):
                    self.remember(row["id"], dict(row))

    def remember(self, paper_id: int, row: dict[str, Any]) -> None:
        row = {**row, "id": paper_id}
        if row.get("arxiv_id"):
            self.by_arxiv[row["arxiv_id"]] = row
        if row.get("doi"):
            self.by_doi[row["doi"]] = row
        same_title = self.by_title.setdefault(row["title_key"], [])
        same_title[:] = [r for r in same_title if r["id"] != paper_id] + [row]

    def match(self, row: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """The stored paper ``row`` is (None: a new paper), and the row to write: without
        its DOI when the DOI already belongs to another paper."""
        existing = self._find(row)
        if row["doi"] and self.by_doi.get(row["doi"]) not in (None, existing):
            row = {**row, "doi": None}
        return existing, row

    def _find(self, row: dict[str, Any]) -> dict[str, Any] | None:
        if row["arxiv_id"] and row["arxiv_id"] in self.by_arxiv:
            return self.by_arxiv[row["arxiv_id"]]
        if row["doi"] and row["doi"] in self.by_doi:
            found = self.by_doi[row["doi"]]
            if not (row["arxiv_id"] and found.get("arxiv_id")):  # two arXiv ids: two papers
                return found
        for candidate in self.by_title.get(row["title_key"], []):
            if _compatible(candidate, row, "arxiv_id") and _compatible(candidate, row, "doi"):
                return candidate
        return None


def owner_of(
    conn: sqlite3.Connection, mine: dict[str, Any], row: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """For a record found online for the stored paper ``mine``: the other stored paper that
    already is the record (it holds the record's arXiv id, or its DOI), if any, and the row
    to merge: without its DOI when yet another paper holds it.

    Raises ValueError when ``mine`` has another arXiv id than the record.
    """
    paper_id = mine["id"]
    if not _compatible(mine, row, "arxiv_id"):
        raise ValueError(f"paper {paper_id} is arXiv {mine['arxiv_id']}, not the record")
    owner = _holder(conn, "arxiv_id", row["arxiv_id"], paper_id)
    doi_owner = _holder(conn, "doi", row["doi"], paper_id)
    if doi_owner is not None and owner is None and _compatible(doi_owner, row, "arxiv_id"):
        owner = doi_owner  # the same paper, known by its DOI
    elif doi_owner is not None and (owner is None or doi_owner["id"] != owner["id"]):
        row = {**row, "doi": None}  # the DOI belongs to yet another paper
    return owner, row


def near_duplicates(
    conn: sqlite3.Connection, new: dict[int, dict[str, Any]]
) -> list[tuple[int, int, float]]:
    """(new paper id, stored paper id, score) for titles nearly, not exactly, equal to a
    new paper's: candidates for review, never merged.

    A new paper is compared with the first ``FUZZY_CANDIDATES`` stored titles that share
    its first words and those that share its last words: each block is read once per
    batch, so the cost per paper stays the same however big the library grows."""
    papers = {i: me for i, me in new.items() if len(me["title_key"]) >= 12}
    if not papers:  # short titles ("Introduction") are not evidence
        return []
    from rapidfuzz import fuzz, process  # slow to load: only when papers were added

    heads = _blocks(conn, "title_head", {me["title_head"] for me in papers.values()})
    tails = _blocks(conn, "title_tail", {me["title_tail"] for me in papers.values()})
    pairs: list[tuple[int, int, float]] = []
    for paper_id, me in papers.items():
        key = me["title_key"]
        # an equal title with a different arXiv id / DOI is a distinct paper
        others = {
            other: other_key
            for other, other_key in (*heads[me["title_head"]], *tails[me["title_tail"]])
            if other != paper_id and other_key != key
        }
        if not others:
            continue
        ids, keys = list(others), list(others.values())
        for _, score, at in process.extract(
            key, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=None
        ):
            pairs.append((paper_id, ids[at], score))
    return pairs


def _blocks(
    conn: sqlite3.Connection, column: str, values: set[str]
) -> dict[str, list[tuple[int, str]]]:
    """For each value of ``column``: the (id, title key) of the first papers holding it."""
    sql = f"SELECT id, title_key FROM papers WHERE {column} = ? LIMIT {FUZZY_CANDIDATES}"
    return {value: conn.execute(sql, (value,)).fetchall() for value in values}


def _holder(
    conn: sqlite3.Connection, column: str, value: str | None, other_than: int
) -> dict[str, Any] | None:
    if not value:
        return None
    found = conn.execute(
        f"SELECT * FROM papers WHERE {column} = ? AND id != ?", (value, other_than)
    ).fetchone()
    return dict(found) if found else None


def _compatible(a: dict[str, Any], b: dict[str, Any], column: str) -> bool:
    """Not two different values in ``column`` (an empty one is compatible with any)."""
    return not (a.get(column) and b.get(column) and a[column] != b[column])
