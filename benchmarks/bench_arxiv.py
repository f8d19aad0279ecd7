"""Benchmark: link the whole fake ICLR 2020 venue (2,594 submissions built from ../shared/data) to a seeded fake
arXiv through `paperharvest fetch --stages arxiv`, in process.

The arXiv side is the seed of tests/test_stage_arxiv_code.py: a deterministic ~41% of the papers on arXiv
(titles with case, punctuation, wrapping and LaTeX differences), plus same-titled decoys by other people and
from 2014. Prints arXiv requests (against 2,594 for one request per title), wall seconds, what the wall time
would be at arXiv's one request every 3 s, and match counts. A benchmark, not a test: it reports, it does not
assert.

    .venv/bin/python benchmarks/bench_arxiv.py

BENCH_ARXIV_ANSWER_DELAY (seconds per fake answer, default 0) and BENCH_ARXIV_PACING (the client's
PAPERHARVEST_ARXIV_DELAY, default 0; 3 is arXiv's rule and makes the run take minutes) tune the run.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fakes.arxiv_server import FakeArxiv  # noqa: E402
from tests.fakes.iclr2020_venue import build_iclr2020_venue, shared_data_dir  # noqa: E402
from tests.fakes.loopback import loopback_only  # noqa: E402
from tests.fakes.openreview_v1 import FakeOpenReview  # noqa: E402
from tests.test_stage_arxiv_code import seed_full_venue  # noqa: E402

from paperharvest.cli import main  # noqa: E402

ANSWER_DELAY = float(os.environ.get("BENCH_ARXIV_ANSWER_DELAY", "0"))
PACING = os.environ.get("BENCH_ARXIV_PACING", "0")
ARXIV_RULE = 3.0  # seconds between requests that arXiv's terms ask for


def fetch(db: Path, stages: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", stages, "--quiet"])


def run() -> int:
    data = shared_data_dir()
    if data is None:
        print("../shared/data not found: nothing to benchmark")
        return 1
    venue = build_iclr2020_venue(data)
    notes = [note for listing in venue.values() for note in listing]
    seeds = seed_full_venue(notes)
    saved = {k: v for k, v in os.environ.items() if k.startswith(("OPENREVIEW_", "PAPERHARVEST_"))}
    with tempfile.TemporaryDirectory() as tmp, loopback_only():
        db = Path(tmp) / "bench.db"
        try:
            for name in saved:
                if name != "PAPERHARVEST_SHARED_DATA":
                    del os.environ[name]
            with FakeOpenReview(venue) as openreview:
                os.environ["OPENREVIEW_API_BASEURL"] = openreview.url
                os.environ["OPENREVIEW_API_BASEURL_V2"] = openreview.url
                if fetch(db, "notes") != 0:
                    print("the notes stage failed")
                    return 1
            with FakeArxiv(seeds.entries, delay=ANSWER_DELAY) as arxiv:
                os.environ["PAPERHARVEST_ARXIV_API_URL"] = arxiv.query_url
                os.environ["PAPERHARVEST_ARXIV_DELAY"] = PACING
                started = time.perf_counter()
                code = fetch(db, "arxiv")
                wall = time.perf_counter() - started
                requests = [r for r in arxiv.requests if r.path == "/api/query"]
        finally:
            for name in ("OPENREVIEW_API_BASEURL", "OPENREVIEW_API_BASEURL_V2"):
                os.environ.pop(name, None)
            for name in ("PAPERHARVEST_ARXIV_API_URL", "PAPERHARVEST_ARXIV_DELAY"):
                os.environ.pop(name, None)
            os.environ.update(saved)
        conn = sqlite3.connect(db)
        try:
            decided = dict(conn.execute("SELECT forum_id, arxiv_id FROM arxiv_links WHERE status = 'matched'"))
            statuses = Counter(s for (s,) in conn.execute("SELECT status FROM arxiv_links"))
            methods = Counter(m for (m,) in conn.execute("SELECT method FROM arxiv_links WHERE status = 'matched'"))
            lured = conn.execute(
                "SELECT count(*) FROM arxiv_links WHERE status = 'unmatched' AND best_candidate IS NOT NULL"
            ).fetchone()[0]
        finally:
            conn.close()
    right = sum(1 for forum, entry in seeds.truth.items() if decided.get(forum) == entry.arxiv_id)
    wrong = sum(
        1 for forum, arxiv_id in decided.items() if seeds.truth.get(forum) is None or arxiv_id in seeds.decoy_ids
    )
    kinds = Counter("id_list" if r.query.get("id_list") else "search_query" for r in requests)
    print(f"arXiv linking of the fake ICLR 2020 venue (exit code {code}):")
    print(f"  papers                         {len(notes)}")
    print(f"  seeded on arXiv / decoys       {len(seeds.truth)} / {len(seeds.decoy_ids)}")
    print(f"  arXiv requests                 {len(requests)}  (one per title: {len(notes)})")
    for kind, n in sorted(kinds.items()):
        print(f"    {kind:<28} {n}")
    print(f"  wall seconds (pacing {PACING} s)     {wall:.2f}")
    print(f"  at {ARXIV_RULE:.0f} s a request, at least   {len(requests) * ARXIV_RULE:.0f} s")
    print(f"  matched / unmatched            {statuses['matched']} / {statuses['unmatched']}")
    print(f"  matched by method              {dict(methods)}")
    print(f"  seeded papers matched right    {right} of {len(seeds.truth)}")
    print(f"  wrong matches (decoy or other) {wrong}")
    print(f"  unmatched with a best candidate {lured}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
