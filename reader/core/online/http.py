"""The one HTTP client every online feature uses (httpx): timeouts, polite retries, size caps,
cancel at any moment, and errors that name the service for people.

Nothing here runs unless the user asked for something online: the rest of the app never
imports this module.
"""

from __future__ import annotations

import email.utils
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

Cancelled = Callable[[], bool]

CONNECT_TIMEOUT = 5.0  # an offline machine or a dead host: a clear message within seconds
READ_TIMEOUT = 30.0  # between two bytes of a response (a stalled server)
RETRIES = 3  # after the first try, for 429, 5xx and broken connections
CONNECT_RETRIES = 1  # a host that cannot be reached is tried once more, then reported
BACKOFF = 1.0  # seconds, doubled on each retry, unless the server says (Retry-After)
MAX_RETRY_AFTER = 120.0  # a longer Retry-After is not waited for: the fetch fails, saying so
MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # an API response (a PDF download passes its own cap)
CHUNK = 64 * 1024


class FetchError(Exception):
    """An online request failed; the message names the service and says why, for people."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service


class Unreachable(FetchError):
    """The service could not be reached at all (offline, DNS, refused, timed out)."""


class FetchCancelled(Exception):
    """The user cancelled while a request ran or waited."""


def user_agent() -> str:
    from reader import __version__

    return (
        f"PaperReader/{__version__} (offline desktop paper reader;"
        " https://github.com/paper-reader/paper-reader)"
    )


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    body: bytes


# When each service was last asked, for all the clients of this process (a fetch and the
# enrichment after it are two clients of the arXiv API: the interval holds between them too).
# Keyed by the clock as well, so that tests with their own clocks stay apart.
_LAST_REQUESTS: dict[tuple[str, Callable[[], float]], float] = {}
_LAST_REQUESTS_LOCK = threading.Lock()


class HttpClient:
    """GETs with retries and caps for one service (its name is in every error message).

    ``interval`` is the least time between two requests to the service (arXiv asks for 3 s).
    ``sleep`` and ``clock`` are injectable so the spacing and the backoff are tested without
    waiting; ``sleep`` must return early (True) when cancelled.
    """

    def __init__(
        self,
        service: str,
        interval: float = 0.0,
        cancelled: Cancelled = lambda: False,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        read_timeout: float = READ_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service
        self.interval = interval
        self.cancelled = cancelled
        self.retries = retries
        self.backoff = backoff
        self.clock = clock
        self._sleep = sleep or self._cancellable_sleep
        self.requests = 0  # sent, retries included (the fetch summary reports it)
        self._client = httpx.Client(
            headers={"User-Agent": user_agent()},
            timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            transport=transport,
            trust_env=False,  # no proxy or netrc from the environment sneaks in
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self, url: str, params: dict[str, str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> Response:
        """The whole body of a 2xx response (at most ``max_bytes``), after retries."""
        chunks: list[bytes] = []
        with self.stream(url, params, max_bytes) as (response, body):
            for chunk in body:
                chunks.append(chunk)
        return Response(
            str(response.url),
            response.status_code,
            response.headers.get("content-type", ""),
            b"".join(chunks),
        )

    def download(self, url: str, dest: Path, max_bytes: int) -> Response:
        """Write a 2xx response's body to ``dest`` (a temporary file the caller renames)."""
        with self.stream(url, None, max_bytes) as (response, body), dest.open("wb") as out:
            for chunk in body:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        return Response(
            str(response.url), response.status_code, response.headers.get("content-type", ""), b""
        )

    @contextmanager
    def stream(
        self, url: str, params: dict[str, str] | None, max_bytes: int
    ) -> Iterator[tuple[httpx.Response, Iterator[bytes]]]:
        """A 2xx response and an iterator over its body, capped at ``max_bytes``; retried
        (before any byte is handed out) on 429, 5xx and broken connections."""
        attempt = 0
        while True:
            self._wait_turn()
            self.requests += 1
            try:
                with self._client.stream("GET", url, params=params) as response:
                    if response.status_code < 400:
                        self._check_length(response, max_bytes)
                        yield response, self._body(response, max_bytes)
                        return
                    retryable = response.status_code == 429 or response.status_code >= 500
                    if not retryable or attempt >= self.retries:
                        raise FetchError(self.service, self._status_message(response))
                    delay = self._retry_delay(response, attempt)
            except httpx.TooManyRedirects:
                raise FetchError(self.service, f"too many redirects from {url}") from None
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                if attempt >= min(self.retries, CONNECT_RETRIES):
                    raise Unreachable(self.service, _unreachable(url, e)) from None
                delay = self.backoff * 2**attempt
            except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError) as e:
                if attempt >= self.retries:
                    raise FetchError(self.service, _broken(url, e)) from None
                delay = self.backoff * 2**attempt
            attempt += 1
            self._pause(delay)

    def _body(self, response: httpx.Response, max_bytes: int) -> Iterator[bytes]:
        received = 0
        for chunk in response.iter_bytes(CHUNK):
            if self.cancelled():
                raise FetchCancelled()
            received += len(chunk)
            if received > max_bytes:
                raise FetchError(
                    self.service, f"the response is larger than {_size(max_bytes)}; not kept"
                )
            yield chunk

    def _check_length(self, response: httpx.Response, max_bytes: int) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(
                self.service,
                f"the response would be {_size(int(declared))}, more than the"
                f" {_size(max_bytes)} allowed; not downloaded",
            )

    def _status_message(self, response: httpx.Response) -> str:
        reason = response.reason_phrase or ""
        return f"the server answered {response.status_code} {reason}".rstrip() + (
            f" for {response.url}"
        )

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        """The server's Retry-After (seconds or an HTTP date) if it gave one, else backoff."""
        header = response.headers.get("retry-after", "").strip()
        delay: float | None = None
        if header.isdigit():
            delay = float(header)
        elif header:
            when = email.utils.parsedate_to_datetime(header) if _is_http_date(header) else None
            if when is not None:
                delay = max(0.0, (when - datetime.now(UTC)).total_seconds())
        if delay is None:
            return self.backoff * 2**attempt
        if delay > MAX_RETRY_AFTER:
            raise FetchError(
                self.service,
                f"the server is busy and asks to wait {delay:.0f} s; try again later",
            )
        return delay

    def _wait_turn(self) -> None:
        """Keep ``interval`` seconds between requests to this service."""
        if self.cancelled():
            raise FetchCancelled()
        key = (self.service, self.clock)
        with _LAST_REQUESTS_LOCK:
            last = _LAST_REQUESTS.get(key)
        if last is not None and self.interval:
            wait = last + self.interval - self.clock()
            if wait > 0:
                self._pause(wait)
        with _LAST_REQUESTS_LOCK:
            _LAST_REQUESTS[key] = self.clock()

    def _pause(self, seconds: float) -> None:
        self._sleep(seconds)
        if self.cancelled():
            raise FetchCancelled()

    def _cancellable_sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.cancelled():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.1))


def _is_http_date(text: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(text) is not None
    except (TypeError, ValueError):
        return False


def _unreachable(url: str, error: Exception) -> str:
    host = httpx.URL(url).host
    return f"cannot reach {host} ({type(error).__name__}: {error or 'no answer'}); are you online?"


def _broken(url: str, error: Exception) -> str:
    host = httpx.URL(url).host
    if isinstance(error, httpx.ReadTimeout):
        return f"{host} stopped answering (no data for {READ_TIMEOUT:.0f} s)"
    return f"the connection to {host} broke ({error or type(error).__name__})"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:,.0f} kB"
