"""Where change files live: a folder (kept in sync by Syncthing, Dropbox, a network drive) or
a WebDAV server (Nextcloud, ownCloud, a NAS: RFC 4918). Both write a file whole or not at
all (a temporary name, then a rename / MOVE), and list, read and delete files by path.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

TIMEOUT_S = 30.0


class RemoteError(Exception):
    """The remote could not be reached or refused a request (the message says which)."""


class Remote(Protocol):
    description: str

    def list(self, folder: str) -> list[str]:
        """The names in a folder ([] when it does not exist)."""
        ...

    def read(self, path: str) -> bytes: ...

    def write(self, path: str, data: bytes, replace: bool = True) -> bool:
        """Write a file whole (its folders made as needed); with ``replace=False`` only if
        there is none yet, atomically (False: another machine wrote it first)."""
        ...

    def delete(self, path: str) -> None: ...

    def close(self) -> None: ...


class FolderRemote:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = str(root)

    def list(self, folder: str) -> list[str]:
        try:
            return sorted(p.name for p in (self.root / folder).iterdir() if ".tmp-" not in p.name)
        except FileNotFoundError:
            return []
        except OSError as e:
            raise RemoteError(f"cannot list {self.root / folder}: {e.strerror}") from None

    def read(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except OSError as e:
            raise RemoteError(f"cannot read {self.root / path}: {e.strerror}") from None

    def write(self, path: str, data: bytes, replace: bool = True) -> bool:
        target = self.root / path
        temporary = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if replace:
                os.replace(temporary, target)
                return True
            try:
                os.link(temporary, target)  # atomic, and fails when the target exists
            except FileExistsError:
                return False
            finally:
                temporary.unlink(missing_ok=True)
            return True
        except OSError as e:
            temporary.unlink(missing_ok=True)
            raise RemoteError(f"cannot write {target}: {e.strerror}") from None

    def close(self) -> None:
        pass  # nothing held open

    def delete(self, path: str) -> None:
        try:
            (self.root / path).unlink(missing_ok=True)
        except OSError as e:
            raise RemoteError(f"cannot delete {self.root / path}: {e.strerror}") from None


class WebDavRemote:
    """A WebDAV collection. Requests time out after ``TIMEOUT_S``; any status >= 400 or a
    network error is a ``RemoteError`` naming the request."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None) -> None:
        import httpx

        self.url = url.rstrip("/") + "/"
        parts = urlsplit(self.url)
        self.description = f"{parts.scheme}://{parts.netloc}{parts.path}"
        auth = httpx.BasicAuth(user, password or "") if user else None
        self._client = httpx.Client(auth=auth, timeout=TIMEOUT_S, follow_redirects=False)
        self._made: set[str] = set()

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        import httpx

        url = self.url + quote(path)
        try:
            response = self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            raise RemoteError(f"{self.description}: no answer within {TIMEOUT_S:.0f} s") from None
        except httpx.HTTPError as e:
            raise RemoteError(f"{self.description}: {e}") from None
        return response

    def _check(self, response, what: str, allowed: tuple[int, ...] = ()) -> None:  # type: ignore[no-untyped-def]
        if response.status_code >= 400 and response.status_code not in allowed:
            reason = {401: "wrong user name or password", 507: "the server is out of space"}
            hint = reason.get(response.status_code, response.reason_phrase)
            raise RemoteError(f"{self.description}: {what}: HTTP {response.status_code} ({hint})")

    def list(self, folder: str) -> list[str]:
        from defusedxml import ElementTree

        path = folder.rstrip("/") + "/" if folder else ""
        response = self._request("PROPFIND", path, headers={"Depth": "1"})
        if response.status_code == 404:
            return []
        self._check(response, f"listing {path or '/'}")
        try:
            tree = ElementTree.fromstring(response.content)
        except ElementTree.ParseError as e:
            raise RemoteError(f"{self.description}: not a WebDAV answer ({e})") from None
        own = urlsplit(self.url + quote(path)).path.rstrip("/")
        names = []
        for href in tree.iter("{DAV:}href"):
            target = urlsplit(href.text or "").path.rstrip("/")
            if target != own and ".tmp-" not in target:
                names.append(unquote(target.rsplit("/", 1)[-1]))
        return sorted(names)

    def read(self, path: str) -> bytes:
        response = self._request("GET", path)
        self._check(response, f"reading {path}")
        return response.content

    def _make_folders(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for n in range(1, len(parts) + 1):
            folder = "/".join(parts[:n]) + "/"
            if folder in self._made:
                continue
            response = self._request("MKCOL", folder)
            self._check(response, f"making {folder}", allowed=(405,))  # 405: it exists
            self._made.add(folder)

    def write(self, path: str, data: bytes, replace: bool = True) -> bool:
        self._make_folders(path)
        head, _, name = path.rpartition("/")
        temporary = f"{head}/" * bool(head) + f".{name}.tmp-{secrets.token_hex(4)}"
        self._check(self._request("PUT", temporary, content=data), f"writing {temporary}")
        moved = self._request(
            "MOVE",
            temporary,
            headers={"Destination": self.url + quote(path), "Overwrite": "T" if replace else "F"},
        )
        if moved.status_code >= 400:
            self._request("DELETE", temporary)
        if moved.status_code == 412 and not replace:  # RFC 4918: the destination exists
            return False
        self._check(moved, f"renaming {temporary} to {path}")
        return True

    def delete(self, path: str) -> None:
        self._check(self._request("DELETE", path), f"deleting {path}", allowed=(404,))


def check_spec(spec: str) -> None:
    """Refuse an address that names no remote we can use (before anything is kept)."""
    if "://" in spec and not spec.startswith(("http://", "https://", "file://")):
        raise RemoteError(f"{spec}: use an https:// (WebDAV) address, file:// or a folder")
    if spec.startswith(("http://", "https://")) and not urlsplit(spec).hostname:
        raise RemoteError(f"{spec}: no server name in the address")


def open_remote(spec: str, password: str | None = None) -> Remote:
    """``https://[user@]…`` / ``http://…`` (WebDAV), ``file://…`` or a folder path."""
    check_spec(spec)
    if spec.startswith(("http://", "https://")):
        parts = urlsplit(spec)
        host = parts.hostname or ""
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        url = parts._replace(netloc=netloc).geturl()
        return WebDavRemote(url, unquote(parts.username or "") or None, password)
    if spec.startswith("file://"):
        return FolderRemote(Path(unquote(urlsplit(spec).path)))
    return FolderRemote(Path(spec).expanduser())
