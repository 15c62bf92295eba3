"""Related papers: the vector store's durability, resumable embedding, and on-topic results."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.core.related import service
from reader.core.related.embedder import Embedder
from reader.core.related.service import RelatedPapers
from reader.core.related.vectors import VectorStore
from reader.core.related.wanted import WantedFirst

from .conftest import build_library

MODEL = Embedder()
needs_model = pytest.mark.skipif(not MODEL.available(), reason="embedding model not built")


class FakeEmbedder:
    """Deterministic unit vectors from a text hash: fast, for the store's mechanics."""

    dim = 16

    def __init__(self, name: str = "fake/1") -> None:
        self.name = name
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


def with_embedder(library: Library, embedder: object) -> Library:
    library.derived._related = RelatedPapers(library.folder, library.store, embedder=embedder)  # type: ignore[arg-type]
    return library


def small_records(n: int = 150) -> list[PaperRecord]:
    return [
        PaperRecord(title=f"Paper number {i} about topic {i % 7}", abstract=f"Abstract {i} " * 5)
        for i in range(n)
    ]


def vector_files(folder: Path) -> dict[str, object]:
    meta = json.loads((folder / "vectors" / "meta.json").read_text())
    return meta


def test_vectors_survive_restart(tmp_path: Path):
    with with_embedder(build_library(tmp_path, small_records()), FakeEmbedder()) as library:
        assert library.embed() == 150
        before = library.derived.related_papers.vectors.vector(5)
    with with_embedder(Library(tmp_path), FakeEmbedder()) as reopened:
        fake = reopened.derived.related_papers.embedder
        assert reopened.embed() == 0 and fake.calls == 0
        assert np.array_equal(reopened.derived.related_papers.vectors.vector(5), before)
        report = reopened.check()
        assert report.vectors == 150 and report.related_ready


def test_model_change_reembeds_everything(tmp_path: Path):
    with with_embedder(build_library(tmp_path, small_records(40)), FakeEmbedder("fake/1")) as lib:
        lib.embed()
    with with_embedder(Library(tmp_path), FakeEmbedder("fake/2")) as reopened:
        assert not reopened.check().related_ready  # another model's vectors count as missing
        assert reopened.embed() == 40
        assert vector_files(tmp_path)["model"] == "fake/2"
        assert len(reopened.derived.related_papers.vectors) == 40


def test_killed_embedding_resumes_without_duplicates(tmp_path: Path):
    library = with_embedder(build_library(tmp_path, small_records(300)), FakeEmbedder())

    def die(done: int, total: int) -> None:
        if done >= 128:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        library.embed(progress=die)
    library.close()
    with with_embedder(Library(tmp_path), FakeEmbedder()) as reopened:
        assert len(reopened.derived.related_papers.vectors) == 128
        assert reopened.embed() == 300 - 128
        store = reopened.derived.related_papers.vectors
        assert store.rows == 300 and len(store) == 300  # no row written twice
        assert sorted(store.ids()) == sorted(reopened.store.all_ids())


def test_rows_written_after_the_last_commit_are_cut_on_open(tmp_path: Path):
    store = VectorStore(tmp_path / "vectors")
    store.reset("fake/1", 4)
    store.append([1, 2], [11, 12], np.eye(4, dtype=np.float32)[:2])
    with open(store._path("vectors"), "ab") as f:  # a kill between the rows and meta.json
        f.write(np.ones(4, np.float32).tobytes())
    reopened = VectorStore(tmp_path / "vectors")
    assert reopened.rows == 2 and reopened.matrix().shape == (2, 4)
    assert reopened._path("vectors").stat().st_size == 2 * 4 * 4


def test_a_reader_beside_a_running_embedding_reads_only_committed_rows_and_cuts_nothing(
    tmp_path: Path,
):
    store = VectorStore(tmp_path / "vectors")
    store.reset("fake/1", 4)
    store.append([1, 2], [11, 12], np.eye(4, dtype=np.float32)[:2])
    with open(store._path("vectors"), "ab") as f:  # the child's next batch, not committed yet
        f.write(np.ones(4, np.float32).tobytes())
    meta = (tmp_path / "vectors" / "meta.json").read_bytes()
    beside = VectorStore(tmp_path / "vectors", repair=False)
    assert beside.rows == 2 and sorted(beside.ids()) == [1, 2]
    assert beside.matrix().shape == (2, 4) and beside.vector(2) is not None
    assert store._path("vectors").stat().st_size == 3 * 4 * 4  # the child's row is left
    assert (tmp_path / "vectors" / "meta.json").read_bytes() == meta
    store.append([3], [13], np.ones((1, 4), np.float32))  # the child goes on, unharmed
    assert VectorStore(tmp_path / "vectors").rows == 3


def test_papers_asked_for_meanwhile_go_into_the_next_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The paper on screen is embedded next, not in its turn days later."""
    monkeypatch.setattr(service, "EMBED_BATCH", 4)
    with with_embedder(build_library(tmp_path, small_records(20)), FakeEmbedder()) as library:
        related = library.derived.related_papers
        order = [i for i, *_ in related.pending()]
        landed: list[tuple[list[int], int]] = []
        wanted = WantedFirst(lambda ids: landed.append((ids, len(related.vectors))))

        def progress(done: int, total: int) -> None:
            if done == 4:  # after the first batch the researcher opens the last two papers
                wanted.ask(order[-1])
                wanted.ask(order[-2])
                wanted.ask(order[0])  # already embedded: nothing to do
                wanted.ask(order[-1])  # asked twice: embedded once

        assert library.embed(progress=progress, wanted=wanted) == 20
        rows = related.vectors.ids()  # in the order they were written
        assert rows[:4] == order[:4]
        assert rows[4:8] == [order[-1], order[-2], order[4], order[5]]
        assert rows[8:] == order[6:-2]
        assert landed == [([order[-1], order[-2]], 8)]  # said once their batch was committed
        assert sorted(related.vectors.ids()) == sorted(order)  # each paper once
        assert related.vectors.rows == 20


def test_the_pane_fuses_in_the_dense_half_as_more_of_the_library_gets_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The dense half sees only embedded papers: below a quarter of the library it is left
    out, then fused with the key-term tables' ranking, then alone from 60 %."""
    monkeypatch.setattr(service, "EMBED_BATCH", 4)
    with with_embedder(build_library(tmp_path, small_records(20)), FakeEmbedder()) as library:
        related = library.derived.related_papers
        first = related.pending()[0][0]
        methods = []

        def progress(done: int, total: int) -> None:
            if done:
                methods.append((done, library.related_method(first)))

        library.embed(progress=progress)
        assert methods == [
            (4, "lexical"),
            (8, "fused"),
            (12, "hybrid"),
            (16, "hybrid"),
            (20, "hybrid"),
        ]
        other = next(i for i in library.store.all_ids() if i != first)
        assert library.related_method(other) == "hybrid"
        new = [PaperRecord(title=f"New {i}", abstract=f"New {i}.") for i in range(100)]
        library.store.write_records(new, None)
        assert library.related_method(first) == "lexical"  # 20 of 120: counted again


def test_fused_related_papers_take_both_rankings_in_turn():
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(4, 0.5), (2, 0.4), (5, 0.3)]
    fused = service.partly_embedded(dense, lexical, 4)
    assert [i for i, _ in fused] == [2, 1, 4, 3]  # in both lists first, then by rank
    assert dict(fused) == {2: 0.8, 1: 0.9, 4: 0.5, 3: 0.7}  # each with its own score


def test_an_edited_abstract_is_reembedded_and_a_bookmark_is_not(tmp_path: Path):
    with with_embedder(build_library(tmp_path, small_records(20)), FakeEmbedder()) as library:
        library.embed()
        library.set_bookmarked([3], True)
        assert library.embed() == 0
        with library.store.transaction() as conn:  # an edit of the abstract
            rev = library.store._bump_rev()
            conn.execute("UPDATE papers SET abstract = 'New.', rev = ? WHERE id = 5", (rev,))
        assert not library.check().related_ready
        assert library.embed() == 1
        assert library.check().related_ready
        library.derived.related_papers.vectors.compact()
        assert library.derived.related_papers.vectors.rows == 20


def test_touched_papers_are_embedded_first_then_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """At a million papers the dense model runs for days: what the researcher bookmarked,
    read, tagged or annotated goes first, then the newest papers, oldest last."""
    records = [
        PaperRecord(title=f"Paper {i}", abstract=f"Words {i}", published=f"20{10 + i}-01-01")
        for i in range(8)
    ]
    with with_embedder(build_library(tmp_path, records), FakeEmbedder()) as library:
        ids = {p.title: p.id for p in library.papers(list(library.store.all_ids()))}
        library.set_bookmarked([ids["Paper 0"]], True)
        library.set_read([ids["Paper 1"]], True)
        library.add_tags([ids["Paper 2"]], ["later"])
        library.set_notes(ids["Paper 3"], "check the proof")
        order = [i for i, *_ in library.derived.related_papers.pending()]
        touched, rest = order[:4], order[4:]
        assert sorted(touched) == sorted(ids[f"Paper {i}"] for i in range(4))
        assert rest == [ids[f"Paper {i}"] for i in (7, 6, 5, 4)]  # newest first

        def killed_after_one_batch(done: int, total: int) -> None:
            if done:
                raise RuntimeError("killed")

        monkeypatch.setattr(service, "EMBED_BATCH", 4)
        with pytest.raises(RuntimeError):
            library.embed(progress=killed_after_one_batch)
        assert sorted(library.derived.related_papers.vectors.ids()) == sorted(touched)


def test_related_falls_back_to_words_before_embedding(tmp_path: Path):
    records = [
        PaperRecord(title="Speculative decoding with draft models", abstract="draft tokens verify"),
        PaperRecord(title="Faster speculative decoding", abstract="draft model tokens verified"),
        PaperRecord(title="Protein folding", abstract="amino acid structure"),
    ]
    with with_embedder(build_library(tmp_path, records), FakeEmbedder()) as library:
        related = library.related(1, limit=5)
        assert related and related[0][0].id == 2
        assert all(0.0 <= score <= 1.0 for _, score in related)


# -- with the real model --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded_seed_subset(seed_library_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Decoding/inference papers of the seed library plus every third other paper, embedded."""
    with Library(seed_library_dir) as seeds:
        papers = seeds.papers(list(seeds.store.all_ids()))
    topical = ("decod", "speculative", "draft", "inference", "llm")
    chosen = [
        p
        for n, p in enumerate(papers)
        if any(w in (p.title + p.abstract).lower() for w in topical[:3]) or n % 3 == 0
    ]
    folder = tmp_path_factory.mktemp("embedded")
    records = [PaperRecord(title=p.title, abstract=p.abstract, arxiv_id=p.arxiv_id) for p in chosen]
    with build_library(folder, records) as library:
        library.embed()
    return folder


@needs_model
def test_related_to_a_speculative_decoding_paper_is_mostly_speculative_decoding(
    embedded_seed_subset: Path, tmp_path: Path
):
    folder = tmp_path / "lib"
    shutil.copytree(embedded_seed_subset, folder)
    with Library(folder) as library:
        spectr = library.search("SpecTr").hits[0].paper
        assert "SpecTr" in spectr.title
        related = library.related(spectr.id, limit=10)
        titles = [p.title for p, _ in related]
        on_topic = [t for t in titles if "speculative" in t.lower() or "draft" in t.lower()]
        assert len(on_topic) >= 5, titles
        assert spectr.id not in {p.id for p, _ in related}
        assert all(0.0 <= s <= 1.0 for _, s in related)


@needs_model
def test_meaning_search_finds_speculative_decoding_in_other_words(
    embedded_seed_subset: Path, tmp_path: Path
):
    folder = tmp_path / "lib"
    shutil.copytree(embedded_seed_subset, folder)
    with Library(folder) as library:
        query = "make generation faster with a small draft model"
        for mode in ("meaning", "hybrid"):
            titles = [h.paper.title for h in library.search(query, limit=5, mode=mode).hits]
            assert any("speculative" in t.lower() for t in titles), (mode, titles)


@needs_model
def test_cli_embeds_shows_related_and_searches_by_meaning(
    embedded_seed_subset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from reader.cli import main

    folder = str(tmp_path / "lib")
    shutil.copytree(embedded_seed_subset, folder)
    assert main(["--library", folder, "embed", "--quiet"]) == 0
    assert "embedded 0 papers (every paper had its vector)" in capsys.readouterr().out
    main(["--library", folder, "search", "SpecTr", "--json"])
    spectr = json.loads(capsys.readouterr().out)[0]
    assert main(["--library", folder, "related", str(spectr["id"]), "--limit", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3
    assert set(rows[0]) == {"id", "arxiv_id", "title", "authors", "published", "score", "snippet"}
    query = "make generation faster with a small draft model"
    assert main(["--library", folder, "search", query, "--mode", "meaning", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert main(["--library", folder, "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["related_ready"] and report["vectors"] == report["papers"]


ANN_DIM = 384  # all-MiniLM-L6-v2's width


def test_the_approximate_index_agrees_with_exact_knn_and_survives_reopening(tmp_path: Path):
    pytest.importorskip("usearch")
    # Clustered vectors of the model's width: the index stores int8 copies, which 32-wide
    # near-uniform noise (the earlier data) does not resemble; recall there varied 0.93-1.
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((50, ANN_DIM)).astype(np.float32)
    v = centers[rng.integers(0, 50, 3000)] + 0.7 * rng.standard_normal((3000, ANN_DIM)).astype(
        np.float32
    )
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    store = VectorStore(tmp_path / "vectors")
    store.reset("synthetic", ANN_DIM)
    store.append(list(range(1, 2901)), [0] * 2900, v[:2900])
    exact = [store.knn(v[i], 10, exclude={i + 1}) for i in range(0, 2900, 50)]
    assert store.build_ann(force=True) == 2900
    store.append(list(range(2901, 3001)), [0] * 100, v[2900:])  # after the index: scanned
    reopened = VectorStore(tmp_path / "vectors")
    assert reopened.ann is not None and reopened.ann.rows == 2900
    approx = [reopened.knn(v[i], 10, exclude={i + 1}) for i in range(0, 2900, 50)]
    overlap = [
        len({i for i, _ in a} & {i for i, _ in e if i <= 2900})
        / len([1 for i, _ in e if i <= 2900])
        for a, e in zip(approx, exact, strict=True)
    ]
    assert np.mean(overlap) >= 0.95
    assert reopened.knn(v[2950], 1)[0][0] == 2951  # a row only the exact tail scan can find
    # opened as a view of its file (its graph is not in memory); growing it loads it whole
    size = (tmp_path / "vectors" / "ann.usearch").stat().st_size
    assert reopened.ann.mapped and reopened.ann.index.memory_usage < size / 10
    assert reopened.build_ann(force=True) == 100 and not reopened.ann.mapped
    again = VectorStore(tmp_path / "vectors")
    assert again.ann is not None and again.ann.rows == 3000 and again.ann.mapped
    assert again.ann.search(v[2950], 1).tolist() == [2950]  # row 2950 holds paper 2951


def test_a_mapped_graph_grows_from_what_another_process_saved_meanwhile(tmp_path: Path):
    pytest.importorskip("usearch")
    from reader.core.related.ann import AnnIndex

    rng = np.random.default_rng(1)
    rows = rng.standard_normal((3200, ANN_DIM)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    AnnIndex(tmp_path).catch_up(rows[:3000], gen=0)
    mapped = AnnIndex(tmp_path)
    assert mapped.open(0, ANN_DIM, view=True) and mapped.rows == 3000
    other = AnnIndex(tmp_path)  # another process grows the saved graph
    assert other.open(0, ANN_DIM, view=False) and other.catch_up(rows[:3100], gen=0) == 100
    assert mapped.catch_up(rows[:3100], gen=0) == 0  # nothing left to add
    assert mapped.catch_up(rows, gen=0) == 100  # its rows are the file's: no key twice
    assert AnnIndex(tmp_path).open(0, ANN_DIM) and len(mapped.index) == 3200


@needs_model
def test_default_search_finds_a_paraphrased_title_by_meaning_and_says_so(
    embedded_seed_subset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from reader.cli import main

    folder = tmp_path / "lib"
    shutil.copytree(embedded_seed_subset, folder)
    query = "making language model generation faster with a small draft model"
    with Library(folder) as library:
        assert not library.search(query, mode="keyword").hits
        results = library.search(query, limit=10, mode="auto")
        assert results.joined and not results.no_vectors
        titles = [h.paper.title.lower() for h in results.hits[:5]]
        assert sum("speculative" in t or "draft" in t for t in titles) >= 3, titles
    assert main(["--library", str(folder), "search", query, "--json", "--limit", "10"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any("speculative" in r["title"].lower() for r in rows[:5])
    assert any(r["by_meaning"] for r in rows)
    assert main(["--library", str(folder), "search", query, "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "by meaning (not by its words)" in out and "by meaning) of about" in out
