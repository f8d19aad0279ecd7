"""OpenReview API v2 submission notes (ICLR 2024+) -> the same records as v1.

A v2 note differs from a v1 note in its wire format, not in what it says: every content value is wrapped
(`{"title": {"value": "..."}}`), invitations are lists, and the status is the note's own `venueid` rather
than the listing it came from. So content is unwrapped here and the v1 helpers do the reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paperharvest.errors import NormalizeError, RejectedNote, VenueConfigGap
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import (
    assemble_note,
    decision_meaning,
    final_decision,
    forum_replies,
    note_parts,
    paper_title,
    sort_replies,
)
from paperharvest.normalize.values import read_text, show, unwrap_content
from paperharvest.venues import DecisionMeaning, Presentation, Status, VenueConfig


def _unwrapped(note: Mapping[str, Any]) -> dict[str, Any]:
    # A content that is not an object stays as it is, for sort_replies to reject if the reply is a record.
    content = note.get("content")
    return {**note, "content": unwrap_content(content)} if isinstance(content, Mapping) else dict(note)


def _status(
    venue: VenueConfig, content: Mapping[str, Any], meaning: DecisionMeaning | None, forum_id: str
) -> tuple[Status, Presentation | None]:
    venueid = read_text(content.get("venueid"), f"paper {forum_id}: venueid")
    if venueid is None:
        raise RejectedNote("no_venueid", f"paper {forum_id} has no venueid: its status cannot be read")
    try:
        status = venue.venueid_status(venueid)
    except KeyError:
        known = ", ".join(repr(v) for v in venue.venue_ids)
        raise VenueConfigGap(
            "venueid",
            venueid,
            f"paper {forum_id}: venueid {venueid!r} is not in the {venue.key} config (known: {known})",
        ) from None
    if status == "under-review":
        # Decisions can be released before the venueids move: the decision then is the better information.
        return (meaning.status, meaning.presentation) if meaning else ("under-review", None)
    if status != "accepted":
        # As in v1, a paper withdrawn after its decision keeps the decision string but is withdrawn.
        return status, None
    venue_text = read_text(content.get("venue"), f"paper {forum_id}: venue")
    if venue.presentation and venue_text is not None:
        # The venue string is what the venue shows now; ICLR 2025 named orals and spotlights weeks after
        # the decisions, so it wins over the Decision note's wording.
        presentation = venue.presentation_of(venue_text)
        if presentation is None:
            known = ", ".join(repr(v) for v in venue.presentation)
            raise VenueConfigGap(
                "venue",
                venue_text,
                f"paper {forum_id}: accepted, but its venue {venue_text!r} is not in the {venue.key} "
                f"[presentation] table (known: {known})",
            )
        return "accepted", presentation
    return "accepted", meaning.presentation if meaning else None


def _listing(venue: VenueConfig, raw: Mapping[str, Any], forum_id: str) -> str:
    invitations = raw.get("invitations")
    names = [str(i) for i in invitations] if isinstance(invitations, list) else []
    for listing in venue.listings:
        if listing.invitation in names:
            return listing.invitation
    raise RejectedNote(
        "not_listed", f"paper {forum_id}: none of its invitations {show(names)} is a listing of {venue.key}"
    )


def normalize_note_v2(raw: Mapping[str, Any], venue: VenueConfig) -> NormalizedNote:
    """One v2 submission note, fetched with details=directReplies (or replies), as records."""
    if venue.api_version != 2:
        raise NormalizeError(f"{venue.key} is an API v{venue.api_version} venue: use normalize_note")
    forum_id, wrapped = note_parts(raw)
    domain = raw.get("domain")
    if domain is None:
        raise RejectedNote("not_v2", f"paper {forum_id} has no domain: it is not an API v2 note")
    if domain != venue.venue_id:
        raise RejectedNote(
            "wrong_venue", f"paper {forum_id} belongs to {show(domain)}, not to {venue.key} ({venue.venue_id})"
        )
    content = unwrap_content(wrapped)
    paper_title(content, forum_id)
    invitation = _listing(venue, raw, forum_id)

    forum = forum_replies(raw.get("details"), forum_id)
    found = sort_replies((_unwrapped(reply) for reply in forum.replies), forum_id, venue, comments=forum.whole)
    decision = final_decision(found, venue)
    status, presentation = _status(venue, content, decision_meaning(venue, decision, forum_id), forum_id)
    return assemble_note(raw, content, venue, invitation, found, decision, status, presentation)
