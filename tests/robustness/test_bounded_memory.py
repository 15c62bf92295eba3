"""Memory bounded by a small multiple of the input, for every format (peaks measured with
tracemalloc, which counts every allocation the same way on every machine; RSS figures on
20 MB files are in benchmarks/bench_hostile_memory.py).

The Daily Papers repr shape went through ``ast.literal_eval``, whose syntax tree is hundreds
of times the text (a 20 MB file peaked at 9.6 GB); collapsing whitespace held a string per
word (12x a long abstract); reading a whole file reserved its 512 MB limit up front.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core.importers import ImportOptions, importer_for
from reader.core.model import ParsedRecord
from reader.core.text import one_line, unfold

MB = 2**20
MULTIPLE = 15  # peak allocations per byte of input allowed (the Python values themselves)


def peak_of(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def repr_item(authors: int) -> str:
    item = {
        "paper": {
            "id": "2412.00001",
            "title": "A paper with very many authors",
            "authors": [{"name": f"Author {i}", "hidden": False} for i in range(authors)],
            "upvotes": 3,
        },
        "title": "A paper with very many authors",
        "publishedAt": "2024-12-11T00:00:00.000Z",
    }
    return repr(item)


def test_the_repr_shape_is_read_in_memory_proportional_to_it(tmp_path: Path):
    path = tmp_path / "2024-12-11.json"
    path.write_text(json.dumps([repr_item(8_000)]), encoding="utf-8")
    size = path.stat().st_size
    assert size > MB // 5

    def parse() -> list[object]:
        return list(importer_for("hf-api").parse(path, ImportOptions()))

    results: list[object] = []
    peak = peak_of(lambda: results.extend(parse()))
    [result] = results
    assert isinstance(result, ParsedRecord) and len(result.record.authors) == 8_000
    assert peak < MULTIPLE * size, f"{peak / size:.0f}x the file"


@pytest.mark.parametrize("clean", [one_line, unfold])
def test_collapsing_whitespace_holds_no_object_per_word(clean: Callable[[str], str]):
    text = "word  \n" * 500_000  # 3.5 MB of short words
    peak = peak_of(lambda: clean(text))
    assert peak < 4 * len(text), f"{peak / len(text):.1f}x the text"


def test_reading_a_whole_file_reserves_only_what_it_reads(tmp_path: Path):
    from reader.core.importers.textio import READ_CHUNK_BYTES, read_whole_text

    path = tmp_path / "small.json"
    path.write_text("[]" + " " * 100_000)
    assert peak_of(lambda: read_whole_text(path)) < READ_CHUNK_BYTES + 10 * path.stat().st_size
