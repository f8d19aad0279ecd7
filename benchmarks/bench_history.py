"""Benchmark: history at ICLR 2026's size. A synthetic venue of 19,814 submissions (tests/fakes/synthetic_venue)
is harvested three times through the fake OpenReview server into one database: a first harvest, a re-run
with nothing changed upstream, and a re-run after 5% of the reviews were edited.

Prints per run: requests, wall seconds, rows written (note versions written and closed, changes), database
bytes and the harvesting process's peak memory, then whether the goals are met: peak memory <= 300 MB; the
no-change re-run writes no version and makes only the listing requests; the changed re-run writes exactly
one version per edited review. A benchmark, not a test: it reports, it does not assert. Run with
`make bench`.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.openreview_v1 import FakeOpenReview  # noqa: E402
from tests.fakes.synthetic_venue import build_synthetic_venue, with_edited_reviews  # noqa: E402

from bench_harvest import Child, Venue, fenced_fetch  # noqa: E402
from paperharvest.store.db import open_db  # noqa: E402
from paperharvest.store.versions import history_counts  # noqa: E402

ANSWER_DELAY = float(os.environ.get("BENCH_HISTORY_DELAY", "0.05"))  # seconds per API answer
PEAK_GOAL_MB = 300
# The requests a harvest of the notes stage cannot do without: the venue group and the listing pages.
LISTING = ("GET /groups", "GET /notes")


def _db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def harvest(venue: Venue, db: Path, label: str) -> tuple[Child, dict[str, int]]:
    with FakeOpenReview(venue, delay=ANSWER_DELAY) as fake:
        child = fenced_fetch(fake, db, "iclr2020")
    store = open_db(db)
    run_id = store.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    counts = history_counts(store, "iclr2020", run_id)
    store.conn.close()
    requests = ", ".join(f"{key} {n}" for key, n in sorted(child.requests.items()))
    print(f"{label}:")
    print(f"  requests                   {sum(child.requests.values())} ({requests})")
    print(f"  wall seconds               {child.seconds:.2f}")
    print(f"  note versions written      {counts['versions_written']:,} (closed {counts['versions_closed']:,})")
    print(f"  changes written            {counts['changes']:,}")
    print(f"  database bytes             {_db_bytes(db):,}")
    print(f"  peak memory (harvest proc) {child.peak_mb:.0f} MB")
    return child, counts


def _goal(text: str, met: bool) -> None:
    print(f"  {text:<72} {'met' if met else 'NOT met'}")


def main() -> int:
    started = time.perf_counter()
    venue = build_synthetic_venue()
    edited_venue, edited = with_edited_reviews(venue, every=20)
    # The venues are the server's data, not the harvester's: keep the garbage collector from re-walking them.
    gc.freeze()
    submissions = sum(len(notes) for notes in venue.values())
    replies = sum(len(n["details"]["directReplies"]) for notes in venue.values() for n in notes)
    print(
        f"history at scale: {submissions:,} submissions, {replies:,} replies, built in "
        f"{time.perf_counter() - started:.1f} s; {ANSWER_DELAY:.2f} s per answer"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "history.db"
        first, _ = harvest(venue, db, "first harvest")
        same, same_counts = harvest(venue, db, "re-run, nothing changed")
        changed, changed_counts = harvest(edited_venue, db, f"re-run, {len(edited):,} reviews edited (5%)")
    print("goals:")
    peak = max(c.peak_mb for c in (first, same, changed))
    _goal(f"peak memory <= {PEAK_GOAL_MB} MB (highest {peak:.0f} MB)", peak <= PEAK_GOAL_MB)
    only_listing = set(same.requests) <= set(LISTING) and same.requests == first.requests
    _goal("no-change re-run: only the listing requests, as many as the first harvest's", only_listing)
    _goal(
        f"no-change re-run: no version written (wrote {same_counts['versions_written']}, "
        f"{same_counts['changes']} changes)",
        same_counts["versions_written"] == 0 and same_counts["versions_closed"] == 0 and same_counts["changes"] == 0,
    )
    exact = changed_counts["versions_written"] == len(edited) and changed_counts["versions_closed"] == len(edited)
    _goal(
        f"changed re-run: exactly the {len(edited):,} edited versions (wrote {changed_counts['versions_written']:,}, "
        f"closed {changed_counts['versions_closed']:,}, {changed_counts['changes']:,} changes)",
        exact and changed_counts["changes"] == len(edited),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
