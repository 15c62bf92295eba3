"""End-to-end encryption of a remote's change files with a passphrase (libsodium via PyNaCl).

The key is derived with Argon2id from the passphrase and a random salt kept, with the
derivation's limits, in the remote's ``paper-reader-sync.json``; each file body is sealed with
XSalsa20-Poly1305 (``SecretBox``: a random nonce per file, authenticated, so a changed or
truncated file is refused, never half-read). A known token sealed into the root file tells a
wrong passphrase from a damaged file. The passphrase itself is never written anywhere.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

TOKEN = b"paper-reader sync key check"


class WrongPassphrase(Exception):
    """The passphrase does not open this remote."""


class SealedDamaged(Exception):
    """A sealed file that does not open with the right key: changed or cut short."""


@dataclass(frozen=True)
class KeyParams:
    salt: bytes
    ops: int
    mem: int

    @classmethod
    def new(cls) -> KeyParams:
        from nacl import pwhash, utils

        argon = pwhash.argon2id
        return cls(
            utils.random(argon.SALTBYTES), argon.OPSLIMIT_INTERACTIVE, argon.MEMLIMIT_INTERACTIVE
        )

    def to_json(self) -> dict[str, Any]:
        return {"kdf": "argon2id", "salt": _b64(self.salt), "ops": self.ops, "mem": self.mem}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyParams:
        if data.get("kdf") != "argon2id":
            raise ValueError(f"unknown key derivation {data.get('kdf')!r}")
        return cls(base64.b64decode(data["salt"]), int(data["ops"]), int(data["mem"]))


class Sealer:
    """Seals and opens file bodies with the key a passphrase derives."""

    def __init__(self, passphrase: str, params: KeyParams) -> None:
        from nacl import pwhash, secret

        key = pwhash.argon2id.kdf(
            secret.SecretBox.KEY_SIZE,
            passphrase.encode(),
            params.salt,
            opslimit=params.ops,
            memlimit=params.mem,
        )
        self._box = secret.SecretBox(key)
        self.params = params

    def seal(self, data: bytes) -> bytes:
        return bytes(self._box.encrypt(data))

    def open(self, data: bytes) -> bytes:
        from nacl.exceptions import CryptoError

        try:
            return bytes(self._box.decrypt(data))
        except CryptoError:
            raise SealedDamaged("it does not open with this remote's key") from None

    def check_json(self) -> str:
        """The token sealed, for the root file."""
        return _b64(self.seal(TOKEN))

    def verify(self, check: str) -> None:
        try:
            if self.open(base64.b64decode(check)) == TOKEN:
                return
        except (SealedDamaged, ValueError):
            pass
        raise WrongPassphrase("wrong passphrase")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
