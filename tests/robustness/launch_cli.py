"""``python -m reader`` with smaller store batches and index chunks (for kill tests).

    python launch_cli.py --batch=200 --chunk=400 -- --library L import FILE

Only ``reader.core.importing.BATCH_SIZE`` and ``reader.core.search.index.CHUNK`` change (0 keeps
the shipped value); every other line that runs is the real CLI's. Small batches put many
commit boundaries into a short run, so random kills land on them often.
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

    if int(sizes.get("batch", 0)):
        importing.BATCH_SIZE = int(sizes["batch"])
    if int(sizes.get("chunk", 0)):
        index.CHUNK = int(sizes["chunk"])
    sys.argv = ["reader", *args[split + 1 :]]
    runpy.run_module("reader", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
