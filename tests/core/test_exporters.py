"""BibTeX and CSL-JSON export, checked by parsing the output back (our importer, bibtexparser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser

from reader.core.exporters.bibtex import citation_keys, to_bibtex
from reader.core.exporters.csl_json import to_csl_json
from reader.core.importers import bibtex as bibtex_importer
from reader.core.importers.base import ImportOptions
from reader.core.model import Paper, ParsedRecord

SPECIAL_TITLE = "Ünïcödé & Friends: 100% of $5 for #1 a_b {x} back\\slash ~tilde"
PAPERS = [
    Paper(
        1,
        "Attention Is All You Need",
        abstract="The dominant sequence transduction models are based on RNNs & CNNs.",
        authors=["Ashish Vaswani", "Noam Shazeer", "Łukasz Kaiser"],
        arxiv_id="1706.03762",
        published="2017-06-12",
        categories=["cs.CL", "cs.LG"],
        tags=["nlp", "transformers"],
        notes="PRIVATE NOTE, never exported",
    ),
    Paper(
        2,
        SPECIAL_TITLE,
        authors=["Jörg Müller", "Søren Østergaard", "François Dupont-Aignan"],
        doi="10.1000/abc_def",
        published="2020-03",
        journal_ref="Journal of Ümlauts & Co.",
    ),
    Paper(3, "Attention Is All You Need", authors=["Ashish Vaswani"], published="2017"),
    Paper(4, "中文 Title", authors=["Wei Zhang"], published="2021", doi="10.1000/cjk"),
    Paper(5, "The Art of Untitled Authors"),
    Paper(6, "Large N limit", authors=["Juan Maldacena"], arxiv_id="hep-th/9711200"),
]
REAL_CSL = [
    "bibtex-zotero-bbt/csl-json/bbt-1179.csl.json",
    "bibtex-zotero-bbt/csl-json/bbt-811-dates.csl.json",
    "zotero-exports/nlp-for-ta/My Library.csl.json",
]
CSL_TYPES = {"article", "article-journal", "paper-conference", "book", "chapter", "report"}


def reimport(tmp_path: Path, text: str) -> list[ParsedRecord]:
    path = tmp_path / "export.bib"
    path.write_text(text, encoding="utf-8")
    results = list(bibtex_importer.parse(path, ImportOptions()))
    assert all(isinstance(r, ParsedRecord) for r in results), results
    return results  # type: ignore[return-value]


def test_citation_keys():
    assert citation_keys(PAPERS) == [
        "vaswani2017attention",
        "muller2020unicode",
        "vaswani2017attentiona",
        "zhang2021title",
        "anonart",
        "maldacenalarge",
    ]
    same = [Paper(i, "On the Matter", authors=["A. Author"], published="2001") for i in range(30)]
    keys = citation_keys(same)
    assert len(set(keys)) == 30
    assert keys[:3] == ["author2001matter", "author2001mattera", "author2001matterb"]
    assert keys[26:29] == ["author2001matterz", "author2001matteraa", "author2001matterab"]


def test_bibtex_entries(tmp_path):
    text = to_bibtex(PAPERS)
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    entries = {e.key: e for e in library.entries}
    assert list(entries) == citation_keys(PAPERS)
    arxiv = entries["vaswani2017attention"]
    assert arxiv.entry_type == "misc"
    assert arxiv["eprint"] == "1706.03762"
    assert arxiv["archivePrefix"] == "arXiv"
    assert arxiv["primaryClass"] == "cs.CL"
    assert arxiv["url"] == "https://arxiv.org/abs/1706.03762"
    assert arxiv["month"] == "jun"  # the month macro, unbraced
    assert arxiv["keywords"] == "nlp, transformers"
    article = entries["muller2020unicode"]
    assert article.entry_type == "article"
    assert article["journal"] == r"Journal of {\"U}mlauts \& Co."
    assert article["doi"] == "10.1000/abc_def"
    assert "journal" not in entries["anonart"] and "author" not in entries["anonart"]
    assert "PRIVATE" not in text and "note" not in text.lower()


def test_bibtex_escapes_every_special_character():
    text = to_bibtex(PAPERS)
    title = next(line for line in text.splitlines() if "Friends" in line)
    assert title.strip() == (
        r"title = {{\"U}n{\"\i}c{\"o}d{\'e} \& Friends: 100\% of \$5 for \#1 a\_b \{x\} "
        r"back\textbackslash{}slash \textasciitilde{}tilde},"
    )
    for line in text.splitlines():
        if not line.strip().startswith(("url", "doi", "eprint")):
            assert not re.search(r"(?<!\\)[&%$#_]", line), line
            assert line.count("{") - line.count("\\{") >= 0


def test_bibtex_round_trip(tmp_path):
    records = reimport(tmp_path, to_bibtex(PAPERS))
    assert len(records) == len(PAPERS)
    for paper, parsed in zip(PAPERS, records, strict=True):
        record = parsed.record
        assert record.title == paper.title
        assert record.authors == paper.authors
        assert record.arxiv_id == paper.arxiv_id
        assert record.doi == paper.doi
        assert record.journal_ref == paper.journal_ref
        assert (record.published or "")[:4] == (paper.published or "")[:4]
    assert records[0].record.published == "2017-06"
    assert records[0].record.categories == ["cs.CL"]
    assert records[0].record.abstract == PAPERS[0].abstract


def test_csl_json_items():
    items = json.loads(to_csl_json(PAPERS))
    assert [item["id"] for item in items] == citation_keys(PAPERS)
    preprint, article = items[0], items[1]
    assert preprint == {
        "id": "vaswani2017attention",
        "citation-key": "vaswani2017attention",
        "type": "article",
        "title": "Attention Is All You Need",
        "author": [
            {"family": "Vaswani", "given": "Ashish"},
            {"family": "Shazeer", "given": "Noam"},
            {"family": "Kaiser", "given": "Łukasz"},
        ],
        "issued": {"date-parts": [[2017, 6, 12]]},
        "URL": "https://arxiv.org/abs/1706.03762",
        "abstract": PAPERS[0].abstract,
        "keyword": "nlp, transformers",
        "publisher": "arXiv",
        "number": "arXiv:1706.03762",
    }
    assert article["type"] == "article-journal"
    assert article["title"] == SPECIAL_TITLE  # JSON needs no LaTeX escaping
    assert article["container-title"] == "Journal of Ümlauts & Co."
    assert article["DOI"] == "10.1000/abc_def"
    assert article["issued"] == {"date-parts": [[2020, 3]]}
    assert items[4] == {
        "id": "anonart",
        "citation-key": "anonart",
        "type": "article",
        "title": "The Art of Untitled Authors",
    }


def test_csl_json_looks_like_real_exports(shared):
    """Fields as in the Zotero / Better BibTeX CSL-JSON files, and the CSL-JSON schema's
    rules: an array of items with id and type, names as objects, dates as integer parts."""
    real_fields = {
        key
        for name in REAL_CSL
        for item in json.loads((shared / "data" / name).read_text(encoding="utf-8"))
        for key in item
    }
    items = json.loads(to_csl_json(PAPERS))
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item["id"], str) and item["type"] in CSL_TYPES
        assert set(item) - real_fields <= {"keyword", "number"}  # both in the CSL schema
        for person in item.get("author", []):
            assert set(person) <= {"family", "given"} and all(person.values())
        for part in item.get("issued", {}).get("date-parts", [[0]])[0]:
            assert isinstance(part, int)
        assert all(isinstance(v, str) for k, v in item.items() if k not in ("author", "issued"))
