"""What a library records for sync, and the merge rules that apply another machine's changes.

Every rule gives the same result whatever order the changes arrive in (and applying one
twice changes nothing), so machines that have read the same files agree:

- **registers** (last writer wins by clock stamp): a paper's bookmark and read state, each
  of its tags (present or not: a tag added on one machine and another removed elsewhere
  both hold), each saved search (its query, or deleted);
- **notes**: every version names the versions it replaced; the versions nobody replaced
  are the heads. One head is the note; concurrent edits leave several, and the note then
  shows them all, newest first, each marked as a conflicting edit, until the user edits it
  (the new version replaces every head);
- **merges**: a paper merged into another as its duplicate (``Store.enrich``) is merged
  the same way on every machine.

The journal writes inside the caller's transaction: a change and its record commit together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reader.core.sync.clock import Clock

NODE_KEY = "sync_node"  # meta: this library's node id (present once sync is set up)
NAME_KEY = "sync_name"  # meta: the machine's name, shown beside a conflicting note
SAVED = "s"  # the register key of saved searches
CONFLICT = "——— conflicting edit on {name}, {day} ———"


def paper_key(paper_id: int) -> str:
    return f"p{paper_id}"


def tag_field(name: str) -> str:
    return f"tag:{name.casefold()}"


@dataclass(frozen=True)
class Register:
    key: str  # paper_key(id) or SAVED
    field: str  # "bookmarked", "is_read", tag_field(name), or a saved search's name
    stamp: str
    value: Any  # JSON: 0/1; {"name", "on"} for a tag; the query or None for a saved search


@dataclass(frozen=True)
class NoteVersion:
    paper_id: int
    stamp: str
    parents: tuple[str, ...]
    node: str
    body: str


class Journal:
    """One library's sync records (its ``sync_*`` tables), once sync is set up."""

    def __init__(self, node: str, name: str) -> None:
        self.node, self.name = node, name
        self.clock = Clock(node)

    # -- local changes ---------------------------------------------------------------------

    def set(self, conn: sqlite3.Connection, changes: Iterable[tuple[str, str, Any]]) -> None:
        """Record local changes to registers: (key, field, value) each."""
        rows = [(k, f, json.dumps(v)) for k, f, v in changes]
        if not rows:
            return
        stamp = self.clock.tick(conn)
        conn.executemany(
            "INSERT OR REPLACE INTO sync_registers VALUES (?, ?, ?, ?)",
            [(k, f, stamp, v) for k, f, v in rows],
        )
        conn.executemany(
            "INSERT INTO sync_outbox (key, field) VALUES (?, ?)", [r[:2] for r in rows]
        )

    def note(self, conn: sqlite3.Connection, paper_id: int, body: str) -> None:
        """Record a local edit of a paper's notes: it replaces every head."""
        parents = heads(conn, paper_id)
        stamp = self.clock.tick(conn)
        conn.execute(
            "INSERT INTO sync_notes VALUES (?, ?, ?, ?, ?, 0)",
            (paper_id, stamp, json.dumps([v.stamp for v in parents]), self.node, body),
        )
        conn.execute(
            "INSERT INTO sync_outbox (key, field) VALUES (?, 'notes')", (paper_key(paper_id),)
        )

    def merged(
        self, conn: sqlite3.Connection, gone: dict[str, Any], keep: int, record: dict
    ) -> None:
        """``gone`` (its row) was merged into paper ``keep`` as its duplicate, told by
        ``record`` (the enrichment record's JSON): move its sync state and record it."""
        old, new = paper_key(gone["id"]), paper_key(keep)
        for r in conn.execute("SELECT * FROM sync_registers WHERE key = ?", (old,)).fetchall():
            conn.execute(
                "INSERT INTO sync_registers VALUES (?, ?, ?, ?) ON CONFLICT (key, field) DO"
                " UPDATE SET stamp = excluded.stamp, value = excluded.value"
                " WHERE excluded.stamp > sync_registers.stamp",
                (new, r["field"], r["stamp"], r["value"]),
            )
        conn.execute("DELETE FROM sync_registers WHERE key = ?", (old,))
        conn.execute(
            "UPDATE OR IGNORE sync_notes SET paper_id = ? WHERE paper_id = ?", (keep, gone["id"])
        )
        conn.execute("UPDATE sync_outbox SET key = ? WHERE key = ?", (new, old))
        value = json.dumps({"gone": paper_ref(gone), "record": record})
        conn.execute(
            "INSERT INTO sync_outbox (key, field, value) VALUES ('merge', '', ?)", (value,)
        )

    def baseline(self, conn: sqlite3.Connection) -> None:
        """Record the library's state as it is (the first sync): every value that is not a
        default, so that joining a remote never resets another machine's bookmarks."""
        changes: list[tuple[str, str, Any]] = []
        for r in conn.execute(
            "SELECT id, bookmarked, is_read FROM papers WHERE bookmarked OR is_read"
        ):
            changes += [(paper_key(r[0]), f, 1) for f in ("bookmarked", "is_read") if r[f]]
        for r in conn.execute(
            "SELECT pt.paper_id, t.name FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id"
        ):
            changes.append((paper_key(r[0]), tag_field(r[1]), {"name": r[1], "on": True}))
        for r in conn.execute("SELECT name, query FROM saved_searches"):
            changes.append((SAVED, r[0], r[1]))
        self.set(conn, changes)
        for r in conn.execute("SELECT id, notes FROM papers WHERE notes != ''").fetchall():
            self.note(conn, r[0], r[1])

    # -- remote changes --------------------------------------------------------------------

    def apply_register(self, conn: sqlite3.Connection, reg: Register, rev: int) -> bool:
        """Apply another machine's register if its stamp is newer; whether it was."""
        self.clock.seen(conn, reg.stamp)
        row = conn.execute(
            "SELECT stamp FROM sync_registers WHERE key = ? AND field = ?", (reg.key, reg.field)
        ).fetchone()
        if row is not None and row[0] >= reg.stamp:
            return False
        conn.execute(
            "INSERT OR REPLACE INTO sync_registers VALUES (?, ?, ?, ?)",
            (reg.key, reg.field, reg.stamp, json.dumps(reg.value)),
        )
        if reg.key == SAVED:
            if reg.value is None:
                conn.execute("DELETE FROM saved_searches WHERE name = ?", (reg.field,))
            else:
                conn.execute(
                    "INSERT INTO saved_searches (name, query) VALUES (?, ?)"
                    " ON CONFLICT(name) DO UPDATE SET query = excluded.query",
                    (reg.field, reg.value),
                )
            return True
        paper_id = int(reg.key[1:])
        if reg.field in ("bookmarked", "is_read"):
            conn.execute(
                f"UPDATE papers SET {reg.field} = ?, rev = ? WHERE id = ?",
                (int(bool(reg.value)), rev, paper_id),
            )
        elif reg.field.startswith("tag:"):
            set_tag(conn, paper_id, reg.value["name"], bool(reg.value["on"]))
            conn.execute("UPDATE papers SET rev = ? WHERE id = ?", (rev, paper_id))
        return True

    def apply_note(
        self, conn: sqlite3.Connection, version: NoteVersion, names: dict[str, str], rev: int
    ) -> None:
        """Add another machine's note version and show the heads (``names``: node -> name)."""
        self.clock.seen(conn, version.stamp)
        conn.execute(
            "INSERT OR IGNORE INTO sync_notes VALUES (?, ?, ?, ?, ?, 1)",
            (
                version.paper_id,
                version.stamp,
                json.dumps(list(version.parents)),
                version.node,
                version.body,
            ),
        )
        shown = composed(heads(conn, version.paper_id), names | {self.node: self.name})
        conn.execute(
            "UPDATE papers SET notes = ?, rev = ? WHERE id = ? AND notes != ?",
            (shown, rev, version.paper_id, shown),
        )

    # -- what to send ----------------------------------------------------------------------

    def unsent_notes(self, conn: sqlite3.Connection, paper_ids: Sequence[int]) -> list[NoteVersion]:
        """The paper's newest local version, standing for the unsent ones before it (a note
        saved at every pause makes many): their parents become its parents, and they go."""
        out = []
        for paper_id in paper_ids:
            rows = conn.execute(
                "SELECT * FROM sync_notes WHERE paper_id = ? AND sent = 0 ORDER BY stamp",
                (paper_id,),
            ).fetchall()
            if not rows:
                continue
            local = {r["stamp"] for r in rows}
            parents = {p for r in rows for p in json.loads(r["parents"])} - local
            last = rows[-1]
            conn.execute(
                "DELETE FROM sync_notes WHERE paper_id = ? AND sent = 0 AND stamp != ?",
                (paper_id, last["stamp"]),
            )
            conn.execute(
                "UPDATE sync_notes SET parents = ? WHERE paper_id = ? AND stamp = ?",
                (json.dumps(sorted(parents)), paper_id, last["stamp"]),
            )
            out.append(
                NoteVersion(
                    paper_id, last["stamp"], tuple(sorted(parents)), self.node, last["body"]
                )
            )
        return out


def heads(conn: sqlite3.Connection, paper_id: int) -> list[NoteVersion]:
    """The paper's note versions that no other version replaced, newest first."""
    rows = conn.execute(
        "SELECT * FROM sync_notes WHERE paper_id = ? ORDER BY stamp DESC", (paper_id,)
    ).fetchall()
    replaced = {p for r in rows for p in json.loads(r["parents"])}
    return [
        NoteVersion(paper_id, r["stamp"], tuple(json.loads(r["parents"])), r["node"], r["body"])
        for r in rows
        if r["stamp"] not in replaced
    ]


def composed(versions: Sequence[NoteVersion], names: dict[str, str]) -> str:
    """The note shown for its heads: the newest, then each other one marked as a conflict."""
    if not versions:
        return ""
    parts = [versions[0].body]
    for v in versions[1:]:
        day = _day(v.stamp)
        parts.append(CONFLICT.format(name=names.get(v.node, v.node), day=day) + "\n" + v.body)
    return "\n\n".join(p for p in parts if p) if len(versions) > 1 else versions[0].body


def conflicts(conn: sqlite3.Connection) -> int:
    """How many papers show concurrent note edits."""
    rows = conn.execute(
        "SELECT paper_id FROM sync_notes GROUP BY paper_id HAVING count(*) > 1"
    ).fetchall()
    return sum(len(heads(conn, r[0])) > 1 for r in rows)


def _day(stamp: str) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(stamp.split(".")[0]) / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def set_tag(conn: sqlite3.Connection, paper_id: int, name: str, on: bool) -> None:
    if on:
        conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
        conn.execute(
            "INSERT OR IGNORE INTO paper_tags SELECT ?, id FROM tags WHERE name = ?",
            (paper_id, name),
        )
        return
    conn.execute(
        "DELETE FROM paper_tags WHERE paper_id = ?"
        " AND tag_id = (SELECT id FROM tags WHERE name = ?)",
        (paper_id, name),
    )
    conn.execute(
        "DELETE FROM tags WHERE name = ? AND id NOT IN (SELECT tag_id FROM paper_tags)", (name,)
    )


def paper_ref(row: Any) -> dict[str, str | None]:
    """How another machine finds a paper: its arXiv id, DOI and normalised title."""
    return {"arxiv_id": row["arxiv_id"], "doi": row["doi"], "title_key": row["title_key"]}


def resolve(conn: sqlite3.Connection, ref: dict[str, str | None]) -> int | None:
    """The local paper a reference names (arXiv id, then DOI, then title), or None."""
    for column in ("arxiv_id", "doi"):
        if ref.get(column):
            row = conn.execute(
                f"SELECT id FROM papers WHERE {column} = ?", (ref[column],)
            ).fetchone()
            if row:
                return int(row[0])
    # an equal title with another arXiv id is another paper (as in ``Store.write_records``)
    row = conn.execute(
        "SELECT id FROM papers WHERE title_key = ? AND (arxiv_id IS NULL OR ? IS NULL)",
        (ref.get("title_key"), ref.get("arxiv_id")),
    ).fetchone()
    return int(row[0]) if row else None
