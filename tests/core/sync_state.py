"""What sync carries between two libraries, comparable across machines."""

from __future__ import annotations

from reader.core.store import Store


def user_state(store: Store) -> dict:
    """Everything sync carries, by paper identity (local ids differ between machines)."""
    papers = {
        r["arxiv_id"] or r["title_key"]: (r["bookmarked"], r["is_read"], r["notes"])
        for r in store.query("SELECT * FROM papers")
    }
    tags = sorted(
        (r[0], r[1].casefold())
        for r in store.query(
            "SELECT coalesce(p.arxiv_id, p.title_key), t.name FROM paper_tags pt"
            " JOIN papers p ON p.id = pt.paper_id JOIN tags t ON t.id = pt.tag_id"
        )
    )
    saved = sorted(tuple(r) for r in store.query("SELECT name, query FROM saved_searches"))
    return {"papers": papers, "tags": tags, "saved": saved}
