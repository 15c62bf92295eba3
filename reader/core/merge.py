"""Merging an imported record into a stored paper: keep the richest field, never user data."""

from __future__ import annotations

import json
from typing import Any

from reader.core.identity import normalise_arxiv_id, normalise_doi, title_blocks, title_key
from reader.core.model import PaperRecord


def record_to_row(record: PaperRecord) -> dict[str, Any]:
    """The imported (non-user) columns of ``papers`` for a record."""
    key = title_key(record.title)
    head, tail = title_blocks(key)
    published = record.published or None
    return {
        "arxiv_id": normalise_arxiv_id(record.arxiv_id),
        "doi": normalise_doi(record.doi),
        "title": record.title,
        "title_key": key,
        "title_head": head,
        "title_tail": tail,
        "abstract": record.abstract or "",
        "authors": json.dumps(record.authors, ensure_ascii=False),
        "first_author": record.authors[0] if record.authors else "",
        "published": published,
        "updated": record.updated or None,
        "year": int(published[:4]) if published and published[:4].isdigit() else None,
        "categories": json.dumps(record.categories, ensure_ascii=False),
        "primary_category": record.categories[0] if record.categories else None,
        "comments": record.comments or None,
        "journal_ref": record.journal_ref or None,
        "abs_url": record.abs_url or None,
        "pdf_url": record.pdf_url or None,
        "hf_url": record.hf_url or None,
        "upvotes": record.upvotes,
    }


# Columns where a present value wins over an empty one but never replaces another value.
_FILL_ONLY = ("arxiv_id", "doi", "comments", "journal_ref", "abs_url", "pdf_url", "hf_url")


def merged_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Column updates that make ``old`` at least as rich as ``new``; empty if nothing gains.

    Rules: fill empty fields; the longer abstract and the longer author list win; the
    earliest published and the latest updated date win; categories are united (the
    existing primary stays first); upvotes keep the maximum. User columns (bookmark,
    read, notes, tags) are not in ``new`` and so are never touched.
    """
    changes: dict[str, Any] = {}
    for column in _FILL_ONLY:
        if not old.get(column) and new.get(column):
            changes[column] = new[column]
    if len(new["abstract"]) > len(old["abstract"]):
        changes["abstract"] = new["abstract"]
    old_authors, new_authors = json.loads(old["authors"]), json.loads(new["authors"])
    if len(new_authors) > len(old_authors):
        changes["authors"] = new["authors"]
        changes["first_author"] = new["first_author"]
    if new["published"] and (not old["published"] or _more_precise_or_earlier(new, old)):
        changes["published"] = new["published"]
        changes["year"] = new["year"]
    if new["updated"] and (not old["updated"] or new["updated"] > old["updated"]):
        changes["updated"] = new["updated"]
    old_cats, new_cats = json.loads(old["categories"]), json.loads(new["categories"])
    united = old_cats + [c for c in new_cats if c not in old_cats]
    if united != old_cats:
        changes["categories"] = json.dumps(united, ensure_ascii=False)
        changes["primary_category"] = united[0]
    if new["upvotes"] is not None and (old["upvotes"] is None or new["upvotes"] > old["upvotes"]):
        changes["upvotes"] = new["upvotes"]
    return changes


def _more_precise_or_earlier(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """'2024-06-03' beats '2024' (more precise) and a later date of equal precision."""
    a, b = new["published"], old["published"]
    if len(a) != len(b):
        return len(a) > len(b) and a.startswith(b)
    return a < b
