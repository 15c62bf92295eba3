"""The HTTP client against a real local server: retries, Retry-After, caps, stalls, cancel."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from reader.core.online.http import FetchCancelled, FetchError, HttpClient, Unreachable


def hits(server: HTTPServer, path: str) -> int:
    """Requests the server got for ``path`` (a stalled handler of another test may log late)."""
    return sum(1 for request, _ in server.log if request.path == path)


def client(**kw: object) -> HttpClient:
    kw.setdefault("backoff", 0.01)
    return HttpClient("Test service", **kw)  # type: ignore[arg-type]


def test_sends_a_user_agent_naming_the_app_and_its_version(server: HTTPServer):
    from reader import __version__

    seen = []

    def handle(request: Request) -> Response:
        seen.append(request.headers["User-Agent"])
        return Response("ok")

    server.expect_request("/ua").respond_with_handler(handle)
    with client() as c:
        assert c.get(server.url_for("/ua")).body == b"ok"
    assert seen[0].startswith(f"PaperReader/{__version__} ")


def test_a_server_error_is_retried_then_succeeds(server: HTTPServer):
    answers = iter([Response("busy", status=500), Response("busy", status=503), Response("ok")])
    server.expect_request("/flaky").respond_with_handler(lambda r: next(answers))
    with client() as c:
        assert c.get(server.url_for("/flaky")).body == b"ok"
        assert c.requests == 3


def test_a_lasting_server_error_names_the_service_and_the_status(server: HTTPServer):
    server.expect_request("/down").respond_with_data("no", status=500)
    with client(retries=2) as c, pytest.raises(FetchError, match=r"^Test service: .*500"):
        c.get(server.url_for("/down"))
    assert hits(server, "/down") == 3


def test_429_waits_as_long_as_retry_after_says(server: HTTPServer):
    answers = iter(
        [Response("slow down", status=429, headers={"Retry-After": "7"}), Response("ok")]
    )
    server.expect_request("/limited").respond_with_handler(lambda r: next(answers))
    waits: list[float] = []
    with client(sleep=waits.append) as c:
        assert c.get(server.url_for("/limited")).body == b"ok"
    assert waits == [7.0]


def test_a_retry_after_of_hours_fails_at_once_saying_so(server: HTTPServer):
    server.expect_request("/later").respond_with_data(
        "", status=503, headers={"Retry-After": "86400"}
    )
    waits: list[float] = []
    with client(sleep=waits.append) as c, pytest.raises(FetchError, match="asks to wait 86400 s"):
        c.get(server.url_for("/later"))
    assert waits == []


def test_a_404_is_not_retried(server: HTTPServer):
    server.expect_request("/missing").respond_with_data("gone", status=404)
    with client() as c, pytest.raises(FetchError, match="404"):
        c.get(server.url_for("/missing"))
    assert hits(server, "/missing") == 1


def test_requests_keep_the_services_interval_apart(server: HTTPServer):
    server.expect_request("/page").respond_with_data("ok")
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with client(interval=3.0, clock=lambda: now[0], sleep=sleep) as c:
        for _ in range(3):
            c.get(server.url_for("/page"))
            now[0] += 0.5  # the import of a page takes half a second
    assert waits == [2.5, 2.5]


def test_the_interval_holds_between_two_clients_of_a_service(server: HTTPServer):
    """A fetch from arXiv and the enrichment right after it are two clients."""
    server.expect_request("/page").respond_with_data("ok")
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    def clock() -> float:
        return now[0]

    with client(interval=3.0, clock=clock, sleep=sleep) as fetch:
        fetch.get(server.url_for("/page"))
    now[0] += 1.0
    with client(interval=3.0, clock=clock, sleep=sleep) as enrich:
        enrich.get(server.url_for("/page"))
    with HttpClient("Another service", interval=3.0, clock=clock, sleep=sleep) as other:
        other.get(server.url_for("/page"))
    assert waits == [2.0]


def test_a_declared_2_gb_body_is_refused_before_reading(server: HTTPServer):
    def handle(request: Request) -> Response:
        response = Response(b"%PDF-1.7 tiny")
        response.headers["Content-Length"] = str(2 * 1024**3)
        response.automatically_set_content_length = False
        return response

    server.expect_request("/huge").respond_with_handler(handle)
    with client() as c, pytest.raises(FetchError, match=r"2,048\.0 MB"):
        c.get(server.url_for("/huge"), max_bytes=10_000_000)


def test_a_body_beyond_the_cap_is_cut_off(server: HTTPServer):
    def chunks():  # no Content-Length: streamed
        for _ in range(100):
            yield b"x" * 65536

    server.expect_request("/endless").respond_with_handler(lambda r: Response(chunks()))
    with client() as c, pytest.raises(FetchError, match=r"larger than 1\.0 MB"):
        c.get(server.url_for("/endless"), max_bytes=1024 * 1024)


def test_a_redirect_loop_is_reported(server: HTTPServer):
    server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with client() as c, pytest.raises(FetchError, match="too many redirects"):
        c.get(server.url_for("/a"))


def test_a_stalled_server_is_given_up_on(server: HTTPServer):
    def stall(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    server.expect_request("/stall").respond_with_handler(stall)
    started = time.monotonic()
    with client(read_timeout=0.3, retries=1) as c, pytest.raises(FetchError, match="stopped"):
        c.get(server.url_for("/stall"))
    assert time.monotonic() - started < 5


def test_an_unreachable_host_is_reported_within_seconds(closed_port_url: str):
    started = time.monotonic()
    with client() as c, pytest.raises(Unreachable, match=r"cannot reach 127\.0\.0\.1.*online"):
        c.get(f"{closed_port_url}/api")
    assert time.monotonic() - started < 5


def test_cancel_stops_a_retry_wait(server: HTTPServer):
    server.expect_request("/down").respond_with_data("no", status=503)
    cancel = [False]

    def sleep(seconds: float) -> None:
        cancel[0] = True  # the user pressed Cancel while the client waited

    with (
        client(sleep=sleep, cancelled=lambda: cancel[0]) as c,
        pytest.raises(FetchCancelled),
    ):
        c.get(server.url_for("/down"))
    assert hits(server, "/down") == 1
