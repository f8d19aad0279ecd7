"""The store: schema shape and version, WAL and foreign keys, idempotent pages, and the run lock."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from paperharvest.errors import DatabaseError, DatabaseLocked
from paperharvest.normalize.notes import normalize_note
from paperharvest.store.db import open_db, run_lock
from paperharvest.store.save import save_page, save_venue
from paperharvest.store.schema import SCHEMA_VERSION, ensure_db_shape, schema_version
from paperharvest.venues import find_venue
from tests.conftest import REPO
from tests.fakes.record_sample import load_sample_venue

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
    save_venue(db, VENUE)
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
