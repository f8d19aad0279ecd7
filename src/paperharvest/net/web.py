"""An httpx transport for third-party web pages: the address guard, a size cap, a time cap per page (and
the run deadline), and record/replay, so homepage fetches follow the same house rules as API calls."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import httpcore
import httpx

from paperharvest.errors import UpstreamUnavailable
from paperharvest.net.guard import BlockedURL, GuardedBackend, InvalidURL, Resolver, check_url
from paperharvest.net.policy import Deadline
from paperharvest.net.recording import TRUNCATED_HEADER, Answer, Recorder, Replayer, now_utc

# The body is handed over as read off the wire, so these would describe it wrongly.
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class _PageClock:
    """When the page being fetched on this thread must be done: every connect, read and write of its
    connection waits at most until then, so the cap holds for the headers and the body alike, however
    slowly they trickle in. httpcore's sync pool does its I/O on the calling thread, hence thread-local."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextlib.contextmanager
    def until(self, ends_at: float) -> Iterator[None]:
        self._local.ends_at = ends_at
        try:
            yield
        finally:
            self._local.ends_at = None

    def bound(self, timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
        ends_at: float | None = getattr(self._local, "ends_at", None)
        if ends_at is None:
            return timeout
        left = ends_at - time.monotonic()
        if left <= 0:
            raise late("the page took too long")
        return left if timeout is None else min(timeout, left)


class _TimedStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, clock: _PageClock) -> None:
        self._stream = stream
        self._clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._clock.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._clock.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = self._clock.bound(timeout, httpcore.ConnectTimeout)
        return _TimedStream(self._stream.start_tls(ssl_context, server_hostname, bounded), self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _TimedBackend(GuardedBackend):
    def __init__(self, clock: _PageClock, **guard: Any) -> None:
        super().__init__(**guard)
        self.clock = clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(
            host,
            port,
            timeout=self.clock.bound(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _TimedStream(stream, self.clock)


class _CutShort(Exception):
    """The connection broke after the headers, in the middle of the body."""


class WebTransport(httpx.BaseTransport):
    """Reads at most `max_bytes` of a body, and only for the content types in `body_types`.

    A longer body is cut at `max_bytes + 1` bytes and marked with the `x-paperharvest-truncated` header,
    so the caller can tell "too large" from "exactly at the cap". A page, headers and body, takes at most
    `page_seconds`. Failures without a response (timeouts, refused connections, a body cut short, blocked
    addresses) are recorded like answers, so a replay takes the same path. The run `deadline` is not such a
    failure: once it is reached a request raises UpstreamUnavailable, which ends the stage.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        max_bytes: int,
        body_types: tuple[str, ...],
        page_seconds: float,
        recorder: Recorder | None = None,
        replayer: Replayer | None = None,
        counts: Counter[str] | None = None,
        resolver: Resolver = socket.getaddrinfo,
        exempt: frozenset[str] = frozenset(),
        clock: Callable[[], datetime] = now_utc,
        deadline: Deadline | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.body_types = body_types
        self.page_seconds = page_seconds
        self.recorder = recorder
        self.replayer = replayer
        self.clock = clock
        self.counts = counts if counts is not None else Counter()
        self.deadline = deadline
        self._page_clock = _PageClock()
        backend = _TimedBackend(self._page_clock, allow_private=allow_private, resolver=resolver, exempt=exempt)
        self._pool = httpcore.ConnectionPool(network_backend=backend, max_connections=16, retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.counts[f"{request.method} (web pages)"] += 1
        if self.replayer is not None:
            return _to_response(request, self.replayer.answer(request.method, url, request.content))
        limit, by_deadline = self.page_seconds, False
        if self.deadline is not None:
            remaining = self.deadline.remaining()
            if remaining <= 0:
                raise UpstreamUnavailable(
                    f"run deadline of {self.deadline.seconds:.0f} s reached before {request.url.host}"
                )
            limit, by_deadline = min(limit, remaining), remaining < limit
        try:
            check_url(url)
            with self._page_clock.until(time.monotonic() + limit):
                answer = self._fetch(request)
        except BlockedURL as exc:
            answer = Answer(0, str(exc), failure="blocked")
        except (httpcore.TimeoutException, TimeoutError) as exc:
            if by_deadline and self.deadline is not None:
                raise UpstreamUnavailable(
                    f"the run deadline of {self.deadline.seconds:.0f} s ran out while reading {request.url.host}"
                ) from None
            answer = Answer(0, f"timed out ({type(exc).__name__}, limit {limit:g} s)", failure="timeout")
        except _CutShort as exc:
            answer = Answer(0, str(exc), failure="connect")
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            answer = Answer(0, f"connection failed ({type(exc).__name__})", failure="connect")
        if self.recorder is not None:
            self.recorder.save(request.method, url, request.content, answer, self.clock())
        return _to_response(request, answer)

    def _fetch(self, request: httpx.Request) -> Answer:
        timeouts = request.extensions.get("timeout", {})
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.content,
            extensions={"timeout": timeouts},
        )
        with self._pool.stream(
            core_request.method, core_request.url, headers=core_request.headers, extensions=core_request.extensions
        ) as response:
            headers = {
                name: v.decode("latin-1")
                for k, v in response.headers
                if (name := k.decode("latin-1").lower()) not in _DROPPED_HEADERS
            }
            content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            body = bytearray()
            if content_type.startswith(self.body_types):
                try:
                    for chunk in response.iter_stream():
                        body += chunk
                        if len(body) > self.max_bytes:
                            headers[TRUNCATED_HEADER] = "1"
                            del body[self.max_bytes + 1 :]
                            break
                except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
                    raise _CutShort(f"the connection dropped mid-answer ({type(exc).__name__})") from exc
            reason = response.extensions.get("reason_phrase", b"").decode("latin-1", "replace")
            return Answer(response.status, reason, headers, bytes(body))

    def close(self) -> None:
        self._pool.close()


def check_redirect_target(response: httpx.Response) -> None:
    """The web client's response hook. httpx parses a redirect's target even when it does not follow it, and
    fails with a protocol error on one that does not parse; the guard's InvalidURL says what it is (a bad
    URL, not a bad server)."""
    if response.has_redirect_location:
        location = response.headers["location"]
        try:
            httpx.URL(location)
        except httpx.InvalidURL as exc:
            raise InvalidURL(f"the redirect to {location!r} does not parse: {exc}") from None


def _to_response(request: httpx.Request, answer: Answer) -> httpx.Response:
    if answer.failure == "blocked":
        raise BlockedURL(answer.reason)
    if answer.failure == "timeout":
        raise httpx.TimeoutException(answer.reason, request=request)
    if answer.failure:
        raise httpx.ConnectError(answer.reason, request=request)
    return httpx.Response(answer.status, headers=dict(answer.headers), content=answer.content, request=request)
