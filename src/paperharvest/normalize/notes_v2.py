"""OpenReview API v2 submission notes (ICLR 2024+) -> the same records as v1.

A v2 note differs from a v1 note in its wire format, not in what it says: every content value is wrapped
(`{"title": {"value": "..."}}`), invitations are lists, and the status is the note's own `venueid` rather
than the listing it came from. So content is unwrapped here and the v1 helpers do the reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from paperharvest.errors import NormalizeError
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import (
    assemble_note,
    clean_text,
    decision_meaning,
    final_decision,
    note_parts,
    sort_replies,
)
from paperharvest.venues import DecisionMeaning, Presentation, Status, VenueConfig


def content_value(value: Any) -> Any:
    """`{"value": x}` -> x. Anything else is returned as it is (v1 content, or a v2 field without a value)."""
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


def unwrap_content(content: Any) -> dict[str, Any]:
    if not isinstance(content, Mapping):
        return {}
    return {key: content_value(value) for key, value in content.items()}


def _unwrapped(note: Mapping[str, Any]) -> dict[str, Any]:
    return {**note, "content": unwrap_content(note.get("content"))}


def _replies(details: Any) -> Iterable[Mapping[str, Any]]:
    """A forum's replies, from `details.directReplies` or `details.replies` (or both), each once.

    Reviews, decisions and meta-reviews reply to the submission itself, so either detail holds them;
    `replies` adds the comments on comments, which are skipped anyway.
    """
    if not isinstance(details, Mapping):
        return []
    seen: set[Any] = set()
    out: list[Mapping[str, Any]] = []
    for key in ("directReplies", "replies"):
        for reply in details.get(key) or ():
            if isinstance(reply, Mapping) and reply.get("id") not in seen:
                seen.add(reply.get("id"))
                out.append(reply)
    return out


def _status(
    venue: VenueConfig, content: Mapping[str, Any], meaning: DecisionMeaning | None, forum_id: str
) -> tuple[Status, Presentation | None]:
    venueid = clean_text(content.get("venueid"))
    if venueid is None:
        raise NormalizeError(f"paper {forum_id} has no venueid: its status cannot be read")
    try:
        status = venue.venueid_status(venueid)
    except KeyError:
        known = ", ".join(repr(v) for v in venue.venue_ids)
        raise NormalizeError(
            f"paper {forum_id}: venueid {venueid!r} is not in the {venue.key} config (known: {known})"
        ) from None
    if status == "under-review":
        # Decisions can be released before the venueids move: the decision then is the better information.
        return (meaning.status, meaning.presentation) if meaning else ("under-review", None)
    if status != "accepted":
        # As in v1, a paper withdrawn after its decision keeps the decision string but is withdrawn.
        return status, None
    venue_text = clean_text(content.get("venue"))
    if venue.presentation and venue_text is not None:
        # The venue string is what the venue shows now; ICLR 2025 named orals and spotlights weeks after
        # the decisions, so it wins over the Decision note's wording.
        presentation = venue.presentation_of(venue_text)
        if presentation is None:
            known = ", ".join(repr(v) for v in venue.presentation)
            raise NormalizeError(
                f"paper {forum_id}: accepted, but its venue {venue_text!r} is not in the {venue.key} "
                f"[presentation] table (known: {known})"
            )
        return "accepted", presentation
    return "accepted", meaning.presentation if meaning else None


def _listing(venue: VenueConfig, raw: Mapping[str, Any], forum_id: str) -> str:
    invitations = raw.get("invitations")
    names = [str(i) for i in invitations] if isinstance(invitations, list) else []
    for listing in venue.listings:
        if listing.invitation in names:
            return listing.invitation
    raise NormalizeError(f"paper {forum_id}: none of its invitations {names} is a listing of {venue.key}")


def normalize_note_v2(raw: Mapping[str, Any], venue: VenueConfig) -> NormalizedNote:
    """One v2 submission note, fetched with details=directReplies (or replies), as records."""
    if venue.api_version != 2:
        raise NormalizeError(f"{venue.key} is an API v{venue.api_version} venue: use normalize_note")
    forum_id, wrapped = note_parts(raw)
    domain = raw.get("domain")
    if domain is None:
        raise NormalizeError(f"paper {forum_id} has no domain: it is not an API v2 note")
    if domain != venue.venue_id:
        raise NormalizeError(f"paper {forum_id} belongs to {domain!r}, not to {venue.key} ({venue.venue_id})")
    content = unwrap_content(wrapped)
    if clean_text(content.get("title")) is None:
        raise NormalizeError(f"paper {forum_id} has no title")
    invitation = _listing(venue, raw, forum_id)

    found = sort_replies((_unwrapped(reply) for reply in _replies(raw.get("details"))), forum_id, venue)
    decision = final_decision(found, venue)
    status, presentation = _status(venue, content, decision_meaning(venue, decision, forum_id), forum_id)
    return assemble_note(raw, content, venue, invitation, found, decision, status, presentation)
