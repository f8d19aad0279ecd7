"""What a run does when OpenReview, the database or the user's setup misbehaves: a clear message, the
documented exit code, and nothing lost or half-written. Uses the small hand-written sample venue."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from tests.fakes.openreview_v1 import (
    TEST_PASSWORD,
    TEST_USER,
    FakeOpenReview,
    dropped_connection,
    html_page,
    not_json,
    rate_limited,
    server_error,
    stall,
)
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import scalar, table_dump

SAMPLE_PAPERS = sum(len(notes) for notes in load_sample_venue().values())


def fetch(db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet", *extra])


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "ph.db"


@pytest.mark.parametrize("gate", ["json", "html"])
def test_guest_gate_without_credentials_says_to_log_in_and_stores_nothing(
    gate: str, db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue(), guest_gate=gate) as fake:
        fake_env(fake.url)
        assert fetch(db) == 3
    err = capsys.readouterr().err
    assert "OPENREVIEW_USERNAME" in err
    assert scalar(db, "SELECT count(*) FROM papers") == 0
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_login_passes_the_gate_and_the_secret_goes_nowhere(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake:
        fake_env(fake.url, OPENREVIEW_USERNAME=TEST_USER, OPENREVIEW_PASSWORD=TEST_PASSWORD)
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--verbose"]) == 0
        token = next(iter(fake.issued_tokens()))
        assert fake.count("POST", "/login") == 1
        assert all(r.authenticated for r in fake.requests if r.path == "/notes")
    out = capsys.readouterr()
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS
    dump = repr(table_dump(db)) + repr(table_dump(db, ("runs",)))
    for secret in (TEST_PASSWORD, token, TEST_USER):
        assert secret not in out.out + out.err
        assert secret not in dump


def test_wrong_password_is_an_auth_error_without_the_password(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake:
        fake_env(fake.url, OPENREVIEW_USERNAME=TEST_USER, OPENREVIEW_PASSWORD="hunter2-wrong")
        assert fetch(db) == 3
    err = capsys.readouterr().err
    assert "refused the login" in err and "hunter2-wrong" not in err


def test_credentials_file_must_be_private(db: Path, tmp_path: Path, fake_env: Any) -> None:
    creds = tmp_path / "openreview.env"
    creds.write_text(f"OPENREVIEW_USERNAME={TEST_USER}\nOPENREVIEW_PASSWORD={TEST_PASSWORD}\n")
    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake:
        fake_env(fake.url)
        creds.chmod(0o644)
        assert fetch(db, "--credentials-file", str(creds)) == 2
        creds.chmod(0o600)
        assert fetch(db, "--credentials-file", str(creds)) == 0
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS


def test_rate_limit_with_retry_after_is_waited_out(db: Path, fake_env: Any) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        fake.inject(rate_limited(retry_after=0, times=2))
        assert fetch(db) == 0
        assert fake.count("GET", "/notes") == 3 + 2
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS


def test_retry_after_beyond_the_cap_gives_up_at_once(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_MAX_RETRY_AFTER="30")
        fake.inject(rate_limited(retry_after=3600))
        started = time.monotonic()
        assert fetch(db) == 4
        assert time.monotonic() - started < 20  # a guard against sleeping an hour, not a speed assertion
        assert fake.count("GET", "/notes") == 1
    assert "3600" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (server_error(503, times=None), "HTTP 503 after 3 attempts"),
        (server_error(500, times=None), "HTTP 500 after 3 attempts"),
        (dropped_connection(times=None), "cannot connect"),
    ],
)
def test_persistent_upstream_failure_is_retried_then_reported(
    fault: Any, message: str, db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_MAX_RETRIES="2")
        fake.inject(fault)
        assert fetch(db) == 4
        assert fake.count("GET", "/notes") == 3
    assert message in capsys.readouterr().err
    assert scalar(db, "SELECT count(*) FROM papers") == 0
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_a_stalled_answer_times_out(db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_TIMEOUT="0.3", PAPERHARVEST_MAX_RETRIES="1")
        fake.inject(stall(5, times=None))
        assert fetch(db) == 4
    assert "no answer within" in capsys.readouterr().err


def test_one_slow_answer_is_retried_and_the_run_completes(db: Path, fake_env: Any) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_TIMEOUT="0.3")
        fake.inject(stall(2))
        assert fetch(db) == 0
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS


def test_run_deadline_stops_retries(db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_BACKOFF="5", PAPERHARVEST_DEADLINE="2")
        fake.inject(server_error(503, times=None))
        assert fetch(db) == 4
        assert fake.count("GET", "/notes") == 1
    assert "deadline" in capsys.readouterr().err


@pytest.mark.parametrize("fault", [html_page(), not_json()])
def test_html_or_non_json_answers_are_never_read_as_no_papers(
    fault: Any, db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        fake.inject(fault)
        code = fetch(db)
    assert code in (3, 5)  # a challenge page is a login problem, any other HTML a data problem
    assert scalar(db, "SELECT count(*) FROM papers") == 0
    assert capsys.readouterr().err.startswith("paperharvest: error: OpenReview answered")


def test_an_empty_main_listing_is_an_error_not_an_empty_venue(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    withdrawn = "ICLR.cc/2020/Conference/-/Withdrawn_Submission"
    with FakeOpenReview({withdrawn: load_sample_venue()[withdrawn]}) as fake:
        fake_env(fake.url)
        assert fetch(db) == 5
    assert "listed no notes for ICLR.cc/2020/Conference/-/Blind_Submission" in capsys.readouterr().err
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_a_venue_unknown_to_the_api_host_is_an_error(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview({}) as fake:
        fake_env(fake.url)
        assert fetch(db) == 5
    assert "no group ICLR.cc/2020/Conference" in capsys.readouterr().err
    assert scalar(db, "SELECT count(*) FROM papers") == 0


def test_a_second_run_on_a_locked_database_exits_at_once(db: Path, fake_env: Any) -> None:
    lock = db.with_name(db.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with FakeOpenReview(load_sample_venue()) as fake:
            fake_env(fake.url)
            assert fetch(db) == 6
            assert fake.requests == []
    finally:
        os.close(fd)
    assert not db.exists()


def test_a_corrupt_database_is_refused_and_left_untouched(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = b"this is not sqlite\x00" * 500
    db.write_bytes(garbage)
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        assert fetch(db) == 7
        assert fake.requests == []
    assert db.read_bytes() == garbage
    assert "not a usable SQLite database" in capsys.readouterr().err


def test_fetch_prints_nothing_on_stdout_and_nothing_at_all_when_quiet(
    db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        fake.inject(rate_limited(retry_after=0))
        assert fetch(db) == 0
        out = capsys.readouterr()
        assert (out.out, out.err) == ("", "")
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes"]) == 0
        out = capsys.readouterr()
        assert out.out == ""
        assert "papers added" in out.err


def test_unknown_venue_and_bad_stage_are_usage_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--venue", "neurips1987", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "unknown venue 'neurips1987'" in err
    assert "iclr2020" in err.split("known venues:", 1)[1]
    assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes,telepathy"]) == 2
    assert "telepathy" in capsys.readouterr().err


def test_a_token_passes_the_gate_without_a_login(db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import requests

    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake:
        token = requests.post(f"{fake.url}/login", json={"id": TEST_USER, "password": TEST_PASSWORD}, timeout=5).json()[
            "token"
        ]
        fake_env(fake.url, OPENREVIEW_TOKEN=token)
        assert fetch(db) == 0
        assert fake.count("POST", "/login") == 1  # only the test's own
        assert all(r.authenticated for r in fake.requests if r.path == "/notes")
    out = capsys.readouterr()
    assert token not in out.out + out.err
    assert token not in repr(table_dump(db)) + repr(table_dump(db, ("runs",)))
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS
