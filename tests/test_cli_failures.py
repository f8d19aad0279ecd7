"""Failures as a cron user meets them through `paperharvest fetch`: a disk that fills up mid-harvest ends with
exit 7 and one line, the pages already stored stay whole, and the next healthy run ends with the database a
clean run leaves; a bug ends with exit 1 and one line, its traceback only under --verbose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from paperharvest import cli
from paperharvest.cli import main
from paperharvest.store.db import open_db
from paperharvest.store.schema import ensure_db_shape
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import DATA_TABLES, rows, scalar, timeless_dump

NOTE_TABLES = tuple(t for t in DATA_TABLES if t not in ("venues", "author_history", "author_links", "author_socials"))


def fetch(db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--page-size", "4", *extra])


def test_a_disk_that_fills_mid_harvest_exits_7_and_the_next_run_completes(
    tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    venue = load_sample_venue()
    clean, db = tmp_path / "clean.db", tmp_path / "full.db"
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert fetch(clean, "-q") == 0
        # The same harvest on a "disk" with room for the schema and about half the venue: a real SQLITE_FULL.
        schema_only = open_db(db)
        ensure_db_shape(schema_only)
        empty = schema_only.execute("PRAGMA page_count").fetchone()[0]
        schema_only.conn.close()
        room = (scalar(clean, "PRAGMA page_count") - empty) // 2

        def small_disk(path: Path, *, create: bool = True) -> sqlite_utils.Database:
            opened = open_db(path, create=create)
            opened.execute(f"PRAGMA max_page_count = {empty + room}")
            return opened

        monkeypatch.setattr(cli, "open_db", small_disk)
        capsys.readouterr()
        assert fetch(db, "-q") == 7
        err = capsys.readouterr().err
        monkeypatch.undo()
        fake_env(fake.url)
        stored = scalar(db, "SELECT count(*) FROM papers")
        assert 0 < stored < sum(len(notes) for notes in venue.values())
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"the disk holding {db} is full" in err
        assert scalar(db, "PRAGMA integrity_check") == "ok"
        assert scalar(db, "SELECT count(*) FROM reviews WHERE forum_id NOT IN (SELECT forum_id FROM papers)") == 0
        assert fetch(db, "-q") == 0
    assert timeless_dump(db, NOTE_TABLES) == timeless_dump(clean, NOTE_TABLES)
    # The run the full disk stopped is recorded as such, by itself or by the next run.
    assert [outcome for (outcome,) in rows(db, "SELECT outcome FROM runs ORDER BY run_id")][-1] == "ok"
    assert "running" not in {outcome for (outcome,) in rows(db, "SELECT outcome FROM runs")}


def test_a_bug_is_one_line_and_exit_1_with_the_traceback_only_under_verbose(
    tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(run: Any) -> dict[str, Any]:
        raise ZeroDivisionError("a bug in a stage")

    monkeypatch.setitem(cli.STAGES, "notes", broken)
    db = tmp_path / "bug.db"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        assert fetch(db, "-q") == 1
        quiet = capsys.readouterr().err
        assert fetch(db, "--verbose") == 1
        verbose = capsys.readouterr().err
    assert quiet.strip().count("\n") == 0 and "Traceback" not in quiet
    assert "internal error: ZeroDivisionError: a bug in a stage" in quiet and "--verbose" in quiet
    assert "Traceback" in verbose and "ZeroDivisionError" in verbose
    assert rows(db, "SELECT outcome FROM runs") == [("failed",), ("failed",)]
