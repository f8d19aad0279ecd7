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

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openreview

from paperharvest.errors import AuthError, ConfigError, UpstreamDataError
from paperharvest.net import Network
from paperharvest.net.answers import Service, read_json
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


def openreview_service(client: Any) -> Service:
    """OpenReview as the answer reader names it; whether the client is logged in decides what a refusal means."""
    return Service(
        "OpenReview",
        setting="OPENREVIEW_API_BASEURL(_V2)",
        credentials="OPENREVIEW_USERNAME and OPENREVIEW_PASSWORD (or OPENREVIEW_TOKEN)",
        login_hint=LOGIN_HINT,
        logged_in="Authorization" in client.headers,
    )


def find_group(client: Any, api_url: str, group_id: str) -> dict[str, Any] | None:
    """One group from one API host, or None when the host has none by that id."""
    what = f"the group {group_id}"
    response = client.session.get(api_url.rstrip("/") + "/groups", params={"id": group_id}, headers=client.headers)
    data = read_json(response, openreview_service(client), what, passing=frozenset({404}))
    groups = data.get("groups")
    if response.status_code == 404 or not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
        return None
    return groups[0]


def fetch_venue_group(client: Any, api_url: str, venue_id: str) -> dict[str, Any]:
    """The venue's group from one API host; it tells which API the venue lives on (v2 groups have `domain`)."""
    group = find_group(client, api_url, venue_id)
    if group is None:
        raise UpstreamDataError(f"OpenReview has no group {venue_id} at {api_url}; check the venue id and api_version")
    return group


def fetch_venue_list(client: Any, api_url: str) -> list[str]:
    """The ids of every venue one API host knows: the members of its `venues` group, which openreview-py
    joins each venue to when it sets the venue up (v1 and v2 alike)."""
    group = find_group(client, api_url, "venues")
    members = group.get("members") if group is not None else None
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise UpstreamDataError(f"OpenReview answered the group venues at {api_url} without a list of members")
    return list(dict.fromkeys(members))


def fetch_note_pages(
    client: Any,
    invitation: str,
    *,
    page_size: int,
    details: str | None = "directReplies",
    notes_url: str | None = None,
    api_version: int = 1,
) -> Iterator[NotePage]:
    """Every note of an invitation, a page at a time, paging by id with `after` as openreview-py does, until
    the API says there is no more: a page shorter than `page_size` (or empty).

    The listing is checked, not trusted: its ids must be distinct and as many as the first page's `count`
    (API v2 sends one only when asked with `count=true`). Pages are yielded, and so stored, as they arrive;
    a listing that breaks either rule raises UpstreamDataError after its last page, so what arrived is kept
    and the run fails instead of passing a short venue for a whole one.
    """
    service = openreview_service(client)
    listing = _Listing(invitation)
    after: str | None = None
    while True:
        params: dict[str, Any] = {"invitation": invitation, "limit": page_size, "sort": "id"}
        if details:
            params["details"] = details
        if after is not None:
            params["after"] = after
        elif api_version == 2:
            params["count"] = "true"
        what = f"the notes of {invitation} (page {listing.pages + 1})"
        response = client.session.get(notes_url or client.notes_url, params=params, headers=client.headers)
        data = read_json(response, service, what)
        notes = data.get("notes")
        if not isinstance(notes, list) or not all(isinstance(n, dict) and isinstance(n.get("id"), str) for n in notes):
            raise UpstreamDataError(f"OpenReview answered {what} without a list of notes")
        if listing.pages == 0:
            count = data.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise UpstreamDataError(f"OpenReview answered {what} without a count")
            listing.count = count
        new = listing.add(notes)
        if new:
            # Each id once: a repeat is no second paper, and what repeated it is reported after the last page.
            yield NotePage(invitation=invitation, index=listing.pages - 1, notes=new, count=listing.count)
        if len(notes) < page_size:
            break
        if not new:
            # A full page of ids already served: the cursor is not moving, and the next page would be the same.
            raise UpstreamDataError(listing.mismatch() + "; it stopped advancing")
        after = notes[-1]["id"]
    if listing.served != listing.count or listing.repeated:
        raise UpstreamDataError(listing.mismatch())


class _Listing:
    """What a listing has served so far, against what its count promised."""

    def __init__(self, invitation: str) -> None:
        self.invitation = invitation
        self.count = 0
        self.pages = 0
        self.served = 0
        self.ids: set[str] = set()
        self.repeated: dict[str, int] = {}

    def add(self, notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Counts a page in; returns its notes whose ids were not served before."""
        self.pages += 1
        self.served += len(notes)
        new = []
        for note in notes:
            if note["id"] in self.ids:
                self.repeated[note["id"]] = self.repeated.get(note["id"], 1) + 1
            else:
                self.ids.add(note["id"])
                new.append(note)
        return new

    def mismatch(self) -> str:
        repeats = ""
        if self.repeated:
            twice = all(times == 2 for times in self.repeated.values())
            many = f"{len(self.repeated)} id{'s' if len(self.repeated) > 1 else ''} {'twice' if twice else 'repeated'}"
            repeats = f" ({many}, e.g. {next(iter(self.repeated))}: {len(self.ids)} distinct)"
        return (
            f"the listing of {self.invitation} served {self.served} notes{repeats} but its count says {self.count}; "
            "the pages that arrived are stored, but papers may be missing: run again later"
        )


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
    service = openreview_service(client)
    for kind, values in (("ids", ids), ("emails", emails)):
        for start in range(0, len(values), batch_size):
            chunk = values[start : start + batch_size]
            what = f"the profile search by {kind} (batch {start // batch_size + 1})"
            response = client.session.post(client.profiles_search_url, json={kind: chunk}, headers=client.headers)
            try:
                data = read_json(response, service, what)
            except AuthError as exc:
                if kind == "emails" and service.logged_in:
                    yield ProfilePage(kind, chunk, [], refused=str(exc))
                    continue
                raise
            profiles = data.get("profiles")
            if not isinstance(profiles, list) or not all(isinstance(p, dict) and "id" in p for p in profiles):
                raise UpstreamDataError(f"OpenReview answered {what} without a list of profiles")
            yield ProfilePage(kind, chunk, profiles)
