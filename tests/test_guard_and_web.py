"""The address guard and the web transport: decisions are asserted without dialling anything but 127.0.0.1."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperharvest.net import Network
from paperharvest.net.guard import BlockedURL, allowed_addresses, check_url, is_public
from paperharvest.net.policy import RetryPolicy
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
        results = list(fetch_homepages(client(network), requests, concurrency=4, pacer=HostPacer(0.2)))
        times = sorted(hit.at for hit in web.hits)
    assert [r.outcome for r in results] == ["ok"] * 4
    assert [r.url for r in results] == [r.url for r in requests]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.18


def test_homepage_fetches_replay_offline_with_the_same_outcomes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tape = tmp_path / "tape"
    routes = {"/ok": Page(HTML), "/away": Page(status=302, headers={"Location": "http://192.168.0.9/"})}
    with FakeWeb(routes) as web:
        recording = Network(RetryPolicy(), 60, record_dir=tape)
        urls = [web.url + "/ok", web.url + "/away", "gopher://old.example/"]
        live = [fetch(client(recording), url) for url in urls]
        recording.finish()

    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"replay dialled {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    replaying = Network(RetryPolicy(), 60, replay_dir=tape)
    replayed = [fetch(client(replaying), url) for url in urls]
    assert [(r.outcome, r.html, r.final_url) for r in replayed] == [(r.outcome, r.html, r.final_url) for r in live]
    assert [r.outcome for r in live] == ["ok", "blocked", "blocked"]
