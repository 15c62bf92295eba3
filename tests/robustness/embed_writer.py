"""``Library.embed`` with a fast deterministic embedder and tiny batches (for kill tests).

    python embed_writer.py LIBRARY BATCH

The vector store commits every BATCH papers, so a random kill usually lands inside an append
(the rows, their fsyncs, the ``meta.json`` replacement). The vectors are a pure function of
the paper's text (``fake_vector``), so a test can tell a torn or misplaced row exactly.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

DIM = 16
NAME = "fake/kill-test"


def fake_vector(text: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


class FakeEmbedder:
    name = NAME
    dim = DIM

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.array([fake_vector(t) for t in texts], dtype=np.float32).reshape(-1, DIM)


def main() -> None:
    import reader.core.related.service as service
    from reader.core.library import Library
    from reader.core.related.service import RelatedPapers

    folder, batch = Path(sys.argv[1]), int(sys.argv[2])
    service.EMBED_BATCH = batch
    with Library(folder) as library:
        library.derived._related = RelatedPapers(folder, library.store, embedder=FakeEmbedder())  # type: ignore[arg-type]

        def progress(done: int, total: int) -> None:
            print(f"embedded {done}/{total}", file=sys.stderr, flush=True)

        print(f"total {library.embed(progress=progress)}")


if __name__ == "__main__":
    main()
