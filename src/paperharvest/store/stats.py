"""The reads `stats` needs: one row per paper with its ratings, the paper's topics, and each paper's known
rating change. The arithmetic is done by the
caller (outputs/stats.py), on these rows, so every number of the table and the plot comes from one place."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from paperharvest.store.digest import PRIMARY_AREA, RATING_CHANGE


@dataclass(frozen=True)
class PaperRatings:
    forum_id: str
    status: str
    presentation: str | None
    ratings: tuple[int, ...]
    # (rating, confidence) of the reviews that give both
    rated_confidences: tuple[tuple[int, int], ...]


def paper_ratings(db: sqlite_utils.Database, venue_key: str) -> list[PaperRatings]:
    """Every paper of the venue, rated or not, with its reviews' ratings (NULL ratings left out)."""
    rows = db.execute(
        """SELECT p.forum_id, p.status, p.presentation,
             json_group_array(r.rating) FILTER (WHERE r.rating IS NOT NULL),
             json_group_array(json_array(r.rating, r.confidence))
               FILTER (WHERE r.rating IS NOT NULL AND r.confidence IS NOT NULL)
           FROM papers p LEFT JOIN reviews r ON r.forum_id = p.forum_id
           WHERE p.venue = ? GROUP BY p.forum_id ORDER BY p.forum_id""",
        [venue_key],
    ).fetchall()
    return [
        PaperRatings(
            forum_id,
            status,
            presentation,
            tuple(json.loads(ratings)),
            tuple((int(r), int(c)) for r, c in json.loads(pairs)),
        )
        for forum_id, status, presentation, ratings, pairs in rows
    ]


def paper_topics(db: sqlite_utils.Database, venue_key: str) -> tuple[str, list[tuple[str, str]]]:
    """("primary area" or "keyword", [(forum_id, topic)]): a v2 venue's primary areas when the papers
    carry them, else the keywords, lower-cased with whitespace collapsed (authors spell them freely)."""
    areas = db.execute(
        f"""SELECT forum_id, area FROM (SELECT p.forum_id, {PRIMARY_AREA} AS area FROM papers p WHERE p.venue = ?)
            WHERE area IS NOT NULL ORDER BY forum_id""",
        [venue_key],
    ).fetchall()
    if areas:
        return "primary area", [(f, a) for f, a in areas if isinstance(a, str)]
    rows = db.execute(
        """SELECT p.forum_id, k.value FROM papers p, json_each(p.keywords) k
           WHERE p.venue = ? AND json_valid(p.keywords) AND k.type = 'text'""",
        [venue_key],
    ).fetchall()
    pairs = {(forum_id, " ".join(keyword.lower().split())) for forum_id, keyword in rows}
    return "keyword", sorted((f, k) for f, k in pairs if k)


def rating_changes(db: sqlite_utils.Database, venue_key: str) -> list[tuple[str, float]]:
    """(forum_id, rating change) of each of the venue's papers with a known one (view paper_rating_history:
    the one definition `digest`, `stats` and the Datasette queries use)."""
    rows = db.execute(
        f"""SELECT forum_id, change FROM (SELECT p.forum_id, {RATING_CHANGE} AS change FROM papers p WHERE p.venue = ?)
            WHERE change IS NOT NULL ORDER BY forum_id""",
        [venue_key],
    ).fetchall()
    return [(forum_id, float(value)) for forum_id, value in rows]


def rejected_published(db: sqlite_utils.Database, venue_key: str) -> str | None:
    """What the venue makes public of its rejected papers (`all`, `opt-in`, `none`; None when not known)."""
    row = db.execute("SELECT published_rejected FROM venues WHERE key = ?", [venue_key]).fetchone()
    return None if row is None else row[0]
