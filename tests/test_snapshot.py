"""`paperharvest snapshot`: a venue exactly as an earlier run left it, rebuilt from the stored versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paperharvest.cli import main
from tests.fakes.changing_venue import ChangingVenue
from tests.helpers import DATA_TABLES, copy_db, rows, scalar, timeless_dump
from tests.test_e2e_iclr2018 import venue_2018_before_one_decision
from tests.test_history import HISTORY_TABLES
from tests.test_incremental import harvest

# What a notes-only run leaves, its history and its record included.
TABLES = (*(t for t in DATA_TABLES if t not in ("author_history", "author_links", "author_socials")), "comments")
TABLES = (*TABLES, *HISTORY_TABLES, "runs")


def snapshot(db: Path, as_of: str, out: Path) -> int:
    return main(["snapshot", "--venue", "iclr2020", "--db", str(db), "--as-of", as_of, "--out", str(out), "--quiet"])


def test_a_snapshot_as_of_an_early_run_equals_the_database_that_run_left(tmp_path: Path, fake_env: Any) -> None:
    changing = ChangingVenue()
    db = tmp_path / "live.db"
    harvest(changing.early(), db, fake_env)
    left = copy_db(db, tmp_path / "after-run-1.db")
    harvest(changing.later(), db, fake_env)
    assert timeless_dump(db, TABLES) != timeless_dump(left, TABLES)

    out = tmp_path / "as-of-1.db"
    assert snapshot(db, "1", out) == 0
    assert timeless_dump(out, TABLES) == timeless_dump(left, TABLES)
    assert scalar(out, "SELECT data_version FROM runs WHERE run_id = 1") == scalar(
        db, "SELECT data_version FROM runs WHERE run_id = 1"
    )

    # As of the last run (by its start time), a snapshot is the venue as it is now.
    latest = tmp_path / "now.db"
    assert snapshot(db, scalar(db, "SELECT started_at FROM runs WHERE run_id = 2"), latest) == 0
    assert timeless_dump(latest, TABLES) == timeless_dump(db, TABLES)
    assert rows(latest, "SELECT count(*) FROM papers WHERE status = 'withdrawn'") == rows(
        db, "SELECT count(*) FROM papers WHERE status = 'withdrawn'"
    )


def test_a_snapshot_never_overwrites_and_needs_a_run_that_exists(tmp_path: Path, fake_env: Any) -> None:
    db = tmp_path / "live.db"
    harvest(ChangingVenue().early(), db, fake_env)
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"mine")
    assert snapshot(db, "1", taken) == 2
    assert taken.read_bytes() == b"mine"
    assert snapshot(db, "7", tmp_path / "x.db") == 2
    assert snapshot(db, "2001-01-01", tmp_path / "y.db") == 2
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "y.db").exists()


def test_a_snapshot_of_a_venue_with_venue_wide_decisions(tmp_path: Path, fake_env: Any) -> None:
    """ICLR 2018: the decisions are notes of their own, stored alone, and a decision posted later is read with
    its paper only from then on."""
    early, venue, expected, late = venue_2018_before_one_decision()
    db = tmp_path / "2018.db"
    harvest(early, db, fake_env, "iclr2018")
    left = copy_db(db, tmp_path / "after-run-1.db")
    harvest(venue, db, fake_env, "iclr2018")
    posted = rows(db, "SELECT kind, change, new FROM changes WHERE run_id = 2")
    assert posted == [("decision", "posted", expected[late])]
    out = tmp_path / "as-of-1.db"
    assert main(["snapshot", "--venue", "iclr2018", "--db", str(db), "--as-of", "1", "--out", str(out)]) == 0
    assert timeless_dump(out, TABLES) == timeless_dump(left, TABLES)
    assert rows(out, "SELECT decision FROM papers WHERE forum_id = ?", late) == [(None,)]
