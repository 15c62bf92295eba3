"""The vector store's id -> row index against a plain dict, through appends and folds."""

from __future__ import annotations

import numpy as np
import pytest

from reader.core.related import rows as rows_module
from reader.core.related.rows import RowIndex


def reference(ids: list[int]) -> dict[int, int]:
    """What the store's rows mean: the newest row of an id wins."""
    return {paper_id: row for row, paper_id in enumerate(ids)}


def check(index: RowIndex, ids: list[int]) -> None:
    truth = reference(ids)
    assert len(index) == len(truth)
    asked = np.array([*truth, -5, max(truth, default=0) + 1, 0], dtype=np.int64)
    expected = [truth.get(i, -1) for i in asked.tolist()]
    assert index.rows(asked).tolist() == expected
    assert index.live_rows().tolist() == sorted(truth.values())
    for paper_id in list(truth)[:20]:
        assert paper_id in index and index.get(paper_id) == truth[paper_id]
    assert index.get(-5) is None and -5 not in index


@pytest.mark.parametrize("fold_min", [2, 4096])  # folding often, and never
def test_appends_with_re_embedded_papers_match_a_dict(
    monkeypatch: pytest.MonkeyPatch, fold_min: int
) -> None:
    monkeypatch.setattr(rows_module, "FOLD_MIN", fold_min)
    rng = np.random.default_rng(7)
    ids = rng.integers(1, 300, 200).tolist()  # many ids appear twice or more
    index = RowIndex(np.array(ids))
    check(index, ids)
    for _ in range(30):
        batch = rng.integers(1, 400, int(rng.integers(1, 12))).tolist()
        before = index
        ids += batch
        index = index.extended(np.array(ids))
        check(index, ids)
        # the index an earlier reader holds is never changed under it
        check(before, ids[: len(ids) - len(batch)])


def test_an_empty_store() -> None:
    index = RowIndex(np.zeros(0, dtype=np.int64))
    check(index, [])
    index = index.extended(np.array([9, 9, 3]))
    check(index, [9, 9, 3])
