"""Bulk-import benchmark: a gzipped arXiv snapshot into the store, and its resume after a kill.

    python benchmarks/bench_import.py [--sizes 100000 1000000]

For each size (the corpus of ``corpus.py``, gzipped beside it on first use) it prints JSON
lines on stdout:

* ``import``: ``Library.import_files([corpus.jsonl.gz], index=False)`` into a new library, in
  a child process of its own (so its peak RSS is this size's): wall and CPU seconds,
  papers/s, the seconds at which each tenth of the papers was listable (committed: the
  progress callback runs after each batch's commit) and the peak RSS;
* ``resume``: the same import SIGKILLed once half the papers are stored, then run again:
  where it resumed, the seconds the second run took to finish, and that every paper is
  stored once.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, gzipped_corpus  # noqa: E402

# -- the child: one import, reporting each batch ------------------------------------------------


def child(folder: Path, file: Path, size: int) -> None:
    """Import ``file`` into ``folder``; print a JSON line per stored batch, then the result."""
    from reader.core.library import Library

    start = time.perf_counter()

    def progress(p: Any) -> None:
        print(json.dumps({"records": p.records, "at": time.perf_counter() - start}), flush=True)

    with Library(folder) as library:
        report = library.import_files([file], index=False, progress=progress)
        papers = library.store.count()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    done = {
        "done": True,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "added": report.added,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "resumed_from": sum(report.resumed.values()),
        "papers": papers,
        "size": size,
    }
    print(json.dumps(done), flush=True)


def run_child(
    folder: Path, file: Path, size: int, kill_at: int | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Run ``child`` in a process; with ``kill_at``, SIGKILL it once that many records are
    stored. The progress lines, and the final line (None when killed)."""
    command = [sys.executable, __file__, "--child", str(folder), str(file), str(size)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    ticks: list[dict[str, Any]] = []
    final = None
    for line in proc.stdout:
        record = json.loads(line)
        if record.get("done"):
            final = record
            continue
        ticks.append(record)
        if kill_at is not None and record["records"] >= kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    return ticks, final


# -- the measurements ---------------------------------------------------------------------------


def listable_at(ticks: list[dict[str, Any]], size: int) -> list[float | None]:
    """Seconds at which 10 %, 20 %, ... 100 % of ``size`` records were stored."""
    marks: list[float | None] = []
    for tenth in range(1, 11):
        goal = size * tenth // 10
        marks.append(next((round(t["at"], 1) for t in ticks if t["records"] >= goal), None))
    return marks


def bench_import(size: int, file: Path, folder: Path) -> dict[str, Any]:
    shutil.rmtree(folder, ignore_errors=True)
    ticks, final = run_child(folder, file, size)
    assert final is not None, "the import died"
    return {
        "bench": "import",
        "size": size,
        "file": str(file),
        "wall_s": final["wall_s"],
        "cpu_s": final["cpu_s"],
        "papers_per_s": round(final["papers"] / final["wall_s"]),
        "listable_at_s": listable_at(ticks, size),
        "peak_rss_mb": final["peak_rss_mb"],
        "papers": final["papers"],
        "rejected": final["rejected"],
    }


def bench_resume(size: int, file: Path, folder: Path) -> dict[str, Any]:
    shutil.rmtree(folder, ignore_errors=True)
    ticks, final = run_child(folder, file, size, kill_at=size // 2)
    assert final is None and ticks, "the import was not killed"
    with sqlite3.connect(folder / "library.sqlite") as conn:
        stored_at_kill = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    _, final = run_child(folder, file, size)
    assert final is not None, "the resumed import died"
    with sqlite3.connect(folder / "library.sqlite") as conn:
        distinct = conn.execute("SELECT count(DISTINCT arxiv_id) FROM papers").fetchone()[0]
    return {
        "bench": "resume",
        "size": size,
        "killed_at_s": round(ticks[-1]["at"], 1),
        "stored_at_kill": stored_at_kill,
        "resumed_from": final["resumed_from"],
        "finish_wall_s": final["wall_s"],
        "added_after_resume": final["added"],
        "unchanged_after_resume": final["unchanged"],
        "papers": final["papers"],
        "each_stored_once": final["papers"] == distinct == size,
        "peak_rss_mb": final["peak_rss_mb"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument(
        "--child", nargs=3, metavar=("LIBRARY", "FILE", "SIZE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))
        return 0
    for size in args.sizes:
        file = gzipped_corpus(size)
        folder = CACHE / f"bench-import-{size}"
        for bench in (bench_import, bench_resume):
            print(json.dumps(bench(size, file, folder)), flush=True)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
