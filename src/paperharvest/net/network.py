"""A requests transport adapter that applies the retry policy, timeouts, the deadline and record/replay."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.exceptions import ChunkedEncodingError, ContentDecodingError
from requests.structures import CaseInsensitiveDict
from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_result
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from paperharvest.errors import UpstreamUnavailable
from paperharvest.net.policy import Deadline, RetryPolicy
from paperharvest.net.recording import Answer, Recorder, Replayer, now_utc
from paperharvest.net.web import WebTransport, check_redirect_target

log = logging.getLogger(__name__)

# A connection dropped mid-body (ChunkedEncodingError) is as passing as one refused: worth another try.
_TRANSIENT = (requests.ConnectionError, requests.Timeout, ChunkedEncodingError)
_CHUNK = 64 * 1024


class UnfinishedAnswer(requests.ReadTimeout):
    """The headers came but the body did not, in time."""


class _AnswerTooSlow(BaseException):
    """Raised by the watchdog alarm inside whatever read is blocking. A BaseException, so neither urllib3 nor
    http.client turns it into a retry of their own; urllib3 then throws the half-used connection away."""


@contextlib.contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """An alarm for the whole answer. The per-read socket timeout restarts with every byte, so headers sent a
    byte at a time would never hit it; SIGALRM interrupts the blocked read wherever it is. Signals reach only
    the main thread, and an alarm someone else set is left alone: there the body's own limit must do."""
    if threading.current_thread() is not threading.main_thread() or signal.getitimer(signal.ITIMER_REAL)[0]:
        yield
        return

    def fire(signum: int, frame: FrameType | None) -> None:
        raise _AnswerTooSlow

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _GiveUp(Exception):
    """The server asked us to wait longer than we are willing to."""


@dataclass
class Moment:
    """When the last answer of a run arrived (live) or was recorded (replay)."""

    last: datetime | None = None


class HarvestAdapter(BaseAdapter):
    """Every request through it gets a timeout, retries with backoff, the run deadline and recording.

    Mounting it on a library's own `requests.Session` (openreview-py's) replaces that library's
    transport: its urllib3 retries (which print to stdout and sleep for hours) never run.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        deadline: Deadline,
        *,
        replayer: Replayer | None = None,
        recorder: Recorder | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = now_utc,
        counts: Counter[str] | None = None,
        moment: Moment | None = None,
    ) -> None:
        """Adapters of one run share `counts` (requests per endpoint) and `moment` (the last answer's time)."""
        super().__init__()
        self.policy = policy
        self.deadline = deadline
        self.replayer = replayer
        self.recorder = recorder
        self.sleep = sleep
        self.clock = clock
        self.counts: Counter[str] = counts if counts is not None else Counter()
        self.moment = moment or Moment()
        self._wire = HTTPAdapter(max_retries=0, pool_maxsize=8)

    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        method, url = request.method or "GET", request.url or ""
        path = urlsplit(url).path
        self.counts[f"{method} {path}"] += 1
        if self.replayer is not None:
            answer = self.replayer.answer(method, url, request.body)
            self.moment.last = self.replayer.now()
            if answer.failure:
                raise _replayed_failure(answer)
            return _response(request, answer)
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise UpstreamUnavailable(f"run deadline of {self.deadline.seconds:.0f} s reached before {method} {path}")
        # One limit for the whole answer: the socket timeout alone is per read, which a dripping body never hits.
        limit = min(self.policy.timeout, remaining)
        ends_at = time.monotonic() + limit
        try:
            try:
                # A little grace, so the body's own limit, which knows what it was reading, usually speaks first.
                with _watchdog(limit + 0.25):
                    response = self._wire.send(request, **{**kwargs, "stream": True}, timeout=limit)
                    response._content = _read_body(response, ends_at, limit)
            except _AnswerTooSlow:
                raise UnfinishedAnswer(f"the answer did not finish within {limit:g} s") from None
        except requests.Timeout as exc:
            self._record(request, Answer(0, type(exc).__name__, failure="timeout"))
            if limit < self.policy.timeout:
                raise UpstreamUnavailable(
                    f"{method} {path}: the run deadline of {self.deadline.seconds:.0f} s ran out before the answer "
                    "was complete"
                ) from None
            raise
        except (requests.ConnectionError, ChunkedEncodingError) as exc:
            self._record(request, Answer(0, type(exc).__name__, failure="connect"))
            raise
        self._record(request, Answer(response.status_code, response.reason or "", response.headers, response.content))
        return response

    def _record(self, request: requests.PreparedRequest, answer: Answer) -> None:
        self.moment.last = self.clock()
        if self.recorder is not None:
            self.recorder.save(request.method or "GET", request.url or "", request.body, answer, self.moment.last)

    def _wait(self, state: RetryCallState) -> float:
        if self._stop(state):
            # tenacity asks for the wait before it asks whether to stop: no attempt follows this one.
            return 0.0
        outcome = state.outcome
        headers: Mapping[str, str] | None = None
        if outcome is not None and not outcome.failed:
            headers = outcome.result().headers
        wait = self.policy.wait_for(state.attempt_number, headers)
        if wait > self.policy.max_retry_after:
            raise _GiveUp(
                f"the server asks to wait {wait:.0f} s, more than the {self.policy.max_retry_after:.0f} s "
                "allowed (PAPERHARVEST_MAX_RETRY_AFTER)"
            )
        if self.replayer is None and wait >= self.deadline.remaining():
            raise _GiveUp(f"waiting {wait:.0f} s more would pass the run deadline")
        return wait if self.replayer is None else 0.0

    def _stop(self, state: RetryCallState) -> bool:
        return state.attempt_number > self.policy.max_retries

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        # Called by tenacity only once it has decided to sleep and try again, so the attempt is real.
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info("retrying in %.1f s (attempt %d)", wait, state.attempt_number + 1)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        method = request.method or "GET"
        path = urlsplit(request.url or "").path
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(_TRANSIENT)
            | retry_if_result(lambda r: r.status_code in self.policy.statuses),
            before_sleep=self._log_retry,
            sleep=self.sleep,
            reraise=True,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        try:
            response: requests.Response = retrying(
                self._send_once, request, stream=stream, verify=verify, cert=cert, proxies=proxies
            )
        except _GiveUp as exc:
            raise UpstreamUnavailable(f"{method} {path}: {exc}") from None
        except requests.ConnectTimeout:
            raise UpstreamUnavailable(
                f"{method} {path}: cannot connect within {self.policy.timeout:g} s ({_attempts(retrying)})"
            ) from None
        except requests.Timeout as exc:
            what = "the answer did not finish" if isinstance(exc, UnfinishedAnswer) else "no answer"
            raise UpstreamUnavailable(
                f"{method} {path}: {what} within {self.policy.timeout:g} s ({_attempts(retrying)})"
            ) from None
        except ChunkedEncodingError:
            raise UpstreamUnavailable(
                f"{method} {path}: the connection dropped in the middle of the answer ({_attempts(retrying)})"
            ) from None
        except requests.ConnectionError as exc:
            raise UpstreamUnavailable(
                f"{method} {path}: cannot connect ({type(exc).__name__}, {_attempts(retrying)})"
            ) from None
        if response.status_code in self.policy.statuses:
            raise UpstreamUnavailable(f"{method} {path}: HTTP {response.status_code} after {_attempts(retrying)}")
        return response

    def close(self) -> None:
        self._wire.close()


def _replayed_failure(answer: Answer) -> requests.RequestException:
    """The exception a recorded failure stands for: its reason is the live exception's class name."""
    if answer.failure == "timeout":
        return (
            UnfinishedAnswer(answer.reason)
            if answer.reason == UnfinishedAnswer.__name__
            else requests.Timeout(answer.reason)
        )
    if answer.reason == ChunkedEncodingError.__name__:
        return ChunkedEncodingError(answer.reason)
    return requests.ConnectionError(answer.reason)


def _attempts(retrying: Retrying) -> str:
    count = int(retrying.statistics.get("attempt_number", 1))
    return f"{count} attempt{'s' if count != 1 else ''}"


def _read_body(response: requests.Response, ends_at: float, limit: float) -> bytes:
    """The whole body, or requests' own exception if it is not all there by `ends_at` (monotonic time).

    Each read waits at most for the time left, and takes what has arrived (`read1`), so neither a stall nor
    a body dripped a byte at a time outlives the limit.
    """
    raw = response.raw
    body = bytearray()
    late = UnfinishedAnswer(f"the answer did not finish within {limit:g} s")
    try:
        while (left := ends_at - time.monotonic()) > 0:
            connection = raw.connection
            if connection is not None and connection.sock is not None:
                connection.sock.settimeout(left)
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return bytes(body)
            body += chunk
        error: requests.RequestException = late
    except ReadTimeoutError:
        error = late
    except ProtocolError as exc:
        error = ChunkedEncodingError(f"the connection dropped mid-answer: {exc}")
    except DecodeError as exc:
        error = ContentDecodingError(str(exc))
    response.close()
    raise error


def _response(request: requests.PreparedRequest, answer: Answer) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    response.reason = answer.reason
    response.headers = CaseInsensitiveDict(answer.headers)
    response._content = answer.content
    response.encoding = "utf-8"
    response.url = request.url or ""
    response.request = request
    return response


class Network:
    """One run's network: live, recording to a folder, or replaying one."""

    def __init__(
        self,
        policy: RetryPolicy,
        deadline_seconds: float,
        *,
        services: Mapping[str, str] | None = None,
        record_dir: Path | None = None,
        replay_dir: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`services` names the API base URLs, so recordings replay under other base URLs."""
        self.replayer = Replayer(replay_dir, services) if replay_dir else None
        self.started_at = self.replayer.started_at if self.replayer else now_utc()
        self.recorder = Recorder(record_dir, self.started_at, services) if record_dir else None
        self.deadline = Deadline(deadline_seconds)
        self.sleep = sleep
        self.moment = Moment()
        self.adapter = self._adapter(policy)

    def _adapter(self, policy: RetryPolicy) -> HarvestAdapter:
        return HarvestAdapter(
            policy,
            self.deadline,
            replayer=self.replayer,
            recorder=self.recorder,
            sleep=self.sleep,
            counts=self.adapter.counts if hasattr(self, "adapter") else None,
            moment=self.moment,
        )

    @property
    def offline(self) -> bool:
        return self.replayer is not None

    def now(self) -> datetime:
        """The run's clock. On replay it is the recording's, so a replay writes the same timestamps."""
        if self.replayer is not None:
            return self.replayer.now()
        return self.moment.last or now_utc()

    def mount(self, session: requests.Session) -> requests.Session:
        session.mount("http://", self.adapter)
        session.mount("https://", self.adapter)
        return session

    def replays(self, service: str) -> bool:
        """Whether this is a replay whose recording holds exchanges with `service` (a `services` name)."""
        return self.replayer is not None and service in self.replayer.services_seen

    def session(self, *, min_backoff: float = 0.0, retry_statuses: frozenset[int] | None = None) -> requests.Session:
        """A requests session on this run's network. `min_backoff` raises the first retry wait for services
        whose terms ask for a minimum gap between requests (arXiv: 3 s), so retries keep to them too.
        `retry_statuses` replaces the statuses retried, for services whose 429 means "not before the hour
        is out" (GitHub's rate limit), which the caller handles instead of waiting."""
        policy = self.adapter.policy
        changes: dict[str, Any] = {}
        if min_backoff > policy.backoff_base:
            changes["backoff_base"] = min_backoff
        if retry_statuses is not None and retry_statuses != policy.statuses:
            changes["statuses"] = retry_statuses
        adapter = self._adapter(replace(policy, **changes)) if changes else self.adapter
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def finish(self) -> datetime:
        if self.replayer is not None:
            return self.replayer.finished_at or self.replayer.now()
        ended = now_utc()
        if self.recorder is not None:
            self.recorder.finish(ended)
        return ended

    @property
    def request_counts(self) -> dict[str, int]:
        return dict(self.adapter.counts)

    def web_client(
        self,
        *,
        allow_private: bool,
        max_bytes: int,
        body_types: tuple[str, ...],
        timeout: float,
        page_seconds: float,
        user_agent: str,
        exempt: frozenset[str] = frozenset(),
    ) -> httpx.Client:
        """An httpx client for third-party pages: guarded addresses, capped bodies and page times, the run
        deadline, no automatic redirects (the caller checks every hop), recorded and replayed with the rest
        of the run."""
        transport = WebTransport(
            allow_private=allow_private,
            max_bytes=max_bytes,
            body_types=body_types,
            page_seconds=page_seconds,
            recorder=self.recorder,
            replayer=self.replayer,
            counts=self.adapter.counts,
            exempt=exempt,
            deadline=self.deadline,
        )
        return httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            event_hooks={"response": [check_redirect_target]},
            headers={
                "User-Agent": user_agent,
                "Accept": "text/html,application/xhtml+xml",
                "Accept-Encoding": "identity",
            },
        )
