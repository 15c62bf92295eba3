"""The ``paper-reader`` command: argparse commands -> Library calls; formatting only.

Heavy modules (Whoosh, numpy, Qt) are imported inside the commands that need them,
so ``--version`` and ``show`` start fast.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader import cli_online

if TYPE_CHECKING:
    from reader.core.library import Library, SearchResults
    from reader.core.model import Paper
    from reader.core.related.wanted import WantedFirst

EXIT_OK, EXIT_SOME_REJECTED, EXIT_FAILED = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command killed by SIGPIPE
SEARCHING = ("search", "related", "for-you")  # commands that first index what the index missed
CATCH_UP_BEFORE_SEARCH = 5_000  # papers (~10 s of indexing); more: say how to repair instead
# flag commands and the state each marks a paper with
MARKS = {
    "bookmark": "bookmarked",
    "unbookmark": "not bookmarked",
    "read": "read",
    "unread": "unread",
}
BACKGROUND_NICE = 10  # --background: the window's children yield the CPU to the window


class UsageError(Exception):
    """A mistake in how the command was called; reported without a traceback."""


class _PrintVersion(argparse.Action):
    """``--version``, reading the version only when asked (see ``reader.__getattr__``)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        from reader import __version__

        print(f"paper-reader {__version__}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paper-reader", description="An offline reader for research papers."
    )
    parser.add_argument("--version", action=_PrintVersion, nargs=0, help="print the version")
    parser.add_argument("--library", type=Path, help="library folder (default: user data dir)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument(
        "--background",
        action="store_true",
        help="run at a low CPU priority (the window starts its imports and indexing so)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the window (the default)")
    gui.add_argument("--self-test", action="store_true", help="build the window offscreen, exit")

    from reader.core.exporters import FORMATS as EXPORT_FORMATS
    from reader.core.importers import FORMATS

    p = commands.add_parser("import", help="import papers from files")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--format", choices=FORMATS, help="skip format detection")
    p.add_argument("--year", type=int, help="year for page dates that have none ('Aug 8')")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--progress", action="store_true", help="JSON progress lines on stderr (for the app)"
    )

    p = commands.add_parser("search", help="full-text search")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--mode",
        choices=("auto", "keyword", "meaning", "hybrid"),
        default="auto",
        help="auto (keyword; a sentence or a query with few hits also by meaning), keyword"
        " (full text only), meaning (embeddings; run embed first) or hybrid (both)",
    )

    p = commands.add_parser("related", help="the papers closest to one paper")
    p.add_argument("id", metavar="ID", help="paper id or arXiv id")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--bookmarked", action="store_true", help="only bookmarked papers")
    p.add_argument("--tag", help="only papers with this tag (or a tag below it)")
    p.add_argument("--since", type=int, metavar="YEAR", help="only papers published since YEAR")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser(
        "for-you", help="unread papers closest to a tag's papers (default: to the bookmarks)"
    )
    p.add_argument("--tag", help="rank by this tag's papers instead of the bookmarks")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("embed", help="compute every missing vector (for related papers)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--progress", action="store_true", help="JSON progress lines on stderr (for the app)"
    )
    p.add_argument(
        "--wanted-stdin",
        action="store_true",
        help="read paper ids on stdin while it runs (one a line) and embed them next"
        " (the app sends the paper on screen); with --progress, say when each is done",
    )

    p = commands.add_parser("show", help="show one paper")
    p.add_argument("id", metavar="ID", help="paper id or arXiv id")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("stats", help="library counts")
    p.add_argument("--json", action="store_true")

    for name, help_text in (("tag", "add tags"), ("untag", "remove tags")):
        p = commands.add_parser(name, help=help_text)
        p.add_argument("id", metavar="ID")
        p.add_argument("tags", nargs="+", metavar="TAG")
    for name, state in MARKS.items():
        p = commands.add_parser(name, help=f"mark a paper {state}")
        p.add_argument("id", metavar="ID")

    p = commands.add_parser("export", help="export BibTeX or CSL-JSON")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="bibtex")
    p.add_argument("--query", help="export only this search's results")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")

    p = commands.add_parser("check", help="compare the search index with the store")
    p.add_argument("--repair", action="store_true", help="rebuild what disagrees")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--progress", action="store_true", help="with --repair: JSON progress lines on stderr"
    )

    commands.add_parser("reindex", help="rebuild the search index from the store")

    p = commands.add_parser(
        "backup",
        help="copy the library now (to FILE, or into its backups/ folder)",
        description="Copy the library now. With --every/--keep, set the automatic backup"
        " schedule instead (stored in the library).",
    )
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the copy here")
    p.add_argument("--every", type=float, metavar="HOURS", help="automatic backups (0 = off)")
    p.add_argument("--keep", type=int, metavar="N", help="automatic backups kept")

    p = commands.add_parser(
        "restore",
        help="replace the library with a backup",
        description="Replace the library with a backup file. The current library is backed up"
        " first; the search index is rebuilt. Close the app first.",
    )
    p.add_argument("file", type=Path, metavar="FILE")

    cli_online.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.background and hasattr(os, "nice"):  # POSIX; a 2-core laptop's window stays smooth
        os.nice(BACKGROUND_NICE)
    if args.command in (None, "gui"):
        from reader.gui.app import run

        return run(library=args.library, self_test=getattr(args, "self_test", False))
    if (
        args.command in NEEDS_LIBRARY
        and args.library is not None
        and not (args.library / "library.sqlite").exists()
    ):  # a mistyped or unmounted folder: say so rather than make an empty library there
        print(
            f"paper-reader: error: no library in {args.library} (import files to make one)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        if args.command == "restore":  # works on the closed library
            return cmd_restore(args)
        if args.command == "search":  # a short process, most of it start-up and exit
            _numpy_on_one_blas_thread()
            _skip_final_collections()
        from reader.core.library import Library

        with Library.open(args.library) as library:
            if args.command not in ("backup", "restore"):
                _scheduled_backup(library)
            if args.command in SEARCHING:
                _index_current(library)
            code = COMMANDS[args.command](library, args)
            if library.index_deferred:
                print(
                    "paper-reader: note: saved; the search index is busy in another Paper"
                    " Reader and will catch up there or at the next start",
                    file=sys.stderr,
                )
            return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output's reader went away (`| head`): not worth a message
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor at exit's flush
        return EXIT_BROKEN_PIPE
    except Exception as e:  # every failure gets a sentence, a traceback only on request
        if args.debug:
            raise
        print(f"paper-reader: error: {_describe(e)}", file=sys.stderr)
        return EXIT_FAILED


def _numpy_on_one_blas_thread() -> None:
    """Load numpy (a search needs it) with OpenBLAS on one thread, unless the environment
    says how many: the thread pool OpenBLAS starts as it loads cost a CLI search ~50 ms
    (0.32 -> 0.27 s at 100k papers, 2 busy cores), and a search gains nothing from it (its
    one BLAS call, meaning search's matrix-vector product, is memory-bound: 1M rows took
    131 ms on one thread, 136 ms on two). OpenBLAS reads the variable once, as it loads:
    it is gone again before any child process could inherit it."""
    if "numpy" in sys.modules or "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401
    finally:
        del os.environ["OPENBLAS_NUM_THREADS"]


@functools.cache  # once a process, however often ``main`` runs in it
def _skip_final_collections() -> None:
    """At exit (atexit runs before them): keep the interpreter's last garbage collections,
    full passes over every object as it tears the modules down, off the objects
    (``gc.freeze`` moves them all out of their reach): ~35 ms of a search's 0.31 s at
    100k papers. Those passes would only free memory the ending process gives back anyway
    (the library is closed by then); objects are still freed as their references go."""
    atexit.register(gc.freeze)


def _index_current(library: Library) -> None:
    """Before searching: index what the index missed (an import killed between its store and
    index commits, another process that could not index), if that is quick; else say so. An
    index that needs a rebuild is left to the search, which falls back and says so."""
    behind = library.index_lag(CATCH_UP_BEFORE_SEARCH + 1)
    if not behind:
        return
    if behind > CATCH_UP_BEFORE_SEARCH:
        print(
            f"paper-reader: note: the search index misses more than {CATCH_UP_BEFORE_SEARCH:,}"
            " papers (an interrupted import or rebuild?); `paper-reader check --repair`"
            " brings it up to date",
            file=sys.stderr,
        )
        return
    from reader.core.search.index import IndexBusy

    print(
        f"paper-reader: note: first indexing {behind:,} {'paper' if behind == 1 else 'papers'}"
        " the search index missed",
        file=sys.stderr,
    )
    with contextlib.suppress(IndexBusy):  # another process is indexing them right now
        library.catch_up_index()


def _scheduled_backup(library: Library) -> None:
    """Take the automatic backup when due; a failure is a warning, never the command's."""
    try:
        library.backup_if_due()
    except Exception as e:
        print(f"paper-reader: warning: automatic backup failed: {_describe(e)}", file=sys.stderr)


def _describe(e: Exception) -> str:
    from reader.core.storage_errors import LibraryUnavailable, StorageKind, storage_kind

    if isinstance(e, LibraryUnavailable):
        return f"cannot open the library {e.folder}: {e}"
    kind = storage_kind(e)
    if kind is StorageKind.FULL:
        problem, remedy = "full", "free some space"
    elif kind is StorageKind.READ_ONLY:
        problem, remedy = "read-only", "make it writable"
    else:
        return _plain(e)
    return (  # a write failed midway: say what was kept
        f"the disk holding the library is {problem} ({_plain(e)}); everything stored before"
        f" this write is kept, the write itself is not: {remedy} and run the command again"
    )


def _plain(e: Exception) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename or ''}: {e.strerror}".lstrip(": ")
    return str(e) or type(e).__name__


# -- commands -----------------------------------------------------------------------------------


def cmd_import(library: Library, args: argparse.Namespace) -> int:
    for path in args.files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    stop = _stop_on_sigterm()  # the app's Cancel
    if args.progress:
        progress: Any = _json_progress
    else:
        progress = _ProgressLine() if sys.stderr.isatty() and not args.json else None
    report = library.import_files(
        args.files, fmt=args.format, year=args.year, progress=progress, cancelled=stop.is_set
    )
    if isinstance(progress, _ProgressLine):
        progress.done()
    if args.json:
        _print_json(report.as_dict())
    else:
        for file, skipped in report.resumed.items():
            print(f"{file}: resumed after record {skipped:,} (an interrupted import stored those)")
        print(
            f"added {report.added}, merged {report.merged}, unchanged {report.unchanged},"
            f" rejected {report.rejected}"
        )
        for error in report.errors:
            kind = "warning" if error.warning else "error"
            print(f"{kind}: {error.position.describe()}: {error.message}", file=sys.stderr)
    if report.failed_files:
        return EXIT_FAILED
    return EXIT_SOME_REJECTED if report.rejected else EXIT_OK


def cmd_search(library: Library, args: argparse.Namespace) -> int:
    results = library.search(args.query, limit=args.limit, mode=args.mode)
    if args.json:
        _print_json(
            [
                _hit_json(h.paper, h.score, h.snippet, h.in_fulltext) | {"by_meaning": h.by_meaning}
                for h in results.hits
            ]
        )
        return EXIT_OK
    _print_search(results)
    return EXIT_OK


def cmd_related(library: Library, args: argparse.Namespace) -> int:
    related = library.related(
        library.resolve(args.id),
        limit=args.limit,
        bookmarked=args.bookmarked,
        tag=args.tag,
        since=args.since,
    )
    return _print_ranked(related, args.json)


def cmd_for_you(library: Library, args: argparse.Namespace) -> int:
    return _print_ranked(library.for_you(args.tag, limit=args.limit), args.json)


def _print_ranked(ranked: list[tuple[Paper, float]], as_json: bool) -> int:
    if as_json:
        _print_json([_hit_json(p, score, p.abstract[:200]) for p, score in ranked])
        return EXIT_OK
    for paper, score in ranked:
        print(f"{paper.id:>6}  {score:.3f}  {paper.title}")
    return EXIT_OK


def cmd_embed(library: Library, args: argparse.Namespace) -> int:
    stop = _stop_on_sigterm()  # the app's Cancel: stop after the current batch

    from reader.core.ranking import coverage_band

    papers = library.paper_count()

    def progress(done: int, total: int) -> None:
        if args.progress:  # with how the committed vectors let related papers be ranked
            band = coverage_band(library.vector_count(), papers)
            line = {"done": done, "total": total, "band": band}
            sys.stderr.write(json.dumps({"progress": line}) + "\n")
        elif not args.quiet and total:
            sys.stderr.write(f"\rembedding: {done:,}/{total:,} papers   ")
        sys.stderr.flush()

    wanted = _wanted_from_stdin(args.progress) if args.wanted_stdin else None
    count = library.embed(progress=progress, cancelled=stop.is_set, wanted=wanted)
    if not (args.quiet or args.progress) and count:
        sys.stderr.write("\n")
    if stop.is_set():
        print(f"embedded {count:,} papers; stopped (run embed again to finish)")
    else:
        none = "" if count else " (every paper had its vector)"
        print(f"embedded {count:,} papers{none}; related papers are ready")
    return EXIT_OK


def _wanted_from_stdin(report: bool) -> WantedFirst:
    """Paper ids read from stdin by a thread, for ``embed`` to do next; ``report``: a JSON
    progress line (``{"progress": {"embedded": [ids]}}``) once their vectors are committed."""
    from reader.core.related.wanted import WantedFirst

    def embedded(ids: list[int]) -> None:
        if report:
            sys.stderr.write(json.dumps({"progress": {"embedded": ids}}) + "\n")
            sys.stderr.flush()

    wanted = WantedFirst(embedded)

    def read() -> None:
        for line in sys.stdin:
            if line.strip().isdigit():
                wanted.ask(int(line))

    threading.Thread(target=read, name="wanted", daemon=True).start()
    return wanted


def _stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM, so a long command stops between batches, consistent."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


def cmd_show(library: Library, args: argparse.Namespace) -> int:
    paper = library.paper(args.id)
    if args.json:
        _print_json(_paper_json(paper))
        return EXIT_OK
    print(paper.title)
    print(", ".join(paper.authors) or "(no authors)")
    facts = [
        ("id", str(paper.id)),
        ("arXiv", paper.arxiv_id or ""),
        ("DOI", paper.doi or ""),
        ("published", paper.published or ""),
        ("categories", " ".join(paper.categories)),
        ("tags", ", ".join(paper.tags)),
        (
            "state",
            ("bookmarked, " if paper.bookmarked else "") + ("read" if paper.read else "unread"),
        ),
        ("link", paper.arxiv_abs_url or paper.hf_url or ""),
    ]
    for label, value in facts:
        if value:
            print(f"  {label + ':':<12}{value}")
    for listing in paper.listings:
        print(f"  {'listed:':<12}{listing.source} {listing.listed_on} #{listing.position}")
    print()
    print(paper.abstract)
    if paper.notes:
        print("\nNotes:\n" + paper.notes)
    return EXIT_OK


def cmd_stats(library: Library, args: argparse.Namespace) -> int:
    stats = library.stats()
    if args.json:
        _print_json(stats)
    else:
        width = max(len(k) for k in stats)
        for key, value in stats.items():
            print(f"{key:<{width}}  {value:,}")
    return EXIT_OK


def cmd_tag(library: Library, args: argparse.Namespace) -> int:
    from reader.core.tags import InvalidTag

    try:
        library.add_tags([library.resolve(args.id)], args.tags)
    except InvalidTag as e:
        raise UsageError(str(e)) from None
    return EXIT_OK


def cmd_untag(library: Library, args: argparse.Namespace) -> int:
    library.remove_tags([library.resolve(args.id)], args.tags)
    return EXIT_OK


def _flag_command(flag: str, value: bool):  # type: ignore[no-untyped-def]
    def command(library: Library, args: argparse.Namespace) -> int:
        setter = library.set_bookmarked if flag == "bookmarked" else library.set_read
        setter([library.resolve(args.id)], value)
        return EXIT_OK

    return command


def cmd_export(library: Library, args: argparse.Namespace) -> int:
    from reader.core.output import RefusedOutput

    if not args.output:
        sys.stdout.write(library.export(args.format, query=args.query))
        return EXIT_OK
    try:
        library.export_to_file(args.output, args.format, query=args.query, overwrite=args.force)
    except RefusedOutput as e:
        raise UsageError(str(e)) from None
    return EXIT_OK


def cmd_check(library: Library, args: argparse.Namespace) -> int:
    if args.repair:
        stop = _stop_on_sigterm()  # the app's Cancel: stop after the current chunk

        def progress(done: int, _total: int) -> None:
            if args.progress:
                sys.stderr.write(json.dumps({"progress": {"done": done}}) + "\n")
                sys.stderr.flush()

        report = library.repair(progress=progress, cancelled=stop.is_set)
    else:
        report = library.check()
    if args.json:
        _print_json(report.as_dict())
    else:
        print(f"papers {report.papers:,}, indexed {report.indexed:,}")
        for label in ("behind", "missing", "stale", "extra"):
            value = getattr(report, label)
            count = value if isinstance(value, int) else len(value)
            if count:
                print(f"  {label}: {count:,}")
        print(f"vectors {report.vectors:,} ({report.vectors_model or 'none'})")
        for label in ("vectors_missing", "vectors_stale"):
            if getattr(report, label):
                print(f"  {label.replace('_', ' ')}: {len(getattr(report, label)):,}")
        if report.index_damaged:
            print("  the search index could not be read")
        if report.vectors_damaged:
            print("  vector files were cut short; the lost vectors need embed again")
        if not report.related_ready:
            print("related papers: not all embedded yet (run embed)")
        print(f"PDFs offline {report.pdfs:,}")
        if report.pdfs_missing:
            print(f"  PDF files missing or changed: {len(report.pdfs_missing):,}")
        if report.pdf_strays:
            print(f"  files in pdfs/ that no paper records: {len(report.pdf_strays):,}")
        print("consistent" if report.consistent else "NOT consistent (run check --repair)")
    return EXIT_OK if report.consistent else EXIT_SOME_REJECTED


def cmd_reindex(library: Library, args: argparse.Namespace) -> int:
    count = library.reindex()
    print(f"indexed {count:,} papers")
    return EXIT_OK


def cmd_backup(library: Library, args: argparse.Namespace) -> int:
    if args.every is not None or args.keep is not None:
        if args.output:
            raise UsageError("--output takes a backup; --every/--keep set the schedule: not both")
        from dataclasses import replace

        old = library.backup_policy()
        every = old.every_hours if args.every is None else args.every
        keep = old.keep if args.keep is None else args.keep
        try:
            library.set_backup_policy(replace(old, every_hours=every, keep=keep))
        except ValueError as e:
            raise UsageError(str(e)) from None
        print(library.backup_policy().describe())
        return EXIT_OK
    if args.output is not None and args.output.exists():
        raise UsageError(f"{args.output}: already exists (choose a new file)")
    path = library.backup(args.output)
    print(f"backed up {library.paper_count():,} papers to {path}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from reader.core.library import Library
    from reader.core.paths import default_library_dir

    folder = args.library or default_library_dir()
    report = Library.restore(folder, args.file)
    print(f"restored {report.papers:,} papers from {report.restored_from}")
    if report.previous_backup:
        print(f"the library as it was is kept in {report.previous_backup}")
    with Library.open(folder) as library:  # upgrades an older backup; rebuilds the index
        print(f"indexed {library.reindex():,} papers")
    return EXIT_OK


# Commands that only make sense on an existing library (``import`` makes one).
NEEDS_LIBRARY = frozenset(
    {
        "search", "related", "embed", "show", "stats", "tag", "untag", "bookmark",
        "unbookmark", "read", "unread", "export", "check", "reindex", "backup",
    }
)  # fmt: skip

COMMANDS: dict[str, Any] = {
    "import": cmd_import,
    "search": cmd_search,
    "related": cmd_related,
    "for-you": cmd_for_you,
    "embed": cmd_embed,
    "show": cmd_show,
    "stats": cmd_stats,
    "tag": cmd_tag,
    "untag": cmd_untag,
    "bookmark": _flag_command("bookmarked", True),
    "unbookmark": _flag_command("bookmarked", False),
    "read": _flag_command("read", True),
    "unread": _flag_command("read", False),
    "export": cmd_export,
    "check": cmd_check,
    "reindex": cmd_reindex,
    "backup": cmd_backup,
    **cli_online.COMMANDS,
}


# -- formatting ---------------------------------------------------------------------------------


def _print_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _hit_json(
    paper: Paper, score: float, snippet: str, in_fulltext: bool | None = None
) -> dict[str, object]:
    from reader.core.search.highlight import as_plain

    hit: dict[str, object] = {
        "id": paper.id,
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "authors": paper.authors,
        "published": paper.published,
        "score": round(score, 4),
        "snippet": as_plain(snippet),
    }
    if in_fulltext is not None:  # a search hit: matched only in the PDF's text (the snippet's)
        hit["in_fulltext"] = in_fulltext
    return hit


def _paper_json(paper: Paper) -> dict[str, object]:
    return {
        "id": paper.id,
        "arxiv_id": paper.arxiv_id,
        "doi": paper.doi,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "published": paper.published,
        "updated": paper.updated,
        "categories": paper.categories,
        "comments": paper.comments,
        "journal_ref": paper.journal_ref,
        "links": {"abs": paper.arxiv_abs_url, "pdf": paper.pdf_url, "hf": paper.hf_url},
        "upvotes": paper.upvotes,
        "added_at": paper.added_at,
        "tags": paper.tags,
        "bookmarked": paper.bookmarked,
        "read": paper.read,
        "notes": paper.notes,
        "listings": [
            {
                "source": li.source,
                "kind": li.kind,
                "position": li.position,
                "listed_on": li.listed_on,
            }
            for li in paper.listings
        ],
    }


def _print_search(results: SearchResults) -> None:
    from reader.core.search.highlight import as_ansi, as_plain
    from reader.core.searching import FALLBACK_NOTE

    mark = as_ansi if sys.stdout.isatty() else as_plain
    if results.fallback:
        print(f"({FALLBACK_NOTE}; run: paper-reader check --repair)")
    if results.degraded:
        print("(the query's syntax was not understood; searched for its words)")
    if results.shortened:
        print(f"(a long query: {results.shortened})")
    if results.corrected:
        print(f"showing results for: {results.corrected}")
    if results.no_vectors:
        print("(meaning search needs vectors: run paper-reader embed; papers sharing its words)")
    if not results.hits:
        print("no results")
        return
    for hit in results.hits:
        paper = hit.paper
        ref = paper.arxiv_id or "-"
        authors = ", ".join(paper.authors[:3]) + (" et al." if len(paper.authors) > 3 else "")
        print(f"{paper.id:>7}  {ref:<12} {(paper.published or '')[:4]:<4}  {paper.title}")
        if authors:
            print(f"{'':>22}{authors}")
        if hit.by_meaning:
            print(f"{'':>22}by meaning (not by its words)")
        if hit.in_fulltext:
            print(f"{'':>22}in full text" + (f": {mark(hit.snippet)}" if hit.snippet else ""))
        elif hit.snippet:
            print(f"{'':>22}{mark(hit.snippet)}")
    shown = len(results.hits)
    by_meaning = sum(h.by_meaning for h in results.hits)
    meaning = f" ({by_meaning} by meaning)" if by_meaning else ""
    print(f"-- {shown} shown{meaning} of about {results.total:,} matches")


def _json_progress(p: Any) -> None:
    from dataclasses import asdict

    sys.stderr.write(json.dumps({"progress": asdict(p)}) + "\n")
    sys.stderr.flush()


class _ProgressLine:
    """A one-line progress display on stderr for interactive imports."""

    def __call__(self, p: Any) -> None:
        label = "indexing" if p.stage == "indexing" else f"file {p.file_number}/{p.file_count}"
        sys.stderr.write(f"\r{label}: {p.records:,} records, {p.added:,} new papers   ")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")


if __name__ == "__main__":
    sys.exit(main())
