"""Listings are checked, not trusted: paging goes on until the API says there is no more, ids must be distinct,
and what was served must agree with the listing's `count`; otherwise the run fails (exit 5), keeping what
arrived. Against the fake OpenReview, v1 (the ICLR 2020 sample) and v2 (the ICLR 2024 sample)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from paperharvest.cli import main
from paperharvest.errors import UpstreamDataError
from paperharvest.net import Network
from paperharvest.net.policy import RetryPolicy
from paperharvest.settings import load_settings
from paperharvest.sources.openreview import NotePage, fetch_note_pages, make_client
from paperharvest.stages import notes as notes_stage
from tests.conftest import REPO
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import scalar

BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
V2_SUBMISSIONS = "ICLR.cc/2024/Conference/-/Submission"
SAMPLE = load_sample_venue()
SAMPLE_PAPERS = sum(len(notes) for notes in SAMPLE.values())
BLIND_IDS = sorted(note["id"] for note in SAMPLE[BLIND])


def fetch(db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet", *extra])


def listing_requests(fake: FakeOpenReview, invitation: str) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.path == "/notes" and r.query.get("invitation") == invitation]


# ---- fetching and storing overlap -------------------------------------------------------------------------------


def test_the_next_page_is_fetched_while_a_page_is_stored_and_no_page_after_it(
    tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested_by_end_of_store: list[int] = []
    real_save = notes_stage.save_prepared

    def slow_save(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # a store slower than the (instant) fake's answers, with room on a busy machine
        requested_by_end_of_store.append(sum(r.path == "/notes" for r in fake.requests))
        return real_save(*args, **kwargs)

    monkeypatch.setattr(notes_stage, "save_prepared", slow_save)
    with FakeOpenReview(SAMPLE) as fake:
        fake_env(fake.url)
        # Pages of 10: Blind_Submission 10, 10, 6, then Withdrawn 7 and Desk_Rejected 3, a request each.
        assert fetch(tmp_path / "ph.db", "--page-size", "10") == 0
        pages = sum(r.path == "/notes" for r in fake.requests)
    assert pages == 5
    # While page k was stored, page k+1 had been asked for (across listings too), and page k+2 had not.
    assert requested_by_end_of_store == [2, 3, 4, 5, 5]
    assert sorted(_paper_ids(tmp_path / "ph.db")) == sorted(n["id"] for notes in SAMPLE.values() for n in notes)


# ---- through the CLI: exit 5, the run failed, what arrived stored ----------------------------------------------


def test_a_count_that_understates_loses_nothing_and_fails_the_run(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(SAMPLE) as fake:
        fake_env(fake.url)
        fake.misstate_count(BLIND, -7)
        assert fetch(db, "--page-size", "5") == 5
        # Paged to the short page (26 notes: five full pages and one of 1), not to the count's 19.
        assert len(listing_requests(fake, BLIND)) == 6
    err = capsys.readouterr().err
    assert f"the listing of {BLIND} served 26 notes but its count says 19" in err
    # Every paper served was stored (the listings after this one were not asked); the run is on record as failed.
    assert sorted(_paper_ids(db)) == BLIND_IDS
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_a_count_that_overstates_fails_the_run(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(SAMPLE) as fake:
        fake_env(fake.url)
        fake.misstate_count(BLIND, 3)
        assert fetch(db, "--page-size", "13") == 5
        # 26 = 2 x 13: the second page is full, so the empty third says the listing is over.
        assert len(listing_requests(fake, BLIND)) == 3
    assert "served 26 notes but its count says 29" in capsys.readouterr().err
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_a_repeated_id_that_hides_another_paper_fails_the_run(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ph.db"
    twice, lost = BLIND_IDS[1], BLIND_IDS[2]
    with FakeOpenReview(SAMPLE) as fake:
        fake_env(fake.url)
        fake.repeat_note(BLIND, twice=twice, instead_of=lost)
        assert fetch(db, "--page-size", "10") == 5
    err = capsys.readouterr().err
    assert f"served 26 notes (1 id twice, e.g. {twice}: 25 distinct) but its count says 26" in err
    assert sorted(_paper_ids(db)) == [i for i in BLIND_IDS if i != lost]
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_an_honest_listing_is_paged_to_its_short_page_and_passes(tmp_path: Path, fake_env: Any) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(SAMPLE) as fake:
        fake_env(fake.url)
        assert fetch(db, "--page-size", "5") == 0
        queries = listing_requests(fake, BLIND)
    assert len(queries) == 6
    # The cursor moves by the last id of each page.
    assert [q.get("after") for q in queries] == [None, *BLIND_IDS[4:25:5]]
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS


def _paper_ids(db: Path) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("SELECT forum_id FROM papers")]
    finally:
        conn.close()


# ---- API v2 over several pages ---------------------------------------------------------------------------------


def _v2_sample() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = json.loads((REPO / "tests" / "fixtures" / "iclr2024_sample" / "notes.json").read_text(encoding="utf-8"))
    return data["group"], data["notes"]


def _client(url: str) -> Any:
    settings = load_settings({"OPENREVIEW_API_BASEURL": url, "OPENREVIEW_API_BASEURL_V2": url})
    return make_client(settings, Network(RetryPolicy(max_retries=0), 30))


def _v2_pages(fake: FakeOpenReview, page_size: int) -> list[NotePage]:
    client = _client(fake.url)
    return list(
        fetch_note_pages(
            client, V2_SUBMISSIONS, page_size=page_size, details="replies", notes_url=fake.url + "/notes", api_version=2
        )
    )


def test_a_v2_listing_over_several_pages_asks_its_count_once_and_gets_every_note() -> None:
    group, notes = _v2_sample()
    submissions = [n for n in notes if V2_SUBMISSIONS in n.get("invitations", [])]
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        pages = _v2_pages(fake, 3)
        queries = listing_requests(fake, V2_SUBMISSIONS)
    assert len(submissions) > 3
    served = [n["id"] for page in pages for n in page.notes]
    assert sorted(served) == sorted(n["id"] for n in submissions)
    assert len(queries) == math.floor(len(submissions) / 3) + 1
    # v2 sends a total only when asked, and it is asked on the first page only.
    assert [q.get("count") for q in queries] == ["true"] + [None] * (len(queries) - 1)
    assert {page.count for page in pages} == {len(submissions)}


def test_a_v2_listing_whose_count_understates_fails_after_its_last_page() -> None:
    group, notes = _v2_sample()
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake.misstate_count(V2_SUBMISSIONS, -2)
        client = _client(fake.url)
        pages = fetch_note_pages(
            client, V2_SUBMISSIONS, page_size=3, details="replies", notes_url=fake.url + "/notes", api_version=2
        )
        arrived: list[NotePage] = []
        with pytest.raises(UpstreamDataError, match=f"the listing of {V2_SUBMISSIONS} served .* but its count says"):
            for page in pages:
                arrived.append(page)
    # Every page was handed over (and so stored) before the listing was found wanting.
    submissions = [n for n in notes if V2_SUBMISSIONS in n.get("invitations", [])]
    assert sum(len(p.notes) for p in arrived) == len(submissions)


def test_a_v2_listing_asked_without_count_true_has_no_total() -> None:
    group, notes = _v2_sample()
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        client = _client(fake.url)
        with pytest.raises(UpstreamDataError, match="without a count"):
            list(fetch_note_pages(client, V2_SUBMISSIONS, page_size=3, notes_url=fake.url + "/notes"))


# ---- a server whose cursor does not move -----------------------------------------------------------------------


class _StuckSession:
    """Answers every listing request with the same full page, whatever `after` says."""

    def __init__(self, notes: list[dict[str, Any]]) -> None:
        self.notes = notes
        self.calls = 0

    def get(self, url: str, params: dict[str, Any], headers: dict[str, str]) -> requests.Response:
        self.calls += 1
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"content-type": "application/json"})
        response._content = json.dumps({"notes": self.notes, "count": 100}).encode()
        response.url = url
        return response


class _StuckClient:
    notes_url = "http://127.0.0.1:9/notes"

    def __init__(self, session: _StuckSession) -> None:
        self.session = session
        self.headers: dict[str, str] = {}


def test_a_listing_that_stops_advancing_is_an_error_not_an_endless_loop() -> None:
    session = _StuckSession([{"id": "a"}, {"id": "b"}])
    with pytest.raises(UpstreamDataError, match=r"served 4 notes \(2 ids twice.*count says 100; .*stopped advancing"):
        list(fetch_note_pages(_StuckClient(session), BLIND, page_size=2))
    assert session.calls == 2
