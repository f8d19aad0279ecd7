"""GitHub: which names are accounts (for code links and socials alike); repository metadata (a
`GET /repos/{owner}/{repo}` answer in, a Repository record out) and users (a `GET /users/{login}` answer in,
a GitHubUser out).

Pure: the raw answer is stored as sent, and `rebuild` runs this again over it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from paperharvest.errors import NormalizeError
from paperharvest.models import GitHubUser, Repository

__all__ = [
    "GITHUB_RESERVED",
    "X_HANDLE",
    "github_user",
    "is_github_user",
    "repository_from_github",
    "repository_path",
]

# Letters, digits and hyphens, at most 39; the underscore is an Enterprise Managed User's (`name_corp`).
_GITHUB_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}")
# X's (Twitter's) handles: letters, digits and underscores, at most 15.
X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
# A public host name: dot-separated labels ending in a non-numeric top-level one (no bare IPs or intranet names).
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z][a-z0-9-]*[a-z0-9]|xn--[a-z0-9-]+)")
_KINDS: dict[str, Literal["user", "organization"]] = {"User": "user", "Organization": "organization"}
# First path segments that are GitHub's own pages, never an account.
GITHUB_RESERVED = frozenset(
    {
        "about", "account", "apps", "blog", "codespaces", "collections", "contact", "copilot",
        "customer-stories", "dashboard", "education", "enterprise", "events", "explore", "features", "home",
        "issues", "join", "login", "logout", "marketplace", "mobile", "new", "nonprofit", "notifications",
        "organizations", "orgs", "partners", "password_reset", "premium-support", "pricing", "pulls", "readme",
        "resources", "search", "security", "sessions", "settings", "signup", "site", "solutions", "sponsors",
        "stars", "team", "topics", "trending", "users", "watching",
    }
)  # fmt: skip


def is_github_user(name: str) -> bool:
    """Whether `name` can be a GitHub user or organisation (`github.com/<name>`), not one of GitHub's pages."""
    return bool(_GITHUB_USER.fullmatch(name)) and name.lower() not in GITHUB_RESERVED


def repository_path(url: str) -> tuple[str, str]:
    """(owner, repo) of a canonical `https://github.com/<owner>/<repo>` code link."""
    parts = urlsplit(url).path.strip("/").split("/")
    if urlsplit(url).hostname != "github.com" or len(parts) != 2 or not all(parts):
        raise ValueError(f"not a canonical GitHub repository URL: {url!r}")
    return parts[0], parts[1]


def _int(value: Any) -> int | None:
    # bool is an int to Python, never a count to GitHub.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def repository_from_github(payload: Mapping[str, Any]) -> Repository:
    """The fields we keep of a repository answer. `license` is GitHub's SPDX id (`MIT`, `Apache-2.0`, ...;
    `NOASSERTION` when GitHub finds a licence file it cannot name; None when there is none). A payload
    without `full_name` (or `owner.login` and `name`) is not a repository: NormalizeError."""
    if not isinstance(payload, Mapping):
        raise NormalizeError("a GitHub repository answer that is not a JSON object")
    owner = payload.get("owner")
    login = owner.get("login") if isinstance(owner, Mapping) else None
    full_name = payload.get("full_name")
    if isinstance(full_name, str) and full_name.count("/") == 1 and all(full_name.split("/")):
        owner_name, repo_name = full_name.split("/")
    elif isinstance(login, str) and login and isinstance(payload.get("name"), str) and payload["name"]:
        owner_name, repo_name = login, payload["name"]
    else:
        raise NormalizeError("a GitHub repository answer without full_name: not a repository")
    license_info = payload.get("license")
    archived = payload.get("archived")
    return Repository(
        owner=owner_name,
        name=repo_name,
        stars=_int(payload.get("stargazers_count")),
        forks=_int(payload.get("forks_count", payload.get("forks"))),
        archived=archived if isinstance(archived, bool) else None,
        license=_text(license_info.get("spdx_id")) if isinstance(license_info, Mapping) else None,
        pushed_at=_time(payload.get("pushed_at")),
        default_branch=_text(payload.get("default_branch")),
        description=_text(payload.get("description")),
    )


def _blog(value: Any) -> str | None:
    """The profile's website field as a canonical URL: GitHub keeps whatever was typed, most often a bare
    host (`cruiz.github.io`), which gets `https://`; scheme and host lower-cased, credentials and fragment
    dropped. Anything else (an e-mail address, a sentence, another scheme) is None."""
    text = _text(value)
    if text is None or any(c.isspace() for c in text):
        return None
    if "://" not in text:
        text = "https://" + text.removeprefix("//")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").encode("idna").decode("ascii")
        port = parts.port
    except (ValueError, UnicodeError):
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or not _HOST.fullmatch(host):
        return None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _twitter(value: Any) -> str | None:
    text = _text(value)
    handle = text.removeprefix("@") if text else None
    return handle if handle and X_HANDLE.fullmatch(handle) else None


def github_user(payload: Mapping[str, Any]) -> GitHubUser:
    """The fields we keep of a user answer. A payload without a valid `login`, or whose `type` is neither
    `User` nor `Organization`, is not an account we asked about: NormalizeError."""
    if not isinstance(payload, Mapping):
        raise NormalizeError("a GitHub user answer that is not a JSON object")
    login = payload.get("login")
    if not isinstance(login, str) or not _GITHUB_USER.fullmatch(login):
        raise NormalizeError(f"a GitHub user answer without a valid login: {login!r}")
    type_ = payload.get("type")
    kind = _KINDS.get(type_) if isinstance(type_, str) else None
    if kind is None:
        raise NormalizeError(f"GitHub user {login} has type {type_!r}, not User or Organization")
    return GitHubUser(
        login=login,
        name=_text(payload.get("name")),
        blog=_blog(payload.get("blog")),
        twitter_username=_twitter(payload.get("twitter_username")),
        kind=kind,
    )
