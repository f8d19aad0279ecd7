"""The notes stage: the venue's group (checked against the config), then every submission listing with its
direct replies, a page per transaction."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from datetime import datetime
from types import TracebackType
from typing import Any

from paperharvest.errors import UpstreamDataError
from paperharvest.normalize.notes import group_by_forum
from paperharvest.sources.openreview import NotePage, fetch_note_pages, fetch_venue_group
from paperharvest.stages.preparing import PageToPrepare, Preparers
from paperharvest.stages.run import Run
from paperharvest.store.db import BackgroundCheckpoints
from paperharvest.store.save import save_prepared, save_raw_notes
from paperharvest.venues import check_venue_group

STUCK_SECONDS = 5.0


class StoreBehind:
    """Stores page N on one worker thread while the main thread fetches page N+1, so fetching and storing
    overlap instead of taking turns; never more than those two pages in memory.

    The network stays on the main thread (where signals and the answer watchdog work); the database is used by
    one thread at a time, since the main thread touches it only after `wait()`. Leaving the block always waits
    for the page being stored, a signal included, so a run's record is never written beside a page transaction.
    When a signal stopped the stage and the page is not written within STUCK_SECONDS (or a second signal
    comes), `on_stuck` is called, which stops what the page waits on (the helper process).
    """

    def __init__(self, on_stuck: Callable[[], None] | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperharvest-store")
        self._pending: Future[None] | None = None
        self._on_stuck = on_stuck

    def submit(self, job: Callable[[], None]) -> None:
        self.wait()
        self._pending = self._pool.submit(job)

    def wait(self) -> None:
        """Until the page being stored is committed; its failure (a full disk, say) is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> StoreBehind:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        stopped: BaseException | None = None
        signalled = error is not None and not isinstance(error, Exception)
        while self._pending is not None and not self._pending.done():
            stuck = signalled or stopped is not None  # a signal came before this wait: stop what it waits on
            try:
                futures_wait([self._pending], timeout=STUCK_SECONDS)
            except BaseException as exc:  # a signal while waiting: finish waiting first, then stop
                stopped = exc
            if stuck and self._on_stuck is not None and not self._pending.done():
                self._on_stuck()
        self._pool.shutdown(wait=True)
        if stopped is not None:
            raise stopped
        if error is None:
            self.wait()


def stage_notes(run: Run) -> dict[str, Any]:
    # The helper that prepares pages starts first, so that it has imported by the time the first page comes.
    with Preparers(run.venue) as preparers:
        counts = _harvest_notes(run, preparers)
    if counts["notes_rejected"]:
        # The rest of the venue is stored and the later stages still run; the run's end says what was lost.
        rejected = counts["notes_rejected"]
        run.problems.append(
            f"{rejected} {'note' if rejected == 1 else 'notes'} of {run.venue.key} could not be read and "
            f"{'was' if rejected == 1 else 'were'} quarantined; "
            f"see SELECT note_id, reason, message FROM rejected_notes WHERE run_id = {run.run_id}"
        )
    return counts


def _harvest_notes(run: Run, preparers: Preparers) -> dict[str, Any]:
    venue, settings = run.venue, run.settings
    api_url = settings.openreview_hosts[venue.api_version]
    group = run.known_group or fetch_venue_group(run.openreview(), api_url, venue.venue_id)
    check_venue_group(venue, group)
    notes_url = api_url.rstrip("/") + "/notes"
    counts: Counter[str] = Counter()
    by_listing: dict[str, int] = {}
    decisions_by_forum = None
    if venue.replies.venue_wide_decisions:
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
            save_raw_notes(run.db, venue, page.invitation, page.notes, run.network.now(), run_id=run.run_id)
            decision_notes.extend(page.notes)
        decisions_by_forum = group_by_forum(decision_notes)
        by_listing[venue.replies.decision] = len(decision_notes)
    preparers.begin(decisions_by_forum)

    def store(page: NotePage, prepared: PageToPrepare, fetched_at: datetime, seen: int) -> None:
        result = save_prepared(run.db, venue, page.invitation, preparers.parts(prepared), fetched_at, run_id=run.run_id)
        counts.update(
            notes_seen=len(page.notes),
            papers_added=result.added,
            papers_updated=result.updated,
            papers_unchanged=result.unchanged,
            notes_rejected=result.rejected,
        )
        run.progress(page.invitation.rsplit("/", 1)[-1], seen, page.count)
        checkpoints.request()  # after the counts: a failed checkpoint is raised here, the page being stored

    # One worker for every listing, so the next listing's first page is fetched while the last page of the
    # one before is stored.
    with BackgroundCheckpoints(run.db) as checkpoints, StoreBehind(on_stuck=preparers.stop_helper) as behind:
        for listing in venue.listings:
            seen = 0
            for page in fetch_note_pages(
                run.openreview(),
                listing.invitation,
                page_size=venue.listing_page_size(settings.page_size),
                details=venue.replies.forum,
                notes_url=notes_url,
                api_version=venue.api_version,
            ):
                seen += len(page.notes)
                # The clock is read as the page arrives, so a replay stamps it the same whatever the threads do.
                fetched_at = run.network.now()
                prepared = preparers.send(page.invitation, page.notes, fetched_at.isoformat())
                behind.submit(functools.partial(store, page, prepared, fetched_at, seen))
            by_listing[listing.invitation] = seen
            if seen == 0 and listing.status == "decided":
                # An empty main listing means a wrong host, API version or invitation, or a gate: never "no papers".
                raise UpstreamDataError(
                    f"OpenReview listed no notes for {listing.invitation}; check the venue's api_version "
                    f"({venue.api_version}) against OPENREVIEW_API_BASEURL(_V2) and the invitation name"
                )
    if preparers.prepared_in_helper:
        counts["notes_prepared_in_helper"] = preparers.prepared_in_helper
    return {**counts, "by_listing": by_listing}
