"""The hybrid score: centred dense + lexical cosines with one round of pseudo-relevance feedback.

The dense half is the cosine of vectors *centred* on the library's mean vector (the MiniLM
vectors of abstracts share a large common direction; removing it spreads papers of one
topic away from the rest). First pass: ``cos_centred + 1.5 × cos_tfidf`` over the
candidates. Then both query vectors move towards the three best candidates (dense:
``q + 0.5 × mean``; tf-idf: the query's vector plus half the mean of theirs), and every
candidate is scored again with the moved queries, /2.5 so scores stay in 0..1.

Settings were chosen on two tuning sets that no reported number uses (benchmarks/
bench_related.py --sets tune): 1,200 held-out cs listings (8 categories, papers disjoint from
the arxiv set) and 900 astro-ph listings (6 categories). P@10, previous fusion (raw cosines,
weight 2) → this: 0.543 → 0.570 and 0.605 → 0.610. Tried there and dropped (no gain on
both): BM25 term weights, removing principal directions beyond the mean, hubness
correction (CSLS), a title vector or title-only tf-idf term, 5 or 10 feedback papers,
100 candidates.
"""

from __future__ import annotations

import numpy as np

from reader.core.related.lexical import TermBatch, unit

LEXICAL_WEIGHT = 1.5
FEEDBACK_DOCS = 3
DENSE_FEEDBACK = 0.5
LEXICAL_FEEDBACK = 0.5
RIDGE_PENALTY = 30.0  # "for you": of the liked-vs-library classifier on the dense vectors
FOR_YOU_LEXICAL = 0.25  # "for you": weight of the liked papers' tf-idf profile (z-scores)


def centred(vectors: np.ndarray, centre: np.ndarray | None) -> np.ndarray:
    """Unit vectors (rows, or one vector) moved so that ``centre`` is the origin."""
    if centre is None:
        return vectors
    moved = vectors - centre
    norms = np.linalg.norm(moved, axis=-1, keepdims=True)
    return moved / np.maximum(norms, 1e-12)


def hybrid_scores(
    query: np.ndarray,
    rows: np.ndarray,
    own: np.ndarray,
    lexical: TermBatch,
    centre: np.ndarray | None,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> np.ndarray:
    """Scores in 0..1 of the candidates (``rows``: their unit vectors, in the same order as
    ``lexical``'s rows: their tf-idf vectors) for a paper (``query``; ``own``: its tf-idf
    vector, dense over ``lexical``'s term space). ``centre``: the library's mean vector
    (None: raw cosines, for a library too small to have a meaningful mean)."""
    if not len(rows):
        return np.zeros(0, np.float32)
    query, rows = centred(query, centre), centred(rows, centre)

    def fused(dense: np.ndarray, words: np.ndarray) -> np.ndarray:
        return (np.maximum(dense, 0.0) + lexical_weight * words) / (1 + lexical_weight)

    first = fused(rows @ query, lexical.dot(own))
    top = np.argsort(-first, kind="stable")[:FEEDBACK_DOCS]
    moved = unit(query + DENSE_FEEDBACK * rows[top].mean(axis=0))
    own_moved = unit(own + LEXICAL_FEEDBACK * lexical.total(top) / len(top))
    return np.clip(fused(rows @ moved, lexical.dot(own_moved)), 0.0, 1.0)


def liked_classifier(liked: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, float]:
    """A ridge (least-squares) linear classifier of unit vectors, liked (+1) against others
    (-1), each class weighing half: its weights and bias.

    Chosen over the liked papers' centroid on the tuning sets (20 papers of a category as a
    tag, P@20 of the category: cs 0.694 -> 0.800, astro-ph 0.755 -> 0.858 with the lexical
    profile); it is arxiv-sanity-lite's per-tag linear SVM idea on the dense vectors, and a
    closed-form solve of a (dim + 1)-square system needs no learning library.
    """
    features = np.hstack([np.vstack([liked, others]), np.ones((len(liked) + len(others), 1))])
    target = np.r_[np.ones(len(liked)), -np.ones(len(others))]
    weight = np.r_[np.full(len(liked), 0.5 / len(liked)), np.full(len(others), 0.5 / len(others))]
    weighted = features * (weight * len(features))[:, None]
    system = features.T @ weighted + RIDGE_PENALTY * np.eye(features.shape[1])
    system[-1, -1] -= RIDGE_PENALTY  # the bias is not penalised
    solution = np.linalg.solve(system, weighted.T @ target)
    return solution[:-1], float(solution[-1])


def for_you_scores(classifier: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """Scores in 0..1 of candidates from their classifier scores and their tf-idf cosines to
    the liked papers' profile: z-scores over the candidates, summed, squashed."""

    def z(values: np.ndarray) -> np.ndarray:
        return (values - values.mean()) / (values.std() + 1e-12)

    return 1.0 / (1.0 + np.exp(-(z(classifier) + FOR_YOU_LEXICAL * z(lexical))))
