"""The commands that go online when the user runs them: ``fetch``, ``enrich``, ``pdf``,
``offline``, ``sync``. Argument parsing and formatting only; the work is the Library's."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from reader.core.library import Library
    from reader.core.online.fetch import FetchReport

EXIT_OK, EXIT_SOME_REJECTED, EXIT_FAILED = 0, 1, 2
EXIT_NEEDS_PASSPHRASE = 3  # sync: the remote is encrypted and no right passphrase was given
MIN_PASSPHRASE = 8


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_parsers(commands: Any) -> None:
    """The online commands' parsers, on the main parser's subcommands."""
    p = commands.add_parser(
        "sync",
        help="sync bookmarks, tags, read state, notes, saved searches and papers",
        description="Sync with a WebDAV server (https://user@host/path; the password from"
        " the system keyring, PAPER_READER_SYNC_PASSWORD, or asked) or a folder that"
        " Syncthing, Dropbox or a network drive keeps in sync. The remote is kept for next time.",
    )
    p.add_argument("--remote", metavar="URL", help="https://…, file://… or a folder")
    p.add_argument("--status", action="store_true", help="the last sync, waiting changes")
    p.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt a new remote end to end with a passphrase (asked, or"
        " PAPER_READER_SYNC_PASSPHRASE); the other machines then need the same passphrase",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--progress", action="store_true", help="JSON progress lines on stderr (for the app)"
    )
    fetch = commands.add_parser(
        "fetch",
        help="fetch new papers (Daily Papers, arXiv) into the library",
        description="Fetch new papers. This command goes online; nothing else does.",
    )
    sources = fetch.add_subparsers(dest="source", metavar="SOURCE", required=True)

    p = sources.add_parser("hf", help="Hugging Face Daily Papers: a day or a range of days")
    days = p.add_mutually_exclusive_group(required=True)
    days.add_argument("--date", type=_day, help="one day, YYYY-MM-DD")
    days.add_argument("--from", dest="first", type=_day, metavar="D", help="first day")
    p.add_argument("--to", dest="last", type=_day, metavar="D", help="last day (with --from)")
    _common(p)

    p = sources.add_parser("arxiv", help="arXiv API: the newest papers of a query or category")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--query", help="an arXiv search query, e.g. 'ti:diffusion AND cat:cs.CV'")
    what.add_argument("--category", help="an arXiv category, e.g. cs.CL")
    p.add_argument("--max", type=int, default=200, help="at most this many papers (200)")
    _common(p)

    p = sources.add_parser("oai", help="arXiv OAI-PMH: harvest a set, resumable")
    p.add_argument("--set", dest="set_spec", required=True, help="a set, e.g. cs or physics:hep-th")
    p.add_argument(
        "--from",
        dest="first",
        type=_day,
        metavar="D",
        help="records changed since (default: where the set's last harvest ended, or a week ago)",
    )
    p.add_argument("--until", dest="last", type=_day, metavar="D", help="records changed until")
    _common(p)

    p = commands.add_parser(
        "enrich",
        help="look papers up on arXiv by title: arXiv id, authors, dates, categories, links",
        description="Look papers without an arXiv id or authors up on arXiv by title (this"
        " goes online) and fill in what arXiv knows, keeping tags, notes, bookmarks and read"
        " state. A paper is filled only from a record that is surely it: an equal title, or"
        " a close title whose abstract agrees; when two records are as close, or none is, the"
        " paper is left alone and the summary says why. A paper that turns out to be another"
        " paper of the library merges into it.",
        epilog="exit status: 0 every paper resolved; 1 some left alone (ambiguous or not"
        " found); 2 some lookups failed or arXiv could not be reached.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", default=[], metavar="ID", help="paper ids or arXiv ids")
    which.add_argument(
        "--all", action="store_true", help="every paper without an arXiv id or authors"
    )
    _common(p)

    p = commands.add_parser(
        "pdf",
        help="a paper's PDF: where it is, download it, open it",
        description="Show whether a paper's PDF is available offline. --download fetches it"
        " (this goes online); --open opens it in the system's PDF viewer.",
    )
    p.add_argument("id", metavar="ID", help="a paper id or arXiv id")
    p.add_argument("--download", action="store_true", help="download it if it is not here")
    p.add_argument("--open", action="store_true", help="open it in the system viewer")
    p.add_argument("--path", action="store_true", help="print only the file's path")

    p = commands.add_parser(
        "offline",
        help="make papers' PDFs available offline: a tag's, the bookmarks', or some (downloads)",
        description="Download the PDFs of a tag's papers (and its sub-tags') or of the"
        " bookmarks, and keep them: the cache's size cap never evicts a pinned paper.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--tag", help="a tag (its sub-tags too)")
    which.add_argument("--bookmarked", action="store_true", help="the bookmarked papers")
    which.add_argument(
        "--ids", nargs="+", metavar="ID", help="these papers (not pinned: the cap may evict them)"
    )
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="the summary as JSON")
    p.add_argument(
        "--progress", action="store_true", help="JSON progress lines on stderr (for the app)"
    )


def cmd_fetch(library: Library, args: argparse.Namespace) -> int:
    from reader.cli import UsageError, _stop_on_sigterm

    stop = _stop_on_sigterm()  # the app's Cancel
    run: dict[str, Any] = {"cancelled": stop.is_set, "progress": _progress(args)}
    if args.source == "hf":
        if args.date:
            first = last = args.date
        else:
            first, last = args.first, args.last or args.first
        try:
            report = library.fetch_hf(first, last, **run)
        except ValueError as e:
            raise UsageError(str(e)) from None
    elif args.source == "arxiv":
        query = args.query or f"cat:{args.category}"
        report = library.fetch_arxiv(query, args.max, **run)
    else:
        if args.first and args.last and args.last < args.first:
            raise UsageError(f"--until {args.last} is before --from {args.first}")
        report = library.harvest_oai(args.set_spec, args.first, args.last, **run)
    return _finish(report, args.json)


def _progress(args: argparse.Namespace) -> Any:
    if args.progress:

        def line(p: Any) -> None:
            from dataclasses import asdict

            sys.stderr.write(json.dumps({"progress": asdict(p)}) + "\n")
            sys.stderr.flush()

        return line
    if sys.stderr.isatty() and not args.json:

        def show(p: Any) -> None:
            of = f"/{p.total}" if p.total else ""
            done = "new papers" if p.stage == "fetching" else "done"
            sys.stderr.write(f"\r{p.service}: {p.stage} {p.done}{of}, {p.added} {done}   ")
            sys.stderr.flush()

        return show
    return None


def _counter(args: argparse.Namespace, service: str, stage: str) -> Any:
    """A ``progress(done, total, added)`` callback printing as ``fetch`` does (or None)."""
    from reader.core.online.fetch import FetchProgress

    show = _progress(args)
    if show is None:
        return None
    return lambda done, total, added: show(FetchProgress(service, done, total, added, stage))


def _finish(report: FetchReport, as_json: bool) -> int:
    imported = report.imported
    if as_json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        print(
            f"added {imported.added}, merged {imported.merged}, unchanged {imported.unchanged},"
            f" rejected {imported.rejected} ({report.requests} requests"
            + (f", {report.days} days" if report.days else "")
            + (f"; harvest {report.harvested}" if report.harvested else "")
            + (", cancelled" if imported.cancelled else "")
            + ")"
        )
        for error in imported.errors:
            kind = "warning" if error.warning else "error"
            print(f"{kind}: {error.position.describe()}: {error.message}", file=sys.stderr)
        for failure in report.failed:
            print(f"failed: {failure}", file=sys.stderr)
    if report.failed or imported.failed_files:
        return EXIT_FAILED
    return EXIT_SOME_REJECTED if imported.rejected else EXIT_OK


def cmd_pdf(library: Library, args: argparse.Namespace) -> int:
    paper_id = library.resolve(args.id)
    info = library.pdf_info(paper_id)
    if info is None and args.download:
        info = library.download_pdf(paper_id)
    if info is None:
        print(
            f"paper {paper_id} is not available offline (paper-reader pdf {args.id} --download)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.path:
        print(info.path)
    else:
        size = info.size / 1024 / 1024
        print(
            f"{info.path}  ({info.pages} pages, {size:.1f} MB, last read page {info.last_page + 1})"
        )
    if args.open:
        from reader.core.pdfs import open_in_system_viewer

        open_in_system_viewer(info.path)
    return EXIT_OK


def cmd_offline(library: Library, args: argparse.Namespace) -> int:
    from reader.cli import _stop_on_sigterm

    stop = _stop_on_sigterm()
    progress = _counter(args, "PDFs", "downloading")
    ids = [library.resolve(ref) for ref in args.ids] if args.ids else None
    report = library.make_offline(
        tag=args.tag, bookmarked=args.bookmarked, ids=ids, progress=progress, cancelled=stop.is_set
    )
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        print()
    else:
        print(
            f"downloaded {len(report.downloaded)}, already offline {len(report.already)},"
            f" no PDF source {len(report.no_source)}, failed {len(report.failed)}"
            + (
                f", evicted {len(report.evicted)} to keep the cache's size"
                if report.evicted
                else ""
            )
            + (", cancelled" if report.cancelled else "")
        )
        for paper_id, message in report.failed:
            print(f"failed: paper {paper_id}: {message}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_enrich(library: Library, args: argparse.Namespace) -> int:
    from reader.cli import UsageError, _stop_on_sigterm

    if not args.all and not args.ids:
        raise UsageError("name papers to enrich (IDs) or --all")
    ids = None if args.all else [library.resolve(ref) for ref in args.ids]
    stop = _stop_on_sigterm()
    progress = _counter(args, "arXiv API", "looking up")
    report = library.enrich(ids, progress=progress, cancelled=stop.is_set)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        if sys.stderr.isatty() and not args.progress:
            sys.stderr.write("\n")
        for item in report.items:
            found = f" -> arXiv {item.arxiv_id} ({item.match})" if item.match else ""
            merged = f", merged into paper {item.merged_into}" if item.merged_into else ""
            why = f": {item.message}" if item.message and not item.match else ""
            print(f"{item.status}: paper {item.paper_id} {item.title!r}{found}{merged}{why}")
        print(
            f"resolved {report.count('resolved')}, ambiguous {report.count('ambiguous')},"
            f" not found {report.count('not found')}, failed {report.count('failed')}"
            f" ({report.requests} requests"
            + (f", {len(report.merged)} merged" if report.merged else "")
            + (", cancelled" if report.cancelled else "")
            + ")"
        )
    if report.unreachable:
        print(f"paper-reader: error: {report.unreachable}", file=sys.stderr)
    if report.unreachable or report.count("failed"):
        return EXIT_FAILED
    return EXIT_SOME_REJECTED if report.count("resolved") < len(report.items) else EXIT_OK


def _new_passphrase() -> str | None:
    """Asked twice in a terminal (None without one)."""
    if not sys.stdin.isatty():
        return None
    while True:
        first = getpass.getpass("passphrase for the encrypted remote: ")
        if len(first) < MIN_PASSPHRASE:
            print(f"at least {MIN_PASSPHRASE} characters, please", file=sys.stderr)
        elif getpass.getpass("the same passphrase again: ") == first:
            return first
        else:
            print("the two differ; again", file=sys.stderr)


def cmd_sync(library: Library, args: argparse.Namespace) -> int:
    if args.status:
        status = library.sync_status()
        if args.json:
            print(json.dumps(status, indent=2))
            return EXIT_OK
        print(f"remote: {status['remote'] or 'none set (sync --remote URL)'}")
        print(f"last sync: {status['last_sync'] or 'never'}")
        print(f"changes waiting to be sent: {status['waiting']:,}")
        print(f"notes with conflicting edits: {status['conflicts']:,}")
        for machine in status["machines"]:  # type: ignore[attr-defined]
            print(f"machine {machine['name']}: {machine['files_applied']:,} change files applied")
        return EXIT_OK
    from reader.core.sync import credentials
    from reader.core.sync.credentials import Secret
    from reader.core.sync.engine import PassphraseNeeded

    password = passphrase = None
    remote = args.remote or library.sync_remote()
    webdav_user = isinstance(remote, str) and urlsplit(remote).username
    if webdav_user and credentials.lookup(str(remote)) is None and sys.stdin.isatty():
        password = getpass.getpass(f"password for {remote}: ")
        credentials.remember(str(remote), password)
    if args.encrypt:
        passphrase = credentials.lookup(str(remote), Secret.PASSPHRASE) or _new_passphrase()
        if passphrase is None:
            print(
                f"paper-reader: error: --encrypt needs a passphrase: run in a terminal or set"
                f" {Secret.PASSPHRASE.environment}",
                file=sys.stderr,
            )
            return EXIT_FAILED

    def progress(text: str) -> None:
        if args.progress:
            sys.stderr.write(json.dumps({"progress": {"text": text}}) + "\n")
            sys.stderr.flush()
        elif sys.stderr.isatty():
            sys.stderr.write(f"\r{text:<60}")
            sys.stderr.flush()

    try:
        report = library.sync(args.remote, password, progress, passphrase)
    except PassphraseNeeded as e:
        if not sys.stdin.isatty():
            print(f"paper-reader: error: {e}", file=sys.stderr)
            return EXIT_NEEDS_PASSPHRASE
        passphrase = getpass.getpass(f"{e}; passphrase: ")
        report = library.sync(args.remote, password, progress, passphrase)
    if passphrase:
        credentials.remember(str(remote), passphrase, Secret.PASSPHRASE)
    if not args.progress and sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 60 + "\r")
    if args.json:
        keys = ("sent", "received", "conflicts", "bytes_sent", "files_sent", "warnings")
        print(json.dumps({k: getattr(report, k) for k in keys}, indent=2))
    else:
        print(
            f"synced with {report.remote}: {report.sent:,} sent, {report.received:,} received,"
            f" {report.conflicts:,} notes with conflicting edits"
        )
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


COMMANDS: dict[str, Any] = {
    "sync": cmd_sync,
    "fetch": cmd_fetch,
    "enrich": cmd_enrich,
    "pdf": cmd_pdf,
    "offline": cmd_offline,
}
