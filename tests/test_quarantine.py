"""Bad records are quarantined, not fatal, not silent: one unreadable note in a listing goes to
`rejected_notes` with its raw payload and reason, the rest of its page is stored, the later stages still run,
and the run ends with exit 5 saying how many and where to look."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import rows, scalar

BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"


def fetch(db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes,profiles", "--quiet", *extra])


def test_unreadable_notes_are_quarantined_and_the_run_fails_with_exit_5(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    venue = copy.deepcopy(load_sample_venue())
    blind = venue[BLIND]
    surrogate, untitled, string_number = blind[0], blind[1], blind[2]
    surrogate["content"]["title"] = "Attention \ud800 is all"
    del untitled["content"]["title"]
    string_number["number"] = str(string_number["number"])
    db = tmp_path / "q.db"
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert fetch(db) == 5
        asked_profiles = fake.count("POST", "/profiles/search")
    err = capsys.readouterr().err
    assert "2 notes of iclr2020 could not be read and were quarantined" in err
    assert "rejected_notes" in err
    quarantined = dict(rows(db, "SELECT note_id, reason FROM rejected_notes"))
    assert set(quarantined) == {surrogate["id"], untitled["id"]}
    # The raw payload is kept as sent (the surrogate escaped, so it reads back identically).
    kept = scalar(db, "SELECT json FROM rejected_notes WHERE note_id = ?", surrogate["id"])
    assert json.loads(kept)["content"]["title"] == "Attention \ud800 is all"
    total = sum(len(notes) for notes in venue.values())
    assert scalar(db, "SELECT count(*) FROM papers") == total - 2
    assert scalar(db, "SELECT count(*) FROM papers WHERE forum_id IN (?, ?)", surrogate["id"], untitled["id"]) == 0
    # A number sent as a numeric string is read as the number, not dropped to NULL.
    assert rows(db, "SELECT number FROM papers WHERE forum_id = ?", string_number["id"]) == [
        (int(string_number["number"]),)
    ]
    assert asked_profiles > 0  # the later stages ran for everything that was stored
    assert rows(db, "SELECT outcome FROM runs") == [("failed",)]
    assert "quarantined" in scalar(db, "SELECT error FROM runs")

    # Once upstream fixes the notes, the next run stores them and clears their quarantine.
    fixed = copy.deepcopy(load_sample_venue())
    with FakeOpenReview(fixed) as fake:
        fake_env(fake.url)
        assert fetch(db) == 0
    assert scalar(db, "SELECT count(*) FROM rejected_notes") == 0
    assert scalar(db, "SELECT count(*) FROM papers") == total
