"""Memory benchmark: peak RSS of each importer on large hostile files.

    python benchmarks/bench_hostile_memory.py [--mb 20] [--formats hf-api ...] [--out FILE]

For each format a real file from ``shared/`` (a Daily Papers page, the Daily Papers API in
its JSON and its Python-repr shape, an arXiv Atom feed, an OAI-PMH response, snapshot
lines, BibTeX) is made hostile: its first abstract is repeated until that one field is
``--mb`` MB (a 20 MB repr-shape file once peaked at 9.6 GB). Each file, and the original
beside it as a baseline, is imported into a fresh library (store only, as
``bench_memory.py`` does) in a child process.

Prints one JSON object per format: ``size_mb`` (the hostile file), ``peak_rss_mb`` and
``baseline_rss_mb`` (the child's peak RSS, its VmHWM, on the hostile file and on the
original), ``per_input_mb`` (the growth over the baseline per MB of input: the multiple the
issue bounds), ``seconds``, and what the import reported (``stdout``: added, rejected,
errors, which include the "cut to" warnings). ``hf-api-repr-authors`` grows an author list
instead of an abstract.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_memory import MB, STORE_ONLY, emit, shared_dir  # noqa: E402

SHARED = shared_dir()
SOURCES = {
    "hf-page": SHARED / "seeds" / "000_b8207f4c8814c448.txt",
    "hf-api": SHARED / "data/hf-daily-papers/samples/2026-08-21.json",
    "hf-api-repr": SHARED / "data/hf-daily-papers/samples/2024-12-11.json",
    "hf-api-repr-authors": SHARED / "data/hf-daily-papers/samples/2024-12-11.json",
    "arxiv-atom": SHARED / "data/arxiv-api-atom/new-2026/q_testing_s0_m100_cfe7536492ca.body.xml",
    "arxiv-oai": SHARED / "data/arxiv-oai-pmh/GetRecord_data.xml",
    "arxiv-snapshot": SHARED
    / "data/arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json",
    "bibtex": SHARED / "data/bibtex-zotero-bbt/bibtex/bbt-mendeley-export_465.bib",
}
NEEDLE = 60  # characters of the first abstract found verbatim in the file
# The peak RSS is the child's own VmHWM: wait4's ru_maxrss counts the parent's memory at fork
PEAK = (
    STORE_ONLY
    + """
with open("/proc/self/status") as f:
    print(json.dumps({"vm_hwm_kb": next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))}))
"""
)
AUTHOR_REPR = "{'name': 'Ann Author', 'hidden': False}, "


def first_abstract(path: Path) -> str:
    """A piece of the first abstract the app reads from ``path`` that is verbatim in it."""
    from reader.core.importers import ImportOptions, detect_format, importer_for
    from reader.core.model import ParsedRecord

    raw = path.read_text(encoding="utf-8")
    parse = importer_for(detect_format(path)).parse
    for result in parse(path, ImportOptions()):
        if isinstance(result, ParsedRecord):
            abstract = result.record.abstract
            for start in range(0, max(1, len(abstract) - NEEDLE), 20):
                piece = abstract[start : start + NEEDLE]
                if len(piece) == NEEDLE and piece in raw:
                    return piece
    raise RuntimeError(f"{path}: no abstract found verbatim in the file")


def hostile_copy(fmt: str, source: Path, folder: Path, size: int) -> Path:
    """``source`` with its first abstract's piece repeated to ``size`` characters (or, for
    ``hf-api-repr-authors``, its first author list grown to that size: a repr's worst
    case is many small values, not one long one)."""
    raw = source.read_text(encoding="utf-8")
    if fmt == "hf-api-repr-authors":
        piece = "'authors': ["
        grown = piece + AUTHOR_REPR * (size // len(AUTHOR_REPR))
    else:
        piece = first_abstract(source)
        grown = " ".join([piece] * (size // (len(piece) + 1)))
    path = folder / f"hostile-{fmt}{source.suffix}"
    path.write_text(raw.replace(piece, grown, 1), encoding="utf-8")
    return path


def import_peak(path: Path, work: Path) -> dict[str, object]:
    """Import ``path`` into a fresh library in a child: its peak RSS, time and report."""
    library = work / f"lib-{path.stem}"
    shutil.rmtree(library, ignore_errors=True)
    start = time.monotonic()
    cmd = [sys.executable, "-c", PEAK, str(library), str(path)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    report, peak = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    return {
        "peak_rss_mb": round(peak["vm_hwm_kb"] / 1024, 1),
        "seconds": round(time.monotonic() - start, 1),
        "report": report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=20, help="size of the hostile field")
    parser.add_argument("--formats", nargs="*", choices=list(SOURCES), default=list(SOURCES))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paper-reader-hostile-") as tmp:
        work = Path(tmp)
        for fmt in args.formats:
            source = SOURCES[fmt]
            copy = work / f"original-{source.name}"
            shutil.copyfile(source, copy)
            baseline = import_peak(copy, work)
            hostile = hostile_copy(fmt, source, work, args.mb * MB)
            size_mb = hostile.stat().st_size / MB
            result = import_peak(hostile, work)
            growth = float(result["peak_rss_mb"]) - float(baseline["peak_rss_mb"])
            emit(
                {
                    "bench": "hostile_memory",
                    "format": fmt,
                    "size_mb": round(size_mb, 1),
                    "peak_rss_mb": result["peak_rss_mb"],
                    "baseline_rss_mb": baseline["peak_rss_mb"],
                    "per_input_mb": round(growth / size_mb, 2),
                    "seconds": result["seconds"],
                    "report": result["report"],
                },
                args.out,
            )
            hostile.unlink()


if __name__ == "__main__":
    main()
