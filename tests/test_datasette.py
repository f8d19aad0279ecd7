"""`paperharvest datasette-metadata`: every table and column of docs/schema.md described, facets where the
columns are, and canned queries that run on the demo database and answer what their titles say."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from tests.demo_db import demo_copy, demo_db
from tests.helpers import rows, scalar
from tests.test_schema_docs import DOC, documented
from tests.test_stats import fake_rebuttal_history


def _metadata(db: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "metadata.json"
    assert main(["datasette-metadata", "--db", str(db), "--out", str(out), "--quiet"]) == 0
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _run(db: Path, sql: str, **params: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def metadata(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _metadata(demo_db(tmp_path_factory), tmp_path_factory.mktemp("meta"))


def test_every_documented_table_and_column_is_described(metadata: dict[str, Any]) -> None:
    assert list(metadata["databases"]) == ["demo"]  # Datasette names the database after its file
    tables = metadata["databases"]["demo"]["tables"]
    views = set(re.findall(r"^## View `(\w+)`", DOC, re.M))
    for table, columns in documented().items():
        if table in views:
            continue
        assert tables[table]["description"], table
        assert set(tables[table]["columns"]) == columns, table
        assert all(tables[table]["columns"].values()), table
    # Backticks are Markdown; Datasette shows plain text.
    status = re.search(r"^\| `status` \| TEXT \| (`accepted`.*) \|$", DOC, re.M)
    assert status is not None
    assert tables["papers"]["columns"]["status"] == status.group(1).replace("`", "")


def test_the_views_are_described_column_by_column(
    metadata: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tables = metadata["databases"]["demo"]["tables"]
    views = re.findall(r"^## View `(\w+)`", DOC, re.M)
    assert "paper_summary" in views
    for name in views:
        columns = [r[1] for r in rows(demo_db(tmp_path_factory), f"PRAGMA table_info({name})")]
        assert set(tables[name]["columns"]) == set(columns), name
        assert tables[name]["description"], name
    view = tables["paper_summary"]
    assert view["columns"]["mean_rating"] == "rounded to 2 places"
    assert view["columns"]["title"] == "title, trimmed"  # the papers column it is


def test_facets_on_venue_status_and_presentation(metadata: dict[str, Any]) -> None:
    tables = metadata["databases"]["demo"]["tables"]
    assert tables["papers"]["facets"] == ["venue", "status", "presentation"]
    assert tables["paper_summary"]["facets"] == ["venue", "status", "presentation"]
    assert tables["raw_notes"]["facets"] == ["venue"]
    assert "facets" not in tables["author_links"]


def test_canned_queries_answer_on_the_demo_database(
    metadata: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = demo_db(tmp_path_factory)
    queries = metadata["databases"]["demo"]["queries"]
    assert {"top_papers", "paper_with_reviews", "author_papers"} <= set(queries)

    top = _run(db, queries["top_papers"]["sql"], venue="iclr2020")
    best = scalar(db, "SELECT max(avg_r) FROM (SELECT avg(rating) AS avg_r FROM reviews GROUP BY forum_id)")
    assert top[0]["mean_rating"] == pytest.approx(best, abs=0.005)
    assert len(top) == scalar(db, "SELECT count(DISTINCT forum_id) FROM reviews WHERE rating IS NOT NULL")

    forum = top[0]["forum_id"]
    reviews = _run(db, queries["paper_with_reviews"]["sql"], forum_id=forum)
    assert len(reviews) == scalar(db, "SELECT count(*) FROM reviews WHERE forum_id = ?", forum)
    assert reviews[0]["decision"] == scalar(db, "SELECT decision FROM decisions WHERE forum_id = ?", forum)

    author, name = rows(
        db,
        """SELECT a.author_id, a.preferred_name FROM authors a JOIN author_socials s USING (author_id)
           WHERE s.chosen = 1 GROUP BY a.author_id ORDER BY count(*) DESC, a.author_id LIMIT 1""",
    )[0]
    by_id = _run(db, queries["author_papers"]["sql"], author=author)
    assert len(by_id) == scalar(db, "SELECT count(*) FROM paper_authors WHERE author_id = ?", author)
    chosen = {u for (u,) in rows(db, "SELECT url FROM author_socials WHERE author_id = ? AND chosen = 1", author)}
    candidates = {u for (u,) in rows(db, "SELECT url FROM author_socials WHERE author_id = ?", author)} - chosen
    assert chosen and all(url in by_id[0]["accounts"] for url in chosen)
    assert not any(url in by_id[0]["accounts"] for url in candidates)
    by_name = _run(db, queries["author_papers"]["sql"], author=name.split()[-1])
    assert {r["author_id"] for r in by_name} >= {author}


def test_the_rating_changes_query_lists_the_papers_whose_rating_moved(
    metadata: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    # The demo saw every review once, after the decisions: no change is known, so the query lists nothing.
    query = metadata["databases"]["demo"]["queries"]["rating_changes"]
    assert _run(demo_db(tmp_path_factory), query["sql"], venue="iclr2020") == []

    changed = demo_copy(tmp_path_factory, tmp_path / "demo.db")
    conn = sqlite3.connect(changed)
    with conn:
        fake_rebuttal_history(conn, delta=2)
    conn.close()
    query = _metadata(changed, tmp_path)["databases"]["demo"]["queries"]["rating_changes"]
    moved = _run(changed, query["sql"], venue="iclr2020")
    assert {r["forum_id"] for r in moved} == {
        f for (f,) in rows(changed, "SELECT DISTINCT forum_id FROM reviews WHERE reviewer = 'AnonReviewer1'")
    }
    assert all(r["change"] > 0 for r in moved)
