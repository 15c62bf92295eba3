"""A library's side of sync: its remote (kept in the store), one sync at a time, and the
WebDAV password and passphrase a session remembers (never written to the library)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.locks import file_lock
from reader.core.store import Store
from reader.core.sync.credentials import Secret

if TYPE_CHECKING:
    from reader.core.sync.engine import SyncReport

SYNC_LOCK = "sync.lock"  # one sync of a library at a time (a window's timer and the CLI)
SYNC_LOCK_TIMEOUT = 120.0
SYNC_REMOTE = "sync_remote"  # meta: where this library syncs (no credentials in it)


class SyncSession:
    """Syncs one library with its remote (``sync.engine``)."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        self._secrets: dict[Secret, str] = {}  # WebDAV password, passphrase

    def sync(
        self,
        remote: str | None = None,
        password: str | None = None,
        progress: Callable[[str], None] | None = None,
        passphrase: str | None = None,
    ) -> SyncReport:
        """Sync with ``remote`` (kept for the next time) or the remote set before. The
        password and passphrase: given, the ones this session used, or the keyring's."""
        from reader.core.sync import credentials, engine
        from reader.core.sync.remote import open_remote

        spec = remote or self.remote()
        if not spec:
            raise ValueError("no sync remote set: give a WebDAV address or a folder")
        with file_lock(self.folder / SYNC_LOCK, SYNC_LOCK_TIMEOUT):
            password = password or self._secrets.get(Secret.PASSWORD)
            passphrase = passphrase or self._secrets.get(Secret.PASSPHRASE)
            password = password or credentials.lookup(spec, Secret.PASSWORD)
            passphrase = passphrase or credentials.lookup(spec, Secret.PASSPHRASE)
            target = open_remote(spec, password)
            try:
                report = engine.sync(self.store, target, progress, passphrase)
            finally:
                target.close()
            if remote:
                self.store.set_meta(SYNC_REMOTE, remote)
            for kind, value in ((Secret.PASSWORD, password), (Secret.PASSPHRASE, passphrase)):
                if value:
                    self._secrets[kind] = value
        return report

    @staticmethod
    def probe(spec: str, password: str | None = None, passphrase: str | None = None) -> str:
        """Whether and how ``spec`` can be synced with, in a sentence, changing nothing
        (raises ``RemoteError``/``SyncRefused`` as a sync would). Goes online: a job."""
        from reader.core.sync.engine import probe
        from reader.core.sync.remote import open_remote

        target = open_remote(spec, password)
        try:
            return probe(target, passphrase)
        finally:
            target.close()

    def set_remote(self, spec: str | None) -> None:
        """Where to sync from now on (None: nowhere; the remote's files stay)."""
        from reader.core.sync.remote import check_spec

        if spec:
            check_spec(spec)  # a malformed address is refused here, not at the sync
        self.store.set_meta(SYNC_REMOTE, spec or "")

    def remote(self) -> str | None:
        """Where this library syncs (None: not set up)."""
        return self.store.meta(SYNC_REMOTE) or None

    def status(self) -> dict[str, object]:
        """The remote, the last sync, changes waiting to go, conflicts, the other machines."""
        from reader.core.sync.engine import LAST_SYNC
        from reader.core.sync.journal import conflicts

        store = self.store
        machines = store.query("SELECT name, applied FROM sync_peers ORDER BY name")
        return {
            "remote": self.remote(),
            "last_sync": store.meta(LAST_SYNC),
            "waiting": store.count("sync_outbox"),
            "conflicts": conflicts(store.conn),
            "machines": [{"name": r[0], "files_applied": r[1]} for r in machines],
        }
