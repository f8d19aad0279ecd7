"""History from the stored note versions, through the normalizers: what `rebuild` re-derives (the changes
of every run, the records read from every version), what a run records at its end (its data version), and
the one-time versioning of a database harvested before versions were kept.

It needs normalize and store together, so it lives outside store/, like rebuild.py and snapshot.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from paperharvest.errors import RejectedNote
from paperharvest.models import NormalizedNote
from paperharvest.normalize.any_version import normalize_or_reject
from paperharvest.normalize.notes import group_by_forum
from paperharvest.store.prepare import ForumState, note_rows, split_note, state_of
from paperharvest.store.versions import (
    StoredNote,
    clear_history,
    drop_versioned_raw_texts,
    forum_changes,
    history_counts,
    notes_at,
    previous_run,
    run_events,
    runs_without_data_version,
    set_data_version,
    touched_forums,
    unversioned_notes,
    venue_data_version,
    version_runs,
    write_changes,
    write_derived,
    write_versions,
)
from paperharvest.venues import VenueConfig

BATCH = 500


def split_stored(stored: Iterable[StoredNote]) -> tuple[list[StoredNote], dict[str, list[Mapping[str, Any]]]]:
    """Submissions, and the notes stored on their own (2018's venue-wide decisions) by forum."""
    submissions: list[StoredNote] = []
    alone: list[StoredNote] = []
    for note in stored:
        (submissions if note.kind == "submission" else alone).append(note)
    return submissions, group_by_forum(n.note for n in alone)


def venue_wide(venue: VenueConfig, related: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The notes stored alone that a venue's papers are read with: 2018's venue-wide decisions, else none."""
    return related if venue.replies.venue_wide_decisions else None


def _records(
    stored: Sequence[StoredNote], venue: VenueConfig, related: Mapping[str, Any]
) -> dict[str, tuple[StoredNote, NormalizedNote]]:
    """Each stored submission's records; one today's rules cannot read has none."""
    wide = venue_wide(venue, related)
    out = {}
    for note in stored:
        records = normalize_or_reject(note.note, venue, wide)
        if not isinstance(records, RejectedNote):
            out[note.parent_id] = (note, records)
    return out


def _states(
    db: sqlite_utils.Database, venue: VenueConfig, run_id: int, forums: Sequence[str], *, before: bool
) -> dict[str, tuple[StoredNote, NormalizedNote]]:
    submissions, related = split_stored(notes_at(db, venue.key, run_id, before=before, forum_ids=forums))
    return _records(submissions, venue, related)


def rederive_run(db: sqlite_utils.Database, venue: VenueConfig, run_id: int) -> None:
    """The records read from the versions run `run_id` wrote, and (for a real run) its changes."""
    forums = touched_forums(db, venue.key, run_id)
    for start in range(0, len(forums), BATCH):
        batch = forums[start : start + BATCH]
        now = _states(db, venue, run_id, batch, before=False)
        fresh = {
            key: vid
            for stored, _ in now.values()
            for key, vid in stored.versions.items()
            if stored.first_runs[key] == run_id
        }
        rows = {parent: note_rows(records) for parent, (_, records) in now.items()}
        write_derived(db, rows.values(), fresh)
        if run_id == 0:
            continue  # versions stored outside any run: nothing to compare them with
        was = _states(db, venue, run_id, batch, before=True)
        events = run_events(db, venue.key, run_id, batch)
        changes = []
        for parent, records in rows.items():
            old: ForumState | None = state_of(note_rows(was[parent][1])) if parent in was else None
            changes += forum_changes(run_id, venue.key, parent, old, records, events.get(parent, ()))
        write_changes(db, changes)


def rederive_history(db: sqlite_utils.Database, venue: VenueConfig) -> int:
    """Every derived history row of the venue again from its versions, run by run; returns how many runs."""
    runs = version_runs(db, venue.key)
    with db.atomic():
        clear_history(db, venue.key)
        for run_id in runs:
            rederive_run(db, venue, run_id)
    return len(runs)


def version_stored_notes(db: sqlite_utils.Database, venue: VenueConfig, before_run: int | None = None) -> int:
    """Versions for the raw notes a database holds from before versions were kept, dated to the venue's
    last run before `before_run` (default: its last run), which had seen them. Returns how many notes; the
    caller derives the history of a venue that got any (rederive_history)."""
    unversioned = unversioned_notes(db, venue.key)
    if not unversioned:
        return 0
    seen_by = previous_run(db, venue.key, before_run if before_run is not None else 1 << 62)
    listings = {listing.invitation for listing in venue.listings}
    with db.atomic():
        for note_id, listing, text, fetched_at in unversioned:
            versions = split_note(json.loads(text), venue, listing, submission=listing in listings)
            write_versions(db, venue.key, [note_id], versions, run_id=seen_by, fetched_at=fetched_at)
        drop_versioned_raw_texts(db, [note_id for note_id, *_ in unversioned])
    return len(unversioned)


def record_data_versions(
    db: sqlite_utils.Database, venue: VenueConfig, run_id: int
) -> tuple[str | None, dict[str, int]]:
    """The data version run `run_id` leaves (and that of earlier runs that died before recording theirs),
    and what the run added to the history."""
    with db.atomic():
        for earlier in runs_without_data_version(db, venue.key, run_id):
            set_data_version(db, earlier, venue_data_version(db, venue.key, earlier))
        version = venue_data_version(db, venue.key)
        set_data_version(db, run_id, version)
    return version, history_counts(db, venue.key, run_id)
