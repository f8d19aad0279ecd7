"""The arXiv and code-link clients against the fake servers, through a real Network (retries, record/replay)."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from paperharvest.errors import UpstreamDataError, UpstreamUnavailable
from paperharvest.net import Network
from paperharvest.net.policy import RetryPolicy
from paperharvest.normalize.arxiv_query import build_title_query
from paperharvest.sources.arxiv import ArxivPacer, RawFeed, fetch_arxiv_feed, fetch_by_ids, search_titles
from paperharvest.sources.codelinks import CodeApiAnswer, fetch_code_apis, fetch_hf_paper, fetch_pwc_paper
from tests.fakes import arxiv_server as fa
from tests.fakes import code_apis as fc
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.code_apis import FakeCodeApis

POLICY = RetryPolicy(max_retries=2, backoff_base=0.01)
WORDS = ["sparse", "neural", "graph", "kernel", "bandit", "quantum", "robust", "latent", "causal", "spectral"]
NOW = ArxivPacer(0)


def title(n: int) -> str:
    # Distinct multi-word titles, so each phrase query finds exactly its own paper.
    return f"{WORDS[n % 10].title()} {WORDS[(n // 10) % 10]} learning with method number{n} for benchmarks"


def entries(count: int) -> list[Any]:
    return [
        fa.make_entry(f"2001.{n:05d}", title(n), [f"Ada Author{n}"], f"2020-01-{1 + n % 28:02d}") for n in range(count)
    ]


@pytest.fixture()
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv(entries(40)) as fake:
        yield fake


def session_for(url: str, service: str = "arxiv") -> requests.Session:
    return Network(POLICY, 60, services={service: url}).session()


def ids_of(feeds: list[RawFeed]) -> list[str]:
    return [e.arxiv_id for raw in feeds for e in raw.feed.entries]


# ---- pacing ----------------------------------------------------------------------------------------------------


def test_pacer_spaces_starts_not_ends() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ArxivPacer(3.0, clock=lambda: now[0], sleep=sleep)
    with pacer.turn():
        now[0] += 1.0  # the request itself took 1 s
    with pacer.turn():
        pass
    now[0] += 5.0
    with pacer.turn():
        pass
    assert slept == [2.0]


def test_requests_start_at_least_delay_apart_on_one_connection(arxiv: FakeArxiv) -> None:
    ids = [f"2001.{n:05d}" for n in range(4)]
    feeds = list(fetch_by_ids(session_for(arxiv.query_url), arxiv.query_url, ids, ArxivPacer(0.2), batch=1))
    assert ids_of(feeds) == ids
    times = arxiv.request_times
    assert len(times) == 4
    # Arrival times, not send times: the first request also paid for the TCP connect, so allow a few ms.
    assert all(b - a >= 0.2 - 0.02 for a, b in itertools.pairwise(times))
    assert arxiv.max_in_flight == 1


def test_a_paced_client_is_never_rate_limited() -> None:
    with FakeArxiv(entries(3), min_interval=0.15) as fake:
        ids = [f"2001.{n:05d}" for n in range(3)]
        list(fetch_by_ids(session_for(fake.query_url), fake.query_url, ids, ArxivPacer(0.2), batch=1))
        assert [r.status for r in fake.requests] == [200, 200, 200]


# ---- title search: batching, paging, empty pages ------------------------------------------------------------


def test_titles_are_batched_one_request_per_batch(arxiv: FakeArxiv) -> None:
    titles = [title(n) for n in range(40)]
    batches = build_title_query(titles, 600)
    assert len(batches) > 3
    pages = list(search_titles(session_for(arxiv.query_url), arxiv.query_url, titles, NOW, max_chars=600))
    assert arxiv.count() == len(batches) == len(pages)
    assert [indices for indices, _ in pages] == [indices for _, indices in batches]
    assert sorted(ids_of([raw for _, raw in pages])) == [f"2001.{n:05d}" for n in range(40)]
    assert all(r.query["max_results"] == "200" for r in arxiv.requests)


def test_a_batch_with_more_hits_than_a_page_is_paged_with_start(arxiv: FakeArxiv) -> None:
    titles = [title(n) for n in range(5)]
    pages = list(search_titles(session_for(arxiv.query_url), arxiv.query_url, titles, NOW, page_size=2))
    assert [r.query["start"] for r in arxiv.requests] == ["0", "2", "4"]
    assert {tuple(indices) for indices, _ in pages} == {(0, 1, 2, 3, 4)}
    assert sorted(ids_of([raw for _, raw in pages])) == [f"2001.{n:05d}" for n in range(5)]
    assert pages[0][1].feed.total_results == 5


def test_an_empty_page_mid_listing_is_asked_again(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.empty_page(match={"start": "2"}))
    titles = [title(n) for n in range(5)]
    pages = list(search_titles(session_for(arxiv.query_url), arxiv.query_url, titles, NOW, page_size=2))
    assert [r.query["start"] for r in arxiv.requests] == ["0", "2", "2", "4"]
    assert len(ids_of([raw for _, raw in pages])) == 5


def test_an_empty_page_twice_is_an_error_not_the_end(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.empty_page(times=2, match={"start": "2"}))
    titles = [title(n) for n in range(5)]
    seen: list[RawFeed] = []
    with pytest.raises(UpstreamDataError, match="no entries twice"):
        for _, raw in search_titles(session_for(arxiv.query_url), arxiv.query_url, titles, NOW, page_size=2):
            seen.append(raw)
    assert len(seen) == 1
    assert arxiv.count() == 3


def test_an_empty_first_page_with_a_total_is_also_retried(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.empty_page())
    pages = list(search_titles(session_for(arxiv.query_url), arxiv.query_url, [title(7)], NOW))
    assert ids_of([raw for _, raw in pages]) == ["2001.00007"]
    assert arxiv.count() == 2


# ---- failures --------------------------------------------------------------------------------------------------


def test_503_then_success(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.server_error(503))
    pages = list(search_titles(session_for(arxiv.query_url), arxiv.query_url, [title(3)], NOW))
    assert ids_of([raw for _, raw in pages]) == ["2001.00003"]
    assert [r.status for r in arxiv.requests] == [503, 200]


def test_503_that_persists_is_unavailable(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.server_error(503, times=None))
    with pytest.raises(UpstreamUnavailable, match="arXiv did not answer the title search"):
        list(search_titles(session_for(arxiv.query_url), arxiv.query_url, [title(3)], NOW))
    assert arxiv.count() == POLICY.max_retries + 1


def test_429_rate_exceeded_is_retried(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.rate_limited())
    pages = list(search_titles(session_for(arxiv.query_url), arxiv.query_url, [title(3)], NOW))
    assert ids_of([raw for _, raw in pages]) == ["2001.00003"]
    assert [r.status for r in arxiv.requests] == [429, 200]


def test_429_that_persists_says_rate_limited(arxiv: FakeArxiv) -> None:
    arxiv.inject(fa.rate_limited(times=None))
    with pytest.raises(UpstreamUnavailable, match="rate-limiting"):
        list(fetch_by_ids(session_for(arxiv.query_url), arxiv.query_url, ["2001.00001"], NOW))


def test_429_surfacing_past_a_policy_without_it_is_named() -> None:
    with FakeArxiv() as fake:
        fake.inject(fa.rate_limited())
        policy = RetryPolicy(max_retries=0, statuses=frozenset({503}))
        session = Network(policy, 60).session()
        with pytest.raises(UpstreamUnavailable, match=r"HTTP 429 'Rate exceeded.'"):
            fetch_arxiv_feed(session, fake.query_url, {"id_list": "2001.00001"}, NOW)


def test_the_400_error_feed_is_a_clear_error_and_not_retried(arxiv: FakeArxiv) -> None:
    with pytest.raises(UpstreamDataError, match="arXiv rejected the query: incorrect id format for abc"):
        list(fetch_by_ids(session_for(arxiv.query_url), arxiv.query_url, ["abc"], NOW))
    assert arxiv.count() == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (fa.Fault(status=200, body="<html><body>down</body></html>", content_type="text/html"), "HTML page"),
        (fa.truncated(), "not a usable feed: arXiv answer is not well-formed XML"),
        (fa.Fault(status=404, body="Not Found", content_type="text/plain"), "HTTP 404"),
    ],
)
def test_answers_that_are_not_feeds_are_data_errors(arxiv: FakeArxiv, fault: fa.Fault, message: str) -> None:
    arxiv.inject(fault)
    with pytest.raises(UpstreamDataError, match=message):
        list(fetch_by_ids(session_for(arxiv.query_url), arxiv.query_url, ["2001.00001"], NOW))


# ---- id look-ups -----------------------------------------------------------------------------------------------


def test_ids_are_looked_up_in_batches(arxiv: FakeArxiv) -> None:
    ids = [f"2001.{n:05d}" for n in range(5)]
    feeds = list(fetch_by_ids(session_for(arxiv.query_url), arxiv.query_url, ids, NOW, batch=2))
    assert [(r.query["id_list"], r.query["max_results"]) for r in arxiv.requests] == [
        ("2001.00000,2001.00001", "2"),
        ("2001.00002,2001.00003", "2"),
        ("2001.00004", "1"),
    ]
    assert ids_of(feeds) == ids
    assert feeds[0].params == {"id_list": "2001.00000,2001.00001", "max_results": "2"}
    assert feeds[0].xml.startswith("<?xml")


# ---- record and replay -----------------------------------------------------------------------------------------


def test_a_recorded_search_replays_offline_to_identical_feeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tape = tmp_path / "tape"
    titles = [title(n) for n in range(12)]
    with FakeArxiv(entries(12)) as fake:
        fake.inject(fa.server_error(503))
        fake.inject(fa.empty_page(match={"start": "4"}))
        recording = Network(POLICY, 60, services={"arxiv": fake.query_url}, record_dir=tape)
        live = list(search_titles(recording.session(), fake.query_url, titles, NOW, page_size=4, max_chars=800))
        recording.finish()
        assert fake.count() > len(live)  # the 503 and the empty page were recorded too

    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"replay dialled {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    # Another base URL on purpose: recordings key by service name, so a replay does not care where arXiv was.
    elsewhere = "http://127.0.0.1:9/api/query"
    replaying = Network(POLICY, 60, services={"arxiv": elsewhere}, replay_dir=tape)
    replayed = list(search_titles(replaying.session(), elsewhere, titles, NOW, page_size=4, max_chars=800))
    assert replayed == live
    assert len(ids_of([raw for _, raw in live])) == 12


# ---- code-link APIs --------------------------------------------------------------------------------------------

HF = {"2001.00001": {"id": "2001.00001", "githubRepo": "https://github.com/a/b", "ai_summary": "x"}}
PWC = {"2001.00001": {"id": "p1", "repositories": [{"url": "https://github.com/a/b", "is_official": True}]}}


@pytest.fixture()
def code() -> Iterator[FakeCodeApis]:
    with FakeCodeApis(HF, PWC) as fake:
        yield fake


def test_hf_and_pwc_papers_and_404_as_none(code: FakeCodeApis) -> None:
    session = session_for(code.url, "code-apis")
    assert fetch_hf_paper(session, code.hf_base, "2001.00001") == HF["2001.00001"]
    assert fetch_pwc_paper(session, code.pwc_base, "2001.00001") == PWC["2001.00001"]
    assert fetch_hf_paper(session, code.hf_base, "2001.99999") is None
    assert fetch_pwc_paper(session, code.pwc_base, "2001.99999") is None
    assert [r.query for r in code.requests if r.api == "pwc"] == [{"include_resources": "true"}] * 2


def test_html_where_json_belongs_is_a_data_error(code: FakeCodeApis) -> None:
    code.inject(fc.html_page(api="hf"))
    with pytest.raises(UpstreamDataError, match="not JSON"):
        fetch_hf_paper(session_for(code.url, "code-apis"), code.hf_base, "2001.00001")


def test_a_wrong_base_url_is_not_read_as_not_indexed(code: FakeCodeApis) -> None:
    code.inject(fc.CodeApiFault(api="pwc", status=404, body="<html>nope</html>", content_type="text/html"))
    with pytest.raises(UpstreamDataError, match=r"HTTP 404 and an HTML page, not JSON.*check PAPERHARVEST_PWC_API_URL"):
        fetch_pwc_paper(session_for(code.url, "code-apis"), code.pwc_base, "2001.00001")


def test_a_dead_source_is_reported_once_and_skipped(code: FakeCodeApis) -> None:
    code.inject(fc.server_error(503, api="hf", times=None))
    ids = ["2001.00001", "2001.00002", "2001.00003"]
    answers = list(
        fetch_code_apis(session_for(code.url, "code-apis"), hf_base=code.hf_base, pwc_base=code.pwc_base, arxiv_ids=ids)
    )
    hf = [a for a in answers if a.source == "huggingface"]
    assert len(hf) == 1
    assert hf[0].arxiv_id == "2001.00001" and hf[0].payload is None
    assert hf[0].error is not None and "HTTP 503" in hf[0].error
    assert code.count("hf") == POLICY.max_retries + 1
    assert [(a.arxiv_id, a.payload is not None, a.error) for a in answers if a.source == "paperswithcode"] == [
        ("2001.00001", True, None),
        ("2001.00002", False, None),
        ("2001.00003", False, None),
    ]


def test_a_source_answering_garbage_is_skipped_too(code: FakeCodeApis) -> None:
    code.inject(fc.html_page(api="pwc", times=None))
    ids = ["2001.00001", "2001.00002"]
    answers = list(
        fetch_code_apis(session_for(code.url, "code-apis"), hf_base=code.hf_base, pwc_base=code.pwc_base, arxiv_ids=ids)
    )
    assert [(a.source, a.arxiv_id, a.error is not None) for a in answers] == [
        ("huggingface", "2001.00001", False),
        ("paperswithcode", "2001.00001", True),
        ("huggingface", "2001.00002", False),
    ]
    assert code.count("pwc") == 1


def test_a_disabled_source_is_never_asked(code: FakeCodeApis) -> None:
    answers = list(
        fetch_code_apis(
            session_for(code.url, "code-apis"), hf_base=None, pwc_base=code.pwc_base, arxiv_ids=["2001.00001"]
        )
    )
    assert answers == [CodeApiAnswer("paperswithcode", "2001.00001", PWC["2001.00001"])]
    assert code.count("hf") == 0
