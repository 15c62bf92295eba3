"""Related-paper filters, "for you" rankings and the ANN index's recall on clustered vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.core.related.vectors import VectorStore

from .conftest import build_library
from .test_related import FakeEmbedder, embedded_seed_subset, needs_model, with_embedder

__all__ = ["embedded_seed_subset"]  # the module fixture, shared with test_related


def topic_records() -> list[PaperRecord]:
    """Ten papers on each of two topics, published 2019..2023."""
    decoding = "speculative decoding draft model verifies tokens faster inference"
    proteins = "protein folding structure prediction amino acid sequences"
    return [
        PaperRecord(
            title=f"{'Speculative decoding' if n % 2 else 'Protein folding'} study {n}",
            abstract=f"{decoding if n % 2 else proteins} variant {n}",
            published=f"{2019 + n % 5}-01-01",
        )
        for n in range(20)
    ]


@pytest.fixture
def topic_library(tmp_path: Path):
    with with_embedder(build_library(tmp_path, topic_records()), FakeEmbedder()) as library:
        library.embed()
        yield library


def test_related_keeps_only_bookmarked_tagged_or_recent_papers(topic_library: Library):
    library = topic_library
    library.set_bookmarked([3, 5, 8], True)
    library.add_tags([5, 7, 9], ["ml/decoding"])
    assert {p.id for p, _ in library.related(1, limit=20, bookmarked=True)} == {3, 5, 8}
    assert {p.id for p, _ in library.related(1, limit=20, tag="ml")} == {5, 7, 9}
    assert {p.id for p, _ in library.related(1, limit=20, tag="ml", bookmarked=True)} == {5}
    recent = library.related(1, limit=20, since=2022)
    assert recent and all(int(p.published[:4]) >= 2022 for p, _ in recent)
    for mode in ("dense", "lexical"):
        assert {p.id for p, _ in library.related(1, limit=20, mode=mode, tag="ml")} == {5, 7, 9}


def test_related_never_returns_the_paper_or_a_copy_of_its_title(tmp_path: Path):
    records = [*topic_records(), PaperRecord(title="speculative decoding study 1!", abstract="x")]
    with with_embedder(build_library(tmp_path, records), FakeEmbedder()) as library:
        library.embed()
        own = library.paper(2)
        ids = {p.id for p, _ in library.related(2, limit=30)}
        assert own.id not in ids
        assert all(library.paper(i).title.lower() != own.title.lower() for i in ids)


def test_filtered_knn_scans_small_sets_exactly(tmp_path: Path):
    rng = np.random.default_rng(0)
    v = rng.standard_normal((400, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    store = VectorStore(tmp_path / "vectors")
    store.reset("synthetic", 8)
    store.append(list(range(1, 401)), [0] * 400, v)
    for allowed in (set(range(1, 401, 7)), set(range(1, 350))):
        hits = store.knn(v[0], 5, exclude={1}, allowed=allowed)
        want = sorted(allowed - {1}, key=lambda i: -float(v[i - 1] @ v[0]))[:5]
        assert [i for i, _ in hits] == want


def test_the_approximate_index_finds_the_exact_neighbours_of_clustered_vectors(tmp_path: Path):
    pytest.importorskip("usearch")
    rng = np.random.default_rng(1)
    topics = rng.standard_normal((40, 64)).astype(np.float32)
    v = topics[rng.integers(0, 40, 8000)] + 0.6 * rng.standard_normal((8000, 64)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    store = VectorStore(tmp_path / "vectors")
    store.reset("synthetic", 64)
    store.append(list(range(1, 8001)), [0] * 8000, v)
    queries = list(range(1, 8001, 80))
    exact = [{i for i, _ in store.knn(v[q - 1], 10, exclude={q})} for q in queries]
    store.build_ann(force=True)
    approx = VectorStore(tmp_path / "vectors")
    assert approx.ann is not None
    found = [{i for i, _ in approx.knn(v[q - 1], 10, exclude={q})} for q in queries]
    recall = np.mean([len(a & e) / 10 for a, e in zip(found, exact, strict=True)])
    assert recall >= 0.98


def test_the_liked_classifier_finds_the_direction_the_centroid_misses():
    """Liked papers share a topic direction but also sit near the library's common centre:
    their centroid points at the centre, the classifier at what sets them apart."""
    from reader.core.related.fusion import liked_classifier

    rng = np.random.default_rng(3)
    centre, topic = np.eye(8)[0], np.eye(8)[1]

    def unit_rows(base: np.ndarray, n: int) -> np.ndarray:
        rows = base + 0.1 * rng.standard_normal((n, 8))
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    liked = unit_rows(centre + 0.25 * topic, 10)
    others = unit_rows(centre, 300)
    on_topic, off_topic = unit_rows(centre + 0.25 * topic, 20), unit_rows(centre, 20)
    weights, bias = liked_classifier(liked, others)

    def ordered(scores: np.ndarray) -> float:  # of (on, off) pairs, those ranked right
        return float(np.mean(scores[:20, None] > scores[None, 20:]))

    classifier = ordered(np.vstack([on_topic, off_topic]) @ weights + bias)
    centroid = ordered(np.vstack([on_topic, off_topic]) @ liked.mean(axis=0))
    assert classifier > 0.9 and classifier > centroid + 0.05, (classifier, centroid)


@needs_model
def test_for_you_ranks_a_tags_topic_first(embedded_seed_subset: Path, tmp_path: Path):
    folder = tmp_path / "lib"
    shutil.copytree(embedded_seed_subset, folder)
    with Library(folder) as library:
        papers = library.papers(list(library.store.all_ids()))
        speculative = [p.id for p in papers if "speculative" in p.title.lower()]
        assert len(speculative) >= 6
        library.add_tags(speculative[:3], ["to-read/decoding"])
        ranked = library.for_you("to-read", limit=5)
        assert not {p.id for p, _ in ranked} & set(speculative[:3])
        on_topic = [
            p.title
            for p, _ in ranked
            if any(w in (p.title + p.abstract).lower() for w in ("speculative", "draft"))
        ]
        assert len(on_topic) >= 4, [p.title for p, _ in ranked]
        library.set_read([ranked[0][0].id], True)
        assert ranked[0][0].id not in {p.id for p, _ in library.for_you("to-read", limit=5)}
        assert library.for_you() == []  # no bookmarks yet


@needs_model
def test_cli_for_you_and_filtered_related(
    embedded_seed_subset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from reader.cli import main

    folder = str(tmp_path / "lib")
    shutil.copytree(embedded_seed_subset, folder)
    main(["--library", folder, "search", "SpecTr", "--json"])
    spectr = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["--library", folder, "bookmark", str(spectr)]) == 0
    capsys.readouterr()
    assert main(["--library", folder, "for-you", "--limit", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and spectr not in {r["id"] for r in rows}
    assert set(rows[0]) == {"id", "arxiv_id", "title", "authors", "published", "score", "snippet"}
    args = ["related", str(rows[0]["id"]), "--bookmarked", "--json"]
    assert main(["--library", folder, *args]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [spectr]
