"""sqlite-utils against the store's raw sqlite3, where the store could use sqlite-utils.

    python benchmarks/bench_sqlite_utils.py [--papers 20000] [--runs 3]

Prints one JSON object. On real-shaped rows (the first ``--papers`` real records of
``corpus.py``, as ``record_to_row`` makes them, in the store's transactions of 2,000 rows
into a library made by ``Store``, so with its schema, a dozen indexes, WAL and cache) it
times, median of ``--runs`` fresh libraries:

* insert: the store's own per-row ``INSERT`` (it needs each new paper's id), the same as
  one ``executemany``, and sqlite-utils ``insert_all``;
* upsert: the same rows again (every one a conflict) as ``INSERT … ON CONFLICT(arxiv_id) DO
  UPDATE`` through ``executemany``, and sqlite-utils ``upsert_all(pk="arxiv_id")``;
* for scale, ``Store.write_records`` itself (identity resolution included), new and again;
* introspection: ``schema_check.read_schema`` against the same facts gathered through
  sqlite-utils (``table_names``, ``columns``, ``foreign_keys``, ``indexes``, ``xindexes``),
  and which facts sqlite-utils does not report;
* the cost of ``import sqlite_utils`` in a fresh interpreter (the CLI's start-up);
* the SQL text sqlite-utils writes for a table (the schema check compares SQL text).

Measured (sqlite-utils 4.2.1, SQLite 3.40.1, Python 3.11, 20,000 papers, medians of 5 runs
on 2 cores shared with other work, load 3-4): the store's per-row insert 1.70 s,
``executemany`` 1.65 s, ``insert_all`` 2.88 s (1.70x the store's path); upsert through
``ON CONFLICT`` 1.86 s, ``upsert_all`` 3.00 s (1.61x); ``read_schema`` 2.0 ms, the same
through sqlite-utils 4.3 ms; ``import sqlite_utils`` 251 ms. (An earlier run of 3: 1.58x,
1.67x, 1.8 against 3.6 ms, 254 ms.) So the store keeps raw sqlite3: for writes
(sqlite-utils is slower, and ``write_records`` needs each new row's id as it goes); for the
schema (frozen SQL migrations whose exact text is the restore check's reference, while
sqlite-utils writes its own text, ``"x"`` quoting since 4.0 where 3.x wrote ``[x]``, has no
partial, expression or COLLATE index nor WITHOUT ROWID table, and its migrations keep a
table of their own); for introspection (twice as slow, and it drops columns' hidden flag,
each index's flags with its key columns, and foreign keys' MATCH); and for opening a
library (its import alone is a quarter second).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import corpus_path  # noqa: E402

from reader.core.importers import ImportOptions, importer_for  # noqa: E402
from reader.core.merge import record_to_row  # noqa: E402
from reader.core.model import PaperRecord  # noqa: E402
from reader.core.schema_check import read_schema  # noqa: E402
from reader.core.store import Store  # noqa: E402

TRANSACTION = 2000  # rows per transaction, as the importer writes them
ADDED_AT = "2026-01-01T00:00:00Z"


def load_records(papers: int) -> list[PaperRecord]:
    path = corpus_path(papers)
    parsed = importer_for("arxiv-snapshot").parse(path, ImportOptions())
    records = [r.record for r in parsed if getattr(r, "record", None) is not None]
    return [r for r in records if r.arxiv_id][:papers]


def rows_of(records: list[PaperRecord]) -> list[dict[str, Any]]:
    return [{**record_to_row(r), "added_at": ADDED_AT, "rev": 1} for r in records]


@contextlib.contextmanager
def fresh_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-utils-") as tmp:
        store = Store(Path(tmp) / "library.sqlite")
        try:
            yield store
        finally:
            store.close()


def database(conn: sqlite3.Connection) -> Any:
    from sqlite_utils import Database

    return Database(conn, recursive_triggers=False, execute_plugins=False)


def in_transactions(conn: sqlite3.Connection, rows: list[dict[str, Any]], write: Callable) -> None:
    for start in range(0, len(rows), TRANSACTION):
        conn.execute("BEGIN IMMEDIATE")
        write(rows[start : start + TRANSACTION])
        assert conn.in_transaction, "the writer ended our transaction"
        conn.execute("COMMIT")


def insert_sql(columns: list[str]) -> str:
    return f"INSERT INTO papers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def upsert_sql(columns: list[str]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "arxiv_id")
    return f"{insert_sql(columns)} ON CONFLICT(arxiv_id) DO UPDATE SET {updates}"


def raw_execute(conn: sqlite3.Connection) -> Callable:
    def write(chunk: list[dict[str, Any]]) -> None:
        sql = insert_sql(list(chunk[0]))
        for row in chunk:
            conn.execute(sql, list(row.values()))

    return write


def raw_many(conn: sqlite3.Connection, sql_for: Callable[[list[str]], str]) -> Callable:
    def write(chunk: list[dict[str, Any]]) -> None:
        conn.executemany(sql_for(list(chunk[0])), [list(r.values()) for r in chunk])

    return write


def su_insert(conn: sqlite3.Connection) -> Callable:
    table = database(conn)["papers"]
    return lambda chunk: table.insert_all(chunk)


def su_upsert(conn: sqlite3.Connection) -> Callable:
    table = database(conn)["papers"]
    return lambda chunk: table.upsert_all(chunk, pk="arxiv_id")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure_writes(records: list[PaperRecord], runs: int) -> dict[str, float]:
    rows = rows_of(records)
    times: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        times.setdefault(name, []).append(seconds)

    def run(name: str, writer: Callable, prefill: bool) -> None:
        with fresh_store() as store:
            if prefill:  # every row of the timed write is a conflict
                in_transactions(store.conn, rows, raw_many(store.conn, insert_sql))
            note(name, timed(lambda: in_transactions(store.conn, rows, writer(store.conn))))
            assert store.count() == len(rows)

    for _ in range(runs):
        run("insert_raw_execute", raw_execute, prefill=False)
        run("insert_raw_executemany", lambda c: raw_many(c, insert_sql), prefill=False)
        run("insert_sqlite_utils_insert_all", su_insert, prefill=False)
        run("upsert_raw_on_conflict", lambda c: raw_many(c, upsert_sql), prefill=True)
        run("upsert_sqlite_utils_upsert_all", su_upsert, prefill=True)
        with fresh_store() as store:

            def write_all() -> None:
                for start in range(0, len(records), TRANSACTION):
                    store.write_records(records[start : start + TRANSACTION], None)

            note("store_write_records_new", timed(write_all))
            note("store_write_records_again", timed(write_all))
    return {name: round(statistics.median(values), 3) for name, values in times.items()}


def su_read_schema(conn: sqlite3.Connection) -> dict[str, Any]:
    """What read_schema gathers, through sqlite-utils."""
    db = database(conn)
    found: dict[str, Any] = {}
    for name in db.table_names():
        table = db[name]
        found[name] = (
            table.schema,
            [tuple(c) for c in table.columns],
            [(fk.other_table, fk.column, fk.other_column) for fk in table.foreign_keys],
            [tuple(i[:5]) for i in table.indexes],
            [(x.name, [tuple(c) for c in x.columns]) for x in table.xindexes],
        )
    return found


def measure_introspection(records: list[PaperRecord], runs: int) -> dict[str, Any]:
    with fresh_store() as store:
        store.write_records(records[:TRANSACTION], None)
        conn = store.conn
        su_read_schema(conn)  # imports sqlite-utils before timing
        raw = [timed(lambda: read_schema(conn)) for _ in range(runs)]
        su = [timed(lambda: su_read_schema(conn)) for _ in range(runs)]
        column = database(conn)["papers"].columns[0]
        fk = database(conn)["listings"].foreign_keys[0]
    return {
        "read_schema_ms": round(statistics.median(raw) * 1000, 2),
        "sqlite_utils_ms": round(statistics.median(su) * 1000, 2),
        "sqlite_utils_column_fields": list(column._fields),
        "sqlite_utils_foreign_key_fields": sorted(vars(fk)) if hasattr(fk, "__dict__") else [],
        "read_schema_also_has": [
            "columns' hidden flag (pragma_table_xinfo)",
            "each index's unique/origin/partial flags with its key columns in one record",
            "foreign keys' MATCH clause",
        ],
    }


def import_cost(runs: int) -> dict[str, float]:
    def wall(code: str) -> float:
        values = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            values.append(time.perf_counter() - start)
        return statistics.median(values)

    base = wall("import sqlite3")
    return {"import_sqlite_utils_ms": round((wall("import sqlite_utils") - base) * 1000, 1)}


def generated_sql() -> str:
    from sqlite_utils import Database

    db = Database(memory=True)
    db["t"].create({"id": int, "name": str}, pk="id", not_null={"name"})
    return str(db["t"].schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import sqlite_utils

    records = load_records(args.papers)
    writes = measure_writes(records, args.runs)
    result = {
        "papers": len(records),
        "runs": args.runs,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlite_utils": getattr(sqlite_utils, "__version__", None) or _version("sqlite-utils"),
        "seconds": writes,
        "ratios": {
            "insert_all_vs_raw_execute": round(
                writes["insert_sqlite_utils_insert_all"] / writes["insert_raw_execute"], 2
            ),
            "insert_all_vs_raw_executemany": round(
                writes["insert_sqlite_utils_insert_all"] / writes["insert_raw_executemany"], 2
            ),
            "upsert_all_vs_raw_on_conflict": round(
                writes["upsert_sqlite_utils_upsert_all"] / writes["upsert_raw_on_conflict"], 2
            ),
        },
        "introspection": measure_introspection(records, max(args.runs, 20)),
        "startup": import_cost(max(args.runs, 5)),
        "sqlite_utils_create_table_sql": generated_sql(),
    }
    print(json.dumps(result, indent=2))


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    main()
