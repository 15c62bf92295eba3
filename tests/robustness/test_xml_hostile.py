"""Hostile XML: multi-MB tokens cost linear time; DTD tricks are refused, never expanded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.robustness.samples import parse, seeds

TOKEN = 16 * 2**20


@pytest.mark.parametrize("fmt", ["arxiv-atom", "arxiv-oai"])
@pytest.mark.parametrize("where", ["attribute", "comment", "text between elements", "before root"])
def test_a_multi_mb_xml_token_costs_linear_time(fmt: str, where: str, tmp_path: Path):
    """ElementTree's 16 kB reads made expat 2.5 re-scan a long token on every read: a
    16 MB attribute took 10-30 s of CPU; now well under a second."""
    seed = seeds(fmt)[1 if fmt == "arxiv-oai" else 0]
    anchor = b"<dc:title>" if fmt == "arxiv-oai" else b"<title>"
    if where == "before root":
        anchor = seed[seed.index(b"?>") : seed.index(b"?>") + 2]
    big = {
        "attribute": anchor[:-1] + b' x="' + b"a" * TOKEN + b'">',
        "comment": b"<!--" + b"a" * TOKEN + b"-->" + anchor,
        "text between elements": b"a" * TOKEN + anchor,
        "before root": anchor + b"a" * TOKEN,
    }[where]
    path = tmp_path / "big.xml"
    path.write_bytes(seed.replace(anchor, big, 1))
    start = time.process_time()
    records, errors = parse(fmt, path)
    assert time.process_time() - start < 5.0
    if where == "before root":
        assert not records and errors[-1].fatal and "not well-formed" in errors[-1].message
    else:
        assert records and not [e for e in errors if e.fatal]


@pytest.mark.parametrize("fmt", ["arxiv-atom", "arxiv-oai"])
@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE feed SYSTEM "http://127.0.0.1:9/evil.dtd">',
        b'<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
        b'<!DOCTYPE x [<!ENTITY big "' + b"a" * 100_000 + b'">]>',  # quadratic blow-up
    ],
    ids=["external-dtd", "parameter-entity", "quadratic-blowup"],
)
def test_dtd_tricks_are_refused_with_a_clear_error(fmt: str, doctype: bytes, tmp_path: Path):
    seed = seeds(fmt)[0]
    declaration_end = seed.index(b"?>") + 2 if seed.startswith(b"<?xml") else 0
    path = tmp_path / "evil.xml"
    path.write_bytes(seed[:declaration_end] + doctype + seed[declaration_end:])
    records, errors = parse(fmt, path)
    assert records == []
    [error] = errors
    assert error.fatal and "refused unsafe XML" in error.message


@pytest.mark.parametrize("fmt", ["arxiv-atom", "arxiv-oai"])
def test_an_unknown_encoding_in_the_xml_declaration_is_one_clear_error(fmt: str, tmp_path: Path):
    """Found by the long fuzz run: ``encoding="TF-8"`` made expat raise LookupError."""
    seed = seeds(fmt)[0]
    body = seed[seed.index(b"?>") + 2 :] if seed.startswith(b"<?xml") else seed
    path = tmp_path / "odd.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="TF-8"?>' + body)
    records, errors = parse(fmt, path)
    assert records == []
    [error] = errors
    assert error.fatal and "TF-8" in error.message and error.position.line == 1
