"""fetch_homepages: authors' homepages, politely: bounded concurrency, one request at a time per host with
a pause between, conditional requests, redirects checked hop by hop, HTML only, size-capped.

Every outcome of one homepage is a value, never an exception: a dead, hostile or malformed homepage is a
fact about that homepage, not a reason to stop the run. What is a reason (the run deadline, a bug) stops
the fetching at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from paperharvest.errors import UpstreamUnavailable
from paperharvest.models import HomepageFetch
from paperharvest.net.guard import BlockedURL, InvalidURL, check_url
from paperharvest.net.policy import Deadline
from paperharvest.net.recording import TRUNCATED_HEADER

HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class HomepageRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None


class HostPacer:
    """One request at a time per host, at least `interval` seconds apart."""

    def __init__(self, interval: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self.sleep = sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    def turn(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def wait(self, host: str) -> None:
        """Call while holding `turn(host)`."""
        last = self._last.get(host)
        if last is not None:
            pause = self.interval - (time.monotonic() - last)
            if pause > 0:
                self.sleep(pause)
        self._last[host] = time.monotonic()


def fetch_homepage(
    client: httpx.Client, request: HomepageRequest, pacer: HostPacer, *, max_redirects: int
) -> HomepageFetch:
    url = request.url
    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    for _hop in range(max_redirects + 1):
        try:
            check_url(url)
            host = (urlsplit(url).hostname or "").lower()
            with pacer.turn(host):
                pacer.wait(host)
                response = client.get(url, headers=headers)
        except InvalidURL as exc:
            return HomepageFetch(url=request.url, final_url=url, outcome="invalid_url", detail=str(exc))
        except BlockedURL as exc:
            return HomepageFetch(url=request.url, final_url=url, outcome="blocked", detail=str(exc))
        except httpx.TimeoutException as exc:
            return HomepageFetch(url=request.url, final_url=url, outcome="timeout", detail=str(exc))
        except httpx.HTTPError as exc:
            return HomepageFetch(
                url=request.url, final_url=url, outcome="unreachable", detail=str(exc) or type(exc).__name__
            )
        if response.status_code in REDIRECTS and "location" in response.headers:
            try:
                url = urljoin(url, response.headers["location"])
            except ValueError as exc:
                detail = f"the redirect to {response.headers['location']!r} does not parse: {exc}"
                return HomepageFetch(url=request.url, final_url=url, outcome="invalid_url", detail=detail)
            continue
        return _outcome(request.url, url, response)
    return HomepageFetch(
        url=request.url, final_url=url, outcome="too_many_redirects", detail=f"more than {max_redirects} redirects"
    )


def _outcome(requested: str, final: str, response: httpx.Response) -> HomepageFetch:
    status = response.status_code
    seen = HomepageFetch(url=requested, final_url=final, outcome="ok", status=status)
    etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
    if status == 304:
        return seen.model_copy(update={"outcome": "not_modified", "etag": etag, "last_modified": modified})
    if status >= 400:
        return seen.model_copy(update={"outcome": "http_error", "detail": f"HTTP {status}"})
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not content_type.startswith(HTML_TYPES):
        return seen.model_copy(update={"outcome": "not_html", "detail": content_type or "no content type"})
    if response.headers.get(TRUNCATED_HEADER):
        return seen.model_copy(update={"outcome": "too_large", "detail": "larger than the size cap"})
    return seen.model_copy(update={"html": response.content, "etag": etag, "last_modified": modified})


def fetch_homepages(
    client: httpx.Client,
    requests: Iterable[HomepageRequest],
    *,
    concurrency: int,
    pacer: HostPacer,
    deadline: Deadline | None = None,
    max_redirects: int = 5,
) -> Iterator[HomepageFetch]:
    """Fetch many homepages concurrently, yielding the results in the order asked.

    At most `concurrency` pages are fetched at a time and twice that many are held, fetched or in flight,
    ahead of the one the caller waits for; `requests` is read only as room frees up. Once the `deadline`
    is reached, or a fetch fails with an exception, no further fetch starts; the exception (for the
    deadline UpstreamUnavailable) reaches the caller after the pages before it.
    """
    stop = threading.Event()

    def fetch(request: HomepageRequest) -> HomepageFetch | None:
        if stop.is_set():
            return None  # never reached by the caller: an earlier fetch has raised
        try:
            return fetch_homepage(client, request, pacer, max_redirects=max_redirects)
        except BaseException:
            stop.set()
            raise

    todo = iter(requests)
    ahead: deque[Future[HomepageFetch | None]] = deque()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="homepage")
    try:
        while True:
            while not stop.is_set() and len(ahead) < 2 * concurrency:
                if deadline is not None and deadline.remaining() <= 0:
                    stop.set()
                    raise UpstreamUnavailable(
                        f"run deadline of {deadline.seconds:.0f} s reached while fetching homepages"
                    )
                request = next(todo, None)
                if request is None:
                    break
                ahead.append(pool.submit(fetch, request))
            if not ahead:
                return
            result = ahead.popleft().result()
            if result is not None:
                yield result
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
