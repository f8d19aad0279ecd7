"""A whole `fetch`: the stages in order, the run's record, and the signals that stop it.

notes -> profiles -> homepages -> arxiv -> code. Each stage commits its own work in small transactions (a
page of notes, a batch of profiles, one homepage), so a failure or a signal leaves what earlier stages and
pages stored, and the next run resumes by skipping what is already stored and fresh.
"""

from __future__ import annotations

import contextlib
import importlib
import platform
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from types import FrameType
from typing import Any

import sqlite_utils

from paperharvest.errors import HarvestError, UpstreamDataError
from paperharvest.history import record_data_versions, rederive_history, version_stored_notes
from paperharvest.net import Network
from paperharvest.settings import Settings
from paperharvest.stages.notes import stage_notes
from paperharvest.stages.run import ProgressCallback, Run
from paperharvest.store.save import finish_run, mark_interrupted_runs, mark_venue_harvested, save_venue, start_run
from paperharvest.venues import VenueConfig


def _loaded_when_run(name: str) -> Callable[[Run], dict[str, Any]]:
    """Stage `name`, imported only when it runs: the later stages pull in the HTML, attribution and code-link
    modules, and without them every command (and `fetch --stages notes`) starts 0.15 s sooner."""

    def stage(run: Run) -> dict[str, Any]:
        module = importlib.import_module(f"paperharvest.stages.{name}")
        result: dict[str, Any] = getattr(module, f"stage_{name}")(run)
        return result

    return stage


STAGES: dict[str, Callable[[Run], dict[str, Any]]] = {
    "notes": stage_notes,
    **{name: _loaded_when_run(name) for name in ("profiles", "homepages", "arxiv", "code")},
}


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived: the run stops where it is. A BaseException, so no `except Exception` in a
    library swallows it; an open transaction is rolled back, so only whole pages stay."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal.Signals(signum).name)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGTERM (cron's `timeout`, systemd, kill) and SIGINT (Ctrl-C) raise `Interrupted` in the main thread.
    A second signal during the cleanup is ignored, so the run's record is always written."""
    caught: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if caught:
            return
        caught.append(signum)
        raise Interrupted(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread (an embedding program's worker thread keeps its defaults)
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("paperharvest", "openreview-py", "sqlite-utils", "pydantic", "requests", "httpx"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def run_fetch(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    settings: Settings,
    network: Network,
    options: dict[str, Any],
    stages: Sequence[str],
    progress: ProgressCallback | None = None,
    *,
    client: Any = None,
    group: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Records the run, runs the stages in order, and marks the run ok, failed or interrupted. Returns the
    run's counts, with its `run_id` and the `data_version` it left. `client`: an OpenReview client already
    logged in (the one that derived the venue's config), else the run makes its own on first use; `group`: the
    venue group that config was derived from."""
    with db.atomic():
        # The caller holds the lock, so a run still marked running died without recording its end.
        stale = mark_interrupted_runs(db, network.now())
        save_venue(db, venue)
        run_id = start_run(
            db,
            command="fetch",
            venue=venue.key,
            options=options,
            versions=package_versions(),
            started_at=network.started_at,
        )
    progress = progress or (lambda stage, done, total: None)
    run = Run(db, venue, settings, network, progress, run_id=run_id, _client=client, known_group=group)
    if stale:
        run.counts["earlier_runs_interrupted"] = stale
    try:
        # A database harvested before versions were kept gets them first, so this run compares with them.
        if seeded := version_stored_notes(db, venue, run_id):
            rederive_history(db, venue)
            run.counts["notes_versioned_from_earlier_runs"] = seeded
        for name in STAGES:
            if name in stages:
                run.counts[name] = STAGES[name](run)
        if run.problems:
            raise UpstreamDataError("; ".join(run.problems))
    except BaseException as exc:
        if db.conn.in_transaction:
            db.conn.rollback()
        with contextlib.suppress(sqlite3.Error):
            # The pages stored before the failure are data too; the next run records it if this cannot.
            run.counts["history"] = record_data_versions(db, venue, run_id)[1]
        run.counts["requests"] = network.request_counts
        outcome = "interrupted" if isinstance(exc, Interrupted | KeyboardInterrupt) else "failed"
        message = str(exc) if isinstance(exc, HarvestError | Interrupted) else f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(sqlite3.Error):
            # A full disk or a broken file may refuse this too; the next run marks the row interrupted.
            finish_run(db, run_id, outcome=outcome, ended_at=network.finish(), counts=run.counts, error=message)
        raise
    data_version, run.counts["history"] = record_data_versions(db, venue, run_id)
    run.counts["requests"] = network.request_counts
    ended = network.finish()
    with db.atomic():
        finish_run(db, run_id, outcome="ok", ended_at=ended, counts=run.counts)
        mark_venue_harvested(db, venue.key, ended, run_id)
    return {**run.counts, "run_id": run_id, "data_version": data_version}
