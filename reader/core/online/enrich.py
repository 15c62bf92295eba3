"""Enrichment: papers without an arXiv id or authors (a Daily Papers page's text, a BibTeX
entry) looked up on arXiv by title, and filled in from the one record that is surely theirs.

One title search per paper (``ti:"…"`` of the title's words; a second, of any of its words,
when the first finds nothing); the Atom response is read by the arXiv importer. The choice, never a
wrong paper:

1. an **exact** match: the normalised title (``title_key``, LaTeX markup dropped) is equal;
   two different papers with that title are ambiguous;
2. else a **fuzzy** match: ``fuzz.ratio`` of the normalised titles at least
   ``FUZZY_WITH_ABSTRACT`` when both abstracts agree (``ABSTRACT_AGREEMENT``), or at least
   ``FUZZY_TITLE_ONLY`` when either has no abstract; a candidate whose numbers differ
   ("Part I" / "Part II", "Qwen2.5" / "Qwen3.5") or whose abstract disagrees is never a
   fuzzy match. Another plausible candidate within ``MARGIN`` of the best: ambiguous. The
   thresholds were measured on real arXiv records (``benchmarks/bench_enrich.py``).

A paper left alone says why (``EnrichItem.message``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.identity import title_key
from reader.core.model import PaperRecord, ParsedRecord
from reader.core.online.http import Cancelled, FetchCancelled, FetchError, Unreachable
from reader.core.online.services import ARXIV_API

if TYPE_CHECKING:
    from reader.core.importers.base import Importer
    from reader.core.library import Library
    from reader.core.online.http import HttpClient

MAX_RESULTS = 10  # candidates per search
MAX_QUERY_WORDS = 12  # a longer title is searched by its first words
# Measured on 351 real near pairs (bench_enrich.py sweep): with abstracts, different papers
# were accepted up to 88 (twin submissions: the same abstract under another id), none at 90;
# title only, up to 95 (Nemotron 3 Super / Ultra: one word apart, 97.1), none at 96-99.
FUZZY_WITH_ABSTRACT = 90.0  # title ratio, when the abstracts agree
FUZZY_TITLE_ONLY = 98.0  # title ratio, when there is no abstract to compare
ABSTRACT_AGREEMENT = 80.0  # fuzz.ratio of the abstracts' normalised first 1,000 characters
MARGIN = 3.0  # two acceptable candidates closer than this: ambiguous
MIN_ABSTRACT = 200  # a shorter abstract is no evidence

RESOLVED, AMBIGUOUS, NOT_FOUND, FAILED = "resolved", "ambiguous", "not found", "failed"
_BOOLEAN = {"and", "or", "not", "andnot"}
_STOP = {"a", "an", "the", "of", "for", "in", "on", "to", "with", "via", "by", "from", "at", "is"}
_FORMATTING = re.compile(
    r"\\(?:text(?:bf|it|tt|sc|rm|sf|superscript|subscript)?|math(?:bf|it|rm|tt|sf|cal|bb|frak)"
    r"|emph|operatorname|boldsymbol|bm|rm|bf|it|tt)\b\s*"
)
_NUMBER = re.compile(r"^(?:\w*\d\w*|i{1,3}|iv|v|vi{1,3}|ix|x)$")


@dataclass
class EnrichItem:
    paper_id: int
    title: str
    status: str  # resolved, ambiguous, not found, failed
    arxiv_id: str | None = None  # the chosen record's (resolved), or the closest candidate's
    match: str | None = None  # "exact" or "fuzzy" (resolved)
    score: float | None = None  # the title ratio of the chosen or closest candidate
    merged_into: int | None = None  # the paper already holding that arXiv id, which survives
    message: str = ""


@dataclass
class EnrichReport:
    items: list[EnrichItem] = field(default_factory=list)
    requests: int = 0
    cancelled: bool = False
    unreachable: str | None = None  # the service could not be reached: the run stopped

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def merged(self) -> list[int]:
        """Papers that turned out to be another paper and were merged into it."""
        return [i.paper_id for i in self.items if i.merged_into is not None]

    def as_dict(self) -> dict[str, object]:
        return {
            "resolved": self.count(RESOLVED),
            "ambiguous": self.count(AMBIGUOUS),
            "not_found": self.count(NOT_FOUND),
            "failed": self.count(FAILED),
            "merged": len(self.merged),
            "requests": self.requests,
            "cancelled": self.cancelled,
            "unreachable": self.unreachable,
            "items": [asdict(i) for i in self.items],
        }


@dataclass
class Choice:
    status: str
    record: PaperRecord | None = None
    match: str | None = None
    score: float | None = None
    closest: PaperRecord | None = None
    message: str = ""


EnrichProgress = Callable[[int, int, int], None]  # done, total, resolved


def plain_title(title: str) -> str:
    """A title without LaTeX markup: ``$\\text{R}^2\\text{ec}$`` -> ``R2ec``."""
    title = _FORMATTING.sub("", title)
    return re.sub(r"[$\\{}^_]", "", title)


def loose_key(title: str) -> str:
    return title_key(plain_title(title))


def title_words(title: str) -> list[str]:
    """The words a title is searched by: plain ASCII, no boolean operators, at most
    ``MAX_QUERY_WORDS``."""
    words = [w for w in loose_key(title).split() if w.isascii() and w not in _BOOLEAN]
    return words[:MAX_QUERY_WORDS]


def search_queries(title: str) -> list[str]:
    """The searches for a title: all its words, then any of them (when the first finds
    nothing: a word the library spells differently; arXiv ranks titles with most words
    first)."""
    words = title_words(title)
    if not words:
        return []
    queries = [f'ti:"{" ".join(words)}"']
    some = [w for w in dict.fromkeys(words) if w not in _STOP]
    if len(some) >= 2:
        queries.append(" OR ".join(f"ti:{w}" for w in some))
    return queries


def numbers(key: str) -> list[str]:
    """The tokens of a normalised title that name a number, version or part."""
    return [w for w in key.split() if _NUMBER.match(w)]


def abstract_agreement(a: str, b: str) -> float | None:
    """How alike two abstracts are (0-100); None when either is too short to tell."""
    from rapidfuzz import fuzz

    if len(a) < MIN_ABSTRACT or len(b) < MIN_ABSTRACT:
        return None
    return float(fuzz.ratio(title_key(a)[:1000], title_key(b)[:1000]))


def choose(
    title: str,
    abstract: str,
    candidates: Sequence[PaperRecord],
    fuzzy_with_abstract: float = FUZZY_WITH_ABSTRACT,
    fuzzy_title_only: float = FUZZY_TITLE_ONLY,
) -> Choice:
    """The one candidate that is surely the paper, or why there is none."""
    from rapidfuzz import fuzz

    candidates = [c for c in candidates if c.arxiv_id]
    key = loose_key(title)
    exact = {c.arxiv_id: c for c in candidates if loose_key(c.title) == key}
    if len(exact) > 1:  # one title, several papers: the abstract may tell which
        agreeing = {
            i: c
            for i, c in exact.items()
            if (abstract_agreement(abstract, c.abstract) or 0.0) >= ABSTRACT_AGREEMENT
        }
        exact = agreeing if len(agreeing) == 1 else exact
    if len(exact) == 1:
        (record,) = exact.values()
        return Choice(RESOLVED, record, "exact", 100.0)
    if len(exact) > 1:
        return Choice(
            AMBIGUOUS, score=100.0, message=f"{len(exact)} arXiv papers have this title: "
            + ", ".join(sorted(i for i in exact if i)),
        )  # fmt: skip
    scored = sorted(
        ((float(fuzz.ratio(key, loose_key(c.title))), c) for c in candidates),
        key=lambda sc: -sc[0],
    )
    if not scored:
        return Choice(NOT_FOUND, message="arXiv found no paper with these title words")
    plausible: list[tuple[float, PaperRecord]] = []  # neither numbers nor abstract differ
    accepted: list[tuple[float, PaperRecord]] = []
    reasons: dict[str, str] = {}
    for score, c in scored:
        agreement = abstract_agreement(abstract, c.abstract)
        if numbers(key) != numbers(loose_key(c.title)):
            reasons[c.arxiv_id or ""] = "its numbers differ"
            continue
        if agreement is not None and agreement < ABSTRACT_AGREEMENT:
            reasons[c.arxiv_id or ""] = f"its abstract differs ({agreement:.0f})"
            continue
        plausible.append((score, c))
        if score >= (fuzzy_with_abstract if agreement is not None else fuzzy_title_only):
            accepted.append((score, c))
        else:
            reasons[c.arxiv_id or ""] = "its title is not close enough"
    best_score, best = scored[0]
    if not accepted:
        return Choice(
            NOT_FOUND, score=best_score, closest=best,
            message=f"closest: {best.arxiv_id} {best.title!r} ({best_score:.0f};"
            f" {reasons.get(best.arxiv_id or '', '')})",
        )  # fmt: skip
    score, record = accepted[0]
    rivals = [(s, c) for s, c in plausible if c is not record and s > score - MARGIN]
    if rivals:
        ids = ", ".join(f"{c.arxiv_id} ({s:.0f})" for s, c in [(score, record), *rivals][:3])
        return Choice(
            AMBIGUOUS, score=score, closest=record,
            message=f"several arXiv papers are as close: {ids}",
        )  # fmt: skip
    return Choice(RESOLVED, record, "fuzzy", score)


def needing_enrichment(library: Library) -> list[int]:
    """Every paper without an arXiv id or without authors."""
    rows = library.store.query(
        "SELECT id FROM papers WHERE arxiv_id IS NULL OR authors = '[]' ORDER BY id"
    )
    return [r[0] for r in rows]


def enrich_added(library: Library, since: str, cancelled: Cancelled) -> EnrichReport | None:
    """After a fetch: look up the papers it added (``added_at`` from ``since``) without an
    arXiv id or authors; None when there are none (no request is sent)."""
    rows = library.store.query(
        "SELECT id FROM papers WHERE added_at >= ? AND (arxiv_id IS NULL OR authors = '[]')",
        (since,),
    )
    return library.enrich([r[0] for r in rows], cancelled=cancelled) if rows else None


def enrich_papers(
    library: Library,
    ids: Sequence[int],
    progress: EnrichProgress | None = None,
    cancelled: Cancelled = lambda: False,
) -> EnrichReport:
    """Look each paper up on arXiv and apply the record chosen for it (one transaction per
    paper: a run stopped half-way keeps what it did). An unreachable arXiv stops the run."""
    from reader.core.importers import importer_for

    atom = importer_for("arxiv-atom")
    report = EnrichReport()
    client = ARXIV_API.client(cancelled)
    try:
        with tempfile.TemporaryDirectory(prefix="paper-reader-enrich-") as scratch:
            for done, paper in enumerate(library.store.papers(list(ids))):
                if cancelled():
                    report.cancelled = True
                    break
                if progress:
                    progress(done, len(ids), report.count(RESOLVED))
                item = EnrichItem(paper.id, paper.title, NOT_FOUND)
                report.items.append(item)
                try:
                    if paper.arxiv_id:  # only its authors are missing
                        choice = _by_id(client, atom, Path(scratch), paper.arxiv_id)
                    else:
                        choice = _look_up(client, atom, Path(scratch), paper.title, paper.abstract)
                except Unreachable as e:
                    item.status, item.message = FAILED, str(e)
                    report.unreachable = str(e)
                    break
                except FetchError as e:
                    item.status, item.message = FAILED, str(e)
                    continue
                item.status, item.match, item.score = choice.status, choice.match, choice.score
                item.message = choice.message
                found = choice.record or choice.closest
                item.arxiv_id = found.arxiv_id if found else None
                if choice.record is not None:
                    outcome = library.store.enrich(paper.id, choice.record)
                    item.merged_into = outcome.merged_into
            if progress and not report.cancelled:
                progress(len(report.items), len(ids), report.count(RESOLVED))
    except FetchCancelled:
        report.cancelled = True
    finally:
        report.requests = client.requests
        client.close()
    return report


def _look_up(
    client: HttpClient, atom: Importer, scratch: Path, title: str, abstract: str
) -> Choice:
    """Search arXiv for a title and choose among what it returns."""
    choice = Choice(NOT_FOUND, message="the title has no words to search arXiv by")
    for query in search_queries(title):
        params = {"search_query": query, "start": "0", "max_results": str(MAX_RESULTS)}
        candidates = _records(client, atom, scratch, params)
        choice = choose(title, abstract, candidates)
        if candidates:
            return choice
    return choice


def _by_id(client: HttpClient, atom: Importer, scratch: Path, arxiv_id: str) -> Choice:
    """A paper that has its arXiv id: its record, asked for by id."""
    for record in _records(client, atom, scratch, {"id_list": arxiv_id}):
        if record.arxiv_id == arxiv_id:
            return Choice(RESOLVED, record, "id")
    return Choice(NOT_FOUND, message=f"arXiv has no record {arxiv_id}")


def _records(
    client: HttpClient, atom: Importer, scratch: Path, params: dict[str, str]
) -> list[PaperRecord]:
    """The records of one arXiv API response (read by the Atom importer)."""
    from reader.core.importers import ImportOptions

    response = client.get(ARXIV_API.base, params)
    path = scratch / "response.xml"
    path.write_bytes(response.body)
    return [r.record for r in atom.parse(path, ImportOptions()) if isinstance(r, ParsedRecord)]
