"""Opening the database: busy timeout, foreign keys, WAL; the lock that keeps two runs from writing at once;
and the one translator of storage failures (disk full, read-only, corrupt, ...) into DatabaseError."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from paperharvest.errors import DatabaseError, DatabaseLocked, HarvestError

BUSY_TIMEOUT_SECONDS = 30.0
CACHE_KIB = 8 * 1024

# SQLite primary result codes that mean the storage failed, not the SQL (a constraint or a typo is a bug and
# keeps its traceback). Extended codes (SQLITE_IOERR_WRITE, ...) carry their primary code in the low byte.
_FULL = {sqlite3.SQLITE_FULL}
_READ_ONLY = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN}
_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_IO = {sqlite3.SQLITE_IOERR}
_STORAGE_CODES = _FULL | _READ_ONLY | _CORRUPT | _BUSY | _IO


def _folder_hint(path: Path) -> str:
    return (
        f"make {path} and its folder writable by this user (SQLite writes {path.name}-wal, {path.name}-shm "
        f"and paperharvest {path.name}.lock beside it)"
    )


def _sqlite_primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_storage_failure(exc: sqlite3.Error) -> bool:
    """Whether `exc` is the storage failing (the disk, the file, the folder), rather than a bug."""
    return _sqlite_primary_code(exc) in _STORAGE_CODES


def as_database_error(exc: sqlite3.Error | OSError, path: Path) -> HarvestError:
    """The one-line error, naming the file and what to do, for a storage failure on the database at `path`.

    "database is locked" after the busy timeout is another program (a sqlite3 shell, a notebook holding a
    write transaction) and clears by itself: DatabaseLocked, so cron's next run simply tries again.
    """
    kept = "pages stored before it are kept; the next run resumes"
    if isinstance(exc, sqlite3.Error):
        code, what = _sqlite_primary_code(exc), str(exc)
    else:
        code, what = None, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    errno_ = exc.errno if isinstance(exc, OSError) else None
    if code in _BUSY:
        return DatabaseLocked(
            f"another program held a write lock on {path} for over {BUSY_TIMEOUT_SECONDS:.0f} s ({what}); "
            f"close it and run again; {kept}"
        )
    if code in _FULL or errno_ in (errno.ENOSPC, errno.EDQUOT):
        return DatabaseError(f"the disk holding {path} is full ({what}); free some space and run again; {kept}")
    if code in _CORRUPT:
        return DatabaseError(
            f"{path} is corrupt ({what}); restore it from a backup, or try `sqlite3 {path} .recover`, then run again"
        )
    if errno_ in (errno.ENOTDIR, errno.EEXIST):
        return DatabaseError(f"cannot use database {path}: a part of its folder path is a file ({what})")
    if errno_ == errno.EISDIR:
        return DatabaseError(f"cannot use database {path}: {what} is a folder, not a file")
    if code in _READ_ONLY or errno_ in (errno.EACCES, errno.EPERM, errno.EROFS):
        return DatabaseError(f"cannot write database {path} ({what}); {_folder_hint(path)}")
    return DatabaseError(f"cannot read or write database {path} ({what}); check the disk and the file")


@contextlib.contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn a storage failure raised inside the block into DatabaseError (or DatabaseLocked); anything else,
    bugs such as a constraint violation included, passes through unchanged.

    Only SQLite's errors are caught: an OSError from the network (requests' errors are OSErrors) is not the
    database failing. open_db and run_lock translate their own file-system errors.
    """
    try:
        yield
    except sqlite3.Error as exc:
        if not is_storage_failure(exc):
            raise
        raise as_database_error(exc, path) from exc


def open_db(path: Path, *, create: bool = True) -> sqlite_utils.Database:
    """A sqlite-utils Database on `path`, checked to be a readable SQLite file."""
    if not create and not path.exists():
        raise DatabaseError(f"no database at {path} (run `paperharvest fetch` first, or pass --db)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The notes stage stores a page on a worker thread while the next is fetched: one thread at a time.
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL still never corrupts the file; a power cut can at worst lose the last committed
        # page, which the next run fetches again.
        conn.execute("PRAGMA synchronous = NORMAL")
        # A page's transaction touches the leaves of a dozen tables and their indexes; in SQLite's default
        # 2 MB page cache they were evicted and read back within the page, a fifth of the notes stage's SQL
        # time. 8 MiB was as fast as 32 MiB, which cost 120 MB more peak memory at ICLR 2026's size (SQLite's
        # own high-water mark grows about four times the cache; measured with `make bench`).
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        # Reading the schema is what fails on a file that is not a database, before anything is written.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        if _sqlite_primary_code(exc) in _CORRUPT:
            raise DatabaseError(f"{path} is not a usable SQLite database ({exc}); it was left untouched") from None
        if not is_storage_failure(exc):
            raise
        raise as_database_error(exc, path) from None
    except OSError as exc:
        raise as_database_error(exc, path) from None
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """Held for a whole writing run; a second run fails at once instead of waiting or interleaving."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise as_database_error(exc, db_path) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise DatabaseLocked(
                f"another paperharvest run (pid {holder}) is writing {db_path}; this run exits without changes"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        except OSError as exc:
            raise as_database_error(exc, db_path) from None
        yield
    finally:
        os.close(fd)


def database_path(db: sqlite_utils.Database) -> Path:
    """The file the connection writes (its `main` database)."""
    return Path(next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"))


class BackgroundCheckpoints:
    """Copies committed pages from the WAL into the database file on a thread and connection of their own,
    while the writer goes on with its next page.

    SQLite otherwise checkpoints inside the COMMIT of the page that fills the WAL, on the writer's own time:
    a fifth of a venue's store time (measured with `make bench`). A checkpoint runs in SQLite's C code, which
    releases the GIL, so it takes the other core. PASSIVE checkpoints never wait for a lock and never block
    the writer or a reader. A checkpoint that fails (the disk full, say) loses nothing, as the pages are safe
    in the WAL; it is raised when the block ends, unless something else is raised. On leaving, SQLite's own
    checkpoints are back on and the rest of the WAL is copied.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self._path = database_path(db)
        self._wanted = threading.Event()
        self._stopping = False
        self._failure: Exception | None = None
        self._own_every = 1000
        self._thread = threading.Thread(target=self._copy_while_wanted, name="paperharvest-checkpoint", daemon=True)

    def request(self) -> None:
        """A page was committed: copy it when the thread is free. A checkpoint that failed is raised here,
        on the writer's thread, rather than let the WAL grow for the rest of the stage."""
        if self._failure is not None:
            with storage_errors(self._path):
                raise self._failure
        self._wanted.set()

    def _copy_while_wanted(self) -> None:
        try:
            conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            try:
                while True:
                    self._wanted.wait()
                    self._wanted.clear()
                    if self._stopping:
                        return
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                conn.close()
        except Exception as exc:  # said on the writer's thread by request() or the block's end
            self._failure = exc

    def __enter__(self) -> BackgroundCheckpoints:
        self._own_every = int(self._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        self._db.execute("PRAGMA wal_autocheckpoint = 0")
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join()
        try:
            with storage_errors(self._path):
                self._db.execute(f"PRAGMA wal_autocheckpoint = {self._own_every}")
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if self._failure is not None:
                    raise self._failure
        except (HarvestError, sqlite3.Error):
            if error is None:
                raise
            # Whatever ended the block (a signal, the disk filling) is what the run reports.
