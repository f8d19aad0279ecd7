"""When to retry and how long to wait: transport-agnostic, so every client shares one policy."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class Deadline:
    """A wall-clock budget for a whole run: retries and timeouts never run past it."""

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._end = monotonic() + seconds
        self.seconds = seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._monotonic())


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class RetryPolicy:
    """How a request is retried.

    Backoff doubles from `backoff_base` seconds (capped at `backoff_cap`). A server's Retry-After is
    honoured when it is at most `max_retry_after`; a longer one ends the run at once, since sleeping
    for an hour inside a cron job helps nobody. `timeout` bounds one whole answer, from connecting to the
    last byte of the body, not one socket read (which a body dripped a byte at a time never exceeds).
    """

    max_retries: int = 6
    backoff_base: float = 2.0
    backoff_cap: float = 60.0
    max_retry_after: float = 300.0
    timeout: float = 60.0
    statuses: frozenset[int] = field(default=RETRY_STATUSES)

    def backoff(self, attempt: int) -> float:
        """Wait before retry number `attempt` (1-based) when the server gave no Retry-After."""
        return min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))

    def wait_for(self, attempt: int, headers: Mapping[str, str] | None) -> float:
        retry_after = parse_retry_after((headers or {}).get("retry-after"))
        if retry_after is not None:
            return retry_after
        return self.backoff(attempt)
