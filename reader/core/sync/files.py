"""The change files on a remote: gzip'd JSON behind a checksum line, one file per sync.

``PRSYNC <format> <sha256 of the rest>\\n`` then the gzip stream. A file cut short (a sync
killed mid-upload, a folder synced half-way) fails its checksum and is read again next time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reader.core.sync.crypto import Sealer

FORMAT = 2  # 2: compacted files (``<first>-<last>.prsync``)
MAGIC = b"PRSYNC"


class DamagedFile(Exception):
    """A change file that is incomplete or not what it says."""


class TooNew(Exception):
    """A file written by a newer Paper Reader."""


def encode(content: dict[str, Any], sealer: Sealer | None = None) -> bytes:
    body = gzip.compress(json.dumps(content, ensure_ascii=False).encode(), compresslevel=6, mtime=0)
    if sealer is not None:
        body = sealer.seal(body)
    return b"%s %d %s\n" % (MAGIC, FORMAT, hashlib.sha256(body).hexdigest().encode()) + body


def decode(data: bytes, name: str, sealer: Sealer | None = None) -> dict[str, Any]:
    head, _, body = data.partition(b"\n")
    parts = head.split(b" ")
    if len(parts) != 3 or parts[0] != MAGIC or not parts[1].isdigit():
        raise DamagedFile(f"{name}: not a Paper Reader change file")
    if int(parts[1]) > FORMAT:
        raise TooNew(f"{name} was written by a newer Paper Reader (format {int(parts[1])})")
    if hashlib.sha256(body).hexdigest().encode() != parts[2]:
        raise DamagedFile(f"{name}: incomplete or damaged (its checksum does not match)")
    if sealer is not None:
        from reader.core.sync.crypto import SealedDamaged

        try:
            body = sealer.open(body)
        except SealedDamaged as e:
            raise DamagedFile(f"{name}: {e}") from None
    try:
        content = json.loads(gzip.decompress(body))
    except (OSError, EOFError, ValueError) as e:
        raise DamagedFile(f"{name}: unreadable ({e})") from None
    if not isinstance(content, dict):
        raise DamagedFile(f"{name}: not a change file")
    return content
