"""What `digest` reads: the venue, the chosen papers in their order with everything a post shows of them,
and the data version the post is made from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from paperharvest.errors import ConfigError

Ranking = Literal["mean-rating", "confidence-weighted", "rating-change", "reviews"]
RANKINGS: tuple[Ranking, ...] = ("mean-rating", "confidence-weighted", "rating-change", "reviews")


@dataclass(frozen=True)
class Selection:
    """Which papers, in which order: explicit forum ids (kept in the order given), or filters and a ranking."""

    papers: tuple[str, ...] = ()
    status: str | None = None
    presentation: str | None = None
    keyword: str | None = None
    area: str | None = None
    top: int | None = None
    by: Ranking = "mean-rating"


@dataclass(frozen=True)
class Venue:
    key: str
    venue_id: str
    name: str
    api_version: int


@dataclass(frozen=True)
class DataVersion:
    """What the digest was made from: the venue's last successful run, and its data version if runs keep one."""

    run_id: int | None
    ended_at: str | None
    version: str | None


@dataclass(frozen=True)
class DigestPaper:
    forum_id: str
    number: int | None
    title: str
    openreview_url: str
    author_tldr: str | None
    machine_tldr: str | None
    machine_tldr_source: str | None
    paper_url: str | None  # arXiv abs page when linked, else the OpenReview PDF
    code_url: str | None  # the official code repository
    status: str
    decision: str | None
    presentation: str | None
    mean_rating: float | None
    rating_count: int
    weighted_rating: float | None
    rating_change: float | None  # mean rating now minus at the reviews' first versions; None without history
    first_author: str | None
    first_author_x: str | None
    first_author_linkedin: str | None
    first_author_github: str | None
    first_author_website: str | None


def find_venue_row(db: sqlite_utils.Database, name: str) -> Venue:
    """A harvested venue by key or OpenReview id: the digest needs the database, not the venue's config."""
    row = db.execute(
        "SELECT key, venue_id, name, api_version FROM venues WHERE key = lower(?) OR venue_id = ?", [name, name]
    ).fetchone()
    if row is None:
        known = ", ".join(r[0] for r in db.execute("SELECT key FROM venues ORDER BY key")) or "none"
        raise ConfigError(f"venue {name!r} is not in the database; harvested venues: {known}")
    return Venue(key=row[0], venue_id=row[1], name=row[2] or row[0], api_version=row[3] or 1)


# The one definition of a paper's rating change during the review period (view paper_rating_history).
# papers keeps no primary area: a v2 paper's is read from its stored note, as the API sent it.
PRIMARY_AREA = (
    "json_extract((SELECT n.json FROM submission_notes n WHERE n.forum_id = p.forum_id), "
    "'$.content.primary_area.value')"
)
RATING_CHANGE = "(SELECT r.rating_change FROM paper_rating_history r WHERE r.forum_id = p.forum_id)"


# One ranking each: the metric (larger first), then the number of reviews, then the submission number.
_RANK_METRIC: dict[Ranking, str] = {
    "mean-rating": "mean_rating",
    "confidence-weighted": "weighted_rating",
    "rating-change": "rating_change",
    "reviews": "rating_count",
}


def digest_papers(db: sqlite_utils.Database, venue_key: str, selection: Selection) -> list[DigestPaper]:
    """The papers of `selection`, in the digest's order, with what a post shows of each.

    Explicit forum ids must all belong to the venue; ranking by rating change needs a paper with a known one.
    """
    where = ["p.venue = :venue"]
    params: dict[str, Any] = {"venue": venue_key}
    if selection.papers:
        where.append("p.forum_id IN (SELECT value FROM json_each(:papers))")
        params["papers"] = json.dumps(list(selection.papers))
    if selection.status:
        where.append("p.status = :status")
        params["status"] = selection.status
    if selection.presentation:
        where.append("p.presentation = :presentation")
        params["presentation"] = selection.presentation
    if selection.keyword:
        where.append("EXISTS (SELECT 1 FROM json_each(p.keywords) k WHERE lower(k.value) = lower(:keyword))")
        params["keyword"] = selection.keyword.strip()
    if selection.area:
        where.append(f"lower({PRIMARY_AREA}) = lower(:area)")
        params["area"] = selection.area.strip()
    metric = _RANK_METRIC[selection.by]
    rows = db.execute(
        f"""
        SELECT * FROM (
          SELECT p.forum_id, p.number, p.title, s.openreview_url,
            p.tldr AS author_tldr, m.text AS machine_tldr, m.source AS machine_tldr_source,
            coalesce('https://arxiv.org/abs/' || s.arxiv_id, p.pdf_url) AS paper_url,
            (SELECT c.url FROM code_links c
               WHERE c.forum_id = p.forum_id AND c.kind = 'repository' AND c.official = 1
               ORDER BY c.source = 'openreview-code' DESC, c.first_seen_at, c.url LIMIT 1) AS code_url,
            p.status, p.decision, p.presentation, s.mean_rating, s.rating_count,
            coalesce(
              (SELECT round(sum(r.rating * r.confidence) * 1.0 / sum(r.confidence), 2) FROM reviews r
                 WHERE r.forum_id = p.forum_id AND r.rating IS NOT NULL AND r.confidence > 0),
              s.mean_rating) AS weighted_rating,
            {RATING_CHANGE} AS rating_change,
            s.first_author, s.first_author_x, s.first_author_linkedin, s.first_author_github,
            s.first_author_website
          FROM papers p
          JOIN paper_summary s ON s.forum_id = p.forum_id
          LEFT JOIN machine_tldrs m ON m.forum_id = p.forum_id
          WHERE {" AND ".join(where)}
        )
        ORDER BY {metric} IS NULL, {metric} DESC, rating_count DESC, number, forum_id""",
        params,
    )
    columns = [d[0] for d in rows.description]
    papers = [DigestPaper(**dict(zip(columns, row, strict=True))) for row in rows.fetchall()]
    if selection.by == "rating-change" and papers and all(paper.rating_change is None for paper in papers):
        raise ConfigError(
            f"no rating change is known for these papers of {venue_key}: the rating history (review_history) "
            "has no review seen before its paper's decision (harvest during the review period to have one)"
        )
    if not selection.papers:
        return papers[: selection.top] if selection.top is not None else papers
    by_id = {paper.forum_id: paper for paper in papers}
    missing = [forum_id for forum_id in selection.papers if forum_id not in by_id]
    if missing:
        raise ConfigError(f"not papers of {venue_key}: {', '.join(missing)}")
    return [by_id[forum_id] for forum_id in selection.papers]


def data_version(db: sqlite_utils.Database, venue_key: str) -> DataVersion:
    """The run the venue's current data comes from: its last successful fetch, else its latest run."""
    row = db.execute(
        """SELECT r.run_id, r.ended_at, r.data_version FROM runs r
            WHERE r.run_id = (SELECT last_run_id FROM venues WHERE key = :venue)
               OR r.run_id = (SELECT max(run_id) FROM runs WHERE venue = :venue)
            ORDER BY r.run_id = (SELECT last_run_id FROM venues WHERE key = :venue) DESC LIMIT 1""",
        {"venue": venue_key},
    ).fetchone()
    if row is None:
        return DataVersion(run_id=None, ended_at=None, version=None)
    return DataVersion(run_id=row[0], ended_at=row[1], version=None if row[2] is None else str(row[2]))
