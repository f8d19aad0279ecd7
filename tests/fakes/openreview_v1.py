"""A fake OpenReview API v1 server on 127.0.0.1 that speaks the real wire format.

It serves `GET /notes`, `POST /login`, a minimal `GET /groups` and, given profiles, `POST /profiles/search`
and `GET /profiles`. It can refuse guests the way the real site does in 2026 (a 403 ChallengeRequiredError
or a 200 HTML "Verifying your browser" page), and can inject one-shot faults (429, 5xx, truncated or
non-JSON bodies, stalls, dropped connections) into the next matching requests. Listings can be made to lie
(`misstate_count`, `repeat_note`), as listings have been seen to. Every request is recorded so tests can
count round trips and inspect headers.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from tests.fakes.http_fake import (
    HTML_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    Answer,
    FakeHandler,
    FaultyServer,
    Headers,
    RouteFault,
    RouteMatch,
    lowered_headers,
    path_and_query,
)

__all__ = [
    "CHALLENGE_HTML",
    "TEST_PASSWORD",
    "TEST_USER",
    "TEST_USER_PROFILE_ID",
    "FakeOpenReview",
    "Fault",
    "Request",
    "account",
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


def account(profile_id: str, emails: list[str], fullname: str) -> dict[str, Any]:
    """The `user` object a login answers with: the account's id, its profile, e-mails and names."""
    first, _, last = fullname.partition(" ")
    name = {"first": first, "middle": "", "last": last, "fullname": fullname, "username": profile_id}
    return {
        "id": profile_id,
        "profile": {
            "id": profile_id,
            "first": first,
            "middle": "",
            "last": last,
            "fullname": fullname,
            "usernames": [profile_id],
            "preferredId": profile_id,
            "emails": emails,
            "preferredEmail": emails[0],
            "names": [name],
        },
        "impersonator": None,
        "expiresIn": 3600,
    }


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


MatchSpec: TypeAlias = RouteMatch[Request]


@dataclass
class Fault(RouteFault[Request]):
    """A misbehaviour applied to the next `times` requests that match `method`, `path` and `match`.

    `status=None` means "answer normally" after `stall_seconds` (optionally `truncate`d); any other status
    replaces the answer with `body`. `match` maps query parameters to a required value, `True` (present) or
    `False` (absent), or is a predicate on the Request. `times=None` keeps the fault forever.
    """

    path: str = "/notes"


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


class _Handler(FakeHandler):
    server_version = "nginx"
    sys_version = ""
    do_GET = do_POST = do_PUT = do_DELETE = FakeHandler.dispatch


def _json_answer(status: int, payload: Any) -> Answer:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate in a note: the real API (Node's JSON.stringify) sends it as a \ud800 escape.
        body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return Answer(status, body, JSON_CONTENT_TYPE)


def _error(status: int, name: str, message: str) -> Answer:
    return _json_answer(status, {"name": name, "message": message, "status": status})


class FakeOpenReview(FaultyServer[Request, Fault]):
    """OpenReview API v1 on 127.0.0.1:<free port>, serving the given notes.

    `notes_by_invitation` maps a submission invitation to full note dicts; a note's replies may sit under
    `details.directReplies`, or its whole forum (nested comments included, each reply naming its parent in
    `replyto`) under `details.replies`, and are then also served as notes of their own (by forum or
    invitation). `details=replies` answers with the whole forum, `details=directReplies` with the replies
    whose `replyto` is the note, as the real API does, v1 and v2 alike.
    `profiles` are raw profile dicts, served as given: a profile answers to its id and to every
    `names[].username`, and an e-mail search finds it by `content.emailsConfirmed` or an unmasked
    `content.preferredEmail` (case-insensitively), answering with a copy that names the matched address in a
    top-level `email` key. Unknown ids and e-mails are simply absent from the answer, not an error.
    """

    handler_class = _Handler
    thread_name = "fake-openreview"

    def __init__(
        self,
        notes_by_invitation: dict[str, list[dict[str, Any]]],
        *,
        users: dict[str, str] | None = None,
        guest_gate: str | None = None,
        delay: float = 0.0,
        profiles: list[dict[str, Any]] | None = None,
        v2_groups: list[dict[str, Any]] | None = None,
        accounts: dict[str, dict[str, Any]] | None = None,
        venue_list: list[str] | None = None,
    ) -> None:
        """`v2_groups` are API v2 venue groups (with `domain`) to serve as they are; v2 notes (with an
        `invitations` list) may then sit in `notes_by_invitation` under any key: they are listed under each
        of their invitations. As on
        API v2, a listing of v2 notes holds a `count` only when asked with `count=true`.

        `accounts` maps a login name to the `user` its login answers with (see `account`).

        The `venues` group lists `venue_list`, by default every venue served (v2 groups and v1 venues)."""
        super().__init__()
        if guest_gate not in (None, "json", "html"):
            raise ValueError(f"guest_gate must be None, 'json' or 'html', not {guest_gate!r}")
        self.users: dict[str, str] = dict(users) if users is not None else {TEST_USER: TEST_PASSWORD}
        self.guest_gate = guest_gate
        self.delay = delay
        self.accounts = dict(accounts or {})
        self._tokens: set[str] = set()
        self._count_offsets: dict[str, int] = {}
        self._served_instead: dict[str, dict[str, str]] = {}
        self._v2_groups = {group["id"]: group for group in v2_groups or []}
        self._venue_list = venue_list
        self._index(notes_by_invitation)
        self._index_profiles(profiles or [])

    # ---- index -------------------------------------------------------------------------------------

    def _index(self, notes_by_invitation: dict[str, list[dict[str, Any]]]) -> None:
        # Everything is indexed once so a page costs a dict lookup, not a scan, even for 2,594 papers.
        self._by_invitation: dict[str, list[dict[str, Any]]] = {}
        self._by_id: dict[str, dict[str, Any]] = {}
        self._by_forum: dict[str, list[dict[str, Any]]] = {}
        # note id -> its direct replies, and its whole forum (every reply, comments on comments included).
        self._replies: dict[str, list[dict[str, Any]]] = {}
        self._forums: dict[str, list[dict[str, Any]]] = {}
        self._all: list[dict[str, Any]] = []
        for invitation, notes in notes_by_invitation.items():
            for note in notes:
                details = note.get("details") if isinstance(note.get("details"), dict) else {}
                for each in note["invitations"] if isinstance(note.get("invitations"), list) else [invitation]:
                    self._add(each, note)
                # A note given with `details.replies` holds its whole forum; one given with directReplies only
                # has no deeper replies, so its forum is its direct replies, served as given.
                if details.get("replies") is not None:
                    forum = list(details["replies"])
                    direct = [r for r in forum if r.get("replyto") == note["id"]]
                else:
                    forum = direct = list(details.get("directReplies") or [])
                self._forums[note["id"]] = forum
                self._replies[note["id"]] = direct
                for reply in forum:
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

    # ---- test helpers ------------------------------------------------------------------------------

    def count(self, method: str, path: str) -> int:
        return self._count(lambda r: r.method == method.upper() and r.path == path)

    def issued_tokens(self) -> set[str]:
        with self._lock:
            return set(self._tokens)

    def misstate_count(self, invitation: str, by: int) -> None:
        """From now on the listing of `invitation` says its `count` is `by` more (or, negative, fewer) than the
        notes it serves."""
        with self._lock:
            self._count_offsets[invitation] = by

    def repeat_note(self, invitation: str, twice: str, instead_of: str) -> None:
        """From now on the listing of `invitation` serves note `twice` a second time where note `instead_of`
        belongs, so that one is never served (its count stays right). Where `instead_of` ends a page, the
        next page starts after `twice`, as a cursor would."""
        with self._lock:
            self._served_instead.setdefault(invitation, {})[instead_of] = twice

    def revoke_tokens(self) -> None:
        """Forget every token, as if they expired: the next request is a guest's again."""
        with self._lock:
            self._tokens.clear()

    # ---- request handling --------------------------------------------------------------------------

    def _handle(self, handler: FakeHandler) -> None:
        path, query = path_and_query(handler)
        headers = Headers(lowered_headers(handler))
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
            request = Request(handler.command, path, query, body, headers, authenticated)
            fault = self._record(request)
        self._respond(handler, request, fault, lambda: self._answer(request, fault, body_error), delay=self.delay)

    def _answer(self, request: Request, fault: Fault | None, body_error: bool) -> Answer:
        if body_error:
            # Refused before routing, so a fault that lets answers through leaves this one alone.
            return _error(400, "SyntaxError", "Unexpected token in JSON body")
        answer = self._route(request)
        return fault.let_through(answer) if fault is not None else answer

    def _route(self, request: Request) -> Answer:
        if request.path == "/login" and request.method == "POST":
            return self._login(request)
        if self.guest_gate is not None and not request.authenticated:
            if self.guest_gate == "html":
                return Answer(200, CHALLENGE_HTML.encode("utf-8"), HTML_CONTENT_TYPE)
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

    def _login(self, request: Request) -> Answer:
        payload = request.json if isinstance(request.json, dict) else {}
        username, password = payload.get("id"), payload.get("password")
        if not isinstance(username, str) or self.users.get(username) != password or password is None:
            return _error(400, "LoginError", "Invalid username or password")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        user = self.accounts.get(username) or account(TEST_USER_PROFILE_ID, [username], "Test User")
        return _json_answer(200, {"token": token, "user": user})

    def _group(self, query: dict[str, str]) -> Answer:
        group_id = query.get("id")
        if group_id is None:
            return _error(400, "ValidationError", "id is required")
        if group_id in self._v2_groups:
            return _json_answer(200, {"groups": [self._v2_groups[group_id]]})
        if group_id == "venues":
            # openreview-py adds each venue it sets up to this group's members, on v1 and v2 alike.
            members = self._venue_list if self._venue_list is not None else sorted({*self._v2_groups, *self._groups})
            venues = {"id": "venues", "members": members, "readers": ["everyone"], "writers": [], "signatures": []}
            return _json_answer(200, {"groups": [venues]})
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

    def _search_profiles(self, payload: Any) -> Answer:
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

    def _get_profiles(self, query: dict[str, str]) -> Answer:
        """GET /profiles?id=<~id> or ?confirmedEmail=<address> (API v1 names); an unknown one gives []."""
        if "id" in query:
            found = self._profiles_named([query["id"]])
        elif "confirmedEmail" in query:
            found = self._profiles_mailed([query["confirmedEmail"]], tag=False)
        else:
            return _error(400, "ValidationError", "id or confirmedEmail is required")
        return _json_answer(200, {"profiles": found, "count": len(found)})

    def _notes(self, query: dict[str, str]) -> Answer:
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
        invitation = query.get("invitation", "")
        with self._lock:
            count = len(matched) + self._count_offsets.get(invitation, 0)
            instead = dict(self._served_instead.get(invitation, {}))
        is_v2 = any(isinstance(n.get("invitations"), list) for n in matched)
        after = query.get("after")
        if after is not None:
            # `after` is a cursor over ids, so it only makes sense in id order whatever `sort` says.
            matched = sorted((n for n in matched if n["id"] > after), key=lambda n: n["id"])
        else:
            matched = _apply_sort(matched, query.get("sort"))
        page = [self._by_id[instead[n["id"]]] if n["id"] in instead else n for n in matched[offset : offset + limit]]

        wanted = {d.strip() for d in query.get("details", "").split(",") if d.strip()}
        envelope: dict[str, Any] = {"notes": [self._render(n, wanted) for n in page]}
        if not is_v2 or query.get("count") == "true":
            envelope["count"] = count
        return _json_answer(200, envelope)

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
                details["replies"] = self._forums.get(note["id"], [])
            if "replyCount" in wanted:
                details["replyCount"] = len(self._forums.get(note["id"], []))
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
