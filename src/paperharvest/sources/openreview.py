"""OpenReview API v1 through openreview-py, with our transport mounted on its session.

openreview-py keeps the login, the auth header and the endpoint URLs. Two of its habits do not fit a
harvester, so they are worked around here rather than by replacing the package:
- `Client()` logs in from its constructor, before a transport can be mounted, and reads credentials
  from the environment by itself. It is built with a placeholder token (not a JWT, so it makes no
  request), our adapter is mounted, and only then do we log in.
- `get_notes()` turns notes into `Note` objects, which drop keys the API added later (pdate, odate,
  mdate...). Raw payloads must be kept as fetched, so listings are read as JSON from the client's own
  session, headers and URL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openreview
import requests

from paperharvest.errors import AuthError, ConfigError, UpstreamDataError
from paperharvest.net import Network
from paperharvest.settings import Settings

log = logging.getLogger(__name__)

_PLACEHOLDER_TOKEN = "paperharvest-placeholder-not-a-jwt"
LOGIN_HINT = "set OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD (or OPENREVIEW_TOKEN, or PAPERHARVEST_CREDENTIALS_FILE)"


@dataclass(frozen=True)
class NotePage:
    """One page of a listing, exactly as the API returned it."""

    invitation: str
    index: int
    notes: list[dict[str, Any]]
    count: int


def make_client(settings: Settings, network: Network) -> Any:
    """An openreview-py v1 client on our transport, logged in when credentials are set."""
    try:
        client = openreview.Client(baseurl=settings.openreview_api_url, token=_PLACEHOLDER_TOKEN)
    except openreview.OpenReviewException as exc:
        raise ConfigError(f"OPENREVIEW_API_BASEURL: {_error_message(exc)}") from None
    client.token = None
    client.headers.pop("Authorization", None)
    client.baseurl_v2 = settings.openreview_api_url_v2.rstrip("/")
    network.mount(client.session)
    if network.offline:
        return client
    if settings.openreview_token:
        token = settings.openreview_token.get_secret_value().removeprefix("Bearer ").strip()
        client.token = token
        client.headers["Authorization"] = "Bearer " + token
    elif settings.openreview_username and settings.openreview_password:
        try:
            client.login_user(settings.openreview_username, settings.openreview_password.get_secret_value())
        except openreview.OpenReviewException as exc:
            raise AuthError(f"OpenReview refused the login: {_error_message(exc)}") from None
        except (KeyError, TypeError, ValueError):
            raise UpstreamDataError("OpenReview's login answer was not the expected JSON") from None
    return client


def _error_message(exc: Exception) -> str:
    body = exc.args[0] if exc.args else exc
    if isinstance(body, dict):
        return f"{body.get('name', 'Error')}: {body.get('message', '')}".strip()
    return str(body)[:300]


def _looks_like_challenge(text: str) -> bool:
    return "Verifying your browser" in text or "ChallengeRequiredError" in text


def read_json(response: requests.Response, what: str, logged_in: bool) -> dict[str, Any]:
    """The JSON object of an answer, or the error a user can act on."""
    content_type = response.headers.get("content-type", "")
    text = response.text
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        name = body.get("name", "") if isinstance(body, dict) else ""
        message = body.get("message", "") if isinstance(body, dict) else ""
        if name == "ChallengeRequiredError" or (response.status_code in (401, 403) and not logged_in):
            raise AuthError(f"OpenReview blocks anonymous reads ({name or response.status_code}); {LOGIN_HINT}")
        if response.status_code in (401, 403):
            raise AuthError(f"OpenReview refused {what}: HTTP {response.status_code} {name} {message}".strip())
        raise UpstreamDataError(f"OpenReview answered {what} with HTTP {response.status_code} {name}: {message}")
    if "json" not in content_type or text.lstrip()[:1] == "<":
        if _looks_like_challenge(text):
            raise AuthError(f"OpenReview answered {what} with a browser challenge page; {LOGIN_HINT}")
        raise UpstreamDataError(
            f"OpenReview answered {what} with {content_type or 'no content type'}, not JSON (starts {text[:60]!r})"
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UpstreamDataError(
            f"OpenReview answered {what} with malformed JSON ({exc}); this page was not stored"
        ) from None
    if not isinstance(data, dict):
        raise UpstreamDataError(f"OpenReview answered {what} with JSON that is not an object")
    return data


def fetch_venue_group(client: Any, api_url: str, venue_id: str) -> dict[str, Any]:
    """The venue's group from one API host; it tells which API the venue lives on (v2 groups have `domain`)."""
    what = f"the group {venue_id}"
    response = client.session.get(api_url.rstrip("/") + "/groups", params={"id": venue_id}, headers=client.headers)
    if response.status_code == 404:
        raise UpstreamDataError(f"OpenReview has no group {venue_id} at {api_url}; check the venue id and api_version")
    groups = read_json(response, what, "Authorization" in client.headers).get("groups")
    if not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
        raise UpstreamDataError(
            f"OpenReview answered {what} at {api_url} with no group; check the venue id and api_version"
        )
    return groups[0]


def fetch_note_pages(
    client: Any,
    invitation: str,
    *,
    page_size: int,
    details: str | None = "directReplies",
    notes_url: str | None = None,
) -> Iterator[NotePage]:
    """Every note of an invitation, a page at a time, paging by id with `after` as openreview-py does.

    Stops when the envelope's `count` is reached, which saves the extra empty request openreview-py's
    `efficient_iterget` makes. A listing that ends before its count is an error, never a short venue.
    """
    logged_in = "Authorization" in client.headers
    seen = 0
    after: str | None = None
    index = 0
    total: int | None = None
    while True:
        params: dict[str, Any] = {"invitation": invitation, "limit": page_size, "sort": "id"}
        if details:
            params["details"] = details
        if after is not None:
            params["after"] = after
        what = f"the notes of {invitation} (page {index + 1})"
        response = client.session.get(notes_url or client.notes_url, params=params, headers=client.headers)
        data = read_json(response, what, logged_in)
        notes = data.get("notes")
        count = data.get("count")
        if not isinstance(notes, list) or not all(isinstance(n, dict) and "id" in n for n in notes):
            raise UpstreamDataError(f"OpenReview answered {what} without a list of notes")
        if total is None:
            if not isinstance(count, int):
                raise UpstreamDataError(f"OpenReview answered {what} without a count")
            total = count
        if not notes and seen < total:
            raise UpstreamDataError(f"the listing of {invitation} ended after {seen} of {total} notes")
        if notes:
            yield NotePage(invitation=invitation, index=index, notes=notes, count=total)
        seen += len(notes)
        index += 1
        if seen >= total or len(notes) < page_size:
            if seen < total:
                raise UpstreamDataError(f"the listing of {invitation} ended after {seen} of {total} notes")
            return
        after = notes[-1]["id"]


@dataclass(frozen=True)
class ProfilePage:
    """One POST /profiles/search answer. `refused` is set when OpenReview would not do the lookup at all."""

    kind: str
    requested: list[str]
    profiles: list[dict[str, Any]]
    refused: str | None = None


def fetch_profile_pages(
    client: Any, ids: list[str], emails: list[str], *, batch_size: int = 1000
) -> Iterator[ProfilePage]:
    """Profiles for `~ids` and e-mail addresses, `batch_size` a request (one POST per 1,000, never one per author).

    E-mail lookups may be refused to ordinary accounts (api-facts: unconfirmed in 2026); a refusal is a page
    with `refused` set, so those authors are recorded as unresolved instead of failing the run.
    """
    logged_in = "Authorization" in client.headers
    for kind, values in (("ids", ids), ("emails", emails)):
        for start in range(0, len(values), batch_size):
            chunk = values[start : start + batch_size]
            what = f"the profile search by {kind} (batch {start // batch_size + 1})"
            response = client.session.post(client.profiles_search_url, json={kind: chunk}, headers=client.headers)
            try:
                data = read_json(response, what, logged_in)
            except AuthError as exc:
                if kind == "emails" and logged_in:
                    yield ProfilePage(kind, chunk, [], refused=str(exc))
                    continue
                raise
            profiles = data.get("profiles")
            if not isinstance(profiles, list) or not all(isinstance(p, dict) and "id" in p for p in profiles):
                raise UpstreamDataError(f"OpenReview answered {what} without a list of profiles")
            yield ProfilePage(kind, chunk, profiles)
