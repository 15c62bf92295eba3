"""The BibTeX importer, on real Zotero/BBT/JabRef/Mendeley libraries and on broken input."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import pytest

from reader.core.importers import bibtex, detect_format
from reader.core.importers.base import ImportOptions
from reader.core.model import ParsedRecord, RecordError, SourcePosition

BBT = "bibtex-zotero-bbt/bibtex"
# file under ../shared/data -> (records, errors, warnings); errors are entries without a
# title (or, for the IRIDIA @string-only files, "no BibTeX entries found").
REAL_FILES = {
    f"{BBT}/bbt-1436-1_library_506.bib": (506, 0, 0),
    f"{BBT}/bbt-1436-2_library_1054.bib": (1052, 1, 1),
    f"{BBT}/bbt-1641_jabref51-groups_23.bib": (20, 0, 0),
    f"{BBT}/bbt-2660_plus-in-fieldname_283.bib": (209, 75, 1),
    f"{BBT}/bbt-873_library_394.bib": (987, 1, 15),
    f"{BBT}/bbt-97_jabref-groups_916.bib": (901, 10, 0),
    f"{BBT}/bbt-mendeley-export_465.bib": (512, 0, 61),
    f"{BBT}/d2l-en_d2l.bib": (488, 0, 0),
    f"{BBT}/iridia-references/abbrev.bib": (0, 1, 0),
    f"{BBT}/iridia-references/abbrevshort.bib": (0, 1, 1),  # one @string defined twice
    f"{BBT}/iridia-references/articles.bib": (1508, 1, 0),
    f"{BBT}/iridia-references/authors.bib": (0, 1, 0),
    f"{BBT}/iridia-references/biblio.bib": (1367, 0, 0),
    f"{BBT}/iridia-references/crossref.bib": (429, 0, 0),
    f"{BBT}/iridia-references/journals.bib": (0, 1, 0),
    "zotero-exports/dissertation-sysbio/My Library.bib": (333, 2, 0),
    "zotero-exports/dissertation-sysbio/refs.bib": (846, 4, 0),
    "zotero-exports/slr-deepfake/New collection.bib": (467, 0, 0),
}
PHYSICS = f"{BBT}/bbt-1436-3_physics-library_7166.bib"  # 3 MB, about 5 s


@cache  # each real file is parsed once for all the tests that read it
def run(path: Path) -> tuple[list[ParsedRecord], list[RecordError]]:
    results = list(bibtex.parse(path, ImportOptions()))
    records = [r for r in results if isinstance(r, ParsedRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def real(shared: Path, name: str) -> tuple[list[ParsedRecord], list[RecordError]]:
    return run(shared / "data" / name)


def by_title(records: list[ParsedRecord], title: str) -> ParsedRecord:
    return next(r for r in records if r.record.title == title)


def write(tmp_path: Path, text: str, name: str = "refs.bib", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def counts(path: Path) -> tuple[int, int, int]:
    records, errors = run(path)
    return len(records), sum(not e.warning for e in errors), sum(e.warning for e in errors)


@pytest.mark.parametrize("name", list(REAL_FILES))
def test_real_files_import_with_known_counts(shared, name):
    assert counts(shared / "data" / name) == REAL_FILES[name]


@pytest.mark.slow
def test_real_physics_library_imports_every_entry(shared):
    records, errors = real(shared, PHYSICS)
    assert (len(records), errors) == (7166, [])
    assert sum(1 for r in records if r.record.arxiv_id) == 210


def test_zotero_export_entry(shared):
    records, errors = real(shared, "zotero-exports/dissertation-sysbio/My Library.bib")
    first = records[0]
    assert first.record.title == (
        "Sequencing and comparison of yeast species to identify genes and regulatory elements"
    )
    assert first.record.authors == [
        "M. Kellis",
        "N. Patterson",
        "M. Endrizzi",
        "B. Birren",
        "E. S. Lander",
    ]
    assert first.record.doi == "10.1038/nature01644"
    assert first.record.published == "2003-05"  # month = may
    assert first.record.journal_ref == "Nature"
    assert first.record.abstract.startswith("Identifying the functional elements encoded in")
    assert (first.position.line, first.position.record) == (2, 1)
    listing = first.record.listing
    assert (listing.source, listing.kind, listing.position) == ("My Library.bib", "bibtex", 1)
    missing = [e for e in errors if "hastie__2001" in e.message]
    assert len(missing) == 1
    assert missing[0].message == "entry 'hastie__2001' has no title"
    assert missing[0].position.file.endswith("My Library.bib")
    assert missing[0].position.line == 535
    assert not missing[0].warning


def test_tex_accents_braces_and_et_al(shared):
    records, _ = real(shared, f"{BBT}/d2l-en_d2l.bib")
    tensorflow = records[0].record
    assert tensorflow.title == "TensorFlow: A system for large-scale machine learning"
    assert tensorflow.authors[0] == "Martín Abadi"  # Mart{\'\i}n
    assert len(tensorflow.authors) == 10  # "and et al." is not an author
    assert tensorflow.journal_ref == (
        "12th USENIX Symposium on Operating Systems Design and Implementation (OSDI 16)"
    )
    attention = by_title(records, "Attention is all you need").record
    assert attention.authors[6] == "Łukasz Kaiser"
    assert attention.published == "2017"


def test_arxiv_id_from_journal_text(shared):
    records, _ = real(shared, f"{BBT}/d2l-en_d2l.bib")
    shaw = by_title(records, "Self-attention with relative position representations").record
    assert shaw.arxiv_id == "1803.02155"  # journal = {Ar{X}iv:1803.02155}
    assert shaw.journal_ref is None


def test_arxiv_id_from_eprint(shared):
    records, _ = real(shared, f"{BBT}/bbt-1436-1_library_506.bib")
    title = "Luminescence of GaAs Nanowires Consisting of Wurtzite and Zinc-Blende Segments"
    jahn = by_title(records, title).record
    assert jahn.arxiv_id == "1201.6540"
    assert jahn.doi == "10.1103/physrevb.85.045323"
    assert jahn.authors[:3] == ["U. Jahn", "J. Lähnemann", "C. Pfüller"]
    assert jahn.published == "2012"


def test_duplicate_keys_are_imported_with_a_warning(shared):
    records, errors = real(shared, f"{BBT}/bbt-mendeley-export_465.bib")
    title = "On White Ignorance, White Shame, and Other Pitfalls in Critical Philosophy of Race"
    assert sum(r.record.title == title for r in records) == 3
    warnings = [
        e for e in errors if e.message == "duplicate entry key 'Milazzo2017'; imported anyway"
    ]
    assert [e.position.line for e in warnings] == [500, 575]
    assert all(e.warning for e in warnings)


def test_biblatex_date_and_uppercase_field_names(shared):
    records, _ = real(shared, f"{BBT}/bbt-2660_plus-in-fieldname_283.bib")
    formation = by_title(records, "Formation").record
    assert (formation.authors, formation.published) == (["Beyoncé"], "2016")


def test_fields_macros_and_identifiers(tmp_path):
    path = write(
        tmp_path,
        r"""@string{nips = "Advances in Neural {I}nformation Processing Systems"}
@inproceedings{vaswani,
  title = {{Attention} Is {{All}} You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and van der Berg, Jr, Piet and others},
  booktitle = nips,
  year = 2017, month = jun,
  eprint = {1706.03762v5}, archivePrefix = {arXiv}, primaryClass = {cs.CL},
  doi = {10.48550/ARXIV.1706.03762},
  url = {https://example.org/a%20b_c?x=1&y=2},
  abstract = {Line one
     wrapped here.

     Second paragraph.},
}
@misc{pubmed, title = {Not arXiv}, eprint = {1234.5678}, eprinttype = {pubmed}}
@misc{bare, title = {Bare eprint}, eprint = {hep-th/9901001}}
@misc{viaurl, title = {Via URL}, url = {https://arxiv.org/pdf/2406.12345v2}}
@misc{viadoi, title = {Via DOI}, doi = {https://doi.org/10.48550/arXiv.2406.54321}}
@misc{mendeley, title = {Mendeley}, arxivId = {2101.00001}}
@misc{notarxiv, title = {Wrong field}, arxivId = {10.1021/nl403687h}}
""",
    )
    records, errors = run(path)
    assert errors == []
    first = records[0].record
    assert first.title == "Attention Is All You Need"
    assert first.authors == ["Ashish Vaswani", "Noam Shazeer", "Piet van der Berg Jr"]
    assert first.journal_ref == "Advances in Neural Information Processing Systems"
    assert first.published == "2017-06"
    assert (first.arxiv_id, first.categories) == ("1706.03762", ["cs.CL"])
    assert first.doi == "10.48550/arxiv.1706.03762"
    assert first.abs_url == "https://example.org/a%20b_c?x=1&y=2"  # URLs are not LaTeX
    assert first.abstract == "Line one wrapped here.\n\nSecond paragraph."
    ids = {r.record.title: r.record.arxiv_id for r in records[1:]}
    assert ids == {
        "Not arXiv": None,
        "Bare eprint": "hep-th/9901001",
        "Via URL": "2406.12345",
        "Via DOI": "2406.54321",
        "Mendeley": "2101.00001",
        "Wrong field": None,
    }
    assert [r.position.record for r in records] == list(range(1, 8))
    assert [r.record.listing.position for r in records] == list(range(1, 8))


def test_latex_escapes_and_markup(tmp_path):
    path = write(
        tmp_path,
        r"""@article{a,
  title = {Caf{\'e} \& Na\"{\i}ve: 50\% off \$5 \_x {\"U}ber ---  $\alpha$-helix},
  author = {M{\"u}ller, J{\"o}rg and {\O}stergaard, S{\o}ren and {Barnes and Noble}},
  journal = {Science & Soci{\'e}t{\'e}},
  abstract = {<script>alert("x")</script> <b>bold</b> &amp; 100% \emph{sure}},
}""",
    )
    [record], errors = run(path)
    assert errors == []
    paper = record.record
    assert paper.title == "Café & Naïve: 50% off $5 _x Über — $\\alpha$-helix"
    assert paper.authors == ["Jörg Müller", "Søren Østergaard", "Barnes and Noble"]
    assert paper.journal_ref == "Science & Société"  # a bare & or % is not LaTeX markup here
    assert paper.abstract == '<script>alert("x")</script> <b>bold</b> &amp; 100% sure'


def test_crossref_completes_from_an_entry_in_the_same_file(tmp_path):
    path = write(
        tmp_path,
        """@inproceedings{DBLP:conf/nips/VaswaniSPUJGKP17,
  author = {Ashish Vaswani and Noam Shazeer},
  title = {Attention is All you Need},
  crossref = {DBLP:conf/nips/2017},
}
@proceedings{DBLP:conf/nips/2017,
  title = {Advances in Neural Information Processing Systems 30},
  year = {2017},
}
@inproceedings{elsewhere, title = {Crossref to another file}, crossref = {missing}}
""",
    )
    records, errors = run(path)
    assert errors == []
    child = records[0].record
    assert (child.title, child.published) == ("Attention is All you Need", "2017")
    assert child.journal_ref == "Advances in Neural Information Processing Systems 30"
    assert records[2].record.journal_ref is None


def test_unbalanced_braces_lose_only_that_entry(tmp_path):
    path = write(
        tmp_path,
        """@article{good1, title = {First}, year = 2001}

@article{broken,
  title = {Unbalanced {brace},
  year = 2002}

@article{good2, title = {Second}, year = 2003}
""",
    )
    records, errors = run(path)
    assert [r.record.title for r in records] == ["First", "Second"]
    assert records[1].position.line == 7
    [error] = errors
    assert error.position.line == 3
    assert "'broken'" in error.message
    assert not error.warning and not error.fatal


def test_entry_without_title_is_named(tmp_path):
    path = write(tmp_path, "@misc{first, title={Kept}}\n\n@article{notitle,\n  year = 2020\n}\n")
    records, [error] = run(path)
    assert [r.record.title for r in records] == ["Kept"]
    assert error.message == "entry 'notitle' has no title"
    assert error.position == SourcePosition(str(path), line=3, record=2)


def test_repeated_field_keeps_the_entry(tmp_path):
    path = write(tmp_path, "@misc{twice, title = {Old}, title = {New}}\n")
    [record], [warning] = run(path)
    assert record.record.title == "New"
    assert warning.warning and "title" in warning.message


def test_empty_file_is_one_fatal_error(tmp_path):
    records, [error] = run(write(tmp_path, ""))
    assert records == []
    assert error.fatal and error.message == "no BibTeX entries found"


def test_junk_bytes_do_not_raise(tmp_path):
    path = tmp_path / "junk.bib"
    path.write_bytes(bytes(range(256)) * 40 + b"\x00@\xff{\x81")
    records, errors = run(path)
    assert records == []
    assert errors and errors[0].warning  # not UTF-8: read as Windows-1252
    assert any(e.fatal or not e.warning for e in errors[1:])


def test_windows_1252_file_is_read_with_a_warning(tmp_path):
    text = (
        "@article{cp, title = {Caf\u00e9 \u2013 Na\u00efve}, author = {M\u00fcller, J\u00f6rg}}\n"
    )
    path = write(tmp_path, text, encoding="cp1252")
    [record], [warning] = run(path)
    assert warning.warning and "Windows-1252" in warning.message
    assert record.record.title == "Caf\u00e9 \u2013 Na\u00efve"
    assert record.record.authors == ["J\u00f6rg M\u00fcller"]


def test_gzipped_bib_with_bom_and_crlf(tmp_path):
    path = tmp_path / "refs.bib.gz"
    path.write_bytes(gzip.compress("\ufeff@misc{a,\r\n  title = {Zipped}\r\n}\r\n".encode()))
    [record], errors = run(path)
    assert (record.record.title, errors) == ("Zipped", [])


def test_sniff(tmp_path):
    assert bibtex.sniff("refs.bib", b"") > 0.9
    assert bibtex.sniff("refs.BIB.gz", b"") > 0.9
    assert bibtex.sniff("export.txt", b"% JabRef\n\n@Article{x,\n") >= 0.8
    assert bibtex.sniff("export.txt", b"\xef\xbb\xbf@misc (x,\n") >= 0.8
    assert bibtex.sniff("page.html", b"<html>\n@article{x, title={y}}") == 0
    assert bibtex.sniff("data.json", b'[{"title": "@article{"}]') == 0
    path = write(tmp_path, "@article{x, title = {y}}\n", name="export.txt")
    assert detect_format(path) == "bibtex"
