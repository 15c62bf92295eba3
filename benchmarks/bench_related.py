"""Related papers: quality of tf-idf, the dense model and their fusion, and kNN speed.

Quality, in one run, on real data:

- seeds: the bundled sample library (resources/sample, 317 papers); topic labels from title
  patterns (speculative decoding, diffusion, RL, ...); P@5 / P@10 over papers with one topic;
- arxiv: ../shared/data/arxiv-daily-listings cs_ai sample, 8 primary categories x 300
  (seeded random), imported *without* their categories (the labels stay in the benchmark);
  P@10 of sharing the query's primary category (chance 0.125);
- csfcube: ../shared/data/benchmark-csfcube, 50 query-facet pairs, each method's ranking of
  the expert-graded pool (adjudicated relevance 0-3): NDCG@20, and the collection's own
  measures MAP (relevance >= 2 counts) and NDCG%20 (NDCG at 20 % of the pool);
- scifact: ../shared/data/benchmark-scifact (CC BY-NC, evaluation only), the 300 validation
  claims (BEIR's SciFact test queries, 339 judgements) against the 5,183 abstracts: meaning
  *search*, nDCG@10 and Recall@100 of ``Library.search`` in each mode.

Methods are the shipped code paths: ``Library.related(mode=...)`` — "lexical" (tf-idf
cosine over the index's key-term tables, ``search.keyterms``), "dense" (exact cosine kNN of
the ONNX MiniLM vectors), "hybrid" (``fusion.hybrid_scores`` over the 50 dense neighbours,
the shipped related pane, marked ``*``) — plus "whoosh" (Whoosh's own more-like-this: its
Bo1 choice of 15 key words, BM25-ranked, what the lexical pane searched for before) and
"hybrid-v1" (the fusion shipped before this one: raw cosines, tf-idf weight 2, over the same
neighbours). CSFCube re-ranks its expert pool with the same scores.

- foryou: "for you" on the arxiv set against arxiv-sanity-lite's per-tag linear SVM over
  tf-idf (needs scikit-learn: ``pip install -e '.[bench]'``); P@20 / P@50 of a category.

Tuning sets (``--sets tune``; the fusion's settings were chosen on these, never on the three
above): 8 x 150 cs listings disjoint from the arxiv set, and 6 x 150 astro-ph listings.
Speed (``--speed N ... [--ann]``): kNN over synthetic unit vectors clustered around the real
MiniLM rows of the sets above; p50/p95 over 200 queries, recall@10 of the ANN against exact.

Lexical pane (``--lexical LIB ...``): ``Library.related`` of papers without a vector, the
state of most papers of a big library, on each LIB as it is, with its key-term-table query
alone beside the Whoosh query of Bo1's choice of words in the same run.

    python benchmarks/bench_related.py [--work DIR]
        [--sets seeds,arxiv,csfcube,scifact,foryou,tune] [--end-to-end LIB] [--lexical LIB ...]

Prints one JSON line per measurement on stdout, then a table. Libraries (and their vectors)
are kept in --work, so a second run skips the embedding.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader.core.identity import title_key  # noqa: E402
from reader.core.library import Library  # noqa: E402
from reader.core.model import Paper, PaperRecord  # noqa: E402
from reader.core.ranking import Ranking  # noqa: E402
from reader.core.related.embedder import paper_text  # noqa: E402
from reader.core.related.fusion import hybrid_scores  # noqa: E402
from reader.core.related.service import (  # noqa: E402
    DENSE_CANDIDATES,
    TERMS_BATCH,
    partly_embedded,
    terms_rows,
)
from reader.core.related.vectors import VectorStore, text_hash  # noqa: E402
from reader.core.resources import sample_library_files  # noqa: E402
from reader.core.search.keyterms import READ_PER_WORD  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
ARXIV = DATA / "arxiv-daily-listings" / "cs_ai_listings_sample.jsonl.gz"
ASTRO = DATA / "arxiv-daily-listings" / "astro_ph_listings.jsonl.gz"
CSFCUBE = DATA / "benchmark-csfcube"
MODES = ("whoosh", "lexical", "dense", "hybrid-v1", "hybrid")
SHIPPED = "hybrid"
SCIFACT = DATA / "benchmark-scifact" / "scifact.zip"
SEARCH_MODES = ("keyword", "any word", "meaning", "hybrid", "auto")
SHIPPED_SEARCH = "auto"
COVERAGES = (0.01, 0.03, 0.1, 0.3, 0.6, 0.9, 1.0)  # shares of the papers with vectors (partial)
PARTLY = ("hybrid", "lexical", "fused")  # the methods of ``partial``
CAPS = (100, 250, 500, 1000, 2000)  # postings read per word and segment (--lexical)

SEED_TOPICS = {
    "speculative decoding": r"speculative|draft",
    "diffusion": r"diffusion",
    "reinforcement learning": r"reinforcement|\bRL\b|reward|policy optim",
    "agents": r"\bagent",
    "video": r"\bvideo",
    "3d": r"\b3D\b|gaussian splat|\bmesh|point cloud",
    "mixture of experts": r"mixture[- ]of[- ]experts|\bMoE\b",
    "quantisation": r"quantiz|low[- ]bit",
    "code": r"\bcode\b|program synthesis|software",
    "math reasoning": r"\bmath",
    "speech and audio": r"speech|audio|\bvoice",
    "robots": r"robot|embodied",
    "long context and kv cache": r"long[- ]context|kv[- ]cache",
}


def emit(row: dict[str, object]) -> None:
    print(json.dumps(row), flush=True)


def whoosh_hits(library: Library, paper: Paper, k: int) -> list[tuple[int, float]]:
    """Whoosh's more-like-this: Bo1's 15 key words of the paper, BM25 over titles and
    abstracts (``key_terms_from_text``; it asks every segment about every word)."""
    from whoosh.query import Or, Term

    searcher = library.derived.index.searcher()
    text = f"{paper.title} {paper.title} {paper.abstract}"
    keys = searcher.key_terms_from_text("abstract", text, numterms=15)
    query = Or([Term(f, t, boost=w) for f in ("abstract", "title") for t, w in keys])
    hits, _ = library.derived.index.search(query, k + 1)
    return [(i, score) for i, score in hits if i != paper.id][:k]


def related_ids(library: Library, paper_id: int, mode: str, k: int) -> list[int]:
    if mode == "whoosh":
        return [i for i, _ in whoosh_hits(library, library.store.paper(paper_id), k)]
    if mode == "hybrid-v1":
        service = library.derived.related_papers
        query = service.vectors.vector(paper_id)
        near = [i for i, _ in service.vectors.knn(query, DENSE_CANDIDATES, {paper_id})]
        scores = fused_scores(library, paper_id, near, v1=True)
        return sorted(scores, key=lambda i: -scores[i])[:k]
    return [p.id for p, _ in library.related(paper_id, limit=k, mode=mode)]


def fused_scores(library: Library, paper_id: int, candidates: list[int], v1: bool) -> dict:
    """``fusion.hybrid_scores`` of some candidates: as shipped, or as ``hybrid-v1``."""
    service = library.derived.related_papers
    query = service.vectors.vector(paper_id)
    ids, rows = service.vectors.rows_of(candidates)
    terms = service.paper_terms([paper_id, *ids])
    tfidf = service.tfidf(library.derived.index.segment_cache())
    head, lexical = tfidf.batch([terms[paper_id], *(terms[i] for i in ids)]).split(1)
    own = head.total([0])
    if v1:
        scores = hybrid_scores(query, rows, own, lexical, None, lexical_weight=2.0)
    else:
        scores = hybrid_scores(query, rows, own, lexical, service.vectors.centre())
    return dict(zip(ids, scores.tolist(), strict=True))


def embed(library: Library, label: str) -> None:
    """Make the library related-ready: its index current (a library kept in --work from an
    older version is re-indexed) and every paper embedded."""
    library.catch_up_index()
    start = time.perf_counter()
    count = library.embed()
    seconds = time.perf_counter() - start
    if count:
        emit(
            {
                "set": label,
                "embedded": count,
                "seconds": round(seconds, 1),
                "abstracts_per_s": round(count / seconds, 1),
            }
        )


# -- seeds ---------------------------------------------------------------------------------------


def seeds(work: Path) -> dict[str, dict[str, float]]:
    folder = work / "seeds"
    library = Library(folder)
    if not library.store.count():
        library.import_files(sample_library_files())
    embed(library, "seeds")
    papers = library.papers(list(library.store.all_ids()))
    topics = {
        p.id: {t for t, rx in SEED_TOPICS.items() if re.search(rx, p.title, re.I)} for p in papers
    }
    queries = [p.id for p in papers if len(topics[p.id]) == 1]
    out: dict[str, dict[str, float]] = {}
    for mode in MODES:
        p5, p10 = [], []
        for q in queries:
            (topic,) = topics[q]
            hits = related_ids(library, q, mode, 10)
            rel = [topic in topics.get(i, ()) for i in hits]
            p5.append(sum(rel[:5]) / 5)
            p10.append(sum(rel[:10]) / 10)
        out[mode] = {"P@5": float(np.mean(p5)), "P@10": float(np.mean(p10))}
        emit({"set": "seeds", "method": mode, "queries": len(queries), **out[mode]})
    library.close()
    return out


# -- arXiv categories ----------------------------------------------------------------------------


def listings_by_category(path: Path) -> dict[str, list[dict]]:
    by_cat: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(path, "rt") as f:
        for line in f:
            r = json.loads(line)
            by_cat[r["categories"][0]].append(r)
    return by_cat


def listing_record(r: dict) -> PaperRecord:
    """A listing as a paper without its categories (they are the benchmark's labels)."""
    return PaperRecord(
        title=" ".join(r["title"].split()),
        abstract=" ".join(r["summary"].split()),
        arxiv_id=r["id"],
        authors=r["authors"],
    )


def arxiv_sample(by_cat: dict[str, list[dict]], per_category: int) -> list[dict]:
    """The arxiv set: ``per_category`` papers of each of the 8 biggest categories."""
    rng = random.Random(0)
    top = sorted(by_cat, key=lambda c: -len(by_cat[c]))[:8]
    return [r for cat in top for r in rng.sample(by_cat[cat], per_category)]


def category_listings(name: str, per_category: int) -> list[dict]:
    """arxiv: the test set; tune-cs: 8 x 150 cs listings outside it; tune-astro: 6 x 150
    astro-ph."""
    if name == "arxiv":
        return arxiv_sample(listings_by_category(ARXIV), per_category)
    if name == "tune-cs":
        by_cat = listings_by_category(ARXIV)
        test = {r["id"] for r in arxiv_sample(by_cat, per_category)}
        by_cat = {c: [r for r in rs if r["id"] not in test] for c, rs in by_cat.items()}
        cats, rng = 8, random.Random(2)
    else:
        by_cat, cats, rng = listings_by_category(ASTRO), 6, random.Random(3)
    top = sorted(by_cat, key=lambda c: -len(by_cat[c]))[:cats]
    return [r for cat in top for r in rng.sample(by_cat[cat], 150)]


def category_library(work: Path, name: str, per_category: int) -> tuple[Library, dict[int, str]]:
    """A set's library (imported without categories, embedded) and each paper's primary
    category, from the listings."""
    listings = category_listings(name, per_category)
    library = Library(work / f"{name}-nocat")
    if not library.store.count():
        library.store.write_records([listing_record(r) for r in listings], None)
        library.catch_up_index()
    embed(library, name)
    primary = {r["id"]: r["categories"][0] for r in listings}
    rows = library.store.query("SELECT id, arxiv_id FROM papers")
    return library, {r[0]: primary[r[1]] for r in rows}


def category_queries(cats: dict[int, str], per_category: int) -> list[int]:
    """The query papers of a category set: ``per_category`` random papers of each."""
    by_cat_ids: dict[str, list[int]] = defaultdict(list)
    for i, c in cats.items():
        by_cat_ids[c].append(i)
    rng = random.Random(1)
    return [
        i
        for c in sorted(by_cat_ids)
        for i in rng.sample(by_cat_ids[c], min(per_category, len(by_cat_ids[c])))
    ]


def arxiv(
    work: Path, per_category: int, queries_per_category: int, name: str = "arxiv"
) -> dict[str, dict[str, float]]:
    library, cats = category_library(work, name, per_category)
    queries = category_queries(cats, queries_per_category)
    out = {}
    for mode in MODES:
        precision, seconds = [], []
        for q in queries:
            start = time.perf_counter()
            hits = related_ids(library, q, mode, 10)
            seconds.append(time.perf_counter() - start)
            precision.append(sum(cats.get(i) == cats[q] for i in hits) / 10)
        out[mode] = {"P@10": float(np.mean(precision))}
        emit(
            {
                "set": name,
                "method": mode,
                "queries": len(queries),
                **out[mode],
                "papers": len(cats),
                "related_ms_p50": round(1000 * float(np.median(seconds)), 1),
                "related_ms_p95": round(1000 * float(np.percentile(seconds, 95)), 1),
            }
        )
    library.close()
    return out


def partial(
    work: Path, per_category: int, queries_per_category: int, name: str = "arxiv"
) -> dict[str, dict[str, float]]:
    """The pane of an embedded paper while only part of the library has vectors (a big
    library for days; the paper on screen is embedded first): a random ``COVERAGES`` share
    of the other papers keeps its vectors. P@10 of the hybrid over the embedded papers
    alone, of the key-term tables alone (every paper), and of the two fused as shipped
    (``service.partly_embedded``); and ideal@10, how many of the hybrid's top 10 with every
    paper embedded each one shows."""
    library, cats = category_library(work, name, per_category)
    service = library.derived.related_papers
    tfidf = service.tfidf(library.derived.index.segment_cache())
    ranking = Ranking(library.store, library.derived)
    ids = sorted(cats)
    queries = category_queries(cats, queries_per_category)
    papers = {p.id: p for p in library.papers(queries)}
    ideal = {q: {i for i, _ in service.related_ids(q, tfidf, 10)} for q in queries}
    out: dict[str, dict[str, float]] = {}
    for coverage in COVERAGES:
        embedded = set(random.Random(4).sample(ids, round(coverage * len(ids))))
        found: dict[str, list[float]] = {m: [] for m in PARTLY}
        shared: dict[str, list[float]] = {m: [] for m in PARTLY}
        for q in queries:
            pool = 20
            dense = service.related_ids(q, tfidf, pool, embedded)
            lexical = ranking.key_term_neighbours(papers[q], pool)
            fused = partly_embedded(dense, lexical, pool)
            runs = {"hybrid": dense, "lexical": lexical, "fused": fused}
            for method, hits in runs.items():
                top = [i for i, _ in hits if i != q][:10]
                found[method].append(sum(cats.get(i) == cats[q] for i in top) / 10)
                shared[method].append(len(ideal[q].intersection(top)) / 10)
        for method in PARTLY:
            out[f"{method}@{coverage:g}"] = {
                "P@10": float(np.mean(found[method])),
                "ideal@10": float(np.mean(shared[method])),
            }
        emit(
            {
                "set": f"{name}-partly-embedded",
                "coverage": coverage,
                "queries": len(queries),
                **{f"{m}_P@10": round(float(np.mean(v)), 3) for m, v in found.items()},
                # of the hybrid's top 10 with every paper embedded, how many each shows
                **{f"{m}_ideal@10": round(float(np.mean(v)), 3) for m, v in shared.items()},
            }
        )
    library.close()
    return out


# -- for you -------------------------------------------------------------------------------------


def for_you(
    work: Path, per_category: int, tagged: int = 20, rounds: int = 5
) -> dict[str, dict[str, float]]:
    """ "For you" against arxiv-sanity-lite's recommender (a linear SVM per tag over tf-idf
    1-2-grams, its settings) on the arxiv set: ``tagged`` random papers of a category play a
    tag; each method ranks every other paper; P@20 / P@50 of the category (chance 0.125)."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC
    except ImportError:
        emit({"set": "foryou", "skipped": "scikit-learn is missing: pip install '.[bench]'"})
        return {}
    library, primary = category_library(work, "arxiv", per_category)
    rows = library.store.query("SELECT id, title, abstract FROM papers ORDER BY id")
    ids = [r[0] for r in rows]
    position = {paper_id: n for n, paper_id in enumerate(ids)}
    cats = [primary[i] for i in ids]
    features = TfidfVectorizer(  # arxiv-sanity-lite's compute.py
        strip_accents="unicode",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20_000,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
    ).fit_transform([f"{r[1]} | {r[2]}" for r in rows])
    service = library.derived.related_papers
    tfidf = service.tfidf(library.derived.index.segment_cache())
    rng = random.Random(7)
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    seconds: dict[str, list[float]] = defaultdict(list)
    for category in sorted(set(cats)):
        members = [n for n, c in enumerate(cats) if c == category]
        for _ in range(rounds):
            liked = rng.sample(members, tagged)
            start = time.perf_counter()
            labels = np.zeros(len(ids))
            labels[liked] = 1
            svm = LinearSVC(class_weight="balanced", max_iter=10_000, tol=1e-6, C=0.01)
            decision = svm.fit(features, labels).decision_function(features)
            decision[liked] = -np.inf
            ranked = {"tf-idf SVM": np.argsort(-decision)[:50].tolist()}
            seconds["tf-idf SVM"].append(time.perf_counter() - start)
            liked_ids = {ids[n] for n in liked}
            start = time.perf_counter()
            ours = service.for_you_ids(liked_ids, tfidf, 50, set(ids) - liked_ids)
            seconds["for you"].append(time.perf_counter() - start)
            ranked["for you"] = [position[i] for i, _ in ours]
            for method, top in ranked.items():
                for k in (20, 50):
                    hits = sum(cats[n] == category for n in top[:k])
                    scores[method][f"P@{k}"].append(hits / k)
    out = {}
    for method, metrics in scores.items():
        out[method] = {m: float(np.mean(v)) for m, v in metrics.items()}
        emit(
            {
                "set": "foryou",
                "method": method,
                "tags": len(metrics["P@20"]),
                "tagged_papers": tagged,
                **out[method],
                "ms_p50": round(1000 * float(np.median(seconds[method])), 1),
            }
        )
    library.close()
    return out


# -- CSFCube -------------------------------------------------------------------------------------


def ndcg(ranked_rel: list[float], all_rel: list[float], k: int = 20) -> float:
    def dcg(rels: list[float]) -> float:
        return sum((2**r - 1) / math.log2(n + 2) for n, r in enumerate(rels[:k]))

    ideal = dcg(sorted(all_rel, reverse=True))
    return dcg(ranked_rel) / ideal if ideal else 0.0


def csfcube(work: Path) -> dict[str, dict[str, float]]:
    folder = work / "csfcube"
    library = Library(folder)
    if not library.store.count():
        records = []
        with gzip.open(CSFCUBE / "corpus_from_readable_annotations.jsonl.gz", "rt") as f:
            for line in f:
                r = json.loads(line)
                abstract = " ".join(s["text"] for s in r["abstract_sentences"])
                records.append(
                    PaperRecord(title=r["title"], abstract=abstract, published=r["year"])
                )
        library.store.write_records(records, None)
        library.catch_up_index()
    embed(library, "csfcube")
    # Papers are matched by title (17 of the 4,205 share a title with another and are merged
    # by the library's identity resolution; they then count as one candidate).
    by_title = {title_key(r[1]): r[0] for r in library.store.query("SELECT id, title FROM papers")}
    with gzip.open(CSFCUBE / "corpus_from_readable_annotations.jsonl.gz", "rt") as f:
        titles = {(r := json.loads(line))["paper_id"]: r["title"] for line in f}
    pid_to_id = {pid: by_title.get(title_key(t)) for pid, t in titles.items()}
    service = library.derived.related_papers
    tfidf = service.tfidf(library.derived.index.segment_cache())
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for facet in ("background", "method", "result"):
        anns = json.loads((CSFCUBE / f"test-pid2anns-csfcube-{facet}.json").read_text())
        for qpid, ann in anns.items():
            q = pid_to_id[qpid]
            rel: dict[int, float] = {}
            for c, r in zip(ann["cands"], ann["relevance_adju"], strict=True):
                if pid_to_id.get(c) is not None and pid_to_id[c] != q:
                    rel[pid_to_id[c]] = max(rel.get(pid_to_id[c], 0), r)
            qv = service.vectors.vector(q)
            cands, rows = service.vectors.rows_of(list(rel))
            terms = service.paper_terms([q, *cands])
            head, lexical = tfidf.batch([terms[q], *(terms[c] for c in cands)]).split(1)
            methods = {
                "lexical": dict(zip(cands, lexical.dot(head.total([0])).tolist(), strict=True)),
                "dense": dict(zip(cands, (rows @ qv).tolist(), strict=True)),
                "hybrid-v1": fused_scores(library, q, cands, v1=True),
                "hybrid": fused_scores(library, q, cands, v1=False),
            }
            for mode, s in methods.items():
                ranked = [rel[c] for c in sorted(cands, key=lambda c, s=s: -s[c])]
                scores[mode]["NDCG@20"].append(ndcg(ranked, list(rel.values())))
                scores[mode]["NDCG%20"].append(
                    ndcg(ranked, list(rel.values()), k=max(1, len(ranked) // 5))
                )
                scores[mode]["MAP"].append(average_precision([r >= 2 for r in ranked]))
    out = {}
    for mode, metrics in scores.items():
        out[mode] = {m: float(np.mean(v)) for m, v in metrics.items()}
        emit({"set": "csfcube", "method": mode, "queries": len(metrics["MAP"]), **out[mode]})
    library.close()
    return out


def average_precision(relevant: list[bool]) -> float:
    hits, total = 0, 0.0
    for n, is_relevant in enumerate(relevant, 1):
        if is_relevant:
            hits += 1
            total += hits / n
    return total / hits if hits else 0.0


# -- SciFact: meaning search ---------------------------------------------------------------------


def scifact_abstract(cell: str) -> str:
    """The CSV's abstract is a NumPy array repr of sentences: quoted strings split by a
    newline and a space (see the data's SOURCE.md)."""
    body = cell.strip().removeprefix("[").removesuffix("]")
    parts = re.split(r"""['"]\n ['"]""", body)
    return " ".join(part.strip().strip("'\"") for part in parts)


def scifact(work: Path, limit: int = 100) -> dict[str, dict[str, float]]:
    """Each search mode on SciFact's 300 validation claims (BEIR's test queries)."""
    import csv
    import io
    import zipfile

    with zipfile.ZipFile(SCIFACT) as archive:
        corpus = list(csv.DictReader(io.TextIOWrapper(archive.open("corpus_train.csv"))))
        claims = list(csv.DictReader(io.TextIOWrapper(archive.open("claims_validation.csv"))))
    library = Library(work / "scifact")
    if not library.store.count():
        records = [
            PaperRecord(title=r["title"], abstract=scifact_abstract(r["abstract"])) for r in corpus
        ]
        library.store.write_records(records, None)
        library.catch_up_index()
    embed(library, "scifact")
    by_title = {title_key(r[1]): r[0] for r in library.store.query("SELECT id, title FROM papers")}
    doc_to_id = {r["doc_id"]: by_title.get(title_key(r["title"])) for r in corpus}
    relevant: dict[str, set[int]] = {}
    text: dict[str, str] = {}
    for r in claims:  # a claim repeats once per evidence document
        text[r["id"]] = r["claim"]
        cited = {doc_to_id.get(d) for d in re.findall(r"\d+", r["cited_doc_ids"])}
        relevant.setdefault(r["id"], set()).update(cited - {None})
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    seconds: dict[str, list[float]] = defaultdict(list)
    for mode in SEARCH_MODES:
        for claim_id, claim in text.items():
            start = time.perf_counter()
            if mode == "any word":  # auto search's any-word ranking alone
                ranked = library._any_word(claim, limit, None)[0]
            else:
                results = library.search(claim, limit, snippets=False, mode=mode)
                ranked = [h.paper.id for h in results.hits]
            seconds[mode].append(time.perf_counter() - start)
            gains = [1.0 if i in relevant[claim_id] else 0.0 for i in ranked]
            ideal = [1.0] * len(relevant[claim_id])
            scores[mode]["nDCG@10"].append(ndcg(gains, ideal, k=10))
            scores[mode]["Recall@100"].append(sum(gains) / max(len(ideal), 1))
    out = {}
    for mode, metrics in scores.items():
        out[mode] = {m: float(np.mean(v)) for m, v in metrics.items()}
        emit(
            {
                "set": "scifact",
                "method": mode,
                "queries": len(text),
                **out[mode],
                "ms_p50": round(1000 * float(np.median(seconds[mode])), 1),
                "ms_p95": round(1000 * float(np.percentile(seconds[mode], 95)), 1),
            }
        )
    library.close()
    return out


# -- speed ---------------------------------------------------------------------------------------


def real_rows(work: Path) -> np.ndarray | None:
    """The MiniLM vectors of the quality sets' libraries in --work (if embedded)."""
    names = ("arxiv-nocat", "csfcube", "seeds")
    stores = [VectorStore(work / name / "vectors") for name in names]
    rows = [np.asarray(s.matrix()) for s in stores if s.rows and s.dim == 384]
    return np.concatenate(rows) if rows else None


def synthetic_store(folder: Path, n: int, dim: int, work: Path) -> VectorStore:
    """Unit vectors in two levels of clusters around real MiniLM rows, in a vector store.

    Sub-topics are real paper vectors plus noise (n / 15 of them), papers are sub-topics plus
    noise: so the rows keep the model's anisotropy and topic structure. Without real rows
    (nothing embedded in --work), 1,000 Gaussian centres stand in for them.
    """
    rng = np.random.default_rng(0)
    base = real_rows(work) if dim == 384 else None
    if base is None:
        base = rng.standard_normal((1000, dim)).astype(np.float32)
        base /= np.linalg.norm(base, axis=1, keepdims=True)

    def jitter(rows: np.ndarray, sigma: float) -> np.ndarray:
        out = rows + sigma / math.sqrt(dim) * rng.standard_normal(rows.shape).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    topics = jitter(base[rng.integers(0, len(base), max(n // 15, 1))], 0.5)
    store = VectorStore(folder)
    store.reset("synthetic", dim)
    for start in range(0, n, 50_000):
        m = min(50_000, n - start)
        rows = jitter(topics[rng.integers(0, len(topics), m)], 0.6)
        store.append(list(range(start + 1, start + m + 1)), [0] * m, rows)
    return VectorStore(folder)


def resident_mib() -> dict[str, float]:
    """This process's resident memory: its own (anonymous) and file pages mapped in."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {kind: int(fields[f"Rss{kind}"].split()[0]) / 1024 for kind in ("Anon", "File")}


def timed_knn(store: VectorStore, ids: list[int]) -> tuple[list[list[int]], list[float]]:
    results, seconds = [], []
    for i in ids:
        start = time.perf_counter()
        hits = store.knn(store.vector(i), 10, exclude={i})
        seconds.append(time.perf_counter() - start)
        results.append([h for h, _ in hits])
    return results, seconds


def knn_speed(n: int, work: Path, queries: int = 200, ann: bool = False) -> list[dict]:
    dim = 384
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        store = synthetic_store(Path(tmp) / "vectors", n, dim, work)
        ids = np.random.default_rng(1).integers(1, n + 1, queries).tolist()
        exact, seconds = timed_knn(store, ids)
        tenth = [store.knn(store.vector(i), 10, exclude={i})[-1][1] for i in ids[:50]]
        row: dict[str, object] = {
            "knn": "exact numpy (memmap)",
            "vectors": n,
            "dim": dim,
            "tenth_neighbour_cos_p50": round(float(np.median(tenth)), 3),
            "ms_p50": round(1000 * float(np.median(seconds)), 2),
            "ms_p95": round(1000 * float(np.percentile(seconds, 95)), 2),
        }
        emit(row)
        rows = [row]
        if ann:
            start = time.perf_counter()
            store.build_ann(force=True)
            build = time.perf_counter() - start
            del store
            before = resident_mib()
            reopened = VectorStore(Path(tmp) / "vectors")
            opened = resident_mib()
            approx, seconds = timed_knn(reopened, ids)
            queried = resident_mib()
            recall = np.mean(
                [len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact, strict=True)]
            )
            rows.append(
                {
                    "knn": "usearch HNSW i8 + exact re-score",
                    "vectors": n,
                    "dim": dim,
                    "build_s": round(build, 1),
                    "index_mib": round(
                        (Path(tmp) / "vectors" / "ann.usearch").stat().st_size / 2**20
                    ),
                    # the graph is mapped: its pages count as the file's, as queries read them
                    "opened_own_mib": round(opened["Anon"] - before["Anon"]),
                    "queried_own_mib": round(queried["Anon"] - before["Anon"]),
                    "queried_file_mib": round(queried["File"] - before["File"]),
                    "recall@10": round(float(recall), 4),
                    "ms_p50": round(1000 * float(np.median(seconds)), 2),
                    "ms_p95": round(1000 * float(np.percentile(seconds, 95)), 2),
                }
            )
            emit(rows[-1])
    return rows


def end_to_end(library_path: Path, work: Path, queries: int = 200) -> dict:
    """``Library.related`` as the pane calls it (kNN, candidate texts, tf-idf, fusion) on
    a copy of a real library whose vectors are synthetic (embedding 100k abstracts takes
    hours): the timing is real, the neighbours are not."""
    import shutil

    with tempfile.TemporaryDirectory(dir=work) as tmp:
        folder = Path(tmp) / "lib"
        folder.mkdir()
        shutil.copy(library_path / "library.sqlite", folder / "library.sqlite")
        shutil.copytree(library_path / "index", folder / "index")
        library = Library.open(folder)
        related = library.derived.related_papers
        rows = library.store.query("SELECT id, title, abstract FROM papers ORDER BY id")
        ids = [r[0] for r in rows]
        synthetic = synthetic_store(Path(tmp) / "synthetic", len(ids), 384, work)
        related.vectors.reset(related.model_name() or "", 384)
        for start in range(0, len(ids), 50_000):
            chunk = rows[start : start + 50_000]
            related.vectors.append(
                [r[0] for r in chunk],
                [text_hash(paper_text(r[1], r[2])) for r in chunk],
                np.asarray(synthetic.matrix()[start : start + len(chunk)]),
            )
        related.vectors.set_rev(library.store.rev())
        built = time.perf_counter()
        related.vectors.build_ann()
        ann_s = time.perf_counter() - built
        picks = np.random.default_rng(2).choice(ids, 2 * queries + 20, replace=False).tolist()
        for paper_id in picks[:20]:  # warm-up: page cache, tf-idf statistics
            library.related(paper_id)
        before = timed(library, picks[20 : 20 + queries])  # candidates tokenised per query
        filled = time.perf_counter()
        backlog = related.terms_pending(set())
        for start in range(0, len(backlog), TERMS_BATCH):
            related.terms.put(terms_rows(backlog[start : start + TERMS_BATCH]))
        related.terms.put([], rev=library.store.rev())
        fill_s = time.perf_counter() - filled
        after = timed(library, picks[20 + queries :])  # as after `embed`: from the term store
        terms_mib = related.terms.path.stat().st_size / 2**20
        library.close()
    row = {
        "related": "Library.related end to end (synthetic vectors)",
        "papers": len(ids),
        "ann": related.vectors.ann is not None,
        "ann_build_s": round(ann_s, 1),
        "terms_fill_s": round(fill_s, 1),
        "terms_mib": round(terms_mib),
        "no_term_store_ms_p50": round(1000 * float(np.median(before)), 2),
        "no_term_store_ms_p95": round(1000 * float(np.percentile(before, 95)), 2),
        "ms_p50": round(1000 * float(np.median(after)), 2),
        "ms_p95": round(1000 * float(np.percentile(after, 95)), 2),
    }
    row["p95_vs_no_term_store"] = round(row["ms_p95"] / row["no_term_store_ms_p95"], 3)
    emit(row)
    return row


def lexical_pane(library_path: Path, queries: int = 100) -> dict:
    """The pane of a paper without a vector (every paper of a big library for days: see
    ``service._outdated``), on LIB as it is: ``Library.related`` end to end, and its
    key-term-table query alone, beside Whoosh's more-like-this query (Bo1's 15 words, what
    the pane searched for before) in the same run. The table query is also timed with each
    word's postings cut at ``CAPS`` (``keyterms.READ_PER_WORD`` is one), each with its
    recall@10 against reading them all."""
    library = Library.open(library_path)
    ids = [r[0] for r in library.store.query("SELECT id FROM papers")]
    vectors = library.derived.related_papers.vectors
    picks = [
        i
        for i in np.random.default_rng(3).choice(ids, 2 * queries, replace=False).tolist()
        if i not in vectors
    ][: queries + 10]
    papers = library.papers(picks)
    ranking = Ranking(library.store, library.derived)
    runs: dict[str, Callable[[Paper], object]] = {
        "pane": lambda p: library.related(p.id),
        "whoosh_bo1": lambda p: whoosh_hits(library, p, 50),
        "exact": lambda p: ranking.key_term_neighbours(p, 50, per_word=None),
    }
    for cap in CAPS:
        runs[f"cap{cap}"] = lambda p, cap=cap: ranking.key_term_neighbours(p, 50, per_word=cap)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    recall: dict[str, list[float]] = {f"cap{cap}": [] for cap in CAPS}
    for n, paper in enumerate(papers):
        found = {}
        for name, run in runs.items():
            start = time.perf_counter()
            found[name] = run(paper)
            if n >= 10:  # the first ten warm the page cache and the statistics
                seconds[name].append(time.perf_counter() - start)
        exact = {i for i, _ in found["exact"][:10]}
        for name in recall:
            if n >= 10 and exact:
                recall[name].append(len(exact & {i for i, _ in found[name][:10]}) / len(exact))
    library.close()
    row: dict[str, object] = {
        "related": "Library.related of papers without a vector (lexical half)",
        "papers": len(ids),
        "queries": len(seconds["pane"]),
        "read_per_word": READ_PER_WORD,
    }
    for name, values in seconds.items():
        row[f"{name}_ms_p50"] = round(1000 * float(np.median(values)), 1)
        row[f"{name}_ms_p95"] = round(1000 * float(np.percentile(values, 95)), 1)
    for name, values in recall.items():
        row[f"{name}_recall@10"] = round(float(np.mean(values)), 3)
    row["pane_p95_vs_bo1"] = round(row["pane_ms_p95"] / row["whoosh_bo1_ms_p95"], 3)
    emit(row)
    return row


def timed(library: Library, paper_ids: list[int]) -> list[float]:
    seconds = []
    for paper_id in paper_ids:
        start = time.perf_counter()
        library.related(paper_id)
        seconds.append(time.perf_counter() - start)
    return seconds


def print_table(
    title: str, table: dict[str, dict[str, dict[str, float]]], methods: tuple, shipped: str
) -> None:
    """A Markdown table of every set x metric x method; the shipped method is marked *."""
    if not table:
        return
    names = [f"{m} *" if m == shipped else m for m in methods]
    print(f"\n{title} (* shipped)\n\n| set | metric | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(methods))
    for name, results in table.items():
        for metric in sorted({m for r in results.values() for m in r}):
            cells = [f"{results[m][metric]:.3f}" if m in results else "–" for m in methods]
            print(f"| {name} | {metric} | " + " | ".join(cells) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench_related")
    ap.add_argument("--sets", default="seeds,arxiv,csfcube,scifact,foryou,tune")
    ap.add_argument("--per-category", type=int, default=300)
    ap.add_argument("--queries-per-category", type=int, default=50)
    ap.add_argument("--speed", type=int, nargs="*", default=[100_000])
    ap.add_argument("--ann", action="store_true", help="also build and measure the ANN index")
    ap.add_argument(
        "--end-to-end",
        type=Path,
        metavar="LIB",
        help="time Library.related on a copy of LIB (a built library) with synthetic vectors",
    )
    ap.add_argument(
        "--lexical",
        type=Path,
        nargs="*",
        default=[],
        metavar="LIB",
        help="time the pane of papers without a vector on each LIB (used as it is)",
    )
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sets = args.sets.split(",") if args.sets else []
    table: dict[str, dict[str, dict[str, float]]] = {}
    if "seeds" in sets:
        table["seeds"] = seeds(args.work)
    if "arxiv" in sets:
        table["arxiv"] = arxiv(args.work, args.per_category, args.queries_per_category)
    if "csfcube" in sets:
        table["csfcube"] = csfcube(args.work)
    searches = {"scifact": scifact(args.work)} if "scifact" in sets else {}
    recommend = for_you(args.work, args.per_category) if "foryou" in sets else {}
    if "tune" in sets:
        for name in ("tune-cs", "tune-astro"):
            table[name] = arxiv(args.work, args.per_category, args.queries_per_category, name)
    partly = (
        {
            name: partial(args.work, args.per_category, args.queries_per_category, name)
            for name in ("arxiv", "tune-cs")
        }
        if "partial" in sets
        else {}
    )
    speed = [row for n in args.speed for row in knn_speed(n, args.work, ann=args.ann)]
    whole = end_to_end(args.end_to_end, args.work) if args.end_to_end else None
    lexical = [lexical_pane(path) for path in args.lexical]

    print_table("related papers", table, MODES, SHIPPED)
    print_table("search", searches, SEARCH_MODES, SHIPPED_SEARCH)
    for name, results in partly.items():
        print(f"{name}, partly embedded (P@10 / ideal@10 by share of papers with vectors):")
        for coverage in COVERAGES:
            cells = [
                f"{m} {r['P@10']:.3f} / {r['ideal@10']:.3f}"
                for m in PARTLY
                if (r := results[f"{m}@{coverage:g}"])
            ]
            print(f"  {coverage:g}: " + ", ".join(cells))
    for method, metrics in recommend.items():
        print(f"for you (arxiv, 8 x 5 tags of 20 papers): {method}: {metrics}")
    for row in speed:
        extra = (
            f", recall@10 {row['recall@10']}, build {row['build_s']} s,"
            f" index {row['index_mib']} MiB on disk; after the queries {row['queried_own_mib']}"
            f" MiB own memory, {row['queried_file_mib']} MiB of mapped file"
            if "build_s" in row
            else f" (10th neighbour cosine p50 {row['tenth_neighbour_cos_p50']})"
        )
        print(
            f"{row['knn']} at {row['vectors']:,} x {row['dim']}: p50 {row['ms_p50']} ms,"
            f" p95 {row['ms_p95']} ms{extra}"
        )
    if whole:
        print(
            f"{whole['related']} at {whole['papers']:,} papers (ANN: {whole['ann']}):"
            f" p50 {whole['ms_p50']} ms, p95 {whole['ms_p95']} ms with the term store"
            f" (filled in {whole['terms_fill_s']} s, {whole['terms_mib']} MiB); without it"
            f" p50 {whole['no_term_store_ms_p50']} ms, p95 {whole['no_term_store_ms_p95']} ms"
        )
    for row in lexical:
        print(
            f"{row['related']} at {row['papers']:,} papers: pane p50 {row['pane_ms_p50']} ms,"
            f" p95 {row['pane_ms_p95']} ms (Whoosh's Bo1 query: {row['whoosh_bo1_ms_p95']} ms);"
            f" its key-term query reading every posting p95 {row['exact_ms_p95']} ms, "
            + ", ".join(
                f"{cap} a word {row[f'cap{cap}_ms_p95']} ms"
                f" (recall@10 {row[f'cap{cap}_recall@10']})"
                for cap in CAPS
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
