"""Every harvest is a version: note versions, the changes of each run, rating trajectories, first submissions
and data versions, against a venue that changes between two runs (tests/fakes/changing_venue.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from paperharvest.cli import main
from paperharvest.store.prepare import assemble, raw_json, sha256
from paperharvest.store.schema import ensure_db_shape
from paperharvest.store.versions import venue_data_version
from tests.fakes.changing_venue import ChangingVenue
from tests.helpers import rows, scalar, stored_notes, table_dump
from tests.test_incremental import harvest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_RECORDING = REPO / "data" / "sample" / "iclr2020"
HISTORY_TABLES = ("note_versions", "paper_versions", "review_versions", "changes")


@pytest.fixture(scope="module")
def changing() -> ChangingVenue:
    return ChangingVenue()


@pytest.fixture()
def two_runs(tmp_path: Path, fake_env: Any, changing: ChangingVenue) -> Path:
    db = tmp_path / "history.db"
    harvest(changing.early(), db, fake_env)
    harvest(changing.later(), db, fake_env)
    return db


def changes(db: Path, *where: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        sql = "SELECT * FROM changes" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY rowid"
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def one(found: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(found) == 1, found
    return found[0]


def test_two_harvests_leave_no_dangling_key(two_runs: Path) -> None:
    """The notes stage writes its pages with foreign keys off (store/writes.py): its writes keep them."""
    assert rows(two_runs, "PRAGMA foreign_key_check") == []


def test_the_first_harvest_is_one_added_row_per_paper(two_runs: Path) -> None:
    first = changes(two_runs, "run_id = 1")
    assert {(c["kind"], c["change"]) for c in first} == {("paper", "added")}
    assert len(first) == scalar(two_runs, "SELECT count(*) FROM papers") == 36


def test_an_edited_rating_is_a_review_edited_with_old_and_new_rating(two_runs: Path, changing: ChangingVenue) -> None:
    edited = one(changes(two_runs, "run_id = 2", f"note_id = '{changing.notes['edited']}'"))
    assert (edited["kind"], edited["change"], edited["forum_id"]) == ("review", "edited", changing.forums["edited"])
    assert edited["old_rating"] != edited["new_rating"]
    assert edited["new_rating"] == scalar(two_runs, "SELECT rating FROM reviews WHERE review_id = ?", edited["note_id"])


def test_a_new_review_is_added_and_a_taken_down_one_removed(two_runs: Path, changing: ChangingVenue) -> None:
    added = one(changes(two_runs, f"note_id = '{changing.notes['new_review']}'"))
    assert (added["change"], added["old_rating"], added["new_rating"], added["run_id"]) == ("added", None, 3, 2)
    removed = one(changes(two_runs, f"note_id = '{changing.notes['removed_review']}'"))
    assert (removed["kind"], removed["change"], removed["new_rating"], removed["at"]) == (
        "review",
        "removed",
        None,
        None,
    )
    assert removed["old_rating"] is not None
    # The review's last version is closed by the run that saw it gone, and kept.
    assert rows(two_runs, "SELECT until_run_id FROM note_versions WHERE note_id = ?", removed["note_id"]) == [(2,)]


def test_a_decision_posted_between_runs(two_runs: Path, changing: ChangingVenue) -> None:
    posted = one(changes(two_runs, "kind = 'decision'", f"forum_id = '{changing.forums['decided']}'"))
    assert (posted["change"], posted["old"], posted["note_id"]) == ("posted", None, changing.notes["decided"])
    assert posted["new"] == scalar(two_runs, "SELECT decision FROM papers WHERE forum_id = ?", posted["forum_id"])


def test_a_withdrawal(two_runs: Path, changing: ChangingVenue) -> None:
    found = changes(two_runs, "run_id = 2", f"forum_id = '{changing.forums['withdrawn']}'")
    withdrawn = one([c for c in found if c["kind"] == "paper"])
    assert (withdrawn["change"], withdrawn["new"]) == ("withdrawn", "withdrawn")
    assert withdrawn["old"] in ("accepted", "rejected")
    # Its decision went with it: said too, not silently.
    assert [c["change"] for c in found if c["kind"] == "decision"] == ["removed"]


def test_a_revised_abstract_and_the_first_version_next_to_the_latest(two_runs: Path, changing: ChangingVenue) -> None:
    forum = changing.forums["revised"]
    revised = one(changes(two_runs, "run_id = 2", f"forum_id = '{forum}'"))
    assert (revised["change"], revised["new"]) == ("abstract revised", "A revised abstract for the camera-ready.")
    first = rows(
        two_runs,
        "SELECT versions, first_run_id, first_abstract, abstract, abstract_revised, title_revised"
        " FROM paper_first_versions WHERE forum_id = ?",
        forum,
    )
    assert first == [(2, 1, revised["old"], revised["new"], 1, 0)]


def test_an_author_response_is_a_comment_added(two_runs: Path, changing: ChangingVenue) -> None:
    response = one(changes(two_runs, f"note_id = '{changing.notes['responded']}'"))
    assert (response["kind"], response["change"], response["run_id"]) == ("comment", "added", 2)
    assert response["at"] is not None


def test_nothing_else_changed(two_runs: Path, changing: ChangingVenue) -> None:
    touched = {c["forum_id"] for c in changes(two_runs, "run_id = 2")}
    assert touched == set(changing.forums.values())


def test_review_history_and_rating_trajectories(two_runs: Path, changing: ChangingVenue) -> None:
    review = changing.notes["edited"]
    history = rows(
        two_runs, "SELECT version, rating, first_run_id, until_run_id FROM review_history WHERE review_id = ?", review
    )
    edit = one(changes(two_runs, f"note_id = '{review}'"))
    assert history == [(1, edit["old_rating"], 1, 2), (2, edit["new_rating"], 2, None)]
    forum = changing.forums["edited"]
    ratings = [r for (r,) in rows(two_runs, "SELECT rating FROM reviews WHERE forum_id = ?", forum)]
    before = [edit["old_rating"] if r == edit["new_rating"] else r for r in ratings]
    trajectory = rows(
        two_runs,
        "SELECT mean_rating_first, mean_rating_before_decision, mean_rating_now, ratings_now"
        " FROM paper_rating_history WHERE forum_id = ?",
        forum,
    )
    # The rating was edited in the rebuttal, before the decision: "before/after rebuttal" is first/before.
    edited_at, decided_at = rows(
        two_runs,
        "SELECT r.modified_at, d.created_at FROM reviews r JOIN decisions d USING (forum_id) WHERE review_id = ?",
        review,
    )[0]
    assert edited_at < decided_at
    mean_first, mean_now = round(sum(before) / len(before), 2), round(sum(ratings) / len(ratings), 2)
    assert mean_first != mean_now
    assert trajectory == [(mean_first, mean_now, mean_now, len(ratings))]


def test_versions_put_every_stored_raw_note_back_together_byte_for_byte(
    two_runs: Path, changing: ChangingVenue
) -> None:
    conn = sqlite3.connect(two_runs)
    try:
        parts: dict[str, list[tuple[str, str, str]]] = {}
        for parent, note, kind, text in conn.execute(
            "SELECT parent_id, note_id, kind, json FROM note_versions WHERE until_run_id IS NULL"
        ):
            parts.setdefault(parent, []).append((note, kind, text))
        hashes = dict(conn.execute("SELECT note_id, sha256 FROM raw_notes").fetchall())
        # Each note's text is kept once, in its versions.
        assert conn.execute("SELECT count(*) FROM raw_notes WHERE json IS NOT NULL").fetchone()[0] == 0
    finally:
        conn.close()
    assert parts.keys() == hashes.keys()
    served = {n["id"]: n for notes in changing.later().values() for n in notes}
    for parent, found in parts.items():
        top = next(t for n, k, t in found if n == parent and k == "submission")
        layout = next((t for _, k, t in found if k == "details"), None)
        replies = {n: t for n, k, t in found if k not in ("submission", "details")}
        # The hash of the note as it came off the wire, taken before it was split.
        assert sha256(raw_json(assemble(top, layout, replies))) == hashes[parent]
    # And what the store gives back is what the fake served (which adds `details` as the API does).
    for note_id, note in stored_notes(two_runs, "iclr2020").items():
        assert note["content"] == served[note_id]["content"]
        kept = {r["id"]: r for r in note["details"]["replies"]}  # the config asks for the whole forum
        direct = served[note_id]["details"]["directReplies"]
        assert [kept.get(r["id"]) for r in direct] == direct


def file_bytes(db: Path) -> int:
    """The database file's size once the WAL is written back into it."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # not busy: all written back
    finally:
        conn.close()
    return db.stat().st_size


def test_an_unchanged_rerun_writes_no_version_and_the_file_does_not_grow(
    two_runs: Path, fake_env: Any, changing: ChangingVenue, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {t: scalar(two_runs, f"SELECT count(*) FROM {t}") for t in HISTORY_TABLES}
    size = file_bytes(two_runs)
    version = scalar(two_runs, "SELECT data_version FROM runs WHERE run_id = 2")
    harvest(changing.later(), two_runs, fake_env)
    after = {t: scalar(two_runs, f"SELECT count(*) FROM {t}") for t in HISTORY_TABLES}
    grown = file_bytes(two_runs) - size
    with capsys.disabled():
        print(f"\nunchanged re-run: {size} -> {size + grown} bytes ({grown:+d}); history rows {before} -> {after}")
    assert after == before
    assert scalar(two_runs, "SELECT data_version FROM runs WHERE run_id = 3") == version
    counts = json.loads(scalar(two_runs, "SELECT counts FROM runs WHERE run_id = 3"))
    assert counts["history"] == {"versions_written": 0, "versions_closed": 0, "changes": 0}
    # All it adds is its own record, one `runs` row (options, counts: about 2 kB), whatever the venue's size.
    record = scalar(two_runs, "SELECT length(options) + length(counts) + length(versions) FROM runs WHERE run_id = 3")
    page = scalar(two_runs, "PRAGMA page_size")
    assert grown <= page * (1 + -(-record // page))


def test_the_data_version_moves_with_the_notes(two_runs: Path) -> None:
    first, second = (scalar(two_runs, "SELECT data_version FROM runs WHERE run_id = ?", r) for r in (1, 2))
    assert first and second and first != second and len(first) == 12


def replay(db: Path) -> int:
    code = main(
        ["fetch", "--venue", "iclr2020", "--db", str(db), "--replay", str(SAMPLE_RECORDING), "--stages", "notes"]
    )
    return code


def test_two_replays_of_one_recording_give_the_same_data_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(tmp_path / "a.db") == 0
    assert replay(tmp_path / "b.db") == 0
    versions = [scalar(tmp_path / f"{x}.db", "SELECT data_version FROM runs") for x in "ab"]
    assert versions[0] is not None and versions[0] == versions[1]
    # ... printed at the end of each run
    assert capsys.readouterr().err.count(f"iclr2020 data version {versions[0]} (run 1)") == 2
    assert replay(tmp_path / "a.db") == 0
    assert scalar(tmp_path / "a.db", "SELECT data_version FROM runs WHERE run_id = 2") == versions[0]


def test_status_shows_the_data_version(two_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--db", str(two_runs)]) == 0
    out = capsys.readouterr().out
    assert str(scalar(two_runs, "SELECT data_version FROM runs WHERE run_id = 2")) in out.split("recent runs:")[0]
    assert str(scalar(two_runs, "SELECT data_version FROM runs WHERE run_id = 1")) in out.split("recent runs:")[1]


def test_the_changes_command(two_runs: Path, changing: ChangingVenue, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["changes", "--venue", "iclr2020", "--db", str(two_runs), "--since", "1", "--format", "jsonl"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed == changes(two_runs, "run_id >= 2")
    assert (
        main(["changes", "--venue", "iclr2020", "--db", str(two_runs), "--kind", "review", "--change", "edited"]) == 0
    )
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["run_id", "kind", "change"]
    assert len(table) == 2 and changing.notes["edited"] in table[1]
    started = scalar(two_runs, "SELECT started_at FROM runs WHERE run_id = 2")
    assert main(["changes", "--venue", "iclr2020", "--db", str(two_runs), "--since", started, "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(listed)
    assert main(["changes", "--venue", "iclr2020", "--db", str(two_runs), "--since", "yesterday"]) == 2


def history_dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return table_dump(db, HISTORY_TABLES)


def test_rebuild_derives_the_same_history_from_the_versions(two_runs: Path) -> None:
    expected = history_dump(two_runs)
    conn = sqlite3.connect(two_runs)
    with conn:
        for table in ("changes", "paper_versions", "review_versions"):
            conn.execute(f"DELETE FROM {table}")
    conn.close()
    assert main(["rebuild", "--db", str(two_runs), "--venue", "iclr2020"]) == 0
    assert history_dump(two_runs) == expected


def as_before_versions(db: Path) -> None:
    """The database as a paperharvest from before versions were kept left it: no history, each raw note's
    text in its row."""
    texts = {note_id: raw_json(note) for note_id, note in stored_notes(db, "iclr2020").items()}
    conn = sqlite3.connect(db)
    with conn:
        for table in HISTORY_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.executemany("UPDATE raw_notes SET json = ? WHERE note_id = ?", [(t, i) for i, t in texts.items()])
    conn.close()


def test_a_database_from_before_versions_gets_them(two_runs: Path, tmp_path: Path) -> None:
    """Versions of a database harvested before they were kept are made from its raw notes."""
    current = scalar(two_runs, "SELECT data_version FROM runs WHERE run_id = 2")
    notes = stored_notes(two_runs, "iclr2020")
    as_before_versions(two_runs)
    assert stored_notes(two_runs, "iclr2020") == notes  # read from the rows' own texts
    assert main(["rebuild", "--db", str(two_runs)]) == 0
    assert rows(two_runs, "SELECT DISTINCT first_run_id FROM note_versions") == [(2,)]  # seen by run 2
    assert rows(two_runs, "SELECT count(*), min(change) FROM changes") == [(36, "added")]
    assert scalar(two_runs, "SELECT count(*) FROM review_versions") == scalar(two_runs, "SELECT count(*) FROM reviews")
    assert scalar(two_runs, "SELECT count(*) FROM paper_versions") == 36
    db = sqlite_utils.Database(two_runs)
    assert venue_data_version(db, "iclr2020") == current
    db.close()
    # Versioned now, the texts are kept there only, and give the same notes back.
    assert scalar(two_runs, "SELECT count(*) FROM raw_notes WHERE json IS NOT NULL") == 0
    assert stored_notes(two_runs, "iclr2020") == notes


def test_a_version_10_database_keeps_each_text_once_and_every_note(two_runs: Path) -> None:
    """Schema 11 keeps a note's text in its versions only: the migration drops the copy in raw_notes where the
    versions give it back exactly, and keeps it where they do not (a note with no versions, one whose versions
    were altered)."""
    notes = stored_notes(two_runs, "iclr2020")
    texts = {note_id: raw_json(note) for note_id, note in notes.items()}
    unversioned, altered = sorted(texts)[:2]
    conn = sqlite3.connect(two_runs)
    with conn:
        # As paperharvest 10 left it: raw_notes.json NOT NULL and filled, and no submission_notes view.
        conn.execute("DROP VIEW submission_notes")
        conn.execute("ALTER TABLE raw_notes RENAME TO raw_notes_new")
        conn.execute(
            "CREATE TABLE raw_notes (note_id TEXT PRIMARY KEY, venue TEXT NOT NULL REFERENCES venues(key),"
            " invitation TEXT NOT NULL, api_version INTEGER, tmdate INTEGER, sha256 TEXT NOT NULL,"
            " fetched_at TEXT NOT NULL, json TEXT NOT NULL, inputs_sha256 TEXT)"
        )
        conn.execute(
            "INSERT INTO raw_notes SELECT note_id, venue, invitation, api_version, tmdate, sha256, fetched_at, '',"
            " inputs_sha256 FROM raw_notes_new ORDER BY rowid"
        )
        conn.execute("DROP TABLE raw_notes_new")
        conn.executemany("UPDATE raw_notes SET json = ? WHERE note_id = ?", [(t, i) for i, t in texts.items()])
        conn.execute("DELETE FROM note_versions WHERE parent_id = ?", [unversioned])
        conn.execute(
            "UPDATE note_versions SET json = json_set(json, '$.number', -1)"
            " WHERE note_id = ? AND kind = 'submission' AND until_run_id IS NULL",
            [altered],
        )
        conn.execute("PRAGMA user_version = 10")
    order = rows(two_runs, "SELECT note_id FROM raw_notes ORDER BY rowid")
    conn.close()
    db = sqlite_utils.Database(two_runs)
    ensure_db_shape(db)
    db.close()
    kept = rows(two_runs, "SELECT note_id FROM raw_notes WHERE json IS NOT NULL ORDER BY note_id")
    assert kept == [(unversioned,), (altered,)]
    assert rows(two_runs, "SELECT note_id FROM raw_notes ORDER BY rowid") == order
    assert stored_notes(two_runs, "iclr2020") == notes
    papers = dict(rows(two_runs, "SELECT forum_id, json FROM submission_notes"))
    assert papers.keys() == notes.keys()
    for forum_id, note in notes.items():
        # The note without its replies: its versions' copy, or the text kept where they do not give it back.
        read = json.loads(papers[forum_id])
        assert {k: v for k, v in read.items() if k != "details"} == {k: v for k, v in note.items() if k != "details"}


def test_a_misspelt_changes_filter_is_a_usage_error(two_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from paperharvest.store.versions import CHANGE_KINDS, CHANGE_WORDS

    # Every word the runs wrote is one the filter accepts, so the check refuses only real typos.
    assert {k for (k,) in rows(two_runs, "SELECT DISTINCT kind FROM changes")} <= set(CHANGE_KINDS)
    assert {c for (c,) in rows(two_runs, "SELECT DISTINCT change FROM changes")} <= set(CHANGE_WORDS)
    capsys.readouterr()
    assert main(["changes", "--venue", "iclr2020", "--db", str(two_runs), "--kind", "reviews"]) == 2
    assert "--kind: unknown 'reviews'" in capsys.readouterr().err
    assert main(["changes", "--venue", "iclr2020", "--db", str(two_runs), "--change", "edit"]) == 2
