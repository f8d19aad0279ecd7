"""Record every HTTP exchange of a run to a folder, and replay a folder instead of the network.

A recording is `manifest.json` plus `exchanges/NNNNNN.json`, one file an exchange, in the order they
happened. Requests are matched on replay by method, path, query and JSON body, never by host, so a
recording made against any base URL replays under any other. Credentials and tokens are replaced by
"REDACTED" before anything touches the disk.
"""

from __future__ import annotations

import base64
import json
import os
from collections import defaultdict, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from paperharvest.errors import ConfigError, ReplayMissing

FORMAT = 1
REDACTED = "REDACTED"
SECRET_KEYS = frozenset({"password", "token", "accesstoken", "refreshtoken", "mfapendingtoken", "apikey"})
# Response headers worth keeping: what the client and retry policy read.
KEPT_HEADERS = (
    "content-type",
    "retry-after",
    "ratelimit-policy",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-reset",
    "etag",
    "last-modified",
    "location",
)


def redact(value: Any, *, login: bool = False) -> Any:
    """A copy of a JSON value with every secret (and, for a login, the user name) replaced."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            secret = key.lower() in SECRET_KEYS or (login and key == "id")
            out[key] = REDACTED if secret and item is not None else redact(item, login=login)
        return out
    if isinstance(value, list):
        return [redact(item, login=login) for item in value]
    return value


def _is_login(path: str) -> bool:
    return path.rstrip("/").endswith("/login")


def _canonical_body(body: bytes | str | None, path: str) -> str | None:
    if body is None or body == b"" or body == "":
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return json.dumps(redact(parsed, login=_is_login(path)), sort_keys=True, ensure_ascii=False)


def request_key(method: str, url: str, body: bytes | str | None) -> str:
    parts = urlsplit(url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return json.dumps([method.upper(), parts.path, query, _canonical_body(body, parts.path)], ensure_ascii=False)


def _encode_body(content: bytes, path: str, content_type: str) -> dict[str, str]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(content).decode("ascii")}
    if "json" in content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            return {"body": text}
        cleaned = redact(parsed, login=False)
        # Re-serialise only when a secret was removed, so ordinary bodies replay byte for byte.
        if cleaned != parsed:
            text = json.dumps(cleaned, ensure_ascii=False)
    return {"body": text}


def now_utc() -> datetime:
    return datetime.now(UTC)


class Recorder:
    """Writes each exchange as it happens; `finish()` closes the manifest."""

    def __init__(self, folder: Path, started_at: datetime) -> None:
        self.folder = folder
        self.started_at = started_at
        self.count = 0
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

    def save(self, request: requests.PreparedRequest, response: requests.Response, at: datetime) -> None:
        self.count += 1
        url = request.url or ""
        path = urlsplit(url).path
        content_type = response.headers.get("content-type", "")
        exchange = {
            "recorded_at": at.isoformat(),
            "key": json.loads(request_key(request.method or "GET", url, request.body)),
            "response": {
                "status": response.status_code,
                "reason": response.reason,
                "headers": {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
                **_encode_body(response.content, path, content_type),
            },
        }
        text = json.dumps(exchange, ensure_ascii=False, indent=1) + "\n"
        _atomic_write(self.folder / "exchanges" / f"{self.count:06d}.json", text)

    def finish(self, at: datetime) -> None:
        self._write_manifest(finished_at=at)


class Replayer:
    """Serves recorded responses, in recorded order for each distinct request."""

    def __init__(self, folder: Path) -> None:
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
        self.started_at = datetime.fromisoformat(manifest["started_at"])
        finished = manifest.get("finished_at")
        self.finished_at = datetime.fromisoformat(finished) if finished else None
        self._queues: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        for exchange in exchanges:
            self._queues[json.dumps(exchange["key"], ensure_ascii=False)].append(exchange)
        self._last_at = self.started_at

    def now(self) -> datetime:
        """Replay's clock: the time the last served answer was recorded."""
        return self._last_at

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        url = request.url or ""
        key = request_key(request.method or "GET", url, request.body)
        queue = self._queues.get(key)
        if not queue:
            parts = urlsplit(url)
            raise ReplayMissing(
                f"the recording has no (further) answer for {request.method} {parts.path}?{parts.query}; replay "
                "with the venue and options (such as --page-size) the recording was made with"
            )
        exchange = queue.popleft()
        self._last_at = datetime.fromisoformat(exchange["recorded_at"])
        recorded = exchange["response"]
        response = requests.Response()
        response.status_code = recorded["status"]
        response.reason = recorded.get("reason") or ""
        response.headers = CaseInsensitiveDict(recorded.get("headers", {}))
        if "body_base64" in recorded:
            response._content = base64.b64decode(recorded["body_base64"])
        else:
            response._content = recorded.get("body", "").encode("utf-8")
        response.encoding = "utf-8"
        response.url = url
        response.request = request
        return response


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
