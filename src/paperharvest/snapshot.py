"""`snapshot`: a database holding one venue exactly as it was after one run, rebuilt from the stored note
versions through the normal normalizers and save path, so a notebook can re-run an analysis on the data it
once used. It needs normalize and store together, so it lives outside store/, like rebuild.py.

What is versioned is in it: the venue's papers, authors as listed, reviews, decisions, comments, raw notes,
their versions, the changes and the runs up to then. Profiles, homepages, arXiv and code links are not
versioned, so a snapshot has none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlite_utils

from paperharvest.errors import ConfigError
from paperharvest.history import venue_wide
from paperharvest.normalize.any_version import normalize_or_reject
from paperharvest.normalize.notes import group_by_forum
from paperharvest.store.db import open_db
from paperharvest.store.save import save_page, save_raw_notes
from paperharvest.store.schema import ensure_db_shape
from paperharvest.store.versions import StoredNote, copy_venue_history, notes_at, venue_data_version
from paperharvest.venues import VenueConfig

PAGE = 1000


def _pages(notes: Iterator[StoredNote]) -> Iterator[tuple[str, str, list[StoredNote]]]:
    """Consecutive notes of one listing and one fetch time, at most a page at a time."""
    for (listing, stamp), group in groupby(notes, key=lambda n: (n.listing, n.fetched_at)):
        batch = list(group)
        for start in range(0, len(batch), PAGE):
            yield listing, stamp, batch[start : start + PAGE]


def write_snapshot(source: sqlite_utils.Database, venue: VenueConfig, run_id: int, out: Path) -> dict[str, object]:
    """The venue as run `run_id` left it, into a new database at `out`."""
    if out.exists():
        raise ConfigError(f"{out} already exists; a snapshot is written to a new file")
    target = open_db(out, create=True)
    ensure_db_shape(target)
    with target.atomic():
        copy_venue_history(source, target, venue.key, run_id)
    # The notes stored alone (2018's venue-wide decisions: no other venue has any) first, as each paper is read
    # with its own.
    related: dict[str, list[Any]] = {}
    if venue.replies.venue_wide_decisions:
        alone = [n for n in notes_at(source, venue.key, run_id) if n.kind != "submission"]
        related = group_by_forum(n.note for n in alone)
        for listing, stamp, batch in _pages(iter(alone)):
            save_raw_notes(target, venue, listing, [n.note for n in batch], datetime.fromisoformat(stamp))
    wide = venue_wide(venue, related)
    papers = 0
    # Read (again, for a venue with notes stored alone) a page at a time: the submissions stream through.
    submissions = (n for n in notes_at(source, venue.key, run_id) if n.kind == "submission")
    for listing, stamp, batch in _pages(submissions):
        raw = [n.note for n in batch]
        normalized = [normalize_or_reject(note, venue, wide) for note in raw]
        # Outside a run: the versions and changes were copied as they were, and none are written again.
        save_page(target, venue, listing, raw, normalized, datetime.fromisoformat(stamp), related=wide)
        papers += len(batch)
    return {"run_id": run_id, "papers": papers, "data_version": venue_data_version(target, venue.key)}
