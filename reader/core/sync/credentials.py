"""A sync remote's secrets, its WebDAV password and its encryption passphrase: the system
keyring's (Secret Service, macOS Keychain, Windows Credential Locker) where there is one,
never the library file. Without a keyring, each is asked for (or read from the environment,
``PAPER_READER_SYNC_PASSWORD`` / ``PAPER_READER_SYNC_PASSPHRASE``) once a session."""

from __future__ import annotations

import os
from enum import Enum


class Secret(Enum):
    """(keyring service, environment variable) of each kind of secret."""

    PASSWORD = ("paper-reader-sync", "PAPER_READER_SYNC_PASSWORD")
    PASSPHRASE = ("paper-reader-sync-passphrase", "PAPER_READER_SYNC_PASSPHRASE")

    @property
    def service(self) -> str:
        return self.value[0]

    @property
    def environment(self) -> str:
        return self.value[1]


def _keyring():  # type: ignore[no-untyped-def]
    try:
        import keyring
        from keyring.backends.fail import Keyring as NoKeyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    return None if isinstance(backend, NoKeyring) else keyring


def lookup(remote: str, kind: Secret = Secret.PASSWORD) -> str | None:
    if found := os.environ.get(kind.environment):
        return found
    store = _keyring()
    try:
        return store.get_password(kind.service, remote) if store else None
    except Exception:
        return None


def remember(remote: str, secret: str, kind: Secret = Secret.PASSWORD) -> bool:
    """Keep the secret in the system keyring; False when there is none to keep it in."""
    store = _keyring()
    if store is None:
        return False
    try:
        store.set_password(kind.service, remote, secret)
    except Exception:
        return False
    return True
