"""OpenReview API v1 submission notes (with their direct replies) -> Paper, Review, Decision records.

The reply sorting, review, decision and author helpers here are shared with the API v2 normalizer
(`notes_v2`), which unwraps v2's `{"value": ...}` content first and then reads it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from paperharvest.errors import NormalizeError
from paperharvest.models import Author, Decision, NormalizedNote, Paper, PaperAuthor, Review
from paperharvest.venues import DecisionMeaning, Presentation, Status, VenueConfig

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


def keywords_of(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    return [text for item in items if (text := clean_text(item))]


def _reviewer(signatures: Any) -> str:
    if isinstance(signatures, list) and signatures:
        return str(signatures[0]).rsplit("/", 1)[-1]
    return "unknown"


def live(reply: Mapping[str, Any]) -> bool:
    return reply.get("ddate") is None and reply.get("tddate") is None


def reply_invitations(reply: Mapping[str, Any]) -> list[str]:
    """A v1 reply names one `invitation`; a v2 reply lists `invitations` (its own, plus `-/Edit` once edited)."""
    invitations = reply.get("invitations")
    if isinstance(invitations, list):
        return [str(invitation) for invitation in invitations]
    invitation = reply.get("invitation")
    return [str(invitation)] if invitation else []


def group_by_forum(notes: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Notes of a venue-wide invitation (ICLR 2018's Acceptance_Decision) keyed by the paper they belong to."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for note in notes:
        grouped.setdefault(str(note.get("forum") or ""), []).append(note)
    return grouped


@dataclass
class SortedReplies:
    """A forum's replies that become records; everything else (comments, withdrawals...) is left out."""

    reviews: list[Review] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    meta_reviews: list[Mapping[str, Any]] = field(default_factory=list)


def sort_replies(replies: Iterable[Mapping[str, Any]], forum_id: str, venue: VenueConfig) -> SortedReplies:
    """Reviews, decisions and meta-reviews among live replies whose content is plain (v2 content unwrapped)."""
    found = SortedReplies()
    meta_pattern = venue.meta_review_pattern
    for reply in replies:
        if not live(reply):
            continue
        invitations = reply_invitations(reply)
        if any(venue.review_pattern.match(i) for i in invitations):
            found.reviews.append(normalize_review(reply, forum_id, venue))
        elif any(venue.decision_pattern.match(i) for i in invitations):
            found.decisions.append(normalize_decision(reply, forum_id, venue))
        elif meta_pattern is not None and any(meta_pattern.match(i) for i in invitations):
            found.meta_reviews.append(reply)
    return found


def _latest_time(note: Mapping[str, Any]) -> int:
    value = note.get("tmdate") or note.get("cdate") or note.get("tcdate")
    return value if isinstance(value, int) else 0


def final_decision(found: SortedReplies, venue: VenueConfig) -> Decision | None:
    """The latest decision; its comment is the area chair's meta-review when the venue has separate ones."""
    # A re-issued decision supersedes the older one.
    decision = max(found.decisions, key=lambda d: d.modified_at or datetime.min.replace(tzinfo=UTC), default=None)
    if decision is None or not found.meta_reviews or venue.fields.meta_review is None:
        return decision
    # decisions.comment holds the AC's text (in 2020 it is the Decision's comment). Where the AC writes a
    # separate Meta_Review (API v2 ICLR), the Decision is the Program Chairs' note and its comment, when
    # there is one at all, is not the AC's text, so the meta-review wins.
    meta_review = max(found.meta_reviews, key=_latest_time)
    text = clean_text((meta_review.get("content") or {}).get(venue.fields.meta_review))
    return decision.model_copy(update={"comment": text}) if text else decision


def decision_meaning(venue: VenueConfig, decision: Decision | None, forum_id: str) -> DecisionMeaning | None:
    """What a decision string means in this venue; an unknown string is an error, never a guess."""
    if decision is None:
        return None
    meaning = venue.decisions.get(decision.decision)
    if meaning is None:
        known = ", ".join(repr(d) for d in venue.decisions)
        raise NormalizeError(
            f"paper {forum_id}: decision {decision.decision!r} is not in the {venue.key} config (known: {known})"
        )
    return meaning


def normalize_authors(forum_id: str, names: Any, ids: Any) -> tuple[list[PaperAuthor], list[Author]]:
    """The submission's author list, names and ids paired by position."""
    names = names or []
    ids = ids or []
    if not isinstance(names, list) or not isinstance(ids, list):
        raise NormalizeError(f"paper {forum_id}: authors and authorids must be lists")
    paper_authors: list[PaperAuthor] = []
    authors: dict[str, Author] = {}
    # Some real notes list more ids than names (two people typed into one name field): every id is kept,
    # with no name, rather than silently dropped.
    for position in range(1, max(len(names), len(ids)) + 1):
        name = clean_text(names[position - 1]) if position <= len(names) else None
        author_id = clean_text(ids[position - 1]) if position <= len(ids) else None
        paper_authors.append(PaperAuthor(forum_id=forum_id, position=position, author_id=author_id, name=name))
        # The first name an id is listed with stands, should a note repeat an id.
        if author_id and author_id not in authors:
            authors[author_id] = Author(author_id=author_id, name=name, email_domain=email_domain(author_id))
    return paper_authors, list(authors.values())


def normalize_review(reply: Mapping[str, Any], forum_id: str, venue: VenueConfig) -> Review:
    content = reply.get("content") or {}
    fields = venue.fields
    try:
        rating, rating_label = parse_score(content.get(fields.rating))
        confidence = parse_score(content.get(fields.confidence))[0] if fields.confidence else None
    except NormalizeError as exc:
        raise NormalizeError(f"review {reply.get('id')} of paper {forum_id}: {exc}") from None
    scale = fields.rating_scale
    if scale is not None and rating is not None and rating not in scale:
        raise NormalizeError(
            f"review {reply.get('id')} of paper {forum_id}: rating {rating} is not on the {venue.key} scale "
            f"{', '.join(map(str, scale))} (fields.rating_scale)"
        )
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
    venue: VenueConfig, invitation: str, meaning: DecisionMeaning | None, forum_id: str
) -> tuple[Status, Presentation | None]:
    try:
        listed = venue.listing_status(invitation)
    except KeyError:
        raise NormalizeError(f"paper {forum_id}: invitation {invitation!r} is not a listing of {venue.key}") from None
    # A paper withdrawn after its decision keeps the decision string, but its listing says what became of it.
    if listed != "decided":
        return listed, None
    if meaning is None:
        return "under-review", None
    return meaning.status, meaning.presentation


def note_parts(raw: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """A submission note's id and content object."""
    try:
        forum_id = str(raw["id"])
        content = raw["content"]
    except (KeyError, TypeError):
        raise NormalizeError(f"note without id or content: {str(raw)[:120]!r}") from None
    if not isinstance(content, Mapping):
        raise NormalizeError(f"paper {forum_id}: content is not an object")
    return forum_id, content


def paper_record(
    raw: Mapping[str, Any],
    content: Mapping[str, Any],
    venue: VenueConfig,
    *,
    invitation: str,
    status: Status,
    presentation: Presentation | None,
    decision: Decision | None,
) -> Paper:
    """The Paper row of a submission whose content is plain (v2 content unwrapped)."""
    forum_id = str(raw["id"])
    title = clean_text(content.get("title"))
    if title is None:
        raise NormalizeError(f"paper {forum_id} has no title")
    fields = venue.fields
    number = raw.get("number")
    return Paper(
        forum_id=forum_id,
        venue=venue.key,
        number=number if isinstance(number, int) else None,
        title=title,
        abstract=clean_text(content.get("abstract")),
        tldr=clean_text(content.get(fields.tldr)) if fields.tldr else None,
        keywords=keywords_of(content.get("keywords")),
        pdf_url=absolute_url(venue.site_url, content.get("pdf")),
        status=status,
        presentation=presentation,
        decision=decision.decision if decision else None,
        code_url=clean_text(content.get(fields.code)) if fields.code else None,
        invitation=invitation,
        created_at=ms_to_datetime(raw.get("cdate") or raw.get("tcdate")),
        modified_at=ms_to_datetime(raw.get("tmdate")),
    )


def assemble_note(
    raw: Mapping[str, Any],
    content: Mapping[str, Any],
    venue: VenueConfig,
    invitation: str,
    found: SortedReplies,
    decision: Decision | None,
    status: Status,
    presentation: Presentation | None,
) -> NormalizedNote:
    """The records of a note whose replies and status are settled; the part both API versions share."""
    forum_id = str(raw["id"])
    # Anonymous submissions (v2, under review) have no authors key at all.
    paper_authors, authors = normalize_authors(forum_id, content.get("authors"), content.get("authorids"))
    paper = paper_record(
        raw, content, venue, invitation=invitation, status=status, presentation=presentation, decision=decision
    )
    return NormalizedNote(
        paper=paper, paper_authors=paper_authors, authors=authors, reviews=found.reviews, decision=decision
    )


def normalize_note(
    raw: Mapping[str, Any],
    venue: VenueConfig,
    decisions_by_forum: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> NormalizedNote:
    """One v1 submission note, fetched with details=directReplies, as records.

    `decisions_by_forum` holds decision notes fetched apart from the submission, keyed by forum
    (`group_by_forum`). Venues whose decisions are venue-wide (`replies.decision_scope = "venue"`, ICLR
    2018) need it: their decisions are listed by one invitation, not read from the paper's replies.
    """
    if venue.api_version != 1:
        raise NormalizeError(f"{venue.key} is an API v{venue.api_version} venue: use normalize_note_v2")
    forum_id, content = note_parts(raw)
    if clean_text(content.get("title")) is None:
        raise NormalizeError(f"paper {forum_id} has no title")
    invitation = str(raw.get("invitation", ""))

    replies: list[Mapping[str, Any]] = list((raw.get("details") or {}).get("directReplies") or [])
    if decisions_by_forum is None and venue.replies.decision_scope == "venue":
        # Without them every paper would read as under review: a silent, complete loss of the decisions.
        raise NormalizeError(
            f"paper {forum_id}: {venue.key} decisions are venue-wide ({venue.replies.decision}); "
            "the caller must pass decisions_by_forum"
        )
    if decisions_by_forum is not None:
        # The same decision may also come back as a direct reply (it is posted with replyto = the paper).
        seen = {reply.get("id") for reply in replies}
        replies += [d for d in decisions_by_forum.get(forum_id, ()) if d.get("id") not in seen]
    found = sort_replies(replies, forum_id, venue)
    decision = final_decision(found, venue)
    status, presentation = _status(venue, invitation, decision_meaning(venue, decision, forum_id), forum_id)
    return assemble_note(raw, content, venue, invitation, found, decision, status, presentation)
