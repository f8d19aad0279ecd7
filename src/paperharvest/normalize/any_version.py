"""The notes normalizer for a venue's API version: what the notes stage, rebuild, history and snapshot call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paperharvest.errors import RejectedNote
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import normalize_note
from paperharvest.normalize.notes_v2 import normalize_note_v2
from paperharvest.venues import VenueConfig


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
