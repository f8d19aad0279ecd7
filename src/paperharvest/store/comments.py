"""The `comments` table: each paper's discussion, replaced with the paper's other records."""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from paperharvest.models import Comment, NormalizedNote
from paperharvest.store.versions import sql_value

COLUMNS = tuple(Comment.model_fields)


def _row(comment: Comment) -> tuple[object, ...]:
    return tuple(sql_value(value) for value in comment.__dict__.values())


def save_comments(db: sqlite_utils.Database, notes: Sequence[NormalizedNote], *, replace: bool = True) -> None:
    """Replace the comments of each note's paper with the note's (none, for a note fetched without its whole
    forum). Call inside the page's transaction, after the papers are written. `replace=False` skips the
    delete, for notes known to be new."""
    if replace and notes:
        forum_ids = [note.paper.forum_id for note in notes]
        marks = ",".join("?" * len(forum_ids))
        db.execute(f"DELETE FROM comments WHERE forum_id IN ({marks})", forum_ids)
    rows = [_row(comment) for note in notes for comment in note.comments]
    if rows:
        sql = f"INSERT INTO comments ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        db.conn.executemany(sql, rows)
