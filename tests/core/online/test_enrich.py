"""Enrichment against a local stand-in for arXiv's title search built from real arXiv records
(``arxiv_search``: how its responses are built is said there); never the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from reader.cli import main
from reader.core.library import Library
from reader.core.model import Listing, PaperRecord
from reader.core.online import enrich
from tests.core.online import arxiv_search, recorded

SAMPLE = sorted((Path(__file__).resolve().parents[3] / "resources" / "sample").glob("*.txt"))


def serve(server: HTTPServer, entries: dict[str, arxiv_search.Entry] | None = None) -> list[str]:
    """The stand-in on the test server (the whole corpus, or only ``entries``); the queries
    it was sent."""
    search = arxiv_search.corpus_search() if entries is None else arxiv_search.Search(entries)
    queries: list[str] = []
    server.expect_request("/api/query").respond_with_handler(arxiv_search.handler(search, queries))
    return queries


def entry(arxiv_id: str, **changes: object) -> arxiv_search.Entry:
    from dataclasses import replace

    return replace(arxiv_search.corpus()[arxiv_id], **changes)


def add_paper(library: Library, title: str, abstract: str = "") -> int:
    """A paper as a Daily Papers page gives it: a title, maybe an abstract, nothing else."""
    record = PaperRecord(title, abstract, listing=Listing("Daily Papers", "hf-page", 1))
    paper_id = library.store.write_records([record], None).touched[0]
    library.catch_up_index()
    return paper_id


def run(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, dict]:
    code = main(["--library", str(folder), "enrich", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_the_sample_library_gets_ids_authors_dates_and_categories_and_keeps_user_fields(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    serve(server)
    corpus = arxiv_search.corpus()
    truth = {enrich.loose_key(e.title): e.arxiv_id for e in corpus.values()}
    with Library(tmp_path) as library:
        library.import_files(SAMPLE)
        # a paper whose record has everything: authors, a date, categories
        mine = next(
            p
            for p in library.papers(list(library.store.all_ids()))
            if (e := corpus.get(truth.get(enrich.loose_key(p.title), "")))
            and e.categories
            and e.published
        )
        library.add_tags([mine.id], ["to-read", "parallel"])
        library.set_notes(mine.id, "compare with the lookahead paper")
        library.set_bookmarked([mine.id], True)
        library.set_read([mine.id], True)
    code, summary = run(capsys, tmp_path, "--all")
    assert code == 1  # most sample papers are not in the corpus: left alone, not failed
    assert summary["resolved"] == 56 and summary["failed"] == 0 and summary["ambiguous"] == 0
    assert summary["resolved"] + summary["not_found"] == 317
    resolved = [i for i in summary["items"] if i["status"] == "resolved"]
    assert all(truth[enrich.loose_key(i["title"])] == i["arxiv_id"] for i in resolved)
    with Library(tmp_path) as library:
        paper = library.paper(mine.id)
        record = corpus[truth[enrich.loose_key(mine.title)]]
        assert paper.arxiv_id == record.arxiv_id
        assert paper.authors == record.authors
        assert paper.published == record.published[:10]
        assert paper.categories == record.categories
        assert paper.abs_url == f"https://arxiv.org/abs/{record.arxiv_id}v1"
        assert paper.pdf_url == f"https://arxiv.org/pdf/{record.arxiv_id}v1"
        assert paper.title == mine.title and paper.abstract == mine.abstract
        assert paper.tags == ["parallel", "to-read"] and paper.bookmarked and paper.read
        assert paper.notes == "compare with the lookahead paper"
        hits = library.search(f'"{record.authors[0]}"').hits
        assert mine.id in {h.paper.id for h in hits}  # the index caught up
        assert library.check().consistent
        left = [i for i in summary["items"] if i["status"] == "not found"]
        assert all(library.paper(i["paper_id"]).arxiv_id is None for i in left)
    code, again = run(capsys, tmp_path, "--all")  # the rest are still looked for, no harm
    assert again["resolved"] == 0 and again["not_found"] == 261


def test_titles_that_differ_by_latex_wraps_or_a_renamed_word_are_matched(
    server: HTTPServer, tmp_path: Path
):
    # real pairs: the listings' arXiv title and the Daily Papers' title of the same paper
    latex = "$\\text{R}^2\\text{ec}$: Towards Large Recommender Models with Reasoning"
    texttt = (
        "Simple Semi-supervised Knowledge Distillation from Vision-Language Models via"
        " $\\mathbf{\\texttt{D}}$ual-$\\mathbf{\\texttt{H}}$ead $\\mathbf{\\texttt{O}}$ptimization"
    )
    served = {
        "2505.16994": entry("2505.16994", title=latex),
        "2505.07675": entry("2505.07675", title=texttt),
        "2604.01007": entry(
            "2604.01007",
            title="OmniMem: Autoresearch-Guided Discovery of Lifelong Multimodal\n  Agent Memory",
        ),
    }
    serve(server, served)
    with Library(tmp_path) as library:
        ids = {
            "2505.16994": add_paper(
                library, "R^2ec: Towards Large Recommender Models with Reasoning"
            ),
            "2505.07675": add_paper(
                library,
                "Simple Semi-supervised Knowledge Distillation from Vision-Language Models via"
                " texttt{D}ual-texttt{H}ead texttt{O}ptimization",
                served["2505.07675"].abstract,
            ),
            "2604.01007": add_paper(
                library,
                "Omni-SimpleMem: Autoresearch-Guided Discovery of Lifelong Multimodal Agent Memory",
                served["2604.01007"].abstract,
            ),
        }
        report = library.enrich(list(ids.values()))
        by_paper = {i.paper_id: i for i in report.items}
        assert by_paper[ids["2505.16994"]].match == "exact"  # the LaTeX is only markup
        assert by_paper[ids["2505.07675"]].match == "fuzzy"
        assert by_paper[ids["2604.01007"]].match == "fuzzy"  # the abstract agrees
        for arxiv_id, paper_id in ids.items():
            assert library.paper(paper_id).arxiv_id == arxiv_id


def test_near_candidates_leave_the_paper_alone_never_a_wrong_paper(
    server: HTTPServer, tmp_path: Path
):
    nemotron = ["2512.20848", "2604.12374", "2606.15007"]  # Nano, Super, Ultra
    twins = ["2508.01652", "2601.14729"]  # two papers, one title
    qwen = ["2503.20215"]  # Qwen2.5-Omni only: Qwen3.5-Omni is not served
    serve(server, {i: arxiv_search.corpus()[i] for i in nemotron + twins + qwen})
    with Library(tmp_path) as library:
        vague = add_paper(
            library,
            "Nemotron 3: Open, Efficient Mixture-of-Experts Hybrid Mamba-Transformer Model for"
            " Agentic Reasoning",
        )
        same_title = add_paper(
            library,
            "Cosmological constraints on f(T,B) gravity from observations of early and late"
            " Universe",
        )
        other_version = add_paper(library, "Qwen3.5-Omni Technical Report")
        report = library.enrich(None)
        status = {i.paper_id: i for i in report.items}
        assert status[vague].status == "not found"  # 97.5 title-only: below 98
        assert "closest: 2512.20848" in status[vague].message
        assert status[same_title].status == "ambiguous"
        assert "2508.01652" in status[same_title].message
        twin_records = [
            PaperRecord(e.title, e.abstract, arxiv_id=e.arxiv_id)
            for e in (arxiv_search.corpus()[i] for i in twins)
        ]
        told = enrich.choose(
            library.paper(same_title).title, twin_records[1].abstract, twin_records
        )
        assert told.status == "resolved" and told.record is twin_records[1]  # by its abstract
        assert status[other_version].status == "not found"
        assert "numbers differ" in status[other_version].message
        left = [vague, same_title, other_version]
        assert all(p.arxiv_id is None and not p.authors for p in library.papers(left))


def test_two_candidates_close_above_the_threshold_are_ambiguous():
    records = [
        PaperRecord(e.title, e.abstract, e.authors, arxiv_id=e.arxiv_id)
        for e in (arxiv_search.corpus()[i] for i in ("2604.12374", "2606.15007"))
    ]  # Nemotron 3 Super and Ultra; a title between the two, and a lower threshold
    title = (
        "Nemotron 3 Supra: Open, Efficient Mixture-of-Experts Hybrid Mamba-Transformer Model"
        " for Agentic Reasoning"
    )
    choice = enrich.choose(title, "", records, fuzzy_title_only=95.0)
    assert choice.status == "ambiguous" and choice.record is None
    assert "2604.12374" in choice.message and "2606.15007" in choice.message
    assert enrich.choose(title, "", records[:1], fuzzy_title_only=95.0).status == "resolved"


def test_a_paper_that_is_another_library_paper_merges_into_it_keeping_both_users_fields(
    server: HTTPServer, tmp_path: Path
):
    served = {"2505.16994": entry("2505.16994", title="R$^2$ec: Towards Large Recommender Models")}
    serve(server, served)
    feed = tmp_path / "arxiv.xml"
    feed.write_bytes(arxiv_search.feed(list(served.values()), "ti:r2ec", 0, 1))
    folder = tmp_path / "library"
    with Library(folder) as library:
        library.import_files([feed], fmt="arxiv-atom")
        known = library.resolve("2505.16994")
        library.add_tags([known], ["recsys"])
        library.set_notes(known, "from the arXiv feed")
        page = add_paper(library, "R2ec: towards large recommender models!")
        library.add_tags([page], ["reasoning"])
        library.set_notes(page, "seen on Daily Papers")
        library.set_bookmarked([page], True)
        assert library.store.count() == 2
        report = library.enrich([page])
        assert report.items[0].status == "resolved" and report.items[0].merged_into == known
        assert library.store.count() == 1
        paper = library.paper(known)
        assert paper.tags == ["reasoning", "recsys"] and paper.bookmarked
        assert paper.notes == "from the arXiv feed\n\nseen on Daily Papers"
        assert {lst.source for lst in paper.listings} == {"arxiv.xml", "Daily Papers"}
        assert [h.paper.id for h in library.search("tag:reasoning").hits] == [known]
        assert library.check().consistent  # the merged paper left the index


def test_429_and_500_are_retried_and_a_paper_that_keeps_failing_is_named(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = arxiv_search.handler(arxiv_search.corpus_search())
    answers = iter([Response("slow down", 429, {"Retry-After": "0"}), Response("oops", 500)])

    def handle(request: Request) -> Response:
        if "scaling" in request.args.get("search_query", "").lower():
            return Response("broken", 500)  # always
        return next(answers, None) or good(request)

    server.expect_request("/api/query").respond_with_handler(handle)
    with Library(tmp_path) as library:
        first = add_paper(library, "Parallel Scaling Law for Language Models")
        second = add_paper(library, "Reasoning Models Can Be Effective Without Thinking")
    code, summary = run(capsys, tmp_path, str(first), str(second))
    assert code == 2
    items = {i["paper_id"]: i for i in summary["items"]}
    assert items[first]["status"] == "failed" and "500" in items[first]["message"]
    assert items[second]["status"] == "resolved" and items[second]["arxiv_id"] == "2504.09858"


def test_an_unreachable_arxiv_says_so_and_changes_nothing(
    tmp_path: Path,
    closed_port_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("PAPER_READER_ARXIV_API_URL", f"{closed_port_url}/api/query")
    with Library(tmp_path) as library:
        library.import_files(SAMPLE[:1])
        before = library.store.rev()
    code = main(["--library", str(tmp_path), "enrich", "--all"])
    err = capsys.readouterr().err
    assert code == 2
    assert "arXiv API: cannot reach 127.0.0.1" in err and "are you online?" in err
    with Library(tmp_path) as library:
        assert library.store.rev() == before


def test_a_fetch_looks_up_the_papers_it_added_without_an_arxiv_id(
    server: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    day = "2026-08-21"
    items = json.loads(recorded.hf_days()[day])
    bare = items[0]["paper"]
    arxiv_id = bare["id"]
    items[0]["paper"] = {"title": bare["title"], "summary": bare["summary"], "id": ""}
    served = {arxiv_id: arxiv_search.corpus()[arxiv_id]}
    queries = serve(server, served)
    server.expect_request("/api/daily_papers").respond_with_handler(
        recorded.hf_handler({day: json.dumps(items).encode()})
    )
    code = main(["--library", str(tmp_path), "fetch", "hf", "--date", day, "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["enriched"]["resolved"] == 1 and len(queries) == 1
    with Library(tmp_path) as library:
        paper = library.paper(arxiv_id)
        assert paper.authors == served[arxiv_id].authors
        assert library.check().consistent
