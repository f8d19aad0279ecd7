"""API v2 end to end: the hand-written ICLR 2024 sample venue harvests through the fake server next to the
ICLR 2020 sample in one database, and a venue sent to the wrong API is an error, not an empty venue."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from tests.conftest import REPO
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import rows, scalar, timeless_dump

SAMPLE_2024 = REPO / "tests" / "fixtures" / "iclr2024_sample"
PAPER_TABLES = ("papers", "reviews", "decisions", "paper_authors", "authors", "author_aliases", "raw_notes")


def load_2024() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = json.loads((SAMPLE_2024 / "notes.json").read_text(encoding="utf-8"))
    return data["group"], data["notes"]


def fetch(db: Path, venue: str) -> int:
    return main(["fetch", "--venue", venue, "--db", str(db), "--stages", "notes", "--quiet"])


def test_v2_venue_harvests_next_to_iclr2020(tmp_path: Path, fake_env: Any) -> None:
    group, notes = load_2024()
    expected = json.loads((SAMPLE_2024 / "EXPECTED.json").read_text())
    db = tmp_path / "both.db"
    with FakeOpenReview({**load_sample_venue(), "v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "iclr2020") == 0
        assert fetch(db, "ICLR.cc/2024/Conference") == 0  # a raw venue id works as well as the key
        v2_listing = [r for r in fake.requests if r.path == "/notes" and "2024" in r.query.get("invitation", "")]
    assert [r.query["invitation"] for r in v2_listing] == ["ICLR.cc/2024/Conference/-/Submission"]

    by_venue = dict(rows(db, "SELECT venue, count(*) FROM papers GROUP BY venue"))
    assert by_venue == {"iclr2020": 36, "iclr2024": expected["papers"]}
    v2 = "venue = 'iclr2024'"
    assert dict(rows(db, f"SELECT status, count(*) FROM papers WHERE {v2} GROUP BY 1")) == expected["status_counts"]
    presentations = dict(
        rows(db, f"SELECT presentation, count(*) FROM papers WHERE {v2} AND presentation IS NOT NULL GROUP BY 1")
    )
    assert presentations == expected["presentation_counts"]
    decisions = dict(
        rows(
            db,
            "SELECT d.decision, count(*) FROM decisions d JOIN papers p USING (forum_id)"
            " WHERE p.venue = 'iclr2024' GROUP BY 1",
        )
    )
    assert decisions == expected["decision_counts"]
    histogram = dict(
        rows(
            db,
            "SELECT r.rating, count(*) FROM reviews r JOIN papers p USING (forum_id)"
            " WHERE p.venue = 'iclr2024' GROUP BY 1",
        )
    )
    assert {str(k): v for k, v in histogram.items()} == expected["rating_histogram"]
    assert scalar(db, f"SELECT count(*) FROM papers WHERE {v2} AND tldr IS NOT NULL") == expected["tldr_count"]
    # The extra v2 review scores are kept, unwrapped, with the review.
    soundness = scalar(
        db,
        "SELECT count(*) FROM reviews r JOIN papers p USING (forum_id) WHERE p.venue = 'iclr2024'"
        " AND json_extract(r.assessments, '$.soundness') IS NOT NULL",
    )
    assert soundness == expected["reviews"]
    assert {r[0] for r in rows(db, "SELECT key FROM venues")} == {"iclr2020", "iclr2024"}
    assert scalar(db, "SELECT api_version FROM venues WHERE key = 'iclr2024'") == 2


def test_v2_config_against_a_v1_group_is_refused(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, notes = load_2024()
    with FakeOpenReview({"v2": notes}) as fake:  # no v2 group: the venue answers as a v1 group (no `domain`)
        fake_env(fake.url)
        assert fetch(tmp_path / "x.db", "iclr2024") == 2
    err = capsys.readouterr().err
    assert "api" in err.lower() and "iclr2024" in err.lower()
    assert scalar(tmp_path / "x.db", "SELECT count(*) FROM papers") == 0


def test_a_v2_venue_whose_listing_comes_back_empty_is_an_error(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group, _ = load_2024()
    with FakeOpenReview({}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(tmp_path / "x.db", "iclr2024") == 5
    assert "listed no notes for ICLR.cc/2024/Conference/-/Submission" in capsys.readouterr().err


def test_a_v2_listing_over_many_pages_stores_what_one_page_does(tmp_path: Path, fake_env: Any) -> None:
    group, notes = load_2024()
    one, many = tmp_path / "one.db", tmp_path / "many.db"
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(one, "iclr2024") == 0
        args = ["fetch", "--venue", "iclr2024", "--db", str(many), "--stages", "notes", "--page-size", "3", "-q"]
        assert main(args) == 0
        pages = [r for r in fake.requests if r.path == "/notes" and r.query.get("limit") == "3"]
    papers = scalar(one, "SELECT count(*) FROM papers")
    assert papers > 6  # the sample really spans several pages of 3
    # Paging stops on the first page shorter than the page size: ceil(n / 3) pages, one more when 3 divides n.
    assert len(pages) == papers // 3 + 1
    assert timeless_dump(many, PAPER_TABLES) == timeless_dump(one, PAPER_TABLES)


def test_rebuild_of_one_venue_leaves_the_other_alone(tmp_path: Path, fake_env: Any) -> None:
    group, notes = load_2024()
    db = tmp_path / "both.db"
    with FakeOpenReview({**load_sample_venue(), "v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "iclr2020") == 0
        assert fetch(db, "iclr2024") == 0
    titles = dict(rows(db, "SELECT forum_id, title FROM papers"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE papers SET title = 'damaged'")
    assert main(["rebuild", "--venue", "iclr2024", "--db", str(db), "--quiet"]) == 0
    after = dict(rows(db, "SELECT venue, count(*) FROM papers WHERE title = 'damaged' GROUP BY venue"))
    assert after == {"iclr2020": 36}
    assert all(titles[f] == t for f, t in rows(db, "SELECT forum_id, title FROM papers WHERE venue = 'iclr2024'"))
