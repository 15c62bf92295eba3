"""Sync through a real WebDAV server (WsgiDAV on 127.0.0.1) and through a folder: changes
travel, concurrent changes merge the same way everywhere, and faults lose nothing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.cli import main as cli_main
from reader.core.library import Library
from reader.core.store import Store
from reader.core.sync import compaction, engine, files
from reader.core.sync.engine import SyncRefused, sync
from reader.core.sync.remote import FolderRemote, RemoteError, open_remote
from tests.core.conftest import record
from tests.core.sync_servers import PASSWORD, webdav_server
from tests.core.sync_state import user_state

PAPERS = [
    record(f"Paper number {n} about topic {n % 3}", arxiv_id=f"2401.{n:05d}", abstract=f"A{n}")
    for n in range(1, 9)
]


def machine(folder: Path, records=PAPERS) -> Store:
    """A library's store holding ``records`` (sync needs no index)."""
    folder.mkdir(parents=True)
    store = Store(folder / "library.sqlite")
    store.write_records(list(records), None)
    return store


def ids(store: Store) -> list[int]:
    return [r[0] for r in store.query("SELECT id FROM papers ORDER BY arxiv_id")]


# -- the two targets, end to end ------------------------------------------------------------


def test_two_libraries_stay_in_step_through_webdav(tmp_path: Path):
    with webdav_server(tmp_path / "dav") as server:
        laptop = Library(tmp_path / "laptop")
        laptop.store.write_records(PAPERS[:5], None)
        desktop = Library(tmp_path / "desktop")
        desktop.store.write_records(PAPERS[3:], None)
        first = ids(laptop.store)[0]
        laptop.store.add_tags([first], ["ml/llm"])
        laptop.store.set_flag([first], "bookmarked", True)
        laptop.store.set_notes(first, "read section 3 again")
        laptop.store.save_search("fresh", "year:2024 diffusion")

        report = laptop.sync(server.url, PASSWORD)
        assert report.sent > 0 and report.bytes_sent > 0 and not report.warnings
        assert desktop.sync(server.url, PASSWORD).received > 0
        paper = desktop.store.paper(desktop.store.resolve("2401.00001"))
        assert (paper.tags, paper.bookmarked, paper.notes) == (
            ["ml/llm"],
            True,
            "read section 3 again",
        )
        assert len(desktop.store.query("SELECT id FROM papers")) == 8  # the laptop's papers too
        assert [h.paper.id for h in desktop.search("tag:ml/llm").hits] == [paper.id]  # indexed

        desktop.store.remove_tags([paper.id], ["ml/llm"])
        desktop.store.set_flag([paper.id], "is_read", True)
        desktop.sync()  # the remote is kept, the password for the session only
        laptop.sync(password=PASSWORD)
        assert user_state(laptop.store) == user_state(desktop.store)
        assert laptop.store.paper(first).tags == [] and laptop.store.paper(first).read
        assert desktop.sync_status()["remote"] == server.url
        on_server = sorted(
            p.relative_to(tmp_path / "dav").parts[0] for p in (tmp_path / "dav").iterdir()
        )
        assert on_server == ["nodes", engine.ROOT_FILE]
        assert len(list((tmp_path / "dav" / "nodes").iterdir())) == 2  # one folder per machine


def test_a_folder_target_and_the_cli(tmp_path: Path, capsys):
    folder = tmp_path / "Sync" / "papers"
    a, b = Library(tmp_path / "a"), Library(tmp_path / "b")
    a.store.write_records(PAPERS, None)
    a.store.set_flag(ids(a.store)[:2], "bookmarked", True)
    a.close()
    b.close()
    assert (
        cli_main(["--library", str(tmp_path / "a"), "sync", "--remote", str(folder), "--json"]) == 0
    )
    sent = json.loads(capsys.readouterr().out)
    assert sent["sent"] == 8 + 2 and sent["received"] == 0 and sent["files_sent"] == 1
    uri = folder.as_uri()
    assert cli_main(["--library", str(tmp_path / "b"), "sync", "--remote", uri, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["received"], got["sent"], got["conflicts"]) == (10, 0, 0)
    assert cli_main(["--library", str(tmp_path / "b"), "sync", "--status"]) == 0
    status = capsys.readouterr().out
    assert f"remote: {uri}" in status and "changes waiting to be sent: 0" in status
    with Library(tmp_path / "b") as b:
        assert len(b.store.query("SELECT id FROM papers WHERE bookmarked")) == 2


# -- merge rules ----------------------------------------------------------------------------


def test_concurrent_note_edits_are_both_kept_and_marked_until_the_user_edits(tmp_path: Path):
    remote = FolderRemote(tmp_path / "remote")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    sync(a, remote)
    sync(b, remote)
    pa, pb = ids(a)[0], ids(b)[0]
    a.set_notes(pa, "laptop: the proof of lemma 2 is wrong")
    b.set_notes(pb, "desktop: compare with Smith 2021")
    for store in (a, b, a):
        sync(store, remote)
    notes = a.paper(pa).notes
    assert notes == b.paper(pb).notes
    assert "laptop: the proof" in notes and "desktop: compare" in notes
    assert "conflicting edit" in notes and sync(a, remote).conflicts == 1
    a.set_notes(pa, "both points checked")  # the user resolves it
    for store in (a, b):
        report = sync(store, remote)
    assert report.conflicts == 0 and b.paper(pb).notes == "both points checked"


def test_a_tag_added_here_and_another_removed_there_both_hold(tmp_path: Path):
    remote = FolderRemote(tmp_path / "remote")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    a.add_tags([ids(a)[0]], ["old"])
    sync(a, remote)
    sync(b, remote)
    a.add_tags([ids(a)[0]], ["new"])
    b.remove_tags([ids(b)[0]], ["old"])
    for store in (a, b, a):
        sync(store, remote)
    assert a.paper(ids(a)[0]).tags == b.paper(ids(b)[0]).tags == ["new"]


def test_a_clock_a_day_behind_still_orders_its_later_edits_last(tmp_path: Path):
    remote = FolderRemote(tmp_path / "remote")
    ahead, behind = machine(tmp_path / "ahead"), machine(tmp_path / "behind")
    day = 86_400_000
    clock = ahead.start_journal("ahead", "ahead").clock
    clock.wall_ms = lambda wall=clock.wall_ms: wall() + day
    ahead.set_flag([ids(ahead)[0]], "bookmarked", True)
    sync(ahead, remote)
    sync(behind, remote)
    behind.set_flag([ids(behind)[0]], "bookmarked", False)  # after it saw the bookmark
    sync(behind, remote)
    sync(ahead, remote)
    assert not ahead.paper(ids(ahead)[0]).bookmarked and not behind.paper(ids(behind)[0]).bookmarked


def test_a_paper_merged_as_a_duplicate_on_one_machine_merges_on_the_other(tmp_path: Path):
    remote = FolderRemote(tmp_path / "remote")
    pages = [record("Attention Is All You Need"), record("Something else entirely")]
    a, b = machine(tmp_path / "a", pages), machine(tmp_path / "b", pages)
    for store in (a, b):
        store.write_records([record("Transformers, the paper", arxiv_id="1706.03762")], None)
        sync(store, remote)
    bare = a.query("SELECT id FROM papers WHERE title = 'Attention Is All You Need'")[0][0]
    a.set_flag([bare], "bookmarked", True)
    outcome = a.enrich(bare, record("Attention Is All You Need", arxiv_id="1706.03762"))
    assert outcome.merged_into is not None
    sync(a, remote)
    report = sync(b, remote)
    assert len(report.merged) == 1
    assert user_state(a) == user_state(b)
    assert b.paper(b.resolve("1706.03762")).bookmarked


# -- convergence: three machines, random offline edits, random sync orders --------------------

EDITS = st.one_of(
    st.tuples(st.just("bookmark"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("read"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("tag"), st.integers(0, 7), st.sampled_from(["ml", "Vision", "to read"])),
    st.tuples(st.just("untag"), st.integers(0, 7), st.sampled_from(["ml", "vision", "to read"])),
    st.tuples(st.just("note"), st.integers(0, 7), st.text("ab \n", max_size=6)),
    st.tuples(st.just("save"), st.integers(0, 1), st.sampled_from(["a*", "b", None])),
)


def edit(store: Store, op: str, n: int, value) -> tuple[tuple, str, object]:
    """Make one edit; return what it set (a register's key), its clock stamp and value."""
    paper = ids(store)[n]
    arxiv_id = store.paper(paper).arxiv_id
    if op in ("bookmark", "read"):
        field = "bookmarked" if op == "bookmark" else "is_read"
        store.set_flag([paper], field, value)
        return _stamped(store, f"p{paper}", field, (arxiv_id, field), value)
    if op in ("tag", "untag"):
        (store.add_tags if op == "tag" else store.remove_tags)([paper], [value])
        on = op == "tag"
        return _stamped(
            store, f"p{paper}", f"tag:{value.casefold()}", (arxiv_id, value.casefold()), on
        )
    if op == "note":
        store.set_notes(paper, value)
        (stamp,) = store.query("SELECT max(stamp) FROM sync_notes WHERE paper_id = ?", (paper,))[0]
        return (arxiv_id, "notes"), stamp, value
    name = f"search {n}"
    store.delete_saved_search(name) if value is None else store.save_search(name, value)
    return _stamped(store, "s", name, ("saved", name), value)


def _stamped(store: Store, key: str, field: str, what: tuple, value: object):
    (stamp,) = store.query(
        "SELECT stamp FROM sync_registers WHERE key = ? AND field = ?", (key, field)
    )[0]
    return what, stamp, value


def expected_state(latest: dict[tuple, tuple[str, object]], store: Store) -> None:
    """Every value is the one its newest edit (by clock stamp) set: no edit lost."""
    state = user_state(store)
    for (what, field), (_, value) in latest.items():
        if what == "saved":
            assert (field, value) in state["saved"] or (
                value is None and field not in dict(state["saved"])
            )
        elif field in ("bookmarked", "is_read"):
            assert state["papers"][what][0 if field == "bookmarked" else 1] == value
        elif field == "notes":
            assert value in state["papers"][what][2]  # kept (beside any concurrent edit)
        else:
            assert ((what, field) in state["tags"]) == value


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rounds=st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 2), EDITS), max_size=6), st.permutations([0, 1, 2])
        ),
        min_size=1,
        max_size=4,
    )
)
def test_three_machines_converge_whatever_they_edit_and_whatever_order_they_sync(rounds):
    fold_at = compaction.FOLD_AT
    compaction.FOLD_AT = 1  # fold at every chance: folds interleave with every order of syncs
    try:
        _converge(rounds)
    finally:
        compaction.FOLD_AT = fold_at


def _converge(rounds) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        remote = FolderRemote(root / "remote")
        stores = [machine(root / f"m{n}") for n in range(3)]
        for store in stores:
            sync(store, remote)
        latest: dict[tuple, tuple[str, object]] = {}
        for edits, order in rounds:
            for who, (op, n, value) in edits:
                what, stamp, set_to = edit(stores[who], op, n, value)
                if what not in latest or stamp > latest[what][0]:
                    latest[what] = (stamp, set_to)
            for who in order[: 1 + len(edits) % 3]:  # some machines stay offline this round
                sync(stores[who], remote)
        for _ in range(2):  # everyone comes online
            for store in stores:
                sync(store, remote)
        states = [user_state(s) for s in stores]
        assert states[0] == states[1] == states[2]
        expected_state(latest, stores[0])
        for store in stores:
            store.close()


# -- compaction -----------------------------------------------------------------------------


def own_files(remote_root: Path, store: Store) -> list[str]:
    node = store.meta("sync_node")
    return sorted(p.name for p in (remote_root / "nodes" / str(node)).glob("*.prsync"))


def test_a_machine_syncing_all_day_keeps_few_files_and_every_reader_gets_everything(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(compaction, "FOLD_AT", 4)
    remote = FolderRemote(tmp_path / "remote")
    laptop, halfway = machine(tmp_path / "laptop"), machine(tmp_path / "halfway")
    first, second = ids(laptop)[:2]
    for n in range(30):  # a sync after each edit, as every 15 minutes: the same values again
        on = (n // 3) % 2 == 0
        if n % 3 == 0:
            (laptop.add_tags if on else laptop.remove_tags)([first], ["to read"])
        elif n % 3 == 1:
            laptop.set_flag([second], "bookmarked", on)
        else:
            laptop.set_notes(second, f"note {n}")
        sync(laptop, remote)
        if n == 11:
            sync(halfway, remote)  # read some files before they were folded
    names = own_files(tmp_path / "remote", laptop)
    assert len(names) <= compaction.FOLD_AT + 1, names
    assert any("-" in name for name in names)  # folded ones
    late = machine(tmp_path / "late")
    for reader in (late, halfway):
        sync(reader, remote)
        assert user_state(reader) == user_state(laptop)


def test_a_fold_cut_off_before_its_old_files_are_deleted_finishes_at_the_next_sync(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(compaction, "FOLD_AT", 2)
    remote = FolderRemote(tmp_path / "remote")
    laptop = machine(tmp_path / "laptop")
    for n in range(2):
        laptop.add_tags([ids(laptop)[n]], ["kept"])
        sync(laptop, remote)
    real = remote.delete
    monkeypatch.setattr(remote, "delete", lambda path: (_ for _ in ()).throw(RemoteError("gone")))
    laptop.add_tags([ids(laptop)[2]], ["kept"])
    report = sync(laptop, remote)  # folds 1-3, then cannot delete 1..3
    assert "compacting this machine's change files postponed" in report.warnings[0]
    left = own_files(tmp_path / "remote", laptop)
    assert "00000001-00000003.prsync" in left and "00000001.prsync" in left
    reader = machine(tmp_path / "reader")
    sync(reader, remote)  # the fold and the old files side by side: read once, either way
    assert user_state(reader) == user_state(laptop)
    monkeypatch.setattr(remote, "delete", real)
    sync(laptop, remote)
    assert own_files(tmp_path / "remote", laptop) == ["00000001-00000003.prsync"]


# -- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 507])
def test_a_failing_server_loses_nothing_and_the_next_sync_completes(tmp_path: Path, status: int):
    with webdav_server(tmp_path / "dav") as server:
        a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
        remote = open_remote(server.url, PASSWORD)
        sync(a, remote)
        a.add_tags([ids(a)[0]], ["kept"])
        server.faults.fail = {"PUT": status}
        with pytest.raises(RemoteError, match=str(status)):
            sync(a, remote)
        assert a.count("sync_outbox") == 1  # still waiting
        server.faults.fail = {}
        sync(a, remote)
        sync(b, remote)
        assert b.paper(ids(b)[0]).tags == ["kept"]


def _sync_into(store: Store, url: str, passphrase: str | None, errors: list[BaseException]) -> None:
    try:
        sync(store, open_remote(url, PASSWORD), passphrase=passphrase)
    except BaseException as e:
        errors.append(e)


@pytest.mark.parametrize("passphrase", [None, "setting up encrypted at once"])
def test_two_machines_syncing_at_the_same_moment_both_land(tmp_path: Path, passphrase):
    """Also the very first time, setting up the remote both at once (with their own salts)."""
    import threading

    with webdav_server(tmp_path / "dav") as server:
        stores = [machine(tmp_path / name) for name in ("a", "b")]
        for round_ in range(3):
            for n, store in enumerate(stores):
                store.add_tags([ids(store)[round_ * 2 + n]], [f"from {n}"])
            errors: list[BaseException] = []
            threads = [
                threading.Thread(target=_sync_into, args=(store, server.url, passphrase, errors))
                for store in stores
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert not errors, errors
        for store in stores:
            report = sync(store, open_remote(server.url, PASSWORD), passphrase=passphrase)
            assert not report.warnings, report.warnings
        assert user_state(stores[0]) == user_state(stores[1])
        assert len(user_state(stores[0])["tags"]) == 6


def test_a_server_that_does_not_answer_is_a_clear_error(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("reader.core.sync.remote.TIMEOUT_S", 0.3)
    with webdav_server(tmp_path / "dav") as server:
        server.faults.hang_s = 1.0
        with pytest.raises(RemoteError, match="no answer within"):
            sync(machine(tmp_path / "a"), open_remote(server.url, PASSWORD))


def test_a_half_written_file_is_skipped_then_read_once_whole(tmp_path: Path):
    remote = FolderRemote(tmp_path / "remote")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    a.set_flag([ids(a)[1]], "is_read", True)
    sync(a, remote)
    (written,) = (tmp_path / "remote" / "nodes").rglob("*.prsync")
    whole = written.read_bytes()
    written.write_bytes(whole[: len(whole) // 2])  # a folder synced half-way
    report = sync(b, remote)
    assert "incomplete or damaged" in report.warnings[0] and not b.paper(ids(b)[1]).read
    written.write_bytes(whole)
    sync(b, remote)
    assert b.paper(ids(b)[1]).read


def test_a_sync_cut_off_after_its_upload_sends_again_and_changes_nothing_twice(
    tmp_path: Path, monkeypatch
):
    remote = FolderRemote(tmp_path / "remote")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    a.add_tags([ids(a)[2]], ["once"])
    real = remote.write

    def write_then_die(path: str, data: bytes, replace: bool = True) -> bool:
        wrote = real(path, data, replace)
        if "/nodes/" in f"/{path}":
            raise KeyboardInterrupt  # killed between the upload and the local commit
        return wrote

    monkeypatch.setattr(remote, "write", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        sync(a, remote)
    monkeypatch.setattr(remote, "write", real)
    sync(a, remote)  # sends the same changes again, as the next file
    assert len(list((tmp_path / "remote" / "nodes").rglob("*.prsync"))) == 2
    sync(b, remote)
    assert b.paper(ids(b)[2]).tags == ["once"] and b.count("sync_outbox") == 0


def test_a_remote_that_is_not_ours_or_is_newer_is_refused(tmp_path: Path):
    store = machine(tmp_path / "a")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(SyncRefused, match="holds other files"):
        sync(store, FolderRemote(foreign))
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / engine.ROOT_FILE).write_text(json.dumps({"app": "paper-reader", "format": 99}))
    with pytest.raises(SyncRefused, match="newer Paper Reader"):
        sync(store, FolderRemote(newer))
    assert not (foreign / "nodes").exists()


def test_a_change_file_from_a_newer_version_is_refused_not_guessed(tmp_path: Path):
    remote = FolderRemote(tmp_path / "remote")
    sync(machine(tmp_path / "a"), remote)
    (tmp_path / "remote" / "nodes" / "future").mkdir(parents=True)
    own = b"PRSYNC %d " % files.FORMAT
    data = files.encode({"papers": []}).replace(own, b"PRSYNC 99 ", 1)
    (tmp_path / "remote" / "nodes" / "future" / "00000001.prsync").write_bytes(data)
    with pytest.raises(SyncRefused, match="newer Paper Reader"):
        sync(machine(tmp_path / "b"), remote)


# -- end-to-end encryption ------------------------------------------------------------------

PASSPHRASE = "correct horse battery staple"


def test_an_encrypted_remote_carries_changes_and_shows_the_server_nothing(tmp_path: Path):
    import gzip

    with webdav_server(tmp_path / "dav") as server:
        remote = open_remote(server.url, PASSWORD)
        only_b = [record("A paper only the desktop has", arxiv_id="2402.00001")]
        a, b = machine(tmp_path / "a"), machine(tmp_path / "b", records=only_b)
        a.set_notes(ids(a)[3], "a secret reviewer note")
        a.add_tags([ids(a)[3]], ["under review"])
        sync(a, remote, passphrase=PASSPHRASE)
        sync(b, remote, passphrase=PASSPHRASE)
        assert a.count() == 8 and b.count() == 9  # b's own paper has not reached a yet
        sync(a, remote, passphrase=PASSPHRASE)
        assert user_state(a) == user_state(b)
        assert b.paper(b.resolve("2401.00004")).notes == "a secret reviewer note"
    stored = [p.read_bytes() for p in (tmp_path / "dav" / "nodes").rglob("*.prsync")]
    assert len(stored) == 2  # one from each machine
    for data in stored:
        body = data.partition(b"\n")[2]
        assert b"secret reviewer" not in data and b"Paper number" not in data
        with pytest.raises(OSError):
            gzip.decompress(body)  # sealed, not merely compressed
    root = json.loads((tmp_path / "dav" / engine.ROOT_FILE).read_text())
    assert root["encryption"]["kdf"] == "argon2id" and PASSPHRASE not in json.dumps(root)


def test_an_encrypted_remote_refuses_a_missing_or_wrong_passphrase_and_a_plain_one_any(
    tmp_path: Path,
):
    remote = FolderRemote(tmp_path / "remote")
    sync(machine(tmp_path / "a"), remote, passphrase=PASSPHRASE)
    other = machine(tmp_path / "b")
    with pytest.raises(engine.PassphraseNeeded, match="is encrypted: its passphrase is needed"):
        sync(other, remote)
    with pytest.raises(engine.PassphraseNeeded, match="wrong passphrase"):
        sync(other, remote, passphrase="correct horse battery stapler")
    assert other.count("sync_peers") == 0  # nothing was read with a wrong key
    plain = FolderRemote(tmp_path / "plain")
    sync(machine(tmp_path / "c"), plain)
    with pytest.raises(SyncRefused, match="is not encrypted"):
        sync(machine(tmp_path / "d"), plain, passphrase=PASSPHRASE)


def test_a_sealed_file_changed_on_the_server_is_refused_not_applied(tmp_path: Path):
    import hashlib

    remote = FolderRemote(tmp_path / "remote")
    a, b = machine(tmp_path / "a"), machine(tmp_path / "b")
    a.set_flag([ids(a)[0]], "bookmarked", True)
    sync(a, remote, passphrase=PASSPHRASE)
    (written,) = (tmp_path / "remote" / "nodes").rglob("*.prsync")
    body = bytearray(written.read_bytes().partition(b"\n")[2])
    body[-5] ^= 0x01  # one bit, and a checksum that matches it: only the seal can tell
    head = b"PRSYNC %d %s\n" % (files.FORMAT, hashlib.sha256(body).hexdigest().encode())
    written.write_bytes(head + bytes(body))
    report = sync(b, remote, passphrase=PASSPHRASE)
    assert "does not open with this remote's key" in report.warnings[0]
    assert not b.paper(ids(b)[0]).bookmarked


def test_the_cli_encrypts_a_new_remote_and_asks_the_others_for_the_passphrase(
    tmp_path: Path, capsys, monkeypatch
):
    from reader.cli_online import EXIT_NEEDS_PASSPHRASE
    from reader.core.sync.credentials import Secret

    folder = str(tmp_path / "remote")
    for name in ("a", "b"):
        with Library(tmp_path / name) as library:
            library.store.write_records(PAPERS[:3], None)
    monkeypatch.setenv(Secret.PASSPHRASE.environment, PASSPHRASE)
    a = ["--library", str(tmp_path / "a"), "sync", "--remote", folder, "--json"]
    assert cli_main([*a, "--encrypt"]) == 0
    assert json.loads(capsys.readouterr().out)["files_sent"] == 1
    monkeypatch.delenv(Secret.PASSPHRASE.environment)
    b = ["--library", str(tmp_path / "b"), "sync", "--remote", folder, "--json"]
    assert cli_main(b) == EXIT_NEEDS_PASSPHRASE  # not a terminal: nothing to ask with
    assert "is encrypted: its passphrase is needed" in capsys.readouterr().err
    monkeypatch.setenv(Secret.PASSPHRASE.environment, PASSPHRASE)
    assert cli_main(b) == 0
    assert json.loads(capsys.readouterr().out)["received"] == 3
