"""The address guard and the web transport: decisions are asserted without dialling anything but 127.0.0.1."""

from __future__ import annotations

import itertools
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperharvest.errors import UpstreamUnavailable
from paperharvest.net import Network
from paperharvest.net.guard import BlockedURL, InvalidURL, allowed_addresses, check_url, is_public
from paperharvest.net.policy import Deadline, RetryPolicy
from paperharvest.sources.homepages import HomepageRequest, HostPacer, fetch_homepage, fetch_homepages
from tests.fakes.web_server import FakeWeb, Page

LOOPBACK = frozenset({"127.0.0.1"})
HTML = b"<html><body><a href='https://x.com/someone'>me</a></body></html>"


def resolver_for(answers: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(f"unknown host {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.7",
        "172.16.5.4",
        "172.31.255.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fc00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)
    with pytest.raises(BlockedURL, match="non-public"):
        allowed_addresses("h.example", 80, allow_private=False, resolver=resolver_for({"h.example": [address]}))


def test_public_addresses_pass_and_the_switch_allows_private_ones() -> None:
    assert allowed_addresses(
        "h.example", 80, allow_private=False, resolver=resolver_for({"h.example": ["93.184.216.34"]})
    ) == ["93.184.216.34"]
    assert allowed_addresses("10.0.0.7", 80, allow_private=True) == ["10.0.0.7"]


def test_a_name_with_any_private_answer_is_refused_whole() -> None:
    resolve = resolver_for({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(BlockedURL):
        allowed_addresses("mixed.example", 80, allow_private=False, resolver=resolve)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "//no-scheme.example/",
        "https://u:p@h.example/",
    ],
)
def test_only_plain_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(BlockedURL):
        check_url(url)


@pytest.fixture()
def network() -> Network:
    return Network(RetryPolicy(), 60)


def client(network: Network, **overrides: Any) -> httpx.Client:
    options: dict[str, Any] = {
        "allow_private": False,
        "max_bytes": 100_000,
        "body_types": ("text/html", "application/xhtml+xml"),
        "timeout": 2.0,
        "page_seconds": 5.0,
        "user_agent": "paperharvest-test",
        "exempt": LOOPBACK,
    }
    options.update(overrides)
    return network.web_client(**options)


def fetch(web_client: httpx.Client, url: str, **request: Any) -> Any:
    return fetch_homepage(web_client, HomepageRequest(url, **request), HostPacer(0), max_redirects=3)


def test_redirect_to_a_private_address_is_blocked_before_any_connection(network: Network) -> None:
    with FakeWeb({"/": Page(status=302, headers={"Location": "http://10.1.2.3/admin"})}) as web:
        result = fetch(client(network), web.url + "/")
    assert result.outcome == "blocked" and "10.1.2.3" in result.detail
    assert result.final_url == "http://10.1.2.3/admin"


def test_loopback_is_blocked_without_the_switch(network: Network) -> None:
    with FakeWeb({"/": Page(HTML)}) as web:
        result = fetch(client(network, exempt=frozenset()), web.url + "/")
        assert web.hits == []
    assert result.outcome == "blocked"


def test_redirect_loop_stops(network: Network) -> None:
    with FakeWeb(
        {"/a": Page(status=302, headers={"Location": "/b"}), "/b": Page(status=301, headers={"Location": "/a"})}
    ) as web:
        result = fetch(client(network), web.url + "/a")
        assert len(web.hits) == 4  # the first request and three redirects, then it stops
    assert result.outcome == "too_many_redirects"


def test_a_20_mb_page_is_cut_at_the_cap(network: Network) -> None:
    chunk = b"<p>" + b"x" * 65_533 + b"\n"
    with FakeWeb({"/big": Page(chunk, repeat=320)}) as web:  # 21 MB
        result = fetch(client(network, max_bytes=1_000_000), web.url + "/big")
    assert result.outcome == "too_large" and result.html is None


def test_non_html_answers_are_not_read(network: Network) -> None:
    with FakeWeb({"/cv.pdf": Page(b"%PDF-1.4 " + b"0" * 50_000, content_type="application/pdf")}) as web:
        result = fetch(client(network), web.url + "/cv.pdf")
    assert result.outcome == "not_html" and result.html is None
    assert "application/pdf" in result.detail


def test_http_errors_and_timeouts_are_outcomes_not_exceptions(network: Network) -> None:
    with FakeWeb({"/gone": Page(status=404), "/slow": Page(HTML, stall_seconds=1.5)}) as web:
        assert fetch(client(network), web.url + "/gone").outcome == "http_error"
        assert fetch(client(network, timeout=0.3), web.url + "/slow").outcome == "timeout"


def test_conditional_requests_use_the_etag(network: Network) -> None:
    with FakeWeb({"/": Page(HTML, etag='"v1"')}) as web:
        first = fetch(client(network), web.url + "/")
        again = fetch(client(network), web.url + "/", etag=first.etag)
        assert web.hits[1].headers.get("if-none-match") == '"v1"'
    assert (first.outcome, first.etag, first.html) == ("ok", '"v1"', HTML)
    assert again.outcome == "not_modified"


def test_one_host_is_asked_one_page_at_a_time_with_a_pause(network: Network) -> None:
    routes = {f"/p{i}": Page(HTML) for i in range(4)}
    with FakeWeb(routes) as web:
        requests = [HomepageRequest(f"{web.url}/p{i}") for i in range(4)]
        results = list(fetch_homepages(client(network), requests, concurrency=4, pacer=HostPacer(0.3)))
        times = sorted(hit.at for hit in web.hits)
    assert [r.outcome for r in results] == ["ok"] * 4
    assert [r.url for r in results] == [r.url for r in requests]
    # The pause is kept between sends; the server sees each request a little later, by as much as a loaded
    # machine delays it (up to tens of milliseconds): 4 workers with no pause would arrive together.
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.2


def test_homepage_fetches_replay_offline_with_the_same_outcomes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tape = tmp_path / "tape"
    routes = {
        "/ok": Page(HTML),
        "/away": Page(status=302, headers={"Location": "http://192.168.0.9/"}),
        "/big": Page(HTML * 40),
    }
    with FakeWeb(routes) as web:
        recording = Network(RetryPolicy(), 60, record_dir=tape)
        urls = [web.url + "/ok", web.url + "/away", "gopher://old.example/", web.url + "/big"]
        live = [fetch(client(recording, max_bytes=len(HTML) * 2), url) for url in urls]
        recording.finish()

    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"replay dialled {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    replaying = Network(RetryPolicy(), 60, replay_dir=tape)
    replayed = [fetch(client(replaying, max_bytes=len(HTML) * 2), url) for url in urls]
    assert [(r.outcome, r.html, r.final_url) for r in replayed] == [(r.outcome, r.html, r.final_url) for r in live]
    assert [r.outcome for r in live] == ["ok", "blocked", "blocked", "too_large"]


@pytest.mark.parametrize(
    "host", ["0177.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "0x7f000001", "10.0.0.010", "1.2.3.4."]
)
def test_ipv4_addresses_in_other_spellings_are_refused_by_their_spelling(host: str) -> None:
    # The resolver would say "public": the decision must come from the spelling, never from dialling.
    public = resolver_for({host: ["93.184.216.34"]})
    with pytest.raises(InvalidURL):
        allowed_addresses(host, 80, allow_private=True, resolver=public)
    with pytest.raises(InvalidURL):
        check_url(f"http://{host}/")


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/x",
        "http://0177.0.0.1/",
        "http://h:80:80/",
        "http://h:99999/",
        "http://xn--a.com/",
        "http://a\x00b/",
    ],
)
def test_urls_that_do_not_parse_are_invalid_not_errors(url: str, network: Network) -> None:
    result = fetch(client(network), url)
    assert (result.outcome, result.final_url) == ("invalid_url", url)
    assert result.detail


def test_a_redirect_to_a_url_that_does_not_parse_is_invalid(network: Network) -> None:
    with FakeWeb({"/": Page(status=302, headers={"Location": "http://[::1/x"})}) as web:
        result = fetch(client(network), web.url + "/")
    assert result.outcome == "invalid_url" and "::1/x" in result.detail


def test_a_dripped_page_ends_at_the_page_limit(network: Network) -> None:
    with FakeWeb({"/": Page(HTML, drip_seconds=0.2)}) as web:
        started = time.monotonic()
        # Each byte comes well within the 2 s read timeout: only a limit on the whole page ends it.
        result = fetch(client(network, timeout=2.0, page_seconds=1.0), web.url + "/")
        elapsed = time.monotonic() - started
    assert result.outcome == "timeout"
    assert elapsed < 3


def test_a_page_whose_headers_come_late_ends_at_the_page_limit(network: Network) -> None:
    with FakeWeb({"/": Page(HTML, stall_seconds=3)}) as web:
        started = time.monotonic()
        # The read timeout (5 s) would wait for the headers; the page limit covers them too.
        result = fetch(client(network, timeout=5.0, page_seconds=0.5), web.url + "/")
        elapsed = time.monotonic() - started
    assert result.outcome == "timeout"
    assert elapsed < 2


def test_a_page_cut_mid_body_is_unreachable_and_says_so(network: Network) -> None:
    with FakeWeb({"/": Page(HTML, cut_body_after=10)}) as web:
        result = fetch(client(network), web.url + "/")
    assert result.outcome == "unreachable" and "dropped mid-answer" in result.detail


def test_the_run_deadline_ends_a_dripped_page_and_the_stage() -> None:
    deadline_network = Network(RetryPolicy(), 2)
    with FakeWeb({"/": Page(HTML, drip_seconds=0.2)}) as web:
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailable, match="run deadline of 2 s"):
            fetch(client(deadline_network, page_seconds=30.0), web.url + "/")
        elapsed = time.monotonic() - started
    assert elapsed < 3.5


def test_a_malformed_homepage_does_not_stop_the_others(network: Network) -> None:
    with FakeWeb({"/a": Page(HTML), "/b": Page(HTML)}) as web:
        urls = [web.url + "/a", "http://[::1/x", "http://h:80:80/", "http://0177.0.0.1/", web.url + "/b"]
        results = list(
            fetch_homepages(client(network), [HomepageRequest(u) for u in urls], concurrency=2, pacer=HostPacer(0))
        )
        assert web.count("/a") == web.count("/b") == 1
    assert [r.outcome for r in results] == ["ok", "invalid_url", "invalid_url", "invalid_url", "ok"]


class SteppedClock:
    """A monotonic clock that moves only when told, for a Deadline that runs out exactly when a test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_homepage_fetching_stops_submitting_once_the_deadline_is_reached(network: Network) -> None:
    clock = SteppedClock()
    deadline = Deadline(10, monotonic=clock)
    routes = {f"/p{i}": Page(HTML) for i in range(40)}
    with FakeWeb(routes) as web:
        requests = [HomepageRequest(f"{web.url}/p{i}") for i in range(40)]
        pages = fetch_homepages(client(network), requests, concurrency=2, pacer=HostPacer(0), deadline=deadline)
        first = [next(pages) for _ in range(3)]
        clock.now = 11
        with pytest.raises(UpstreamUnavailable, match="run deadline of 10 s"):
            list(pages)
        asked = len(web.hits)
    assert [r.outcome for r in first] == ["ok"] * 3
    # Three yielded plus at most the window ahead of them (twice the concurrency): not all 40.
    assert asked <= 3 + 4


def test_homepage_fetching_holds_a_bounded_window_ahead(network: Network) -> None:
    routes = {f"/p{i}": Page(HTML) for i in range(30)}
    with FakeWeb(routes) as web:
        requests = [HomepageRequest(f"{web.url}/p{i}") for i in range(30)]
        pages = fetch_homepages(client(network), requests, concurrency=2, pacer=HostPacer(0))
        next(pages)
        time.sleep(0.3)  # time for every page to be fetched, were they all submitted
        asked = len(web.hits)
        rest = list(pages)
    assert asked <= 1 + 4
    assert len(rest) == 29


def test_an_unexpected_error_stops_new_fetches_at_once(network: Network) -> None:
    class Broken(Exception):
        pass

    web_client = client(network)
    real_get = web_client.get
    calls: list[str] = []

    def get(url: str, **kwargs: Any) -> httpx.Response:
        calls.append(url)
        if url.endswith("/p1"):
            raise Broken("a bug")
        return real_get(url, **kwargs)

    routes = {f"/p{i}": Page(HTML) for i in range(30)}
    with FakeWeb(routes) as web:
        web_client.get = get  # type: ignore[method-assign]
        requests = [HomepageRequest(f"{web.url}/p{i}") for i in range(30)]
        with pytest.raises(Broken):
            list(fetch_homepages(web_client, requests, concurrency=1, pacer=HostPacer(0)))
    # One at a time: the failing fetch is the last one that ran.
    assert [c.rsplit("/", 1)[1] for c in calls] == ["p0", "p1"]
