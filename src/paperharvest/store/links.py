"""save_* for what links papers outward: arXiv matches, code links, machine-written TL;DRs, GitHub repository
metadata, and the raw answers (arXiv feeds, code-API and GitHub JSON) they were read from."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from paperharvest.models import CodeLinkCandidate, MatchResult, Repository
from paperharvest.store.prepare import sha256

ARXIV_LINK_COLUMNS = (
    "forum_id",
    "status",
    "method",
    "arxiv_id",
    "version",
    "title",
    "published",
    "updated",
    "primary_category",
    "categories",
    "abs_url",
    "pdf_url",
    "comment",
    "journal_ref",
    "doi",
    "score",
    "author_overlap",
    "in_window",
    "best_candidate",
    "reasons",
    "checked_at",
)


def papers_to_link(db: sqlite_utils.Database, venue_key: str, retry_before: datetime) -> list[dict[str, Any]]:
    """The venue's papers never linked to arXiv, or unmatched and last tried before `retry_before`:
    forum id, title, abstract, submission note (submission_notes.json) and authors in order."""
    rows = db.execute(
        """SELECT p.forum_id, p.title, n.json,
             (SELECT json_group_array(name) FROM
                (SELECT coalesce(pa.name, '') AS name FROM paper_authors pa
                 WHERE pa.forum_id = p.forum_id ORDER BY pa.position)) AS authors
           FROM papers p
           JOIN submission_notes n ON n.forum_id = p.forum_id
           LEFT JOIN arxiv_links x ON x.forum_id = p.forum_id
           WHERE p.venue = ? AND (x.forum_id IS NULL OR (x.status = 'unmatched' AND x.checked_at < ?))
           ORDER BY p.forum_id""",
        [venue_key, retry_before.isoformat()],
    ).fetchall()
    return [{"forum_id": r[0], "title": r[1], "note": json.loads(r[2]), "authors": json.loads(r[3])} for r in rows]


def save_arxiv_feed(db: sqlite_utils.Database, params: Mapping[str, str], xml: str, fetched_at: datetime) -> None:
    text = json.dumps(dict(params), sort_keys=True)
    db.execute(
        """INSERT INTO raw_arxiv_feeds (feed_key, params, fetched_at, xml) VALUES (?, ?, ?, ?)
           ON CONFLICT(feed_key) DO UPDATE SET fetched_at = excluded.fetched_at, xml = excluded.xml""",
        [sha256(text), text, fetched_at.isoformat(), xml],
    )


def save_arxiv_links(
    db: sqlite_utils.Database, results: Sequence[tuple[str, MatchResult]], checked_at: datetime
) -> None:
    """One match decision per paper, replacing the previous one."""
    rows = []
    for forum_id, result in results:
        e = result.entry
        rows.append(
            (
                forum_id,
                result.status,
                result.method,
                e.arxiv_id if e else None,
                e.version if e else None,
                e.title if e else None,
                e.published.isoformat() if e else None,
                e.updated.isoformat() if e else None,
                e.primary_category if e else None,
                json.dumps(e.categories) if e else None,
                e.abs_url if e else None,
                e.pdf_url if e else None,
                e.comment if e else None,
                e.journal_ref if e else None,
                e.doi if e else None,
                result.score,
                result.author_overlap,
                None if result.in_window is None else int(result.in_window),
                result.best_arxiv_id,
                json.dumps(result.reasons),
                checked_at.isoformat(),
            )
        )
    with db.atomic():
        db.conn.executemany(
            f"INSERT OR REPLACE INTO arxiv_links ({', '.join(ARXIV_LINK_COLUMNS)})"
            f" VALUES ({', '.join('?' * len(ARXIV_LINK_COLUMNS))})",
            rows,
        )


def linked_papers(db: sqlite_utils.Database, venue_key: str) -> list[tuple[str, str, str | None, str]]:
    """(forum id, arXiv id, arXiv comment, submission note JSON) of the venue's papers: arXiv id and comment are None
    for papers not linked to arXiv."""
    rows = db.execute(
        """SELECT p.forum_id, x.arxiv_id, x.comment, n.json FROM papers p
           JOIN submission_notes n ON n.forum_id = p.forum_id
           LEFT JOIN arxiv_links x ON x.forum_id = p.forum_id AND x.status = 'matched'
           WHERE p.venue = ? ORDER BY p.forum_id""",
        [venue_key],
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def save_code_answer(
    db: sqlite_utils.Database, source: str, arxiv_id: str, payload: Mapping[str, Any] | None, at: datetime
) -> None:
    db.execute(
        """INSERT INTO raw_code_answers (source, arxiv_id, fetched_at, json) VALUES (?, ?, ?, ?)
           ON CONFLICT(source, arxiv_id) DO UPDATE SET fetched_at = excluded.fetched_at, json = excluded.json""",
        [source, arxiv_id, at.isoformat(), None if payload is None else json.dumps(payload, ensure_ascii=False)],
    )


def stored_code_answers(db: sqlite_utils.Database) -> dict[tuple[str, str], dict[str, Any] | None]:
    rows = db.execute("SELECT source, arxiv_id, json FROM raw_code_answers").fetchall()
    return {(r[0], r[1]): (json.loads(r[2]) if r[2] else None) for r in rows}


def save_code_links(
    db: sqlite_utils.Database,
    forum_id: str,
    links: Sequence[CodeLinkCandidate],
    seen_at: datetime,
    *,
    rederived: bool = False,
) -> None:
    """Replace a paper's code links, keeping when each URL was first seen. `rederived` (a rebuild, which
    sees nothing new upstream) also keeps when each was last seen."""
    stamp = seen_at.isoformat()
    seen = {
        url: (first, last)
        for url, first, last in db.execute(
            "SELECT url, first_seen_at, seen_at FROM code_links WHERE forum_id = ?", [forum_id]
        ).fetchall()
    }
    db.execute("DELETE FROM code_links WHERE forum_id = ?", [forum_id])
    rows = []
    for link in links:
        first, last = seen.get(link.url, (stamp, stamp))
        rows.append(
            (
                forum_id,
                link.url,
                link.kind,
                link.platform,
                link.source,
                int(link.official),
                first,
                last if rederived else stamp,
            )
        )
    db.conn.executemany(
        """INSERT INTO code_links (forum_id, url, kind, platform, source, official, first_seen_at, seen_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        rows,
    )


def save_machine_tldr(db: sqlite_utils.Database, forum_id: str, text: str, source: str, at: datetime) -> None:
    db.execute(
        """INSERT INTO machine_tldrs (forum_id, text, source, fetched_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(forum_id) DO UPDATE SET text = excluded.text, source = excluded.source,
             fetched_at = excluded.fetched_at""",
        [forum_id, text, source, at.isoformat()],
    )


def repositories_due(db: sqlite_utils.Database, venue_key: str, fresh_after: datetime) -> list[tuple[str, str | None]]:
    """(url, etag) of the GitHub repositories the venue's papers link to that were never asked about, or
    last asked before `fresh_after`: never-asked first, then the longest unasked, so a run cut short by the
    rate limit is continued by the next. The etag is kept only for a stored answer (status `ok`)."""
    rows = db.execute(
        """SELECT c.url, CASE WHEN r.status = 'ok' THEN r.etag END, r.fetched_at FROM code_links c
           JOIN papers p ON p.forum_id = c.forum_id
           LEFT JOIN repositories r ON r.url = c.url
           WHERE p.venue = ? AND c.platform = 'github' AND c.kind = 'repository'
             AND (r.url IS NULL OR r.fetched_at < ?)
           GROUP BY c.url
           ORDER BY r.fetched_at IS NOT NULL, r.fetched_at, c.url""",
        [venue_key, fresh_after.isoformat()],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _repository_values(repo: Repository) -> list[Any]:
    return [
        repo.owner,
        repo.name,
        repo.stars,
        repo.forks,
        None if repo.archived is None else int(repo.archived),
        repo.license,
        repo.pushed_at.isoformat() if repo.pushed_at else None,
        repo.default_branch,
        repo.description,
    ]


def save_repository(
    db: sqlite_utils.Database,
    url: str,
    repo: Repository,
    payload: Mapping[str, Any],
    etag: str | None,
    at: datetime,
) -> None:
    """A repository GitHub answered for (status `ok`), with the answer as sent."""
    db.execute(
        """INSERT OR REPLACE INTO repositories (url, owner, name, stars, forks, archived, license, pushed_at,
             default_branch, description, status, etag, fetched_at, json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?)""",
        [url, *_repository_values(repo), etag, at.isoformat(), json.dumps(payload, ensure_ascii=False)],
    )


def save_repository_gone(db: sqlite_utils.Database, url: str, owner: str, name: str, status: str, at: datetime) -> None:
    """A repository GitHub does not show (`missing`: 404; `blocked`: 403/451): what was known of it goes."""
    db.execute(
        """INSERT OR REPLACE INTO repositories (url, owner, name, status, fetched_at) VALUES (?, ?, ?, ?, ?)""",
        [url, owner, name, status, at.isoformat()],
    )


def touch_repository(db: sqlite_utils.Database, url: str, at: datetime) -> None:
    """GitHub said 304: the stored answer is current as of `at`."""
    db.execute("UPDATE repositories SET fetched_at = ? WHERE url = ?", [at.isoformat(), url])


def rewrite_repository(db: sqlite_utils.Database, url: str, repo: Repository) -> None:
    """The columns read from a stored answer, read again (rebuild)."""
    db.execute(
        """UPDATE repositories SET owner = ?, name = ?, stars = ?, forks = ?, archived = ?, license = ?,
             pushed_at = ?, default_branch = ?, description = ? WHERE url = ?""",
        [*_repository_values(repo), url],
    )
