"""The reads `export` needs: which tables hold a venue's rows and how to select them, each table's columns
with their SQLite types in schema order, the rows themselves in a stable order, and the data version.

A table belongs to a venue through its columns (`venue`, `forum_id`, `author_id`, `review_id`) or, for the
tables keyed otherwise, through the rule in `VENUE_ROWS`; a table with neither (the arXiv feeds, answers
to queries that name no venue) cannot be exported for one venue and is reported so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from paperharvest.store.digest import RATING_CHANGE

SUMMARY_VIEW = "paper_summary"

_VENUE_PAPERS = "SELECT forum_id FROM papers WHERE venue = :venue"
_VENUE_PEOPLE = (
    "SELECT pa.author_id FROM paper_authors pa JOIN papers p ON p.forum_id = pa.forum_id"
    " WHERE p.venue = :venue AND pa.author_id IS NOT NULL"
)
_VENUE_PROFILES = (
    f"profile_id IN ({_VENUE_PEOPLE})"
    f" OR profile_id IN (SELECT alias FROM author_aliases WHERE author_id IN ({_VENUE_PEOPLE}))"
)
# Which rows of a table keyed otherwise belong to a venue (`:venue`): also what `rebuild --venue` reads again.
VENUE_ROWS = {
    "venues": "key = :venue",
    "raw_profiles": _VENUE_PROFILES,
    "profile_keys": _VENUE_PROFILES,
    "homepages": f"url IN (SELECT url FROM author_links WHERE kind = 'homepage' AND author_id IN ({_VENUE_PEOPLE}))",
    "repositories": f"url IN (SELECT url FROM code_links WHERE forum_id IN ({_VENUE_PAPERS}))",
    "raw_code_answers": f"arxiv_id IN (SELECT arxiv_id FROM arxiv_links WHERE forum_id IN ({_VENUE_PAPERS}))",
}
_COLUMN_FILTERS = {
    "venue": "venue = :venue",
    "forum_id": f"forum_id IN ({_VENUE_PAPERS})",
    "author_id": f"author_id IN ({_VENUE_PEOPLE})",
    "review_id": f"review_id IN (SELECT review_id FROM reviews WHERE forum_id IN ({_VENUE_PAPERS}))",
}
# The view's computed columns carry no declared type; these keep the exported types from depending on the
# values a venue happens to hold (a column of NULLs would otherwise have none).
_VIEW_TYPES = {
    "mean_rating": "REAL",
    "min_rating": "INTEGER",
    "max_rating": "INTEGER",
    "rating_count": "INTEGER",
    "tldr": "TEXT",
    "tldr_source": "TEXT",
    "code_repositories": "INTEGER",
    "openreview_url": "TEXT",
}
TYPES = ("INTEGER", "REAL", "TEXT", "BLOB")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of TYPES


@dataclass(frozen=True)
class ExportTable:
    name: str
    columns: tuple[Column, ...]
    where: str | None  # the venue filter; None: the table cannot be exported for one venue
    order_by: str


def _affinity(declared: str) -> str:
    """SQLite's own type-affinity rules (section 3.1 of its datatype page), NUMERIC read as REAL."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper:
        return "BLOB"
    return "REAL" if upper else ""


def _columns(db: sqlite_utils.Database, name: str) -> tuple[tuple[Column, ...], list[str]]:
    info = db.execute(f"PRAGMA table_info([{name}])").fetchall()
    columns = []
    for _cid, column, declared, _notnull, _default, _pk in info:
        kind = _affinity(declared) or _VIEW_TYPES.get(column, "")
        if not kind:
            raise ValueError(f"{name}.{column} has no declared type: add it to _VIEW_TYPES")
        columns.append(Column(column, kind))
    primary = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    return tuple(columns), primary


def exportable_tables(db: sqlite_utils.Database) -> list[ExportTable]:
    """The summary view, then every data table in schema order (FTS and SQLite's own tables left out)."""
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE 'papers_fts%' ORDER BY rowid"
        )
    ]
    tables = [_export_table(db, SUMMARY_VIEW, is_view=True)]
    return tables + [_export_table(db, name, is_view=False) for name in names]


def _export_table(db: sqlite_utils.Database, name: str, *, is_view: bool) -> ExportTable:
    columns, primary = _columns(db, name)
    present = {c.name for c in columns}
    where = VENUE_ROWS.get(name) or next((sql for col, sql in _COLUMN_FILTERS.items() if col in present), None)
    order = "forum_id" if is_view else ", ".join(f"[{c}]" for c in primary) or "rowid"
    return ExportTable(name, columns, where, order)


def table_rows(db: sqlite_utils.Database, table: ExportTable, venue_key: str) -> Iterator[tuple[Any, ...]]:
    """The table's rows of the venue, columns in schema order, in primary-key order."""
    if table.where is None:
        raise ValueError(f"{table.name} has no link to a venue")
    names = ", ".join(f"[{c.name}]" for c in table.columns)
    yield from db.execute(
        f"SELECT {names} FROM [{table.name}] WHERE {table.where} ORDER BY {table.order_by}", {"venue": venue_key}
    )


# Datasette's canned queries: SQL Datasette runs, with its `:name` parameters as form fields.
CANNED_QUERIES: dict[str, dict[str, str]] = {
    "top_papers": {
        "title": "Top papers by mean rating",
        "description": "A venue's reviewed papers, best mean rating first (venue: a key such as iclr2020).",
        "sql": """SELECT forum_id, title, status, presentation, mean_rating, min_rating, max_rating, rating_count,
  first_author, first_author_x, first_author_github, arxiv_url, openreview_url
FROM paper_summary WHERE venue = :venue AND rating_count > 0
ORDER BY mean_rating DESC, rating_count DESC, forum_id LIMIT 100""",
    },
    "paper_with_reviews": {
        "title": "A paper with its reviews",
        "description": "Every review of one paper, with its decision (forum_id: the OpenReview forum id).",
        "sql": """SELECT p.title, p.status, p.presentation,
  (SELECT d.decision FROM decisions d WHERE d.forum_id = p.forum_id) AS decision,
  r.reviewer, r.rating, r.rating_label, r.confidence, r.title AS review_title, r.text AS review
FROM papers p LEFT JOIN reviews r ON r.forum_id = p.forum_id
WHERE p.forum_id = :forum_id ORDER BY r.reviewer""",
    },
    "author_papers": {
        "title": "An author with their papers and accounts",
        "description": "Papers of the people whose id is, or whose name contains, the text given (author), with "
        "the accounts chosen as theirs.",
        "sql": """SELECT a.author_id, a.preferred_name, a.institution,
  (SELECT group_concat(s.platform || ' ' || s.url, ' | ') FROM author_socials s
     WHERE s.author_id = a.author_id AND s.chosen = 1) AS accounts,
  (SELECT l.url FROM author_links l WHERE l.author_id = a.author_id AND l.kind = 'homepage' LIMIT 1) AS homepage,
  p.venue, pa.position, p.title, p.status, p.presentation,
  'https://openreview.net/forum?id=' || p.forum_id AS openreview_url
FROM authors a JOIN paper_authors pa ON pa.author_id = a.author_id JOIN papers p ON p.forum_id = pa.forum_id
WHERE a.author_id = :author OR a.preferred_name LIKE '%' || :author || '%'
ORDER BY a.author_id, p.venue, p.number""",
    },
}
RATING_CHANGES_QUERY = {
    "title": "Rating changes during the rebuttal",
    "description": "A venue's papers whose mean rating moved before the decision: the mean of their reviews' "
    "last ratings seen before it minus that of their first ones.",
    "sql": f"""SELECT * FROM (SELECT p.forum_id, p.title, p.status, p.presentation, {RATING_CHANGE} AS change
  FROM papers p WHERE p.venue = :venue)
WHERE change != 0 ORDER BY abs(change) DESC, forum_id""",
}


def canned_queries() -> dict[str, dict[str, str]]:
    """The canned queries of the Datasette metadata."""
    return {**CANNED_QUERIES, "rating_changes": RATING_CHANGES_QUERY}
