"""Papers as sync sends them: a stored row's imported fields as JSON, and back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from typing import Any

from reader.core.model import PaperRecord

_FIELDS = [f.name for f in fields(PaperRecord) if f.name != "listing"]
_JSON_LISTS = ("authors", "categories")


def record_json(row: Any) -> dict[str, Any]:
    """A ``papers`` row (or ``record_to_row``'s dict) as a record's fields."""
    out = {name: row[name] for name in _FIELDS}
    for name in _JSON_LISTS:
        out[name] = json.loads(out[name]) if isinstance(out[name], str) else out[name]
    return out


def record_from(data: dict[str, Any]) -> PaperRecord:
    """A received record; fields this version does not know are left out."""
    known = {k: v for k, v in data.items() if k in _FIELDS}
    if not isinstance(known.get("title"), str) or not known["title"].strip():
        raise ValueError("a paper without a title")
    return PaperRecord(**known)


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:32]
