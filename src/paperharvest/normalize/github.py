"""GitHub repository metadata: a `GET /repos/{owner}/{repo}` answer in, a Repository record out.

Pure: the raw answer is stored as sent, and `rebuild` runs this again over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from paperharvest.errors import NormalizeError
from paperharvest.models import Repository

__all__ = ["repository_from_github", "repository_path"]


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
