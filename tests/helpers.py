"""Small helpers the end-to-end tests share."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from paperharvest.store.versions import stored_raw_notes

DATA_TABLES = (
    "venues",
    "papers",
    "authors",
    "paper_authors",
    "reviews",
    "decisions",
    "raw_notes",
    "author_aliases",
    "author_history",
    "author_links",
    "author_socials",
    "raw_profiles",
    "homepages",
    "homepage_readings",
)


def stored_notes(db_path: Path, venue: str) -> dict[str, dict[str, Any]]:
    """note id -> each raw note of the venue as the store gives it back (put together from its versions)."""
    db = sqlite_utils.Database(db_path)
    try:
        return {n.note_id: n.note for n in stored_raw_notes(db, venue)}
    finally:
        db.close()


def table_dump(db_path: Path, tables: tuple[str, ...] = DATA_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the data tables, sorted, for comparing two databases."""
    conn = sqlite3.connect(db_path)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def timeless_dump(db_path: Path, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Like table_dump, without the columns that say when something ran (`*_at`)."""
    conn = sqlite3.connect(db_path)
    try:
        dump = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if not row[1].endswith("_at")]
            dump[table] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
        return dump
    finally:
        conn.close()


def scalar(db_path: Path, sql: str, *params: Any) -> Any:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def rows(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of a WAL database (the backup API reads through the WAL)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


def raw_profile(
    profile_id: str = "~Test_Person1", *, top: dict[str, Any] | None = None, **content: Any
) -> dict[str, Any]:
    """A raw OpenReview profile as POST /profiles/search returns it; `content` keys override the defaults,
    `top` adds top-level keys (`state`, `referent`...)."""
    fullname = profile_id.strip("~").rstrip("0123456789").replace("_", " ")
    names = content.pop("names", [{"fullname": fullname, "username": profile_id, "preferred": True}])
    return {
        "id": profile_id,
        "active": True,
        "state": "Active",
        "tcdate": 1546300800000,
        "tmdate": 1704067200000,
        "content": {"names": names, "emails": [], **content},
        **(top or {}),
    }


def wait_until(condition: Callable[[], bool], limit: float = 20.0) -> bool:
    """Whether `condition()` came true within `limit` seconds (polled every 20 ms)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False
