"""The one reader of API answers: status -> error kind, challenge and HTML sniffing, JSON and XML text.

Every API source (OpenReview, arXiv, the code-link APIs, GitHub, Semantic Scholar) reads its answers here,
so a given answer means the same thing whoever asked:
- 2xx, and the statuses a caller reads itself (`passing`: a 404 that means "not indexed", arXiv's 400
  error feed), go on to the body checks; the body must still be of the expected kind, so a web server's
  HTML 404 under a wrong base URL is never read as the API's "not found";
- a browser challenge (OpenReview's "Verifying your browser" page or ChallengeRequiredError), 401 and 403
  are refusals: an `AuthError` for services that take credentials, saying what to set when none were set;
- 408, 429 and 5xx are `UpstreamUnavailable`: the server is there but not answering now;
- any other status, or a body that is not what was asked for, is `UpstreamDataError`.
Every error names the service, what was asked, the status, the start of the page and the URL without its
secrets. What is really a source's own (GitHub's rate-limit headers, arXiv's empty feeds) stays there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import requests

from paperharvest.errors import AuthError, UpstreamDataError, UpstreamUnavailable
from paperharvest.net.recording import safe_url

__all__ = ["Service", "read_json", "read_text"]

# Refusals, and the statuses that say "not now" rather than "not like this".
REFUSED_STATUSES = frozenset({401, 403})
UNAVAILABLE_STATUSES = frozenset({408, 429})
# The bot checks seen in front of APIs: OpenReview's own, and Cloudflare's interstitials.
_CHALLENGE_MARKS = ("Verifying your browser", "ChallengeRequiredError", "challenge-platform", "cf-chl-")
_URL_CHARS = 200
_PEEK_CHARS = 60


@dataclass(frozen=True)
class Service:
    """Who answered, as errors name it.

    `setting` names the base-URL setting, suggested when a page looks like a wrong base URL.
    `credentials` names what the user sets to be let in (None: the service takes none, and a 401 or 403 is
    just another refused request); `login_hint` says how, for the case where none were set; `logged_in` says
    whether they were.
    """

    name: str
    setting: str = ""
    credentials: str | None = None
    login_hint: str = ""
    logged_in: bool = False


def _is_unavailable(status: int) -> bool:
    return status in UNAVAILABLE_STATUSES or status >= 500


def _looks_like_challenge(text: str) -> bool:
    return any(mark in text for mark in _CHALLENGE_MARKS)


def _looks_like_html(content_type: str, text: str) -> bool:
    head = text.lstrip()[:20].lower()
    return "html" in content_type.lower() or head.startswith(("<!doctype html", "<html"))


def _where(response: requests.Response) -> str:
    method = response.request.method if response.request is not None else "GET"
    url = safe_url(response.url or "")
    if len(url) > _URL_CHARS:
        url = url[: _URL_CHARS - 1] + "…"
    return f"{method} {url}"


def _not_json(word: str) -> Any:
    """NaN and Infinity: Python's json reads them, JSON has no such words, and no number could stand in
    for them in a stored note (orjson would write null)."""
    raise ValueError(f"{word} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large for a number")
    return number


def _peek(text: str) -> str:
    return repr(text.strip()[:_PEEK_CHARS]) if text.strip() else "(empty)"


def _error_detail(text: str) -> str:
    """What an error body says: the `name`/`error` and `message` of a JSON error, else the page's start."""
    if not text.strip():
        return ""
    try:
        body = json.loads(text)
    except ValueError:
        return _peek(text)
    if isinstance(body, dict):
        said = [body.get(k) for k in ("name", "error", "message", "detail")]
        words = [w for w in said if isinstance(w, str) and w]
        if words:
            return ": ".join(dict.fromkeys(words))
    return _peek(text)


class _Reading:
    """One answer being read, with what every error about it must say."""

    def __init__(self, response: requests.Response, service: Service, what: str) -> None:
        self.response = response
        self.service = service
        self.what = what
        self.status = response.status_code
        self.content_type = response.headers.get("content-type", "")
        try:
            # API bodies are UTF-8 (JSON by its RFC, arXiv's Atom by its declaration); requests would guess.
            self.text = response.content.decode("utf-8")
        except UnicodeDecodeError:
            raise self.data_error(f"HTTP {self.status} that is not UTF-8") from None
        self.html = _looks_like_html(self.content_type, self.text)

    def message(self, problem: str) -> str:
        return f"{self.service.name} answered {self.what} with {problem} [{_where(self.response)}]"

    def data_error(self, problem: str) -> UpstreamDataError:
        return UpstreamDataError(self.message(problem))

    def check_status(self, passing: frozenset[int]) -> None:
        status, service = self.status, self.service
        # Only an HTML page or an error can be a challenge: a 2xx API body is not scanned for one.
        challenged = (self.html or status >= 400) and _looks_like_challenge(self.text)
        if service.credentials is not None and (challenged or status in REFUSED_STATUSES):
            raise AuthError(self._refusal(self._detail(), challenged))
        if 200 <= status < 300 or status in passing:
            return
        detail = self._detail()
        if _is_unavailable(status):
            raise UpstreamUnavailable(self.message(detail))
        hint = f"; check {service.setting}" if service.setting and status == 404 else ""
        raise self.data_error(detail + hint)

    def _detail(self) -> str:
        # Parses the body as a JSON error: only for answers that are refused or failed, never for every 2xx.
        return f"HTTP {self.status} {_error_detail(self.text)}".strip()

    def _refusal(self, detail: str, challenged: bool) -> str:
        service = self.service
        said = self.message("a browser challenge page" if challenged and self.html else detail)
        if not service.logged_in:
            return f"{said}: it refuses anonymous requests; {service.login_hint or 'set ' + str(service.credentials)}"
        if challenged:
            return (
                f"{said}: it challenged a logged-in session, whose credentials it accepted, so this is its bot "
                "check and not a login problem; try again later, and sign in once in a browser if it persists"
            )
        return f"{said}; check {service.credentials}"

    def wrong_kind(self, wanted: str) -> UpstreamDataError:
        got = "an HTML page" if self.html else (self.content_type or "no content type")
        status = "" if self.status == 200 else f"HTTP {self.status} and "
        hint = f"; check {self.service.setting}" if self.service.setting and self.status >= 300 else ""
        return self.data_error(f"{status}{got}, not {wanted}, starting {_peek(self.text)}{hint}")


def read_json(
    response: requests.Response,
    service: Service,
    what: str,
    *,
    expect: Literal["object", "list"] = "object",
    passing: frozenset[int] = frozenset(),
) -> Any:
    """The JSON value of an answer (a dict, or a list with `expect="list"`), or the error a user can act on.

    `what` completes "<service> answered ...". Statuses in `passing` return their JSON body like a 2xx;
    the caller checks `response.status_code`.
    """
    reading = _Reading(response, service, what)
    reading.check_status(passing)
    if "json" not in reading.content_type.lower() or reading.text.lstrip()[:1] == "<":
        raise reading.wrong_kind("JSON")
    try:
        data = json.loads(reading.text, parse_constant=_not_json, parse_float=_finite)
    except ValueError as exc:
        raise reading.data_error(f"malformed JSON ({exc})") from None
    wanted = dict if expect == "object" else list
    if not isinstance(data, wanted):
        raise reading.data_error(f"JSON that is not {'an object' if expect == 'object' else 'a list'}")
    return data


def read_text(
    response: requests.Response, service: Service, what: str, *, kind: str, passing: frozenset[int] = frozenset()
) -> str:
    """The text of an answer that must be markup other than HTML (`kind` names it: "an Atom feed")."""
    reading = _Reading(response, service, what)
    reading.check_status(passing)
    if reading.html:
        raise reading.wrong_kind(kind)
    return reading.text
