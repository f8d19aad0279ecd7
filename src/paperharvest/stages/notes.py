"""The notes stage: the venue's group (checked against the config), then every submission listing with its
direct replies, a page per transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from paperharvest.errors import RejectedNote, UpstreamDataError
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import group_by_forum, normalize_note
from paperharvest.normalize.notes_v2 import normalize_note_v2
from paperharvest.sources.openreview import fetch_note_pages, fetch_venue_group
from paperharvest.stages.run import Run
from paperharvest.store.save import save_page, save_raw_notes
from paperharvest.venues import VenueConfig, check_venue_group


def normalize_any(
    raw: Mapping[str, Any], venue: VenueConfig, decisions_by_forum: Mapping[str, Any] | None = None
) -> NormalizedNote:
    """The normalizer for the venue's API version."""
    if venue.api_version == 2:
        return normalize_note_v2(raw, venue)
    return normalize_note(raw, venue, decisions_by_forum)


def normalize_or_reject(
    raw: Mapping[str, Any], venue: VenueConfig, decisions_by_forum: Mapping[str, Any] | None = None
) -> NormalizedNote | RejectedNote:
    """A note's records, or why it cannot have any (kept with the page). A config gap still stops the run."""
    try:
        return normalize_any(raw, venue, decisions_by_forum)
    except RejectedNote as exc:
        return exc


def stage_notes(run: Run) -> dict[str, Any]:
    venue, settings = run.venue, run.settings
    api_url = settings.openreview_api_url if venue.api_version == 1 else settings.openreview_api_url_v2
    group = fetch_venue_group(run.openreview(), api_url, venue.venue_id)
    check_venue_group(venue, group)
    notes_url = api_url.rstrip("/") + "/notes"
    counts: Counter[str] = Counter()
    by_listing: dict[str, int] = {}
    decisions_by_forum = None
    if venue.replies.decision_scope == "venue":
        # 2018: one venue-wide decision invitation; its notes are kept raw and matched to papers by forum.
        decision_notes = []
        for page in fetch_note_pages(
            run.openreview(),
            venue.replies.decision,
            page_size=settings.page_size,
            details=None,
            notes_url=notes_url,
            api_version=venue.api_version,
        ):
            save_raw_notes(run.db, venue, page.invitation, page.notes, run.network.now())
            decision_notes.extend(page.notes)
        decisions_by_forum = group_by_forum(decision_notes)
        by_listing[venue.replies.decision] = len(decision_notes)
    for listing in venue.listings:
        seen = 0
        for page in fetch_note_pages(
            run.openreview(),
            listing.invitation,
            page_size=settings.page_size,
            notes_url=notes_url,
            api_version=venue.api_version,
        ):
            normalized = [normalize_or_reject(note, venue, decisions_by_forum) for note in page.notes]
            result = save_page(
                run.db,
                venue,
                page.invitation,
                page.notes,
                normalized,
                run.network.now(),
                related=decisions_by_forum,
                run_id=run.run_id,
            )
            seen += len(page.notes)
            counts.update(
                notes_seen=len(page.notes),
                papers_added=result.added,
                papers_updated=result.updated,
                papers_unchanged=result.unchanged,
                notes_rejected=result.rejected,
            )
            run.progress(listing.invitation.rsplit("/", 1)[-1], seen, page.count)
        by_listing[listing.invitation] = seen
        if seen == 0 and listing.status == "decided":
            # An empty main listing means a wrong host, API version or invitation, or a gate: never "no papers".
            raise UpstreamDataError(
                f"OpenReview listed no notes for {listing.invitation}; check the venue's api_version "
                f"({venue.api_version}) against OPENREVIEW_API_BASEURL(_V2) and the invitation name"
            )
    if counts["notes_rejected"]:
        # The rest of the venue is stored and the later stages still run; the run's end says what was lost.
        rejected = counts["notes_rejected"]
        run.problems.append(
            f"{rejected} {'note' if rejected == 1 else 'notes'} of {venue.key} could not be read and "
            f"{'was' if rejected == 1 else 'were'} quarantined; "
            f"see SELECT note_id, reason, message FROM rejected_notes WHERE run_id = {run.run_id}"
        )
    return {**counts, "by_listing": by_listing}
