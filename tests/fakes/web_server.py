"""A fake web server on 127.0.0.1 for homepage fetching: static pages, redirects, huge, slow, dripped and
cut-off answers, conditional requests. Routes map a path, or "host/path", to a Page; every request is recorded.

`serving_hosts` makes paperharvest's guarded transport dial this server for chosen host names (as a hosts
file would), so a harvest can fetch `http://someone.example.edu/` without DNS or any outside connection.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http_fake import FakeHandler, LoopbackServer, hang_up, lowered_headers


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Served in chunks of this many bytes, `repeat` times over (a 20 MB page without 20 MB in memory).
    repeat: int = 1
    stall_seconds: float = 0.0
    etag: str | None = None
    # One byte at a time with this pause before each (the headers go at once).
    drip_seconds: float = 0.0
    # Only this many bytes of the body, then the connection is closed (Content-Length promises all of it).
    cut_body_after: int | None = None


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


class _Handler(FakeHandler):
    do_GET = FakeHandler.dispatch


class FakeWeb(LoopbackServer):
    """Serves `routes` on 127.0.0.1:<free port>, a 404 page for any other path; every request is a `Hit`."""

    handler_class = _Handler
    thread_name = "fake-web"

    def __init__(self, routes: dict[str, Page]) -> None:
        super().__init__()
        self.routes = routes
        self.hits: list[Hit] = []
        self.bytes_sent = 0

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path == path)

    def _handle(self, handler: FakeHandler) -> None:
        path = handler.path.split("?", 1)[0]
        host = (handler.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        with self._lock:
            self.hits.append(Hit(path, lowered_headers(handler), time.monotonic()))
        page = self.routes.get(host + path) or self.routes.get(path)
        if page is None:
            page = Page(b"<html><title>404</title></html>", status=404)
        # A stall ends early only when the server stops: then there is nobody left to answer.
        if page.stall_seconds and self._stopping.wait(page.stall_seconds):
            hang_up(handler)
            return
        if page.etag and handler.headers.get("If-None-Match") == page.etag:
            handler.send_response(304)
            handler.send_header("ETag", page.etag)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        try:
            handler.send_response(page.status)
            handler.send_header("Content-Type", page.content_type)
            handler.send_header("Content-Length", str(len(page.body) * page.repeat))
            if page.etag:
                handler.send_header("ETag", page.etag)
            for name, value in page.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.flush()
            left = page.cut_body_after
            for _ in range(page.repeat):
                chunk = page.body if left is None else page.body[:left]
                if not self._send(handler, chunk, page.drip_seconds):
                    return
                if left is not None:
                    left -= len(chunk)
                    if left <= 0:
                        break
            if page.cut_body_after is not None:
                hang_up(handler)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: exactly what a size cap does

    def _send(self, handler: FakeHandler, chunk: bytes, drip_seconds: float) -> bool:
        """Write `chunk` (a byte at a time if dripping); False if the server stopped meanwhile."""
        pieces = [chunk[i : i + 1] for i in range(len(chunk))] if drip_seconds else [chunk]
        for piece in pieces:
            if drip_seconds and self._stopping.wait(drip_seconds):
                hang_up(handler)
                return False
            handler.wfile.write(piece)
            handler.wfile.flush()
            with self._lock:
                self.bytes_sent += len(piece)
        return True


@contextlib.contextmanager
def serving_hosts(web: FakeWeb, hosts: Iterable[str]) -> Iterator[None]:
    """Route connections for `hosts` (any port) to `web`; every other host goes through the real guard."""
    import httpcore

    from paperharvest.net.guard import GuardedBackend

    mapped = {h.lower() for h in hosts}
    fake_port = int(web.url.rsplit(":", 1)[1])
    original = GuardedBackend.connect_tcp

    def connect_tcp(self: GuardedBackend, host: str, port: int, **kwargs: Any) -> Any:
        if host.lower() in mapped:
            # These names stand for public hosts: dial the fake directly, as DNS would have sent us there.
            return httpcore.SyncBackend.connect_tcp(self, "127.0.0.1", fake_port, **kwargs)
        return original(self, host, port, **kwargs)

    GuardedBackend.connect_tcp = connect_tcp  # type: ignore[method-assign]
    try:
        yield
    finally:
        GuardedBackend.connect_tcp = original  # type: ignore[method-assign]
