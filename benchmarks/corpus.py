"""Benchmark corpora as arXiv daily-listing JSON lines, built from the real data in shared/.

``corpus_path(10_000)`` is the first 10k real cs listings, byte for byte. ``corpus_path(100_000)``
is every real record available, de-duplicated by normalised title (cs and astro-ph listings,
Hugging Face Daily Papers items, the CSFCube and SciFact corpora), topped up to 100k with
synthetic papers: abstracts spliced from whole sentences of real abstracts (150-250 words),
titles from a first half and a second half of two real titles, authors and categories
borrowed from real records. Everything is deterministic (fixed seed) and cached in
``/tmp/paper-reader-bench``; records without an arXiv id (CSFCube, SciFact, synthetic) get
fake ids ``99MM.NNNNN``, a range arXiv never issued (five-digit numbers began in 2015).

Run as ``python benchmarks/corpus.py [SIZE ...]`` to build (or find) the cached files.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import io
import json
import os
import random
import re
import shutil
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from reader.core.identity import normalise_arxiv_id, title_key

SHARED = Path(os.environ.get("PAPER_READER_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
CACHE = Path(os.environ.get("PAPER_READER_BENCH_CACHE", "/tmp/paper-reader-bench"))
SEED = 20240601
VERSION = 1  # bump when the recipe changes: the cache file names carry it

CS = DATA / "arxiv-daily-listings" / "cs_ai_listings_sample.jsonl.gz"
ASTRO = DATA / "arxiv-daily-listings" / "astro_ph_listings.jsonl.gz"
HF = DATA / "hf-daily-papers" / "daily_papers_2024-05-27_to_2026-08-21.tar.gz"
CSFCUBE = DATA / "benchmark-csfcube" / "corpus_from_readable_annotations.jsonl.gz"
SCIFACT = DATA / "benchmark-scifact" / "scifact.zip"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_PY_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)


def corpus_path(size: int) -> Path:
    """The cached corpus file for ``size`` papers, built on first use."""
    path = CACHE / f"corpus-{size}-v{VERSION}.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        lines, sources = real_only(size) if size <= 10_000 else mixed(size)
        words = sum(len(json.loads(line).get("summary", "").split()) for line in lines)
        stats = {
            "papers": len(lines),
            "sources": sources,
            "seed": SEED,
            "version": VERSION,
            "mean_abstract_words": round(words / max(len(lines), 1), 1),
        }
        path.with_suffix(".stats.json").write_text(json.dumps(stats))
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for line in lines:
                f.write(line.rstrip("\n") + "\n")
        tmp.replace(path)
    return path


def gzipped_corpus(size: int) -> Path:
    """The corpus of ``size`` papers as ``.jsonl.gz``, as a snapshot download comes (written
    once, next to the corpus)."""
    plain = corpus_path(size)
    packed = plain.with_name(plain.name + ".gz")
    if not packed.exists():
        tmp = packed.with_name(packed.name + ".tmp")
        with plain.open("rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.replace(packed)
    return packed


def corpus_stats(size: int) -> dict[str, object]:
    """What the corpus holds: written beside it when it is built."""
    return json.loads(corpus_path(size).with_suffix(".stats.json").read_text())


# -- the real records ------------------------------------------------------------------------


def _gz_lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield line.rstrip("\n")


def real_only(size: int) -> tuple[list[str], dict[str, int]]:
    """The first ``size`` cs listings, unchanged."""
    lines = []
    for line in _gz_lines(CS):
        lines.append(line)
        if len(lines) == size:
            break
    return lines, {"cs-listing": len(lines)}


def _listing(
    id_: str, title: str, summary: str, authors: list[str], categories: list[str], src: str
) -> dict[str, object]:
    return {
        "id": id_,
        "title": title,
        "summary": summary,
        "authors": authors,
        "categories": categories,
        "_src": src,
    }


def _hf_items() -> Iterator[dict[str, object]]:
    """Daily Papers API items in date order (three file shapes; see the folder's SOURCE.md)."""
    with tarfile.open(HF) as tar:
        members = sorted(
            (m for m in tar.getmembers() if m.name.endswith(".json")), key=lambda m: m.name
        )
        for member in members:
            f = tar.extractfile(member)
            if f is None:
                continue
            data = json.load(f)
            if isinstance(data, dict):
                data = data.get("data", [])
            for item in data:
                if isinstance(item, str):
                    try:
                        item = ast.literal_eval(item)
                    except (ValueError, SyntaxError):
                        continue
                if isinstance(item, dict) and isinstance(item.get("paper"), dict):
                    yield item


def _hf_records() -> Iterator[dict[str, object]]:
    for item in _hf_items():
        paper = item["paper"]
        arxiv_id = normalise_arxiv_id(str(paper.get("id", "")))
        title = item.get("title") or paper.get("title")
        summary = paper.get("summary")
        if not (arxiv_id and title and summary):
            continue
        authors = [a.get("name", "") for a in paper.get("authors", []) if isinstance(a, dict)]
        yield _listing(
            arxiv_id,
            " ".join(str(title).split()),
            str(summary),
            [a for a in authors if a],
            [],
            "hf-daily-papers",
        )


def _csfcube_records() -> Iterator[dict[str, object]]:
    for line in _gz_lines(CSFCUBE):
        obj = json.loads(line)
        abstract = " ".join(s["text"] for s in obj.get("abstract_sentences", []))
        if obj.get("title") and abstract:
            yield _listing("", obj["title"], abstract, [], ["cs.CL"], "csfcube")


def _scifact_records() -> Iterator[dict[str, object]]:
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(SCIFACT) as z, z.open("corpus_train.csv") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
            sentences = []
            for quoted in _PY_STRING.findall(row["abstract"]):
                try:
                    sentences.append(ast.literal_eval(quoted))
                except (ValueError, SyntaxError):
                    continue
            abstract = " ".join(s.strip() for s in sentences if s.strip())
            if row["title"] and abstract:
                yield _listing("", row["title"], abstract, [], ["q-bio.OT"], "scifact")


def real_records() -> list[tuple[str, dict[str, object]]]:
    """Every real record once: (original line or None-marker, parsed record), by title."""
    seen_titles: set[str] = set()
    seen_ids: set[str] = set()
    out: list[tuple[str, dict[str, object]]] = []

    def keep(rec: dict[str, object]) -> bool:
        key = title_key(str(rec.get("title", "")))
        arxiv_id = normalise_arxiv_id(str(rec.get("id", ""))) if rec.get("id") else None
        if not key or key in seen_titles or (arxiv_id and arxiv_id in seen_ids):
            return False
        seen_titles.add(key)
        if arxiv_id:
            seen_ids.add(arxiv_id)
        return True

    for path, src in ((CS, "cs-listing"), (ASTRO, "astro-listing")):
        for line in _gz_lines(path):
            obj = json.loads(line)
            if obj.get("summary") and keep(obj):
                out.append((line, {**obj, "_src": src}))
    for source in (_hf_records, _csfcube_records, _scifact_records):
        for rec in source():
            if keep(rec):
                out.append(("", rec))
    return out


# -- synthetic records ----------------------------------------------------------------------


def _sentences(abstract: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(abstract.split())) if s.strip()]


def _fake_ids() -> Iterator[str]:
    """9901.00001 … 9912.99999: never real (no five-digit arXiv numbers before 2015)."""
    for month in range(1, 13):
        for number in range(1, 100_000):
            yield f"99{month:02d}.{number:05d}"


def mixed(size: int) -> tuple[list[str], dict[str, int]]:
    """All real records (cut to ``size`` if there are more), then synthetic ones."""
    rng = random.Random(SEED)
    real = real_records()[:size]
    sources: dict[str, int] = {}
    for _, rec in real:
        sources[str(rec["_src"])] = sources.get(str(rec["_src"]), 0) + 1
    ids = _fake_ids()
    lines: list[str] = []
    titles: set[str] = set()
    sentences: list[str] = []
    title_words: list[list[str]] = []
    authors: list[list[str]] = []
    categories: list[list[str]] = []
    for line, rec in real:
        if not rec.get("id"):
            rec = {**rec, "id": next(ids)}
            line = ""
        titles.add(title_key(str(rec["title"])))
        lines.append(line or json.dumps(rec, ensure_ascii=False))
        sentences.extend(s for s in _sentences(str(rec["summary"])) if 4 <= len(s.split()) <= 80)
        words = str(rec["title"]).split()
        if len(words) >= 4:
            title_words.append(words)
        if rec.get("authors"):
            authors.append(list(rec["authors"]))  # type: ignore[arg-type]
        if rec.get("categories"):
            categories.append(list(rec["categories"]))  # type: ignore[arg-type]
    while len(lines) < size:
        first, second = rng.choice(title_words), rng.choice(title_words)
        title = " ".join(first[: len(first) // 2] + second[len(second) // 2 :])
        key = title_key(title)
        if key in titles:
            continue
        titles.add(key)
        target = rng.randint(150, 250)
        picked: list[str] = []
        count = 0
        while count < target:
            sentence = rng.choice(sentences)
            picked.append(sentence)
            count += len(sentence.split())
        rec = _listing(
            next(ids),
            title,
            " ".join(picked),
            rng.choice(authors),
            rng.choice(categories),
            "synthetic",
        )
        lines.append(json.dumps(rec, ensure_ascii=False))
    sources["synthetic"] = len(lines) - len(real)
    return lines, sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    args = parser.parse_args(argv)
    for size in args.sizes:
        path = corpus_path(size)
        print(path, json.dumps(corpus_stats(size)), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
