"""Seeds (excerpts of real files) and hypothesis strategies that break them.

The mutations are the damage real files suffer: cuts, flipped and inserted bytes, deleted or
repeated spans, spans glued from another file, tokens that matter to the format, legacy and
UTF-16 re-encodings, gzip (whole or cut), huge repeated spans, and for JSON the wrong shape
(a value anywhere replaced by another kind of value).
"""

from __future__ import annotations

import gzip
import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.robustness.samples import seeds

CI_EXAMPLES = 60
MAX_SIZE = 6 * 2**20  # a mutated file never grows past this (huge spans are capped)

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    derandomize=True,  # the same examples on every run: CI stays deterministic
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "big",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz_settings() -> settings:
    """PAPER_READER_FUZZ_PROFILE=big (2,000 examples) for the long run; ci by default.
    PAPER_READER_FUZZ_EXAMPLES overrides the count."""
    profile = settings.get_profile(os.environ.get("PAPER_READER_FUZZ_PROFILE", "ci"))
    count = os.environ.get("PAPER_READER_FUZZ_EXAMPLES")
    return settings(profile, max_examples=int(count)) if count else profile


# -- mutations -----------------------------------------------------------------------------------

TOKENS = [
    b'"', b"'", b"{", b"}", b"[", b"]", b",", b":", b"\\", b"\\u", b"\\ud800", b"\x00", b"\xff",
    b"\xc3", b"\xe2\x80", b"\xef\xbb\xbf", b"\r", b"\n", b"\r\n", b"\t", b"\x1f\x8b", b"\x0c",
    b"null", b"true", b"NaN", b"-Infinity", b"1e999999", b"9" * 5000, b"[" * 3000,
    b'{"paper": 1}', b'{"paper": {"title": []}}', b'{"data": {}}', b'"authors": "x"',
    b"<", b">", b"&", b"&amp;", b"&xxe;", b"&#0;", b"&#xD800;", b"<![CDATA[", b"]]>",
    b"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>",
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd">', b"<?xml version='1.0'?>", b"</feed>",
    b"<entry>", b"</record>", b"<b>bold</b><script>alert(1)</script>",
    b"@article{", b"@string{x = ", b"@comment{", b"@preamble{", b"title = {", b"}}}}", b"%",
    b"\\'{e}", b"$\\alpha$", b"Subscribe", b"Daily Papers", b"Aug 8", b"Feb 30, 2024",
    "\u2028\u202e\ufeff\U0001f600".encode(),
]  # fmt: skip


@st.composite
def _position(draw: st.DrawFn, data: bytes) -> int:
    return draw(st.integers(0, len(data)))


@st.composite
def _mutate_once(draw: st.DrawFn, data: bytes, fmt: str) -> bytes:
    operations = ["cut", "flip", "insert", "token", "delete", "repeat", "splice", "huge"]
    op = draw(st.sampled_from([*operations, "encode", "shape"]))
    at = draw(_position(data))
    if op == "cut":
        return data[:at]
    if op == "flip" and data:
        at = min(at, len(data) - 1)
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if op == "insert":
        return data[:at] + draw(st.binary(max_size=64)) + data[at:]
    if op == "token":
        return data[:at] + draw(st.sampled_from(TOKENS)) + data[at:]
    if op in ("delete", "repeat"):
        end = draw(st.integers(at, min(len(data), at + 4096)))
        if op == "delete":
            return data[:at] + data[end:]
        return data[:end] + data[at:end] * draw(st.integers(1, 8)) + data[end:]
    if op == "splice":
        other = draw(st.sampled_from(seeds(fmt)))
        return data[:at] + other[draw(_position(other)) :]
    if op == "huge":  # a multi-MB line or field: a span repeated, or one long run of a byte
        end = draw(st.integers(at, min(len(data), at + 64)))
        span = data[at:end] or draw(st.sampled_from([b"a", b"\xe9", b" ", b"{", b"<a>"]))
        times = draw(st.integers(1, max(1, (MAX_SIZE // 2) // len(span))))
        return data[:at] + span * times + data[at:]
    if op == "encode":
        text = data.decode("utf-8", errors="replace")
        codec = draw(st.sampled_from(["cp1252", "latin-1", "utf-16", "utf-16-be", "utf-8-sig"]))
        return text.encode(codec, errors="replace")
    if op == "shape":
        return _reshape(draw, data)
    return data


def _json_values() -> st.SearchStrategy[object]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    )


def _reshape(draw: st.DrawFn, data: bytes) -> bytes:
    """JSON of the wrong shape: one value somewhere (the document, or a line of JSON lines)
    replaced by a value of another kind."""
    lines = data.split(b"\n")
    try:
        whole = [json.loads(data)]
        parts = None
    except ValueError:
        parts = [i for i, line in enumerate(lines) if line.strip().startswith(b"{")]
        if not parts:
            return data
        index = draw(st.sampled_from(parts))
        try:
            whole = [json.loads(lines[index])]
        except ValueError:
            return data
    nodes: list[tuple[object, object]] = []  # (container, key) of every value in the document

    def walk(container: object, key: object, value: object) -> None:
        nodes.append((container, key))
        if isinstance(value, dict):
            for k, v in value.items():
                walk(value, k, v)
        elif isinstance(value, list):
            for i, v in enumerate(value[:50]):
                walk(value, i, v)

    walk(whole, 0, whole[0])
    container, key = draw(st.sampled_from(nodes))
    container[key] = draw(_json_values())  # type: ignore[index]
    text = json.dumps(whole[0]).encode()
    if parts is None:
        return text
    lines[index] = text
    return b"\n".join(lines)


@st.composite
def broken_files(draw: st.DrawFn, fmt: str) -> bytes:
    """A real file of ``fmt`` with 0–4 kinds of damage, or random bytes, or nothing."""
    kind = draw(st.sampled_from(["mutated"] * 8 + ["random", "empty"]))
    if kind == "random":
        return draw(st.binary(max_size=4096))
    if kind == "empty":
        return draw(st.sampled_from([b"", b"\n", b" \r\n\t", b"\xef\xbb\xbf", b"\x00" * 64]))
    data = draw(st.sampled_from(seeds(fmt)))
    for _ in range(draw(st.integers(0, 4))):
        data = draw(_mutate_once(data, fmt))[:MAX_SIZE]
    wrap = draw(st.sampled_from(["plain"] * 6 + ["gzip", "cut-gzip"]))
    if wrap != "plain":
        data = gzip.compress(data, compresslevel=1)
        if wrap == "cut-gzip":
            data = data[: draw(st.integers(2, len(data)))]
    return data
