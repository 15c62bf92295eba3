"""A fetch killed mid-way (SIGKILL, as a crash or a closed laptop lid) keeps whole responses
only, and running it again completes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from reader.core.library import Library
from tests.core.online import recorded


def test_a_fetch_killed_while_waiting_for_a_day_keeps_the_days_before_and_resumes(
    server: HTTPServer, tmp_path: Path
):
    days = recorded.hf_days()
    good = recorded.hf_handler(days)
    waiting = threading.Event()
    release = threading.Event()

    def handle(request: Request) -> Response:
        if request.args["date"] == "2026-08-19" and not release.is_set():
            waiting.set()  # the fetch has stored the 17th and 18th and waits on the 19th
            release.wait(30)
            return Response("late", status=503)
        return good(request)

    server.expect_request("/api/daily_papers").respond_with_handler(handle)
    folder = tmp_path / "lib"
    command = [sys.executable, "-m", "reader", "--library", str(folder), "fetch", "hf"]
    week = ["--from", "2026-08-17", "--to", "2026-08-21", "--json"]
    child = subprocess.Popen([*command, *week], env=os.environ.copy())
    try:
        assert waiting.wait(60), "the fetch never asked for the third day"
        time.sleep(0.2)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
    stored = {p["paper"]["id"] for d in ("2026-08-17", "2026-08-18") for p in json.loads(days[d])}
    with Library(folder) as library:
        ids = {r[0] for r in library.store.query("SELECT arxiv_id FROM papers")}
        assert ids == stored  # two whole days, nothing of the third
        assert library.repair().consistent
    done = subprocess.run(
        [*command, *week], env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    everything = {p["paper"]["id"] for body in days.values() for p in json.loads(body)}
    assert summary["added"] == len(everything - stored)
    assert summary["unchanged"] == len(stored)
    with Library(folder) as library:
        assert library.store.count() == len(everything)
        assert library.check().consistent
