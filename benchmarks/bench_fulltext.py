"""Full-text benchmark: PDF text extraction, and the index's body field.

    python benchmarks/bench_fulltext.py [--pages 30 300] [--papers 10000] [--bodies 500]
                                        [--out FILE]

Prints JSON lines (and writes them to ``--out``):

* ``extract``: ``fulltext.extract_text`` on PDFs generated with fpdf2 (pages of real
  abstract sentences from the bench corpus, ~3,500 characters a page like a two-column
  paper), each in a fresh child process: wall seconds, pages/s, characters, and the
  child's peak RSS (VmHWM) before and after the extraction;
* ``catch_up``: a library of ``--papers`` papers of the bench corpus, indexed; then
  ``--bodies`` of them get a body (~60k characters, a 12-page paper) through
  ``Store.set_fulltext`` and the index catches up: seconds per paper with a body against
  the same papers re-indexed without one (a bookmark), and the index's growth;
* ``search``: the bench query mix (``shared/bench/search_queries.json``) on that library
  before the bodies and after them (median ms of ``--runs`` runs per query, p50 / p95 /
  max), and how many hits were marked as matched in the full text.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import SHARED, corpus_path  # noqa: E402

from reader.core.search import whoosh_compat as compat  # noqa: E402

QUERIES = SHARED / "bench" / "search_queries.json"
PAGE_CHARS = 3_500
BODY_CHARS = 60_000


def sentences(size: int = 10_000) -> list[str]:
    """Real abstract sentences from the bench corpus."""
    found = []
    with corpus_path(size).open(encoding="utf-8") as f:
        for line in f:
            abstract = json.loads(line).get("summary") or ""
            found += [s.strip() + "." for s in abstract.replace("\n", " ").split(". ") if s]
    return found


def text_of(pool: list[str], chars: int, rng: random.Random) -> str:
    parts, size = [], 0
    while size < chars:
        part = rng.choice(pool)
        parts.append(part)
        size += len(part) + 1
    return " ".join(parts)


def write_pdf(path: Path, pages: int, pool: list[str], rng: random.Random) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=9)
    for _ in range(pages):
        pdf.add_page()
        text = text_of(pool, PAGE_CHARS, rng).encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 4, text)
    pdf.output(str(path))


def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def child_extract(path: Path) -> None:
    """In a fresh process: one extraction, its time and this process's peak RSS."""
    import pypdfium2  # noqa: F401  (its import is not the extraction's memory)

    from reader.core.fulltext import extract_text

    before = vm_hwm_mb()
    start = time.perf_counter()
    text = extract_text(path)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "pages": text.pages,
                "chars": text.chars,
                "truncated": text.truncated,
                "seconds": round(seconds, 3),
                "pages_per_s": round(text.pages / seconds, 1),
                "rss_before_mb": before,
                "peak_rss_mb": vm_hwm_mb(),
            }
        )
    )


def bench_extract(pages: list[int], pool: list[str], work: Path, emit: Any) -> None:
    rng = random.Random(7)
    for count in pages:
        path = work / f"paper-{count}.pdf"
        write_pdf(path, count, pool, rng)
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, __file__, "--child-extract", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout))
        best = min(runs, key=lambda r: r["seconds"])
        emit(
            "extract",
            file_pages=count,
            file_mb=round(path.stat().st_size / 2**20, 2),
            median_s=statistics.median(r["seconds"] for r in runs),
            **best,
        )


def _search_mix(library: Any, queries: list[dict[str, str]], runs: int) -> dict[str, Any]:
    medians, marked = [], 0
    for q in queries:
        library.search(q["query"], limit=20, snippets=False)  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            results = library.search(q["query"], limit=20, snippets=False)
            times.append((time.perf_counter() - start) * 1000)
        marked += sum(h.in_fulltext for h in results.hits)
        medians.append(statistics.median(times))
    medians.sort()

    def pct(p: float) -> float:
        at = (len(medians) - 1) * p
        low = int(at)
        high = min(low + 1, len(medians) - 1)
        return round(medians[low] + (medians[high] - medians[low]) * (at - low), 2)

    return {"p50": pct(0.5), "p95": pct(0.95), "max": round(medians[-1], 2), "marked": marked}


def bench_catch_up(papers: int, bodies: int, runs: int, work: Path, emit: Any) -> None:
    from reader.core.library import Library

    def index_mb(folder: Path) -> float:
        return round(sum(f.stat().st_size for f in (folder / "index").rglob("*")) / 2**20, 1)

    queries = json.loads(QUERIES.read_text())
    folder = work / "library"
    with Library(folder) as library:
        library.import_files([corpus_path(papers)])
        before_mb = index_mb(folder)
        plain = _search_mix(library, queries, runs)
        emit("search", papers=papers, bodies=0, **plain)
        ids = [r[0] for r in library.store.query("SELECT id FROM papers ORDER BY id")]
        chosen = random.Random(3).sample(ids, bodies)
        start = time.perf_counter()
        library.set_bookmarked(chosen, True)  # the same papers re-indexed, without bodies
        library.catch_up_index()
        without = time.perf_counter() - start
        pool = sentences(min(papers, 10_000))
        rng = random.Random(5)
        texts = {i: text_of(pool, BODY_CHARS, rng) for i in chosen}
        start = time.perf_counter()
        for paper_id, text in texts.items():
            library.store.set_fulltext(paper_id, text, 12, False)
        stored = time.perf_counter() - start
        start = time.perf_counter()
        library.catch_up_index()
        with_bodies = time.perf_counter() - start
        emit(
            "catch_up",
            papers=papers,
            bodies=bodies,
            body_chars=BODY_CHARS,
            store_ms_per_paper=round(stored / bodies * 1000, 2),
            index_ms_per_paper_with_body=round(with_bodies / bodies * 1000, 2),
            index_ms_per_paper_without=round(without / bodies * 1000, 2),
            index_mb_before=before_mb,
            index_mb_after=index_mb(folder),
            segments=len(compat.segments(library.derived.index.ix)),
        )
        emit("search", papers=papers, bodies=bodies, **_search_mix(library, queries, runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", nargs="+", type=int, default=[30, 300])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--bodies", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child-extract", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_extract:
        child_extract(args.child_extract)
        return 0
    out = args.out.open("w", encoding="utf-8") if args.out else None

    def emit(kind: str, **fields: Any) -> None:
        line = json.dumps({"kind": kind, **fields})
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()

    with tempfile.TemporaryDirectory(prefix="bench-fulltext-") as tmp:
        work = Path(tmp)
        bench_extract(args.pages, sentences(), work, emit)
        bench_catch_up(args.papers, args.bodies, args.runs, work, emit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
