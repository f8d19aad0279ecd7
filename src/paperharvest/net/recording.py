"""Record every HTTP exchange of a run to a folder, and replay a folder instead of the network.

A recording is `manifest.json` plus `exchanges/NNNNNN.json`, one file an exchange, in the order they
happened. Requests are matched on replay by method, URL and JSON body. A URL under one of the run's
configured API base URLs is keyed by that service's name and the rest of the path, so a recording made
against any base URL replays under any other; other URLs (homepages) are keyed in full. Failures that
never produced a response (timeouts, refused connections, addresses the guard blocked) are recorded too,
so a replay takes the same path. Credentials, tokens and keys are replaced by "REDACTED" before anything
touches the disk, wherever they sit (JSON or form bodies, query parameters, redirect targets), and the login
exchange keeps its shape but no value at all: its answer names the account (id, e-mails, names).
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from paperharvest.errors import ConfigError, ReplayMissing

FORMAT = 2
REDACTED = "REDACTED"
# Names compared lowercased without "_" and "-", so `access_token`, `X-Api-Key` and `apiKey` all match.
SECRET_KEYS = frozenset({"password", "passwd", "secret", "apikey", "accesskey", "authorization", "credentials"})
# Anything named like these is a secret too (`accessToken`, `mfaPendingToken`, `client_secret`, `X-Amz-Signature`).
SECRET_ENDINGS = ("token", "password", "secret", "apikey", "signature")
# Query parameters: also the short names some APIs give their keys (`?key=`, `?sig=`).
SECRET_PARAMS = SECRET_KEYS | {"key", "sig", "auth"}
# Response headers worth keeping: what the client and retry policy read.
# Set by the web transport on a body cut at the size cap; kept, so a replay says "too large" too.
TRUNCATED_HEADER = "x-paperharvest-truncated"
KEPT_HEADERS = (
    TRUNCATED_HEADER,
    "content-type",
    "retry-after",
    "ratelimit-policy",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "etag",
    "last-modified",
    "location",
)


def is_secret(name: str, *, param: bool = False) -> bool:
    """Whether a JSON key (or, with `param`, a query or form parameter) named `name` holds a secret."""
    folded = name.lower().replace("_", "").replace("-", "")
    return folded in (SECRET_PARAMS if param else SECRET_KEYS) or folded.endswith(SECRET_ENDINGS)


def redact(value: Any, *, login: bool = False) -> Any:
    """A copy of a JSON value with every secret (and, for a login, the user name) replaced."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            secret = is_secret(key) or (login and key == "id")
            out[key] = REDACTED if secret and item is not None else redact(item, login=login)
        return out
    if isinstance(value, list):
        return [redact(item, login=login) for item in value]
    return value


def blank(value: Any) -> Any:
    """A copy of a JSON value with its shape and nothing else: every string and number is replaced.

    For the login exchange, which holds nothing but identity: the login name and password asked with, the
    token, the account id, its e-mails and names answered."""
    if isinstance(value, dict):
        return {key: blank(item) for key, item in value.items()}
    if isinstance(value, list):
        return [blank(item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    return REDACTED


def redact_query(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, REDACTED if is_secret(name, param=True) and value else value) for name, value in pairs]


def safe_url(url: str) -> str:
    """`url` fit to print or store: no user:password@, no secret query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        # Third-party redirect targets may not parse (`http://[::1/x`): keep them, but with no query or userinfo.
        return re.sub(r"//[^/@]*@", "//", url.partition("?")[0])
    host = parts.netloc.rpartition("@")[2]
    query = parse_qsl(parts.query, keep_blank_values=True)
    cleaned = urlencode(redact_query(query), safe="/:,~") if query else parts.query
    return urlunsplit((parts.scheme, host, parts.path, cleaned, ""))


def _is_login(path: str) -> bool:
    return path.rstrip("/").endswith("/login")


def _looks_like_form(text: str) -> bool:
    return "=" in text and not any(c in text for c in " \n{[<")


def _canonical_body(body: bytes | str | None, path: str) -> str | None:
    if body is None or body == b"" or body == "":
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        if _is_login(path):
            return REDACTED
        if _looks_like_form(text):
            return urlencode(redact_query(parse_qsl(text, keep_blank_values=True)))
        return text
    cleaned = blank(parsed) if _is_login(path) else redact(parsed)
    return json.dumps(cleaned, sort_keys=True, ensure_ascii=False)


Failure = Literal["timeout", "connect", "blocked"]


@dataclass(frozen=True)
class Answer:
    """What a request got: a response, or (`failure` set, status 0) the reason there was none."""

    status: int
    reason: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""
    failure: Failure | None = None


def _where(url: str, services: Mapping[str, str]) -> tuple[str, str]:
    for name, base in services.items():
        base = base.rstrip("/")
        if url == base or url.startswith(base + "/") or url.startswith(base + "?"):
            return name, urlsplit(url).path[len(urlsplit(base).path) :]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}", parts.path


def request_key(method: str, url: str, body: bytes | str | None, services: Mapping[str, str] | None = None) -> str:
    where, path = _where(url, services or {})
    query = sorted(redact_query(parse_qsl(urlsplit(url).query, keep_blank_values=True)))
    return json.dumps([method.upper(), where, path, query, _canonical_body(body, path)], ensure_ascii=False)


def _encode_body(content: bytes, path: str, content_type: str) -> dict[str, str]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(content).decode("ascii")}
    if "json" in content_type or _is_login(path):
        try:
            parsed = json.loads(text)
        except ValueError:
            # A login answer that is not JSON (a challenge page) names nobody; any other body is data.
            return {"body": text}
        cleaned = blank(parsed) if _is_login(path) else redact(parsed)
        # Re-serialise only when a secret was removed, so ordinary bodies replay byte for byte.
        if cleaned != parsed:
            text = json.dumps(cleaned, ensure_ascii=False)
    return {"body": text}


def now_utc() -> datetime:
    return datetime.now(UTC)


class Recorder:
    """Writes each exchange as it happens (thread-safe); `finish()` closes the manifest."""

    def __init__(self, folder: Path, started_at: datetime, services: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        self.started_at = started_at
        self.services = dict(services or {})
        self.count = 0
        self._lock = threading.Lock()
        exchanges = folder / "exchanges"
        if exchanges.exists() and any(exchanges.iterdir()):
            raise ConfigError(f"--record folder {folder} already holds a recording; choose an empty folder")
        exchanges.mkdir(parents=True, exist_ok=True)
        self._write_manifest(finished_at=None)

    def _write_manifest(self, finished_at: datetime | None) -> None:
        manifest = {
            "format": FORMAT,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished_at.isoformat() if finished_at else None,
            "exchanges": self.count,
        }
        _atomic_write(self.folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")

    def save(self, method: str, url: str, body: bytes | str | None, answer: Answer, at: datetime) -> None:
        key = json.loads(request_key(method, url, body, self.services))
        content_type = next((v for k, v in answer.headers.items() if k.lower() == "content-type"), "")
        recorded: dict[str, Any] = {
            "status": answer.status,
            "reason": answer.reason,
            "headers": {
                k.lower(): safe_url(v) if k.lower() == "location" else v
                for k, v in answer.headers.items()
                if k.lower() in KEPT_HEADERS
            },
            **_encode_body(answer.content, urlsplit(url).path, content_type),
        }
        if answer.failure:
            recorded["failure"] = answer.failure
        text = json.dumps(
            {"recorded_at": at.isoformat(), "key": key, "response": recorded}, ensure_ascii=False, indent=1
        )
        with self._lock:
            self.count += 1
            _atomic_write(self.folder / "exchanges" / f"{self.count:06d}.json", text + "\n")

    def finish(self, at: datetime) -> None:
        with self._lock:
            self._write_manifest(finished_at=at)


class Replayer:
    """Serves recorded answers, in recorded order for each distinct request (thread-safe)."""

    def __init__(self, folder: Path, services: Mapping[str, str] | None = None) -> None:
        manifest_path = folder / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            files = sorted((folder / "exchanges").glob("*.json"))
            exchanges = [json.loads(f.read_text(encoding="utf-8")) for f in files]
        except OSError as exc:
            raise ConfigError(f"--replay folder {folder} is not a recording: {exc.strerror}") from None
        except ValueError as exc:
            raise ConfigError(f"--replay folder {folder} holds a malformed file: {exc}") from None
        if manifest.get("format") != FORMAT:
            raise ConfigError(f"--replay folder {folder}: unknown recording format {manifest.get('format')!r}")
        self.services = dict(services or {})
        self.started_at = datetime.fromisoformat(manifest["started_at"])
        finished = manifest.get("finished_at")
        self.finished_at = datetime.fromisoformat(finished) if finished else None
        self._queues: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        # The services the recorded run talked to (key[1]: a service name, or scheme://host for other URLs).
        self.services_seen = frozenset(str(exchange["key"][1]) for exchange in exchanges)
        for exchange in exchanges:
            self._queues[json.dumps(exchange["key"], ensure_ascii=False)].append(exchange)
        self._last_at = self.started_at
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Replay's clock: the time the last served answer was recorded."""
        return self._last_at

    def answer(self, method: str, url: str, body: bytes | str | None) -> Answer:
        key = request_key(method, url, body, self.services)
        with self._lock:
            queue = self._queues.get(key)
            if not queue:
                parts = urlsplit(safe_url(url))
                raise ReplayMissing(
                    f"the recording has no (further) answer for {method} {parts.path}?{parts.query}; replay "
                    "with the venue and options (such as --page-size) the recording was made with"
                )
            exchange = queue.popleft()
            self._last_at = datetime.fromisoformat(exchange["recorded_at"])
        recorded = exchange["response"]
        if "body_base64" in recorded:
            content = base64.b64decode(recorded["body_base64"])
        else:
            content = recorded.get("body", "").encode("utf-8")
        return Answer(
            status=recorded["status"],
            reason=recorded.get("reason") or "",
            headers=dict(recorded.get("headers", {})),
            content=content,
            failure=recorded.get("failure"),
        )


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
