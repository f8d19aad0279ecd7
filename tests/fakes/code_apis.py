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

import contextlib
import json
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl, unquote, urlsplit

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
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # stop() unblocks and joins handler threads itself rather than waiting on a stalled one here.
    block_on_close = False

    def __init__(self, fake: FakeCodeApis) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up mid-answer are expected in these tests; a traceback is noise.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-code-apis"
    sys_version = ""
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, threading.current_thread())

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.fake._handle(self)


def _route(path: str) -> tuple[Api | None, str | None]:
    # Old-style ids (`cs/0112017`) contain a slash, so the id is everything after the prefix.
    if path.startswith(PWC_PREFIX) and len(path) > len(PWC_PREFIX):
        return "pwc", unquote(path[len(PWC_PREFIX) :])
    if path.startswith(HF_PREFIX) and len(path) > len(HF_PREFIX):
        return "hf", unquote(path[len(HF_PREFIX) :])
    return None, None


class FakeCodeApis:
    """Both APIs on 127.0.0.1:<free port>, answering from `hf_papers` and `pwc_papers` (arXiv id -> dict)."""

    def __init__(
        self,
        hf_papers: Mapping[str, Mapping[str, Any]] | None = None,
        pwc_papers: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        # Copied, so a test that mutates its dicts afterwards does not change what the server says.
        self.hf_papers = {k: json.loads(json.dumps(v)) for k, v in (hf_papers or {}).items()}
        self.pwc_papers = {k: json.loads(json.dumps(v)) for k, v in (pwc_papers or {}).items()}
        self.requests: list[CodeApiRequest] = []
        self.url = ""
        self._faults: list[CodeApiFault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def hf_base(self) -> str:
        return f"{self.url}/api"

    @property
    def pwc_base(self) -> str:
        return f"{self.url}/api/v1"

    # ---- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeCodeApis:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-code-apis", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        with self._lock:
            open_connections = list(self._connections.items())
        for conn, _ in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _, handler_thread in open_connections:
            if handler_thread is not threading.current_thread():
                handler_thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeCodeApis:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _track(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[conn] = thread

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.pop(conn, None)

    # ---- test helpers ------------------------------------------------------------------------------

    def inject(self, *faults: CodeApiFault) -> None:
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> list[CodeApiFault]:
        with self._lock:
            return list(self._faults)

    def count(self, api: Api | None = None, arxiv_id: str | None = None) -> int:
        """Requests seen, for one API (None: both) and one arXiv id (None: any)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (api is None or r.api == api) and (arxiv_id is None or r.arxiv_id == arxiv_id)
            )

    # ---- request handling --------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        api, arxiv_id = _route(split.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = CodeApiRequest("GET", split.path, query, headers, api, arxiv_id)
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request)
        request.fault = fault

        if fault is not None and fault.stall_seconds > 0 and self._stopping.wait(fault.stall_seconds):
            self._drop(handler)
            return
        if fault is not None and fault.drop_connection:
            self._drop(handler)
            return
        if fault is not None and fault.status is not None:
            status, body, content_type, extra = fault.status, fault.body, fault.content_type, fault.headers
        else:
            status, payload = self._answer(api, arxiv_id, query)
            body, content_type, extra = json.dumps(payload, ensure_ascii=False), JSON_CONTENT_TYPE, {}
        request.status = status
        self._send(handler, status, body.encode("utf-8"), content_type, extra)

    def _take_fault(self, request: CodeApiRequest) -> CodeApiFault | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(request):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[i]
                return fault
        return None

    def _answer(self, api: Api | None, arxiv_id: str | None, query: dict[str, str]) -> tuple[int, Any]:
        if api == "hf" and arxiv_id is not None:
            paper = self.hf_papers.get(arxiv_id)
            return (200, paper) if paper is not None else (404, {"error": "Not Found"})
        if api == "pwc" and arxiv_id is not None:
            paper = self.pwc_papers.get(arxiv_id)
            if paper is None:
                return 404, {"detail": "Not found."}
            if query.get("include_resources", "").lower() != "true":
                paper = {k: v for k, v in paper.items() if k != "repositories"}
            return 200, paper
        return 404, {"error": "Not Found"}

    @staticmethod
    def _drop(handler: _Handler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _send(handler: _Handler, status: int, body: bytes, content_type: str, headers: Mapping[str, str]) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True
