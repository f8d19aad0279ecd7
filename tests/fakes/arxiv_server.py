"""A fake arXiv export API (`GET /api/query`) on 127.0.0.1 that answers in the real post-2025 Atom format.

It serves `search_query` (field terms `ti: au: abs: co: jr: cat: all:`, quoted phrases, AND / OR / ANDNOT,
parentheses, `submittedDate:[A TO B]`), `id_list` (comma-separated, versions optional; a malformed id gets
the real 400 error feed), `start`, `max_results`, `sortBy` and `sortOrder`, from an in-memory list of
entries. Words match case-insensitively with accents folded, roughly as arXiv's index does (no stemming:
the fake is stricter than the real thing, never looser). "relevance" keeps the order the entries were given.

Faults are injected the way tests/fakes/openreview_v1.py does it (a `Fault` applied to the next matching
requests): an empty feed, an empty page mid-pagination, 503, 429 with the text body "Rate exceeded.", the
400 error feed, a stall, a dropped connection, a truncated body. Every request is recorded with its
arrival time, and the most requests ever in flight at once is kept, so tests can check a client's pacing
(one request every 3 s) and that it uses one connection at a time.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from paperharvest.models import ArxivEntry
from tests.fakes.http_fake import (
    HTML_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    Answer,
    FakeHandler,
    FaultyServer,
    RouteFault,
    RouteMatch,
    lowered_headers,
    path_and_query,
)

__all__ = [
    "ATOM_CONTENT_TYPE",
    "MAX_RESULTS_PER_CALL",
    "QUERY_PATH",
    "FakeArxiv",
    "Fault",
    "Request",
    "dropped_connection",
    "empty_feed",
    "empty_page",
    "error_feed",
    "make_entry",
    "rate_limited",
    "render_error_feed",
    "render_feed",
    "server_error",
    "stall",
    "truncated",
]

QUERY_PATH = "/api/query"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
MAX_RESULTS_PER_CALL = 2000
SCHEME = "http://arxiv.org/schemas/atom"

_SERVICE_UNAVAILABLE_HTML = (
    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1>"
    "<p>The server is temporarily unable to service your request. Please try again later.</p></body></html>"
)


# ---- entries and feeds ------------------------------------------------------------------------------------


def _as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def make_entry(
    arxiv_id: str,
    title: str,
    authors: Sequence[str],
    published: datetime | str,
    **fields: Any,
) -> ArxivEntry:
    """An ArxivEntry with sensible defaults for what a test does not care about (version 1, cs.LG, ...)."""
    version = int(fields.pop("version", 1))
    primary = fields.pop("primary_category", "cs.LG")
    published_at = _as_datetime(published)
    data: dict[str, Any] = {
        "arxiv_id": arxiv_id,
        "version": version,
        "title": title,
        "summary": "",
        "authors": list(authors),
        "affiliations": [[] for _ in authors],
        "published": published_at,
        "updated": published_at,
        "primary_category": primary,
        "categories": [primary],
        "comment": None,
        "journal_ref": None,
        "doi": None,
        "abs_url": f"https://arxiv.org/abs/{arxiv_id}v{version}",
        "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}v{version}",
    }
    if "updated" in fields:
        fields["updated"] = _as_datetime(fields["updated"])
    data.update(fields)
    return ArxivEntry.model_validate(data)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _render_entry(entry: ArxivEntry) -> list[str]:
    # Element order and attribute order as in the recorded 2026 answers (shared/data/arxiv/*.xml).
    versioned = f"{entry.arxiv_id}v{entry.version}"
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{escape(versioned)}</id>",
        f"    <title>{escape(entry.title)}</title>",
        f"    <updated>{_stamp(entry.updated)}</updated>",
        f'    <link href="{_attr(entry.abs_url)}" rel="alternate" type="text/html"/>',
        f'    <link href="{_attr(entry.pdf_url)}" rel="related" type="application/pdf" title="pdf"/>',
        # arXiv indents a paragraph's first line; that is how readers find the paragraph breaks again.
        f"    <summary>{escape(entry.summary.replace(chr(10), chr(10) + '  '))}</summary>",
    ]
    lines += [f'    <category term="{_attr(c)}" scheme="{SCHEME}"/>' for c in entry.categories]
    lines.append(f"    <published>{_stamp(entry.published)}</published>")
    if entry.comment is not None:
        lines.append(f"    <arxiv:comment>{escape(entry.comment)}</arxiv:comment>")
    lines.append(f'    <arxiv:primary_category term="{_attr(entry.primary_category)}"/>')
    if entry.journal_ref is not None:
        lines.append(f"    <arxiv:journal_ref>{escape(entry.journal_ref)}</arxiv:journal_ref>")
    for position, name in enumerate(entry.authors):
        lines += ["    <author>", f"      <name>{escape(name)}</name>"]
        affiliations = entry.affiliations[position] if position < len(entry.affiliations) else []
        lines += [f"      <arxiv:affiliation>{escape(a)}</arxiv:affiliation>" for a in affiliations]
        lines.append("    </author>")
    if entry.doi is not None:
        lines.append(f"    <arxiv:doi>{escape(entry.doi)}</arxiv:doi>")
        lines.append(f'    <link rel="related" href="https://doi.org/{_attr(entry.doi)}" title="doi"/>')
    lines.append("  </entry>")
    return lines


def _feed_head(feed_id: str, title: str, updated: datetime) -> list[str]:
    return [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{escape(feed_id)}</id>",
        f"  <title>{escape(title)}</title>",
        f"  <updated>{_stamp(updated)}</updated>",
    ]


def render_feed(
    entries: Sequence[ArxivEntry],
    *,
    total: int,
    start: int = 0,
    items_per_page: int = 10,
    search_query: str = "",
    id_list: str = "",
    updated: datetime | None = None,
) -> bytes:
    """A 200 answer in the post-2025 format, byte-shaped like search_all-testing_start0_max10.xml."""
    params = f"search_query={search_query}&id_list={id_list}&start={start}&max_results={items_per_page}"
    link = f"https://arxiv.org/api/query?search_query={search_query}&start={start}&max_results={items_per_page}"
    digest = base64.b64encode(hashlib.sha1(params.encode("utf-8")).digest()).decode("ascii").rstrip("=")
    lines = _feed_head(f"https://arxiv.org/api/{digest}", f"arXiv Query: {params}", updated or datetime.now(UTC))
    lines += [
        f'  <link href="{_attr(link + "&id_list=" + id_list)}" type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{items_per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    for entry in entries:
        lines += _render_entry(entry)
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_error_feed(message: str, updated: datetime | None = None) -> bytes:
    """The HTTP 400 answer, shaped like idlist_abc_http400_error.xml: one entry titled "Error"."""
    stamp = updated or datetime.now(UTC)
    anchor = re.sub(r"[^A-Za-z0-9.]+", "_", message).strip("_")
    error_id = f"https://arxiv.org/api/errors#{anchor}"
    lines = _feed_head("https://arxiv.org/", "arXiv Search Results", stamp)
    lines += [
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>",
        "  <opensearch:totalResults>1</opensearch:totalResults>",
        "  <opensearch:startIndex>0</opensearch:startIndex>",
        "  <entry>",
        f"    <id>{escape(error_id)}</id>",
        "    <title>Error</title>",
        f"    <updated>{_stamp(stamp)}</updated>",
        f'    <link href="{_attr(error_id)}" rel="alternate" type="text/html"/>',
        f"    <summary>{escape(message)}</summary>",
        "    <author>",
        "      <name>arXiv api core</name>",
        "    </author>",
        "  </entry>",
        "</feed>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---- search ---------------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Lowercase, accent-folded alphanumeric runs: roughly what arXiv's index holds for a field."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.findall(r"[^\W_]+", folded)


_FIELDS = ("ti", "au", "abs", "co", "jr", "all")


class _Index:
    """Positional token lists and postings per field, so a batch of 20 phrases costs set lookups, not scans."""

    def __init__(self, entries: Sequence[ArxivEntry]) -> None:
        self.entries = list(entries)
        self.tokens: dict[str, list[list[str]]] = {name: [] for name in _FIELDS}
        self.postings: dict[str, dict[str, set[int]]] = {name: {} for name in _FIELDS}
        self.categories: list[set[str]] = []
        for position, entry in enumerate(self.entries):
            fields = {
                "ti": _tokens(entry.title),
                "au": _tokens(" ".join(entry.authors)),
                "abs": _tokens(entry.summary),
                "co": _tokens(entry.comment or ""),
                "jr": _tokens(entry.journal_ref or ""),
            }
            fields["all"] = [token for name in ("ti", "au", "abs", "co", "jr") for token in fields[name]]
            for name, tokens in fields.items():
                self.tokens[name].append(tokens)
                for token in tokens:
                    self.postings[name].setdefault(token, set()).add(position)
            self.categories.append({c.lower() for c in entry.categories})
        self.universe = set(range(len(self.entries)))

    def phrase(self, name: str, text: str) -> set[int]:
        words = _tokens(text.replace("_", " ") if name == "au" else text)
        if not words:
            return set()
        postings = self.postings[name]
        found = set.intersection(*(postings.get(word, set()) for word in words))
        if len(words) == 1:
            return found
        return {i for i in found if _contains(self.tokens[name][i], words)}

    def category(self, term: str) -> set[int]:
        wanted = term.lower()
        return {
            i
            for i, cats in enumerate(self.categories)
            if wanted in cats or any(c.split(".")[0] == wanted for c in cats)
        }

    def submitted(self, low: datetime, high: datetime) -> set[int]:
        return {i for i, entry in enumerate(self.entries) if low <= entry.published <= high}


def _contains(tokens: list[str], words: list[str]) -> bool:
    width = len(words)
    first = words[0]
    return any(tokens[i : i + width] == words for i, token in enumerate(tokens) if token == first)


class QuerySyntaxError(ValueError):
    pass


_QUERY_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>ANDNOT|AND|OR)(?=[\s()]|\Z)"
    r'|(?P<field>[A-Za-z]+):(?:"(?P<fphrase>[^"]*)"|\[(?P<range>[^\]]*)\]|(?P<fword>[^\s()"]+))'
    r'|"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))'
)


def _stamp_bound(value: str, *, end: bool) -> datetime:
    digits = value.strip()
    if not re.fullmatch(r"\d{8}(\d{4})?", digits):
        raise QuerySyntaxError(f"bad submittedDate bound {value!r}")
    if len(digits) == 8:
        digits += "2359" if end else "0000"
    return datetime.strptime(digits, "%Y%m%d%H%M").replace(tzinfo=UTC, second=59 if end else 0)


class _Parser:
    """search_query -> set of entry positions. AND and ANDNOT bind tighter than OR; adjacent terms AND."""

    def __init__(self, query: str, index: _Index) -> None:
        self.index = index
        self.items: list[re.Match[str]] = []
        position = 0
        query = query.strip()
        while position < len(query):
            match = _QUERY_TOKEN.match(query, position)
            if match is None or match.end() == position:
                raise QuerySyntaxError(f"cannot read the query at {query[position : position + 20]!r}")
            self.items.append(match)
            position = match.end()
            while position < len(query) and query[position].isspace():
                position += 1
        self.at = 0

    def parse(self) -> set[int]:
        result = self._or()
        if self.at != len(self.items):
            raise QuerySyntaxError("unbalanced parentheses or a dangling operator")
        return result

    def _peek(self) -> re.Match[str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def _or(self) -> set[int]:
        result = self._and()
        while (item := self._peek()) is not None and item.group("op") == "OR":
            self.at += 1
            result = result | self._and()
        return result

    def _and(self) -> set[int]:
        result = self._unary()
        while (item := self._peek()) is not None and not item.group("rp") and item.group("op") != "OR":
            operator = item.group("op")
            if operator:
                self.at += 1
            right = self._unary()
            result = result - right if operator == "ANDNOT" else result & right
        return result

    def _unary(self) -> set[int]:
        item = self._peek()
        if item is None:
            raise QuerySyntaxError("the query ends where a term should be")
        self.at += 1
        if item.group("lp"):
            inner = self._or()
            closing = self._peek()
            if closing is None or not closing.group("rp"):
                raise QuerySyntaxError("missing )")
            self.at += 1
            return inner
        if item.group("rp") or item.group("op"):
            raise QuerySyntaxError(f"unexpected {item.group(0).strip()!r}")
        if item.group("field"):
            name = item.group("field")
            value = item.group("fphrase") if item.group("fphrase") is not None else item.group("fword")
            if item.group("range") is not None:
                if name != "submittedDate":
                    raise QuerySyntaxError(f"ranges only work on submittedDate, not {name}")
                low, sep, high = item.group("range").partition(" TO ")
                if not sep:
                    raise QuerySyntaxError("a range needs 'A TO B'")
                return self.index.submitted(_stamp_bound(low, end=False), _stamp_bound(high, end=True))
            if name == "cat":
                return self.index.category(value or "")
            if name not in _FIELDS:
                raise QuerySyntaxError(f"unknown field {name!r}")
            return self.index.phrase(name, value or "")
        return self.index.phrase(
            "all", item.group("phrase") if item.group("phrase") is not None else item.group("word")
        )


_ID_ARG = re.compile(r"\A(?P<id>\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?\Z")


# ---- faults ---------------------------------------------------------------------------------------------------


@dataclass
class Request:
    """One request as the server saw it; `status` is filled in once it has been answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    # time.monotonic() at arrival, for pacing checks.
    at: float
    status: int | None = None
    fault: Fault | None = None


MatchSpec: TypeAlias = RouteMatch[Request]


@dataclass
class Fault(RouteFault[Request]):
    """A misbehaviour applied to the next `times` requests that match `method`, `path` and `match`.

    `status=None` answers normally after `stall_seconds` (optionally `truncate`d, or with no entries when
    `empty` is "feed" (totalResults 0) or "page" (the true total, but no entries: a page lost mid-listing)).
    Any other status replaces the answer with `body`. `match` maps query parameters to a required value,
    `True` (present) or `False` (absent), or is a predicate on the Request. `times=None` keeps it forever.
    """

    path: str = QUERY_PATH
    empty: Literal["feed", "page"] | None = None


def _fault(base: Fault, times: int | None, match: MatchSpec | None) -> Fault:
    return replace(base, times=times, match=match)


def rate_limited(retry_after: int | None = None, *, times: int | None = 1, match: MatchSpec | None = None) -> Fault:
    """429 with the plain-text body arXiv sends; `Retry-After` only when asked, as it is not known to be sent."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    base = Fault(status=429, body="Rate exceeded.", headers=headers, content_type=TEXT_CONTENT_TYPE)
    return _fault(base, times, match)


def server_error(
    status: int = 503,
    *,
    retry_after: int | None = None,
    times: int | None = 1,
    match: MatchSpec | None = None,
) -> Fault:
    """A 5xx with an HTML body (arXiv under load), never a feed."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    base = Fault(status=status, body=_SERVICE_UNAVAILABLE_HTML, headers=headers, content_type=HTML_CONTENT_TYPE)
    return _fault(base, times, match)


def error_feed(
    message: str = "incorrect id format for abc", *, times: int | None = 1, match: MatchSpec | None = None
) -> Fault:
    """HTTP 400 with the Atom error feed (one entry titled "Error")."""
    base = Fault(status=400, body=render_error_feed(message), content_type=ATOM_CONTENT_TYPE)
    return _fault(base, times, match)


def empty_feed(*, times: int | None = 1, match: MatchSpec | None = None) -> Fault:
    """200, a valid feed with totalResults 0: indistinguishable from "nothing found"."""
    return _fault(Fault(empty="feed"), times, match)


def empty_page(*, times: int | None = 1, match: MatchSpec | None = None) -> Fault:
    """200, the true totalResults but no entries: arXiv dropping a page in the middle of a listing."""
    return _fault(Fault(empty="page"), times, match)


def stall(seconds: float, *, times: int | None = 1, match: MatchSpec | None = None) -> Fault:
    """Sleep before answering normally: the `arxiv` package sets no timeout, so this is how a hang looks."""
    return _fault(Fault(stall_seconds=seconds), times, match)


def dropped_connection(*, times: int | None = 1, match: MatchSpec | None = None) -> Fault:
    """Close the socket without any answer."""
    return _fault(Fault(drop_connection=True), times, match)


def truncated(*, times: int | None = 1, match: MatchSpec | None = None) -> Fault:
    """200, the real feed cut in half (Content-Length matching the cut body): malformed XML."""
    return _fault(Fault(truncate=True), times, match)


# ---- server ---------------------------------------------------------------------------------------------------


class _Handler(FakeHandler):
    server_version = "Apache"
    sys_version = ""
    do_GET = do_POST = FakeHandler.dispatch


def _bad_request(message: str) -> Answer:
    return Answer(400, render_error_feed(message), ATOM_CONTENT_TYPE)


class FakeArxiv(FaultyServer[Request, Fault]):
    """The arXiv export API on 127.0.0.1:<free port>, serving `entries` (ArxivEntry or dicts for make_entry).

    `min_interval`, when set, answers 429 "Rate exceeded." to any request that arrives sooner than that
    many seconds after the previous one, as arXiv may; `delay` slows every answer down.
    """

    handler_class = _Handler
    thread_name = "fake-arxiv"
    # arXiv labels what it sends as Atom, errors included, unless a fault says otherwise.
    fault_content_type = ATOM_CONTENT_TYPE

    def __init__(
        self,
        entries: Iterable[ArxivEntry | Mapping[str, Any]] = (),
        *,
        min_interval: float | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__()
        built = [e if isinstance(e, ArxivEntry) else make_entry(**dict(e)) for e in entries]
        self._index = _Index(built)
        self._by_id = {e.arxiv_id: (position, e) for position, e in enumerate(built)}
        self.min_interval = min_interval
        self.delay = delay
        self.max_in_flight = 0
        self._in_flight = 0

    @property
    def query_url(self) -> str:
        return self.url + QUERY_PATH

    # ---- test helpers ------------------------------------------------------------------------------------

    def count(self, method: str = "GET", path: str = QUERY_PATH) -> int:
        return self._count(lambda r: r.method == method.upper() and r.path == path)

    @property
    def request_times(self) -> list[float]:
        """time.monotonic() at each request's arrival, in order."""
        with self._lock:
            return [r.at for r in self.requests]

    # ---- request handling --------------------------------------------------------------------------------

    def _handle(self, handler: FakeHandler) -> None:
        arrived = time.monotonic()
        path, query = path_and_query(handler)
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            # The real API takes POSTed forms too; their fields join the URL's.
            query.update(parse_qsl(handler.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        headers = lowered_headers(handler)
        with self._lock:
            previous = self.requests[-1].at if self.requests else None
            request = Request(handler.command, path, query, headers, arrived)
            fault = self._record(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            self._respond(handler, request, fault, lambda: self._answer(request, fault, previous), delay=self.delay)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, request: Request, fault: Fault | None, previous: float | None) -> Answer:
        # arXiv's own refusals come before the feed, so a fault that lets answers through leaves them alone.
        too_soon = self.min_interval is not None and previous is not None and request.at - previous < self.min_interval
        if too_soon:
            return Answer(429, b"Rate exceeded.", TEXT_CONTENT_TYPE)
        if request.path != QUERY_PATH:
            return Answer(404, b"Not Found", TEXT_CONTENT_TYPE)
        answer = self._query(request.query, fault.empty if fault is not None else None)
        return fault.let_through(answer) if fault is not None else answer

    def _query(self, query: dict[str, str], empty: Literal["feed", "page"] | None) -> Answer:
        search_query = query.get("search_query", "")
        id_list = query.get("id_list", "")
        try:
            start = int(query.get("start", "0") or 0)
            max_results = int(query.get("max_results", "10") or 10)
        except ValueError:
            return _bad_request("start and max_results must be integers")
        if start < 0 or max_results < 0:
            return _bad_request("start and max_results must be non-negative")
        # The manual: at most 2000 results a call, however many are asked for.
        max_results = min(max_results, MAX_RESULTS_PER_CALL)
        sort_by = query.get("sortBy", "relevance")
        sort_order = query.get("sortOrder", "descending")
        if sort_by not in ("relevance", "lastUpdatedDate", "submittedDate"):
            return _bad_request(f"unknown sortBy {sort_by}")
        if sort_order not in ("ascending", "descending"):
            return _bad_request(f"unknown sortOrder {sort_order}")

        matched: set[int] | None = None
        if search_query.strip():
            try:
                matched = _Parser(search_query, self._index).parse()
            except QuerySyntaxError as exc:
                return _bad_request(f"malformed search_query: {exc}")
        results: list[ArxivEntry]
        if id_list.strip():
            results = []
            for raw in id_list.split(","):
                wanted = raw.strip()
                parsed = _ID_ARG.match(wanted)
                if parsed is None:
                    return _bad_request(f"incorrect id format for {wanted}")
                known = self._by_id.get(parsed.group("id"))
                if known is None:
                    continue
                position, entry = known
                if matched is not None and position not in matched:
                    continue
                version = int(parsed.group("version") or entry.version)
                if version > entry.version:
                    continue
                results.append(_at_version(entry, version))
        elif matched is not None:
            results = [self._index.entries[i] for i in sorted(matched)]
        else:
            results = []

        if sort_by == "submittedDate":
            results.sort(key=lambda e: e.published, reverse=sort_order == "descending")
        elif sort_by == "lastUpdatedDate":
            results.sort(key=lambda e: e.updated, reverse=sort_order == "descending")
        elif sort_order == "ascending":
            results.reverse()

        total = len(results)
        page = results[start : start + max_results]
        if empty == "feed":
            total, page = 0, []
        elif empty == "page":
            page = []
        body = render_feed(
            page, total=total, start=start, items_per_page=max_results, search_query=search_query, id_list=id_list
        )
        return Answer(200, body, ATOM_CONTENT_TYPE)


def _at_version(entry: ArxivEntry, version: int) -> ArxivEntry:
    if version == entry.version:
        return entry
    # The fake keeps only the latest metadata; an older version is that metadata under the older number.
    versioned = f"{entry.arxiv_id}v{version}"
    return entry.model_copy(
        update={
            "version": version,
            "abs_url": f"https://arxiv.org/abs/{versioned}",
            "pdf_url": f"https://arxiv.org/pdf/{versioned}",
        }
    )
