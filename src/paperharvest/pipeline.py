"""The stages in order. Only this module (and the CLI) knows sources, normalize and store together.

Today the one stage is `notes`: every listing of the venue, page by page. Each page is normalized in
full before anything is written, then stored in one transaction, so a failure at any point leaves
whole pages only and the next run resumes by skipping what is already stored unchanged.
"""

from __future__ import annotations

import json
import logging
import platform
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import sqlite_utils

from paperharvest.errors import HarvestError, UpstreamDataError
from paperharvest.models import NormalizedNote
from paperharvest.net import Network
from paperharvest.normalize.notes import normalize_note
from paperharvest.settings import Settings
from paperharvest.sources.openreview import fetch_note_pages, make_client
from paperharvest.store.save import (
    finish_run,
    iter_raw_notes,
    mark_venue_harvested,
    replace_records,
    save_page,
    save_venue,
    start_run,
)
from paperharvest.venues import VenueConfig

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
REBUILD_BATCH = 1000


@dataclass
class HarvestCounts:
    notes_seen: int = 0
    papers_added: int = 0
    papers_updated: int = 0
    papers_unchanged: int = 0
    by_listing: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("paperharvest", "openreview-py", "sqlite-utils", "pydantic", "requests"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def harvest_notes(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    settings: Settings,
    network: Network,
    counts: HarvestCounts,
    progress: ProgressCallback | None = None,
) -> None:
    client = make_client(settings, network)
    for listing in venue.listings:
        seen = 0
        for page in fetch_note_pages(client, listing.invitation, page_size=settings.page_size):
            normalized = [normalize_note(note, venue) for note in page.notes]
            result = save_page(db, venue, page.invitation, page.notes, normalized, network.now())
            seen += len(page.notes)
            counts.notes_seen += len(page.notes)
            counts.papers_added += result.added
            counts.papers_updated += result.updated
            counts.papers_unchanged += result.unchanged
            if progress:
                progress(listing.invitation.rsplit("/", 1)[-1], seen, page.count)
        counts.by_listing[listing.invitation] = seen
        if seen == 0 and listing.status == "decided":
            # An empty main listing means a wrong host, API version or invitation, or a gate: never "no papers".
            raise UpstreamDataError(
                f"OpenReview listed no notes for {listing.invitation}; check the venue's api_version "
                f"({venue.api_version}) against OPENREVIEW_API_BASEURL and the invitation name"
            )


def run_fetch(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    settings: Settings,
    network: Network,
    options: dict[str, Any],
    progress: ProgressCallback | None = None,
) -> HarvestCounts:
    """A whole `fetch`: records the run, harvests, and marks the run ok or failed (never half-written)."""
    save_venue(db, venue)
    run_id = start_run(
        db,
        command="fetch",
        venue=venue.key,
        options=options,
        versions=package_versions(),
        started_at=network.started_at,
    )
    counts = HarvestCounts()
    try:
        harvest_notes(db, venue, settings, network, counts, progress)
    except BaseException as exc:
        counts.requests = network.request_counts
        message = str(exc) if isinstance(exc, HarvestError) else f"{type(exc).__name__}: {exc}"
        finish_run(db, run_id, outcome="failed", ended_at=network.finish(), counts=asdict(counts), error=message)
        raise
    counts.requests = network.request_counts
    ended = network.finish()
    with db.atomic():
        finish_run(db, run_id, outcome="ok", ended_at=ended, counts=asdict(counts))
        mark_venue_harvested(db, venue.key, ended, run_id)
    return counts


def rebuild(db: sqlite_utils.Database, venues: dict[str, VenueConfig], venue_key: str | None = None) -> int:
    """Re-run the normalizers over the stored raw notes: no network. Returns the number of notes."""
    done = 0
    batch: list[tuple[NormalizedNote, str]] = []
    for row in iter_raw_notes(db, venue_key):
        venue = venues.get(row["venue"])
        if venue is None:
            raise UpstreamDataError(f"raw note {row['note_id']} belongs to venue {row['venue']!r}, which has no config")
        batch.append((normalize_note(json.loads(row["json"]), venue), row["fetched_at"]))
        done += 1
        if len(batch) >= REBUILD_BATCH:
            with db.atomic():
                replace_records(db, batch)
            batch = []
    with db.atomic():
        replace_records(db, batch)
    return done
