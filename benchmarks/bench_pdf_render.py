"""PDF reader benchmark: first page and page turns of the in-app reader (PDFium via pypdfium2).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_pdf_render.py [--pages 30 300]
                                                                    [--turns 20] [--out FILE]

For each page count a PDF of real abstract sentences (``bench_fulltext.write_pdf``: about
3,500 characters a page, like a two-column paper) is opened in a fresh child process by
``reader.gui.widgets.pdf_reader.PdfReader`` shown at 900x1100. Prints one JSON object per
PDF: ``start_ms`` (import of the reader and the QApplication, the cold part a first open in
a new window pays), ``first_page_ms`` (``open()`` to the first page's image in the canvas),
``turn_fit_width_*`` and ``turn_200pct_*`` (``go_to(next page)`` to its image shown, over
``--turns`` pages: median / p95 / max ms), ``peak_rss_mb`` (the child's VmHWM after the
turns) and the size of the PDFium library the installer carries. Target: first page
<= 300 ms for a 30-page paper.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def child(path: Path, turns: int) -> dict[str, object]:
    """In a fresh process: open ``path`` in the reader and time what the user waits for."""
    began = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from reader.gui.widgets.pdf_reader import PdfReader

    app = QApplication(sys.argv[:1])
    reader = PdfReader()
    reader.resize(900, 1100)
    reader.show()
    app.processEvents()
    started = time.perf_counter()

    def shown_after(action) -> float:  # type: ignore[no-untyped-def]
        """Milliseconds from ``action()`` to a new page image in the canvas."""
        before = reader.canvas.image.cacheKey()
        start = time.perf_counter()
        action()
        deadline = start + 30
        while reader.canvas.image.isNull() or reader.canvas.image.cacheKey() == before:
            if time.perf_counter() > deadline:
                raise TimeoutError("the page was never shown")
            app.processEvents()
            time.sleep(0.0005)
        return (time.perf_counter() - start) * 1000

    first = shown_after(lambda: reader.open(path, 0))
    results: dict[str, object] = {
        "pages": reader.page_total,
        "start_ms": round((started - began) * 1000, 1),
        "first_page_ms": round(first, 1),
    }
    for name, fit, zoom in (("fit_width", "width", 1.0), ("200pct", "", 2.0)):
        reader.fit, reader.zoom = fit, zoom

        def turn() -> float:
            return shown_after(lambda: reader.go_to((reader.page + 1) % reader.page_total))

        turn()  # the first render at a new scale is not a page turn
        ordered = sorted(turn() for _ in range(turns))
        results[f"turn_{name}_median_ms"] = round(statistics.median(ordered), 1)
        results[f"turn_{name}_p95_ms"] = round(ordered[int(len(ordered) * 0.95)], 1)
        results[f"turn_{name}_max_ms"] = round(ordered[-1], 1)
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    results["peak_rss_mb"] = round(hwm / 1024, 1)
    reader.close_document()
    from reader.gui.widgets.pdf_reader import _stop_worker

    _stop_worker()
    return results


def pdfium_mb() -> float:
    import pypdfium2_raw

    folder = Path(pypdfium2_raw.__file__).parent
    return round(sum(p.stat().st_size for p in folder.glob("*pdfium*")) / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, nargs="*", default=[30, 300])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.turns)))
        return
    from bench_fulltext import sentences, write_pdf

    pool = sentences()
    with tempfile.TemporaryDirectory(prefix="paper-reader-render-") as tmp:
        for pages in args.pages:
            path = Path(tmp) / f"paper-{pages}.pdf"
            write_pdf(path, pages, pool, random.Random(pages))
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--turns", str(args.turns)],
                capture_output=True,
                text=True,
                check=True,
            )
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            line = json.dumps(
                {
                    "bench": "pdf_render",
                    "renderer": "pdfium (pypdfium2)",
                    "file_mb": round(path.stat().st_size / 2**20, 2),
                    **measured,
                    "pdfium_library_mb": pdfium_mb(),
                    "target_first_page_ms": 300,
                }
            )
            print(line, flush=True)
            if args.out:
                with open(args.out, "a", encoding="utf-8") as f:
                    f.write(line + "\n")


if __name__ == "__main__":
    main()
