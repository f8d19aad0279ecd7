"""The store's side of note versions at scale: the whole note's stored text put together from its parts'
texts, and the version queries finding a page's parents through an index, not by scanning the venue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from paperharvest.normalize.notes import normalize_note
from paperharvest.store.db import open_db
from paperharvest.store.prepare import raw_json, split_note, split_note_text
from paperharvest.store.save import save_page, save_venue, start_run
from paperharvest.store.schema import ensure_db_shape
from paperharvest.store.versions import notes_at, run_events, stored_raw_notes, unversioned_notes
from paperharvest.venues import VenueConfig, find_venue
from tests.fakes.synthetic_venue import build_synthetic_venue, with_edited_reviews

REPO = Path(__file__).resolve().parents[1]
REVIEW = "ICLR.cc/2020/Conference/Paper1/-/Official_Review"


@pytest.fixture(scope="module")
def venue() -> VenueConfig:
    return find_venue(REPO / "configs" / "venues", "iclr2020")


def _reply(reply_id: str, **more: Any) -> dict[str, Any]:
    return {"id": reply_id, "invitation": REVIEW, "tmdate": 5, "content": {"rating": "6: Weak Accept"}, **more}


NOTES = {
    "details in the middle": {"id": "a", "number": 1, "details": {"directReplies": [_reply("r1")]}, "z": [1.5]},
    "details first, no replies": {"details": {"directReplies": []}, "id": "b"},
    "details last, other keys": {"id": "c", "details": {"replyCount": 2, "replies": [_reply("r2"), _reply("r3")]}},
    "a reply under both keys": {"id": "d", "details": {"directReplies": [_reply("r4")], "replies": [_reply("r4")]}},
    "details not a mapping": {"id": "e", "details": None},
    "replies without ids": {"id": "f", "details": {"directReplies": [{"content": {}}]}},
    "no details": {"id": "g", "content": {"title": "é ✓ \U0001f600"}},
    "a lone surrogate in a reply": {"id": "h", "details": {"directReplies": [_reply("r5", text="\ud800")]}, "x": "é"},
}


@pytest.mark.parametrize("name", list(NOTES))
def test_the_whole_notes_text_is_raw_json_of_the_note_and_each_part_its_own(name: str, venue: VenueConfig) -> None:
    note = NOTES[name]
    versions, text, _, exact = split_note_text(note, venue, "listing", submission=True)
    assert text == raw_json(note)
    assert json.loads(text) == note
    assert exact
    for version in versions:
        assert version.text == raw_json(json.loads(version.text))
    assert versions == split_note(note, venue, "listing", submission=True)


def test_a_reply_id_given_twice_with_two_contents_keeps_the_whole_text(tmp_path: Path, venue: VenueConfig) -> None:
    """One version per reply id cannot give back a note that holds two different copies of one reply: such a
    note keeps its text in its row, and the store gives back exactly what was fetched."""
    paper = {"invitation": "ICLR.cc/2020/Conference/-/Blind_Submission", "forum": "t", "content": {"title": "T"}}
    twice = {"id": "t", **paper, "details": {"directReplies": [_reply("r6"), _reply("r6", tmdate=6)]}}
    same = {"id": "u", **paper, "forum": "u", "details": {"directReplies": [_reply("r7"), _reply("r7")]}}
    assert not split_note_text(twice, venue, "listing", submission=True).exact
    assert split_note_text(same, venue, "listing", submission=True).exact
    db = open_db(tmp_path / "twice.db")
    ensure_db_shape(db)
    save_venue(db, venue)
    notes = [twice, same]
    save_page(db, venue, "listing", notes, [normalize_note(n, venue) for n in notes], datetime(2026, 1, 1, tzinfo=UTC))
    kept = db.execute("SELECT note_id, json FROM raw_notes ORDER BY note_id").fetchall()
    assert kept == [("t", raw_json(twice)), ("u", None)]
    assert {n.note_id: n.note for n in stored_raw_notes(db, venue.key)} == {"t": twice, "u": same}


def test_a_page_finds_its_stored_versions_through_an_index(tmp_path: Path, venue: VenueConfig) -> None:
    """Without statistics SQLite would read `until_run_id IS NULL` off the (venue, until_run_id) index and
    scan every current version of the venue for each page: minutes per page at ICLR 2026's size."""
    db = open_db(tmp_path / "plans.db")
    ensure_db_shape(db)
    save_venue(db, venue)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    first = build_synthetic_venue(40)
    edited, _ = with_edited_reviews(first, every=3)
    statements: list[str] = []
    for notes_by_listing in (first, edited):
        run_id = start_run(db, command="test", venue=venue.key, options={}, versions={}, started_at=at)
        db.conn.set_trace_callback(statements.append)
        for listing, notes in notes_by_listing.items():
            save_page(db, venue, listing, notes, [normalize_note(n, venue) for n in notes], at, run_id=run_id)
        forums = [n["id"] for notes in first.values() for n in notes]
        assert len(list(notes_at(db, venue.key, run_id, forum_ids=forums))) == len(forums)
        assert run_events(db, venue.key, run_id, forums)
        assert unversioned_notes(db, venue.key) == []
        db.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "note_versions" in s]
    assert len(reads) > 5
    for statement in reads:
        plan = " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + statement))
        if "max(version_id)" in statement:
            continue
        assert "idx_note_versions_venue_until_run_id" not in plan, (statement, plan)
        assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), (statement, plan)
