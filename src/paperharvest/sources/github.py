"""GitHub repository metadata: `GET {api}/repos/{owner}/{repo}` for each repository a paper links to.

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
from typing import Any, Literal
from urllib.parse import quote

import requests

from paperharvest.errors import ReplayMissing, UpstreamDataError, UpstreamUnavailable
from paperharvest.net.answers import Service, read_json
from paperharvest.net.policy import RETRY_STATUSES

__all__ = ["GITHUB_RETRY_STATUSES", "RepoAnswer", "RepoOutcome", "RepoRequest", "fetch_repositories"]

# The house's retried statuses but 429: GitHub's rate limit lasts until the hour's reset, so it is handled
# here, never waited out.
GITHUB_RETRY_STATUSES = RETRY_STATUSES - {429}
API_VERSION = "2022-11-28"
# Its refusals (401, 403, 451) are outcomes, read here before the answer reader sees them.
GITHUB = Service("GitHub", setting="PAPERHARVEST_GITHUB_API_URL")

RepoOutcome = Literal["ok", "not_modified", "missing", "blocked", "rate_limited", "refused", "unavailable"]
# Outcomes after which nothing more is asked this run.
STOPS = frozenset({"rate_limited", "refused", "unavailable"})


@dataclass(frozen=True)
class RepoRequest:
    url: str
    owner: str
    name: str
    etag: str | None = None


@dataclass(frozen=True)
class RepoAnswer:
    """What GitHub said about one repository.

    `ok` carries the JSON; `not_modified` (304) nothing new; `missing` is a 404 (deleted, private or never
    there); `blocked` a 403 or 451 that is not about the rate limit (access blocked by GitHub). The other
    outcomes stop the run's GitHub requests, `detail` saying why: `rate_limited`, `refused` (the token was
    rejected), `unavailable` (5xx after retries, or not GitHub's JSON).
    """

    url: str
    outcome: RepoOutcome
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


def _read(response: requests.Response, request: RepoRequest) -> RepoAnswer:
    status = response.status_code
    if status == 304:
        return RepoAnswer(request.url, "not_modified", status, etag=request.etag)
    if _is_rate_limit(response):
        detail = (
            f"GitHub's rate limit is used up (HTTP {status}: {_message(response) or 'no message'}){_reset(response)}"
        )
        return RepoAnswer(request.url, "rate_limited", status, detail=detail)
    if status == 401:
        return RepoAnswer(
            request.url, "refused", status, detail=f"GitHub rejected GITHUB_TOKEN (HTTP 401: {_message(response)})"
        )
    if status in (403, 451):
        return RepoAnswer(request.url, "blocked", status, detail=_message(response))
    # A 404 is a deleted repository only in GitHub's JSON; the reader refuses a web server's page.
    what = f"{request.owner}/{request.name}"
    data: dict[str, Any] = read_json(response, GITHUB, what, passing=frozenset({404}))
    if status == 404:
        return RepoAnswer(request.url, "missing", status)
    return RepoAnswer(request.url, "ok", status, data, response.headers.get("etag"))


def fetch_repositories(
    session: requests.Session,
    base_url: str,
    repositories: Sequence[RepoRequest],
    *,
    token: str | None,
    user_agent: str,
) -> Iterator[RepoAnswer]:
    """One answer per repository, in order, until one says stop (that answer is the last one yielded).

    `token` None sends no Authorization header (a replay, which needs none).
    """
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": user_agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    base = base_url.rstrip("/")
    for index, request in enumerate(repositories):
        url = f"{base}/repos/{quote(request.owner, safe='')}/{quote(request.name, safe='')}"
        conditional = {"If-None-Match": request.etag} if request.etag else {}
        try:
            # Renamed or moved repositories answer 301 to /repositories/{id}: followed (same host, same headers).
            response = session.get(url, headers={**headers, **conditional})
            answer = _read(response, request)
        except ReplayMissing:
            raise
        except (UpstreamUnavailable, UpstreamDataError) as exc:
            yield RepoAnswer(request.url, "unavailable", detail=str(exc))
            return
        except requests.TooManyRedirects:
            detail = f"GitHub redirected {request.owner}/{request.name} in a loop"
            yield RepoAnswer(request.url, "unavailable", detail=detail)
            return
        yield answer
        if answer.outcome in STOPS:
            return
        if response.headers.get("x-ratelimit-remaining") == "0" and index + 1 < len(repositories):
            # The next request would only be refused: stop now, saving GitHub (and us) a 403.
            following = repositories[index + 1]
            detail = f"GitHub's rate limit is used up (0 requests left){_reset(response)}"
            yield RepoAnswer(following.url, "rate_limited", detail=detail)
            return
