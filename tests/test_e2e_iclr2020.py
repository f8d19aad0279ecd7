"""End to end: the whole real ICLR 2020 venue (2,594 submissions built from ../shared/data) through the fake
OpenReview v1 server, the CLI and SQLite. Figures are compared with the datasets, never hard-coded."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from tests.fakes.iclr2020_venue import expected_iclr2020
from tests.fakes.openreview_v1 import FakeOpenReview, truncated_json
from tests.helpers import DATA_TABLES, rows, scalar, table_dump

BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
# `venues` records when each venue was last harvested, which every successful run moves on purpose.
PAPER_TABLES = tuple(t for t in DATA_TABLES if t != "venues")


@pytest.fixture(scope="module")
def harvested(full_venue: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One full harvest shared by the read-only tests of this module."""
    db = tmp_path_factory.mktemp("e2e") / "iclr2020.db"
    with FakeOpenReview(full_venue) as fake, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENREVIEW_API_BASEURL", fake.url)
        mp.setenv("OPENREVIEW_API_BASEURL_V2", fake.url)
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
        notes_requests = fake.count("GET", "/notes")
    return db, notes_requests


def test_every_submission_is_stored_with_dataset_tallies(harvested: Any, shared_data: Path) -> None:
    db, _ = harvested
    expected = expected_iclr2020(shared_data)
    assert scalar(db, "SELECT count(*) FROM papers") == sum(expected.status_counts.values()) == 2594
    assert dict(rows(db, "SELECT status, count(*) FROM papers GROUP BY status")) == expected.status_counts
    assert dict(rows(db, "SELECT decision, count(*) FROM decisions GROUP BY decision")) == expected.decision_counts
    presentations = dict(
        rows(db, "SELECT presentation, count(*) FROM papers WHERE presentation IS NOT NULL GROUP BY 1")
    )
    assert presentations == expected.presentation_counts


def test_per_paper_ratings_equal_the_dataset(harvested: Any, shared_data: Path) -> None:
    db, _ = harvested
    expected = expected_iclr2020(shared_data)
    stored: dict[str, list[int]] = {}
    for forum_id, rating in rows(db, "SELECT forum_id, rating FROM reviews"):
        stored.setdefault(forum_id, []).append(rating)
    stored = {k: sorted(v) for k, v in stored.items()}
    wanted = {k: v for k, v in expected.ratings_by_forum.items() if v}
    assert stored == wanted


def test_tldr_and_code_counts_equal_the_real_notes(harvested: Any, shared_data: Path) -> None:
    db, _ = harvested
    expected = expected_iclr2020(shared_data)
    accepted = "status = 'accepted'"
    assert scalar(db, f"SELECT count(*) FROM papers WHERE {accepted} AND tldr IS NOT NULL") == expected.tldr_count
    assert scalar(db, f"SELECT count(*) FROM papers WHERE {accepted} AND code_url IS NOT NULL") == expected.code_count


def test_the_whole_venue_takes_a_handful_of_requests(harvested: Any) -> None:
    _, notes_requests = harvested
    # 2,213 + 369 + 12 notes at 1,000 a page: 3 + 1 + 1 pages, no trailing empty page.
    assert notes_requests == 5


def test_summary_view_matches_reviews(harvested: Any) -> None:
    db, _ = harvested
    mismatches = rows(
        db,
        """
        SELECT s.forum_id FROM paper_summary s
        WHERE s.rating_count != (SELECT count(*) FROM reviews r WHERE r.forum_id = s.forum_id)
           OR abs(coalesce(s.mean_rating, 0) - coalesce(
                (SELECT round(avg(rating), 2) FROM reviews r WHERE r.forum_id = s.forum_id), 0)) > 1e-9
           OR s.first_author IS NOT (SELECT name FROM paper_authors a WHERE a.forum_id = s.forum_id AND position = 1)
    """,
    )
    assert mismatches == []
    fts_hits = scalar(db, "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'transformer'")
    like_hits = scalar(db, "SELECT count(*) FROM papers WHERE title LIKE '%transformer%' COLLATE NOCASE")
    assert fts_hits >= like_hits > 0


def test_second_run_adds_and_changes_nothing_then_picks_up_a_moved_tmdate(
    full_venue: dict[str, list[dict[str, Any]]], tmp_path: Path, fake_env: Any
) -> None:
    venue = copy.deepcopy(full_venue)
    db = tmp_path / "x.db"
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
    before = table_dump(db, PAPER_TABLES)
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
    assert table_dump(db, PAPER_TABLES) == before
    assert scalar(db, "SELECT last_run_id FROM venues") == 2
    counts = json.loads(scalar(db, "SELECT counts FROM runs ORDER BY run_id DESC LIMIT 1"))["notes"]
    assert (counts["papers_added"], counts["papers_updated"], counts["papers_unchanged"]) == (0, 0, 2594)

    # Upstream edits one paper: its tmdate moves, a review is added.
    edited = venue[BLIND][100]
    edited["tmdate"] += 60_000
    edited["content"]["title"] = "An Edited Title"
    extra = copy.deepcopy(next(r for r in edited["details"]["directReplies"] if "Official_Review" in r["invitation"]))
    extra["id"] = "ExtraRev01"
    extra["content"]["rating"] = "1: Reject"
    edited["details"]["directReplies"].append(extra)
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
    after = table_dump(db, PAPER_TABLES)
    assert len(after["papers"]) == len(before["papers"])
    assert scalar(db, "SELECT title FROM papers WHERE forum_id = ?", edited["id"]) == "An Edited Title"
    assert scalar(db, "SELECT rating FROM reviews WHERE review_id = 'ExtraRev01'") == 1
    assert len(after["reviews"]) == len(before["reviews"]) + 1
    counts = json.loads(scalar(db, "SELECT counts FROM runs ORDER BY run_id DESC LIMIT 1"))["notes"]
    assert (counts["papers_added"], counts["papers_updated"]) == (0, 1)
    changed = [r for r in after["papers"] if r not in before["papers"]]
    assert [r[0] for r in changed] == [edited["id"]]


def test_malformed_page_is_a_clear_error_and_stores_no_part_of_it(
    full_venue: dict[str, list[dict[str, Any]]], tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "x.db"
    with FakeOpenReview(full_venue) as fake:
        fake_env(fake.url)
        # The second page of Blind_Submission arrives cut in half.
        fake.inject(truncated_json(match={"invitation": BLIND, "after": True}))
        code = main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"])
    assert code == 5
    err = capsys.readouterr().err
    assert "malformed JSON" in err and "page 2" in err
    # Page 1 (1,000 whole notes) is kept for the next run to resume from; nothing of page 2 or later is.
    assert scalar(db, "SELECT count(*) FROM papers") == 1000
    assert scalar(db, "SELECT count(*) FROM raw_notes") == 1000
    stored_ids = {r[0] for r in rows(db, "SELECT forum_id FROM papers")}
    first_page = sorted(n["id"] for n in full_venue[BLIND])[:1000]
    assert stored_ids == set(first_page)
    assert rows(db, "SELECT outcome FROM runs") == [("failed",)]
    assert "malformed JSON" in scalar(db, "SELECT error FROM runs")
    orphans = scalar(db, "SELECT count(*) FROM reviews WHERE forum_id NOT IN (SELECT forum_id FROM papers)")
    assert orphans == 0


def test_malformed_page_leaves_a_harvested_database_as_it_was(
    full_venue: dict[str, list[dict[str, Any]]], tmp_path: Path, fake_env: Any
) -> None:
    venue = copy.deepcopy(full_venue)
    db = tmp_path / "x.db"
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
    before = table_dump(db)
    for note in venue[BLIND][:50]:
        note["tmdate"] += 1
        note["content"]["title"] += " (v2)"
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        fake.inject(truncated_json(match={"invitation": BLIND}))
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 5
    assert table_dump(db) == before
    assert Counter(r[0] for r in rows(db, "SELECT outcome FROM runs")) == {"ok": 1, "failed": 1}
