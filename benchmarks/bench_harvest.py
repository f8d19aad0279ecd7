"""Benchmark: harvest the whole fake ICLR 2020 venue (2,594 submissions built from ../shared/data) through
the fake OpenReview server with a realistic delay per answer.

Prints requests per endpoint, wall seconds, normalize + store throughput without network time, and the
harvesting process's peak memory. Goals (issue 2): <= 10 OpenReview requests for the notes, >= 20,000
notes/s through normalize + store, peak memory < 300 MB. A benchmark, not a test: it reports, it does not
assert. Run with `make bench`.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.iclr2020_venue import build_iclr2020_venue, shared_data_dir  # noqa: E402
from tests.fakes.openreview_v1 import FakeOpenReview  # noqa: E402

from paperharvest.normalize.notes import normalize_note  # noqa: E402
from paperharvest.store.db import open_db  # noqa: E402
from paperharvest.store.save import save_page  # noqa: E402
from paperharvest.store.schema import ensure_db_shape  # noqa: E402
from paperharvest.venues import find_venue  # noqa: E402

# The harvest runs in its own process (so its peak memory is its own), fenced to loopback like the tests.
FENCED_FETCH = (
    "import sys; from tests.fakes.loopback import loopback_only; from paperharvest.cli import main\n"
    "with loopback_only(): sys.exit(main(['fetch', *sys.argv[1:]]))"
)
ANSWER_DELAY = float(os.environ.get("BENCH_ANSWER_DELAY", "0.25"))  # seconds per API answer
PAGE = 1000
ROUNDS = 5


def harvest_through_fake_server(venue: dict[str, list[dict]], workdir: Path) -> None:
    db = workdir / "bench.db"
    with FakeOpenReview(venue, delay=ANSWER_DELAY) as fake:
        # A developer's own GITHUB_TOKEN would switch GitHub metadata on: the bench leaves it (and S2's key) out.
        env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "S2_API_KEY")}
        env.update(OPENREVIEW_API_BASEURL=fake.url, OPENREVIEW_API_BASEURL_V2=fake.url)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", FENCED_FETCH, "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "-q"],
            check=True,
            env=env,
            cwd=REPO,
        )
        wall = time.perf_counter() - started
        endpoints: dict[str, int] = {}
        for request in fake.requests:
            key = f"{request.method} {request.path}"
            endpoints[key] = endpoints.get(key, 0) + 1
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"harvest through the fake server ({ANSWER_DELAY:.2f} s per answer):")
    for key, n in sorted(endpoints.items()):
        print(f"  requests {key:<20} {n}")
    print(f"  wall seconds               {wall:.2f}")
    print(f"  peak memory (harvest proc) {peak_mb:.0f} MB")


def normalize_and_store(venue: dict[str, list[dict]], workdir: Path) -> None:
    config = find_venue(REPO / "configs" / "venues", "iclr2020")
    db = open_db(workdir / "throughput.db")
    ensure_db_shape(db)
    from datetime import UTC, datetime

    from paperharvest.store.save import save_venue

    save_venue(db, config)
    submissions = sum(len(notes) for notes in venue.values())
    replies = sum(len(n.get("details", {}).get("directReplies", [])) for notes in venue.values() for n in notes)
    fetched_at = datetime(2026, 1, 1, tzinfo=UTC)
    timings = []
    for _ in range(ROUNDS):
        # Each round stores into empty tables: a first harvest, not the cheap unchanged-skip of a re-run.
        with db.atomic():
            for table in ("paper_authors", "reviews", "decisions", "papers", "author_aliases", "authors", "raw_notes"):
                db.execute(f"DELETE FROM {table}")
        started = time.perf_counter()
        for invitation, notes in venue.items():
            for start in range(0, len(notes), PAGE):
                page = notes[start : start + PAGE]
                save_page(db, config, invitation, page, [normalize_note(n, config) for n in page], fetched_at)
        timings.append(time.perf_counter() - started)
    seconds = statistics.median(timings)
    print(f"normalize + store, no network (median of {ROUNDS} rounds, best {min(timings):.3f} s):")
    print(f"  submissions                {submissions} ({replies} replies inside them)")
    print(f"  seconds                    {seconds:.3f}")
    print(f"  submissions/s              {submissions / seconds:,.0f}")
    print(f"  notes/s (with replies)     {(submissions + replies) / seconds:,.0f}")


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
        normalize_and_store(venue, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
