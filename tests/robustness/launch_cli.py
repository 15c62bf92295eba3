"""``python -m reader`` with smaller store batches, index chunks and sync files (for kill tests).

    python launch_cli.py --batch=200 --chunk=400 --sync-file=20 -- --library L import FILE

Only ``reader.core.importing.BATCH_SIZE``, ``reader.core.search.index.CHUNK`` and
``reader.core.sync.engine.PAPERS_PER_FILE`` change (0 keeps the shipped value); every other
line that runs is the real CLI's. Small batches put many commit boundaries into a short run,
so random kills land on them often.
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    args = sys.argv[1:]
    split = args.index("--")
    sizes = dict(a.removeprefix("--").split("=", 1) for a in args[:split])
    import reader.core.importing as importing
    import reader.core.search.index as index
    import reader.core.sync.engine as engine

    if int(sizes.get("batch", 0)):
        importing.BATCH_SIZE = int(sizes["batch"])
    if int(sizes.get("chunk", 0)):
        index.CHUNK = int(sizes["chunk"])
    if int(sizes.get("sync-file", 0)):
        engine.PAPERS_PER_FILE = int(sizes["sync-file"])
    sys.argv = ["reader", *args[split + 1 :]]
    runpy.run_module("reader", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
