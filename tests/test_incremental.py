"""Incremental means every upstream change lands: a re-run after the venue changed leaves exactly the database
a first harvest of the changed venue leaves (an edited review, a new review, a decision posted, a withdrawal, a
revised abstract, and ICLR 2018's venue-wide decision posted between two runs)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from paperharvest.cli import main
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import DATA_TABLES, rows, timeless_dump
from tests.test_e2e_iclr2018 import venue_2018_before_one_decision

BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
WITHDRAWN = "ICLR.cc/2020/Conference/-/Withdrawn_Submission"
NOTE_TABLES = tuple(t for t in DATA_TABLES if t not in ("venues", "author_history", "author_links", "author_socials"))
Venue = dict[str, list[dict[str, Any]]]


def harvest(venue: Venue, db: Path, fake_env: Any, key: str = "iclr2020", *more: str) -> None:
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", key, "--db", str(db), "--stages", "notes", "--quiet", *more]) == 0


def replies_of(note: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in note["details"]["directReplies"] if r["invitation"].endswith(kind)]


def changed_venue(venue: Venue) -> tuple[Venue, dict[str, str]]:
    """The sample a week later, and the forum id of each kind of change."""
    later = copy.deepcopy(venue)
    blind = later[BLIND]
    edited, added, withdrawn, revised = blind[0], blind[1], blind[2], blind[3]
    review = replies_of(edited, "Official_Review")[0]
    review["content"]["rating"] = "1: Reject" if not review["content"]["rating"].startswith("1") else "8: Accept"
    review["tmdate"] += 1000
    extra = copy.deepcopy(replies_of(added, "Official_Review")[0])
    extra["id"] = "NewReview" + added["id"]
    extra["content"]["rating"] = "3: Weak Reject"
    added["details"]["directReplies"].append(extra)
    blind.remove(withdrawn)
    withdrawn["invitation"] = WITHDRAWN
    withdrawn["details"]["directReplies"] = [
        r for r in withdrawn["details"]["directReplies"] if not r["invitation"].endswith("Decision")
    ]
    later[WITHDRAWN].append(withdrawn)
    revised["content"]["abstract"] = "A revised abstract for the camera-ready."
    revised["tmdate"] += 1000
    return later, {"edited": edited["id"], "added": added["id"], "withdrawn": withdrawn["id"], "revised": revised["id"]}


def test_a_rerun_applies_every_change_and_equals_a_clean_harvest(tmp_path: Path, fake_env: Any) -> None:
    first = load_sample_venue()
    # One paper has no decision yet at the first harvest.
    undecided = first[BLIND][4]
    decision = replies_of(undecided, "Decision")[0]
    early = copy.deepcopy(first)
    early_note = next(n for n in early[BLIND] if n["id"] == undecided["id"])
    early_note["details"]["directReplies"] = replies_of(early_note, "Official_Review")
    db = tmp_path / "incremental.db"
    harvest(early, db, fake_env)
    assert rows(db, "SELECT decision FROM papers WHERE forum_id = ?", undecided["id"]) == [(None,)]

    later, changed = changed_venue(first)
    harvest(later, db, fake_env)
    clean = tmp_path / "clean.db"
    harvest(later, clean, fake_env)
    assert timeless_dump(db, NOTE_TABLES) == timeless_dump(clean, NOTE_TABLES)

    assert rows(db, "SELECT decision FROM papers WHERE forum_id = ?", undecided["id"]) == [
        (decision["content"]["decision"],)
    ]
    assert rows(db, "SELECT status FROM papers WHERE forum_id = ?", changed["withdrawn"]) == [("withdrawn",)]
    assert rows(db, "SELECT count(*) FROM decisions WHERE forum_id = ?", changed["withdrawn"]) == [(0,)]
    assert rows(db, "SELECT abstract FROM papers WHERE forum_id = ?", changed["revised"]) == [
        ("A revised abstract for the camera-ready.",)
    ]
    assert (3,) in rows(db, "SELECT rating FROM reviews WHERE forum_id = ?", changed["added"])


def test_iclr2018_decision_posted_between_two_runs_is_applied(tmp_path: Path, fake_env: Any) -> None:
    early, venue, expected, late = venue_2018_before_one_decision()
    db = tmp_path / "2018.db"
    harvest(early, db, fake_env, "iclr2018")
    assert rows(db, "SELECT decision FROM papers WHERE forum_id = ?", late) == [(None,)]
    harvest(venue, db, fake_env, "iclr2018")
    assert rows(db, "SELECT decision FROM papers WHERE forum_id = ?", late) == [(expected[late],)]
    clean = tmp_path / "clean.db"
    harvest(venue, clean, fake_env, "iclr2018")
    assert timeless_dump(db, NOTE_TABLES) == timeless_dump(clean, NOTE_TABLES)
