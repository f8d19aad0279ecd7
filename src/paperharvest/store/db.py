"""Opening the database: busy timeout, foreign keys, WAL, a clear error for a file that is not SQLite,
and the lock that keeps two runs from writing at once."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from paperharvest.errors import DatabaseError, DatabaseLocked

BUSY_TIMEOUT_SECONDS = 30.0


def open_db(path: Path, *, create: bool = True) -> sqlite_utils.Database:
    """A sqlite-utils Database on `path`, checked to be a readable SQLite file."""
    if not create and not path.exists():
        raise DatabaseError(f"no database at {path} (run `paperharvest fetch` first, or pass --db)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL still never corrupts the file; a power cut can at worst lose the last committed
        # page, which the next run fetches again.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Reading the schema is what fails on a file that is not a database, before anything is written.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc}); it was left untouched") from None
    except OSError as exc:
        raise DatabaseError(f"cannot open database {path}: {exc.strerror}") from None
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """Held for a whole writing run; a second run fails at once instead of waiting or interleaving."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise DatabaseLocked(
                f"another paperharvest run (pid {holder}) is writing {db_path}; this run exits without changes"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)
