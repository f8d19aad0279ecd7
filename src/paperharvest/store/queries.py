"""The reads the commands need: status and summary tables, and the stored payloads `rebuild` reads again.

Each takes an optional venue so `rebuild --venue V` touches only what belongs to V's papers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

# The one rule for which rows belong to a venue's papers and people (merged profile ids included).
from paperharvest.store.exports import VENUE_ROWS


def venue_counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Rows per venue: papers, reviews, decisions, raw notes, and when it was last harvested."""
    return list(
        db.query("""
        SELECT v.key AS venue, v.last_harvested_at,
          (SELECT count(*) FROM papers p WHERE p.venue = v.key) AS papers,
          (SELECT count(*) FROM reviews r JOIN papers p USING (forum_id) WHERE p.venue = v.key) AS reviews,
          (SELECT count(*) FROM decisions d JOIN papers p USING (forum_id) WHERE p.venue = v.key) AS decisions,
          (SELECT count(*) FROM raw_notes n WHERE n.venue = v.key) AS raw_notes
        FROM venues v ORDER BY v.key""")
    )


def recent_runs(db: sqlite_utils.Database, limit: int = 10) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT run_id, venue, command, outcome, started_at, ended_at, error FROM runs"
            " ORDER BY run_id DESC LIMIT ?",
            [limit],
        )
    )


def papers_by_status(db: sqlite_utils.Database, venue_key: str) -> list[dict[str, Any]]:
    return list(
        db.query(
            """SELECT status, coalesce(presentation, '') AS presentation, count(*) AS papers FROM papers
               WHERE venue = ? GROUP BY status, presentation ORDER BY papers DESC""",
            [venue_key],
        )
    )


def top_papers(db: sqlite_utils.Database, venue_key: str, limit: int) -> list[dict[str, Any]]:
    """The venue's papers with ratings, best mean rating first."""
    return list(
        db.query(
            """SELECT mean_rating, rating_count AS reviews, coalesce(presentation, status) AS outcome,
                 substr(title, 1, 60) AS title, first_author, first_author_x, arxiv_id FROM paper_summary
               WHERE venue = ? AND rating_count > 0
               ORDER BY mean_rating DESC, rating_count DESC, forum_id LIMIT ?""",
            [venue_key, limit],
        )
    )


def link_tallies(db: sqlite_utils.Database, venue_key: str) -> dict[str, int]:
    """How many of the venue's papers have an arXiv link, a code repository, the first author's X account."""
    row = db.execute(
        """SELECT count(*), sum(arxiv_id IS NOT NULL), sum(code_repositories > 0), sum(first_author_x IS NOT NULL)
           FROM paper_summary WHERE venue = ?""",
        [venue_key],
    ).fetchone()
    return {"papers": row[0], "arxiv": row[1] or 0, "code": row[2] or 0, "x": row[3] or 0}


def stored_profiles(db: sqlite_utils.Database, venue_key: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(fetched_at, raw profile) of every stored profile, or of those of the venue's people."""
    where = f"WHERE {VENUE_ROWS['raw_profiles']}" if venue_key else ""
    rows = db.execute(f"SELECT fetched_at, json FROM raw_profiles {where} ORDER BY profile_id", {"venue": venue_key})
    for fetched_at, text in rows:
        yield fetched_at, json.loads(text)


def stored_homepages(db: sqlite_utils.Database, venue_key: str | None = None) -> list[tuple[str, str, bytes, str]]:
    """(url, final url, html, fetched_at) of every stored homepage, or of those the venue's people list."""
    where = f"AND ({VENUE_ROWS['homepages']})" if venue_key else ""
    rows = db.execute(
        f"""SELECT url, coalesce(final_url, url), html, fetched_at FROM homepages
            WHERE html IS NOT NULL {where} ORDER BY url""",
        {"venue": venue_key},
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def stored_repositories(db: sqlite_utils.Database, venue_key: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(url, raw answer) of every repository GitHub answered for, or of those the venue's papers link to."""
    where = f"AND ({VENUE_ROWS['repositories']})" if venue_key else ""
    rows = db.execute(
        f"SELECT url, json FROM repositories WHERE status = 'ok' AND json IS NOT NULL {where} ORDER BY url",
        {"venue": venue_key},
    )
    return [(r[0], json.loads(r[1])) for r in rows.fetchall()]


def harvested_venues(db: sqlite_utils.Database) -> dict[str, str]:
    """Venue key -> when it was last harvested, for the venues harvested at least once."""
    rows = db.execute("SELECT key, last_harvested_at FROM venues WHERE last_harvested_at IS NOT NULL ORDER BY key")
    return dict(rows.fetchall())


def note_venues(db: sqlite_utils.Database) -> list[str]:
    """The venues with stored raw notes."""
    return [r[0] for r in db.execute("SELECT DISTINCT venue FROM raw_notes ORDER BY venue")]


def latest_data_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per venue: its latest run that recorded a data version, and that version."""
    return list(
        db.query("""
        SELECT r.venue, r.run_id, r.data_version, r.started_at FROM runs r
        WHERE r.run_id = (SELECT max(run_id) FROM runs x WHERE x.venue = r.venue AND x.data_version IS NOT NULL)
        ORDER BY r.venue""")
    )


def run_data_versions(db: sqlite_utils.Database, run_ids: list[int]) -> dict[int, str | None]:
    """run id -> the data version it recorded."""
    if not run_ids:
        return {}
    marks = ",".join("?" * len(run_ids))
    return dict(db.execute(f"SELECT run_id, data_version FROM runs WHERE run_id IN ({marks})", run_ids).fetchall())
