"""Storage failures end as DatabaseError (exit 7) with one line naming the file, and leave the database
consistent: a full disk (a real SQLITE_FULL, from `PRAGMA max_page_count`), a read-only file or folder, a
path under a file, a lock path that is a folder, corruption found mid-run.

Read-only cases: the tests run as root here, and root ignores permission bits. So the part that must be
refused runs in a forked child that drops to user `nobody` (when the test runs as root) after changing
into the test's folder; permission bits are then enforced by the kernel exactly as for a cron user.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from paperharvest.errors import DatabaseError, HarvestError
from paperharvest.normalize.notes import normalize_note
from paperharvest.store.db import open_db, run_lock, storage_errors
from paperharvest.store.save import save_page, save_venue
from paperharvest.store.schema import ensure_db_shape
from paperharvest.venues import find_venue
from tests.conftest import REPO
from tests.fakes.record_sample import load_sample_venue

VENUE = find_venue(REPO / "configs" / "venues", "iclr2020")
BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
NOBODY = 65534


def sample_pages(size: int = 10) -> list[list[dict[str, Any]]]:
    notes = load_sample_venue()[BLIND]
    return [notes[i : i + size] for i in range(0, len(notes), size)]


def save(db_path: Path, page: list[dict[str, Any]]) -> None:
    db = open_db(db_path)
    with storage_errors(db_path):
        ensure_db_shape(db)
        save_venue(db, VENUE)
        save_page(db, VENUE, BLIND, page, [normalize_note(n, VENUE) for n in page], WHEN)
    db.conn.close()


def count(db_path: Path, sql: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def as_cron_user(folder: Path, action: Callable[[], None]) -> str:
    """Run `action` in a child that cannot bypass permissions; return the error it ended with."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        try:
            os.chdir(folder)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            action()
            result = "no error"
        except HarvestError as exc:
            result = f"{type(exc).__name__}: {exc}"
        except BaseException as exc:
            result = f"UNTRANSLATED {type(exc).__name__}: {exc}"
        os.write(write, result.encode("utf-8", "replace"))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode("utf-8")
    os.waitpid(pid, 0)
    return answer


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def test_a_full_disk_keeps_the_pages_already_stored(folder: Path) -> None:
    path = folder / "full.db"
    first, *rest = sample_pages()
    save(path, first)
    db = open_db(path)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 8}")  # a few pages more: SQLite then answers SQLITE_FULL
    stored = len(first)
    with pytest.raises(DatabaseError) as caught, storage_errors(path):
        for page in rest:
            save_page(db, VENUE, BLIND, page, [normalize_note(n, VENUE) for n in page], WHEN)
            stored += len(page)
    message = str(caught.value)
    assert "\n" not in message
    assert f"the disk holding {path} is full" in message and "free some space" in message
    assert stored < sum(len(p) for p in [first, *rest])  # the limit really was hit mid-harvest
    db.conn.close()
    # Every page committed before the failure is there, whole; the failed page left nothing.
    assert count(path, "SELECT count(*) FROM papers") == count(path, "SELECT count(*) FROM raw_notes") == stored
    assert count(path, "SELECT count(*) FROM reviews WHERE forum_id NOT IN (SELECT forum_id FROM papers)") == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_corruption_found_mid_run_is_a_database_error(folder: Path) -> None:
    path = folder / "broken.db"
    first, second, *_ = sample_pages()
    save(path, first)  # closing the last connection checkpoints the WAL into the file
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'raw_notes'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:  # garble the raw_notes table's root page, as a bad sector would
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)
    db = open_db(path)  # the schema page is intact: the damage shows only when the table is read
    expected = rf"^{path} is corrupt \(.*malformed.*\); restore it from a backup"
    with pytest.raises(DatabaseError, match=expected), storage_errors(path):
        save_page(db, VENUE, BLIND, second, [normalize_note(n, VENUE) for n in second], WHEN)


def test_a_bug_is_not_reported_as_a_storage_failure(folder: Path) -> None:
    db = open_db(folder / "s.db")
    ensure_db_shape(db)
    with pytest.raises(sqlite3.IntegrityError), storage_errors(folder / "s.db"):
        db.execute("INSERT INTO reviews (review_id, forum_id, reviewer) VALUES ('x', 'no-such-paper', 'r')")


def test_a_read_only_database_file(folder: Path) -> None:
    first, second, *_ = sample_pages()
    save(folder / "ro.db", first)
    before = (folder / "ro.db").read_bytes()
    (folder / "ro.db").chmod(0o444)
    folder.chmod(0o777)  # only the file is read-only: SQLite may create its -wal and -shm
    answer = as_cron_user(folder, lambda: save(Path("ro.db"), second))
    assert answer.startswith("DatabaseError: cannot write database ro.db ("), answer
    assert "writable by this user" in answer
    assert (folder / "ro.db").read_bytes() == before


def test_a_read_only_folder(folder: Path) -> None:
    first, second, *_ = sample_pages()
    save(folder / "d.db", first)
    (folder / "d.db").chmod(0o666)  # the file itself is writable; the folder, where -wal must go, is not
    folder.chmod(0o555)
    try:
        lock = as_cron_user(folder, lambda: run_lock(Path("d.db")).__enter__())
        write = as_cron_user(folder, lambda: save(Path("d.db"), second))
    finally:
        folder.chmod(0o755)
    assert lock.startswith("DatabaseError: cannot write database d.db (Permission denied: d.db.lock)"), lock
    assert write.startswith("DatabaseError: cannot write database d.db ("), write
    assert "not a usable SQLite database" not in write  # a folder problem is not a broken file
    assert count(folder / "d.db", "SELECT count(*) FROM papers") == len(first)


def test_a_database_path_under_a_file(folder: Path) -> None:
    (folder / "plain").write_text("not a folder")
    path = folder / "plain" / "x.db"
    expected = rf"^cannot use database {path}: a part of its folder path is a file"
    with pytest.raises(DatabaseError, match=expected), run_lock(path):
        pass
    with pytest.raises(DatabaseError, match=expected):
        open_db(path)


def test_a_lock_path_that_is_a_folder(folder: Path) -> None:
    (folder / "x.db.lock").mkdir()
    with pytest.raises(DatabaseError, match=r"x\.db\.lock is a folder, not a file"), run_lock(folder / "x.db"):
        pass


def test_a_folder_that_cannot_be_created(folder: Path) -> None:
    folder.chmod(0o555)
    try:
        answer = as_cron_user(folder, lambda: open_db(Path("new") / "x.db"))
    finally:
        folder.chmod(0o755)
    assert answer.startswith("DatabaseError: cannot write database new/x.db (Permission denied: new)"), answer
