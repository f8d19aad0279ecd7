"""The store: schema shape and version, WAL and foreign keys, idempotent pages, and the run lock."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from paperharvest.errors import DatabaseError, DatabaseLocked, RejectedNote
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import group_by_forum, normalize_note
from paperharvest.store.db import BackgroundCheckpoints, open_db, run_lock
from paperharvest.store.prepare import PreparedPage, prepare_page, raw_json
from paperharvest.store.save import (
    PageResult,
    finish_run,
    mark_interrupted_runs,
    save_page,
    save_prepared,
    save_venue,
    start_run,
)
from paperharvest.store.schema import SCHEMA_VERSION, ensure_db_shape, schema_version
from paperharvest.store.writes import write_rows
from paperharvest.venues import find_venue
from tests.conftest import REPO
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import wait_until

VENUE = find_venue(REPO / "configs" / "venues", "iclr2020")
BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fresh(tmp_path: Path) -> sqlite_utils.Database:
    db = open_db(tmp_path / "s.db")
    ensure_db_shape(db)
    save_venue(db, VENUE)
    return db


def test_new_database_has_current_schema_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    expected = {"venues", "papers", "authors", "paper_authors", "reviews", "decisions", "raw_notes", "runs"}
    assert expected <= set(db.table_names())
    assert "paper_summary" in db.view_names()
    assert "papers_fts" in db.table_names()


def test_ensure_db_shape_twice_changes_nothing(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    schema = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    ensure_db_shape(db)
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DatabaseError, match="newer"):
        ensure_db_shape(db)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_text("<html>not a database</html>" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        open_db(path)


def test_page_is_idempotent_and_deleting_a_paper_cascades(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    notes = load_sample_venue()[BLIND]
    records = [normalize_note(n, VENUE) for n in notes]
    first = save_page(db, VENUE, BLIND, notes, records, WHEN)
    assert (first.added, first.updated, first.unchanged) == (len(notes), 0, 0)
    second = save_page(db, VENUE, BLIND, notes, records, WHEN)
    assert (second.added, second.updated, second.unchanged) == (0, 0, len(notes))
    forum = notes[0]["id"]
    reviews = db.execute("SELECT count(*) FROM reviews WHERE forum_id = ?", [forum]).fetchone()[0]
    assert reviews > 0
    db.execute("DELETE FROM papers WHERE forum_id = ?", [forum])
    assert db.execute("SELECT count(*) FROM reviews WHERE forum_id = ?", [forum]).fetchone()[0] == 0
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO reviews (review_id, forum_id, reviewer) VALUES ('x', 'no-such-paper', 'r')")


def test_a_page_failing_between_its_parts_leaves_nothing_and_foreign_keys_on(tmp_path: Path) -> None:
    """Pages are written with foreign keys off (they are kept by the writes themselves): whatever ends the
    page, they are on again after, and what the pages wrote holds no dangling key."""
    db = fresh(tmp_path)
    notes = load_sample_venue()[BLIND]
    part = prepare_page(VENUE, BLIND, notes[:5], [normalize_note(n, VENUE) for n in notes[:5]], WHEN.isoformat())

    def parts() -> Iterator[PreparedPage]:
        yield part
        raise KeyboardInterrupt  # Ctrl-C while the next part is prepared

    with pytest.raises(KeyboardInterrupt):
        save_prepared(db, VENUE, BLIND, parts(), WHEN)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 0
    save_prepared(db, VENUE, BLIND, [part], WHEN)
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 5
    # Outside a run a replaced version is deleted, and the rows derived from it with it.
    edited = copy.deepcopy(notes[:5])
    edited[0]["content"]["title"] = "A title revised"
    save_page(db, VENUE, BLIND, edited, [normalize_note(n, VENUE) for n in edited], WHEN)
    assert db.execute("SELECT title FROM paper_versions WHERE forum_id = ?", [edited[0]["id"]]).fetchall() == [
        ("A title revised",)
    ]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO reviews (review_id, forum_id, reviewer) VALUES ('x', 'no-such-paper', 'r')")


def test_a_page_that_fails_midway_leaves_nothing(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    notes = load_sample_venue()[BLIND]
    records = [normalize_note(n, VENUE) for n in notes]
    with pytest.raises(ValueError, match="zip"):
        save_page(db, VENUE, BLIND, notes, records[:-1], WHEN)  # records short by one: fails inside the transaction
    assert db.execute("SELECT count(*) FROM raw_notes").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 0


def test_run_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with run_lock(path), pytest.raises(DatabaseLocked, match=str(os.getpid())), run_lock(path):
        pass
    with run_lock(path):  # released: can be taken again
        pass


def test_a_version_1_database_migrates_with_its_data(tmp_path: Path) -> None:
    from paperharvest.store.schema import MIGRATIONS

    db = open_db(tmp_path / "old.db")
    with db.atomic():
        MIGRATIONS[0](db)
        db.execute("PRAGMA user_version = 1")
    # As a version 1 paperharvest wrote it: save_venue now writes columns added later.
    db.execute(
        "INSERT INTO venues (key, venue_id, name, api_version, year) VALUES (?, ?, ?, ?, ?)",
        [VENUE.key, VENUE.venue_id, VENUE.name, VENUE.api_version, VENUE.year],
    )
    db.execute(
        "INSERT INTO papers (forum_id, venue, title, status, invitation) VALUES ('F1', 'iclr2020', 'T', 'rejected', ?)",
        [BLIND],
    )
    db.execute("INSERT INTO authors (author_id, name, email_domain) VALUES ('a@x.org', 'Ann', 'x.org')")
    db.execute("INSERT INTO paper_authors (forum_id, position, author_id, name) VALUES ('F1', 1, 'a@x.org', 'Ann')")
    ensure_db_shape(db)
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute("SELECT preferred_name, resolution FROM authors").fetchall() == [("Ann", "pending")]
    assert db.execute("SELECT alias, author_id FROM author_aliases").fetchall() == [("a@x.org", "a@x.org")]
    assert db.execute("SELECT listed_id FROM paper_authors").fetchall() == [("a@x.org",)]
    summary = db.execute("SELECT title, first_author, arxiv_id, tldr_source FROM paper_summary").fetchall()
    assert summary == [("T", "Ann", None, None)]


def normalized_or_rejected(notes: list[dict[str, Any]]) -> list[NormalizedNote | RejectedNote]:
    out: list[NormalizedNote | RejectedNote] = []
    for note in notes:
        try:
            out.append(normalize_note(note, VENUE))
        except RejectedNote as exc:
            out.append(exc)
    return out


def test_rejected_notes_are_quarantined_with_the_page_and_cleared_once_they_normalize(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    run_id = start_run(db, command="fetch", venue=VENUE.key, options={}, versions={}, started_at=WHEN)
    notes = copy.deepcopy(load_sample_venue()[BLIND][:6])
    untitled, surrogate = notes[1], notes[2]
    del untitled["content"]["title"]
    surrogate["content"]["abstract"] = "half a pair: \ud800"
    result = save_page(db, VENUE, BLIND, notes, normalized_or_rejected(notes), WHEN, run_id=run_id)
    assert (result.added, result.rejected) == (4, 2)
    rows = db.execute("SELECT note_id, venue, invitation, reason, run_id, rejected_at, json FROM rejected_notes")
    by_id = {row[0]: row[1:] for row in rows.fetchall()}
    assert set(by_id) == {untitled["id"], surrogate["id"]}
    assert by_id[untitled["id"]][:5] == (VENUE.key, BLIND, "no_title", run_id, WHEN.isoformat())
    assert by_id[surrogate["id"]][2] == "lone_surrogate"
    # The raw payload is kept exactly, the lone surrogate included (stored \u-escaped, read back the same).
    assert json.loads(by_id[surrogate["id"]][5]) == surrogate
    message = db.execute("SELECT message FROM rejected_notes WHERE note_id = ?", [untitled["id"]]).fetchone()[0]
    assert message == f"paper {untitled['id']} has no title"
    # No partial paper of a rejected note: no paper row, no reviews, no raw note.
    for table, column in (("papers", "forum_id"), ("reviews", "forum_id"), ("raw_notes", "note_id")):
        marks = f"SELECT count(*) FROM {table} WHERE {column} IN (?, ?)"
        assert db.execute(marks, [untitled["id"], surrogate["id"]]).fetchone()[0] == 0

    fixed = copy.deepcopy(load_sample_venue()[BLIND][:6])
    again = save_page(db, VENUE, BLIND, fixed, normalized_or_rejected(fixed), WHEN)
    assert (again.added, again.unchanged, again.rejected) == (2, 4, 0)
    assert db.execute("SELECT count(*) FROM rejected_notes").fetchone()[0] == 0


def test_raw_json_stores_a_lone_surrogate_exactly_and_ordinary_text_as_sent() -> None:
    payload = {"id": "~P1", "name": "\udfff é"}  # e.g. a profile, which no normalizer rejects for this
    text = raw_json(payload)
    text.encode("utf-8")  # storable
    assert json.loads(text) == payload
    assert raw_json({"a": "é"}) == '{"a":"é"}'  # ordinary text stays as sent, so stored hashes do not move


def test_runs_left_running_are_marked_interrupted(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    dead = start_run(db, command="fetch", venue=VENUE.key, options={}, versions={}, started_at=WHEN)
    done = start_run(db, command="fetch", venue=VENUE.key, options={}, versions={}, started_at=WHEN)
    finish_run(db, done, outcome="ok", ended_at=WHEN, counts={})
    later = datetime(2026, 1, 3, tzinfo=UTC)
    assert mark_interrupted_runs(db, later) == 1
    rows = db.execute("SELECT run_id, outcome, ended_at, error FROM runs ORDER BY run_id").fetchall()
    assert rows[0][:3] == (dead, "interrupted", None)
    assert later.isoformat() in rows[0][3]
    assert rows[1][:3] == (done, "ok", WHEN.isoformat())
    assert mark_interrupted_runs(db, later) == 0


ICLR2018 = find_venue(REPO / "configs" / "venues", "iclr2018")


def decision_for(forum: str, text: str) -> dict[str, Any]:
    return {
        "id": f"D-{forum}",
        "forum": forum,
        "replyto": forum,
        "invitation": ICLR2018.replies.decision,
        "signatures": ["ICLR.cc/2018/Conference/Program_Committee"],
        "cdate": 1517000000000,
        "tmdate": 1517000000000,
        "content": {"title": "ICLR 2018 Conference Acceptance Decision", "decision": text, "comment": "."},
    }


def test_a_venue_wide_decision_posted_later_re_derives_its_paper(tmp_path: Path) -> None:
    """ICLR 2018: decisions are a venue-wide invitation matched by forum; an unchanged submission whose
    decision arrives (or changes) after the first harvest must be re-derived."""
    db = open_db(tmp_path / "s.db")
    ensure_db_shape(db)
    save_venue(db, ICLR2018)
    submission = {
        "id": "S1",
        "forum": "S1",
        "number": 7,
        "invitation": ICLR2018.listings[0].invitation,
        "cdate": 1509000000000,
        "tmdate": 1509000000000,
        "content": {"title": "A paper", "abstract": "A.", "authors": ["Ann"], "authorids": ["ann@x.org"]},
        "details": {"directReplies": []},
    }

    def harvest(decisions: list[dict[str, Any]]) -> tuple[PageResult, tuple[Any, ...]]:
        by_forum = group_by_forum(decisions)
        records = normalize_note(submission, ICLR2018, by_forum)
        result = save_page(db, ICLR2018, submission["invitation"], [submission], [records], WHEN, related=by_forum)
        return result, db.execute("SELECT status, decision FROM papers WHERE forum_id = 'S1'").fetchone()

    first, paper = harvest([])
    assert (first.added, paper) == (1, ("under-review", None))
    same, paper = harvest([])
    assert (same.unchanged, paper) == (1, ("under-review", None))
    decided, paper = harvest([decision_for("S1", "Accept (Poster)")])
    assert (decided.updated, paper) == (1, ("accepted", "Accept (Poster)"))
    assert harvest([decision_for("S1", "Accept (Poster)")])[0].unchanged == 1
    changed, paper = harvest([decision_for("S1", "Reject")])
    assert (changed.updated, paper) == (1, ("rejected", "Reject"))
    assert db.execute("SELECT decision FROM decisions WHERE forum_id = 'S1'").fetchall() == [("Reject",)]


def test_a_new_database_has_16_kib_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    assert fresh(tmp_path).execute("PRAGMA page_size").fetchone()[0] == 16384
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE kept (x)")  # a file some program made first, with SQLite's 4 KiB pages
    old.close()
    db = open_db(tmp_path / "old.db")
    ensure_db_shape(db)
    save_venue(db, VENUE)
    save_page(db, VENUE, BLIND, *sample_page())
    assert db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 3


def test_a_connection_holds_a_pages_transaction_in_its_cache(tmp_path: Path) -> None:
    """SQLite's default 2 MB cache evicts pages a notes-page transaction reads back (see make bench); the
    connection asks for more, in kibibytes (a negative cache_size), and gets it however it was opened."""
    for db in (fresh(tmp_path), open_db(tmp_path / "s.db", create=False)):
        assert db.execute("PRAGMA cache_size").fetchone()[0] == -8 * 1024


def sample_page() -> tuple[list[dict[str, Any]], list[NormalizedNote | RejectedNote], datetime]:
    notes = load_sample_venue()[BLIND][:3]
    return notes, normalized_or_rejected(notes), WHEN


def test_checkpoints_run_beside_the_writer_and_sqlites_own_are_back_after(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    path = tmp_path / "s.db"
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA wal_autocheckpoint = 1")  # SQLite's own would copy at every COMMIT
    before = path.stat().st_size
    with BackgroundCheckpoints(db) as checkpoints:
        for start in (0, 3):
            notes = load_sample_venue()[BLIND][start : start + 3]
            save_page(db, VENUE, BLIND, notes, normalized_or_rejected(notes), WHEN)
        # Committed, but the COMMIT copied nothing into the file: the pages wait in the WAL.
        assert path.stat().st_size == before
        checkpoints.request()
        wait_until(lambda: path.stat().st_size > before, 10)
        assert path.stat().st_size > before
        notes = load_sample_venue()[BLIND][6:9]  # committed last, with no checkpoint asked for
        save_page(db, VENUE, BLIND, notes, normalized_or_rejected(notes), WHEN)
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1
    # Nothing is left behind in the WAL only: a copy of the file alone holds every page.
    alone = tmp_path / "alone.db"
    alone.write_bytes(path.read_bytes())
    assert sqlite3.connect(alone).execute("SELECT count(*) FROM papers").fetchone()[0] == 9


class FullOnCheckpoint:
    """A connection whose checkpoints fail as on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if "wal_checkpoint" in sql:
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
            raise error
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.fixture
def full_disk_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    connect = sqlite3.connect

    def on_the_checkpoint_thread(*args: Any, **kwargs: Any) -> Any:
        conn = connect(*args, **kwargs)
        return FullOnCheckpoint(conn) if threading.current_thread().name == "paperharvest-checkpoint" else conn

    monkeypatch.setattr(sqlite3, "connect", on_the_checkpoint_thread)


def test_a_failed_checkpoint_stops_the_writer_at_its_next_page(tmp_path: Path, full_disk_checkpoints: None) -> None:
    db = fresh(tmp_path)
    # The block's end says it too, nothing else having ended the block.
    with pytest.raises(DatabaseError, match="is full"), BackgroundCheckpoints(db) as checkpoints:
        save_page(db, VENUE, BLIND, *sample_page())
        checkpoints.request()
        assert wait_until(lambda: checkpoints._failure is not None)
        with pytest.raises(DatabaseError, match="is full"):
            checkpoints.request()  # the next page's
    assert db.execute("SELECT count(*) FROM papers").fetchone()[0] == 3  # what was committed is kept


def test_a_failed_checkpoint_does_not_hide_what_ended_the_block(tmp_path: Path, full_disk_checkpoints: None) -> None:
    db = fresh(tmp_path)
    with pytest.raises(KeyboardInterrupt), BackgroundCheckpoints(db) as checkpoints:
        save_page(db, VENUE, BLIND, *sample_page())
        checkpoints.request()
        assert wait_until(lambda: checkpoints._failure is not None)
        db.conn = FullOnCheckpoint(db.conn)  # type: ignore[assignment]  # the block's last checkpoint fails too
        raise KeyboardInterrupt


def test_rows_are_written_only_whole() -> None:
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    with pytest.raises(ValueError, match="a row without exactly 2 values"):
        write_rows(db, "t", ("k", "v"), [("a", "1"), ("b",), ("c", "3", "x")])
    write_rows(db, "t", ("k", "v"), [("a", "1"), ("a", "2")], pk="k")  # one statement: the last one wins
    write_rows(db, "t", ("k",), [("a",), ("b",)], pk="k")  # a key alone: nothing to update
    assert db.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [("a", "2"), ("b", None)]
