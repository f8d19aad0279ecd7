"""--record / --replay: a pinned harvest replays with no network into the same database, and the bundled
sample (what `make demo` runs) holds what its hand-written fixture says."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from paperharvest.cli import main
from paperharvest.net.recording import Answer as RecordedAnswer
from paperharvest.net.recording import Recorder, now_utc, request_key
from tests.conftest import REPO, SAMPLE_FIXTURE
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.github_s2 import FakeGitHub, FakeSemanticScholar
from tests.fakes.openreview_v1 import TEST_PASSWORD, TEST_USER, FakeOpenReview, account, rate_limited
from tests.fakes.record_sample import harvest_sample, load_sample_venue, sample_arxiv_entries
from tests.helpers import DATA_TABLES, rows, scalar, table_dump, timeless_dump

BUNDLED = REPO / "data" / "sample" / "iclr2020"


def ban_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, any connection attempt (loopback included) fails the test."""

    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"replay tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture()
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay must not open a single connection, not even to loopback."""
    ban_sockets(monkeypatch)


def replay(folder: Path, db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--replay", str(folder), "--quiet", *extra])


def test_bundled_sample_replays_offline_into_the_fixtures_facts(tmp_path: Path, no_sockets: None) -> None:
    expected = json.loads((SAMPLE_FIXTURE / "EXPECTED.json").read_text())
    db = tmp_path / "demo.db"
    assert replay(BUNDLED, db) == 0
    assert scalar(db, "SELECT count(*) FROM papers") == expected["papers"]
    assert dict(rows(db, "SELECT status, count(*) FROM papers GROUP BY status")) == expected["status_counts"]
    presentations = dict(
        rows(db, "SELECT presentation, count(*) FROM papers WHERE presentation IS NOT NULL GROUP BY 1")
    )
    assert presentations == expected["presentation_counts"]
    assert scalar(db, "SELECT count(*) FROM reviews") == expected["reviews"]
    assert scalar(db, "SELECT count(*) FROM decisions") == expected["decisions"]
    assert scalar(db, "SELECT count(*) FROM papers WHERE tldr IS NOT NULL") == expected["tldr_count"]
    assert scalar(db, "SELECT count(*) FROM papers WHERE code_url IS NOT NULL") == expected["code_count"]
    assert scalar(db, "SELECT count(*) FROM authors") == expected["distinct_author_ids"]
    top3 = [
        r[0]
        for r in rows(
            db,
            """SELECT forum_id FROM paper_summary WHERE rating_count > 0
                                      ORDER BY mean_rating DESC, rating_count DESC, forum_id LIMIT 3""",
        )
    ]
    assert top3 == expected["top3_by_mean_rating"]


def test_bundled_sample_is_current_with_its_fixtures(tmp_path: Path) -> None:
    """The recording and the hand-written fixtures must not drift apart (`make sample` re-records)."""
    replayed, live = tmp_path / "replayed.db", tmp_path / "live.db"
    assert replay(BUNDLED, replayed) == 0
    assert harvest_sample(live) == 0
    assert timeless_dump(replayed, DATA_TABLES) == timeless_dump(live, DATA_TABLES)


def test_record_then_replay_gives_the_same_database(
    tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tape, live = tmp_path / "tape", tmp_path / "live.db"
    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake:
        fake_env(fake.url, OPENREVIEW_USERNAME=TEST_USER, OPENREVIEW_PASSWORD=TEST_PASSWORD)
        fake.inject(rate_limited(retry_after=0))
        assert (
            main(
                [
                    "fetch",
                    "--venue",
                    "iclr2020",
                    "--db",
                    str(live),
                    "--record",
                    str(tape),
                    "--stages",
                    "notes",
                    "--quiet",
                ]
            )
            == 0
        )
        token = next(iter(fake.issued_tokens()))
    ban_sockets(monkeypatch)
    replayed = tmp_path / "replayed.db"
    assert replay(tape, replayed, "--stages", "notes") == 0
    assert table_dump(replayed) == table_dump(live)
    first_bytes = replayed.read_bytes()
    replayed.unlink()
    assert replay(tape, replayed, "--stages", "notes") == 0
    assert replayed.read_bytes() == first_bytes
    recorded = "".join(p.read_text() for p in sorted(tape.rglob("*.json")))
    for secret in (TEST_PASSWORD, TEST_USER, token):
        assert secret not in recorded
    # The 429 was recorded and replayed: the replay made the same listing requests, retry included.
    # (It skips the login: it never talks to OpenReview.)
    live_counts = json.loads(scalar(live, "SELECT counts FROM runs"))["requests"]
    replay_counts = json.loads(scalar(replayed, "SELECT counts FROM runs"))["requests"]
    assert live_counts["GET /notes"] == replay_counts["GET /notes"] == 3 + 1
    assert "POST /login" not in replay_counts


def test_replay_refuses_requests_the_recording_lacks(
    tmp_path: Path, no_sockets: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(BUNDLED, tmp_path / "x.db", "--page-size", "7") == 5
    assert "--page-size" in capsys.readouterr().err
    assert scalar(tmp_path / "x.db", "SELECT count(*) FROM papers") == 0


def test_replay_of_a_missing_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert replay(tmp_path / "nope", tmp_path / "x.db") == 2
    assert "not a recording" in capsys.readouterr().err


def test_record_refuses_to_overwrite_a_recording(tmp_path: Path, fake_env: Any) -> None:
    tape = tmp_path / "tape"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        args = [
            "fetch",
            "--venue",
            "iclr2020",
            "--db",
            str(tmp_path / "x.db"),
            "--record",
            str(tape),
            "--stages",
            "notes",
            "--quiet",
        ]
        assert main(args) == 0
        assert main(args) == 2


def test_rebuild_rederives_every_table_from_raw_notes(tmp_path: Path, no_sockets: None) -> None:
    db = tmp_path / "x.db"
    assert replay(BUNDLED, db) == 0
    before = table_dump(db)
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM reviews")
    conn.execute("UPDATE papers SET title = 'garbled', status = 'rejected'")
    conn.commit()
    conn.close()
    assert main(["rebuild", "--db", str(db), "--quiet"]) == 0
    assert table_dump(db) == before


# ---- no secret, no identity in a recording ---------------------------------------------------------------------

LOGIN = "some.user@uni.example.edu"
PASSWORD = "Tr0ub4dor&3-Horse-Battery"
ACCOUNT_ID = "~Some_User1"
EMAILS = [LOGIN, "some.user.private@mail.example.org"]
FULLNAME = "Somebody Userton"
GITHUB_TOKEN = "ghp_R3alLooking0GitHubTokenValue1234567890"
S2_API_KEY = "s2k-R3alLookingSemanticScholarKey0987654"


@pytest.mark.parametrize("login", ["password", "token"])
def test_a_recorded_run_keeps_no_secret_and_no_identity(tmp_path: Path, fake_env: Any, login: str) -> None:
    tape, db = tmp_path / "tape", tmp_path / "live.db"
    with (
        FakeOpenReview(
            load_sample_venue(),
            guest_gate="json",
            users={LOGIN: PASSWORD},
            accounts={LOGIN: account(ACCOUNT_ID, EMAILS, FULLNAME)},
        ) as fake,
        FakeArxiv(sample_arxiv_entries()) as arxiv,
        FakeGitHub({}, token=GITHUB_TOKEN) as github,
        FakeSemanticScholar({}, api_key=S2_API_KEY) as s2,
    ):
        if login == "password":
            credentials = {"OPENREVIEW_USERNAME": LOGIN, "OPENREVIEW_PASSWORD": PASSWORD}
        else:
            answer = requests.post(f"{fake.url}/login", json={"id": LOGIN, "password": PASSWORD}, timeout=5).json()
            credentials = {"OPENREVIEW_TOKEN": answer["token"]}
        fake_env(
            fake.url,
            **credentials,
            PAPERHARVEST_ARXIV_API_URL=arxiv.query_url,
            PAPERHARVEST_ARXIV_DELAY="0",
            PAPERHARVEST_GITHUB_API_URL=github.base,
            PAPERHARVEST_S2_API_URL=s2.base,
            PAPERHARVEST_CODE_APIS="semanticscholar",
            GITHUB_TOKEN=GITHUB_TOKEN,
            S2_API_KEY=S2_API_KEY,
        )
        stages = "notes,profiles,arxiv,code"
        args = ["fetch", "--venue", "iclr2020", "--db", str(db), "--record", str(tape), "--stages", stages, "-q"]
        assert main(args) == 0
        tokens = fake.issued_tokens()
        # Every secret was really used, so finding none in the recording means something.
        assert all(r.authenticated for r in fake.requests if r.path == "/notes")
        assert github.requests and s2.requests
    secrets = [LOGIN, PASSWORD, *tokens, GITHUB_TOKEN, S2_API_KEY, ACCOUNT_ID, *EMAILS, FULLNAME]
    files = [path for path in tape.rglob("*") if path.is_file()]
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{path.name} holds {secret!r}"
            assert secret.replace("/", "\\/") not in text
    if login == "password":
        # The login is on record by its shape alone.
        exchanges = [json.loads(path.read_text(encoding="utf-8")) for path in files if path.parent.name == "exchanges"]
        logins = [e for e in exchanges if e["key"][2] == "/login"]
        assert len(logins) == 1
        body = json.loads(logins[0]["response"]["body"])
        assert body["user"]["profile"]["emails"] == ["REDACTED", "REDACTED"]
        assert body["token"] == body["user"]["id"] == "REDACTED"


def test_secrets_in_query_strings_and_form_bodies_are_redacted(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "tape", now_utc())
    answer = RecordedAnswer(302, headers={"Location": "https://cdn.example/x?X-Amz-Signature=abc123sig&v=1"})
    url = "https://api.example/papers?api_key=k3y-s3cret&access_token=t0k3n&q=graphs"
    recorder.save("POST", url, b"username=someone&password=pa55w0rd&grant_type=password", answer, now_utc())
    text = next((tmp_path / "tape" / "exchanges").glob("*.json")).read_text()
    for secret in ("k3y-s3cret", "t0k3n", "pa55w0rd", "abc123sig"):
        assert secret not in text
    assert "graphs" in text and "someone" in text
    # The same request replays: redaction is part of the key, on both sides.
    assert request_key("GET", url, None) == request_key("GET", url.replace("k3y-s3cret", "other"), None)
