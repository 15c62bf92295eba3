"""Braces nested thousands deep in a name or title cost that record, not the import
(pylatexenc recurses once per brace; its RecursionError used to escape the importer).
Found by the big fuzzing run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.robustness.samples import parse

DEEP = 3000


def test_snapshot_author_with_deep_braces_is_one_bad_record(tmp_path: Path):
    path = tmp_path / "snapshot.jsonl"
    deep = "{" * DEEP + "A" + "}" * DEEP
    lines = [
        {"id": "2401.00001", "title": "Deep", "abstract": "a", "authors": f"B. Smith and {deep}"},
        {"id": "2401.00002", "title": "Fine", "abstract": "b", "authors": "C. Jones"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    records, errors = parse("arxiv-snapshot", path)
    assert [r.record.title for r in records] == ["Fine"]
    [error] = errors
    assert error.position.line == 1 and "too deeply" in error.message and not error.fatal


def test_bibtex_title_with_deep_braces_is_one_bad_record(tmp_path: Path):
    path = tmp_path / "refs.bib"
    deep = "\\'" + "{" * DEEP + "e" + "}" * DEEP  # a TeX accent: the LaTeX parser reads it
    path.write_text(f"@article{{deep, title = {{{deep}}}}}\n\n@article{{fine, title = {{Fine}}}}\n")
    records, errors = parse("bibtex", path)
    assert [r.record.title for r in records] == ["Fine"]
    [error] = errors
    assert error.position.line == 1 and "'deep'" in error.message and "too deeply" in error.message
