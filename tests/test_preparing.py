"""The helper process that prepares pages on the second core: what it prepares is what the store thread would,
its errors reach the writer as they would have there, a helper that dies is a one-line error and not a hang,
and a harvest through it stores exactly what one without it stores."""

from __future__ import annotations

import copy
import fcntl
import json
import os
import signal
import struct
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from paperharvest.errors import HarvestError, VenueConfigGap
from paperharvest.stages import preparing
from paperharvest.stages.preparing import Helper, parts_of, prepare_part
from paperharvest.venues import find_venue
from tests.conftest import REPO
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import DATA_TABLES, scalar, timeless_dump, wait_until
from tests.test_incremental import harvest as harvest_notes

VENUE = find_venue(REPO / "configs" / "venues", "iclr2020")
BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
STAMP = "2026-01-02T03:04:05+00:00"
SAMPLE = load_sample_venue()
HARVEST_TABLES = (*DATA_TABLES, "note_versions", "paper_versions", "review_versions", "changes", "comments")


@pytest.fixture
def helper() -> Any:
    started = Helper()
    started.begin(VENUE, None)
    assert wait_until(started.ready)
    yield started
    started.close()


def with_unknown_decision(note: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(note)
    for reply in changed["details"]["directReplies"]:
        if reply["invitation"].endswith("/Decision"):
            reply["content"]["decision"] = "Accept (Maybe)"
            return changed
    raise AssertionError("the sample note has no decision")


def test_the_helper_prepares_every_part_exactly_as_the_store_thread_does(helper: Helper) -> None:
    notes = SAMPLE[BLIND]
    parts = [notes[start : start + 7] for start in range(0, len(notes), 7)]
    start = helper.send(BLIND, parts, STAMP)
    from_helper = list(helper.answers(start, len(parts)))
    assert from_helper == [prepare_part(VENUE, BLIND, part, STAMP, None) for part in parts]
    assert sum(len(p.notes) for p in from_helper) == len(notes)


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="pipes can be widened on Linux only")
def test_the_helper_runs_parts_ahead_of_a_busy_writer(helper: Helper) -> None:
    """While the writer is busy, prepared parts wait in the pipe: more than Linux's default 64 KiB of them,
    so the helper is not held at one part ahead."""
    notes = SAMPLE[BLIND]
    parts = [notes[start : start + 6] for start in range(0, len(notes), 6)]
    start = helper.send(BLIND, parts, STAMP)

    def waiting() -> int:
        return struct.unpack("i", fcntl.ioctl(helper._proc.stdout, termios.FIONREAD, b"\0\0\0\0"))[0]

    assert wait_until(lambda: waiting() > 64 * 1024)
    assert list(helper.answers(start, len(parts))) == [prepare_part(VENUE, BLIND, p, STAMP, None) for p in parts]


def test_a_config_gap_in_the_helper_reaches_the_writer_whole_and_the_next_page_gets_its_own(helper: Helper) -> None:
    notes = SAMPLE[BLIND]
    decided = next(
        n for n in notes if any(r["invitation"].endswith("/Decision") for r in n["details"]["directReplies"])
    )
    bad_page = [[notes[0]], [with_unknown_decision(decided)], [notes[1]]]
    first = helper.send(BLIND, bad_page, STAMP)
    second = helper.send(BLIND, [[notes[2]]], STAMP)
    answers = helper.answers(first, len(bad_page))
    assert next(answers).notes[0].note_id == notes[0]["id"]
    with pytest.raises(VenueConfigGap, match="Accept \\(Maybe\\)") as raised:
        next(answers)
    assert raised.value.field == "decision" and raised.value.value == "Accept (Maybe)"
    assert any("in the helper process preparing notes" in note for note in raised.value.__notes__)
    # The page's last answer is left unread: the next page drops it and gets its own.
    assert [p.notes[0].note_id for p in helper.answers(second, 1)] == [notes[2]["id"]]


def test_pages_whose_writing_failed_leave_no_answer_to_the_next_page(helper: Helper) -> None:
    notes = SAMPLE[BLIND]
    failed_after_one = helper.send(BLIND, [[notes[0]], [notes[1]], [notes[2]]], STAMP)
    failed_before_any = helper.send(BLIND, [[notes[3]], [notes[4]]], STAMP)
    next_page = helper.send(BLIND, [[notes[5]]], STAMP)
    answers = helper.answers(failed_after_one, 3)
    assert next(answers).notes[0].note_id == notes[0]["id"]
    answers.close()  # writing its first part failed
    helper.answers(failed_before_any, 2).close()  # its transaction never began
    assert [p.notes[0].note_id for p in helper.answers(next_page, 1)] == [notes[5]["id"]]


def test_a_killed_helper_is_a_one_line_error_and_not_a_hang(helper: Helper) -> None:
    notes = SAMPLE[BLIND]
    os.kill(helper._proc.pid, signal.SIGKILL)
    start = helper.send(BLIND, parts_of(notes), STAMP)
    started = time.monotonic()
    with pytest.raises(HarvestError, match=r"helper process preparing notes stopped unexpectedly \(killed by signal 9"):
        list(helper.answers(start, len(parts_of(notes))))
    assert time.monotonic() - started < 10


def harvest(db: Path, fake_env: Any) -> None:
    harvest_notes(SAMPLE, db, fake_env, "iclr2020", "--page-size", "5")


def test_a_harvest_through_the_helper_stores_exactly_what_one_without_it_stores(
    tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as one_core:
        one_core.setattr(preparing, "spare_core", lambda: False)
        harvest(tmp_path / "alone.db", fake_env)
    # Every page waits for the helper to be ready, so that every page goes through it (on any machine).
    monkeypatch.setattr(preparing, "spare_core", lambda: True)
    ready = Helper.ready
    monkeypatch.setattr(Helper, "ready", lambda self: wait_until(lambda: ready(self)))
    harvest(tmp_path / "helped.db", fake_env)
    counts = [
        json.loads(scalar(db, "SELECT counts FROM runs")) for db in (tmp_path / "alone.db", tmp_path / "helped.db")
    ]
    papers = sum(len(notes) for notes in SAMPLE.values())
    assert [c["notes"].get("notes_prepared_in_helper", 0) for c in counts] == [0, papers]
    assert timeless_dump(tmp_path / "helped.db", HARVEST_TABLES) == timeless_dump(tmp_path / "alone.db", HARVEST_TABLES)
    assert scalar(tmp_path / "helped.db", "SELECT count(*) FROM papers") == papers


def test_a_helper_that_cannot_start_leaves_the_pages_to_the_store_thread(
    tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(preparing, "spare_core", lambda: True)
    monkeypatch.setattr(preparing.sys, "executable", "/bin/false")  # a frozen or broken interpreter
    ready = Helper.ready
    monkeypatch.setattr(Helper, "ready", lambda self: wait_until(lambda: self._proc.poll() is not None) and ready(self))
    harvest(tmp_path / "x.db", fake_env)
    assert scalar(tmp_path / "x.db", "SELECT count(*) FROM papers") == sum(len(notes) for notes in SAMPLE.values())
    assert "notes_prepared_in_helper" not in json.loads(scalar(tmp_path / "x.db", "SELECT counts FROM runs"))["notes"]
    assert "the helper process that prepares notes did not start (exit code 1); preparing them here" in (
        capsys.readouterr().err
    )
