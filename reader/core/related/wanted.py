"""Papers to embed before the rest, asked for while an embedding runs.

At a million papers the dense model needs days for the whole library; ``service._outdated``
orders the work (the papers the researcher touched, then the newest), but the paper they
open meanwhile should not wait its turn. The window sends its id to the embedding child
(``paper-reader embed --wanted-stdin``), which puts it into its next batch and says when
its vector is committed, so the window reads it seconds later (the pane uses it once
enough of the library has vectors: ``ranking.Ranking.method``).
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item", bound=tuple[Any, ...])  # a paper to embed: its id first


class WantedFirst:
    """The papers asked for (from any thread), and what to do once they are embedded."""

    def __init__(self, on_embedded: Callable[[list[int]], None] = lambda ids: None) -> None:
        self._asked: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.on_embedded = on_embedded  # called with the asked papers of a committed batch

    def ask(self, paper_id: int) -> None:
        self._asked.put(paper_id)

    def take(self) -> list[int]:
        """The papers asked for since the last call, each once, in the order asked."""
        asked = []
        while True:
            try:
                asked.append(self._asked.get_nowait())
            except queue.Empty:
                return list(dict.fromkeys(asked))


def batches(
    todo: Sequence[Item], size: int, wanted: WantedFirst | None
) -> Iterator[tuple[list[Item], list[int]]]:
    """``todo`` in batches of ``size`` (in its order), each led by the papers of ``todo``
    asked for since the last batch was made, with those papers' ids."""
    left = {item[0]: item for item in todo}
    order = iter(todo)
    while left:
        asked = [i for i in (wanted.take() if wanted else []) if i in left]
        batch = [left.pop(i) for i in asked]
        while len(batch) < size and (item := next(order, None)) is not None:
            if left.pop(item[0], None) is not None:  # not asked for earlier
                batch.append(item)
        yield batch, asked
