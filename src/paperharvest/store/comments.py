"""The `comments` table: each paper's discussion, replaced with the paper's other records."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlite_utils

from paperharvest.models import Comment, NormalizedNote

COLUMNS = tuple(Comment.model_fields)


def _row(comment: Comment) -> tuple[object, ...]:
    return (
        comment.comment_id,
        comment.forum_id,
        comment.replyto,
        comment.invitation,
        comment.kind,
        comment.role,
        comment.signer,
        comment.title,
        comment.text,
        json.dumps(comment.signatures, ensure_ascii=False),
        comment.created_at.isoformat() if comment.created_at else None,
        comment.modified_at.isoformat() if comment.modified_at else None,
    )


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
