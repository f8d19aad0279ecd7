"""Fakes of two optional APIs of the code stage on 127.0.0.1: GitHub's REST API (repository metadata and
users) and Semantic Scholar's Graph API (paper batches with model-written TL;DRs).

FakeGitHub:
- `GET /repos/{owner}/{repo}` answers the repository (names case-insensitive, as on GitHub) in GitHub's
  shape (`repo_payload`), with `ETag`, and 304 with no body to a matching `If-None-Match`; 404
  `{"message": "Not Found", ...}` for a repository it does not hold (deleted, private, never there).
- `GET /users/{login}` answers the user or organisation (logins case-insensitive) in GitHub's shape
  (`user_payload`: `blog` is "" when unset, `name` and `twitter_username` null), with `ETag` and 304 as
  above; 404 `{"message": "Not Found", ...}` for a login it does not hold (renamed, deleted, never there).
- a renamed repository answers 301 with `Location: /repositories/{id}`, which answers the repository under
  its new name, as GitHub does.
- every answer has the `x-ratelimit-*` headers. Each request (not a 304) uses one of `rate_limit` requests;
  once none is left it answers 403 (or `limit_status`) "API rate limit exceeded ..." with
  `x-ratelimit-remaining: 0`.
- with `token` set, an `Authorization` header with another token gets 401 "Bad credentials".

FakeSemanticScholar:
- `POST /graph/v1/paper/batch?fields=...` with `{"ids": ["ARXIV:<id>", ...]}` answers a list in the order
  asked, `null` for ids it does not know, each entry with `paperId` and the fields asked for (`externalIds`,
  `tldr`, `title`); more than 500 ids, or a body without `ids`, get 400 `{"error": ...}`.
- with `api_key` set, a wrong `x-api-key` gets 403 `{"message": "Forbidden"}`.

Faults (5xx, 429, a stall, a dropped connection, any answer) apply to the next matching requests. Every
request is recorded with its headers, so tests can count round trips and check what was sent. The error
bodies follow GitHub's documented shapes; S2's 400 and 5xx texts are plausible, not captured.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http_fake import (
    JSON_CONTENT_TYPE,
    Answer,
    FakeHandler,
    FaultyServer,
    lowered_headers,
    path_and_query,
)

__all__ = [
    "RATE_LIMIT_RESET",
    "S2_BATCH_PATH",
    "ApiFault",
    "ApiRequest",
    "FakeGitHub",
    "FakeSemanticScholar",
    "dropped_connection",
    "github_blocked",
    "github_rate_limited",
    "github_secondary_limit",
    "repo_payload",
    "s2_paper",
    "s2_rate_limited",
    "server_error",
    "user_payload",
]

S2_BATCH_PATH = "/graph/v1/paper/batch"
S2_MAX_IDS = 500
# 2026-01-01 00:00:00 UTC: when the fake's rate-limit window resets.
RATE_LIMIT_RESET = 1767225600
GITHUB_DOCS = "https://docs.github.com/rest"


@dataclass
class ApiRequest:
    """One request as a fake saw it. `subject` is what it is about: for GitHub the repository (`owner/repo`
    as asked) or the user (`login` as asked), None for anything else; `ids` the ids of an S2 batch."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    subject: str | None = None
    ids: list[str] | None = None
    status: int | None = None
    fault: ApiFault | None = None


@dataclass
class ApiFault:
    """A misbehaviour for the next `times` requests about `subject` (None: any request the API serves).

    `status=None` answers normally after `stall_seconds`; any other status replaces the answer with `body`.
    `times=None` keeps the fault forever.
    """

    subject: str | None = None
    status: int | None = None
    body: str = ""
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    stall_seconds: float = 0.0
    drop_connection: bool = False

    def matches(self, request: ApiRequest) -> bool:
        if self.subject is None:
            return request.subject is not None or request.ids is not None
        return request.subject is not None and request.subject.lower() == self.subject.lower()


def _json_body(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def server_error(status: int = 503, *, subject: str | None = None, times: int | None = 1) -> ApiFault:
    """A 5xx with a JSON body, as an API gateway in front of either API sends."""
    return ApiFault(subject, status, _json_body({"message": "Service Unavailable"}), times=times)


def dropped_connection(*, subject: str | None = None, times: int | None = 1) -> ApiFault:
    return ApiFault(subject, times=times, drop_connection=True)


def github_rate_limited(status: int = 403, *, subject: str | None = None, times: int | None = 1) -> ApiFault:
    """GitHub's primary rate limit, as a fault: 403 (or 429) with `x-ratelimit-remaining: 0`."""
    body = _json_body(
        {
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": f"{GITHUB_DOCS}/overview/rate-limits-for-the-rest-api",
            "status": str(status),
        }
    )
    headers = {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(RATE_LIMIT_RESET),
        "x-ratelimit-resource": "core",
    }
    return ApiFault(subject, status, body, headers=headers, times=times)


def github_secondary_limit(retry_after: int = 60, *, subject: str | None = None, times: int | None = 1) -> ApiFault:
    """GitHub's secondary rate limit: 403 with `Retry-After`, requests left in the primary limit."""
    body = _json_body(
        {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": f"{GITHUB_DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": "403",
        }
    )
    return ApiFault(subject, 403, body, headers={"retry-after": str(retry_after)}, times=times)


def github_blocked(subject: str, *, times: int | None = None) -> ApiFault:
    """451: a repository GitHub has disabled (a DMCA takedown)."""
    body = _json_body(
        {
            "message": "Repository access blocked",
            "block": {
                "reason": "dmca",
                "created_at": "2024-01-01T00:00:00Z",
                "html_url": "https://github.com/github/dmca",
            },
        }
    )
    return ApiFault(subject, 451, body, times=times)


def s2_rate_limited(*, times: int | None = 1) -> ApiFault:
    """429 as Semantic Scholar sends it to callers without a key when the shared pool is busy."""
    body = _json_body(
        {
            "message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits. "
            "https://www.semanticscholar.org/product/api#api-key-form",
            "code": "429",
        }
    )
    return ApiFault(None, 429, body, times=times)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, _json_body(payload).encode("utf-8"), JSON_CONTENT_TYPE, dict(headers or {}))


def _read_body(handler: FakeHandler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


# ---- GitHub ---------------------------------------------------------------------------------------------------


def repo_payload(
    full_name: str, repo_id: int = 1, base_url: str = "https://api.github.com", **fields: Any
) -> dict[str, Any]:
    """A repository as GitHub's `GET /repos/{owner}/{repo}` answers it (most fields); `fields` override,
    `license` given as an SPDX id (or None)."""
    owner, name = full_name.split("/")
    spdx = fields.pop("license", "MIT")
    license_info = (
        None
        if spdx is None
        else {
            "key": spdx.lower(),
            "name": f"{spdx} License",
            "spdx_id": spdx,
            "url": None,
            "node_id": "MDc6TGljZW5zZTEz",
        }
    )
    payload: dict[str, Any] = {
        "id": repo_id,
        "node_id": f"R_kgDO{repo_id:08d}",
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": {"login": owner, "id": 1000 + repo_id, "type": "User", "site_admin": False},
        "html_url": f"https://github.com/{full_name}",
        "description": f"Code for {name}",
        "fork": False,
        "url": f"{base_url}/repos/{full_name}",
        "created_at": "2019-09-01T10:00:00Z",
        "updated_at": "2025-06-01T10:00:00Z",
        "pushed_at": "2025-05-30T08:15:00Z",
        "homepage": None,
        "size": 1234,
        "stargazers_count": 10 * repo_id,
        "watchers_count": 10 * repo_id,
        "language": "Python",
        "has_issues": True,
        "forks_count": repo_id,
        "archived": False,
        "disabled": False,
        "open_issues_count": 2,
        "license": license_info,
        "topics": ["deep-learning"],
        "visibility": "public",
        "forks": repo_id,
        "open_issues": 2,
        "watchers": 10 * repo_id,
        "default_branch": "main",
        "network_count": repo_id,
        "subscribers_count": 3,
    }
    payload.update(fields)
    return payload


def user_payload(
    login: str, user_id: int = 1, base_url: str = "https://api.github.com", **fields: Any
) -> dict[str, Any]:
    """A user as GitHub's `GET /users/{login}` answers an authenticated request (every field of a public
    user); `fields` override (`type="Organization"` for an organisation)."""
    url = f"{base_url}/users/{login}"
    payload: dict[str, Any] = {
        "login": login,
        "id": 5000 + user_id,
        "node_id": f"MDQ6VXNlcj{5000 + user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{5000 + user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
        "name": None,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 3 * user_id,
        "public_gists": 0,
        "followers": 7 * user_id,
        "following": user_id,
        "created_at": "2016-03-02T12:00:00Z",
        "updated_at": "2025-04-20T09:30:00Z",
    }
    payload.update(fields)
    return payload


class _Handler(FakeHandler):
    server_version = "github.com"
    sys_version = ""
    do_GET = do_POST = FakeHandler.dispatch


class FakeGitHub(FaultyServer[ApiRequest, ApiFault]):
    """GitHub's REST API on 127.0.0.1:<free port>, serving `repos` (`owner/repo` -> fields for repo_payload)
    and `users` (`login` -> fields for user_payload).

    `renamed` maps an old `owner/repo` to the `owner/repo` it now answers as (it must be in `repos`).
    """

    handler_class = _Handler
    thread_name = "fake-github"

    def __init__(
        self,
        repos: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        token: str | None = None,
        rate_limit: int = 5000,
        limit_status: int = 403,
        renamed: Mapping[str, str] | None = None,
        users: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.repos = {name: json.loads(json.dumps(dict(fields))) for name, fields in (repos or {}).items()}
        self.users = {login: json.loads(json.dumps(dict(fields))) for login, fields in (users or {}).items()}
        self.ids = {name.lower(): index for index, name in enumerate(sorted(self.repos), 1)}
        self.renamed = {old.lower(): new for old, new in (renamed or {}).items()}
        self.token = token
        self.rate_limit = rate_limit
        self.remaining = rate_limit
        self.limit_status = limit_status

    @property
    def base(self) -> str:
        return self.url

    # ---- test helpers ------------------------------------------------------------------------------

    def count(self, subject: str | None = None) -> int:
        """Requests seen about one repository or user (None: all requests)."""
        return self._count(lambda r: subject is None or (r.subject or "").lower() == subject.lower())

    @property
    def user_requests(self) -> list[ApiRequest]:
        """The requests about users, in order."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/users/")]

    def user(self, login: str) -> dict[str, Any]:
        """What the fake answers for `login` (as held in `users`)."""
        name = next(n for n in self.users if n.lower() == login.lower())
        return user_payload(name, sorted(self.users).index(name) + 1, self.url, **self.users[name])

    def payload(self, full_name: str) -> dict[str, Any]:
        """What the fake answers for `full_name` (as held in `repos`)."""
        name = next(n for n in self.repos if n.lower() == full_name.lower())
        return repo_payload(name, self.ids[name.lower()], self.url, **self.repos[name])

    # ---- request handling --------------------------------------------------------------------------

    def _handle(self, handler: FakeHandler) -> None:
        path, query = path_and_query(handler)
        _read_body(handler)
        parts = path.strip("/").split("/")
        subject = None
        if len(parts) == 3 and parts[0] == "repos":
            subject = f"{parts[1]}/{parts[2]}"
        elif len(parts) == 2 and parts[0] == "users" and parts[1]:
            subject = parts[1]
        elif len(parts) == 2 and parts[0] == "repositories":
            subject = next((n for n, i in self.ids.items() if str(i) == parts[1]), f"#{parts[1]}")
        request = ApiRequest(handler.command, path, query, lowered_headers(handler), subject)
        fault = self._record(request)
        self._respond(handler, request, fault, lambda: self._answer(request))

    def _limits(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(RATE_LIMIT_RESET),
            "x-ratelimit-used": str(self.rate_limit - self.remaining),
            "x-ratelimit-resource": "core",
        }

    def _answer(self, request: ApiRequest) -> Answer:
        auth = request.headers.get("authorization")
        if self.token is not None and auth is not None and auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return _json(401, {"message": "Bad credentials", "documentation_url": GITHUB_DOCS, "status": "401"})
        if request.method != "GET" or request.subject is None:
            return _json(404, {"message": "Not Found", "documentation_url": GITHUB_DOCS, "status": "404"})
        with self._lock:
            if self.remaining <= 0:
                body = {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": f"{GITHUB_DOCS}/overview/rate-limits-for-the-rest-api",
                    "status": str(self.limit_status),
                }
                return _json(self.limit_status, body, self._limits())
            answer = self._user(request) if request.path.startswith("/users/") else self._repository(request)
            # A 304 to a conditional request costs nothing (GitHub's documented rule).
            if answer.status != 304:
                self.remaining -= 1
            answer.headers.update(self._limits())
            return answer

    def _repository(self, request: ApiRequest) -> Answer:
        subject = (request.subject or "").lower()
        if subject in self.renamed:
            new = self.renamed[subject].lower()
            location = f"{self.url}/repositories/{self.ids[new]}"
            body = {"message": "Moved Permanently", "url": location, "documentation_url": GITHUB_DOCS}
            return _json(301, body, {"Location": location})
        if subject not in self.ids:
            body = {"message": "Not Found", "documentation_url": f"{GITHUB_DOCS}/repos/repos#get-a-repository"}
            return _json(404, {**body, "status": "404"})
        return _conditional(request, self.payload(subject))

    def _user(self, request: ApiRequest) -> Answer:
        login = (request.subject or "").lower()
        if login not in {n.lower() for n in self.users}:
            body = {"message": "Not Found", "documentation_url": f"{GITHUB_DOCS}/users/users#get-a-user"}
            return _json(404, {**body, "status": "404"})
        return _conditional(request, self.user(login))


def _conditional(request: ApiRequest, payload: dict[str, Any]) -> Answer:
    """200 with the payload and its ETag, or 304 with no body to a matching `If-None-Match`."""
    text = _json_body(payload).encode("utf-8")
    etag = f'W/"{hashlib.sha256(text).hexdigest()}"'
    if request.headers.get("if-none-match") == etag:
        return Answer(304, b"", JSON_CONTENT_TYPE, {"ETag": etag})
    return Answer(200, text, JSON_CONTENT_TYPE, {"ETag": etag})


# ---- Semantic Scholar -----------------------------------------------------------------------------------------


def s2_paper(arxiv_id: str, title: str, tldr: str | None) -> dict[str, Any]:
    """A full S2 paper record (every field the fake can answer), for `FakeSemanticScholar(papers=...)`."""
    digest = hashlib.sha1(arxiv_id.encode()).hexdigest()
    return {
        "paperId": digest,
        "externalIds": {"ArXiv": arxiv_id, "CorpusId": int(digest[:7], 16)},
        "title": title,
        "tldr": None if tldr is None else {"model": "tldr@v2.0.0", "text": tldr},
    }


class FakeSemanticScholar(FaultyServer[ApiRequest, ApiFault]):
    """Semantic Scholar's Graph API on 127.0.0.1:<free port>: `papers` maps arXiv ids to s2_paper records."""

    handler_class = _Handler
    thread_name = "fake-semantic-scholar"

    def __init__(self, papers: Mapping[str, Mapping[str, Any]] | None = None, *, api_key: str | None = None) -> None:
        super().__init__()
        self.papers = {k: json.loads(json.dumps(dict(v))) for k, v in (papers or {}).items()}
        self.api_key = api_key

    @property
    def base(self) -> str:
        return f"{self.url}/graph/v1"

    def count(self) -> int:
        return self._count(lambda r: r.path == S2_BATCH_PATH)

    @property
    def batches(self) -> list[list[str]]:
        """The ids of each batch asked for, in order."""
        with self._lock:
            return [list(r.ids) for r in self.requests if r.ids is not None]

    def _handle(self, handler: FakeHandler) -> None:
        path, query = path_and_query(handler)
        raw = _read_body(handler)
        ids: list[str] | None = None
        body: Any = None
        if path == S2_BATCH_PATH and handler.command == "POST":
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, ValueError):
                body = None
            asked = body.get("ids") if isinstance(body, dict) else None
            ids = [str(i) for i in asked] if isinstance(asked, list) else []
        request = ApiRequest(handler.command, path, query, lowered_headers(handler), None, ids)
        fault = self._record(request)
        self._respond(handler, request, fault, lambda: self._answer(request, body))

    def _answer(self, request: ApiRequest, body: Any) -> Answer:
        key = request.headers.get("x-api-key")
        if self.api_key is not None and key is not None and key != self.api_key:
            return _json(403, {"message": "Forbidden"})
        if request.path != S2_BATCH_PATH or request.method != "POST":
            return _json(404, {"error": "Not found"})
        if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
            return _json(400, {"error": "Request body must be a JSON object with an 'ids' list"})
        ids = request.ids or []
        if len(ids) > S2_MAX_IDS:
            return _json(400, {"error": f"Cannot process more than {S2_MAX_IDS} ids in one request"})
        fields = [f for f in request.query.get("fields", "").split(",") if f]
        return _json(200, [self._entry(paper_id, fields) for paper_id in ids])

    def _entry(self, paper_id: str, fields: list[str]) -> dict[str, Any] | None:
        prefix, _, arxiv_id = paper_id.partition(":")
        if prefix.upper() != "ARXIV" or arxiv_id not in self.papers:
            return None
        paper = self.papers[arxiv_id]
        return {"paperId": paper["paperId"], **{f: paper.get(f) for f in fields}}
