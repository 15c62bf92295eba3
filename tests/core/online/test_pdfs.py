"""The offline PDF cache: downloads from a local server, checks, pins, eviction, ``check``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fpdf import FPDF
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from reader.cli import main
from reader.core.library import Library
from reader.core.online.http import FetchError
from reader.core.pdfs import NotAPdf
from reader.core.views import View
from tests.core.conftest import record


def make_pdf(words: list[str], pages: int = 3) -> bytes:
    """A small real PDF: page ``i`` says ``words[i]`` among filler text."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for i in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {i + 1}. {words[i % len(words)]} " + "filler text " * 40)
    return bytes(pdf.output())


@pytest.fixture
def library(tmp_path: Path) -> Library:
    library = Library(tmp_path / "lib")
    library.store.write_records(
        [
            record("Attention Is All You Need", arxiv_id="1706.03762", authors=["A. Vaswani"]),
            record("Deep Residual Learning", arxiv_id="1512.03385"),
            record("Adam: A Method for Stochastic Optimization", arxiv_id="1412.6980"),
            record("A Paper Without Any Link"),
        ],
        None,
    )
    library.catch_up_index()
    yield library
    library.close()


def serve_pdfs(server: HTTPServer, bodies: dict[str, bytes]) -> list[str]:
    asked: list[str] = []

    def handle(request: Request) -> Response:
        arxiv_id = request.path.removeprefix("/pdf/")
        asked.append(arxiv_id)
        if arxiv_id not in bodies:
            return Response("not found", status=404)
        return Response(bodies[arxiv_id], content_type="application/pdf")

    server.expect_request(re.compile(r"^/pdf/.*")).respond_with_handler(handle)
    return asked


def test_a_downloaded_pdf_is_whole_recorded_and_left_no_temporary_file(
    server: HTTPServer, library: Library
):
    body = make_pdf(["transformer"], pages=4)
    serve_pdfs(server, {"1706.03762": body})
    paper_id = library.resolve("1706.03762")
    info = library.download_pdf(paper_id)
    assert info.path.read_bytes() == body and info.pages == 4 and info.size == len(body)
    assert info.path.parent == library.folder / "pdfs"
    assert [p.name for p in info.path.parent.iterdir()] == ["1706.03762.pdf"]
    assert library.derived.pdfs.offline_ids() == {paper_id}
    assert library.check().consistent
    views = library.open_views()  # what the list shows: the offline mark and view
    try:
        rows = views.rows([paper_id, library.resolve("1412.6980")])
        assert rows[paper_id].offline and not rows[library.resolve("1412.6980")].offline
        assert list(views.ids(View(kind="offline"))) == [paper_id]
        assert views.counts()["offline"] == 1
    finally:
        views.close()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>Please verify you are human</body></html>", "web page"),
        (None, "cut off"),  # the first half of a real PDF
        (b"GIF89a not a pdf at all", "not a PDF"),
    ],
)
def test_what_is_not_a_whole_pdf_is_refused_and_nothing_is_kept(
    server: HTTPServer, library: Library, body: bytes | None, message: str
):
    whole = make_pdf(["x"], pages=3)
    serve_pdfs(server, {"1706.03762": body if body is not None else whole[: len(whole) // 2]})
    with pytest.raises(NotAPdf, match=message):
        library.download_pdf(library.resolve("1706.03762"))
    assert library.derived.pdfs.offline_ids() == set()
    assert not list((library.folder / "pdfs").iterdir())
    assert library.check().consistent


def test_a_pdf_declared_at_2_gb_is_not_downloaded(server: HTTPServer, library: Library):
    def handle(request: Request) -> Response:
        response = Response(b"%PDF-1.7", content_type="application/pdf")
        response.headers["Content-Length"] = str(2 * 1024**3)
        response.automatically_set_content_length = False
        return response

    server.expect_request("/pdf/1706.03762").respond_with_handler(handle)
    with pytest.raises(FetchError, match="not downloaded"):
        library.download_pdf(library.resolve("1706.03762"))
    assert not list((library.folder / "pdfs").iterdir())


def test_offline_for_a_tag_downloads_its_papers_and_names_the_ones_that_fail(
    server: HTTPServer, library: Library, capsys: pytest.CaptureFixture[str]
):
    asked = serve_pdfs(server, {"1706.03762": make_pdf(["a"]), "1412.6980": make_pdf(["b"])})
    ids = [library.resolve(r) for r in ("1706.03762", "1512.03385", "1412.6980")]
    library.add_tags(ids, ["reading/train"])
    unlinked = library.store.query("SELECT id FROM papers WHERE arxiv_id IS NULL")[0][0]
    library.add_tags([unlinked], ["reading"])
    folder = str(library.folder)
    code = main(["--library", folder, "offline", "--tag", "reading", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 2  # one paper failed
    assert report["downloaded"] == 2 and report["no_source"] == 1
    assert report["failed"][0]["id"] == library.resolve("1512.03385")
    assert "404" in report["failed"][0]["message"]
    assert sorted(asked) == ["1412.6980", "1512.03385", "1706.03762"]
    asked.clear()
    main(["--library", folder, "offline", "--tag", "reading", "--json"])
    again = json.loads(capsys.readouterr().out)
    assert again["already"] == 2 and asked == ["1512.03385"]  # only the missing one again
    asked.clear()
    library.remove_tags(ids, ["reading/train"])
    assert main(["--library", folder, "offline", "--ids", "1706.03762", "1512.03385"]) == 2
    assert asked == ["1512.03385"]
    assert "downloaded 0, already offline 1, no PDF source 0, failed 1" in capsys.readouterr().out


def test_the_cap_evicts_the_least_recently_read_unpinned_pdf(server: HTTPServer, library: Library):
    bodies = {a: make_pdf([a], pages=30) for a in ("1706.03762", "1512.03385", "1412.6980")}
    serve_pdfs(server, bodies)
    attention, resnet, adam = (library.resolve(a) for a in bodies)
    library.add_tags([attention], ["keep"])
    library.make_offline(tag="keep")  # pinned
    library.download_pdf(resnet)
    library.derived.pdfs.remember_page(resnet, 5)  # read: more recent than the pinned one
    size = library.derived.pdfs.info(resnet).size  # type: ignore[union-attr]
    library.derived.pdfs.set_cap_mb((2 * size + size // 2) / 1024 / 1024)  # room for two and a half
    library.download_pdf(adam)  # over the cap: resnet goes, never the pinned attention
    assert library.derived.pdfs.offline_ids() == {attention, adam}


def test_check_finds_a_missing_file_and_a_stray_one_and_repair_mends_both(
    server: HTTPServer, library: Library, capsys: pytest.CaptureFixture[str]
):
    serve_pdfs(server, {"1706.03762": make_pdf(["a"]), "1412.6980": make_pdf(["b"])})
    first = library.download_pdf(library.resolve("1706.03762"))
    library.download_pdf(library.resolve("1412.6980"))
    first.path.unlink()
    (library.folder / "pdfs" / ".1412.6980.pdf.999.part").write_bytes(b"%PDF-half")
    report = library.check()
    assert not report.consistent
    assert report.pdfs_missing == [first.paper_id]
    assert report.pdf_strays == [".1412.6980.pdf.999.part"]
    folder = str(library.folder)
    assert main(["--library", folder, "check"]) == 1
    assert "PDF files missing" in capsys.readouterr().out
    repaired = library.repair()
    assert repaired.consistent and library.derived.pdfs.offline_ids() == {
        library.resolve("1412.6980")
    }


def test_the_pdf_command_prints_the_path_or_says_it_is_not_offline(
    server: HTTPServer, library: Library, capsys: pytest.CaptureFixture[str]
):
    serve_pdfs(server, {"1706.03762": make_pdf(["a"])})
    folder = str(library.folder)
    assert main(["--library", folder, "pdf", "1706.03762", "--path"]) == 2
    assert "not available offline" in capsys.readouterr().err
    assert main(["--library", folder, "pdf", "1706.03762", "--download", "--path"]) == 0
    assert capsys.readouterr().out.strip().endswith("pdfs/1706.03762.pdf")
    library.derived.pdfs.remember_page(library.resolve("1706.03762"), 2)
    assert main(["--library", folder, "pdf", "1706.03762"]) == 0
    assert "3 pages" in (out := capsys.readouterr().out) and "last read page 3" in out
