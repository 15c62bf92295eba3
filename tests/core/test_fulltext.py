"""A PDF's text: extraction within its caps, and the search of it (the index's body field)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fpdf import FPDF

from reader.cli import main
from reader.core.fulltext import NoText, extract_text
from reader.core.library import Library, PaperNotFound
from reader.core.search import highlight
from reader.core.search import whoosh_compat as compat
from tests.core.conftest import build_library, record

FILLER = "The method is evaluated on standard benchmarks and compared with baselines. "


def write_pdf(path: Path, pages: list[str], lines: list[str] | None = None) -> Path:
    """A real PDF: one page per text (wrapped by fpdf2), then optional one-line cells."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    if lines:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def marked(word: str) -> str:
    return highlight.START + word + highlight.END


@pytest.fixture
def library(tmp_path: Path) -> Library:
    library = build_library(
        tmp_path / "lib",
        [
            record("Zanzibar Routing for Sparse Experts", abstract="Experts are routed."),  # 1
            # 2: the word once, in a long abstract
            record("Sparse Mixtures", abstract=FILLER * 60 + "A zanzibar variant helps."),
            record("Protein Folding with Transformers", abstract="Structure prediction."),  # 3
            *(record(f"Filler paper {n}", abstract=FILLER * 2) for n in range(10)),
        ],
    )
    yield library
    library.close()


# -- extraction ---------------------------------------------------------------------------------


def test_extraction_reads_every_page_and_joins_line_end_hyphens(tmp_path: Path):
    pages = [f"Page {n}: {FILLER * 5} word{n}marker" for n in range(5)]
    path = write_pdf(tmp_path / "p.pdf", pages, lines=["the exam-", "ple of state-of-the-", "Art"])
    text = extract_text(path)
    assert (text.pages, text.page_count, text.truncated) == (6, 6, False)
    assert all(f"word{n}marker" in text.body for n in range(5))
    assert "the example of state-of-the-Art" in text.body
    assert "  " not in text.body and "\n" not in text.body


def test_extraction_stops_at_its_page_character_and_time_caps(tmp_path: Path):
    path = write_pdf(tmp_path / "p.pdf", [f"{FILLER * 8} page{n}word" for n in range(6)])
    by_pages = extract_text(path, max_pages=2)
    assert (by_pages.pages, by_pages.page_count, by_pages.truncated) == (2, 6, True)
    assert "page1word" in by_pages.body and "page2word" not in by_pages.body
    by_chars = extract_text(path, max_chars=500)
    assert by_chars.truncated and 400 < len(by_chars.body) <= 500
    assert not by_chars.body.endswith(" ")
    by_time = extract_text(path, deadline=0.0)  # the deadline is looked at after each page
    assert (by_time.pages, by_time.truncated) == (1, True)


def _encrypted(path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 6, "secret words")
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.output(str(path))


def _blank(path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.output(str(path))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.write_text("<!DOCTYPE html><html><body>Verify you are human</body></html>"),
            "web page",
        ),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"GIF89a not a pdf at all"), "not a PDF"),
        (lambda p: p.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200), "damaged"),
        (_encrypted, "encrypted"),
        (_blank, "no text"),
        (lambda p: None, "cannot be read"),  # no file at all
    ],
)
def test_a_file_without_text_raises_one_error_that_says_why(tmp_path: Path, make, message):
    path = tmp_path / "paper.pdf"
    make(path)
    with pytest.raises(NoText, match=message):
        extract_text(path)


def test_a_cut_off_pdf_gives_its_readable_pages_or_says_it_has_none(tmp_path: Path):
    whole = write_pdf(tmp_path / "whole.pdf", [f"{FILLER * 4} page{n}word" for n in range(4)])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    try:
        text = extract_text(cut)
    except NoText as e:
        assert str(e)
    else:
        assert text.pages >= 1 and text.body


# -- search -------------------------------------------------------------------------------------


def test_a_word_only_in_the_pdf_is_found_marked_with_a_snippet_from_the_text(
    library: Library, tmp_path: Path
):
    body = [FILLER * 20, FILLER * 10 + "The heliotrope ablation removes the router. " + FILLER]
    assert library.extract_fulltext(3, write_pdf(tmp_path / "p.pdf", body)) == 2
    results = library.search("heliotrope")
    [hit] = results.hits
    assert hit.paper.id == 3 and hit.in_fulltext
    assert marked("heliotrope") in hit.snippet and "router" in hit.snippet
    assert len(highlight.as_plain(hit.snippet)) < 400
    assert [h.paper.id for h in library.search("body:heliotrope").hits] == [3]
    assert [h.paper.id for h in library.search("fulltext:heliotrope").hits] == [3]
    assert [h.paper.id for h in library.search('"heliotrope ablation"').hits] == [3]
    assert library.search("title:heliotrope").hits == []
    plain = library.search("structure prediction").hits  # its abstract: not marked
    assert [(h.paper.id, h.in_fulltext) for h in plain] == [(3, False)]


def test_title_and_abstract_matches_rank_above_a_match_only_in_the_pdf(
    library: Library, tmp_path: Path
):
    # paper 3's text says it 200 times (a far higher body score than paper 2's one mention
    # in a long abstract, even weighted down): its place comes from where it matched
    library.extract_fulltext(3, write_pdf(tmp_path / "p.pdf", ["zanzibar " * 200]))
    hits = library.search("zanzibar").hits
    assert [(h.paper.id, h.in_fulltext) for h in hits] == [(1, False), (2, False), (3, True)]
    assert hits[2].score > hits[1].score
    # a word in the title and one only in the text: it needed the text, so it says so
    both = library.search("zanzibar transformers").hits
    assert [(h.paper.id, h.in_fulltext) for h in both] == [(3, True)]
    assert marked("zanzibar") in both[0].snippet


def test_check_stays_consistent_and_reindex_keeps_the_text(library: Library, tmp_path: Path):
    library.extract_fulltext(3, write_pdf(tmp_path / "p.pdf", [FILLER + "heliotrope"]))
    assert library.check().consistent
    library.reindex()  # the body comes from SQLite, like every other field
    assert [h.paper.id for h in library.search("heliotrope").hits] == [3]
    assert library.check().consistent
    pages, truncated = library.store.query("SELECT pages, truncated FROM fulltext")[0]
    assert (pages, truncated) == (1, 0)


def test_deleting_the_text_takes_its_words_out_of_the_index(library: Library, tmp_path: Path):
    library.extract_fulltext(3, write_pdf(tmp_path / "p.pdf", [FILLER + "heliotrope"]))
    assert library.delete_fulltext([3, 1]) == 1
    assert library.search("heliotrope").hits == []
    assert [h.paper.id for h in library.search("structure prediction").hits] == [3]
    assert library.check().consistent
    assert library.delete_fulltext([3]) == 0


def test_text_for_an_unknown_paper_is_refused(library: Library, tmp_path: Path):
    with pytest.raises(PaperNotFound):
        library.extract_fulltext(999, write_pdf(tmp_path / "p.pdf", [FILLER]))
    assert library.store.count("fulltext") == 0


def test_an_index_without_the_body_field_is_rebuilt_on_open(library: Library, tmp_path: Path):
    from whoosh.fields import Schema

    from reader.core.search.codec import ArrayCodec
    from reader.core.search.index import MARKER_ID, make_schema
    from reader.core.search.storage import MappedStorage

    library.extract_fulltext(3, write_pdf(tmp_path / "p.pdf", [FILLER + "heliotrope"]))
    rev, folder = library.store.rev(), library.folder
    library.close()
    index = folder / "index"
    shutil.rmtree(index)
    index.mkdir()
    old = Schema(**{n: f for n, f in make_schema().items() if n != "body"})
    writer = MappedStorage(str(index)).create_index(old).writer(codec=ArrayCodec())
    writer.add_document(id=MARKER_ID, rev=rev, max_id=13)  # "caught up", by the old schema
    writer.commit()
    with Library(folder) as reopened:
        assert reopened.index_status() == "rebuilding"
        reopened.repair()
        assert [h.paper.id for h in reopened.search("heliotrope").hits] == [3]


def test_cli_search_says_in_full_text(library: Library, tmp_path: Path, capsys):
    library.extract_fulltext(3, write_pdf(tmp_path / "p.pdf", [FILLER + "heliotrope"]))
    folder = library.folder
    library.close()
    assert main(["--library", str(folder), "search", "heliotrope"]) == 0
    out = capsys.readouterr().out
    assert "Protein Folding" in out and "in full text: … benchmarks" in out and "heliotrope" in out
    assert main(["--library", str(folder), "search", "--json", "heliotrope"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert hit["id"] == 3 and hit["in_fulltext"] is True and "heliotrope" in hit["snippet"]
    assert main(["--library", str(folder), "search", "--json", "structure"]) == 0
    assert [h["in_fulltext"] for h in json.loads(capsys.readouterr().out)] == [False]


def test_a_batch_of_texts_is_indexed_once_at_its_end(library: Library, tmp_path: Path):
    segments = len(compat.segments(library.derived.index.ix))
    for paper_id in (1, 3):
        pdf = write_pdf(tmp_path / f"{paper_id}.pdf", [f"{FILLER} heliotrope{paper_id}"])
        library.extract_fulltext(paper_id, pdf, index=False)
    assert library.search("heliotrope3").hits == [] and library.check().behind == 2
    library.catch_up_index()
    assert sorted(h.paper.id for h in library.search("heliotrope1 OR heliotrope3").hits) == [1, 3]
    assert len(compat.segments(library.derived.index.ix)) == segments + 1
