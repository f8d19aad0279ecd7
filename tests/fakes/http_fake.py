"""The machinery the fake HTTP servers in tests/fakes share, so that each fake module holds only its API.

- `LoopbackServer`: a ThreadingHTTPServer on 127.0.0.1:<free port> in a daemon thread, started and stopped
  directly or as a context manager. stop() also ends open keep-alive connections and joins their threads, so
  no handler outlives the test that started it.
- `FakeHandler`: the request handler those servers run: HTTP/1.1, silent, its connection tracked for stop().
  A fake subclasses it to name itself (`server_version`) and to bind `dispatch` to the methods it answers.
- `FaultyServer`: a LoopbackServer that records every request and bends the next matching ones with injected
  faults (a stall, a dropped connection, a replaced answer) before it sends an `Answer`; an `Answer` itself
  can be dripped (`drip_seconds`) or cut off mid-body (`cut_body_after`), which RouteFault sets from its own.
- `RouteFault`: the fault the OpenReview and arXiv fakes share, aimed by method, path and query parameters.

What a fault's body says (an API's real error bodies) stays with the fake of that API.
"""

from __future__ import annotations

import abc
import contextlib
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeAlias, TypeVar
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "HTML_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "TEXT_CONTENT_TYPE",
    "Answer",
    "FakeHandler",
    "FakeServer",
    "FaultLike",
    "FaultyServer",
    "Headers",
    "LoopbackServer",
    "Recorded",
    "RouteFault",
    "RouteMatch",
    "Routed",
    "hang_up",
    "lowered_headers",
    "path_and_query",
    "send_answer",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


class Headers(dict[str, str]):
    """A plain dict whose lookups ignore case, because requests and httpx spell header names differently."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class Answer:
    """One answer as a fake sends it: always with a Content-Length, so clients can tell a cut body.

    `drip_seconds` sends the body one byte at a time with that pause before each byte (after the headers,
    which go at once); `cut_body_after` sends only that many bytes of the body, then closes the connection.
    """

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    drip_seconds: float = 0.0
    cut_body_after: int | None = None


# ---- requests and faults ------------------------------------------------------------------------------------


class Recorded(Protocol):
    """What FaultyServer needs of a fake's request record: room for the status sent and the fault it met."""

    status: int | None
    fault: Any


_RequestT_contra = TypeVar("_RequestT_contra", contravariant=True)


class FaultLike(Protocol[_RequestT_contra]):
    """What FaultyServer needs of a fake's fault to queue it, pick it for a request and act it out.

    `status=None` means "answer normally" (after `stall_seconds`); any other status replaces the answer with
    `body`. `times` is how many more requests it applies to (None: forever); the queue counts it down.
    """

    times: int | None

    @property
    def status(self) -> int | None: ...

    @property
    def body(self) -> bytes | str | None: ...

    @property
    def content_type(self) -> str | None: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def stall_seconds(self) -> float: ...

    @property
    def drop_connection(self) -> bool: ...

    def matches(self, request: _RequestT_contra) -> bool: ...


class Routed(Protocol):
    """A request as RouteFault aims at it: by method, path and query parameters."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def query(self) -> Mapping[str, str]: ...


_R = TypeVar("_R")
_RoutedT = TypeVar("_RoutedT", bound=Routed)

# Query parameters mapped to a required value, True (present) or False (absent); or a predicate on the request.
RouteMatch: TypeAlias = Mapping[str, str | bool] | Callable[[_R], bool]


@dataclass
class RouteFault(Generic[_RoutedT]):
    """A misbehaviour applied to the next `times` requests that match `method`, `path` and `match`.

    A fake subclasses it to give `path` its API's default (and add what else its faults can do).
    """

    path: str = "/"
    method: str | None = "GET"
    status: int | None = None
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    times: int | None = 1
    stall_seconds: float = 0.0
    truncate: bool = False
    drop_connection: bool = False
    drip_seconds: float = 0.0
    cut_body_after: int | None = None
    match: RouteMatch[_RoutedT] | None = None

    def matches(self, request: _RoutedT) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        if request.path != self.path:
            return False
        if self.match is None:
            return True
        if callable(self.match):
            return bool(self.match(request))
        for name, wanted in self.match.items():
            if wanted is True and name not in request.query:
                return False
            if wanted is False and name in request.query:
                return False
            if isinstance(wanted, str) and request.query.get(name) != wanted:
                return False
        return True

    def let_through(self, answer: Answer) -> Answer:
        """The normal answer as this fault lets it pass: with its extra headers, cut in half if `truncate`
        (after the cut, so Content-Length matches and only a parse notices), dripped or cut off on the wire
        (`drip_seconds`, `cut_body_after`: Content-Length promises the whole body)."""
        answer.headers.update(self.headers)
        if self.truncate:
            answer.body = answer.body[: len(answer.body) // 2]
        answer.drip_seconds = self.drip_seconds
        answer.cut_body_after = self.cut_body_after
        return answer


# ---- wire helpers -------------------------------------------------------------------------------------------


def path_and_query(handler: BaseHTTPRequestHandler) -> tuple[str, dict[str, str]]:
    """The request's path and its query parameters (blank ones kept: `?details=` is not `?`)."""
    split = urlsplit(handler.path)
    return split.path, dict(parse_qsl(split.query, keep_blank_values=True))


def lowered_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {name.lower(): value for name, value in handler.headers.items()}


def hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without an answer, the way a reset mid-listing looks to a client."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def send_answer(handler: BaseHTTPRequestHandler, answer: Answer, stopping: threading.Event) -> None:
    """Send `answer`; a drip ends early (hanging up) once `stopping` is set, so stop() need not wait it out."""
    try:
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.flush()
        if handler.command == "HEAD":
            return
        body = answer.body if answer.cut_body_after is None else answer.body[: answer.cut_body_after]
        if answer.drip_seconds > 0:
            for byte in body:
                if stopping.wait(answer.drip_seconds):
                    hang_up(handler)
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        else:
            handler.wfile.write(body)
            handler.wfile.flush()
        if answer.cut_body_after is not None:
            hang_up(handler)
    except OSError:
        # The client gave up mid-answer (a timeout, a size cap): that is its business, not a server error.
        handler.close_connection = True


# ---- server lifecycle ---------------------------------------------------------------------------------------


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connection attempts when a client opens eight at once (homepages).
    request_queue_size = 64
    # stop() joins the handler threads itself, after unblocking them, instead of waiting on stalled ones.
    block_on_close = False

    def __init__(self, fake: LoopbackServer, handler: type[FakeHandler]) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are expected here; a traceback on stderr is noise.
        return


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection must not pin a thread forever if a client leaks its session.
    timeout = 60
    server: FakeServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, threading.current_thread())

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def dispatch(self) -> None:
        """Hand the request to the fake. A subclass binds this to what it answers (`do_GET = dispatch`);
        any other method gets http.server's own 501."""
        self.server.fake._handle(self)


class LoopbackServer(abc.ABC):
    """A fake on 127.0.0.1:<free port> (`url`), serving from a daemon thread between start() and stop()."""

    handler_class: ClassVar[type[FakeHandler]]
    thread_name: ClassVar[str]

    def __init__(self) -> None:
        self.url = ""
        # Reentrant, so a fake can hold it around its own bookkeeping and still record the request.
        self._lock = threading.RLock()
        # Set by stop(): stalled handlers wake up and hang up instead of answering into a closing server.
        self._stopping = threading.Event()
        self._server: FakeServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}

    @abc.abstractmethod
    def _handle(self, handler: FakeHandler) -> None:
        """Answer one request (or deliberately not)."""

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = FakeServer(self, self.handler_class)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
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
        # Keep-alive handlers block in recv(); shutting their sockets down lets them return and be joined.
        for conn, _ in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _, handler_thread in open_connections:
            if handler_thread is not threading.current_thread():
                handler_thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
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


# ---- request log and faults ---------------------------------------------------------------------------------

_RequestT = TypeVar("_RequestT", bound=Recorded)
_FaultT = TypeVar("_FaultT", bound=FaultLike[Any])


class FaultyServer(LoopbackServer, Generic[_RequestT, _FaultT]):
    """A LoopbackServer that records every request (`requests`) and bends matching ones with injected faults.

    A fake's `_handle` builds its request record, calls `_record` (which also picks the fault) and then
    `_respond` with how to answer normally.
    """

    # What a replacing fault's body is labelled when the fault names no content type.
    fault_content_type: ClassVar[str] = JSON_CONTENT_TYPE

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[_RequestT] = []
        self._faults: list[_FaultT] = []

    def inject(self, *faults: _FaultT) -> None:
        with self._lock:
            self._faults.extend(faults)

    def inject_all(self, faults: Iterable[_FaultT]) -> None:
        self.inject(*faults)

    @property
    def pending_faults(self) -> list[_FaultT]:
        with self._lock:
            return list(self._faults)

    def _count(self, wanted: Callable[[_RequestT], bool]) -> int:
        with self._lock:
            return sum(1 for request in self.requests if wanted(request))

    def _record(self, request: _RequestT) -> _FaultT | None:
        """Log `request` and take the first pending fault that matches it, in one step under the lock, so
        concurrent requests cannot both use up a one-shot fault."""
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request)
            request.fault = fault
        return fault

    def _take_fault(self, request: _RequestT) -> _FaultT | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(request):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[i]
                return fault
        return None

    def _respond(
        self,
        handler: FakeHandler,
        request: _RequestT,
        fault: _FaultT | None,
        answer: Callable[[], Answer],
        *,
        delay: float = 0.0,
    ) -> None:
        """Answer `request` after `delay`, as `fault` has it: stalled, dropped, replaced, or `answer()`.

        `answer` is only called when no fault replaces the answer; it decides itself whether a fault that
        lets the answer through changes it (RouteFault.let_through).
        """
        wait = delay + (fault.stall_seconds if fault is not None else 0.0)
        if wait > 0 and self._stopping.wait(wait):
            hang_up(handler)
            return
        if fault is not None and fault.drop_connection:
            hang_up(handler)
            return
        if fault is not None and fault.status is not None:
            body = fault.body.encode("utf-8") if isinstance(fault.body, str) else (fault.body or b"")
            content_type = fault.content_type or self.fault_content_type
            reply = Answer(fault.status, body, content_type, dict(fault.headers))
        else:
            reply = answer()
        request.status = reply.status
        send_answer(handler, reply, self._stopping)
