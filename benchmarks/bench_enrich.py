"""Enrichment benchmark: the 317 sample papers looked up on a local stand-in for arXiv's search
built from real arXiv records, and the threshold sweep behind ``online.enrich``'s constants.

    python benchmarks/bench_enrich.py

The stand-in (``tests/core/online/arxiv_search.py`` says exactly how its responses are
built) holds 45k real records: the Daily Papers of 580 days, the cs/AI and astro-ph
listings and the Kaggle sample. Prints JSON lines on stdout:

- ``sample``: the sample library enriched through ``Library.enrich`` over HTTP on 127.0.0.1:
  resolved exactly / fuzzily, ambiguous, not found; precision against the truth the corpus
  gives (the arXiv id of the record whose normalised title equals the paper's). A paper
  whose record is not in the corpus can only be resolved wrongly: it counts as wrong.
- ``sweep``: ``choose`` at each title threshold, with and without the abstracts, on
  *positives* (the real cases where the same arXiv id has two different titles in the data:
  LaTeX markup, hard wraps, renamed versions; the other title is searched for) and
  *negatives* (real near pairs: two different papers whose titles are within a ratio of 80;
  one is searched for with its own record removed from the stand-in, so any resolution is
  a wrong paper).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader.core.identity import title_blocks, title_key  # noqa: E402
from reader.core.importers import ImportOptions, importer_for  # noqa: E402
from reader.core.model import PaperRecord, ParsedRecord  # noqa: E402
from reader.core.online import enrich  # noqa: E402
from tests.core.online import arxiv_search  # noqa: E402

THRESHOLDS = [80, 85, 88, 90, 92, 94, 95, 96, 97, 98, 99]


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


def candidates(search: arxiv_search.Search, title: str, without: str | None) -> list[PaperRecord]:
    """What the client would get for a title: the stand-in's answer (minus ``without``) read
    through the Atom importer, the same two searches as ``online.enrich``."""
    atom = importer_for("arxiv-atom")
    for query in enrich.search_queries(title):
        found = [e for e in search.matches(query) if e.arxiv_id != without][: enrich.MAX_RESULTS]
        if not found:
            continue
        with tempfile.NamedTemporaryFile(suffix=".xml") as f:
            f.write(arxiv_search.feed(found, query, 0, len(found)))
            f.flush()
            return [
                r.record
                for r in atom.parse(Path(f.name), ImportOptions())
                if isinstance(r, ParsedRecord)
            ]
    return []


def sample_run(search: arxiv_search.Search) -> None:
    from reader.core.library import Library

    truth: dict[str, str] = {}
    for entry in arxiv_search.corpus().values():
        truth.setdefault(enrich.loose_key(entry.title), entry.arxiv_id)
    server = HTTPServer()
    server.start()
    try:
        server.expect_request("/api/query").respond_with_handler(arxiv_search.handler(search))
        os.environ["PAPER_READER_ARXIV_API_URL"] = server.url_for("/api/query")
        os.environ["PAPER_READER_REQUEST_INTERVAL"] = "0"
        with tempfile.TemporaryDirectory() as folder, Library(Path(folder)) as library:
            library.import_files(sorted((ROOT / "resources" / "sample").glob("*.txt")))
            started = time.perf_counter()
            report = library.enrich(None)
            seconds = time.perf_counter() - started
            known = sum(1 for i in report.items if enrich.loose_key(i.title) in truth)
            right = [i for i in report.items if i.status == "resolved"]
            correct = sum(1 for i in right if truth.get(enrich.loose_key(i.title)) == i.arxiv_id)
            emit(
                {
                    "bench": "sample",
                    "papers": len(report.items),
                    "in_corpus": known,
                    "resolved_exact": sum(1 for i in right if i.match == "exact"),
                    "resolved_fuzzy": sum(1 for i in right if i.match == "fuzzy"),
                    "ambiguous": report.count("ambiguous"),
                    "not_found": report.count("not found"),
                    "failed": report.count("failed"),
                    "correct": correct,
                    "precision": round(correct / len(right), 4) if right else None,
                    "recall_of_in_corpus": round(correct / known, 4) if known else None,
                    "requests": report.requests,
                    "seconds": round(seconds, 2),
                    "check_consistent": library.check().consistent,
                }
            )
    finally:
        server.stop()


def positives() -> list[tuple[str, str, str]]:
    """(title searched for, its abstract, the true arXiv id): every real second title of a
    paper in the data whose normalised form differs from the stand-in's."""
    corpus = arxiv_search.corpus()
    pairs: dict[tuple[str, str], str] = {}
    for item in arxiv_search._hf_items():
        paper = item["paper"]
        if item.get("title"):
            pairs[paper["id"], item["title"]] = paper.get("summary", "")
    for path in arxiv_search.LISTINGS:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                pairs[record["id"], record["title"]] = record["summary"]
    found = []
    for (arxiv_id, title), abstract in pairs.items():
        entry = corpus.get(arxiv_id)
        if entry and enrich.loose_key(title) != enrich.loose_key(entry.title):
            found.append((title, abstract, arxiv_id))
    return found


def negatives() -> list[tuple[str, str, str]]:
    """(title, abstract, its own id): papers with a different paper of a close title."""
    corpus = arxiv_search.corpus()
    from rapidfuzz import fuzz

    blocks: dict[str, list[arxiv_search.Entry]] = {}
    for entry in corpus.values():
        head, tail = title_blocks(title_key(entry.title))
        blocks.setdefault("h " + head, []).append(entry)
        blocks.setdefault("t " + tail, []).append(entry)
    found: dict[str, tuple[str, str, str]] = {}
    for group in blocks.values():
        if len(group) > 300:
            continue
        keys = [enrich.loose_key(e.title) for e in group]
        for i, a in enumerate(group):
            for j in range(i + 1, len(group)):
                if keys[i] != keys[j] and fuzz.ratio(keys[i], keys[j]) >= 80:
                    for e in (a, group[j]):
                        found[e.arxiv_id] = (e.title, e.abstract, e.arxiv_id)
    return list(found.values())


def sweep(search: arxiv_search.Search) -> None:
    pos, neg = positives(), negatives()
    pos_candidates = [(t, a, i, candidates(search, t, None)) for t, a, i in pos]
    neg_candidates = [(t, a, i, candidates(search, t, i)) for t, a, i in neg]
    for with_abstract in (True, False):
        for threshold in THRESHOLDS:
            line = {"bench": "sweep", "abstracts": with_abstract, "threshold": threshold}
            for name, cases in (("positives", pos_candidates), ("negatives", neg_candidates)):
                counts = {"resolved_right": 0, "resolved_wrong": 0, "ambiguous": 0, "left": 0}
                for title, abstract, truth, found in cases:
                    choice = enrich.choose(
                        title,
                        abstract if with_abstract else "",
                        found,
                        fuzzy_with_abstract=threshold,
                        fuzzy_title_only=threshold,
                    )
                    if choice.record is None:
                        counts["ambiguous" if choice.status == "ambiguous" else "left"] += 1
                    elif choice.record.arxiv_id == truth:
                        counts["resolved_right"] += 1
                    else:
                        counts["resolved_wrong"] += 1
                line[name] = {"cases": len(cases), **counts}
            emit(line)


def main() -> None:
    started = time.perf_counter()
    search = arxiv_search.corpus_search()
    emit(
        {
            "bench": "corpus",
            "records": len(search.entries),
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
    sample_run(search)
    sweep(search)


if __name__ == "__main__":
    main()
