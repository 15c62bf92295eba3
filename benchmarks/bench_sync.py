"""Sync: the first sync of a big library, and an incremental sync of 100 changes, through a
real WebDAV server on 127.0.0.1 (WsgiDAV, the tests' server) and through a folder.

    python benchmarks/bench_sync.py LIB [--target webdav|folder]

LIB: a built library (e.g. bench_core.py's 100k). Prints one JSON line per measurement:
seconds and bytes sent for the first sync (every paper and its state), the second machine's
first sync (receiving them), then 100 user-state changes sent and received.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader.core.store import Store  # noqa: E402
from reader.core.sync.engine import sync  # noqa: E402
from reader.core.sync.remote import open_remote  # noqa: E402
from tests.core.sync_servers import PASSWORD, webdav_server  # noqa: E402


def timed_sync(store: Store, remote, label: str, target: str, papers: int) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    report = sync(store, remote)
    row = {
        "sync": label,
        "target": target,
        "papers": papers,
        "seconds": round(time.perf_counter() - start, 2),
        "sent": report.sent,
        "received": report.received,
        "bytes_sent": report.bytes_sent,
        "files_sent": report.files_sent,
    }
    print(json.dumps(row), flush=True)


def run(library: Path, work: Path, target: str, spec: str) -> None:
    laptop_dir, desktop_dir = work / "laptop", work / "desktop"
    laptop_dir.mkdir()
    desktop_dir.mkdir()
    shutil.copy(library / "library.sqlite", laptop_dir / "library.sqlite")
    laptop, desktop = Store(laptop_dir / "library.sqlite"), Store(desktop_dir / "library.sqlite")
    papers = laptop.count()
    remote = open_remote(spec, PASSWORD)
    timed_sync(laptop, remote, "first (sending every paper)", target, papers)
    timed_sync(desktop, remote, "first on a second machine (receiving)", target, papers)
    ids = random.Random(0).sample([r[0] for r in laptop.query("SELECT id FROM papers")], 100)
    for n, paper_id in enumerate(ids):  # 100 changes, one at a time as a user makes them
        if n % 3 == 0:
            laptop.add_tags([paper_id], [f"topic {n % 7}"])
        elif n % 3 == 1:
            laptop.set_flag([paper_id], "bookmarked", True)
        else:
            laptop.set_notes(paper_id, f"note {n}")
    timed_sync(laptop, remote, "100 changes sent", target, papers)
    timed_sync(desktop, remote, "100 changes received", target, papers)
    remote.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--target", choices=("webdav", "folder"), default="webdav")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.target == "folder":
            run(args.library, work, "folder", str(work / "remote"))
        else:
            with webdav_server(work / "dav") as server:
                run(args.library, work, "webdav", server.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
