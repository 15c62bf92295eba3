"""The list pane's reads at size: loading a view's ids in each sort order, and fetching rows.

    python benchmarks/bench_list.py --library LIB [--runs 3]

Prints one JSON object per view and sort order: the median wall time of ``Views.ids`` (what
the window runs, off the GUI thread, when the user picks a sidebar entry or a column to sort
by) beside the baseline of SQLite sorting the view itself (one ORDER BY over the view's WHERE,
as ``Views.ids`` did before it masked the library's order), and one for ``Views.rows`` (a
window of rows a paint asks for, at random places). The
views: all papers, unread, bookmarked, recently added, the biggest source, and its biggest
day. The library's papers are only read (its bookmarks and read marks are whatever it holds);
its kept sort orders (``list_orders``, derived) are cleared first, so each record's
``first_ms`` is what the first ask costs when the order must be computed and kept.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from reader.core import list_orders
from reader.core.library import Library
from reader.core.views import SORT_COLUMNS, View, Views, where_clause
from reader.gui.models.paper_table import WINDOW


def timed_ms(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """The first run's and the median run's wall time, and the result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return round(times[0] * 1000, 1), round(statistics.median(times) * 1000, 1), result


def median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    _, median, result = timed_ms(fn, runs)
    return median, result


def sqlite_sorted(views: Views, view: View) -> list[int]:
    """The baseline: SQLite sorts the view's papers itself."""
    where, params = where_clause(view)
    order = SORT_COLUMNS[view.sort]
    direction = "DESC" if view.descending else "ASC"
    sql = f"SELECT p.id FROM papers p {where} ORDER BY {order} {direction}, p.id {direction}"
    if view.kind == "recent":
        return list(views.ids(view))  # its own query either way
    (joined,) = views.conn.execute(f"SELECT group_concat(id) FROM ({sql})", params).fetchone()
    return np.fromstring(joined, dtype=np.int64, sep=",").tolist() if joined else []


def views_of(views: Views) -> list[tuple[str, View]]:
    days = views.source_days()
    by_source: dict[str, int] = {}
    for day in days:
        by_source[day.source] = by_source.get(day.source, 0) + day.count
    found = [("all", View()), ("unread", View("unread")), ("bookmarked", View("bookmarked"))]
    found.append(("recent", View("recent")))
    if by_source:
        source = max(by_source, key=by_source.__getitem__)
        found.append((f"source {source}", View("source", source)))
        dated = [d for d in days if d.source == source and d.listed_on]
        if dated:
            day = max(dated, key=lambda d: d.count)
            found.append((f"day {day.listed_on}", View("source", source, day.listed_on)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with Library(args.library) as library:
        shutil.rmtree(args.library / list_orders.FOLDER, ignore_errors=True)  # from scratch
        papers = library.store.count()
        views = library.open_views()
        slowest = 0.0
        for name, view in views_of(views):
            for sort in SORT_COLUMNS:
                for descending in (True, False):
                    shown = View(view.kind, view.value, view.listed_on, sort, descending)
                    first, ms, ids = timed_ms(lambda v=shown: views.ids(v), args.runs)
                    base_ms, base = median_ms(lambda v=shown: sqlite_sorted(views, v), args.runs)
                    assert base == list(ids), f"{name} {sort}: not the baseline's order"
                    slowest = max(slowest, ms)
                    record = {"bench": "list_ids", "papers": papers, "view": name, "sort": sort}
                    record |= {"descending": descending, "ids": len(ids), "median_ms": ms}
                    record |= {"first_ms": first}  # the first asks may compute a kept order
                    speedup = round(base_ms / ms, 1) if ms else None
                    record |= {"sqlite_sort_ms": base_ms, "speedup": speedup}
                    print(json.dumps(record), flush=True)
        ids = list(views.ids(View()))
        rng = random.Random(1)
        starts = [rng.randrange(max(1, len(ids) - WINDOW)) for _ in range(20)]
        times = [median_ms(lambda s=s: views.rows(ids[s : s + WINDOW]), 1)[0] for s in starts]
        print(
            json.dumps(
                {
                    "bench": "list_rows",
                    "papers": papers,
                    "window": WINDOW,
                    "median_ms": statistics.median(times),
                    "max_ms": max(times),
                }
            )
        )
        print(
            json.dumps(
                {
                    "bench": "list_ids_slowest",
                    "papers": papers,
                    "max_median_ms": slowest,
                }
            )
        )
        views.close()


if __name__ == "__main__":
    main()
