"""A sync remote's password: the system keyring's (Secret Service, macOS Keychain, Windows
Credential Locker) where there is one, never the library file. Without a keyring, the
password is asked for (or read from ``PAPER_READER_SYNC_PASSWORD``) each time."""

from __future__ import annotations

import os

SERVICE = "paper-reader-sync"
ENVIRONMENT = "PAPER_READER_SYNC_PASSWORD"


def _keyring():  # type: ignore[no-untyped-def]
    try:
        import keyring
        from keyring.backends.fail import Keyring as NoKeyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    return None if isinstance(backend, NoKeyring) else keyring


def password(remote: str) -> str | None:
    if found := os.environ.get(ENVIRONMENT):
        return found
    store = _keyring()
    try:
        return store.get_password(SERVICE, remote) if store else None
    except Exception:
        return None


def remember(remote: str, secret: str) -> bool:
    """Keep the password in the system keyring; False when there is none to keep it in."""
    store = _keyring()
    if store is None:
        return False
    try:
        store.set_password(SERVICE, remote, secret)
    except Exception:
        return False
    return True
