"""A script doing tag writes through the Library facade, one after another (for kill tests).

    python tag_writer.py LIBRARY FIRST COUNT

Runs operations FIRST .. FIRST+COUNT-1 of ``operation()`` and prints ``done N`` on stderr as
each one returns. The operations are the ones the CLI's ``tag``/``untag``/``bookmark``
commands perform (one store transaction, then the index catch-up).
"""

from __future__ import annotations

import sys
from pathlib import Path

PAPERS = 40  # operations cycle over the library's first 40 papers (by arXiv id order)


def operation(i: int, arxiv_ids: list[str]) -> tuple[str, str, str]:
    """(command, arXiv id, tag) of operation ``i``: mostly tags; every fifth removes the
    previous operation's tag; every fifth (offset 2) bookmarks."""
    if i % 5 == 4:
        return "untag", arxiv_ids[(i - 1) % PAPERS], f"killtest-{i - 1}"
    if i % 5 == 2:
        return "bookmark", arxiv_ids[i % PAPERS], ""
    return "tag", arxiv_ids[i % PAPERS], f"killtest-{i}"


def expected_state(count: int, arxiv_ids: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """(tags as (arXiv id, tag), bookmarked arXiv ids) after the first ``count`` operations."""
    tags: set[tuple[str, str]] = set()
    bookmarked: set[str] = set()
    for i in range(count):
        command, paper, tag = operation(i, arxiv_ids)
        if command == "tag":
            tags.add((paper, tag))
        elif command == "untag":
            tags.discard((paper, tag))
        else:
            bookmarked.add(paper)
    return tags, bookmarked


def main() -> None:
    from reader.core.library import Library

    folder, first, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    with Library(folder) as library:
        arxiv_ids = [
            r[0] for r in library.store.query("SELECT arxiv_id FROM papers ORDER BY arxiv_id")
        ]
        for i in range(first, first + count):
            command, paper, tag = operation(i, arxiv_ids)
            paper_id = library.resolve(paper)
            if command == "tag":
                library.add_tags([paper_id], [tag])
            elif command == "untag":
                library.remove_tags([paper_id], [tag])
            else:
                library.set_bookmarked([paper_id], True)
            print(f"done {i}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
