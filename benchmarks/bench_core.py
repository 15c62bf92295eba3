"""Library-core benchmark: import throughput, search latency against SQLite FTS5, CLI start-up.

    python benchmarks/bench_core.py [--sizes 10000 100000] [--out FILE] [--reuse]

For each corpus size (see ``corpus.py``) it measures, in one run:

* import: ``Library.import_files(paths, index=False)`` (the store) and then
  ``Library.catch_up_index()`` (the Whoosh index), separately, as wall seconds and papers/s;
* search: the 20-query mix in ``shared/bench/search_queries.json``, one warm-up then
  ``--runs`` timed runs per query, the per-query median, then p50/p95/max across the
  per-query medians (linear interpolation), for ``Library.search(q, limit=20, snippets=False)``,
  the same with ``snippets=True``, and the baseline: SQLite FTS5 (title, abstract, authors;
  ``ORDER BY bm25(fts) LIMIT 20``, each query's ``fts5`` expression) built from the same
  papers in the same run, with its build time;
* the per-query ratio Whoosh / FTS5;
* CLI start-up (largest size): ``paper-reader --version`` and
  ``paper-reader --library LIB search "speculative decoding"`` as whole processes, one
  warm-up then ``--runs`` runs, min / median / max wall seconds (and user+sys CPU);
* optionally (``--compare-python PY``) the same 10k build + search mix under another
  interpreter (a venv with another Whoosh package), and the warnings each Whoosh prints on
  import (as installed, and recompiled from source with an empty bytecode cache);
* optionally (``--profile``) cProfile of the slowest queries at the largest size.

Built libraries are kept in ``/tmp/paper-reader-bench/lib-<size>`` with their build figures
beside them; ``--reuse`` searches those instead of importing again (their build figures are
reported, marked as cached). Results go to ``--out`` as JSON lines (default: a time-stamped
file in the cache folder); the human table goes to stdout (to stderr with ``--json``, which
prints the JSON lines on stdout instead).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, SHARED, VERSION, corpus_path, corpus_stats, gzipped_corpus  # noqa: E402

from reader.core.reports import ImportProgress  # noqa: E402
from reader.core.search import whoosh_compat as compat  # noqa: E402
from reader.core.search.index import SearchIndex  # noqa: E402

QUERIES = SHARED / "bench" / "search_queries.json"
FTS5_TOKENIZE = "porter unicode61 remove_diacritics 2"
FTS5_SQL = "SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT 20"
CLI_QUERY = "speculative decoding"
WARNINGS_IMPORT = "import whoosh.index, whoosh.qparser, whoosh.highlight"
WARNINGS_IMPORT_ALL = (  # every module of the package, as a test collector or freezer would
    "import pkgutil, importlib, sys, whoosh\n"
    "for m in pkgutil.walk_packages(whoosh.__path__, 'whoosh.', onerror=lambda n: None):\n"
    "    try: importlib.import_module(m.name)\n"
    "    except Exception as e: print('broken module', m.name, type(e).__name__, file=sys.stderr)"
)


# -- output ------------------------------------------------------------------------------------


class Report:
    """Collects result records; writes each as a JSON line as soon as it is measured."""

    def __init__(self, out: Path, json_stdout: bool, label: str) -> None:
        self.records: list[dict[str, Any]] = []
        self.label = label
        out.parent.mkdir(parents=True, exist_ok=True)
        self._file = out.open("w", encoding="utf-8")
        self._json_stdout = json_stdout
        self.table: TextIO = sys.stderr if json_stdout else sys.stdout
        self.out = out

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"kind": kind, "label": self.label, **fields}
        self.records.append(record)
        line = json.dumps(record, ensure_ascii=False)
        self._file.write(line + "\n")
        self._file.flush()
        if self._json_stdout:
            print(line, flush=True)
        return record

    def adopt(self, record: dict[str, Any]) -> None:
        """A record measured by a child process (keeps the child's label)."""
        self.records.append(record)
        line = json.dumps(record, ensure_ascii=False)
        self._file.write(line + "\n")
        self._file.flush()
        if self._json_stdout:
            print(line, flush=True)

    def find(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records
            if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())
        ]

    def close(self) -> None:
        self._file.close()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3),
    }


def timed_runs(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """One warm-up, then ``runs`` timed calls; milliseconds and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


# -- building ----------------------------------------------------------------------------------


def git_state() -> dict[str, object]:
    """The commit measured, and which files under reader/ differ from it."""
    root = HERE.parent

    def git(*argv: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *argv], capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "reader").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD"), "reader_dirty": dirty}


def whoosh_version() -> str:
    import whoosh

    return whoosh.versionstring()


def whoosh_distribution() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for name in ("whoosh-reloaded", "whoosh"):
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            continue
    return "unknown"


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_library(size: int, folder: Path, report: Report, reuse: bool) -> None:
    """Import the corpus into ``folder`` (store, then index), or reuse a cached build."""
    from reader.core.library import Library

    build_file = folder.with_name(folder.name + ".build.json")
    corpus = corpus_path(size)
    if reuse and build_file.exists() and folder.exists():
        cached = json.loads(build_file.read_text())
        if cached.get("corpus") == corpus.name and cached.get("whoosh") == whoosh_distribution():
            with Library(folder) as library:
                stats = library.stats()
            if stats["indexed"] == stats["papers"] == cached["papers"]:
                log(f"{size}: reusing {folder} (built {cached['built_at']})")
                for stage in ("store", "index"):
                    report.add(
                        "import",
                        size=size,
                        cached=True,
                        built_at=cached["built_at"],
                        **cached[stage],
                    )
                report.add("library", size=size, cached=True, **cached["library"])
                return
        log(f"{size}: cached library does not match; rebuilding")
    if folder.exists():
        shutil.rmtree(folder)
    build_file.unlink(missing_ok=True)
    source = gzipped_corpus(size)
    log(f"{size}: importing {source} (store, with the index following)")
    rusage0 = resource.getrusage(resource.RUSAGE_SELF)
    timeline: list[dict[str, float]] = []  # papers stored and searchable, as the import runs
    with Library(folder) as library:
        start = time.perf_counter()
        listable = [0.0]
        last = [start]

        def progress(at: ImportProgress) -> None:
            now = time.perf_counter()
            if at.stage != "indexing":
                listable[0] = now - start  # the last batch stored so far
            if now - last[0] < 30:
                return
            last[0] = now
            reader = SearchIndex(folder / "index")  # what a search started now would see
            searchable = reader.doc_count()
            reader.close()
            point = {"s": round(now - start, 1), "stored": at.added, "searchable": searchable}
            timeline.append(point)
            log(f"{size}: {point}")

        result = library.import_files([source], progress=progress)
        total_s = time.perf_counter() - start
        store_s = listable[0]
        papers = library.store.count("papers")
        rusage1 = resource.getrusage(resource.RUSAGE_SELF)
        store = {
            "stage": "store",
            "seconds": round(store_s, 3),
            "papers": papers,
            "papers_per_s": round(papers / store_s, 1),
            "added": result.added,
            "merged": result.merged,
            "rejected": result.rejected,
            "timeline": timeline,
        }
        report.add("import", size=size, cached=False, **store)
        index = {
            "stage": "index",
            "seconds": round(total_s - store_s, 3),  # after the last paper was stored
            "papers": papers,
            "papers_per_s": round(papers / total_s, 1),  # over the whole import
            "cpu_s": round(_cpu(rusage1) - _cpu(rusage0), 2),
            "workers_cpu_s": round(_cpu(resource.getrusage(resource.RUSAGE_CHILDREN)), 2),
        }
        report.add("import", size=size, cached=False, **index)
        log(f"{size}: listable {store_s:.1f} s, searchable {total_s:.1f} s")
        index_s = total_s - store_s
        stats = library.stats()
        segments = _segment_count(library)
    lib_info = {
        "papers": stats["papers"],
        "indexed": stats["indexed"],
        "segments": segments,
        "store_bytes": (folder / "library.sqlite").stat().st_size,
        "index_bytes": dir_bytes(folder / "index"),
        "peak_rss_mb": peak_rss_mb(),
        "workers_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "to_searchable_s": round(store_s + index_s, 3),
    }
    report.add("library", size=size, cached=False, **lib_info)
    build_file.write_text(
        json.dumps(
            {
                "corpus": corpus.name,
                "whoosh": whoosh_distribution(),
                "papers": stats["papers"],
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "store": store,
                "index": index,
                "library": lib_info,
            }
        )
    )


def peak_rss_mb() -> float | None:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited
    from the parent across exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _segment_count(library: Any) -> int | None:
    try:
        return len(compat.segments(library.derived.index.ix))
    except Exception:
        return None


def build_fts5(folder: Path, db_path: Path, size: int, report: Report) -> None:
    """The baseline: an FTS5 table over the same papers, read from the library's store."""
    db_path.unlink(missing_ok=True)
    start = time.perf_counter()
    source = sqlite3.connect(folder / "library.sqlite")
    conn = sqlite3.connect(db_path)
    conn.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(title, abstract, authors,"
        f" tokenize = '{FTS5_TOKENIZE}')"
    )
    conn.execute("BEGIN")
    rows = source.execute("SELECT id, title, abstract, authors FROM papers")
    conn.executemany(
        "INSERT INTO fts (rowid, title, abstract, authors) VALUES (?, ?, ?, ?)",
        ((i, t, a, "; ".join(json.loads(au))) for i, t, a, au in rows),
    )
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    papers = conn.execute("SELECT count(*) FROM fts").fetchone()[0]
    conn.close()
    source.close()
    report.add(
        "fts5_build",
        size=size,
        seconds=round(seconds, 3),
        papers=papers,
        papers_per_s=round(papers / seconds, 1),
        tokenize=FTS5_TOKENIZE,
        bytes=db_path.stat().st_size,
    )
    log(f"{size}: FTS5 built in {seconds:.1f} s")


# -- searching ---------------------------------------------------------------------------------


def load_queries() -> list[dict[str, str]]:
    return json.loads(QUERIES.read_text())


def bench_whoosh(
    folder: Path, size: int, queries: list[dict[str, str]], runs: int, report: Report
) -> None:
    from reader.core.library import Library

    with Library(folder) as library:
        for snippets in (False, True):
            engine = "whoosh+snippets" if snippets else "whoosh"
            medians = []
            for q in queries:
                times, result = timed_runs(
                    lambda q=q, s=snippets: library.search(q["query"], limit=20, snippets=s), runs
                )
                median = statistics.median(times)
                medians.append(median)
                report.add(
                    "search",
                    size=size,
                    engine=engine,
                    query=q["query"],
                    median_ms=round(median, 3),
                    runs_ms=[round(t, 3) for t in times],
                    hits=len(result.hits),
                    total=result.total,
                    corrected=result.corrected,
                    degraded=result.degraded,
                )
            report.add(
                "search_summary",
                size=size,
                engine=engine,
                queries=len(queries),
                runs=runs,
                loadavg=os.getloadavg(),
                **summary(medians),
            )
            log(f"{size}: {engine} p50/p95/max {summary(medians)}")


def bench_fts5(
    db_path: Path, size: int, queries: list[dict[str, str]], runs: int, report: Report
) -> None:
    conn = sqlite3.connect(db_path)
    medians = []
    for q in queries:
        times, rows = timed_runs(lambda q=q: conn.execute(FTS5_SQL, (q["fts5"],)).fetchall(), runs)
        matches = conn.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ?", (q["fts5"],)
        ).fetchone()[0]
        median = statistics.median(times)
        medians.append(median)
        report.add(
            "search",
            size=size,
            engine="fts5",
            query=q["query"],
            fts5=q["fts5"],
            median_ms=round(median, 3),
            runs_ms=[round(t, 3) for t in times],
            hits=len(rows),
            total=matches,
        )
    conn.close()
    report.add(
        "search_summary",
        size=size,
        engine="fts5",
        queries=len(queries),
        runs=runs,
        loadavg=os.getloadavg(),
        **summary(medians),
    )
    log(f"{size}: fts5 p50/p95/max {summary(medians)}")


def ratios(size: int, queries: list[dict[str, str]], report: Report) -> None:
    for q in queries:
        whoosh = report.find("search", size=size, engine="whoosh", query=q["query"])
        fts5 = report.find("search", size=size, engine="fts5", query=q["query"])
        if not (whoosh and fts5):
            continue
        w, f = whoosh[-1]["median_ms"], fts5[-1]["median_ms"]
        report.add(
            "ratio",
            size=size,
            query=q["query"],
            whoosh_ms=w,
            fts5_ms=f,
            ratio=round(w / f, 2) if f else None,
            slower_than_fts5=w > f,
        )


def profile_queries(
    folder: Path, size: int, texts: list[str], runs: int, report: Report, top: int = 25
) -> None:
    """cProfile of ``runs`` searches (no snippets) per query, after a warm-up."""
    from reader.core.library import Library

    with Library(folder) as library:
        for text in texts:
            library.search(text, limit=20, snippets=False)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(runs):
                library.search(text, limit=20, snippets=False)
            profiler.disable()
            stats = pstats.Stats(profiler)
            rows = []
            for (file, line, func), (_, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
                rows.append(
                    {
                        "function": f"{_short(file)}:{line}({func})",
                        "calls": nc,
                        "tottime_ms": round(tt * 1000 / runs, 2),
                        "cumtime_ms": round(ct * 1000 / runs, 2),
                    }
                )
            by_tot = sorted(rows, key=lambda r: -r["tottime_ms"])[:top]
            by_cum = sorted(rows, key=lambda r: -r["cumtime_ms"])[:top]
            report.add(
                "profile", size=size, query=text, runs=runs, by_tottime=by_tot, by_cumtime=by_cum
            )


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


OPEN_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
from reader.core.library import Library
from reader.core.search import whoosh_compat as compat
library = Library(Path(sys.argv[1]))
index = library.derived.index
before = rss()
start = time.perf_counter()
index.searcher()
seconds = time.perf_counter() - start
print(json.dumps({"open_ms": round(seconds * 1000, 1), "rss_before_mb": round(before, 1),
                  "rss_after_mb": round(rss(), 1),
                  "segments": len(compat.segments(index.ix))}))
"""


def bench_searcher_open(folder: Path, size: int, runs: int, report: Report) -> None:
    """Opening a Whoosh searcher in a fresh process (what every CLI search and every
    searcher refresh after a change pays): wall ms and resident memory."""
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", OPEN_SCRIPT, str(folder)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout))
    opens = [r["open_ms"] for r in results]
    report.add(
        "searcher_open",
        size=size,
        runs=runs,
        open_ms_median=statistics.median(opens),
        open_ms_min=min(opens),
        open_ms_max=max(opens),
        rss_before_mb=results[-1]["rss_before_mb"],
        rss_after_mb=results[-1]["rss_after_mb"],
        segments=results[-1]["segments"],
    )


# -- CLI start-up ------------------------------------------------------------------------------


def cli_executable() -> str:
    beside = Path(sys.executable).with_name("paper-reader")
    return str(beside) if beside.exists() else (shutil.which("paper-reader") or "paper-reader")


def bench_cli(
    name: str, argv: list[str], runs: int, size: int | None, report: Report, cached_bytecode: bool
) -> None:
    """``cached_bytecode``: bytecode written to and read from a cache in /tmp, as in an
    installed package; otherwise the inherited environment (PYTHONDONTWRITEBYTECODE=1 in a
    source checkout makes every start compile the project's modules)."""
    env = dict(os.environ)
    if cached_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    walls, cpus, codes = [], [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i == 0:
            continue  # warm-up
        walls.append(wall)
        cpus.append(_cpu(after) - _cpu(before))
        codes.append(done.returncode)
    report.add(
        "cli",
        name=name,
        argv=argv[1:],
        size=size,
        runs=runs,
        bytecode="cached" if cached_bytecode else "inherited env",
        dont_write_bytecode=os.environ.get("PYTHONDONTWRITEBYTECODE"),
        wall_s={
            "min": round(min(walls), 3),
            "median": round(statistics.median(walls), 3),
            "max": round(max(walls), 3),
        },
        cpu_s_median=round(statistics.median(cpus), 3),
        exit_codes=sorted(set(codes)),
    )


# -- the other Whoosh ---------------------------------------------------------------------------


def import_warnings(python: str, report: Report) -> None:
    """What importing Whoosh prints under ``python``: as installed, and recompiled."""
    strict = ["-W", "error::DeprecationWarning", "-W", "error::SyntaxWarning"]
    default = ["-W", "default"]
    checks = [
        (False, strict, WARNINGS_IMPORT),
        (False, default, WARNINGS_IMPORT),
        (True, strict, WARNINGS_IMPORT),
        (True, default, WARNINGS_IMPORT),
        (True, default, WARNINGS_IMPORT_ALL),
    ]
    for fresh, flags, code in checks:
        env = dict(os.environ)
        env.pop("PYTHONWARNINGS", None)
        env.pop("PYTHONPYCACHEPREFIX", None)
        with tempfile.TemporaryDirectory() as pycache:
            if fresh:  # an empty bytecode cache: every module is compiled from source
                env["PYTHONPYCACHEPREFIX"] = pycache
            done = subprocess.run(
                [python, *flags, "-c", code], env=env, capture_output=True, text=True, check=False
            )
        lines = done.stderr.splitlines()
        report.add(
            "import_warnings",
            python=python,
            flags=" ".join(flags),
            recompiled=fresh,
            modules="all" if code == WARNINGS_IMPORT_ALL else "three",
            exit_code=done.returncode,
            warning_lines=sum("Warning" in line for line in lines),
            stderr=lines[-12:] if done.returncode else [ln for ln in lines if "Warning" in ln][:20],
            broken_modules=[ln.split()[2] for ln in lines if ln.startswith("broken module")],
        )


def run_child(python: str, args: argparse.Namespace, report: Report) -> None:
    """This script under another interpreter (another Whoosh): the 10k build + search mix."""
    out = report.out.with_name(report.out.stem + "-child.jsonl")
    argv = [
        python,
        str(Path(__file__).resolve()),
        "--sizes",
        *map(str, args.compare_sizes),
        "--runs",
        str(args.runs),
        "--libroot",
        str(args.libroot / "compare"),
        "--no-cli",
        "--no-fts5",
        "--out",
        str(out),
        "--label",
        "compare",
    ]
    if args.reuse:
        argv.append("--reuse")
    log(f"running the comparison: {' '.join(argv)}")
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
    if done.returncode:
        report.add("error", what="comparison run failed", exit_code=done.returncode)
        return
    for line in out.read_text().splitlines():
        report.adopt(json.loads(line))


# -- the table ---------------------------------------------------------------------------------


def print_table(report: Report, sizes: list[int], queries: list[dict[str, str]]) -> None:
    t = report.table
    env = report.find("env")
    for e in env:
        print(
            f"# {e['label']}: Python {e['python']}, {e['whoosh']}, SQLite {e['sqlite']},"
            f" {e['cpus']} CPUs, {e['machine']}; commit {e.get('commit')}"
            f" (+ uncommitted: {', '.join(e.get('reader_dirty') or []) or 'none'});"
            f" load {e['loadavg'][0]:.1f}",
            file=t,
        )
    labels = list(dict.fromkeys(r["label"] for r in report.records))
    print("\n## Import (wall seconds; papers/s)", file=t)
    print(
        f"{'run':<10} {'size':>7} {'store s':>9} {'store/s':>9} {'index s':>9} {'index/s':>9}"
        f" {'searchable s':>13} {'segments':>8} {'index MB':>9} {'cached':>6}",
        file=t,
    )
    for label in labels:
        label_sizes = sorted({r["size"] for r in report.find("import") if r["label"] == label})
        for size in label_sizes:
            store = [
                r for r in report.find("import", size=size, stage="store") if r["label"] == label
            ]
            index = [
                r for r in report.find("import", size=size, stage="index") if r["label"] == label
            ]
            lib = [r for r in report.find("library", size=size) if r["label"] == label]
            if not (store and index):
                continue
            s, i = store[-1], index[-1]
            info = lib[-1] if lib else {}
            print(
                f"{label:<10} {size:>7} {s['seconds']:>9.1f} {s['papers_per_s']:>9.0f}"
                f" {i['seconds']:>9.1f} {i['papers_per_s']:>9.0f}"
                f" {s['seconds'] + i['seconds']:>13.1f} {info.get('segments') or '-':>8}"
                f" {info.get('index_bytes', 0) / 2**20:>9.0f} {s.get('cached')!s:>6}",
                file=t,
            )
    for fts in report.find("fts5_build"):
        print(
            f"fts5       {fts['size']:>7} build {fts['seconds']:.1f} s"
            f" ({fts['papers_per_s']:.0f} papers/s), {fts['bytes'] / 2**20:.0f} MB",
            file=t,
        )

    print("\n## Search: p50 / p95 / max of the per-query medians (ms)", file=t)
    for r in report.find("search_summary"):
        print(
            f"{r['label']:<10} {r['size']:>7} {r['engine']:<16} {r['p50']:>8.1f} {r['p95']:>8.1f}"
            f" {r['max']:>8.1f}",
            file=t,
        )

    for size in sizes:
        rows = report.find("ratio", size=size)
        if not rows:
            continue
        print(f"\n## Per query at {size:,} (median ms; whoosh/fts5)", file=t)
        print(
            f"{'query':<28} {'whoosh':>8} {'+snip':>8} {'fts5':>8} {'ratio':>6}"
            f" {'w total':>8} {'fts5 n':>8}",
            file=t,
        )
        for q in queries:
            ratio = [r for r in rows if r["query"] == q["query"]]
            if not ratio:
                continue
            r = ratio[-1]
            snip = report.find("search", size=size, engine="whoosh+snippets", query=q["query"])
            w = report.find("search", size=size, engine="whoosh", query=q["query"])
            f = report.find("search", size=size, engine="fts5", query=q["query"])
            flag = " SLOWER" if r["slower_than_fts5"] else ""
            print(
                f"{q['query']:<28} {r['whoosh_ms']:>8.1f} {snip[-1]['median_ms']:>8.1f}"
                f" {r['fts5_ms']:>8.1f} {r['ratio']:>6.2f} {w[-1]['total']:>8}"
                f" {f[-1]['total']:>8}{flag}",
                file=t,
            )
        slower = [r["query"] for r in rows if r["slower_than_fts5"]]
        print(
            f"slower than FTS5 at {size:,}: {len(slower)}/{len(rows)}: {', '.join(slower)}", file=t
        )

    opens = report.find("searcher_open")
    if opens:
        print(
            "\n## Opening a searcher in a fresh process (ms: min / median / max; RSS MiB)", file=t
        )
        for r in opens:
            print(
                f"{r['label']:<10} {r['size']:>7} {r['open_ms_min']:>8.0f}"
                f" {r['open_ms_median']:>8.0f} {r['open_ms_max']:>8.0f}"
                f"   RSS {r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f}"
                f" ({r['segments']} segments)",
                file=t,
            )

    cli = report.find("cli")
    if cli:
        print("\n## CLI start-up (whole process, wall s: min / median / max; median CPU s)", file=t)
        for r in cli:
            w = r["wall_s"]
            print(
                f"{r['name']:<20} {r['bytecode']:<14} {w['min']:>7.3f} {w['median']:>7.3f}"
                f" {w['max']:>7.3f}"
                f" {r['cpu_s_median']:>7.3f}  exit {r['exit_codes']}",
                file=t,
            )

    warn = report.find("import_warnings")
    if warn:
        print("\n## Importing whoosh.index, .qparser, .highlight", file=t)
        for r in warn:
            how = "recompiled" if r["recompiled"] else "installed "
            what = "all modules" if r.get("modules") == "all" else "3 modules"
            print(
                f"{r['python']:<28} {how} {what:<11} {r['flags']:<55} exit {r['exit_code']}"
                f" warnings {r['warning_lines']}",
                file=t,
            )
            shown = r["stderr"][-2:] if r["exit_code"] else r["stderr"][:8]
            for line in shown:
                print(f"      {line.strip()[:150]}", file=t)
            if r.get("broken_modules"):
                print(
                    f"      modules that fail to import: {', '.join(r['broken_modules'])}", file=t
                )

    for p in report.find("profile"):
        print(f"\n## cProfile {p['query']!r} at {p['size']:,} (per search, ms)", file=t)
        for row in p["by_tottime"][:12]:
            print(
                f"  tot {row['tottime_ms']:>8.2f} cum {row['cumtime_ms']:>8.2f}"
                f" calls {row['calls']:>9}  {row['function']}",
                file=t,
            )
    print(f"\nJSON lines: {report.out}", file=t)


# -- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, help="JSON lines file")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout, table on stderr")
    parser.add_argument("--reuse", action="store_true", help="reuse cached built libraries")
    parser.add_argument(
        "--runs", type=int, default=5, help="timed runs per query (after 1 warm-up)"
    )
    parser.add_argument("--libroot", type=Path, default=CACHE, help="where libraries are built")
    parser.add_argument("--label", default="main", help="names this run in the records")
    parser.add_argument("--no-fts5", action="store_true", help="skip the FTS5 baseline")
    parser.add_argument("--no-cli", action="store_true", help="skip CLI start-up timing")
    parser.add_argument("--compare-python", help="interpreter of a venv with another Whoosh")
    parser.add_argument("--compare-sizes", nargs="+", type=int, default=[10_000])
    parser.add_argument(
        "--warnings-only",
        action="store_true",
        help="only the import-warnings check (this and --compare-python)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="cProfile the N slowest queries at the largest size",
    )
    args = parser.parse_args(argv)

    out = args.out or CACHE / f"bench-core-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    report = Report(out, args.json, args.label)
    queries = load_queries()
    report.add(
        "env",
        python=platform.python_version(),
        executable=sys.executable,
        whoosh=whoosh_distribution(),
        whoosh_version=whoosh_version(),
        sqlite=sqlite3.sqlite_version,
        cpus=os.cpu_count(),
        machine=platform.machine(),
        corpus_version=VERSION,
        queries=str(QUERIES),
        runs=args.runs,
        started=time.strftime("%Y-%m-%dT%H:%M:%S"),
        loadavg=os.getloadavg(),
        **git_state(),
    )
    if args.warnings_only:
        for python in filter(None, (sys.executable, args.compare_python)):
            import_warnings(python, report)
        print_table(report, args.sizes, queries)
        report.close()
        return 0

    for size in sorted(args.sizes):
        report.add("corpus", size=size, path=str(corpus_path(size)), **corpus_stats(size))
        folder = args.libroot / f"lib-{size}"
        build_library(size, folder, report, args.reuse)
        bench_whoosh(folder, size, queries, args.runs, report)
        bench_searcher_open(folder, size, args.runs, report)
        if not args.no_fts5:
            db = args.libroot / f"fts5-{size}.sqlite"
            build_fts5(folder, db, size, report)
            bench_fts5(db, size, queries, args.runs, report)
            ratios(size, queries, report)

    largest = max(args.sizes)
    if not args.no_cli:
        exe = cli_executable()
        library = str(args.libroot / f"lib-{largest}")
        for cached in (False, True):
            bench_cli("--version", [exe, "--version"], args.runs, None, report, cached)
            bench_cli(
                f"search at {largest:,}",
                [exe, "--library", library, "search", CLI_QUERY],
                args.runs,
                largest,
                report,
                cached,
            )
    if args.profile:
        slowest = sorted(
            report.find("search", size=largest, engine="whoosh"), key=lambda r: -r["median_ms"]
        )[: args.profile]
        profile_queries(
            args.libroot / f"lib-{largest}",
            largest,
            [r["query"] for r in slowest],
            args.runs,
            report,
        )
    if args.compare_python:
        run_child(args.compare_python, args, report)
        for python in (sys.executable, args.compare_python):
            import_warnings(python, report)
    print_table(report, sorted(args.sizes), queries)
    report.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
