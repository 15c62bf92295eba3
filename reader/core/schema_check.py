"""Whether an SQLite file's schema is exactly one that Paper Reader made.

The reference is built, not written down: the app's own migrations run in an in-memory
database up to the file's schema version. Every released version is in ``MIGRATIONS``
(never edited), so each one has an exact reference, and a new migration needs nothing here.

A restore compares everything: the objects (tables, indexes, triggers, views), each table's
columns and foreign keys, each index's columns and conditions, and the SQL text itself (it
alone holds CHECK constraints and column collations). Opening a library only looks for
triggers and views the app did not create (one query): a trigger runs inside the app's own
writes, so a trigger ``AFTER INSERT ON tags`` deleting every paper turned ``tag`` into a wipe.

The facts come from SQLite's pragmas, not sqlite-utils' introspection: that drops columns'
hidden flag, foreign keys' MATCH and each index's flags beside its key columns, and took
twice as long (``benchmarks/bench_sqlite_utils.py``).
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass

from reader.core.schema import MIGRATIONS, SCHEMA_VERSION
from reader.core.sqlite_open import connect

# ANALYZE's statistics: SQLite's own tables, read by its query planner only. A file may hold
# them (a user ran ANALYZE) or not; if it does, they must be exactly what ANALYZE makes.
_OPTIONAL = frozenset({"sqlite_stat1", "sqlite_stat4"})
_TYPE_ORDER = ("trigger", "view", "table", "index")  # the most dangerous extra is named first

Row = tuple[object, ...]


class InvalidLibraryFile(Exception):
    """A file is not a usable Paper Reader library (offered for restore, or being opened)."""


@dataclass(frozen=True)
class SchemaObject:
    """One row of ``sqlite_master`` with what SQLite's pragmas say about it."""

    type: str
    name: str
    table: str
    sql: str  # whitespace-normalised; '' for an index SQLite made for a UNIQUE / PRIMARY KEY
    columns: tuple[Row, ...] = ()  # table: (name, type, notnull, default, pk, hidden)
    foreign_keys: tuple[Row, ...] = ()  # table: (id, seq, parent, from, to, on update/delete)
    index: Row = ()  # index: (unique, origin, partial) + its columns (name, desc, coll, key)


def read_schema(conn: sqlite3.Connection) -> dict[str, SchemaObject]:
    """The schema of ``conn``'s main database, by object name, in creation order."""
    found: dict[str, SchemaObject] = {}
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_master ORDER BY rowid"
    ).fetchall()
    for kind, name, table, sql in rows:
        obj = SchemaObject(kind, name, table, _normalised(sql))
        if kind == "table":
            obj = SchemaObject(
                kind,
                name,
                table,
                obj.sql,
                columns=_rows(
                    conn,
                    'SELECT name, type, "notnull", dflt_value, pk, hidden'
                    " FROM pragma_table_xinfo(?) ORDER BY cid",
                    name,
                ),
                foreign_keys=_rows(
                    conn,
                    'SELECT id, seq, "table", "from", "to", on_update, on_delete, match'
                    " FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                    name,
                ),
            )
        elif kind == "index":
            flags = conn.execute(
                'SELECT "unique", origin, partial FROM pragma_index_list(?) WHERE name = ?',
                (table, name),
            ).fetchone()
            keys = _rows(
                conn,
                'SELECT name, "desc", coll, "key" FROM pragma_index_xinfo(?) ORDER BY seqno',
                name,
            )
            obj = SchemaObject(kind, name, table, obj.sql, index=(tuple(flags or ()), *keys))
        found[name] = obj
    return found


@functools.cache
def _reference(version: int) -> tuple[SchemaObject, ...]:
    conn = connect(":memory:")
    try:
        conn.executescript("\n".join(MIGRATIONS[:version]))
        conn.execute("ANALYZE")  # SQLite's statistics tables, as this SQLite makes them
        return tuple(read_schema(conn).values())
    finally:
        conn.close()


def reference_schema(version: int) -> dict[str, SchemaObject]:
    """The schema Paper Reader makes at ``version`` (built once per version, ~1 ms)."""
    if not 0 <= version <= SCHEMA_VERSION:
        raise ValueError(f"no schema version {version}")
    return {obj.name: obj for obj in _reference(version)}


def schema_problem(conn: sqlite3.Connection, version: int) -> str | None:
    """The first way ``conn``'s schema differs from the app's at ``version``; None if exact."""
    mine, theirs = reference_schema(version), read_schema(conn)
    extra = [obj for name, obj in theirs.items() if name not in mine]
    if extra:
        first = min(extra, key=lambda o: _rank(o.type))
        return f"the file holds {_a(first.type)} '{first.name}' that Paper Reader did not create"
    for name, want in mine.items():
        got = theirs.get(name)
        if got is None and name in _OPTIONAL:
            continue
        if got is None:
            return (
                f"the file lacks the {want.type} '{name}' of a Paper Reader library"
                f" (schema {version})"
            )
        reason = _difference(want, got)
        if reason:
            return reason
    return None


def refuse_foreign_objects(conn: sqlite3.Connection) -> None:
    """Opening a library: ``InvalidLibraryFile`` if it holds a trigger or view the app did
    not create (they act behind its back). One query; the reference is built only if the
    file holds any trigger or view at all.

    The objects and the schema version are read in one snapshot: another process may be
    upgrading the file, and its new triggers are not foreign to the version it wrote."""
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        found = conn.execute(
            "SELECT type, name, sql FROM main.sqlite_master WHERE type IN ('trigger', 'view')"
            " ORDER BY type, rowid"
        ).fetchall()
    finally:
        if began:
            conn.execute("COMMIT")
    if not found:
        return
    mine = reference_schema(max(0, min(version, SCHEMA_VERSION)))
    for kind, name, sql in found:
        want = mine.get(name)
        if want is None or want.type != kind or want.sql != _normalised(sql):
            path = conn.execute("PRAGMA database_list").fetchone()[2]
            raise InvalidLibraryFile(
                f"{path}: the library holds {_a(kind)} '{name}' that Paper Reader did not"
                " create (it could change or delete papers behind the app's back), so it is"
                f' not opened: restore a backup, or remove it (DROP {kind.upper()} "{name}")'
            )


def _difference(want: SchemaObject, got: SchemaObject) -> str | None:
    what = f"{want.type} '{want.name}'"
    if got.type != want.type:
        return f"'{want.name}' is {_a(got.type)}, not {_a(want.type)}"
    if got.table != want.table:
        return f"{what} belongs to table '{got.table}', not '{want.table}'"
    if want.type == "table":
        reason = _column_difference(want, got)
        if reason:
            return reason
        if got.foreign_keys != want.foreign_keys:
            return f"{what} has other foreign keys than Paper Reader's"
    if got.index != want.index:
        return f"{what} is defined differently (its columns, order, collation or condition)"
    if got.sql != want.sql:
        return f"{what} is defined differently from Paper Reader's"
    return None


def _column_difference(want: SchemaObject, got: SchemaObject) -> str | None:
    mine = {c[0]: c for c in want.columns}
    theirs = {c[0]: c for c in got.columns}
    for name in theirs:
        if name not in mine:
            return f"table '{want.name}' has a column '{name}' that Paper Reader did not create"
    for name in mine:
        if name not in theirs:
            return f"table '{want.name}' lacks the column '{name}'"
    for a, b in zip(want.columns, got.columns, strict=True):
        if a[0] != b[0]:
            return f"table '{want.name}' has its columns in another order"
        if a != b:
            return (
                f"column '{want.name}.{a[0]}' is {_column(b)}, not {_column(a)} as Paper Reader"
                " makes it"
            )
    return None


def _column(c: Row) -> str:
    _, kind, notnull, default, pk, hidden = c
    words = [str(kind) or "untyped"]
    if notnull:
        words.append("NOT NULL")
    if default is not None:
        words.append(f"DEFAULT {default}")
    if pk:
        words.append("PRIMARY KEY")
    if hidden:
        words.append("hidden/generated")
    return " ".join(words)


def _rows(conn: sqlite3.Connection, sql: str, name: str) -> tuple[Row, ...]:
    return tuple(tuple(r) for r in conn.execute(sql, (name,)))


def _normalised(sql: str | None) -> str:
    """SQLite keeps the text as written from the object's name on: only spacing may vary."""
    return " ".join((sql or "").split())


def _rank(kind: str) -> int:
    return _TYPE_ORDER.index(kind) if kind in _TYPE_ORDER else len(_TYPE_ORDER)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"
