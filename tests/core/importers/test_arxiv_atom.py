"""The arXiv Atom API importer, on all 25 real responses and on hostile or broken XML."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from pathlib import Path

from reader.core.importers import arxiv_atom, importer_for
from reader.core.importers.base import ImportOptions
from reader.core.importers.textio import read_head
from reader.core.model import PaperRecord, ParsedRecord, RecordError

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
)
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol9;</title></entry></feed>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&xxe;</title></entry></feed>
"""


def run(path: Path) -> tuple[list[PaperRecord], list[RecordError]]:
    results = list(arxiv_atom.parse(path, ImportOptions()))
    records = [r.record for r in results if isinstance(r, ParsedRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def entry(
    arxiv_id: str = "2406.12345v2", title: str = "A Title", summary: str = "An abstract."
) -> str:
    return (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}</id><title>{title}</title>"
        f"<summary>{summary}</summary><author><name>Ada Lovelace</name></author></entry>\n"
    )


def write(tmp_path: Path, text: str | bytes, name: str = "feed.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def atom_dir(shared: Path) -> Path:
    return shared / "data" / "arxiv-api-atom"


def only_fatal(errors: list[RecordError], path: Path) -> RecordError:
    assert len(errors) == 1
    assert errors[0].fatal
    assert errors[0].position.file == str(path)
    return errors[0]


def test_registered_under_its_format():
    assert importer_for("arxiv-atom") is arxiv_atom
    assert arxiv_atom.FORMAT == "arxiv-atom"


def test_sniff(shared):
    root = atom_dir(shared)
    for path in [*root.glob("legacy-2016/*.xml"), *root.glob("new-2026/*.body.xml")]:
        assert arxiv_atom.sniff(path.name, read_head(path)) >= 0.9, path
    wrapper = next(root.glob("new-2026/*.json"))  # JSON that quotes a feed is not a feed
    assert arxiv_atom.sniff(wrapper.name, read_head(wrapper)) == 0
    oai = shared / "data" / "arxiv-oai-pmh" / "GetRecord_data.xml"
    assert arxiv_atom.sniff(oai.name, read_head(oai)) == 0
    assert arxiv_atom.sniff("x.json", b'{"id": "2406.1", "summary": "<feed> Atom"}') == 0


def test_all_25_real_responses(shared):
    root = atom_dir(shared)
    files = sorted([*root.glob("legacy-2016/*.xml"), *root.glob("new-2026/*.body.xml")])
    assert len(files) == 25
    records: list[PaperRecord] = []
    errors: list[RecordError] = []
    for path in files:
        found, problems = run(path)
        records += found
        errors += problems
    # SOURCE.md says "245 entries"; they are 245 papers plus the error entry.
    assert len(records) == 245
    assert all(r.arxiv_id and r.title and r.abstract and r.authors for r in records)
    assert all(r.published and r.updated and r.categories and r.abs_url for r in records)
    assert len({r.arxiv_id for r in records}) == 117  # the "testing" pages overlap
    [error] = errors  # the HTTP 400 answer for id_list=abc is an error, not a paper
    assert error.message == "arXiv API error: incorrect id format for abc"
    assert error.position.file.endswith("id_abc_s0_m100_b79c8dcf6bc3.body.xml")
    assert error.position.record == 1
    assert not error.fatal and not error.warning


def test_legacy_2016_entry(shared):
    path = atom_dir(shared) / "legacy-2016" / "id_list_1111.2011v2.xml"
    [record], errors = run(path)
    assert errors == []
    assert record.arxiv_id == "1111.2011"
    assert record.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert record.abstract.startswith("Theoretical description of anisotropic systems, such as")
    assert "\n" not in record.abstract  # hard wraps unfolded
    assert record.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert record.doi == "10.1103/physrevb.85.115117"
    assert (record.published, record.updated) == ("2011-11-08", "2012-04-02")
    assert record.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert record.comments == "8 pages, 3 figures. Published version"
    assert record.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert record.abs_url == "http://arxiv.org/abs/1111.2011v2"
    assert record.pdf_url == "http://arxiv.org/pdf/1111.2011v2"
    assert record.listing is not None
    assert (record.listing.source, record.listing.kind) == (path.name, "arxiv-atom")
    assert (record.listing.position, record.listing.listed_on) == (1, "")


def test_new_2026_entry_with_old_style_id(shared):
    path = atom_dir(shared) / "new-2026" / "id_astro-ph_0601001_s0_m100_3150dca9dc76.body.xml"
    [record], _ = run(path)
    assert record.arxiv_id == "astro-ph/0601001"
    assert record.title.startswith("Frequency of Hot Jupiters and Very Hot Jupiters")
    assert "V_max<17.5" in record.abstract  # &lt; decoded, text kept literal
    assert record.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert (record.published, record.updated) == ("2006-01-02", "2006-01-02")
    assert record.categories == ["astro-ph"]
    assert record.journal_ref == "ActaAstron.56:1-50,2006"
    assert record.comments is not None and record.comments.startswith("62 pages including")
    assert record.doi is None
    assert record.abs_url == "https://arxiv.org/abs/astro-ph/0601001v1"
    assert record.pdf_url == "https://arxiv.org/pdf/astro-ph/0601001v1"


def test_listing_positions_follow_entry_order(shared):
    [path] = atom_dir(shared).glob("new-2026/q_testing_s0_m10_*.body.xml")
    records, errors = run(path)
    assert errors == []
    assert [r.listing.position for r in records if r.listing] == list(range(1, 11))


def test_empty_result_feed_has_no_records_and_no_errors(shared):
    [path] = atom_dir(shared).glob("new-2026/id_0000.0000_*.body.xml")
    assert run(path) == ([], [])


def test_primary_category_first_without_duplicates(tmp_path):
    categories = (
        '<category term="cs.LG"/><category term="cs.AI"/><category term="cs.LG"/>'
        '<arxiv:primary_category term="cs.AI"/><category term="68T05"/>'
    )
    path = write(tmp_path, HEAD + entry().replace("</entry>", categories + "</entry>") + "</feed>")
    [record], _ = run(path)
    assert record.categories == ["cs.AI", "cs.LG", "68T05"]


def test_markup_in_text_stays_literal(tmp_path):
    summary = "Look: &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; &amp; more"
    path = write(
        tmp_path, HEAD + entry(title="&lt;i&gt;Tiny&lt;/i&gt;", summary=summary) + "</feed>"
    )
    [record], _ = run(path)
    assert record.abstract == "Look: <script>alert(1)</script> <b>bold</b> & more"
    assert record.title == "<i>Tiny</i>"


def test_entry_without_title_is_an_error_and_the_rest_import(tmp_path):
    path = write(tmp_path, HEAD + entry("2401.00001", title=" ") + entry("2401.00002") + "</feed>")
    records, errors = run(path)
    assert [r.arxiv_id for r in records] == ["2401.00002"]
    assert [(e.message, e.position.record, e.fatal) for e in errors] == [
        ("entry has no title", 1, False)
    ]


def test_gzip_crlf_and_bom(tmp_path):
    text = "\ufeff" + HEAD + entry(summary="Line one\nline two.\n\nNew paragraph.") + "</feed>"
    path = write(tmp_path, gzip.compress(text.replace("\n", "\r\n").encode()), "feed.xml.gz")
    [record], errors = run(path)
    assert errors == []
    assert record.abstract == "Line one line two.\n\nNew paragraph."


def test_empty_file(tmp_path):
    path = write(tmp_path, b"")
    records, errors = run(path)
    assert records == []
    assert "empty" in only_fatal(errors, path).message


def test_junk_bytes(tmp_path):
    path = write(tmp_path, bytes(range(256)) * 4)
    records, errors = run(path)
    assert records == []
    assert "not well-formed" in only_fatal(errors, path).message


def test_other_xml_is_not_a_feed(tmp_path):
    path = write(tmp_path, "<html><body><entry>x</entry></body></html>")
    records, errors = run(path)
    assert records == []
    assert only_fatal(errors, path).message == "not an Atom feed: the root element is <html>"


def test_truncated_file_keeps_the_entries_before_the_cut(shared, tmp_path):
    [source] = atom_dir(shared).glob("new-2026/q_testing_s0_m10_*.body.xml")
    data = source.read_bytes()
    cut = data.index(b"<entry>", data.index(b"<entry>") * 2 + 1000)  # inside the feed
    path = write(tmp_path, data[: cut + 200])
    records, errors = run(path)
    assert 1 <= len(records) < 10
    error = only_fatal(errors, path)
    assert "not well-formed" in error.message
    assert error.position.line is not None and error.position.line > 1


def test_billion_laughs_is_refused_without_expansion(tmp_path):
    path = write(tmp_path, BILLION_LAUGHS)
    started = time.perf_counter()
    records, errors = run(path)
    assert time.perf_counter() - started < 1
    assert records == []
    message = only_fatal(errors, path).message
    assert message.startswith("refused unsafe XML (DTDForbidden")
    assert "lollol" not in message


def test_external_entity_is_refused(tmp_path):
    path = write(tmp_path, EXTERNAL_ENTITY)
    records, errors = run(path)
    assert records == []
    message = only_fatal(errors, path).message
    assert message.startswith("refused unsafe XML")
    assert "root:" not in message


def test_memory_stays_flat_on_a_big_feed(tmp_path):
    entries, summary = 1500, "x" * 8000  # 8 kB per entry, 12 MB of text in all
    path = tmp_path / "big.xml"
    with path.open("w") as f:
        f.write(HEAD)
        for i in range(entries):
            f.write(entry(f"2401.{i:05d}", summary=summary))
        f.write("</feed>")
    tracemalloc.start()
    try:
        count = sum(isinstance(r, ParsedRecord) for r in arxiv_atom.parse(path, ImportOptions()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == entries
    assert peak < 3 * 2**20  # holding the parsed tree would need well over 12 MB
