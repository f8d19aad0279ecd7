"""A fake OpenReview API v1 server on 127.0.0.1 that speaks the real wire format.

It serves `GET /notes`, `POST /login`, a minimal `GET /groups` and, given profiles, `POST /profiles/search`
and `GET /profiles`. It can refuse guests the way the real site does in 2026 (a 403 ChallengeRequiredError
or a 200 HTML "Verifying your browser" page), and can inject one-shot faults (429, 5xx, truncated or
non-JSON bodies, stalls, dropped connections) into the next matching requests. Every request is recorded so
tests can count round trips and inspect headers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "CHALLENGE_HTML",
    "TEST_PASSWORD",
    "TEST_USER",
    "TEST_USER_PROFILE_ID",
    "FakeOpenReview",
    "Fault",
    "Request",
    "dropped_connection",
    "html_page",
    "not_json",
    "rate_limited",
    "server_error",
    "stall",
    "truncated_json",
]

TEST_USER = "test_user@example.com"
TEST_PASSWORD = "correct-horse-battery-staple"
TEST_USER_PROFILE_ID = "~Test_User1"

MAX_LIMIT = 1000
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"

# The body a blocked guest gets instead of data (second-hand report; see docs/api-facts.md).
CHALLENGE_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8">'
    "<title>Verifying your browser | OpenReview</title></head>"
    "<body><p>Verifying your browser before continuing to OpenReview...</p>"
    "<noscript>Please enable JavaScript and cookies to continue.</noscript></body></html>"
)

CHALLENGE_ERROR: dict[str, Any] = {
    "name": "ChallengeRequiredError",
    "message": "Please complete the challenge to continue",
    "status": 403,
    "details": {},
}

# What an nginx front end answers when the API behind it is down: HTML, not JSON, so clients that assume
# error bodies are JSON get caught out.
_PROXY_ERROR_HTML = {
    502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx</center></body></html>",
    503: "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
    "<h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out"
    "</h1></center><hr><center>nginx</center></body></html>",
}

_SORT_FIELDS = ("id", "number", "cdate", "tcdate", "tmdate", "ddate")


class Headers(dict[str, str]):
    """A plain dict whose lookups ignore case, because requests and httpx spell header names differently."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class Request:
    """One request as the server saw it; `status` is filled in once it has been answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: Headers
    authenticated: bool = False
    status: int | None = None
    fault: Fault | None = None


MatchSpec: TypeAlias = Mapping[str, str | bool] | Callable[[Request], bool]


@dataclass
class Fault:
    """A misbehaviour applied to the next `times` requests that match `method`, `path` and `match`.

    `status=None` means "answer normally" after `stall_seconds` (optionally `truncate`d); any other status
    replaces the answer with `body`. `match` maps query parameters to a required value, `True` (present) or
    `False` (absent), or is a predicate on the Request. `times=None` keeps the fault forever.
    """

    path: str = "/notes"
    method: str | None = "GET"
    status: int | None = None
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    times: int | None = 1
    stall_seconds: float = 0.0
    truncate: bool = False
    drop_connection: bool = False
    match: MatchSpec | None = None

    def matches(self, request: Request) -> bool:
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


def _fault(base: Fault, path: str, method: str | None, times: int | None, match: MatchSpec | None) -> Fault:
    return replace(base, path=path, method=method, times=times, match=match)


def rate_limited(
    retry_after: int | None = None,
    *,
    path: str = "/notes",
    method: str | None = "GET",
    times: int | None = 1,
    match: MatchSpec | None = None,
) -> Fault:
    """429 with the body OpenReview really sends; `Retry-After` only when asked, as it is unconfirmed."""
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=60)
    body = {
        "name": "RateLimitError",
        "message": "Too many requests: You have made 37 requests, surpassing the limit of 36 requests. "
        "Please try again in 60 minutes...",
        "status": 429,
        "details": {
            "limit": 36,
            "remaining": 0,
            "resetTime": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "used": 37,
            "current": 37,
            "reqId": uuid.uuid4().hex,
        },
    }
    headers = {"ratelimit-policy": "36;w=3600", "ratelimit-remaining": "0", "ratelimit-reset": "3600"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    base = Fault(status=429, body=json.dumps(body), headers=headers, content_type=JSON_CONTENT_TYPE)
    return _fault(base, path, method, times, match)


def server_error(
    status: int = 503,
    *,
    path: str = "/notes",
    method: str | None = "GET",
    times: int | None = 1,
    match: MatchSpec | None = None,
) -> Fault:
    """A 5xx: JSON from the API itself for 500, an nginx HTML page for gateway errors."""
    if status in _PROXY_ERROR_HTML:
        base = Fault(status=status, body=_PROXY_ERROR_HTML[status], content_type=HTML_CONTENT_TYPE)
    else:
        body = {"name": "InternalServerError", "message": "Internal server error", "status": status}
        base = Fault(status=status, body=json.dumps(body), content_type=JSON_CONTENT_TYPE)
    return _fault(base, path, method, times, match)


def truncated_json(
    *, path: str = "/notes", method: str | None = "GET", times: int | None = 1, match: MatchSpec | None = None
) -> Fault:
    """200, JSON content type, the real answer cut in half (with a Content-Length that matches)."""
    return _fault(Fault(truncate=True), path, method, times, match)


def html_page(
    *, path: str = "/notes", method: str | None = "GET", times: int | None = 1, match: MatchSpec | None = None
) -> Fault:
    """200 text/html "Verifying your browser" page: the silent way a guest is blocked."""
    return _fault(Fault(status=200, body=CHALLENGE_HTML, content_type=HTML_CONTENT_TYPE), path, method, times, match)


def not_json(
    *, path: str = "/notes", method: str | None = "GET", times: int | None = 1, match: MatchSpec | None = None
) -> Fault:
    """200 that claims to be JSON but is not, so only a parse (not a Content-Type check) catches it."""
    return _fault(Fault(status=200, body="<html>oops", content_type=JSON_CONTENT_TYPE), path, method, times, match)


def stall(
    seconds: float,
    *,
    path: str = "/notes",
    method: str | None = "GET",
    times: int | None = 1,
    match: MatchSpec | None = None,
) -> Fault:
    """Sleep before answering normally: openreview-py sets no timeout, so this is how a hang looks."""
    return _fault(Fault(stall_seconds=seconds), path, method, times, match)


def dropped_connection(
    *, path: str = "/notes", method: str | None = "GET", times: int | None = 1, match: MatchSpec | None = None
) -> Fault:
    """Close the socket without any answer (a reset mid-listing)."""
    return _fault(Fault(drop_connection=True), path, method, times, match)


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    # None sorts last whichever way, so notes missing a field cannot crash or reorder the rest.
    def key(note: dict[str, Any]) -> tuple[bool, Any]:
        value = note.get(name)
        return (value is None, value if value is not None else 0)

    return key


def _apply_sort(notes: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    if not sort:
        return notes
    name, _, direction = sort.partition(":")
    if name not in _SORT_FIELDS:
        return notes
    return sorted(notes, key=_sort_key(name), reverse=direction.lower() == "desc")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # stop() joins the handler threads itself, after unblocking them, instead of waiting on stalled ones.
    block_on_close = False

    def __init__(self, fake: FakeOpenReview) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are expected here; a traceback on stderr is noise.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    # An idle keep-alive connection must not pin a thread forever if a client leaks its session.
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
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_PUT(self) -> None:
        self.server.fake._handle(self, "PUT")

    def do_DELETE(self) -> None:
        self.server.fake._handle(self, "DELETE")


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def _json_answer(status: int, payload: Any) -> _Answer:
    return _Answer(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _error(status: int, name: str, message: str) -> _Answer:
    return _json_answer(status, {"name": name, "message": message, "status": status})


class FakeOpenReview:
    """OpenReview API v1 on 127.0.0.1:<free port>, serving the given notes.

    `notes_by_invitation` maps a submission invitation to full note dicts; a note's replies may sit under
    `details.directReplies` and are then also served as notes of their own (by forum or invitation).
    `profiles` are raw profile dicts, served as given: a profile answers to its id and to every
    `names[].username`, and an e-mail search finds it by `content.emailsConfirmed` or an unmasked
    `content.preferredEmail` (case-insensitively), answering with a copy that names the matched address in a
    top-level `email` key. Unknown ids and e-mails are simply absent from the answer, not an error.
    """

    def __init__(
        self,
        notes_by_invitation: dict[str, list[dict[str, Any]]],
        *,
        users: dict[str, str] | None = None,
        guest_gate: str | None = None,
        delay: float = 0.0,
        profiles: list[dict[str, Any]] | None = None,
        v2_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        """`v2_groups` are API v2 venue groups (with `domain`) to serve as they are; v2 notes (with an
        `invitations` list) may then sit in `notes_by_invitation` under any key: they are listed under each
        of their invitations, and their `details.replies` answer both `replies` and `directReplies`."""
        if guest_gate not in (None, "json", "html"):
            raise ValueError(f"guest_gate must be None, 'json' or 'html', not {guest_gate!r}")
        self.users: dict[str, str] = dict(users) if users is not None else {TEST_USER: TEST_PASSWORD}
        self.guest_gate = guest_gate
        self.delay = delay
        self.requests: list[Request] = []
        self.url = ""
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._tokens: set[str] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._v2_groups = {group["id"]: group for group in v2_groups or []}
        self._index(notes_by_invitation)
        self._index_profiles(profiles or [])

    # ---- index -------------------------------------------------------------------------------------

    def _index(self, notes_by_invitation: dict[str, list[dict[str, Any]]]) -> None:
        # Everything is indexed once so a page costs a dict lookup, not a scan, even for 2,594 papers.
        self._by_invitation: dict[str, list[dict[str, Any]]] = {}
        self._by_id: dict[str, dict[str, Any]] = {}
        self._by_forum: dict[str, list[dict[str, Any]]] = {}
        self._replies: dict[str, list[dict[str, Any]]] = {}
        self._all: list[dict[str, Any]] = []
        for invitation, notes in notes_by_invitation.items():
            for note in notes:
                details = note.get("details") if isinstance(note.get("details"), dict) else {}
                if isinstance(note.get("invitations"), list):
                    for each in note["invitations"]:
                        self._add(each, note)
                    replies = [r for r in details.get("replies") or [] if r.get("replyto") == note["id"]]
                else:
                    self._add(invitation, note)
                    replies = list(details.get("directReplies") or [])
                self._replies[note["id"]] = replies
                for reply in replies:
                    for each in reply.get("invitations") or [reply.get("invitation", "")]:
                        self._add(each, reply)
        venues = {inv.split("/-/")[0] for inv in self._by_invitation if "/-/" in inv}
        self._groups = {venue for venue in venues if "/Paper" not in venue and "/Submission" not in venue}

    def _index_profiles(self, profiles: list[dict[str, Any]]) -> None:
        # By every username (a profile answers to its id and to each names[].username, which is how an alias
        # or a merged-away id reaches the survivor) and by lowercased unmasked e-mail, keeping the address as
        # stored so an e-mail search can name it in the `email` key.
        self._profiles_by_name: dict[str, list[dict[str, Any]]] = {}
        self._profiles_by_email: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for profile in profiles:
            content = profile.get("content") or {}
            usernames = [profile.get("id")] + [n.get("username") for n in content.get("names") or []]
            for name in dict.fromkeys(u for u in usernames if isinstance(u, str) and u):
                self._profiles_by_name.setdefault(name, []).append(profile)
            addresses = [*(content.get("emailsConfirmed") or []), content.get("preferredEmail")]
            for address in dict.fromkeys(a for a in addresses if isinstance(a, str) and "@" in a and "*" not in a):
                self._profiles_by_email.setdefault(address.lower(), []).append((address, profile))

    def _add(self, invitation: str, note: dict[str, Any]) -> None:
        self._by_invitation.setdefault(invitation, []).append(note)
        self._by_id[note["id"]] = note
        self._by_forum.setdefault(note.get("forum") or note["id"], []).append(note)
        self._all.append(note)

    # ---- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeOpenReview:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openreview",
            daemon=True,
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

    def __enter__(self) -> FakeOpenReview:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _track(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[conn] = thread

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.pop(conn, None)

    # ---- test helpers ------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def inject_all(self, faults: Iterable[Fault]) -> None:
        for fault in faults:
            self.inject(fault)

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.method == method.upper() and r.path == path)

    def issued_tokens(self) -> set[str]:
        with self._lock:
            return set(self._tokens)

    def revoke_tokens(self) -> None:
        """Forget every token, as if they expired: the next request is a guest's again."""
        with self._lock:
            self._tokens.clear()

    # ---- request handling --------------------------------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        split = urlsplit(handler.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = Headers((k.lower(), v) for k, v in handler.headers.items())
        raw = b""
        length = int(headers.get("content-length") or 0)
        if length:
            raw = handler.rfile.read(length)
        body: Any = None
        body_error = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body_error = True
        auth = headers.get("authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self._lock:
            authenticated = bool(token) and token in self._tokens
            request = Request(method, split.path, query, body, headers, authenticated)
            self.requests.append(request)
            fault = self._take_fault(request)
        request.fault = fault

        wait = self.delay + (fault.stall_seconds if fault else 0.0)
        if wait > 0 and self._stopping.wait(wait):
            self._drop(handler)
            return
        if fault is not None and fault.drop_connection:
            self._drop(handler)
            return

        if fault is not None and fault.status is not None:
            body_bytes = fault.body.encode("utf-8") if isinstance(fault.body, str) else (fault.body or b"")
            answer = _Answer(fault.status, body_bytes, fault.content_type or JSON_CONTENT_TYPE, dict(fault.headers))
        elif body_error:
            answer = _error(400, "SyntaxError", "Unexpected token in JSON body")
        else:
            answer = self._route(request)
            if fault is not None:
                answer.headers.update(fault.headers)
                if fault.truncate:
                    answer.body = answer.body[: len(answer.body) // 2]
        request.status = answer.status
        self._send(handler, answer)

    def _take_fault(self, request: Request) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(request):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[i]
                return fault
        return None

    @staticmethod
    def _drop(handler: _Handler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _send(handler: _Handler, answer: _Answer) -> None:
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", answer.content_type)
            handler.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(answer.body)
            handler.wfile.flush()
        except OSError:
            handler.close_connection = True

    def _route(self, request: Request) -> _Answer:
        if request.path == "/login" and request.method == "POST":
            return self._login(request)
        if self.guest_gate is not None and not request.authenticated:
            if self.guest_gate == "html":
                return _Answer(200, CHALLENGE_HTML.encode("utf-8"), HTML_CONTENT_TYPE)
            return _json_answer(403, CHALLENGE_ERROR)
        if request.path == "/notes" and request.method == "GET":
            return self._notes(request.query)
        if request.path == "/groups" and request.method == "GET":
            return self._group(request.query)
        if request.path == "/profiles/search" and request.method == "POST":
            return self._search_profiles(request.json)
        if request.path == "/profiles" and request.method == "GET":
            return self._get_profiles(request.query)
        return _error(404, "NotFoundError", f"Cannot {request.method} {request.path}")

    def _login(self, request: Request) -> _Answer:
        payload = request.json if isinstance(request.json, dict) else {}
        username, password = payload.get("id"), payload.get("password")
        if not isinstance(username, str) or self.users.get(username) != password or password is None:
            return _error(400, "LoginError", "Invalid username or password")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        user = {"id": TEST_USER_PROFILE_ID, "profile": {"id": TEST_USER_PROFILE_ID}}
        return _json_answer(200, {"token": token, "user": user})

    def _group(self, query: dict[str, str]) -> _Answer:
        group_id = query.get("id")
        if group_id is None:
            return _error(400, "ValidationError", "id is required")
        if group_id in self._v2_groups:
            return _json_answer(200, {"groups": [self._v2_groups[group_id]]})
        if group_id not in self._groups:
            return _error(404, "NotFoundError", f"Group Not Found: {group_id}")
        # A v1 venue group: no `domain` field, which is how a client tells v1 from v2.
        group = {
            "id": group_id,
            "cdate": None,
            "ddate": None,
            "tcdate": 1565986000000,
            "tmdate": 1565986000000,
            "writers": [group_id],
            "members": [],
            "readers": ["everyone"],
            "nonreaders": [],
            "signatories": [group_id],
            "signatures": ["~Super_User1"],
            "web": None,
        }
        return _json_answer(200, {"groups": [group]})

    def _profiles_named(self, names: Iterable[str]) -> list[dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for name in names:
            for profile in self._profiles_by_name.get(name, []):
                found.setdefault(id(profile), profile)
        return list(found.values())

    def _profiles_mailed(self, emails: Iterable[str], *, tag: bool) -> list[dict[str, Any]]:
        # One answer per (address, profile): openreview-py groups an e-mail search by each answer's `email`.
        found: list[dict[str, Any]] = []
        for email in dict.fromkeys(e.strip().lower() for e in emails):
            for address, profile in self._profiles_by_email.get(email, []):
                found.append({**profile, "email": address} if tag else profile)
        return found

    def _search_profiles(self, payload: Any) -> _Answer:
        """POST /profiles/search with {"ids": [...]} or {"emails": [...]}, at most 1000 of either."""
        body = payload if isinstance(payload, dict) else {}
        present = [key for key in ("ids", "emails") if key in body]
        if len(present) != 1:
            return _error(400, "ValidationError", "send either ids or emails")
        key = present[0]
        wanted = body[key]
        if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
            return _error(400, "ValidationError", f"{key} must be an array of strings")
        if len(wanted) > MAX_LIMIT:
            return _error(400, "ValidationError", f"{key} must have at most {MAX_LIMIT} items")
        found = self._profiles_named(wanted) if key == "ids" else self._profiles_mailed(wanted, tag=True)
        return _json_answer(200, {"profiles": found, "count": len(found)})

    def _get_profiles(self, query: dict[str, str]) -> _Answer:
        """GET /profiles?id=<~id> or ?confirmedEmail=<address> (API v1 names); an unknown one gives []."""
        if "id" in query:
            found = self._profiles_named([query["id"]])
        elif "confirmedEmail" in query:
            found = self._profiles_mailed([query["confirmedEmail"]], tag=False)
        else:
            return _error(400, "ValidationError", "id or confirmedEmail is required")
        return _json_answer(200, {"profiles": found, "count": len(found)})

    def _notes(self, query: dict[str, str]) -> _Answer:
        try:
            limit = int(query.get("limit", MAX_LIMIT))
            offset = int(query.get("offset", 0))
            mintcdate = int(query["mintcdate"]) if "mintcdate" in query else None
        except ValueError:
            return _error(400, "ValidationError", "limit, offset and mintcdate must be integers")
        if limit > MAX_LIMIT:
            return _error(400, "ValidationError", f"limit must be <= {MAX_LIMIT}")
        if limit < 0 or offset < 0:
            return _error(400, "ValidationError", "limit and offset must be >= 0")

        matched = self._candidates(query)
        if mintcdate is not None:
            matched = [n for n in matched if (n.get("cdate") or 0) >= mintcdate]
        count = len(matched)
        after = query.get("after")
        if after is not None:
            # `after` is a cursor over ids, so it only makes sense in id order whatever `sort` says.
            matched = sorted((n for n in matched if n["id"] > after), key=lambda n: n["id"])
        else:
            matched = _apply_sort(matched, query.get("sort"))
        page = matched[offset : offset + limit]

        wanted = {d.strip() for d in query.get("details", "").split(",") if d.strip()}
        notes = [self._render(n, wanted) for n in page]
        return _json_answer(200, {"notes": notes, "count": count})

    def _candidates(self, query: dict[str, str]) -> list[dict[str, Any]]:
        candidates: list[dict[str, Any]] | None = None
        if "id" in query:
            note = self._by_id.get(query["id"])
            candidates = [note] if note is not None else []
        if "invitation" in query:
            candidates = _intersect(candidates, self._by_invitation.get(query["invitation"], []))
        if "forum" in query:
            candidates = _intersect(candidates, self._by_forum.get(query["forum"], []))
        if candidates is None:
            candidates = self._all
        for name in ("replyto", "number"):
            if name in query:
                candidates = [n for n in candidates if str(n.get(name)) == query[name]]
        for name, value in query.items():
            if name.startswith("content."):
                key = name[len("content.") :]
                candidates = [n for n in candidates if _content_matches(n.get("content", {}).get(key), value)]
        return list(candidates)

    def _render(self, note: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
        # Stored notes carry their replies; the real API only adds `details` when asked for it.
        out = {k: v for k, v in note.items() if k != "details"}
        if wanted:
            replies = self._replies.get(note["id"], [])
            details: dict[str, Any] = {}
            if "directReplies" in wanted:
                details["directReplies"] = replies
            if "replies" in wanted:
                details["replies"] = replies
            if "replyCount" in wanted:
                details["replyCount"] = len(replies)
            out["details"] = details
        return out


def _intersect(candidates: list[dict[str, Any]] | None, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if candidates is None:
        return found
    # Identity, not equality: comparing whole note dicts would be slow and could confuse equal twins.
    found_ids = {id(n) for n in found}
    return [n for n in candidates if id(n) in found_ids]


def _content_matches(value: Any, wanted: str) -> bool:
    if isinstance(value, list):
        return wanted in value
    return value is not None and str(value) == wanted
