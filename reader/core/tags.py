"""What a tag may be: trimmed, '/' for hierarchy, bounded in depth and length."""

from __future__ import annotations

MAX_TAG_DEPTH = 10  # levels of a hierarchical tag ("ml/nlp/parsing" has 3)
MAX_TAG_LENGTH = 200


def clean_tag(tag: str) -> str:
    """Tags are trimmed, commas are separators, and hierarchy uses '/' without blanks."""
    return "/".join(part.strip() for part in tag.replace(",", " ").split("/") if part.strip())


class InvalidTag(ValueError):
    """A tag the library does not take; the message says why."""


def new_tag(tag: str) -> str:
    """``clean_tag(tag)``, refused (``InvalidTag``) beyond the depth and length a tag may
    have: a tag nested hundreds of levels is a paste gone wrong, not a hierarchy."""
    cleaned = clean_tag(tag)
    shown = cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"
    depth = cleaned.count("/") + 1
    if depth > MAX_TAG_DEPTH:
        raise InvalidTag(
            f"tag {shown!r} is nested {depth} levels deep; tags nest at most {MAX_TAG_DEPTH}"
        )
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidTag(
            f"tag {shown!r} is {len(cleaned):,} characters long; at most {MAX_TAG_LENGTH}"
        )
    return cleaned
