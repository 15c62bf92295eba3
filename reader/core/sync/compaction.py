"""Folding a machine's small change files into one, so that a remote synced every 15 minutes
for a year holds dozens of files, not tens of thousands.

A folded file covers the change numbers of the files it replaces (``00000003-00000040``)
and holds what they held with superseded values dropped: applying it is the same as applying
them in order, because every rule in ``journal`` is idempotent and a later stamp from the same
machine always wins. Files that replay duplicate merges are never folded (a merge moves state
between papers, so its place in the order matters), and a fold stays within one file's paper
budget. Only the machine that wrote the files folds them, and it deletes the old ones only
after the fold is on the remote, so a reader half-way through them loses nothing: it reads
the fold, which covers the number it needs next.
"""

from __future__ import annotations

import json
from typing import Any

from reader.core.sync.records import record_hash

FOLD_AT = 32  # files of this machine's on the remote before small ones are folded


def file_name(node: str, start: int, end: int) -> str:
    span = f"{start:08d}" if start == end else f"{start:08d}-{end:08d}"
    return f"nodes/{node}/{span}.prsync"


def parse_span(name: str) -> tuple[int, int] | None:
    """(first, last) change number of a change file's name; None for other names."""
    stem = name.removesuffix(".prsync")
    if stem == name:
        return None
    first, _, last = stem.partition("-")
    if not first.isdigit() or not (last or first).isdigit():
        return None
    start, end = int(first), int(last or first)
    return (start, end) if end >= start else None


def runs(rows: list[Any], papers_per_file: int) -> list[list[Any]]:
    """Runs of at least two consecutive ``sync_files`` rows that can fold into one file."""
    found: list[list[Any]] = []
    run: list[Any] = []
    for row in rows:
        fits = (
            run
            and row["start"] == run[-1]["end"] + 1
            and sum(r["papers"] for r in run) + row["papers"] <= papers_per_file
        )
        foldable = not row["merges"] and row["papers"] <= papers_per_file
        if foldable and fits:
            run.append(row)
            continue
        if len(run) > 1:
            found.append(run)
        run = [row] if foldable else []
    if len(run) > 1:
        found.append(run)
    return found


def fold(contents: list[dict[str, Any]]) -> dict[str, Any]:
    """One change file's content equivalent to ``contents`` applied in order."""
    papers: dict[str, Any] = {}
    registers: dict[tuple[str, str], dict[str, Any]] = {}
    notes: dict[tuple[str, str], dict[str, Any]] = {}
    for content in contents:
        for record in content.get("papers", []):
            papers.setdefault(record_hash(record), record)
        for r in content.get("registers", []):
            key = (json.dumps(r.get("ref") or r.get("key"), sort_keys=True), r["field"])
            if key not in registers or registers[key]["stamp"] < r["stamp"]:
                registers[key] = r
        for n in content.get("notes", []):
            notes.setdefault((json.dumps(n["ref"], sort_keys=True), n["stamp"]), n)
    last = contents[-1]
    return {
        "format": last["format"],
        "node": last["node"],
        "name": last.get("name"),
        "papers": list(papers.values()),
        "registers": list(registers.values()),
        "notes": list(notes.values()),
        "merges": [],
    }
