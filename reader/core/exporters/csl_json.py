"""Export papers as CSL-JSON, the format of Zotero, Pandoc citeproc and most reference tools."""

from __future__ import annotations

import json
from collections.abc import Iterable

from reader.core.exporters.bibtex import citation_keys, date_parts, family_given
from reader.core.model import Paper


def to_csl_json(papers: Iterable[Paper]) -> str:
    papers = list(papers)
    items = [_item(p, key) for p, key in zip(papers, citation_keys(papers), strict=True)]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _item(paper: Paper, key: str) -> dict[str, object]:
    item: dict[str, object] = {
        "id": key,
        "citation-key": key,
        "type": "article-journal" if paper.journal_ref else "article",
        "title": paper.title,
        "author": [_person(name) for name in paper.authors],
        "container-title": paper.journal_ref,
        "DOI": paper.doi,
        "URL": paper.arxiv_abs_url,
        "abstract": paper.abstract,
        "keyword": ", ".join(paper.tags),
    }
    if parts := date_parts(paper.published):
        item["issued"] = {"date-parts": [parts]}
    if paper.arxiv_id and not paper.journal_ref:
        item |= {"publisher": "arXiv", "number": f"arXiv:{paper.arxiv_id}"}
    return {k: v for k, v in item.items() if v}


def _person(name: str) -> dict[str, str]:
    family, given = family_given(name)
    return {"family": family, "given": given} if given else {"family": family}
