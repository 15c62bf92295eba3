"""The Python ``repr()`` of JSON-like data, read as JSON in memory proportional to its size.

Some saved Daily Papers files hold each item as the ``repr()`` of a dict (single quotes,
``True``/``None``). ``ast.literal_eval`` reads those, but builds a syntax tree first: a
20 MB file peaked at 9.6 GB. Here the standard tokenizer turns the text into JSON token by
token (each string literal evaluated on its own, so Python's escapes mean what they mean in
Python), and the JSON decoder builds the value.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize

_NAMES = {"True": "true", "False": "false", "None": "null"}
_PUNCTUATION = frozenset("{}[]:,-")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_SKIPPED = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER})


def repr_as_json(text: str) -> str:
    """The JSON text of the value ``text`` is the repr of (dicts, lists, str, int, float,
    True/False/None); ``ValueError`` for anything else (a tuple, a call, a name)."""
    out = io.StringIO()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, value = token.type, token.string
            if kind == tokenize.STRING:
                literal = ast.literal_eval(value)
                if not isinstance(literal, str):
                    raise ValueError(f"{value[:20]!r} is not text")
                out.write(json.dumps(literal, ensure_ascii=False))
            elif (kind == tokenize.OP and value in _PUNCTUATION) or (
                kind == tokenize.NUMBER and _NUMBER.fullmatch(value)
            ):
                out.write(value)  # the same in JSON
            elif kind == tokenize.NAME and value in _NAMES:
                out.write(_NAMES[value])
            elif kind not in _SKIPPED:
                raise ValueError(f"unexpected {value[:20]!r} at offset {token.start[1]}")
    except (tokenize.TokenError, SyntaxError) as e:
        raise ValueError(str(e)) from None
    return out.getvalue()
