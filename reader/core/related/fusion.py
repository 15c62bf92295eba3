"""The hybrid score: dense + lexical cosines with one round of pseudo-relevance feedback.

First pass: ``cos_dense + 2 × cos_tfidf`` over the candidates. Then both query vectors move
towards the three best candidates (dense: ``q + 0.5 × mean``; tf-idf: the query's vector plus
half the mean of theirs), and every candidate is scored again with the moved queries, /3 so
scores stay in 0..1. The feedback pulls the query to the centre of its topic, which is what
helps on broad fields, where the dense half alone was better than the sum.

Settings were chosen on two tuning sets that no reported number uses (benchmarks/
bench_related.py --sets tune): 1,200 held-out cs listings (8 categories, papers disjoint from
the arxiv set) and 900 astro-ph listings (6 categories); P@10 dense / sum / this:
0.601 / 0.601 / 0.605 and 0.560 / 0.589 / 0.605.
"""

from __future__ import annotations

import numpy as np

from reader.core.related.lexical import TermBatch, unit

LEXICAL_WEIGHT = 2.0
FEEDBACK_DOCS = 3
DENSE_FEEDBACK = 0.5
LEXICAL_FEEDBACK = 0.5
RIDGE_PENALTY = 30.0  # "for you": of the liked-vs-library classifier on the dense vectors
FOR_YOU_LEXICAL = 0.25  # "for you": weight of the liked papers' tf-idf profile (z-scores)


def _sum(dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    return (np.maximum(dense, 0.0) + LEXICAL_WEIGHT * lexical) / (1 + LEXICAL_WEIGHT)


def hybrid_scores(
    query: np.ndarray, rows: np.ndarray, own: np.ndarray, lexical: TermBatch
) -> np.ndarray:
    """Scores in 0..1 of the candidates (``rows``: their unit vectors, in the same order as
    ``lexical``'s rows: their tf-idf vectors) for a paper (``query``; ``own``: its tf-idf
    vector, dense over ``lexical``'s term space)."""
    if not len(rows):
        return np.zeros(0, np.float32)
    first = _sum(rows @ query, lexical.dot(own))
    top = np.argsort(-first, kind="stable")[:FEEDBACK_DOCS]
    moved = unit(query + DENSE_FEEDBACK * rows[top].mean(axis=0))
    own_moved = unit(own + LEXICAL_FEEDBACK * lexical.total(top) / len(top))
    return np.clip(_sum(rows @ moved, lexical.dot(own_moved)), 0.0, 1.0)


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
