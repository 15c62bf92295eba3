"""Fetch benchmark: a recorded week of Daily Papers and a recorded OAI-PMH harvest, fetched
from a local server on 127.0.0.1 through the real CLI, as whole processes.

    python benchmarks/bench_fetch.py [--runs 3]

Each run starts from an empty library; it reports wall seconds, papers/s, requests and
papers added (median over runs, with min and max), and the same week imported from the day
files on disk in the same run (the baseline: what the fetch adds over a file import is HTTP).
Prints JSON lines on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.core.online import recorded  # noqa: E402


def run_cli(env: dict[str, str], *args: str) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reader", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args}: exit {done.returncode}: {done.stderr}")
    return seconds, json.loads(done.stdout)


def summary(name: str, times: list[float], result: dict) -> dict:
    papers = result["added"] + result["merged"] + result["unchanged"]
    median = statistics.median(times)
    return {
        "bench": name,
        "runs": len(times),
        "seconds_median": round(median, 3),
        "seconds_min": round(min(times), 3),
        "seconds_max": round(max(times), 3),
        "papers": papers,
        "papers_per_s": round(papers / median, 1),
        "requests": result.get("requests"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    days = recorded.hf_days()
    server = HTTPServer(host="127.0.0.1")
    server.expect_request("/api/daily_papers").respond_with_handler(recorded.hf_handler(days))
    server.expect_request("/oai").respond_with_handler(recorded.oai_handler([]))
    server.start()
    base = server.url_for("").rstrip("/")
    env = {
        **os.environ,
        "PAPER_READER_HF_URL": base,
        "PAPER_READER_ARXIV_OAI_URL": f"{base}/oai",
        "PAPER_READER_REQUEST_INTERVAL": "0",  # the real arXiv gets its 3 s; not measured
    }
    try:
        with tempfile.TemporaryDirectory() as scratch:
            files = []
            for day, body in days.items():
                path = Path(scratch) / f"{day}.json"
                path.write_bytes(body)
                files.append(str(path))
            cases = {
                "fetch_hf_week": ["fetch", "hf", "--from", recorded.WEEK[0], "--to",
                                  recorded.WEEK[-1]],
                "import_hf_week_files": ["import", *files],
                "fetch_oai_harvest": ["fetch", "oai", "--set", "math", "--from", "2023-03-07"],
            }  # fmt: skip
            for name, command in cases.items():
                times, result = [], {}
                for run in range(args.runs):
                    library = Path(scratch) / f"{name}-{run}"
                    seconds, result = run_cli(env, "--library", str(library), *command)
                    times.append(seconds)
                print(json.dumps(summary(name, times, result)), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
