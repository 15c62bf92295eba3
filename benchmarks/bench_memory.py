"""Memory benchmark: importing a multi-GB arXiv snapshot keeps peak RSS flat.

    python benchmarks/bench_memory.py [--sizes-mb 100 300 1000] [--index-mb 30]
                                      [--reindex LIB] [--out FILE] [--keep]

1. Generates Kaggle-shaped snapshot files (``arxiv-metadata-oai-snapshot.json`` lines) of
   each size in ``/tmp/paper-reader-bench/memory/`` from the 200 real lines in
   ``shared/data/arxiv-kaggle-snapshot-sample``: every line gets a unique arXiv id (and a
   unique DOI when it had one), a title of 6-12 words drawn from the real titles (so
   titles do not all collide in the near-duplicate check) and its abstract's sentences
   rotated; everything else (authors, authors_parsed, versions, categories, comments,
   journal-ref) is the real line's.
2. Store import (indexing deferred: ``Library.import_files(index=False)``, the same code
   path as the CLI's import up to the index catch-up) of each file into a fresh library,
   in a child process: wall time, papers, peak RSS (``wait4`` rusage of that child) and an
   RSS curve (``VmRSS`` sampled at each 2,000-record batch).
3. The CLI's full import (``python -m reader --library L import FILE``, store + Whoosh) of
   a smaller file (``--index-mb``), measured the same way.
4. Optionally (``--reindex LIB``): copies LIB to ``LIB-copy`` (never touching LIB) and
   times ``paper-reader --library LIB-copy reindex``.

Prints one JSON object per measurement on stdout (and appends them to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/paper-reader-bench/memory")
SAMPLE = "data/arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json"
MB = 2**20

STORE_ONLY = """
import json, sys
from pathlib import Path
from reader.core.library import Library

def progress(p):
    print(json.dumps({"records": p.records, "added": p.added}), file=sys.stderr, flush=True)

with Library(Path(sys.argv[1])) as library:
    report = library.import_files([Path(sys.argv[2])], progress=progress, index=False)
print(json.dumps({"added": report.added, "rejected": report.rejected,
                  "errors": len(report.errors)}))
"""


def shared_dir() -> Path:
    for candidate in (os.environ.get("PAPER_READER_SHARED"), REPO.parent / "shared"):
        if candidate and (Path(candidate) / "data").is_dir():
            return Path(candidate)
    return Path("/work/shared")


# -- the snapshot -------------------------------------------------------------------------------


def real_lines() -> list[dict[str, object]]:
    with open(shared_dir() / SAMPLE, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def arxiv_ids() -> object:
    """Unique new-style ids: 0801.00001, 0801.00002, ... (five digits, any month)."""
    for year in range(8, 100):
        for month in range(1, 13):
            for number in range(1, 100_000):
                yield f"{year:02d}{month:02d}.{number:05d}"


def generate(path: Path, size: int, seed: int = 20260601) -> int:
    """Write a snapshot of about ``size`` bytes; return its number of lines."""
    rng = random.Random(seed)
    lines = real_lines()
    words = [w for line in lines for w in str(line["title"]).split() if w.isalpha()]
    ids = arxiv_ids()
    written = count = 0
    tmp = path.with_suffix(".partial")
    with open(tmp, "w", encoding="utf-8") as f:
        while written < size:
            line = dict(lines[count % len(lines)])
            line["id"] = next(ids)  # type: ignore[call-overload]
            if line.get("doi"):
                line["doi"] = f"{line['doi']}.{count}"
            line["title"] = " ".join(rng.choice(words) for _ in range(rng.randint(6, 12)))
            sentences = re.split(r"(?<=\.)\s+", str(line["abstract"]).strip())
            turn = rng.randrange(len(sentences))
            line["abstract"] = " ".join(sentences[turn:] + sentences[:turn])
            text = json.dumps(line, ensure_ascii=False) + "\n"
            f.write(text)
            written += len(text.encode())
            count += 1
    tmp.rename(path)
    return count


# -- measuring a child process -------------------------------------------------------------------


def vm_rss(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(cmd: list[str]) -> dict[str, object]:
    """Run ``cmd``; its wall time, peak RSS (MB, from wait4) and RSS at each progress line."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    curve: list[tuple[int, float]] = []
    tail: list[str] = []

    def read_progress() -> None:
        for raw in proc.stderr:  # type: ignore[union-attr]
            line = raw.decode(errors="replace")
            match = re.search(r'"records": (\d+)', line)
            rss = vm_rss(proc.pid)
            if match and rss is not None:
                curve.append((int(match.group(1)), round(rss, 1)))
                if len(curve) % 25 == 0:  # a live trace for long runs
                    elapsed = time.monotonic() - start
                    print(
                        f"  {elapsed:7.0f}s {curve[-1][0]:>9,} records {rss:7.1f} MB RSS",
                        file=sys.stderr,
                        flush=True,
                    )
            elif not match:
                tail.append(line.rstrip())

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    stdout = proc.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {tail[-5:]}")
    step = max(1, len(curve) // 20)  # at most ~20 points
    return {
        "_curve": curve,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KB
        "rss_curve_mb": [list(p) for p in curve[::step]] + ([list(curve[-1])] if curve else []),
        "stdout": stdout.decode(errors="replace").strip()[-500:],
    }


def emit(result: dict[str, object], out: Path | None) -> None:
    result.pop("_curve", None)
    text = json.dumps(result)
    print(text, flush=True)
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(text + "\n")


def snapshot(size_mb: int) -> tuple[Path, int, float]:
    path = WORK / f"snapshot-{size_mb}mb.json"
    start = time.monotonic()
    if path.exists():  # kept from an earlier run (--keep)
        with open(path, "rb") as f:
            lines = sum(1 for _ in f)
    else:
        lines = generate(path, size_mb * MB)
    return path, lines, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes-mb", type=int, nargs="*", default=[100, 300, 1000])
    parser.add_argument(
        "--marks-mb",
        type=int,
        nargs="*",
        default=[],
        help="also report the highest sampled RSS once this much of the file was imported"
        " (one big import instead of one per size: --sizes-mb 1000 --marks-mb 100 300)",
    )
    parser.add_argument("--index-mb", type=int, default=30, help="0: skip the indexed import")
    parser.add_argument("--reindex", type=Path, help="time a reindex of a copy of this library")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the files and libraries")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    python = sys.executable

    for size_mb in args.sizes_mb:
        path, lines, made = snapshot(size_mb)
        library = WORK / f"lib-store-{size_mb}mb"
        shutil.rmtree(library, ignore_errors=True)
        result = measure([python, "-c", STORE_ONLY, str(library), str(path)])
        curve: list[tuple[int, float]] = result.pop("_curve")  # type: ignore[assignment]
        result.update(
            kind="store import (index deferred)",
            file_mb=round(path.stat().st_size / MB, 1),
            lines=lines,
            generate_seconds=round(made, 1),
            papers_per_second=round(lines / float(result["seconds"]), 1),  # type: ignore[arg-type]
            highest_sampled_rss_mb_by_file_mb={
                mark: max((rss for n, rss in curve if n <= lines * mark / size_mb), default=None)
                for mark in sorted({*args.marks_mb, size_mb})
                if mark <= size_mb
            },
        )
        emit(result, args.out)
        if not args.keep:
            shutil.rmtree(library, ignore_errors=True)
            path.unlink()

    if args.index_mb:
        path, lines, _ = snapshot(args.index_mb)
        library = WORK / f"lib-cli-{args.index_mb}mb"
        shutil.rmtree(library, ignore_errors=True)
        cmd = [python, "-m", "reader", "--library", str(library), "import", "--progress"]
        result = measure([*cmd, str(path)])
        result.update(kind="CLI import (store + index)", file_mb=args.index_mb, lines=lines)
        emit(result, args.out)
        if not args.keep:
            shutil.rmtree(library, ignore_errors=True)
            path.unlink()

    if args.reindex:
        copy = args.reindex.with_name(args.reindex.name + "-copy")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(args.reindex, copy)
        result = measure([python, "-m", "reader", "--library", str(copy), "reindex"])
        result.update(kind="reindex (CLI)", library=str(copy))
        emit(result, args.out)


if __name__ == "__main__":
    main()
