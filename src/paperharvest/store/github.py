"""GitHub users: which accounts the authors' socials name are due to be asked about, and GitHub's answers
(raw and read)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlite_utils

from paperharvest.models import GitHubUser

# The venue's people's GitHub handles, lower-cased as the table's key: GitHub's logins are case-insensitive.
_VENUE_HANDLES = """
    SELECT DISTINCT lower(s.handle) AS login FROM author_socials s
    JOIN paper_authors pa ON pa.author_id = s.author_id
    JOIN papers p ON p.forum_id = pa.forum_id
    WHERE p.venue = ? AND s.platform = 'github'"""


def github_users_due(db: sqlite_utils.Database, venue_key: str, fresh_after: datetime) -> list[tuple[str, str | None]]:
    """(login, etag) of the GitHub accounts in the venue's authors' socials never asked about, or last asked
    before `fresh_after`: never-asked first, then the longest unasked, so a run cut short by the rate limit
    is continued by the next. Logins are lower-cased; the etag is kept only for a stored answer (`ok`)."""
    rows = db.execute(
        f"""SELECT h.login, CASE WHEN g.status = 'ok' THEN g.etag END FROM ({_VENUE_HANDLES}) h
            LEFT JOIN github_users g ON g.login = h.login
            WHERE g.login IS NULL OR g.fetched_at < ?
            ORDER BY g.fetched_at IS NOT NULL, g.fetched_at, h.login""",
        [venue_key, fresh_after.isoformat()],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _user_values(user: GitHubUser) -> list[Any]:
    return [user.name, user.blog, user.twitter_username, user.kind]


def save_github_user(
    db: sqlite_utils.Database, login: str, user: GitHubUser, payload: Mapping[str, Any], etag: str | None, at: datetime
) -> None:
    """An account GitHub answered for (status `ok`), with the answer as sent."""
    db.execute(
        """INSERT OR REPLACE INTO github_users (login, name, blog, twitter_username, kind, status, etag, fetched_at,
             json) VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?)""",
        [login.lower(), *_user_values(user), etag, at.isoformat(), json.dumps(payload, ensure_ascii=False)],
    )


def save_github_user_gone(db: sqlite_utils.Database, login: str, status: str, at: datetime) -> None:
    """An account GitHub does not show (`missing`: 404; `blocked`: 403/451): what was known of it goes."""
    db.execute(
        "INSERT OR REPLACE INTO github_users (login, status, fetched_at) VALUES (?, ?, ?)",
        [login.lower(), status, at.isoformat()],
    )


def touch_github_user(db: sqlite_utils.Database, login: str, at: datetime) -> None:
    """GitHub said 304: the stored answer is current as of `at`."""
    db.execute("UPDATE github_users SET fetched_at = ? WHERE login = ?", [at.isoformat(), login.lower()])


def rewrite_github_user(db: sqlite_utils.Database, login: str, user: GitHubUser) -> None:
    """The columns read from a stored answer, read again (rebuild)."""
    db.execute(
        "UPDATE github_users SET name = ?, blog = ?, twitter_username = ?, kind = ? WHERE login = ?",
        [*_user_values(user), login.lower()],
    )


def stored_github_users(db: sqlite_utils.Database, venue_key: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(login, raw answer) of every account GitHub answered for, or of those the venue's authors' socials name."""
    where = "" if venue_key is None else f"AND login IN ({_VENUE_HANDLES})"
    rows = db.execute(
        f"SELECT login, json FROM github_users WHERE status = 'ok' AND json IS NOT NULL {where} ORDER BY login",
        [] if venue_key is None else [venue_key],
    ).fetchall()
    return [(r[0], json.loads(r[1])) for r in rows]
