"""`rebuild`: every normalizer run again over the stored raw payloads (notes, profiles, homepages, arXiv
comments, code-API, Semantic Scholar and GitHub answers, about repositories and users), with no network. With
a venue, only what belongs to that venue's papers and people is rebuilt."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import sqlite_utils

from paperharvest.errors import NormalizeError, RejectedNote, UpstreamDataError
from paperharvest.history import rederive_history, version_stored_notes
from paperharvest.normalize.any_version import normalize_or_reject
from paperharvest.normalize.github import github_user, repository_from_github
from paperharvest.normalize.notes import group_by_forum
from paperharvest.normalize.profiles import normalize_profile
from paperharvest.stages.accounts import decide_accounts, read_homepage
from paperharvest.stages.code import derive_code_links
from paperharvest.store.github import rewrite_github_user, stored_github_users
from paperharvest.store.links import rewrite_repository
from paperharvest.store.people import save_profiles
from paperharvest.store.prepare import NoteRows, note_rows, quarantined
from paperharvest.store.queries import (
    harvested_venues,
    note_venues,
    stored_homepages,
    stored_profiles,
    stored_repositories,
)
from paperharvest.store.save import replace_records, save_rejected_notes
from paperharvest.store.versions import stored_raw_notes
from paperharvest.venues import VenueConfig

log = logging.getLogger(__name__)
R = TypeVar("R")

REBUILD_BATCH = 1000


def rebuild(db: sqlite_utils.Database, venues: dict[str, VenueConfig], venue_key: str | None = None) -> dict[str, int]:
    done: Counter[str] = Counter()
    done["notes"] = rebuild_notes(db, venues, venue_key)
    for key in note_venues(db):
        if key in venues and venue_key in (None, key):
            # A database from before versions were kept gets them (dated to the venue's last run) first.
            done["notes_versioned"] += version_stored_notes(db, venues[key])
            done["history_runs"] += rederive_history(db, venues[key])
    with db.atomic():
        # Through the same order-independent alias rules as a fetch, Merged profiles included, so people an
        # older version wrongly joined are told apart again.
        for fetched_at, raw in stored_profiles(db, venue_key):
            records = normalize_profile(raw)
            save_profiles(db, [(raw, records)], {}, datetime.fromisoformat(fetched_at))
            done["profiles"] += 1
        for url, final_url, html, _ in stored_homepages(db, venue_key):
            read_homepage(db, url, final_url, html)
            done["homepages"] += 1
    for key, stamp in harvested_venues(db).items():
        if key in venues and venue_key in (None, key):
            derived = derive_code_links(db, venues[key], datetime.fromisoformat(stamp), rederived=True)
            done["code_links"] += derived["links"]
            done["machine_tldrs"] += derived["machine_tldrs"]
    done["repositories"] = rebuild_repositories(db, venue_key)
    done["github_users"] = rebuild_github_users(db, venue_key)
    # Whose accounts: always over the whole database, as a fetch decides them.
    done.update(decide_accounts(db))
    return dict(done)


def rebuild_notes(db: sqlite_utils.Database, venues: dict[str, VenueConfig], venue_key: str | None) -> int:
    """Papers, authors, reviews and decisions from the raw notes, a batch per transaction."""
    done = rejected = 0
    batch: list[tuple[NoteRows, str]] = []
    for key in note_venues(db):
        if venue_key not in (None, key):
            continue
        venue = venues.get(key)
        if venue is None:
            raise UpstreamDataError(f"the database holds raw notes of venue {key!r}, which has no config")
        wide = None
        if venue.replies.venue_wide_decisions:
            wide = group_by_forum(r.note for r in stored_raw_notes(db, key, [venue.replies.decision]))
        for row in stored_raw_notes(db, key, [listing.invitation for listing in venue.listings]):
            records = normalize_or_reject(row.note, venue, wide)
            if isinstance(records, RejectedNote):
                # A stored note today's rules cannot read (they got stricter): quarantined, its old records kept.
                rows = [quarantined(row.note, records)]
                with db.atomic():
                    save_rejected_notes(db, venue, row.invitation, rows, run_id=None, rejected_at=row.fetched_at)
                rejected += 1
                continue
            batch.append((note_rows(records), row.fetched_at))
            done += 1
            if len(batch) >= REBUILD_BATCH:
                with db.atomic():
                    replace_records(db, batch)
                batch = []
    with db.atomic():
        replace_records(db, batch)
    if rejected:
        log.warning("rebuild: %d stored notes could not be read; see the rejected_notes table", rejected)
    return done


def rebuild_repositories(db: sqlite_utils.Database, venue_key: str | None = None) -> int:
    """The repositories' columns, read again from the stored GitHub answers."""
    return _reread(db, stored_repositories(db, venue_key), repository_from_github, rewrite_repository, "repository")


def rebuild_github_users(db: sqlite_utils.Database, venue_key: str | None = None) -> int:
    """The GitHub users' columns, read again from the stored answers."""
    return _reread(db, stored_github_users(db, venue_key), github_user, rewrite_github_user, "user")


def _reread(
    db: sqlite_utils.Database,
    stored: Iterable[tuple[str, Any]],
    read: Callable[[Any], R],
    rewrite: Callable[[sqlite_utils.Database, str, R], None],
    what: str,
) -> int:
    """Each stored GitHub answer read again and its columns rewritten; one today's reader refuses is skipped."""
    done = 0
    with db.atomic():
        for key, payload in stored:
            try:
                record = read(payload)
            except NormalizeError as exc:
                log.warning("rebuild: skipping the stored GitHub answer for %s %s: %s", what, key, exc)
                continue
            rewrite(db, key, record)
            done += 1
    return done
