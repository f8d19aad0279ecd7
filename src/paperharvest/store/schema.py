"""ensure_db_shape: tables, foreign keys, indexes, FTS, views, and migrations between schema versions.

The schema version lives in `PRAGMA user_version`. Each migration moves it up by one and runs in one
transaction, so a crash mid-migration leaves the previous version intact. Every table and column is
documented in docs/schema.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from paperharvest.errors import DatabaseError

PAPER_SUMMARY_SQL = """
SELECT
  p.forum_id,
  p.venue,
  p.number,
  p.title,
  p.status,
  p.presentation,
  p.decision,
  round(avg(r.rating), 2) AS mean_rating,
  min(r.rating) AS min_rating,
  max(r.rating) AS max_rating,
  count(r.rating) AS rating_count,
  p.tldr,
  p.code_url,
  (SELECT pa.name FROM paper_authors pa WHERE pa.forum_id = p.forum_id ORDER BY pa.position LIMIT 1)
    AS first_author,
  'https://openreview.net/forum?id=' || p.forum_id AS openreview_url
FROM papers p
LEFT JOIN reviews r ON r.forum_id = p.forum_id
GROUP BY p.forum_id
"""


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("venues").create(
        {
            "key": str,
            "venue_id": str,
            "name": str,
            "api_version": int,
            "year": int,
            "last_harvested_at": str,
            "last_run_id": int,
        },
        pk="key",
    )
    db.table("papers").create(
        {
            "forum_id": str,
            "venue": str,
            "number": int,
            "title": str,
            "abstract": str,
            "tldr": str,
            "keywords": str,
            "pdf_url": str,
            "status": str,
            "presentation": str,
            "decision": str,
            "code_url": str,
            "invitation": str,
            "created_at": str,
            "modified_at": str,
            "harvested_at": str,
        },
        pk="forum_id",
        not_null={"venue", "title", "status", "invitation"},
        foreign_keys=[("venue", "venues", "key")],
    )
    db.table("authors").create({"author_id": str, "name": str, "email_domain": str}, pk="author_id")
    db.execute("""
        CREATE TABLE paper_authors (
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          author_id TEXT REFERENCES authors(author_id),
          name TEXT,
          PRIMARY KEY (forum_id, position)
        )""")
    db.execute("""
        CREATE TABLE reviews (
          review_id TEXT PRIMARY KEY,
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          reviewer TEXT NOT NULL,
          rating INTEGER,
          rating_label TEXT,
          confidence INTEGER,
          title TEXT,
          text TEXT,
          assessments TEXT,
          created_at TEXT,
          modified_at TEXT
        )""")
    db.execute("""
        CREATE TABLE decisions (
          decision_id TEXT PRIMARY KEY,
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          decision TEXT NOT NULL,
          comment TEXT,
          created_at TEXT,
          modified_at TEXT
        )""")
    db.table("raw_notes").create(
        {
            "note_id": str,
            "venue": str,
            "invitation": str,
            "api_version": int,
            "tmdate": int,
            "sha256": str,
            "fetched_at": str,
            "json": str,
        },
        pk="note_id",
        not_null={"venue", "invitation", "sha256", "fetched_at", "json"},
        foreign_keys=[("venue", "venues", "key")],
    )
    db.execute("""
        CREATE TABLE runs (
          run_id INTEGER PRIMARY KEY AUTOINCREMENT,
          venue TEXT,
          command TEXT NOT NULL,
          options TEXT,
          versions TEXT,
          started_at TEXT NOT NULL,
          ended_at TEXT,
          outcome TEXT NOT NULL,
          error TEXT,
          counts TEXT
        )""")
    db.table("papers").create_index(["venue", "status"])
    db.table("paper_authors").create_index(["author_id"])
    db.table("reviews").create_index(["forum_id"])
    db.table("decisions").create_index(["forum_id"])
    db.table("raw_notes").create_index(["venue"])
    db.table("runs").create_index(["venue", "run_id"])
    db.table("papers").enable_fts(["title", "abstract", "tldr", "keywords"], create_triggers=True, tokenize="porter")
    db.create_view("paper_summary", PAPER_SUMMARY_SQL)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1_initial]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Bring any database (new or older) to the current schema; refuse one from a newer paperharvest."""
    try:
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"the database has schema version {version}, newer than this paperharvest knows "
                f"({SCHEMA_VERSION}); upgrade paperharvest"
            )
        if version < SCHEMA_VERSION and db.journal_mode != "wal":
            # WAL lets a notebook read while cron writes; it cannot be switched on inside a transaction.
            db.enable_wal()
        for number in range(version, SCHEMA_VERSION):
            with db.atomic():
                MIGRATIONS[number](db)
                db.execute(f"PRAGMA user_version = {number + 1}")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot prepare the database schema: {exc}") from None
