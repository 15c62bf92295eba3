"""The arXiv OAI-PMH (oai_dc) importer, on the real 2,265-record harvest and broken input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reader.core.importers import arxiv_oai, importer_for
from reader.core.importers.base import ImportOptions
from reader.core.importers.textio import read_head
from reader.core.model import PaperRecord, ParsedRecord, RecordError

OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
    '<request verb="{verb}" metadataPrefix="{prefix}">http://export.arxiv.org/oai2</request>\n'
)
DC = (
    '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">{fields}</oai_dc:dc></metadata>'
)
FIELDS = (
    "<dc:title>A Title</dc:title><dc:creator>Lovelace, Ada</dc:creator>"
    "<dc:description>An abstract.</dc:description><dc:date>2024-06-01</dc:date>"
)


def run(path: Path) -> tuple[list[PaperRecord], list[RecordError]]:
    results = list(arxiv_oai.parse(path, ImportOptions()))
    records = [r.record for r in results if isinstance(r, ParsedRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def record(arxiv_id: str = "2406.12345", fields: str = FIELDS, status: str = "") -> str:
    header = f"<header{status}><identifier>oai:arXiv.org:{arxiv_id}</identifier></header>"
    return f"<record>{header}{DC.format(fields=fields) if fields else ''}</record>\n"


def response(*records: str, verb: str = "ListRecords", prefix: str = "oai_dc") -> str:
    body = f"<{verb}>{''.join(records)}</{verb}>" if records else ""
    return OPEN.format(verb=verb, prefix=prefix) + body + "</OAI-PMH>\n"


def write(tmp_path: Path, text: str | bytes, name: str = "oai.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def oai_dir(shared: Path) -> Path:
    return shared / "data" / "arxiv-oai-pmh"


def test_registered_under_its_format():
    assert importer_for("arxiv-oai") is arxiv_oai
    assert arxiv_oai.FORMAT == "arxiv-oai"


def test_sniff(shared):
    for path in oai_dir(shared).glob("*.xml*"):
        assert arxiv_oai.sniff(path.name, read_head(path)) >= 0.9, path
    atom = next((shared / "data" / "arxiv-api-atom" / "legacy-2016").glob("*.xml"))
    assert arxiv_oai.sniff(atom.name, read_head(atom)) == 0
    assert arxiv_oai.sniff("x.jsonl", b'{"id": "1", "summary": "OAI-PMH"}') == 0


def test_the_real_harvest(shared):
    pages = sorted(oai_dir(shared).glob("ListRecords_data_*.xml.gz"))
    counts, ids = [], set()
    for page in pages:
        records, errors = run(page)
        assert errors == []
        counts.append(len(records))
        ids |= {r.arxiv_id for r in records}
        assert all(r.title and r.abstract and r.authors and r.published for r in records)
        assert all(r.listing and r.listing.source == page.name for r in records)
    assert counts == [1000, 1000, 265]
    assert len(ids) == 2265  # completeListSize, all unique
    assert "nlin/0202021" in ids  # old-style ids come through


def test_get_record_fields(shared):
    path = oai_dir(shared) / "GetRecord_data.xml"
    [paper], errors = run(path)
    assert errors == []
    assert paper.arxiv_id == "2107.10460"
    assert paper.title == (
        "Anomalous High-Field Magnetotransport in CaFeAsF due to the Quantum Hall Effect"
    )
    assert paper.authors[:3] == ["Taichi Terashima", "Hishiro T. Hirose", "Naoki Kikugawa"]
    assert len(paper.authors) == 8
    assert paper.abstract.startswith("CaFeAsF is an iron-based superconductor parent compound")
    assert 'Schr\\"odinger-hole' in paper.abstract  # LaTeX kept literally
    assert "\n" not in paper.abstract
    assert paper.comments == "18 pages, 1 table, 4 figures"
    assert (paper.published, paper.updated) == ("2021-07-22", "2022-06-15")
    assert paper.doi == "10.1038/s41535-022-00470-6"
    assert paper.journal_ref == "npj Quantum Materials 7, 62 (2022)"
    assert paper.abs_url == "http://arxiv.org/abs/2107.10460"
    assert paper.categories == []  # subjects are names such as "Condensed Matter - ..."
    assert paper.listing is not None
    assert (paper.listing.kind, paper.listing.position, paper.listing.listed_on) == (
        "arxiv-oai",
        1,
        "",
    )


def test_list_identifiers_holds_no_metadata(shared):
    path = oai_dir(shared) / "ListIdentifiers_data.xml.gz"
    records, [error] = run(path)
    assert records == []
    assert error.fatal and "ListIdentifiers" in error.message


def test_other_metadata_formats_are_refused(tmp_path):
    path = write(tmp_path, response(record(), prefix="arXivRaw"))
    records, [error] = run(path)
    assert records == []
    assert error.fatal and "metadataPrefix=arXivRaw" in error.message


def test_only_arxiv_codes_become_categories(tmp_path):
    subjects = "".join(
        f"<dc:subject>{s}</dc:subject>"
        for s in ["Computer Science - Artificial Intelligence", "cs.AI", "68T05", "I.2.7",
                  "cond-mat.str-el", "cs.AI", "physics", "text", "hep-th", "cs.AI extra"]
    )  # fmt: skip
    [paper], _ = run(write(tmp_path, response(record(fields=FIELDS + subjects))))
    assert paper.categories == ["cs.AI", "cond-mat.str-el", "hep-th"]


def test_creator_names_and_descriptions(tmp_path):
    fields = (
        "<dc:title>T</dc:title>"
        "<dc:creator>Finger, Jr., M.</dc:creator><dc:creator>van der Berg, Anna</dc:creator>"
        "<dc:creator>The ATLAS Collaboration</dc:creator>"
        "<dc:description>Comment: 12 pages\n  and 3 figures</dc:description>"
        "<dc:description>  The abstract,\nwrapped. &lt;script&gt;x&lt;/script&gt;</dc:description>"
        "<dc:date>2001-02-03</dc:date><dc:date>2002-03-04</dc:date><dc:date>2003-04-05</dc:date>"
        "<dc:identifier>doi:10.1000/ABC</dc:identifier>"
    )
    [paper], _ = run(write(tmp_path, response(record("hep-th/9901001", fields))))
    assert paper.authors == ["M. Finger Jr.", "Anna van der Berg", "The ATLAS Collaboration"]
    assert paper.comments == "12 pages and 3 figures"
    assert paper.abstract == "The abstract, wrapped. <script>x</script>"
    assert (paper.published, paper.updated) == ("2001-02-03", "2003-04-05")
    assert paper.arxiv_id == "hep-th/9901001"  # from the header: no abs URL here
    assert paper.doi == "10.1000/abc"
    assert paper.abs_url is None


def test_bad_and_deleted_records_do_not_stop_the_rest(tmp_path):
    records_xml = [
        record("2401.00001", status=' status="deleted"', fields=""),
        record("2401.00002", fields=""),
        record("2401.00003", fields=FIELDS.replace("A Title", " ")),
        record("2401.00004"),
    ]
    records, errors = run(write(tmp_path, response(*records_xml)))
    assert [r.arxiv_id for r in records] == ["2401.00004"]
    assert records[0].listing is not None and records[0].listing.position == 4
    assert [(e.message, e.position.record, e.warning, e.fatal) for e in errors] == [
        ("oai:arXiv.org:2401.00001 is deleted; skipped", 1, True, False),
        ("record has no oai_dc metadata", 2, False, False),
        ("record has no title", 3, False, False),
    ]


@pytest.mark.parametrize(
    ("code", "fatal"), [("noRecordsMatch", False), ("badResumptionToken", True)]
)
def test_oai_error_responses(tmp_path, code, fatal):
    text = response().replace("</OAI-PMH>", f'<error code="{code}">No luck</error></OAI-PMH>')
    records, [error] = run(write(tmp_path, text))
    assert records == []
    assert error.message == f"OAI-PMH error {code}: No luck"
    assert (error.fatal, error.warning) == (fatal, not fatal)


def test_truncated_gzip_page_keeps_the_records_before_the_cut(shared, tmp_path):
    data = (oai_dir(shared) / "ListRecords_data_2.xml.gz").read_bytes()
    path = write(tmp_path, data[: len(data) // 2], "cut.xml.gz")
    records, errors = run(path)
    assert 50 < len(records) < 265
    [error] = errors
    assert error.fatal and error.position.file == str(path)
    assert "cannot read the file" in error.message


def test_truncated_xml_keeps_the_records_before_the_cut(tmp_path):
    text = response(record("2401.00001"), record("2401.00002"))
    path = write(tmp_path, gzip.compress(text[: text.index("2401.00002") + 5].encode()), "t.gz")
    records, [error] = run(path)
    assert [r.arxiv_id for r in records] == ["2401.00001"]
    assert error.fatal and "not well-formed" in error.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file has no XML element"),
        (b"\x00\x9f\x92\x96 binary junk \xff" * 50, "not well-formed"),
        (b"<feed><entry/></feed>", "not an OAI-PMH response: the root element is <feed>"),
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">&b;</OAI-PMH>',
            "refused unsafe XML (DTDForbidden",
        ),
        (
            b'<!DOCTYPE OAI-PMH [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">&x;</OAI-PMH>',
            "refused unsafe XML",
        ),
    ],
)
def test_unreadable_files_give_one_fatal_error(tmp_path, content, expected):
    path = write(tmp_path, content)
    records, [error] = run(path)
    assert records == []
    assert error.fatal and error.position.file == str(path)
    assert expected in error.message
