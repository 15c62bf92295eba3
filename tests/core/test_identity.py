"""Which stored paper a record is: the resolver, the owner of an id, near-duplicate titles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.core.identity import Resolver, near_duplicates, owner_of
from reader.core.merge import record_to_row
from reader.core.store import Store
from tests.core.conftest import record


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "library.sqlite")
    yield store
    store.close()


def row(title: str, **fields: object) -> dict[str, Any]:
    return record_to_row(record(title, **fields))


def stored(store: Store, paper_id: int) -> dict[str, Any]:
    return dict(store.query("SELECT * FROM papers WHERE id = ?", (paper_id,))[0])


def test_resolver_matches_by_arxiv_id_then_doi_then_title(store: Store):
    store.write_records(
        [
            record("Paper one", arxiv_id="2101.00001"),
            record("Paper two", doi="10.1000/two"),
            record("Paper three"),
        ],
        None,
    )
    rows = [
        row("Another title", arxiv_id="arXiv:2101.00001v3"),
        row("Another title", doi="https://doi.org/10.1000/TWO"),
        row("PAPER three!"),
        row("Paper four"),
    ]
    resolver = Resolver(store.conn, rows)
    assert [(found or {}).get("id") for found, _ in map(resolver.match, rows)] == [1, 2, 3, None]


def test_resolver_keeps_two_arxiv_ids_apart_and_drops_a_doi_another_paper_holds(store: Store):
    store.write_records([record("Paper one", arxiv_id="2101.00001", doi="10.1000/one")], None)
    new = row("Paper two", arxiv_id="2202.00002", doi="10.1000/one")
    found, to_write = Resolver(store.conn, [new]).match(new)
    assert found is None
    assert to_write["doi"] is None and to_write["arxiv_id"] == "2202.00002"


def test_resolver_remembers_papers_added_earlier_in_the_batch(store: Store):
    first, second = row("Same paper", arxiv_id="2301.00001v1"), row("SAME PAPER")
    resolver = Resolver(store.conn, [first, second])
    assert resolver.match(first)[0] is None
    resolver.remember(7, first)
    assert resolver.match(second)[0]["id"] == 7


def test_owner_of_finds_the_paper_holding_the_arxiv_id_or_the_doi(store: Store):
    store.write_records(
        [
            record("Mine"),
            record("Holds the arXiv id", arxiv_id="2101.00001"),
            record("Holds the DOI", doi="10.1000/x"),
        ],
        None,
    )
    mine = stored(store, 1)
    owner, _ = owner_of(store.conn, mine, row("Mine", arxiv_id="2101.00001"))
    assert owner is not None and owner["id"] == 2
    owner, to_merge = owner_of(store.conn, mine, row("Mine", doi="10.1000/x"))
    assert owner is not None and owner["id"] == 3 and to_merge["doi"] == "10.1000/x"
    owner, to_merge = owner_of(
        store.conn, mine, row("Mine", arxiv_id="2101.00001", doi="10.1000/x")
    )
    assert owner is not None and owner["id"] == 2  # the DOI's holder is yet another paper
    assert to_merge["doi"] is None
    owner, to_merge = owner_of(store.conn, mine, row("Mine", doi="10.1000/mine"))
    assert owner is None and to_merge["doi"] == "10.1000/mine"


def test_owner_of_refuses_a_record_with_another_arxiv_id(store: Store):
    store.write_records([record("Mine", arxiv_id="2101.00001")], None)
    with pytest.raises(ValueError, match=r"paper 1 is arXiv 2101\.00001"):
        owner_of(store.conn, stored(store, 1), row("Mine", arxiv_id="2202.00002"))


def test_near_duplicates_pairs_nearly_equal_titles_only(store: Store):
    store.write_records(
        [
            record("Learning to Rank with Graph Neural Networks"),
            record("Learning to Rank with Graph Neural Netwrks"),
            record("Learning to Walk with Legged Robots in the Wild"),
            record("A b c d ef"),
            record("A b c d e f"),  # 95 to the one before, but too short to be evidence
        ],
        None,
    )
    new = {i: stored(store, i) for i in (2, 3, 5)}
    pairs = near_duplicates(store.conn, new)
    assert [(a, b) for a, b, _ in pairs] == [(2, 1)]
    assert pairs[0][2] >= 92.0
    assert near_duplicates(store.conn, {}) == []
