"""OpenReview API v1 submission notes (with their direct replies) -> Paper, Review, Decision records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paperharvest.errors import NormalizeError
from paperharvest.models import Author, Decision, NormalizedNote, Paper, PaperAuthor, Review
from paperharvest.venues import Presentation, Status, VenueConfig

_SCORE = re.compile(r"\s*(-?\d+)\s*(?::\s*(.*))?\Z", re.DOTALL)
# Review keys that are not "assessments" (free-form extra fields we keep as a JSON object).
_REVIEW_CORE_KEYS = {"title", "review"}


def ms_to_datetime(value: Any) -> datetime | None:
    """OpenReview times are milliseconds since the epoch, UTC."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float):
        raise NormalizeError(f"expected a millisecond timestamp, got {value!r}")
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def parse_score(value: Any) -> tuple[int | None, str | None]:
    """`"6: Weak Accept"` -> (6, "Weak Accept"); `6` -> (6, None); None -> (None, None)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    if isinstance(value, str) and (match := _SCORE.match(value)):
        label = (match.group(2) or "").strip() or None
        return int(match.group(1)), label
    raise NormalizeError(f"cannot read a score from {value!r}")


def clean_text(value: Any) -> str | None:
    """Trimmed text, or None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    return value or None


def absolute_url(site_url: str, value: Any) -> str | None:
    path = clean_text(value)
    if path is None:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return site_url.rstrip("/") + "/" + path.lstrip("/")


def email_domain(author_id: str | None) -> str | None:
    if author_id and "@" in author_id:
        return author_id.rsplit("@", 1)[1].strip().lower() or None
    return None


def _keywords(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    return [text for item in items if (text := clean_text(item))]


def _reviewer(signatures: Any) -> str:
    if isinstance(signatures, list) and signatures:
        return str(signatures[0]).rsplit("/", 1)[-1]
    return "unknown"


def _live(reply: Mapping[str, Any]) -> bool:
    return reply.get("ddate") is None and reply.get("tddate") is None


def normalize_review(reply: Mapping[str, Any], forum_id: str, venue: VenueConfig) -> Review:
    content = reply.get("content") or {}
    fields = venue.fields
    try:
        rating, rating_label = parse_score(content.get(fields.rating))
        confidence = parse_score(content.get(fields.confidence))[0] if fields.confidence else None
    except NormalizeError as exc:
        raise NormalizeError(f"review {reply.get('id')} of paper {forum_id}: {exc}") from None
    skip = _REVIEW_CORE_KEYS | {fields.rating} | ({fields.confidence} if fields.confidence else set())
    return Review(
        review_id=str(reply["id"]),
        forum_id=forum_id,
        reviewer=_reviewer(reply.get("signatures")),
        rating=rating,
        rating_label=rating_label,
        confidence=confidence,
        title=clean_text(content.get("title")),
        text=clean_text(content.get("review")),
        assessments={k: v for k, v in content.items() if k not in skip},
        created_at=ms_to_datetime(reply.get("cdate") or reply.get("tcdate")),
        modified_at=ms_to_datetime(reply.get("tmdate")),
    )


def normalize_decision(reply: Mapping[str, Any], forum_id: str, venue: VenueConfig) -> Decision:
    content = reply.get("content") or {}
    decision = clean_text(content.get(venue.fields.decision))
    if decision is None:
        raise NormalizeError(f"decision {reply.get('id')} of paper {forum_id} has no {venue.fields.decision!r}")
    comment_key = venue.fields.decision_comment
    return Decision(
        decision_id=str(reply["id"]),
        forum_id=forum_id,
        decision=decision,
        comment=clean_text(content.get(comment_key)) if comment_key else None,
        created_at=ms_to_datetime(reply.get("cdate") or reply.get("tcdate")),
        modified_at=ms_to_datetime(reply.get("tmdate")),
    )


def _status(
    venue: VenueConfig, invitation: str, decision: Decision | None, forum_id: str
) -> tuple[Status, Presentation | None]:
    try:
        listed = venue.listing_status(invitation)
    except KeyError:
        raise NormalizeError(f"paper {forum_id}: invitation {invitation!r} is not a listing of {venue.key}") from None
    meaning = None
    if decision is not None:
        meaning = venue.decisions.get(decision.decision)
        if meaning is None:
            known = ", ".join(repr(d) for d in venue.decisions)
            raise NormalizeError(
                f"paper {forum_id}: decision {decision.decision!r} is not in the {venue.key} config (known: {known})"
            )
    # A paper withdrawn after its decision keeps the decision string, but its listing says what became of it.
    if listed != "decided":
        return listed, None
    if meaning is None:
        return "under-review", None
    return meaning.status, meaning.presentation


def normalize_note(raw: Mapping[str, Any], venue: VenueConfig) -> NormalizedNote:
    """One v1 submission note, fetched with details=directReplies, as records."""
    try:
        forum_id = str(raw["id"])
        content = raw["content"]
    except (KeyError, TypeError):
        raise NormalizeError(f"note without id or content: {str(raw)[:120]!r}") from None
    if not isinstance(content, Mapping):
        raise NormalizeError(f"paper {forum_id}: content is not an object")
    title = clean_text(content.get("title"))
    if title is None:
        raise NormalizeError(f"paper {forum_id} has no title")
    invitation = str(raw.get("invitation", ""))

    replies = [r for r in ((raw.get("details") or {}).get("directReplies") or []) if _live(r)]
    reviews: list[Review] = []
    decisions: list[Decision] = []
    for reply in replies:
        reply_invitation = str(reply.get("invitation", ""))
        if venue.review_pattern.match(reply_invitation):
            reviews.append(normalize_review(reply, forum_id, venue))
        elif venue.decision_pattern.match(reply_invitation):
            decisions.append(normalize_decision(reply, forum_id, venue))
    # A re-issued decision supersedes the older one.
    decision = max(decisions, key=lambda d: d.modified_at or datetime.min.replace(tzinfo=UTC), default=None)
    status, presentation = _status(venue, invitation, decision, forum_id)

    names = content.get("authors") or []
    ids = content.get("authorids") or []
    if not isinstance(names, list) or not isinstance(ids, list):
        raise NormalizeError(f"paper {forum_id}: authors and authorids must be lists")
    paper_authors: list[PaperAuthor] = []
    authors: dict[str, Author] = {}
    # Names and ids are paired by position. Some real notes list more ids than names (two people typed into
    # one name field): every id is kept, with no name, rather than silently dropped.
    for position in range(1, max(len(names), len(ids)) + 1):
        name = clean_text(names[position - 1]) if position <= len(names) else None
        author_id = clean_text(ids[position - 1]) if position <= len(ids) else None
        paper_authors.append(PaperAuthor(forum_id=forum_id, position=position, author_id=author_id, name=name))
        # The first name an id is listed with stands, should a note repeat an id.
        if author_id and author_id not in authors:
            authors[author_id] = Author(author_id=author_id, name=name, email_domain=email_domain(author_id))

    fields = venue.fields
    number = raw.get("number")
    paper = Paper(
        forum_id=forum_id,
        venue=venue.key,
        number=number if isinstance(number, int) else None,
        title=title,
        abstract=clean_text(content.get("abstract")),
        tldr=clean_text(content.get(fields.tldr)) if fields.tldr else None,
        keywords=_keywords(content.get("keywords")),
        pdf_url=absolute_url(venue.site_url, content.get("pdf")),
        status=status,
        presentation=presentation,
        decision=decision.decision if decision else None,
        code_url=clean_text(content.get(fields.code)) if fields.code else None,
        invitation=invitation,
        created_at=ms_to_datetime(raw.get("cdate") or raw.get("tcdate")),
        modified_at=ms_to_datetime(raw.get("tmdate")),
    )
    return NormalizedNote(
        paper=paper,
        paper_authors=paper_authors,
        authors=list(authors.values()),
        reviews=reviews,
        decision=decision,
    )
