"""SIGKILL embedding at random moments: the vector store keeps whole batches, never torn rows,
and resuming embeds only what is missing.

Two runs over real arXiv listings: ``paper-reader embed`` with the shipped model (slow, so few
commits per second), and a script with a fast deterministic embedder committing every few
papers (so most kill moments fall inside an append: rows, fsyncs, ``meta.json``).
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reader.core.library import Library
from reader.core.related.embedder import Embedder, paper_text
from reader.core.related.service import EMBED_BATCH, RelatedPapers
from reader.core.related.vectors import VectorStore, text_hash
from tests.robustness.conftest import real_lines, write_lines
from tests.robustness.embed_writer import DIM, FakeEmbedder, fake_vector
from tests.robustness.killing import (
    KillPlan,
    cli,
    kill_seed,
    kill_trials,
    record_timeline,
    run,
    run_and_kill,
)

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("embed_writer.py")
MODEL_PAPERS = 70  # one full batch of 64 and a partial one
SCRIPT_PAPERS = 400
SCRIPT_BATCH = 4


def make_base(tmp_path: Path, count: int) -> tuple[Path, dict[int, str]]:
    """A library of ``count`` real listings; and each paper's embedding text by id."""
    file, _ = write_lines(tmp_path / "listings.jsonl", real_lines(count))
    folder = tmp_path / "base"
    with Library(folder) as library:
        assert library.import_files([file]).added == count
        rows = library.store.query("SELECT id, title, abstract FROM papers")
    return folder, {r[0]: paper_text(r[1], r[2]) for r in rows}


def uncommitted_bytes(folder: Path) -> int:
    """Bytes a kill left after the committed rows (evidence that it hit an append)."""
    meta = json.loads((folder / "vectors" / "meta.json").read_text())
    widths = {"vectors": 4 * meta["dim"], "ids": 8, "hashes": 8}
    extra = 0
    for kind, ext in (("vectors", "f32"), ("ids", "i64"), ("hashes", "u64")):
        path = folder / "vectors" / f"{kind}.{meta['gen']}.{ext}"
        if path.exists():
            extra += max(path.stat().st_size - meta["count"] * widths[kind], 0)
    return extra


def assert_vectors(
    folder: Path,
    texts: dict[int, str],
    batch: int,
    expected: Callable[[int], np.ndarray],
    dim: int,
    complete: bool,
) -> int:
    """Only whole committed batches, each row the vector of its paper's text; no tail left
    behind the committed rows. Returns the number of papers with a vector."""
    vectors = VectorStore(folder / "vectors")  # opening cuts whatever follows the commit
    rows = vectors.rows
    assert rows % batch == 0 or rows == len(texts), f"a torn batch: {rows} rows"
    assert len(vectors) == rows, "a paper has two rows after a fresh embedding"
    if rows:
        assert vectors._path("vectors").stat().st_size == rows * dim * 4
        assert vectors._path("ids").stat().st_size == rows * 8
    for paper_id in vectors.ids():
        assert paper_id in texts, f"a vector for paper {paper_id}, which is not in the store"
        assert vectors.hash_of(paper_id) == text_hash(texts[paper_id])
        row = vectors.vector(paper_id)
        assert row is not None
        assert np.all(np.isfinite(row)) and abs(float(np.linalg.norm(row)) - 1) < 1e-4
        assert float(row @ expected(paper_id)) > 0.999, f"paper {paper_id}'s vector is wrong"
    if complete:
        assert rows == len(texts)
    return rows


def check_library(folder: Path, embedder: object | None, ready: bool) -> None:
    """The index agrees with the store, no vector is stale, and when ``ready`` every paper
    has its vector."""
    with Library(folder) as library:
        if embedder is not None:
            library.derived._related = RelatedPapers(folder, library.store, embedder=embedder)  # type: ignore[arg-type]
        report = library.check()
        assert report.consistent and report.vectors_stale == [], report.as_dict()
        if ready:
            assert report.related_ready and report.vectors == report.papers, report.as_dict()


needs_model = pytest.mark.skipif(not Embedder().available(), reason="embedding model not built")


@needs_model
def test_a_killed_embed_command_keeps_whole_batches_and_resumes(tmp_path: Path, kill_report):
    base, texts = make_base(tmp_path, MODEL_PAPERS)
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    timeline = record_timeline(cli("--library", str(reference), "embed"), "embedding:")
    ref_vectors = VectorStore(reference / "vectors")
    assert ref_vectors.rows == MODEL_PAPERS

    def expected(paper_id: int) -> np.ndarray:
        return np.asarray(ref_vectors.vector(paper_id))

    dim = ref_vectors.dim
    trials = max(1, kill_trials() // 4)
    rng = random.Random(f"{kill_seed()}-embed-cli")
    failures: list[str] = []
    plan = KillPlan(timeline, trials, rng)
    for trial, moment in plan:
        folder = tmp_path / f"trial-{trial}"
        shutil.copytree(base, folder)
        outcome = run_and_kill(cli("--library", str(folder), "embed"), moment, "embedding:")
        plan.record(outcome)
        at_kill, tail, survived = 0, 0, True
        try:
            if (folder / "vectors" / "meta.json").exists():
                tail = uncommitted_bytes(folder)
                at_kill = assert_vectors(folder, texts, EMBED_BATCH, expected, dim, False)
            check_library(folder, None, ready=False)
            resumed = run(cli("--library", str(folder), "embed"))
            assert resumed.returncode == 0, resumed.stderr[-2000:]
            assert f"embedded {MODEL_PAPERS - at_kill} papers" in resumed.stdout, resumed.stdout
            assert_vectors(folder, texts, EMBED_BATCH, expected, dim, True)
            check_library(folder, None, ready=True)
        except AssertionError as e:
            failures.append(f"trial {trial} ({moment.describe()}): {e}")
            survived = False
        kill_report(
            test="embedding-cli",
            trial=trial,
            moment=moment.describe(),
            killed=outcome.killed,
            vectors_at_kill=at_kill,
            uncommitted_bytes_at_kill=tail,
            survived=survived,
        )
    assert not failures, "\n".join(failures)
    assert not plan.shortfall(), plan.shortfall()


def test_a_killed_embedding_with_tiny_batches_never_keeps_a_torn_vector(
    tmp_path: Path, kill_report
):
    base, texts = make_base(tmp_path, SCRIPT_PAPERS)

    def writer(folder: Path) -> list[str]:
        return [sys.executable, str(WRITER), str(folder), str(SCRIPT_BATCH)]

    def expected(paper_id: int) -> np.ndarray:
        return fake_vector(texts[paper_id])

    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    timeline = record_timeline(writer(reference), "embedded ")
    assert_vectors(reference, texts, SCRIPT_BATCH, expected, DIM, True)

    trials = kill_trials()
    rng = random.Random(f"{kill_seed()}-embed-script")
    failures: list[str] = []
    plan = KillPlan(timeline, trials, rng)
    for trial, moment in plan:
        folder = tmp_path / f"trial-{trial}"
        shutil.copytree(base, folder)
        outcome = run_and_kill(writer(folder), moment, "embedded ")
        plan.record(outcome)
        at_kill, tail, survived = 0, 0, True
        try:
            if (folder / "vectors" / "meta.json").exists():
                tail = uncommitted_bytes(folder)
                at_kill = assert_vectors(folder, texts, SCRIPT_BATCH, expected, DIM, False)
            check_library(folder, FakeEmbedder(), ready=False)
            resumed = run(writer(folder))
            assert resumed.returncode == 0, resumed.stderr[-2000:]
            assert f"total {SCRIPT_PAPERS - at_kill}" in resumed.stdout, resumed.stdout
            assert_vectors(folder, texts, SCRIPT_BATCH, expected, DIM, True)
            check_library(folder, FakeEmbedder(), ready=True)
        except AssertionError as e:
            failures.append(f"trial {trial} ({moment.describe()}): {e}")
            survived = False
        kill_report(
            test="embedding-script",
            trial=trial,
            moment=moment.describe(),
            killed=outcome.killed,
            vectors_at_kill=at_kill,
            uncommitted_bytes_at_kill=tail,
            survived=survived,
        )
    assert not failures, "\n".join(failures)
    assert not plan.shortfall(), plan.shortfall()
