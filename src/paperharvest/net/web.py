"""An httpx transport for third-party web pages: the address guard, a size cap, a time cap per page,
and record/replay, so homepage fetches follow the same house rules as API calls."""

from __future__ import annotations

import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import httpcore
import httpx

from paperharvest.net.guard import BlockedURL, GuardedBackend, Resolver, check_url
from paperharvest.net.recording import Answer, Recorder, Replayer, now_utc

TRUNCATED_HEADER = "x-paperharvest-truncated"
# The body is handed over as read off the wire, so these would describe it wrongly.
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class WebTransport(httpx.BaseTransport):
    """Reads at most `max_bytes` of a body, and only for the content types in `body_types`.

    A longer body is cut at `max_bytes + 1` bytes and marked with the `x-paperharvest-truncated` header,
    so the caller can tell "too large" from "exactly at the cap". Failures without a response (timeouts,
    refused connections, blocked addresses) are recorded like answers, so a replay takes the same path.
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
    ) -> None:
        self.max_bytes = max_bytes
        self.body_types = body_types
        self.page_seconds = page_seconds
        self.recorder = recorder
        self.replayer = replayer
        self.clock = clock
        self.counts = counts if counts is not None else Counter()
        backend = GuardedBackend(allow_private=allow_private, resolver=resolver, exempt=exempt)
        self._pool = httpcore.ConnectionPool(network_backend=backend, max_connections=16, retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.counts[f"{request.method} (web pages)"] += 1
        if self.replayer is not None:
            return _to_response(request, self.replayer.answer(request.method, url, request.content))
        try:
            check_url(url)
            answer = self._fetch(request)
        except BlockedURL as exc:
            answer = Answer(0, str(exc), failure="blocked")
        except (httpcore.TimeoutException, TimeoutError) as exc:
            answer = Answer(0, f"timed out ({type(exc).__name__})", failure="timeout")
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
        started = time.monotonic()
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
                for chunk in response.iter_stream():
                    body += chunk
                    if len(body) > self.max_bytes:
                        headers[TRUNCATED_HEADER] = "1"
                        del body[self.max_bytes + 1 :]
                        break
                    if time.monotonic() - started > self.page_seconds:
                        raise TimeoutError(f"page took longer than {self.page_seconds:.0f} s")
            reason = response.extensions.get("reason_phrase", b"").decode("latin-1", "replace")
            return Answer(response.status, reason, headers, bytes(body))

    def close(self) -> None:
        self._pool.close()


def _to_response(request: httpx.Request, answer: Answer) -> httpx.Response:
    if answer.failure == "blocked":
        raise BlockedURL(answer.reason)
    if answer.failure == "timeout":
        raise httpx.TimeoutException(answer.reason, request=request)
    if answer.failure:
        raise httpx.ConnectError(answer.reason, request=request)
    return httpx.Response(answer.status, headers=dict(answer.headers), content=answer.content, request=request)
