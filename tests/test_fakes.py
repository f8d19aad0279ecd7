"""The fakes must behave like the real API and data, or every test built on them proves nothing."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.fakes.iclr2020_venue import (
    ACCEPTED_NOTES_FILE,
    DESK_REJECTED,
    RATING_LABELS,
    SUBMISSION,
    WITHDRAWN,
    Expected,
    build_iclr2020_venue,
    expected_iclr2020,
    paperhash,
    shared_data_dir,
)
from tests.fakes.openreview_v1 import (
    TEST_PASSWORD,
    TEST_USER,
    FakeOpenReview,
    account,
    dropped_connection,
    html_page,
    not_json,
    rate_limited,
    server_error,
    stall,
    truncated_json,
)

INV = "Test.cc/2020/Conference/-/Blind_Submission"
# Ids deliberately not in number order, so id sorting and number sorting give different pages.
IDS = ["rkeZ1aEFvH", "B1lDoJSYDH", "SJxIm0VtwH", "HygnDhEtvr", "r1gRTCVFvB"]


def _reply(forum: str, number: int, kind: str, k: int) -> dict[str, Any]:
    return {
        "id": f"{forum[:6]}{kind[:2]}{k:02d}",
        "original": None,
        "number": k,
        "cdate": 1572000000000 + k,
        "ddate": None,
        "tcdate": 1572000000000 + k,
        "tmdate": 1572000000000 + k,
        "tddate": None,
        "forum": forum,
        "replyto": forum,
        "invitation": f"Test.cc/2020/Conference/Paper{number}/-/{kind}",
        "content": {"title": f"{kind} {k}", "rating": "6: Weak Accept"} if kind == "Official_Review" else {},
        "signatures": [f"Test.cc/2020/Conference/Paper{number}/AnonReviewer{k}"],
        "readers": ["everyone"],
        "nonreaders": [],
        "writers": [f"Test.cc/2020/Conference/Paper{number}/AnonReviewer{k}"],
    }


def _small_venue() -> dict[str, list[dict[str, Any]]]:
    notes = []
    for number, note_id in enumerate(IDS, start=1):
        replies = [_reply(note_id, number, "Official_Review", 1), _reply(note_id, number, "Decision", 1)]
        notes.append(
            {
                "id": note_id,
                "original": None,
                "number": number,
                "cdate": 1569438812057 + 1000 * number,
                "tcdate": 1569438812057 + 1000 * number,
                "tmdate": 1576800000000 - 1000 * number,
                "ddate": None,
                "content": {"title": f"Paper {number}"},
                "forum": note_id,
                "referent": None,
                "invitation": INV,
                "replyto": None,
                "readers": ["everyone"],
                "nonreaders": [],
                "signatures": ["Test.cc/2020/Conference"],
                "writers": ["Test.cc/2020/Conference"],
                "details": {"directReplies": replies},
            }
        )
    return {INV: notes}


def _get(
    base: str, path: str, params: dict[str, Any] | None = None, token: str | None = None, timeout: float = 5
) -> tuple[int, str, bytes, dict[str, str]]:
    url = f"{base}{path}" + (f"?{urlencode(params)}" if params else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read(), dict(response.headers)
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers["Content-Type"], err.read(), dict(err.headers)


def _post(base: str, path: str, payload: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{base}{path}", data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def _notes(base: str, token: str | None = None, **params: Any) -> dict[str, Any]:
    status, content_type, body, _ = _get(base, "/notes", params, token)
    assert status == 200, body
    assert content_type == "application/json; charset=utf-8"
    payload: dict[str, Any] = json.loads(body)
    return payload


@pytest.fixture
def fake() -> Iterator[FakeOpenReview]:
    with FakeOpenReview(_small_venue()) as server:
        yield server


def test_paging_with_limit_offset_after_and_count(fake: FakeOpenReview) -> None:
    first = _notes(fake.url, invitation=INV, limit=2)
    assert set(first) == {"notes", "count"}
    assert first["count"] == 5
    assert [n["number"] for n in first["notes"]] == [1, 2]

    assert [n["number"] for n in _notes(fake.url, invitation=INV, limit=2, offset=4)["notes"]] == [5]
    assert [n["number"] for n in _notes(fake.url, invitation=INV, sort="number:desc")["notes"]] == [5, 4, 3, 2, 1]
    assert [n["number"] for n in _notes(fake.url, invitation=INV, sort="tmdate:desc")["notes"]] == [1, 2, 3, 4, 5]

    # The openreview-py efficient_iterget walk: sort=id, then after=<last id> until an empty page.
    seen: list[str] = []
    page = _notes(fake.url, invitation=INV, limit=2, sort="id")
    while page["notes"]:
        seen += [n["id"] for n in page["notes"]]
        page = _notes(fake.url, invitation=INV, limit=2, sort="id", after=seen[-1])
    assert seen == sorted(IDS)
    assert fake.count("GET", "/notes") == 4 + 4

    assert _notes(fake.url, invitation="Nope/-/Blind_Submission") == {"notes": [], "count": 0}
    assert _notes(fake.url, invitation=INV, mintcdate=1569438812057 + 4000)["count"] == 2

    status, content_type, body, _ = _get(fake.url, "/notes", {"invitation": INV, "limit": 1001})
    assert status == 400
    assert content_type.startswith("application/json")
    assert json.loads(body) == {"name": "ValidationError", "message": "limit must be <= 1000", "status": 400}


def test_details_only_when_asked_and_replies_served_as_notes(fake: FakeOpenReview) -> None:
    plain = _notes(fake.url, id=IDS[0])["notes"]
    assert len(plain) == 1
    assert "details" not in plain[0]

    detailed = _notes(fake.url, id=IDS[0], details="directReplies")["notes"][0]
    replies = detailed["details"]["directReplies"]
    assert [r["invitation"].rsplit("/", 1)[-1] for r in replies] == ["Official_Review", "Decision"]

    forum = _notes(fake.url, forum=IDS[0])
    assert forum["count"] == 3
    reviews = _notes(fake.url, invitation="Test.cc/2020/Conference/Paper1/-/Official_Review")["notes"]
    assert [r["forum"] for r in reviews] == [IDS[0]]


def test_guest_gate_json_and_login() -> None:
    with FakeOpenReview(_small_venue(), guest_gate="json") as server:
        status, content_type, body, _ = _get(server.url, "/notes", {"invitation": INV})
        assert status == 403
        assert content_type.startswith("application/json")
        assert json.loads(body) == {
            "name": "ChallengeRequiredError",
            "message": "Please complete the challenge to continue",
            "status": 403,
            "details": {},
        }

        status, error = _post(server.url, "/login", {"id": TEST_USER, "password": "wrong", "expiresIn": 3600})
        assert (status, error) == (
            400,
            {"name": "LoginError", "message": "Invalid username or password", "status": 400},
        )

        status, login = _post(server.url, "/login", {"id": TEST_USER, "password": TEST_PASSWORD, "expiresIn": 60})
        assert status == 200
        assert login["user"]["profile"]["id"] == "~Test_User1"
        assert _notes(server.url, token=login["token"], invitation=INV)["count"] == 5
        assert server.requests[-1].authenticated
        assert server.requests[-1].headers["authorization"] == f"Bearer {login['token']}"

        server.revoke_tokens()
        assert _get(server.url, "/notes", {"invitation": INV}, token=login["token"])[0] == 403


def test_guest_gate_html() -> None:
    with FakeOpenReview(_small_venue(), guest_gate="html") as server:
        status, content_type, body, _ = _get(server.url, "/notes", {"invitation": INV})
        assert status == 200
        assert content_type.startswith("text/html")
        assert b"<title>Verifying your browser | OpenReview</title>" in body


def test_faults_hit_only_the_matching_request(fake: FakeOpenReview) -> None:
    fake.inject(rate_limited(retry_after=7, match={"after": True}))
    assert _get(fake.url, "/notes", {"invitation": INV})[0] == 200
    status, _, body, headers = _get(fake.url, "/notes", {"invitation": INV, "after": IDS[0]})
    assert status == 429
    assert headers["Retry-After"] == "7"
    error = json.loads(body)
    assert error["name"] == "RateLimitError"
    assert set(error["details"]) == {"limit", "remaining", "resetTime", "used", "current", "reqId"}
    assert _get(fake.url, "/notes", {"invitation": INV, "after": IDS[0]})[0] == 200
    assert fake.pending_faults == []

    fake.inject(truncated_json())
    status, content_type, body, _ = _get(fake.url, "/notes", {"invitation": INV})
    assert status == 200
    assert content_type.startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)

    fake.inject(not_json())
    assert _get(fake.url, "/notes")[2] == b"<html>oops"

    fake.inject(html_page())
    assert _get(fake.url, "/notes")[1].startswith("text/html")

    fake.inject(server_error(502))
    status, content_type, _, _ = _get(fake.url, "/notes")
    assert (status, content_type.split(";")[0]) == (502, "text/html")

    fake.inject(server_error(500, times=2))
    assert [_get(fake.url, "/notes")[0] for _ in range(3)] == [500, 500, 200]

    fake.inject(dropped_connection())
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        _get(fake.url, "/notes")

    fake.inject(stall(5))
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        _get(fake.url, "/notes", timeout=0.3)
    assert time.monotonic() - started < 2


def test_stop_is_clean_with_an_idle_keep_alive_connection() -> None:
    server = FakeOpenReview(_small_venue()).start()
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", f"/notes?{urlencode({'invitation': INV})}")
    assert conn.getresponse().read()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()


def test_openreview_py_pages_through_the_fake(fake: FakeOpenReview) -> None:
    openreview = pytest.importorskip("openreview")
    client = openreview.Client(baseurl=fake.url)
    notes = list(openreview.tools.efficient_iterget(client.get_notes, invitation=INV, limit=2))
    assert [n.id for n in notes] == sorted(IDS)
    # count on page 1, then after=... pages, then the extra empty page that ends the walk.
    in_order = sorted(IDS)
    assert [r.query.get("after") for r in fake.requests] == [None, in_order[1], in_order[3], in_order[4]]
    assert all(r.query["sort"] == "id" and r.query["limit"] == "2" for r in fake.requests)


# ---- the whole ICLR 2020 venue ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip("shared/data not found beside the repo; set PAPERHARVEST_SHARED_DATA to run venue tests")
    return found


@pytest.fixture(scope="module")
def venue(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return build_iclr2020_venue(data_dir)


@pytest.fixture(scope="module")
def expected(data_dir: Path) -> Expected:
    return expected_iclr2020(data_dir)


def test_build_gives_the_whole_venue(
    data_dir: Path, venue: dict[str, list[dict[str, Any]]], expected: Expected
) -> None:
    assert {k: len(v) for k, v in venue.items()} == {SUBMISSION: 2213, WITHDRAWN: 369, DESK_REJECTED: 12}
    assert expected.invitation_counts == {k: len(v) for k, v in venue.items()}
    notes = [n for group in venue.values() for n in group]
    assert len({n["id"] for n in notes}) == expected.total == 2594
    assert sorted(n["number"] for n in notes) == list(range(1, 2595))

    with gzip.open(data_dir / ACCEPTED_NOTES_FILE, "rt", encoding="utf-8") as fh:
        real = {n["id"]: n for n in json.load(fh)}
    served = {n["id"]: n for n in notes if n["id"] in real}
    assert len(served) == 687
    for note_id, note in served.items():
        assert {k: v for k, v in note.items() if k != "details"} == {
            k: v for k, v in real[note_id].items() if k != "details"
        }

    key_order = list(next(iter(real.values())))
    assert all(list(n) == key_order for n in notes)
    synthesized = [n for n in notes if n["id"] not in real]
    assert all(
        n["content"]["paperhash"] == paperhash(n["content"]["authors"][0], n["content"]["title"]) for n in synthesized
    )
    assert all(len(n["content"]["pdf"]) == len("/pdf/.pdf") + 40 for n in synthesized)

    reply_ids = [r["id"] for n in notes for r in n["details"]["directReplies"]]
    assert len(set(reply_ids)) == len(reply_ids)
    assert not set(reply_ids) & {n["id"] for n in notes}
    assert all(len(i) == 10 for i in reply_ids)


def test_replies_agree_with_expected(venue: dict[str, list[dict[str, Any]]], expected: Expected) -> None:
    ratings: dict[str, list[int]] = {}
    decisions: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    labels = set(RATING_LABELS.values())
    for invitation, group in venue.items():
        for note in group:
            ratings[note["id"]] = []
            for reply in note["details"]["directReplies"]:
                prefix, kind = reply["invitation"].split("/-/")
                assert prefix == f"ICLR.cc/2020/Conference/Paper{note['number']}"
                assert reply["forum"] == reply["replyto"] == note["id"]
                kinds[kind] += 1
                if kind == "Official_Review":
                    assert reply["content"]["rating"] in labels
                    assert reply["signatures"][0].startswith(f"{prefix}/AnonReviewer")
                    ratings[note["id"]].append(int(reply["content"]["rating"].split(":")[0]))
                elif kind == "Decision":
                    assert invitation == SUBMISSION
                    decisions[reply["content"]["decision"]] += 1
    assert {k: sorted(v) for k, v in ratings.items()} == expected.ratings_by_forum
    assert dict(decisions) == expected.decision_counts
    assert kinds["Official_Review"] == expected.review_count
    assert kinds["Public_Comment"] > 0
    assert expected.status_counts == {"accepted": 687, "rejected": 1526, "withdrawn": 369, "desk-rejected": 12}
    assert sum(expected.presentation_counts.values()) == expected.status_counts["accepted"]
    assert (expected.tldr_count, expected.code_count) == (541, 335)


def test_fake_serves_the_whole_venue_in_pages(venue: dict[str, list[dict[str, Any]]]) -> None:
    with FakeOpenReview(venue) as server:
        first = _notes(server.url, invitation=SUBMISSION, details="directReplies", sort="id", limit=1000)
        assert first["count"] == 2213
        ids = [n["id"] for n in first["notes"]]
        while True:
            page = _notes(server.url, invitation=SUBMISSION, details="directReplies", sort="id", after=ids[-1])
            if not page["notes"]:
                break
            assert all(n["details"]["directReplies"] for n in page["notes"])
            ids += [n["id"] for n in page["notes"]]
        assert ids == sorted(n["id"] for n in venue[SUBMISSION])
        assert server.count("GET", "/notes") == 4


def test_listings_can_be_made_to_lie_about_their_count_and_to_repeat_a_note() -> None:
    ordered = sorted(IDS)
    with FakeOpenReview(_small_venue()) as server:
        server.misstate_count(INV, -2)
        listing = _notes(server.url, invitation=INV, sort="id")
        assert (listing["count"], len(listing["notes"])) == (len(IDS) - 2, len(IDS))
        server.repeat_note(INV, twice=ordered[0], instead_of=ordered[3])
        served = [n["id"] for n in _notes(server.url, invitation=INV, sort="id")["notes"]]
    assert served == [ordered[0], ordered[1], ordered[2], ordered[0], ordered[4]]


def test_the_login_answers_with_the_account_it_opened() -> None:
    user = account("~Some_User1", ["some@uni.example.edu"], "Some User")
    with FakeOpenReview(
        _small_venue(), users={"some@uni.example.edu": "pw"}, accounts={"some@uni.example.edu": user}
    ) as server:
        status, body = _post(server.url, "/login", {"id": "some@uni.example.edu", "password": "pw"})
    assert status == 200 and body["token"] in server.issued_tokens()
    assert body["user"]["id"] == body["user"]["profile"]["id"] == "~Some_User1"
    assert body["user"]["profile"]["emails"] == ["some@uni.example.edu"]
