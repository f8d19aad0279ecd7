"""GitHub's REST API: repository metadata (`GET {api}/repos/{owner}/{repo}`, for each repository a paper
links to) and users (`GET {api}/users/{login}`, for each GitHub account an author's socials name).

Optional: it needs a token (GitHub allows 60 anonymous requests an hour, 5,000 with a token). Requests are
conditional (`If-None-Match`): a 304 costs no rate limit. When the rate limit runs out (a 403 or 429 saying
so, or an answer whose `x-ratelimit-remaining` is 0) nothing more is asked this run; the next run goes on
where this one stopped. The token goes out only in the `Authorization` header, which recordings never keep.
Nothing here knows of SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

import requests

from paperharvest.errors import ReplayMissing, UpstreamDataError, UpstreamUnavailable
from paperharvest.net.answers import Service, read_json
from paperharvest.net.policy import RETRY_STATUSES

__all__ = [
    "GITHUB_RETRY_STATUSES",
    "STOPS",
    "GitHubAnswer",
    "GitHubOutcome",
    "GitHubRequest",
    "RepoRequest",
    "UserRequest",
    "fetch_github",
]

# The house's retried statuses but 429: GitHub's rate limit lasts until the hour's reset, so it is handled
# here, never waited out.
GITHUB_RETRY_STATUSES = RETRY_STATUSES - {429}
API_VERSION = "2022-11-28"
# Its refusals (401, 403, 451) are outcomes, read here before the answer reader sees them.
GITHUB = Service("GitHub", setting="PAPERHARVEST_GITHUB_API_URL")

GitHubOutcome = Literal["ok", "not_modified", "missing", "blocked", "rate_limited", "refused", "unavailable"]
# Outcomes after which nothing more is asked this run.
STOPS = frozenset({"rate_limited", "refused", "unavailable"})


class GitHubRequest(Protocol):
    """One resource to ask GitHub about: `key` is how the caller knows it, `path` where it lives under the
    API base (already quoted), `what` how errors name it, `etag` the stored answer's validator."""

    @property
    def key(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def what(self) -> str: ...

    @property
    def etag(self) -> str | None: ...


@dataclass(frozen=True)
class RepoRequest:
    url: str
    owner: str
    name: str
    etag: str | None = None

    @property
    def key(self) -> str:
        return self.url

    @property
    def path(self) -> str:
        return f"repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}"

    @property
    def what(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class UserRequest:
    """A user or organisation, by login (GitHub's logins are case-insensitive)."""

    login: str
    etag: str | None = None

    @property
    def key(self) -> str:
        return self.login

    @property
    def path(self) -> str:
        return f"users/{quote(self.login, safe='')}"

    @property
    def what(self) -> str:
        return f"user {self.login}"


@dataclass(frozen=True)
class GitHubAnswer:
    """What GitHub said about one resource (`key` as in its request).

    `ok` carries the JSON; `not_modified` (304) nothing new; `missing` is a 404 (a repository deleted, made
    private or never there; a user renamed, deleted or never there); `blocked` a 403 or 451 that is not
    about the rate limit (access blocked by GitHub). The other outcomes stop the run's GitHub requests,
    `detail` saying why: `rate_limited`, `refused` (the token was rejected), `unavailable` (5xx after
    retries, or not GitHub's JSON).
    """

    key: str
    outcome: GitHubOutcome
    status: int = 0
    payload: dict[str, Any] | None = None
    etag: str | None = None
    detail: str = ""


def _message(response: requests.Response) -> str:
    try:
        data = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else ""


def _reset(response: requests.Response) -> str:
    value = response.headers.get("x-ratelimit-reset", "")
    if not value.isdigit():
        retry_after = response.headers.get("retry-after", "")
        return f"; GitHub asks to wait {retry_after} s" if retry_after.isdigit() else ""
    return f"; it resets at {datetime.fromtimestamp(int(value), UTC).strftime('%Y-%m-%d %H:%M')} UTC"


def _is_rate_limit(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    # Primary limit: remaining 0. Secondary limit: a Retry-After, or only the message says so.
    return (
        response.headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in response.headers
        or "rate limit" in _message(response).lower()
    )


def _read(response: requests.Response, request: GitHubRequest) -> GitHubAnswer:
    status = response.status_code
    if status == 304:
        return GitHubAnswer(request.key, "not_modified", status, etag=request.etag)
    if _is_rate_limit(response):
        detail = (
            f"GitHub's rate limit is used up (HTTP {status}: {_message(response) or 'no message'}){_reset(response)}"
        )
        return GitHubAnswer(request.key, "rate_limited", status, detail=detail)
    if status == 401:
        return GitHubAnswer(
            request.key, "refused", status, detail=f"GitHub rejected GITHUB_TOKEN (HTTP 401: {_message(response)})"
        )
    if status in (403, 451):
        return GitHubAnswer(request.key, "blocked", status, detail=_message(response))
    # A 404 is a deleted repository or user only in GitHub's JSON; the reader refuses a web server's page.
    data: dict[str, Any] = read_json(response, GITHUB, request.what, passing=frozenset({404}))
    if status == 404:
        return GitHubAnswer(request.key, "missing", status)
    return GitHubAnswer(request.key, "ok", status, data, response.headers.get("etag"))


def fetch_github(
    session: requests.Session,
    base_url: str,
    asked: Sequence[GitHubRequest],
    *,
    token: str | None,
    user_agent: str,
) -> Iterator[GitHubAnswer]:
    """One answer per request (RepoRequest, UserRequest), in order, until one says stop (that answer is the
    last one yielded). Repositories and users share it, so both mean the same by each status and stop alike.

    `token` None sends no Authorization header (a replay, which needs none).
    """
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": user_agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    base = base_url.rstrip("/")
    for index, request in enumerate(asked):
        conditional = {"If-None-Match": request.etag} if request.etag else {}
        try:
            # Renamed or moved repositories answer 301 to /repositories/{id}: followed (same host, same headers).
            response = session.get(f"{base}/{request.path}", headers={**headers, **conditional})
            answer = _read(response, request)
        except ReplayMissing:
            raise
        except (UpstreamUnavailable, UpstreamDataError) as exc:
            yield GitHubAnswer(request.key, "unavailable", detail=str(exc))
            return
        except requests.TooManyRedirects:
            yield GitHubAnswer(request.key, "unavailable", detail=f"GitHub redirected {request.what} in a loop")
            return
        yield answer
        if answer.outcome in STOPS:
            return
        if response.headers.get("x-ratelimit-remaining") == "0" and index + 1 < len(asked):
            # The next request would only be refused: stop now, saving GitHub (and us) a 403.
            detail = f"GitHub's rate limit is used up (0 requests left){_reset(response)}"
            yield GitHubAnswer(asked[index + 1].key, "rate_limited", detail=detail)
            return
