"""A real WebDAV server (WsgiDAV) on 127.0.0.1 for the sync tests, with basic auth, and a
switch that makes it fail the way real servers do (500, 507, no answer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

USER, PASSWORD = "reader", "s3cret pass"


@dataclass
class Faults:
    """What the server does to the next requests: ``fail`` (method -> HTTP status, for
    every request of that method), ``hang_s`` (sleep before answering)."""

    fail: dict[str, int] = field(default_factory=dict)
    hang_s: float = 0.0
    requests: list[str] = field(default_factory=list)


def _faulty(app: Callable, faults: Faults) -> Callable:
    def wrapped(environ: dict, start_response: Callable) -> Any:
        method = environ["REQUEST_METHOD"]
        faults.requests.append(f"{method} {environ.get('PATH_INFO')}")
        if faults.hang_s:
            time.sleep(faults.hang_s)
        if method in faults.fail:
            status = faults.fail[method]
            start_response(f"{status} Failing", [("Content-Type", "text/plain")])
            return [b"failing on purpose"]
        return app(environ, start_response)

    return wrapped


@dataclass
class DavServer:
    url: str  # with the user: http://reader@127.0.0.1:PORT/dav
    root: Path
    faults: Faults


@contextmanager
def webdav_server(root: Path) -> Iterator[DavServer]:
    from cheroot import wsgi
    from wsgidav.wsgidav_app import WsgiDAVApp

    root.mkdir(parents=True, exist_ok=True)
    app = WsgiDAVApp(
        {
            "provider_mapping": {"/dav": str(root)},
            "http_authenticator": {
                "domain_controller": None,
                "accept_basic": True,
                "accept_digest": False,
                "default_to_digest": False,
            },
            "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD}}}},
            "verbose": 0,
            "logging": {"enable": False},
            "lock_storage": True,
        }
    )
    faults = Faults()
    # cheroot: WsgiDAV's own server (wsgiref's blocks on a PUT's body)
    server = wsgi.Server(("127.0.0.1", 0), _faulty(app, faults), numthreads=4)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        port = server.bind_addr[1]
        yield DavServer(f"http://{USER}@127.0.0.1:{port}/dav", root, faults)
    finally:
        server.stop()
