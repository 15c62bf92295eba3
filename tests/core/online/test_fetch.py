"""Fetching through the CLI from recorded responses on a local server (never the network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from reader.cli import main
from reader.core.library import Library
from tests.core.online import recorded


def fetch(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, dict]:
    code = main(["--library", str(folder), "fetch", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def papers(folder: Path) -> int:
    with Library(folder) as library:
        return library.store.count()


def test_a_recorded_week_of_daily_papers_is_fetched_listed_and_searchable(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    days = recorded.hf_days()
    server.expect_request("/api/daily_papers").respond_with_handler(recorded.hf_handler(days))
    code, summary = fetch(capsys, tmp_path, "hf", "--from", "2026-08-15", "--to", "2026-08-21")
    expected = {p["paper"]["id"] for body in days.values() for p in json.loads(body)}
    assert code == 0
    assert summary["days"] == 7 and summary["requests"] == 7 and summary["failed"] == []
    assert summary["added"] == len(expected) and summary["rejected"] == 0
    with Library(tmp_path) as library:
        ids = {r[0] for r in library.store.query("SELECT arxiv_id FROM papers")}
        assert ids == expected
        days_listed = library.store.query(
            "SELECT DISTINCT listed_on FROM listings ORDER BY listed_on"
        )
        assert [r[0] for r in days_listed] == sorted(days)  # the weekend has no papers
        batches = library.store.query("SELECT file FROM batches")
        assert all("/api/daily_papers?date=2026-08-" in r[0] for r in batches)
        some = json.loads(days["2026-08-21"])[0]["paper"]
        hits = library.search(f'"{some["title"].split()[0]}"', limit=200).hits
        assert some["id"] in {h.paper.arxiv_id for h in hits}
        assert library.check().consistent
    assert not list(tmp_path.glob("fetching-*"))  # the scratch copies are gone


def test_fetching_the_same_day_again_adds_nothing(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    server.expect_request("/api/daily_papers").respond_with_handler(
        recorded.hf_handler(recorded.hf_days())
    )
    _, first = fetch(capsys, tmp_path, "hf", "--date", "2026-08-21")
    _, again = fetch(capsys, tmp_path, "hf", "--date", "2026-08-21")
    assert first["added"] > 0 and again["added"] == 0 and again["unchanged"] == first["added"]


def test_a_day_the_server_fails_on_is_named_and_the_others_are_fetched(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    days = recorded.hf_days()
    good = recorded.hf_handler(days)

    def handle(request: Request) -> Response:
        if request.args["date"] == "2026-08-18":
            return Response("oops", status=500)
        return good(request)

    server.expect_request("/api/daily_papers").respond_with_handler(handle)
    code, summary = fetch(capsys, tmp_path, "hf", "--from", "2026-08-17", "--to", "2026-08-19")
    assert code == 2
    assert len(summary["failed"]) == 1 and summary["failed"][0].startswith("2026-08-18: ")
    assert "500" in summary["failed"][0]
    listed = {p["paper"]["id"] for d in ("2026-08-17", "2026-08-19") for p in json.loads(days[d])}
    assert summary["added"] == len(listed)


def test_an_unreachable_server_is_exit_2_with_one_line_naming_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch, closed_port_url: str
):
    monkeypatch.setenv("PAPER_READER_HF_URL", closed_port_url)
    assert main(["--library", str(tmp_path), "fetch", "hf", "--date", "2026-08-21"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("paper-reader: error: Hugging Face Daily Papers: cannot reach")


def test_a_garbled_day_is_reported_against_its_url(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    server.expect_request("/api/daily_papers").respond_with_data(
        '[{"paper": {"id": "2608.00001", "title": "Fine"}, "publishedAt": "2026-08-21"},'
        ' {"paper": 7}]',
        content_type="application/json",
    )
    code, summary = fetch(capsys, tmp_path, "hf", "--date", "2026-08-21")
    assert summary["added"] == 1 and summary["rejected"] == 1 and code == 1
    assert "/api/daily_papers?date=2026-08-21" in summary["errors"][0]["file"]


def test_an_arxiv_query_is_fetched_page_by_page(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
):
    monkeypatch.setattr("reader.core.online.fetch.ARXIV_PAGE", 10)
    pages = recorded.atom_testing_pages()
    asked: list[tuple[int, int]] = []

    def handle(request: Request) -> Response:
        key = int(request.args["start"]), int(request.args["max_results"])
        asked.append(key)
        assert request.args["search_query"] == "testing"
        return Response(pages[key], content_type="application/atom+xml")

    server.expect_request("/api/query").respond_with_handler(handle)
    code, summary = fetch(capsys, tmp_path, "arxiv", "--query", "testing", "--max", "60")
    assert code == 0, summary
    assert asked == [(0, 10), (10, 10), (20, 10), (30, 10), (40, 10), (50, 10)]
    assert summary["requests"] == 6
    assert summary["added"] + summary["merged"] + summary["unchanged"] == 60
    with Library(tmp_path) as library:
        paper = library.paper("2202.12139")
        assert paper.authors[0] == "Mohit Kumar Ahuja" and "cs.SE" in paper.categories


def test_a_category_fetch_asks_for_the_category(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    page = recorded.atom_testing_pages()[0, 10]
    server.expect_request(
        "/api/query",
        query_string={
            "search_query": "cat:cs.SE",
            "start": "0",
            "max_results": "10",
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        },
    ).respond_with_data(page, content_type="application/atom+xml")
    code, summary = fetch(capsys, tmp_path, "arxiv", "--category", "cs.SE", "--max", "10")
    assert code == 0 and summary["added"] == 10


def test_an_oai_harvest_follows_its_tokens_and_resumes_after_a_failure(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    requests: list[dict[str, str]] = []
    handler = recorded.oai_handler(requests)
    fail_page_3 = [True]

    def handle(request: Request) -> Response:
        if request.args.get("resumptionToken") == recorded.oai_tokens()[1] and fail_page_3[0]:
            requests.append(dict(request.args))
            return Response("maintenance", status=503, headers={"Retry-After": "0"})
        return handler(request)

    server.expect_request("/oai").respond_with_handler(handle)
    code, summary = fetch(capsys, tmp_path, "oai", "--set", "math", "--from", "2023-03-07")
    assert code == 2 and summary["harvest"] == "incomplete"
    assert summary["added"] == 2000  # two whole pages stored
    assert requests[0] == {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "set": "math",
        "from": "2023-03-07",
    }
    fail_page_3[0] = False
    requests.clear()
    code, summary = fetch(capsys, tmp_path, "oai", "--set", "math", "--from", "2023-03-07")
    assert code == 0 and summary["harvest"] == "complete"
    assert requests == [{"verb": "ListRecords", "resumptionToken": recorded.oai_tokens()[1]}]
    assert papers(tmp_path) == 2265


def test_a_resumption_token_that_never_ends_stops_the_harvest(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    page = recorded.oai_pages()[0]  # always the first page, always the same token
    server.expect_request("/oai").respond_with_data(page, content_type="text/xml")
    code, summary = fetch(capsys, tmp_path, "oai", "--set", "math")
    assert code == 2
    assert "same resumption token" in summary["failed"][0]
    assert summary["requests"] == 2 and summary["added"] == 1000


def test_a_sets_first_harvest_takes_a_week_and_the_next_one_continues_where_it_ended(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from datetime import date, timedelta

    requests: list[dict[str, str]] = []
    server.expect_request("/oai").respond_with_handler(recorded.oai_handler(requests))
    code, _ = fetch(capsys, tmp_path, "oai", "--set", "math", "--until", "2026-08-21")
    assert code == 0
    assert requests[0]["from"] == (date.today() - timedelta(days=7)).isoformat()
    requests.clear()
    code, summary = fetch(capsys, tmp_path, "oai", "--set", "math")
    assert requests[0]["from"] == "2026-08-21"  # the last harvest's end
    assert summary["unchanged"] == 2265 and summary["added"] == 0
