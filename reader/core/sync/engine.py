"""One sync: read the other machines' new change files, then write this machine's.

Remote layout: ``paper-reader-sync.json`` (what the folder is, and its format), then
``nodes/<node id>/<seq>.prsync``, numbered from 1 without gaps (``<first>-<last>.prsync``
when ``compaction`` folded several). A machine reads another's files strictly in order and
stops at a missing or damaged one (a folder synced half-way, an upload cut off): the next
sync goes on from there. Each file read commits with the number it
reached, and a file is written before its changes leave the outbox, so a sync killed at any
point loses nothing: at worst the next one sends or applies a file again, which changes
nothing (``journal``'s rules are idempotent).
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from more_itertools import chunked

from reader.core.merge import record_to_row
from reader.core.sync import compaction, files
from reader.core.sync.compaction import file_name, parse_span
from reader.core.sync.crypto import KeyParams, Sealer, WrongPassphrase
from reader.core.sync.journal import (
    SAVED,
    Journal,
    NoteVersion,
    Register,
    conflicts,
    paper_key,
    paper_ref,
    resolve,
)
from reader.core.sync.records import record_from, record_hash, record_json
from reader.core.sync.remote import Remote, RemoteError

if TYPE_CHECKING:
    from reader.core.store import Store

ROOT_FILE = "paper-reader-sync.json"
APP = "paper-reader"
PAPERS_PER_FILE = 5_000
SENT_REV = "sync_sent_rev"  # meta: the change number up to which papers were sent
LAST_SYNC = "sync_last"  # meta: when the last sync completed


class SyncRefused(Exception):
    """The remote is not a Paper Reader sync folder, or a newer version wrote it."""


class PassphraseNeeded(SyncRefused):
    """The remote is encrypted and no passphrase, or a wrong one, was given."""


@dataclass
class SyncReport:
    remote: str
    sent: int = 0  # changes and papers sent
    received: int = 0  # changes and papers applied
    conflicts: int = 0  # papers whose notes hold concurrent edits
    bytes_sent: int = 0
    files_sent: int = 0
    warnings: list[str] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)  # papers merged into others here (gone)


@dataclass
class _Run:
    """What every step of one sync works with."""

    store: Store
    journal: Journal
    remote: Remote
    report: SyncReport
    say: Callable[[str], None]
    sealer: Sealer | None


def machine_name() -> str:
    return socket.gethostname() or "this machine"


def sync(
    store: Store,
    remote: Remote,
    progress: Callable[[str], None] | None = None,
    passphrase: str | None = None,
) -> SyncReport:
    """``passphrase``: encrypt a new remote with it (or open an encrypted one)."""
    report = SyncReport(remote.description)
    say = progress or (lambda _: None)
    sealer = check_remote(remote, passphrase)
    journal = store.journal or store.start_journal(secrets.token_hex(8), machine_name())
    say("looking for changes")
    run = _Run(store, journal, remote, report, say, sealer)
    pull(run)
    push(run)
    try:
        compact(run)
    except RemoteError as e:  # everything is sent; folding can wait for the next sync
        report.warnings.append(f"compacting this machine's change files postponed: {e}")
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (LAST_SYNC,),
        )
        report.conflicts = conflicts(conn)
    return report


def check_remote(remote: Remote, passphrase: str | None = None) -> Sealer | None:
    """Make an empty remote ours (encrypted when a passphrase is given); refuse one that
    holds other things or a newer format, or whose encryption the passphrase does not fit.
    The sealer for its files, when it is encrypted."""
    info = _root_info(remote)
    if info is not None:
        return _sealer(remote, info.get("encryption"), passphrase)
    info = {"app": APP, "format": files.FORMAT}
    sealer = Sealer(passphrase, KeyParams.new()) if passphrase else None
    if sealer is not None:
        info["encryption"] = {**sealer.params.to_json(), "check": sealer.check_json()}
    if remote.write(ROOT_FILE, json.dumps(info).encode(), replace=False):
        return sealer
    return check_remote(remote, passphrase)  # another machine set it up a moment before


def probe(remote: Remote, passphrase: str | None = None) -> str:
    """What the remote is, in a sentence, changing nothing (Preferences' Test connection);
    raises as a sync would when it cannot be used."""
    info = _root_info(remote)
    if info is None:
        how = "encrypted with this passphrase" if passphrase else "unencrypted"
        return f"connected: an empty folder, set up {how} at the first sync"
    sealer = _sealer(remote, info.get("encryption"), passphrase)
    machines = sum(not n.startswith(".") for n in remote.list("nodes"))
    what = "an encrypted" if sealer else "a"
    return f"connected: {what} Paper Reader sync folder, {machines} machine(s) syncing"


def _root_info(remote: Remote) -> dict[str, Any] | None:
    """The remote's root file (None: the remote is empty); refused when it is not ours."""
    names = [n for n in remote.list("") if not n.startswith(".")]  # .stfolder, .DS_Store
    if ROOT_FILE not in names:
        if names:
            raise SyncRefused(
                f"{remote.description} holds other files ({', '.join(names[:3])}); choose an"
                " empty folder for Paper Reader"
            )
        return None
    try:
        info = json.loads(remote.read(ROOT_FILE))
    except ValueError:
        info = None
    if not isinstance(info, dict) or info.get("app") != APP:
        raise SyncRefused(f"{remote.description} is not a Paper Reader sync folder")
    if int(info.get("format", 0)) > files.FORMAT:
        raise SyncRefused(
            f"{remote.description} was written by a newer Paper Reader (sync format"
            f" {info['format']}); please upgrade"
        )
    return info


def _sealer(remote: Remote, encryption: Any, passphrase: str | None) -> Sealer | None:
    where = remote.description
    if encryption is None:
        if passphrase:
            raise SyncRefused(
                f"{where} is not encrypted (it was set up without a passphrase): sync without"
                " one, or choose an empty folder for an encrypted library"
            )
        return None
    if not passphrase:
        raise PassphraseNeeded(f"{where} is encrypted: its passphrase is needed")
    try:
        sealer = Sealer(passphrase, KeyParams.from_json(encryption))
        sealer.verify(str(encryption["check"]))
    except WrongPassphrase:
        raise PassphraseNeeded(f"wrong passphrase for {where}") from None
    except (KeyError, TypeError, ValueError) as e:
        raise SyncRefused(f"{where}: its encryption settings are unreadable ({e})") from None
    return sealer


# -- receiving -----------------------------------------------------------------------------


def pull(run: _Run) -> None:
    rows = run.store.query("SELECT node, name, applied FROM sync_peers")
    peers = {r["node"]: r["applied"] for r in rows}
    names = {r["node"]: r["name"] for r in rows}
    for node in run.remote.list("nodes"):
        if node == run.journal.node or node.startswith("."):
            continue
        spans = [span for n in run.remote.list(f"nodes/{node}") if (span := parse_span(n))]
        last = max((end for _, end in spans), default=0)
        applied = peers.get(node, 0)
        while applied < last:
            # the file holding the next change; a fold of it and more, when there is one
            covering = [span for span in spans if span[0] <= applied + 1 <= span[1]]
            if not covering:
                run.report.warnings.append(f"{node}: waiting for change file {applied + 1}")
                break
            start, end = max(covering, key=lambda span: span[1])
            name = file_name(node, start, end)
            run.say(f"receiving change file {end} of {last} from {names.get(node, node)}")
            try:
                content = files.decode(run.remote.read(name), name, run.sealer)
            except files.DamagedFile as e:
                run.report.warnings.append(f"{e}; it is read again at the next sync")
                break
            except files.TooNew as e:
                raise SyncRefused(f"{e}; please upgrade") from None
            run.report.received += apply_file(
                run.store, run.journal, content, node, end, run.report
            )
            applied = end


def apply_file(
    store: Store, journal: Journal, content: dict[str, Any], node: str, seq: int, report: SyncReport
) -> int:
    """Apply one change file; how many papers and changes it held."""
    name = f"{content.get('name') or node}"
    records, refs = [], []
    for data in content.get("papers", []):
        try:
            record = record_from(data)
        except (TypeError, ValueError) as e:
            report.warnings.append(f"{node} file {seq}: a paper skipped ({e})")
            continue
        records.append(record)
        refs.append(record_to_row(record))
    for batch in chunked(records, 1000):
        store.write_records(batch, None)
    for merge in content.get("merges", []):
        gone = resolve(store.conn, merge["gone"])
        if gone is not None:
            try:
                if store.enrich(gone, record_from(merge["record"])).merged_into is not None:
                    report.merged.append(gone)
            except ValueError as e:
                report.warnings.append(f"{node} file {seq}: a merge skipped ({e})")
    with store.transaction() as conn:
        rev = store.next_rev()
        for row in refs:
            paper_id = resolve(conn, row)
            if paper_id is not None:
                mine = conn.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()
                conn.execute(
                    "INSERT OR REPLACE INTO sync_sent VALUES (?, ?)",
                    (paper_id, record_hash(record_json(mine))),
                )
        names = {r[0]: r[1] for r in conn.execute("SELECT node, name FROM sync_peers")}
        names[node] = name
        for r in content.get("registers", []):
            key = SAVED if r.get("key") == SAVED else _key(conn, r.get("ref"))
            if key is not None:
                journal.apply_register(conn, Register(key, r["field"], r["stamp"], r["value"]), rev)
        for n in content.get("notes", []):
            paper_id = resolve(conn, n["ref"])
            if paper_id is not None:
                version = NoteVersion(
                    paper_id, n["stamp"], tuple(n["parents"]), n["node"], n["body"]
                )
                journal.apply_note(conn, version, names, rev)
        conn.execute("INSERT OR REPLACE INTO sync_peers VALUES (?, ?, ?)", (node, name, seq))
    parts = ("papers", "merges", "registers", "notes")
    return sum(len(content.get(p, [])) for p in parts)


def _key(conn: Any, ref: dict | None) -> str | None:
    paper_id = resolve(conn, ref) if ref else None
    return None if paper_id is None else paper_key(paper_id)


# -- sending -------------------------------------------------------------------------------


def push(run: _Run) -> None:
    with run.store.transaction() as conn:
        rev_now = run.store.rev()
        sent_rev = int(run.store.meta(SENT_REV, "0") or 0)
        outbox = conn.execute(
            "SELECT seq, key, field, value FROM sync_outbox ORDER BY seq"
        ).fetchall()
        last_seq = outbox[-1]["seq"] if outbox else 0
        changed = {(r["key"], r["field"]) for r in outbox if r["value"] is None}
        registers = _registers(conn, {c for c in changed if c[1] != "notes"})
        note_papers = sorted({int(r["key"][1:]) for r in outbox if r["field"] == "notes"})
        notes = [
            {"ref": paper_ref(_row(conn, v.paper_id)), **_note_json(v)}
            for v in run.journal.unsent_notes(conn, note_papers)
        ]
        merges = [json.loads(r["value"]) for r in outbox if r["key"] == "merge"]
        known = dict(conn.execute("SELECT paper_id, hash FROM sync_sent").fetchall())
        papers = []
        for row in conn.execute("SELECT * FROM papers WHERE rev > ? ORDER BY id", (sent_rev,)):
            record = record_json(row)
            digest = record_hash(record)
            if known.get(row["id"]) != digest:
                papers.append((row["id"], digest, record))
    chunks = list(chunked(papers, PAPERS_PER_FILE))
    if not chunks and (registers or notes or merges):
        chunks = [[]]
    listed = [
        span[1] for n in run.remote.list(f"nodes/{run.journal.node}") if (span := parse_span(n))
    ]
    seq = max([*listed, int(run.store.query("SELECT max(end) FROM sync_files")[0][0] or 0)])
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        content = {
            "format": files.FORMAT,
            "node": run.journal.node,
            "name": run.journal.name,
            "papers": [record for _, _, record in chunk],
            "registers": registers if last else [],
            "notes": notes if last else [],
            "merges": merges if last else [],
        }
        seq += 1
        run.say(f"sending change file {n + 1} of {len(chunks)}")
        data = files.encode(content, run.sealer)
        run.remote.write(file_name(run.journal.node, seq, seq), data)
        run.report.bytes_sent += len(data)
        run.report.files_sent += 1
        run.report.sent += len(chunk) + (len(registers) + len(notes) + len(merges) if last else 0)
        with run.store.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO sync_sent VALUES (?, ?)", [(i, d) for i, d, _ in chunk]
            )
            merged = len(content["merges"])
            conn.execute(
                "INSERT OR REPLACE INTO sync_files VALUES (?, ?, ?, ?, ?, 0)",
                (seq, seq, len(chunk), merged, len(data)),
            )
            if last:
                conn.execute("DELETE FROM sync_outbox WHERE seq <= ?", (last_seq,))
                conn.executemany(
                    "UPDATE sync_notes SET sent = 1 WHERE stamp = ?", [(v["stamp"],) for v in notes]
                )
    with run.store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (SENT_REV, str(rev_now)))


# -- compaction ----------------------------------------------------------------------------


def compact(run: _Run) -> None:
    """Fold runs of this machine's small files once it has more than ``FOLD_AT`` (see
    ``compaction``); first finish deleting what an earlier, cut-off sync folded."""
    store, journal, remote, say, sealer = run.store, run.journal, run.remote, run.say, run.sealer
    node = journal.node
    _delete_folded(store, remote, node)
    rows = store.query("SELECT * FROM sync_files WHERE NOT gone ORDER BY start")
    if len(rows) <= compaction.FOLD_AT:
        return
    for run in compaction.runs(rows, PAPERS_PER_FILE):
        start, end = run[0]["start"], run[-1]["end"]
        say(f"compacting change files {start}–{end}")
        try:
            contents = [
                files.decode(remote.read(name), name, sealer)
                for name in (file_name(node, r["start"], r["end"]) for r in run)
            ]
        except (files.DamagedFile, RemoteError):
            continue  # not readable as written: leave this run as it is
        data = files.encode(compaction.fold(contents), sealer)
        remote.write(file_name(node, start, end), data)
        with store.transaction() as conn:
            conn.executemany(
                "UPDATE sync_files SET gone = 1 WHERE start = ? AND end = ?",
                [(r["start"], r["end"]) for r in run],
            )
            conn.execute(
                "INSERT OR REPLACE INTO sync_files VALUES (?, ?, ?, 0, ?, 0)",
                (start, end, sum(r["papers"] for r in run), len(data)),
            )
        _delete_folded(store, remote, node)


def _delete_folded(store: Store, remote: Remote, node: str) -> None:
    """Delete the files a fold replaced, oldest first (so that those left are always the
    newest of them, readable in order), each forgotten once it is gone."""
    for row in store.query("SELECT * FROM sync_files WHERE gone ORDER BY start"):
        remote.delete(file_name(node, row["start"], row["end"]))
        with store.transaction() as conn:
            conn.execute(
                "DELETE FROM sync_files WHERE start = ? AND end = ?", (row["start"], row["end"])
            )


def _registers(conn: Any, changed: set[tuple[str, str]]) -> list[dict[str, Any]]:
    out = []
    for key, name in sorted(changed):
        row = conn.execute(
            "SELECT stamp, value FROM sync_registers WHERE key = ? AND field = ?", (key, name)
        ).fetchone()
        if row is None:
            continue
        entry: dict[str, Any] = {"field": name, "stamp": row[0], "value": json.loads(row[1])}
        if key == SAVED:
            entry["key"] = SAVED
        else:
            paper = _row(conn, int(key[1:]))
            if paper is None:
                continue  # merged away: its registers moved to the survivor
            entry["ref"] = paper_ref(paper)
        out.append(entry)
    return out


def _row(conn: Any, paper_id: int) -> Any:
    return conn.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()


def _note_json(v: NoteVersion) -> dict[str, Any]:
    return {"stamp": v.stamp, "parents": list(v.parents), "node": v.node, "body": v.body}


__all__ = ["PassphraseNeeded", "RemoteError", "SyncRefused", "SyncReport", "sync"]
