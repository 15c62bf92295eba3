"""The Library facade: importing the seed pages and other files, reports, user state."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reader.core.library import Library, PaperNotFound
from tests.core.conftest import SEED_LISTINGS, SEED_PAPERS, build_library, record, seed_files

JOWA_TITLE = "Scaling Offline Model-Based RL via Jointly-Optimized World-Action Model Pretraining"


@pytest.fixture(scope="module")
def seed_library(seed_library_dir: Path) -> Library:
    """The shared seed library, opened read-mostly (tests must not change it)."""
    with Library(seed_library_dir) as library:
        yield library


def listing_dates(library: Library) -> Counter[str]:
    return Counter(r[0] for r in library.store.query("SELECT listed_on FROM listings"))


def hf_api_day(path: Path, items: list[dict[str, object]]) -> Path:
    """An HF ``/api/daily_papers`` day file with the given papers."""
    payload = [
        {
            "paper": {
                "id": item["id"],
                "title": item["title"],
                "summary": item.get("summary", ""),
                "authors": [{"name": name, "hidden": False} for name in item["authors"]],
                "publishedAt": item.get("publishedAt", "2024-10-16T17:59:59.000Z"),
                "upvotes": item.get("upvotes", 7),
            },
            "publishedAt": "2024-10-17T00:00:00.000Z",
            "title": item["title"],
            "numComments": 0,
        }
        for item in items
    ]
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


# -- the seed pages ------------------------------------------------------------------------------


def test_seed_pages_import_to_317_papers_and_420_listings(seed_library: Library):
    stats = seed_library.stats()
    assert stats["papers"] == SEED_PAPERS
    assert stats["listings"] == SEED_LISTINGS
    assert stats["indexed"] == SEED_PAPERS
    assert stats["imports"] == len(seed_files())


def test_reimporting_the_seeds_adds_nothing(copy_seed_library):
    library, _ = copy_seed_library()
    report = library.import_files(seed_files())
    assert report.added == 0
    assert report.merged == 0
    assert report.unchanged == SEED_LISTINGS
    assert report.rejected == 0 and not report.errors
    assert library.stats()["papers"] == SEED_PAPERS
    assert library.stats()["listings"] == SEED_LISTINGS
    assert library.check().consistent


def test_page_dates_without_a_year_are_stored_without_one(seed_library: Library):
    dates = listing_dates(seed_library)
    assert dates["--08-08"] == 76
    assert set(dates) == {"", "--08-08", "--08-18", "--08-20", "--09-10"}
    assert not any(d[:4].isdigit() for d in dates)  # no year was invented


def test_undated_page_listings_have_an_empty_date(seed_library: Library):
    assert listing_dates(seed_library)[""] == 119


def test_the_year_option_completes_page_dates(tmp_path: Path):
    with Library(tmp_path) as library:
        report = library.import_files(seed_files(), year=2024)
        assert report.added == SEED_PAPERS
        dates = listing_dates(library)
        assert dates["2024-08-08"] == 76
        assert dates[""] == 119
        assert not any(d.startswith("--") for d in dates)
        assert sum(dates.values()) == SEED_LISTINGS


def test_seed_papers_have_title_and_abstract_but_no_ids(seed_library: Library):
    row = seed_library.store.query(
        "SELECT count(*), count(arxiv_id), sum(abstract != ''), sum(published IS NULL) FROM papers"
    )[0]
    assert tuple(row) == (SEED_PAPERS, 0, SEED_PAPERS, SEED_PAPERS)
    paper = seed_library.paper(seed_library.resolve("1"))
    assert paper.title == JOWA_TITLE
    assert paper.listings and paper.listings[0].kind == "hf-page"


def test_show_of_an_unknown_paper_raises_paper_not_found(seed_library: Library):
    with pytest.raises(PaperNotFound):
        seed_library.paper(999_999)
    with pytest.raises(PaperNotFound):
        seed_library.paper("2999.99999")


# -- merging with other sources ------------------------------------------------------------------


def test_hf_page_papers_merge_with_the_hf_api_json(copy_seed_library, tmp_path: Path):
    library, _ = copy_seed_library()
    day = hf_api_day(
        tmp_path / "2024-10-17.json",
        [
            {
                "id": "2410.00001",
                # different case and punctuation: the normalised title still matches
                "title": "Scaling offline model based RL via jointly optimized world action "
                "model pretraining",
                "summary": "A short summary.",
                "authors": ["Jie Cheng", "Ruixi Qiao"],
                "upvotes": 12,
            },
            {"id": "2410.00002", "title": "A paper that is not on the pages", "authors": ["X"]},
        ],
    )
    before = library.paper(1)
    report = library.import_files([day])
    assert (report.added, report.merged, report.rejected) == (1, 1, 0)
    assert library.stats()["papers"] == SEED_PAPERS + 1
    paper = library.paper("2410.00001")
    assert paper.id == before.id
    assert paper.title == before.title
    assert paper.abstract == before.abstract  # the page's full abstract is the longer one
    assert paper.authors == ["Jie Cheng", "Ruixi Qiao"]
    assert paper.upvotes == 12
    assert paper.published == "2024-10-16"
    assert len(paper.listings) == len(before.listings) + 1
    assert [h.paper.id for h in library.search("2410.00001").hits] == [before.id]


def test_real_hf_api_samples_import_with_arxiv_ids(tmp_path: Path, shared: Path):
    samples = sorted((shared / "data" / "hf-daily-papers" / "samples").glob("*.json"))
    with Library(tmp_path) as library:
        report = library.import_files(samples)
        assert report.added > 0 and report.rejected == 0 and not report.failed_files
        missing_ids = library.store.query("SELECT count(*) FROM papers WHERE arxiv_id IS NULL")
        assert missing_ids[0][0] == 0
        again = library.import_files(samples)
        assert again.added == 0 and again.merged == 0


# -- import reports ------------------------------------------------------------------------------


def snapshot_line(arxiv_id: str, title: str, **extra: object) -> str:
    fields = {
        "id": arxiv_id,
        "title": title,
        "abstract": f"The abstract of {title}.",
        "authors": "A. Author, B. Author",
        "categories": "cs.LG",
    }
    return json.dumps({**fields, **extra})


def test_bad_records_are_reported_with_file_and_line_and_the_rest_import(tmp_path: Path):
    path = tmp_path / "snapshot.jsonl"
    path.write_text(
        "\n".join(
            [
                snapshot_line("2101.00001", "First good paper"),
                '{"id": "2101.00002", "title": "Broken',
                snapshot_line("2101.00003", "Second good paper"),
                '{"title": "No id here", "abstract": "x"}',
                snapshot_line("2101.00005", "Third good paper"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with Library(tmp_path / "lib") as library:
        report = library.import_files([path])
        assert report.added == 3
        assert report.rejected == 2
        assert not report.failed_files
        assert [(e.position.file, e.position.line) for e in report.errors] == [
            (str(path), 2),
            (str(path), 4),
        ]
        assert all(e.message for e in report.errors)
        as_dict = report.as_dict()
        assert as_dict["errors"][0]["file"] == str(path)
        assert as_dict["errors"][0]["line"] == 2
        assert library.paper("2101.00005").title == "Third good paper"
        batch = library.store.query("SELECT status, added, rejected, errors FROM batches")[0]
        assert (batch["status"], batch["added"], batch["rejected"]) == ("done", 3, 2)
        assert len(json.loads(batch["errors"])) == 2


def test_an_unknown_format_file_is_a_failed_file(tmp_path: Path, seeds: list[Path]):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02\x03PK\x05\x06 binary junk")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with Library(tmp_path / "lib") as library:
        report = library.import_files([junk, empty, seeds[0]])
        assert report.failed_files == [str(junk), str(empty)]
        assert {e.position.file for e in report.errors} == {str(junk), str(empty)}
        assert report.added > 0  # the good file after the bad ones still imports


def test_import_progress_reports_storing_and_indexing(tmp_path: Path, seeds: list[Path]):
    seen = []
    with Library(tmp_path) as library:
        library.import_files(seeds[:2], progress=seen.append)
    assert {p.stage for p in seen} == {"storing", "indexing"}
    assert seen[-1].stage == "indexing"
    assert {p.file_number for p in seen if p.stage == "storing"} == {1, 2}


def test_cancelling_before_the_first_file_imports_nothing(tmp_path: Path, seeds: list[Path]):
    with Library(tmp_path) as library:
        report = library.import_files(seeds, cancelled=lambda: True)
        assert report.cancelled
        assert library.stats()["papers"] == 0


# -- user state ----------------------------------------------------------------------------------


def test_tags_are_cleaned_counted_and_removed(tmp_path: Path):
    with build_library(tmp_path, [record("One"), record("Two")]) as library:
        library.add_tags([1, 2], [" ml / vision ", "todo"])
        library.add_tags([2], ["TODO"])  # tags are case-insensitive
        assert library.tag_counts() == [("ml/vision", 2), ("todo", 2)]
        library.remove_tags([1, 2], ["todo"])
        assert library.tag_counts() == [("ml/vision", 2)]
        assert library.stats()["tags"] == 1


def test_bookmark_read_and_notes_round_trip(tmp_path: Path):
    with build_library(tmp_path, [record("One"), record("Two")]) as library:
        library.set_bookmarked([2], True)
        library.set_read([1, 2], True)
        library.set_read([2], False)
        library.set_notes(1, "remember this")
        one, two = library.papers([1, 2])
        assert (one.bookmarked, one.read, one.notes) == (False, True, "remember this")
        assert (two.bookmarked, two.read, two.notes) == (True, False, "")
        stats = library.stats()
        assert (stats["bookmarked"], stats["unread"]) == (1, 1)


def test_export_of_a_query_contains_only_its_results(tmp_path: Path):
    records = [
        record("Quantum error correction", arxiv_id="2001.00001", authors=["Ann Lee"]),
        record("Protein folding", arxiv_id="2001.00002", authors=["Bo Chen"]),
    ]
    with build_library(tmp_path, records) as library:
        everything = json.loads(library.export("csl-json"))
        only = json.loads(library.export("csl-json", query="quantum"))
        assert len(everything) == 2
        assert [item["title"] for item in only] == ["Quantum error correction"]
        assert "Protein folding" not in library.export("bibtex", query="quantum")
        with pytest.raises(ValueError):
            library.export("ris")
