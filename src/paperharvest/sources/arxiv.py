"""arXiv export API: our own thin client on `network.session()`, so timeouts, retries and record/replay are
the house's, and every answer is kept as the raw Atom text it arrived as.

Not the `arxiv` package: it keeps no raw Atom, yields nothing for an empty first page, and cannot tell an
empty page mid-pagination from the end of the results. Like sources/openreview.py, the generators here yield
raw payloads (with the parsed feed beside them) and know nothing of SQLite or matching.

arXiv's terms allow one request every 3 seconds over one connection: every request takes an `ArxivPacer` turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import requests

from paperharvest.errors import NormalizeError, UpstreamDataError, UpstreamUnavailable
from paperharvest.models import ArxivFeed
from paperharvest.net.answers import Service, read_text
from paperharvest.normalize.arxiv_feed import parse_feed
from paperharvest.normalize.arxiv_query import DEFAULT_QUERY_CHARS, build_title_query

__all__ = ["ARXIV_DELAY", "MAX_PAGE_SIZE", "ArxivPacer", "RawFeed", "fetch_arxiv_feed", "fetch_by_ids", "search_titles"]

ARXIV_DELAY = 3.0
# The API manual: at most 2,000 results a call.
MAX_PAGE_SIZE = 2000


class ArxivPacer:
    """At least `delay` seconds between the starts of consecutive requests, and one request at a time.

    The turn is held for the whole request, so threads sharing a pacer also share one connection's worth of
    traffic, as the terms ask. Use `delay=0` when replaying a recording or in tests.
    """

    def __init__(
        self,
        delay: float = ARXIV_DELAY,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = delay
        self.clock = clock
        self.sleep = sleep
        self._last_start: float | None = None
        self._lock = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for the next slot, then hold it while the request runs."""
        with self._lock:
            if self._last_start is not None:
                pause = self._last_start + self.delay - self.clock()
                if pause > 0:
                    self.sleep(pause)
            self._last_start = self.clock()
            yield


@dataclass(frozen=True)
class RawFeed:
    """One arXiv answer: the parameters asked, the Atom text as received, and what it says."""

    params: dict[str, str]
    xml: str
    feed: ArxivFeed


def _describe(params: Mapping[str, str]) -> str:
    if params.get("id_list"):
        return f"the id look-up of {len(params['id_list'].split(','))} ids"
    return f"the title search (start={params.get('start', '0')})"


ARXIV = Service("arXiv", setting="PAPERHARVEST_ARXIV_API_URL")


def _parse(text: str, what: str, status: int) -> ArxivFeed:
    try:
        return parse_feed(text)
    except NormalizeError as exc:
        raise UpstreamDataError(f"arXiv answered {what} with HTTP {status} but not a usable feed: {exc}") from None


def fetch_arxiv_feed(session: requests.Session, api_url: str, params: Mapping[str, str], pacer: ArxivPacer) -> RawFeed:
    """One GET `api_url?params`, as a RawFeed, or the error a user can act on."""
    what = _describe(params)
    try:
        with pacer.turn():
            response = session.get(api_url, params=dict(params))
    except UpstreamUnavailable as exc:
        # The adapter has retried 429s and 5xx already; a 429 reaching here means we were too fast for too long.
        hint = " (arXiv kept rate-limiting us: one request every 3 s)" if "HTTP 429" in str(exc) else ""
        raise UpstreamUnavailable(f"arXiv did not answer {what}: {exc}{hint}") from None
    # A 400 carries arXiv's own error entry, in a feed: it says what was wrong with the query.
    text = read_text(response, ARXIV, what, kind="an Atom feed", passing=frozenset({400}))
    feed = _parse(text, what, response.status_code)
    if feed.error is not None or response.status_code == 400:
        raise UpstreamDataError(f"arXiv rejected the query: {feed.error or 'HTTP 400 without an error entry'}")
    return RawFeed(params=dict(params), xml=text, feed=feed)


def _fetch_page(session: requests.Session, api_url: str, params: Mapping[str, str], pacer: ArxivPacer) -> RawFeed:
    """A page that should hold entries, asked twice if it comes back empty.

    arXiv now and then answers a page with the right totalResults and no entries. Read as "no more results",
    that would silently drop papers, so it gets one more try and is then an error.
    """
    start = int(params.get("start", "0"))
    raw = fetch_arxiv_feed(session, api_url, params, pacer)
    if raw.feed.entries or start >= raw.feed.total_results:
        return raw
    raw = fetch_arxiv_feed(session, api_url, params, pacer)
    if raw.feed.entries or start >= raw.feed.total_results:
        return raw
    raise UpstreamDataError(
        f"arXiv answered {_describe(params)} with no entries twice, although it counts "
        f"{raw.feed.total_results} results; nothing from this query was stored past start={start}"
    )


def search_titles(
    session: requests.Session,
    api_url: str,
    titles: Sequence[str],
    pacer: ArxivPacer,
    *,
    page_size: int = 200,
    max_chars: int = DEFAULT_QUERY_CHARS,
    submitted_years: tuple[int, int] | None = None,
) -> Iterator[tuple[list[int], RawFeed]]:
    """Batched `ti:` searches for `titles`: (indices of the titles a batch covers, raw page) for every page.

    A batch is one request while its hits fit in `page_size`; otherwise its pages follow with `start=`.
    Titles with nothing searchable are in no batch (see build_title_query).
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
    for query, indices in build_title_query(titles, max_chars, submitted_years=submitted_years):
        start = 0
        while True:
            params = {
                "search_query": query,
                "start": str(start),
                "max_results": str(page_size),
                # Oldest first: papers submitted while we page land at the end, so no page shifts under us,
                # as a relevance order might between two requests 3 s apart.
                "sortBy": "submittedDate",
                "sortOrder": "ascending",
            }
            raw = _fetch_page(session, api_url, params, pacer)
            yield indices, raw
            start += len(raw.feed.entries)
            if not raw.feed.entries or start >= raw.feed.total_results:
                break


def fetch_by_ids(
    session: requests.Session, api_url: str, ids: Sequence[str], pacer: ArxivPacer, *, batch: int = 100
) -> Iterator[RawFeed]:
    """The entries for arXiv `ids` (versioned or not), `batch` ids a request through `id_list`."""
    if not 1 <= batch <= MAX_PAGE_SIZE:
        raise ValueError(f"batch must be 1..{MAX_PAGE_SIZE}, not {batch}")
    for first in range(0, len(ids), batch):
        chunk = ids[first : first + batch]
        params = {"id_list": ",".join(chunk), "max_results": str(len(chunk))}
        yield _fetch_page(session, api_url, params, pacer)
