"""A fake of the two code-link APIs on 127.0.0.1: Hugging Face Papers and paperswithcode.co.

One server answers both, so a test points each client at its own base URL on the same port:

- `GET {hf_base}/papers/{arxiv_id}` (hf_base = `<url>/api`) answers the Hugging Face paper dict it was given,
  or 404 `{"error": "Not Found"}` for a paper Hugging Face has not indexed.
- `GET {pwc_base}/papers/{arxiv_id}?include_resources=true` (pwc_base = `<url>/api/v1`) answers the
  paperswithcode.co paper dict; `repositories` only when `include_resources=true` is asked for; 404 when
  unknown.

Faults (5xx, an HTML page where JSON belongs, 429, a stall, a dropped connection) apply to the next matching
requests, by API and optionally by arXiv id, in the spirit of tests/fakes/openreview_v1.py. Every request is
recorded, so tests can count round trips. The error bodies are plausible shapes, not recordings: nobody here
has captured a real 429 or 5xx from either API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias
from urllib.parse import unquote

from tests.fakes.http_fake import (
    HTML_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    Answer,
    FakeHandler,
    FaultyServer,
    lowered_headers,
    path_and_query,
)

__all__ = [
    "HF_PREFIX",
    "PWC_PREFIX",
    "Api",
    "CodeApiFault",
    "CodeApiRequest",
    "FakeCodeApis",
    "dropped_connection",
    "html_page",
    "rate_limited",
    "server_error",
    "stall",
]

Api: TypeAlias = Literal["hf", "pwc"]

HF_PREFIX = "/api/papers/"
PWC_PREFIX = "/api/v1/papers/"

# What a CDN or maintenance page puts where JSON was expected.
MAINTENANCE_HTML = (
    "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    "<body><h1>We'll be right back</h1><p>The service is down for maintenance.</p></body></html>"
)


@dataclass
class CodeApiRequest:
    """One request as the server saw it; `api` is None for a path neither API serves."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    api: Api | None
    arxiv_id: str | None
    status: int | None = None
    fault: CodeApiFault | None = None


@dataclass
class CodeApiFault:
    """A misbehaviour for the next `times` requests to `api` (None: either) about `arxiv_id` (None: any).

    `status=None` answers normally after `stall_seconds`; any other status replaces the answer with `body`.
    `times=None` keeps the fault forever.
    """

    api: Api | None = None
    arxiv_id: str | None = None
    status: int | None = None
    body: str = ""
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    stall_seconds: float = 0.0
    drop_connection: bool = False

    def matches(self, request: CodeApiRequest) -> bool:
        if request.api is None:
            return False
        if self.api is not None and request.api != self.api:
            return False
        return self.arxiv_id is None or request.arxiv_id == self.arxiv_id


def server_error(
    status: int = 503, *, api: Api | None = None, arxiv_id: str | None = None, times: int | None = 1
) -> CodeApiFault:
    """500 with a JSON error body; 502/503/504 with the HTML page a front end serves when the app is down."""
    if status >= 502:
        return CodeApiFault(api, arxiv_id, status, MAINTENANCE_HTML, HTML_CONTENT_TYPE, times=times)
    body = json.dumps({"error": "Internal Error"})
    return CodeApiFault(api, arxiv_id, status, body, JSON_CONTENT_TYPE, times=times)


def html_page(*, api: Api | None = None, arxiv_id: str | None = None, times: int | None = 1) -> CodeApiFault:
    """200 text/html where JSON belongs: only a client that checks what it parsed notices."""
    return CodeApiFault(api, arxiv_id, 200, MAINTENANCE_HTML, HTML_CONTENT_TYPE, times=times)


def rate_limited(
    retry_after: int | None = None, *, api: Api | None = None, arxiv_id: str | None = None, times: int | None = 1
) -> CodeApiFault:
    """429, with `Retry-After` only when asked for."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = json.dumps({"error": "Too Many Requests"})
    return CodeApiFault(api, arxiv_id, 429, body, JSON_CONTENT_TYPE, headers, times=times)


def stall(
    seconds: float, *, api: Api | None = None, arxiv_id: str | None = None, times: int | None = 1
) -> CodeApiFault:
    """Answer normally, but only after `seconds`: how a source that does not answer in time looks."""
    return CodeApiFault(api, arxiv_id, times=times, stall_seconds=seconds)


def dropped_connection(*, api: Api | None = None, arxiv_id: str | None = None, times: int | None = 1) -> CodeApiFault:
    """Close the socket without an answer."""
    return CodeApiFault(api, arxiv_id, times=times, drop_connection=True)


class _Handler(FakeHandler):
    server_version = "fake-code-apis"
    sys_version = ""
    do_GET = FakeHandler.dispatch


def _json(status: int, payload: Any) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), JSON_CONTENT_TYPE)


def _route(path: str) -> tuple[Api | None, str | None]:
    # Old-style ids (`cs/0112017`) contain a slash, so the id is everything after the prefix.
    if path.startswith(PWC_PREFIX) and len(path) > len(PWC_PREFIX):
        return "pwc", unquote(path[len(PWC_PREFIX) :])
    if path.startswith(HF_PREFIX) and len(path) > len(HF_PREFIX):
        return "hf", unquote(path[len(HF_PREFIX) :])
    return None, None


class FakeCodeApis(FaultyServer[CodeApiRequest, CodeApiFault]):
    """Both APIs on 127.0.0.1:<free port>, answering from `hf_papers` and `pwc_papers` (arXiv id -> dict)."""

    handler_class = _Handler
    thread_name = "fake-code-apis"

    def __init__(
        self,
        hf_papers: Mapping[str, Mapping[str, Any]] | None = None,
        pwc_papers: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        # Copied, so a test that mutates its dicts afterwards does not change what the server says.
        self.hf_papers = {k: json.loads(json.dumps(v)) for k, v in (hf_papers or {}).items()}
        self.pwc_papers = {k: json.loads(json.dumps(v)) for k, v in (pwc_papers or {}).items()}

    @property
    def hf_base(self) -> str:
        return f"{self.url}/api"

    @property
    def pwc_base(self) -> str:
        return f"{self.url}/api/v1"

    # ---- test helpers ------------------------------------------------------------------------------

    def count(self, api: Api | None = None, arxiv_id: str | None = None) -> int:
        """Requests seen, for one API (None: both) and one arXiv id (None: any)."""
        return self._count(lambda r: (api is None or r.api == api) and (arxiv_id is None or r.arxiv_id == arxiv_id))

    # ---- request handling --------------------------------------------------------------------------

    def _handle(self, handler: FakeHandler) -> None:
        path, query = path_and_query(handler)
        api, arxiv_id = _route(path)
        request = CodeApiRequest("GET", path, query, lowered_headers(handler), api, arxiv_id)
        fault = self._record(request)
        # Faults here either replace the answer or leave it alone: none alters a real paper's answer.
        self._respond(handler, request, fault, lambda: self._answer(api, arxiv_id, query))

    def _answer(self, api: Api | None, arxiv_id: str | None, query: dict[str, str]) -> Answer:
        if api == "hf" and arxiv_id is not None:
            paper = self.hf_papers.get(arxiv_id)
            return _json(200, paper) if paper is not None else _json(404, {"error": "Not Found"})
        if api == "pwc" and arxiv_id is not None:
            paper = self.pwc_papers.get(arxiv_id)
            if paper is None:
                return _json(404, {"detail": "Not found."})
            if query.get("include_resources", "").lower() != "true":
                paper = {k: v for k, v in paper.items() if k != "repositories"}
            return _json(200, paper)
        return _json(404, {"error": "Not Found"})
