"""write_rows: how the store inserts many rows at once, the notes stage's hot path; and the foreign-key
switch its page transactions are written under."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import sqlite_utils

_ROWS_PER_STATEMENT = 500


def write_rows(
    db: sqlite_utils.Database,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    pk: str | None = None,
    on_conflict: str = "",
) -> None:
    """INSERT many rows, a few hundred per statement: with `pk`, an upsert of every other column; or with
    `on_conflict` (`ON CONFLICT ...` SQL) another conflict rule.

    It skips sqlite-utils' insert_all, whose per-value type sniffing was most of the store time (measured
    with `make bench`): every row here already has every column in the right type. Rows go in multi-row
    VALUES rather than an executemany of one row each: FTS5 (papers_fts, kept by triggers) flushes its index
    at the end of every statement, which made one statement per paper cost twice as much, and the rest
    costs less per row too.
    """
    if not rows:
        return
    width = len(columns)
    if width == 0 or (pk is not None and on_conflict):
        raise ValueError(f"write_rows({table!r}): no columns, or both pk and on_conflict")
    # A short row beside a long one would shift every value after it into the wrong column, silently.
    if any(len(row) != width for row in rows):
        raise ValueError(f"write_rows({table!r}): a row without exactly {width} values")
    # Inside a transaction, a failing statement ends its whole block (every caller lets the error roll the
    # transaction back), so it need not undo its own rows first: OR FAIL, which, with foreign keys off
    # (unchecked_foreign_keys), spares SQLite a statement journal per statement.
    verb = "INSERT OR FAIL" if db.conn.in_transaction else "INSERT"
    one = "(" + ", ".join("?" * width) + ")"
    if pk is not None:
        others = [f"{c} = excluded.{c}" for c in columns if c != pk]
        on_conflict = f"ON CONFLICT({pk}) " + ("DO UPDATE SET " + ", ".join(others) if others else "DO NOTHING")
    per_statement = max(1, min(_ROWS_PER_STATEMENT, _variable_limit(db) // width))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        db.conn.execute(
            f"{verb} INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(chunk))} {on_conflict}",
            [value for row in chunk for value in row],
        )


def _variable_limit(db: sqlite_utils.Database) -> int:
    """How many ? one statement may hold (32,766 in SQLite since 3.32; 999 before)."""
    return db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


@contextlib.contextmanager
def unchecked_foreign_keys(db: sqlite_utils.Database) -> Iterator[None]:
    """Foreign keys off for the transaction inside (a page of notes), on again after, whatever happens.

    With them on, SQLite journals every multi-row statement so that it can undo it alone: 12% of a page's SQL
    time (measured with `make bench`). The page's writes keep the keys themselves: a paper's rows are written
    with it, its old children and derived rows are deleted by name, not by cascade; a test checks
    `PRAGMA foreign_key_check` after harvests. Inside an open transaction the switch cannot change (SQLite
    ignores it there), so the keys stay as they are.
    """
    if db.conn.in_transaction:
        yield
        return
    was_on = bool(db.execute("PRAGMA foreign_keys").fetchone()[0])
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if was_on:
            db.execute("PRAGMA foreign_keys = ON")
