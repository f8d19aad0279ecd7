"""Benchmark: harvest the whole fake ICLR 2020 venue (2,594 submissions built from ../shared/data) through
the fake OpenReview server with a realistic delay per answer.

Prints requests per endpoint, wall seconds and the harvesting process's peak memory; the notes stage side
by side with the simplest peer a user would pick (openreview-py's `get_all_notes(details='directReplies')`
dumped into sqlite-utils), each through the fake with 0.2 s per answer, as a ratio of medians of rounds in
the same run (the machines are noisy); and normalize + store throughput (with note versions, changes and
checkpoints, as in a run) without network time. Goals: <= 10 OpenReview requests for the notes, our wall
time <= the peer's, >= 15,000 notes/s through normalize + store, peak memory < 300 MB. A benchmark, not a
test: it reports, it does not assert. Run with `make bench`.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.iclr2020_venue import build_iclr2020_venue, shared_data_dir  # noqa: E402
from tests.fakes.openreview_v1 import FakeOpenReview  # noqa: E402

from paperharvest.stages.preparing import Preparers, spare_core  # noqa: E402
from paperharvest.store.db import BackgroundCheckpoints, open_db  # noqa: E402
from paperharvest.store.save import save_prepared, save_venue, start_run  # noqa: E402
from paperharvest.store.schema import ensure_db_shape  # noqa: E402
from paperharvest.venues import find_venue  # noqa: E402

Venue = dict[str, list[dict[str, Any]]]

# Both processes run as a core install would: the dev install also holds pandas, numpy and pyarrow (the
# notebook and parquet extras), which sqlite-utils imports whenever they are there, for DataFrame support
# neither harvester uses: about 150 MB that a cron install does not have; and tornado (the notebook's),
# which tenacity imports whenever it is there.
# The child's own peak memory is its VmHWM, written at exit: getrusage's ru_maxrss survives exec on Linux,
# so a child spawned by this process (which holds the venue and the fake server) would report our peak.
CORE_INSTALL = (
    "import sys, os, atexit\n"
    "for _extra in ('pandas', 'numpy', 'pyarrow', 'matplotlib', 'tornado'): sys.modules[_extra] = None\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as f: hwm = [l for l in f if l.startswith('VmHWM')][0].split()[1]\n"
    "    with open(os.environ['BENCH_PEAK_FILE'], 'w') as out: out.write(hwm)\n"
    "atexit.register(_peak)\n"
)
# The harvest runs in its own process (so its peak memory is its own), fenced to loopback like the tests.
FENCED_FETCH = CORE_INSTALL + (
    "import sys; from tests.fakes.loopback import loopback_only; from paperharvest.cli import main\n"
    "with loopback_only(): sys.exit(main(['fetch', *sys.argv[1:]]))"
)
# The peer: what a user writes with openreview-py and sqlite-utils, fenced the same way. Its client gets a
# placeholder token (not a JWT, so it makes no login request), as sources/openreview.py does.
PEER_FETCH = (
    CORE_INSTALL
    + """
import sys
import openreview, sqlite_utils
from tests.fakes.loopback import loopback_only
url, path, *invitations = sys.argv[1:]
with loopback_only():
    client = openreview.Client(baseurl=url, token="bench-placeholder-not-a-jwt")
    db = sqlite_utils.Database(path)
    for invitation in invitations:
        notes = client.get_all_notes(invitation=invitation, details="directReplies")
        db["notes"].insert_all((note.to_json() for note in notes), pk="id", alter=True)
"""
)
ANSWER_DELAY = float(os.environ.get("BENCH_ANSWER_DELAY", "0.25"))  # seconds per API answer
PEER_DELAY = 0.2
PEER_ROUNDS = int(os.environ.get("BENCH_PEER_ROUNDS", "3"))
PAGE = 1000
ROUNDS = 5
# Every table a page writes: each round of normalize + store starts from empty ones, a first harvest.
PAGE_TABLES = (
    "changes",
    "review_versions",
    "paper_versions",
    "note_versions",
    "comments",
    "paper_certifications",
    "paper_authors",
    "reviews",
    "decisions",
    "papers",
    "author_aliases",
    "authors",
    "raw_notes",
    "rejected_notes",
)


@dataclass
class Child:
    """What one harvesting process cost: `peak_mb` is its own high-water mark plus its helper's (the process
    that prepares pages on the second core)."""

    seconds: float
    peak_mb: float
    requests: Counter[str]
    helper_mb: float = 0.0


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM")).split()[1])
    except (OSError, StopIteration):
        return 0


def _watch_helpers(proc: subprocess.Popen[bytes], peaks: dict[int, int]) -> None:
    """The high-water mark of each process the harvest starts, sampled until it ends (the helper's own peak:
    it runs no code of the bench's to write it)."""
    while proc.poll() is None:
        for pid in _descendants(proc.pid):
            peaks[pid] = max(peaks.get(pid, 0), _high_water_kb(pid))
        time.sleep(0.02)


def _env(fake: FakeOpenReview) -> dict[str, str]:
    # A developer's own GITHUB_TOKEN would switch GitHub metadata on: the bench leaves it (and S2's key) out.
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "S2_API_KEY")}
    env.update(OPENREVIEW_API_BASEURL=fake.url, OPENREVIEW_API_BASEURL_V2=fake.url)
    env["TQDM_DISABLE"] = "1"  # the peer's progress bars
    return env


def run_child(fake: FakeOpenReview, argv: list[str]) -> Child:
    """Run `python -c argv...` against the fake; wall seconds, the process's own peak memory, its requests."""
    before = len(fake.requests)
    helpers: dict[int, int] = {}
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        env = {**_env(fake), "BENCH_PEAK_FILE": peak.name}
        started = time.perf_counter()
        with subprocess.Popen([sys.executable, "-c", *argv], env=env, cwd=REPO) as proc:
            watcher = threading.Thread(target=_watch_helpers, args=(proc, helpers), daemon=True)
            watcher.start()
            returncode = proc.wait()
        seconds = time.perf_counter() - started
        watcher.join()
        if returncode != 0:
            raise SystemExit(f"bench: {argv[1:]} exited with {returncode}")
        peak_kb = int(peak.read() or 0)
    requests = Counter(f"{r.method} {r.path}" for r in fake.requests[before:])
    helper_kb = sum(helpers.values())
    return Child(seconds, (peak_kb + helper_kb) / 1024, requests, helper_kb / 1024)


def fenced_fetch(fake: FakeOpenReview, db: Path, venue_key: str) -> Child:
    """The notes stage of `paperharvest fetch` (a run, so with history) into `db`."""
    return run_child(fake, [FENCED_FETCH, "--venue", venue_key, "--db", str(db), "--stages", "notes", "-q"])


def harvest_through_fake_server(venue: Venue, workdir: Path) -> None:
    with FakeOpenReview(venue, delay=ANSWER_DELAY) as fake:
        child = fenced_fetch(fake, workdir / "bench.db", "iclr2020")
    print(f"harvest through the fake server ({ANSWER_DELAY:.2f} s per answer):")
    for key, n in sorted(child.requests.items()):
        print(f"  requests {key:<20} {n}")
    print(f"  wall seconds               {child.seconds:.2f}")
    print(f"  peak memory (harvest proc) {child.peak_mb:.0f} MB (its helper {child.helper_mb:.0f} MB of it)")


def side_by_side(venue: Venue, workdir: Path) -> None:
    """Our notes stage and the peer on the same fake, alternating which goes first, PEER_ROUNDS rounds."""
    ours: list[float] = []
    peer: list[float] = []
    with FakeOpenReview(venue, delay=PEER_DELAY) as fake:
        for round_ in range(PEER_ROUNDS):
            runs = [
                (ours, lambda r=round_: fenced_fetch(fake, workdir / f"ours{r}.db", "iclr2020")),
                (peer, lambda r=round_: run_child(fake, [PEER_FETCH, fake.url, str(workdir / f"peer{r}.db"), *venue])),
            ]
            for times, job in runs if round_ % 2 == 0 else runs[::-1]:
                times.append(job().seconds)
        requests = fake.requests
    ours_s, peer_s = statistics.median(ours), statistics.median(peer)
    print(f"notes stage vs openreview-py get_all_notes + sqlite-utils ({PEER_DELAY:.1f} s per answer, ", end="")
    print(f"median of {PEER_ROUNDS} rounds, {len(requests)} requests in all):")
    print(f"  ours (with history)        {ours_s:.2f} s  {[round(s, 2) for s in ours]}")
    print(f"  peer                       {peer_s:.2f} s  {[round(s, 2) for s in peer]}")
    verdict = "met" if ours_s <= peer_s else "NOT met"
    print(f"  ours / peer                {ours_s / peer_s:.2f}  (goal <= 1.00: {verdict})")


def normalize_and_store(venue: Venue, workdir: Path) -> None:
    config = find_venue(REPO / "configs" / "venues", "iclr2020")
    db = open_db(workdir / "throughput.db")
    ensure_db_shape(db)
    save_venue(db, config)
    submissions = sum(len(notes) for notes in venue.values())
    replies = sum(len(n.get("details", {}).get("directReplies", [])) for notes in venue.values() for n in notes)
    fetched_at = datetime(2026, 1, 1, tzinfo=UTC)
    stamp = fetched_at.isoformat()
    pages = [(inv, notes[at : at + PAGE]) for inv, notes in venue.items() for at in range(0, len(notes), PAGE)]
    helper_wanted = spare_core()
    timings = []
    for _ in range(ROUNDS):
        with db.atomic():
            for table in PAGE_TABLES:
                db.execute(f"DELETE FROM {table}")
        # In a run, as the notes stage stores: versions dated by it and its changes written.
        run_id = start_run(db, command="bench", venue=config.key, options={}, versions={}, started_at=fetched_at)
        with Preparers(config) as preparers:
            preparers.begin(None)
            # A run's helper starts with the stage and is ready by its first page (the group is asked first);
            # one that never starts (a warning says so) leaves the pages to this thread.
            ready_by = time.monotonic() + 10
            while helper_wanted and not preparers.helper_ready() and time.monotonic() < ready_by:
                time.sleep(0.01)
            started = time.perf_counter()
            with BackgroundCheckpoints(db) as checkpoints:
                # As the stage does: the next page is sent while this one is written, never more in flight.
                sent = preparers.send(pages[0][0], pages[0][1], stamp)
                for number, (invitation, _) in enumerate(pages):
                    writing = sent
                    if number + 1 < len(pages):
                        sent = preparers.send(pages[number + 1][0], pages[number + 1][1], stamp)
                    save_prepared(db, config, invitation, preparers.parts(writing), fetched_at, run_id=run_id)
                    checkpoints.request()
            timings.append(time.perf_counter() - started)
    versions = db.execute("SELECT count(*) FROM note_versions").fetchone()[0]
    seconds = statistics.median(timings)
    rate = (submissions + replies) / seconds
    print(f"normalize + store with history, no network (median of {ROUNDS} rounds, best {min(timings):.3f} s):")
    print(f"  submissions                {submissions} ({replies} replies inside them, {versions} versions)")
    print(f"  seconds                    {seconds:.3f}")
    print(f"  submissions/s              {submissions / seconds:,.0f}")
    print(f"  notes/s (with replies)     {rate:,.0f}  (goal >= 15,000: {'met' if rate >= 15_000 else 'NOT met'})")


def main() -> int:
    data = shared_data_dir()
    if data is None:
        print("bench: ../shared/data not found; the benchmark needs the real ICLR 2020 datasets", file=sys.stderr)
        return 1
    venue = build_iclr2020_venue(data)
    # The fake venue is the server's data, not the harvester's: keep the garbage collector from re-walking it.
    gc.freeze()
    with tempfile.TemporaryDirectory() as tmp:
        harvest_through_fake_server(venue, Path(tmp))
        side_by_side(venue, Path(tmp))
        normalize_and_store(venue, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
