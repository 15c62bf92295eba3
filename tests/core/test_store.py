"""The SQLite store: identity resolution, merging, whole-batch transactions, the schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from reader.core import store as store_module
from reader.core.library import Library
from reader.core.schema import SCHEMA_VERSION, LibraryTooNew
from reader.core.store import Store
from tests.core.conftest import build_library, record


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "library.sqlite")
    yield store
    store.close()


def titles(store: Store) -> list[str]:
    return [row[0] for row in store.query("SELECT title FROM papers ORDER BY id")]


# -- identity ------------------------------------------------------------------------------------


def test_same_arxiv_id_in_any_version_or_form_is_one_paper(store: Store):
    forms = [
        "2406.12345v1",
        "arXiv:2406.12345v3",
        "https://arxiv.org/abs/2406.12345",
        "2406.12345",
    ]
    outcomes = [
        store.write_records([record(f"Title variant {i}", arxiv_id=form)], None)
        for i, form in enumerate(forms)
    ]
    assert store.count() == 1
    assert outcomes[0].added == 1
    assert all(o.added == 0 for o in outcomes[1:])
    assert store.query("SELECT arxiv_id FROM papers")[0][0] == "2406.12345"


def test_old_style_arxiv_ids_merge_across_versions(store: Store):
    store.write_records([record("Old paper", arxiv_id="hep-th/9901001v2")], None)
    store.write_records([record("Old paper, retitled", arxiv_id="HEP-TH/9901001")], None)
    assert store.count() == 1
    assert store.resolve("hep-th/9901001v1") == store.resolve("1")


def test_same_doi_in_different_forms_merges(store: Store):
    store.write_records([record("A journal paper", doi="10.1000/ABC.123")], None)
    outcome = store.write_records(
        [record("The same paper, other title", doi="https://doi.org/10.1000/abc.123")], None
    )
    assert store.count() == 1
    assert outcome.added == 0


def test_normalised_title_match_merges_a_record_without_ids(store: Store):
    store.write_records([record("Attention Is All You Need", arxiv_id="1706.03762")], None)
    outcome = store.write_records(
        [record("  attention is all you need!", abstract="The dominant models...")], None
    )
    assert store.count() == 1
    assert outcome.merged == 1
    paper = store.paper(store.resolve("1706.03762"))
    assert paper.abstract == "The dominant models..."


def test_title_match_with_an_id_fills_the_id_of_a_paper_that_had_none(store: Store):
    store.write_records([record("Mixture of Experts, Revisited")], None)
    store.write_records([record("Mixture-of-Experts revisited", arxiv_id="2401.00001")], None)
    assert store.count() == 1
    assert store.paper(1).arxiv_id == "2401.00001"


def test_same_title_with_a_different_arxiv_id_is_a_different_paper(store: Store):
    store.write_records([record("Introduction to Topology", arxiv_id="2101.00001")], None)
    outcome = store.write_records([record("Introduction to Topology", arxiv_id="2202.00002")], None)
    assert outcome.added == 1
    assert store.count() == 2


def test_near_duplicate_titles_are_flagged_not_merged(store: Store):
    store.write_records([record("Learning to Rank with Graph Neural Networks")], None)
    store.write_records([record("Learning to Rank with Graph Neural Netwrks")], None)
    assert store.count() == 2
    pairs = store.query("SELECT paper_id, other_id, status FROM duplicate_candidates")
    assert [tuple(p) for p in pairs] == [(2, 1, "open")]
    assert store.stats()["duplicate_candidates"] == 1


def test_unrelated_titles_are_not_flagged(store: Store):
    store.write_records([record("Learning to Rank with Graph Neural Networks")], None)
    store.write_records([record("Learning to Walk with Legged Robots in the Wild")], None)
    assert store.count("duplicate_candidates") == 0


def test_duplicates_within_one_batch_merge(store: Store):
    outcome = store.write_records(
        [
            record("Same paper", arxiv_id="2301.00001v1", upvotes=3),
            record("Same paper", arxiv_id="2301.00001v2", upvotes=9),
            record("SAME PAPER"),
        ],
        None,
    )
    assert store.count() == 1
    assert outcome.added == 1
    assert store.paper(1).upvotes == 9


# -- merging -------------------------------------------------------------------------------------


def test_merge_keeps_longer_abstract_unions_categories_and_max_upvotes(store: Store):
    store.write_records(
        [
            record(
                "Diffusion Transformers",
                arxiv_id="2212.09748",
                abstract="A longer abstract that should survive a shorter one.",
                categories=["cs.CV", "cs.LG"],
                upvotes=40,
            )
        ],
        None,
    )
    store.write_records(
        [
            record(
                "Diffusion Transformers",
                arxiv_id="2212.09748v2",
                abstract="Short.",
                categories=["cs.AI", "cs.CV"],
                upvotes=12,
            )
        ],
        None,
    )
    paper = store.paper(1)
    assert paper.abstract == "A longer abstract that should survive a shorter one."
    assert paper.categories == ["cs.CV", "cs.LG", "cs.AI"]  # the primary stays first
    assert paper.upvotes == 40
    store.write_records(
        [record("Diffusion Transformers", arxiv_id="2212.09748", upvotes=99, abstract="x" * 200)],
        None,
    )
    paper = store.paper(1)
    assert paper.upvotes == 99
    assert paper.abstract == "x" * 200


def test_merge_fills_empty_fields_but_never_replaces_them(store: Store):
    store.write_records([record("A paper", arxiv_id="2301.00002", doi="10.1000/first")], None)
    store.write_records(
        [
            record(
                "A paper",
                arxiv_id="2301.00002",
                doi="10.1000/second",
                journal_ref="J. Tests 1 (2023)",
                authors=["A. One", "B. Two"],
            )
        ],
        None,
    )
    paper = store.paper(1)
    assert paper.doi == "10.1000/first"
    assert paper.journal_ref == "J. Tests 1 (2023)"
    assert paper.authors == ["A. One", "B. Two"]


def test_reimporting_an_identical_record_changes_nothing(store: Store):
    rec = record("Stable", arxiv_id="2301.00003", abstract="Same text.", categories=["cs.LG"])
    store.write_records([rec], None)
    stamped = store.query("SELECT rev FROM papers")[0][0]
    outcome = store.write_records([rec], None)
    assert (outcome.added, outcome.merged, outcome.unchanged) == (0, 0, 1)
    assert outcome.touched == []
    assert store.query("SELECT rev FROM papers")[0][0] == stamped  # nothing to re-index


def test_user_state_survives_a_richer_reimport(tmp_path: Path):
    library = build_library(tmp_path, [record("Paper With State", abstract="Short.")])
    with library:
        library.add_tags([1], ["to-read", "nlp/llm"])
        library.set_notes(1, "my private note")
        library.set_bookmarked([1], True)
        library.set_read([1], True)
        outcome = library.store.write_records(
            [
                record(
                    "paper with state",
                    arxiv_id="2405.00001",
                    abstract="A much richer abstract than before.",
                    categories=["cs.CL"],
                    upvotes=5,
                )
            ],
            None,
        )
        library.catch_up_index()
        assert outcome.merged == 1
        paper = library.paper("2405.00001")
        assert paper.id == 1
        assert paper.abstract == "A much richer abstract than before."
        assert paper.tags == ["nlp/llm", "to-read"]
        assert paper.notes == "my private note"
        assert paper.bookmarked and paper.read
        assert [h.paper.id for h in library.search("tag:to-read").hits] == [1]
        assert [h.paper.id for h in library.search("is:bookmarked richer").hits] == [1]


# -- transactions --------------------------------------------------------------------------------


def test_a_batch_that_fails_midway_leaves_nothing_behind(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    store.write_records([record("Existing", abstract="old", listing=("feed", 1, ""))], None)
    rev_before = store.rev()
    real_near_duplicates = store_module.near_duplicates
    calls = {"n": 0}

    def flaky(*args: Any) -> list[tuple[int, int, float]]:
        calls["n"] += 1  # after the batch's papers, merges and listings are written
        if calls["n"] == 1:
            raise RuntimeError("disk on fire")
        return real_near_duplicates(*args)

    monkeypatch.setattr(store_module, "near_duplicates", flaky)
    batch = [
        record("Existing", abstract="a longer, merged abstract", listing=("feed", 2, "")),
        record("New one", listing=("feed", 3, "")),
        record("New two", listing=("feed", 4, "")),
        record("New three", listing=("feed", 5, "")),
    ]
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.write_records(batch, None)
    assert calls["n"] == 1
    assert titles(store) == ["Existing"]
    assert store.paper(1).abstract == "old"
    assert store.count("listings") == 1
    assert store.count("sources") == 1
    assert store.rev() == rev_before
    monkeypatch.undo()
    outcome = store.write_records(batch, None)  # the store is still usable
    assert (outcome.added, outcome.merged) == (3, 1)
    assert store.count("listings") == 5


def test_a_failing_import_batch_leaves_no_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeds: list[Path]
):
    def failing(*args: Any) -> list[tuple[int, int, float]]:
        raise RuntimeError("boom")  # after the batch's papers and listings are written

    monkeypatch.setattr(store_module, "near_duplicates", failing)
    with Library(tmp_path) as library:
        with pytest.raises(RuntimeError):
            library.import_files(seeds[:1])
        assert library.store.count("papers") == 0
        assert library.store.count("listings") == 0


def test_every_write_bumps_the_change_counter(store: Store):
    store.write_records([record("Counted")], None)
    revs = [store.rev()]
    store.add_tags([1], ["x"])
    revs.append(store.rev())
    store.set_flag([1], "bookmarked", True)
    revs.append(store.rev())
    store.set_notes(1, "n")
    revs.append(store.rev())
    store.remove_tags([1], ["x"])
    revs.append(store.rev())
    assert revs == sorted(set(revs))
    assert store.query("SELECT rev FROM papers")[0][0] == revs[-1]


def test_change_counter_stays_above_papers_stamped_behind_its_back(tmp_path: Path):
    """An outside edit that stamps a paper above meta.rev must not hide later changes."""
    store = Store(tmp_path / "library.sqlite")
    store.write_records([record("One"), record("Two")], None)
    outside = sqlite3.connect(tmp_path / "library.sqlite")
    outside.execute("UPDATE papers SET rev = rev + 1000 WHERE id = 1")
    outside.commit()
    outside.close()
    assert store.rev() >= 1001
    store.set_notes(2, "later change")
    assert store.query("SELECT rev FROM papers WHERE id = 2")[0][0] > 1001
    store.close()


# -- the schema ----------------------------------------------------------------------------------


def test_new_library_has_current_schema_wal_and_foreign_keys(store: Store):
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_foreign_keys_cascade_user_data_with_a_deleted_paper(store: Store):
    store.write_records([record("Doomed", listing=("feed", 1, ""))], None)
    store.add_tags([1], ["t"])
    with store.transaction():
        store.conn.execute("DELETE FROM papers WHERE id = 1")
    assert store.count("paper_tags") == 0
    assert store.count("listings") == 0


def test_a_library_from_a_newer_version_is_refused(tmp_path: Path):
    conn = sqlite3.connect(tmp_path / "library.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LibraryTooNew, match="upgrade"):
        Library(tmp_path)


def test_reopening_a_library_keeps_its_data(tmp_path: Path):
    Store(tmp_path / "library.sqlite").close()
    store = Store(tmp_path / "library.sqlite")
    store.write_records([record("Kept")], None)
    store.close()
    store = Store(tmp_path / "library.sqlite")
    assert titles(store) == ["Kept"]
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_a_store_is_empty_until_it_holds_a_paper(store: Store):
    assert store.is_empty()
    store.write_records([record("The Only Paper")], None)
    assert not store.is_empty()
