"""The retry policy and the recording format, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from paperharvest.net.policy import Deadline, RetryPolicy, parse_retry_after
from paperharvest.net.recording import REDACTED, redact, request_key


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_up_to_the_cap_and_retry_after_wins() -> None:
    policy = RetryPolicy(backoff_base=2, backoff_cap=10)
    assert [policy.backoff(n) for n in range(1, 6)] == [2, 4, 8, 10, 10]
    assert policy.wait_for(1, {"retry-after": "7"}) == 7
    assert policy.wait_for(3, {}) == 8


def test_deadline_counts_down_on_its_clock() -> None:
    now = [100.0]
    deadline = Deadline(30, monotonic=lambda: now[0])
    assert deadline.remaining() == 30
    now[0] = 125.0
    assert deadline.remaining() == 5
    now[0] = 200.0
    assert deadline.remaining() == 0


def test_redaction_removes_secrets_at_any_depth_and_the_login_name() -> None:
    body = {"id": "me@example.org", "password": "p4ss", "nested": [{"token": "t0k", "keep": "x"}]}
    assert redact(body, login=True) == {
        "id": REDACTED,
        "password": REDACTED,
        "nested": [{"token": REDACTED, "keep": "x"}],
    }
    # Outside a login, an `id` is data (a note id), not a secret.
    assert redact({"id": "SkxQp1StwH"}) == {"id": "SkxQp1StwH"}


def test_request_key_names_the_service_not_its_host_and_ignores_query_order() -> None:
    live, fake = {"openreview": "https://api.openreview.net"}, {"openreview": "http://127.0.0.1:9/v1"}
    a = request_key("GET", "https://api.openreview.net/notes?limit=1000&invitation=X", None, live)
    b = request_key("get", "http://127.0.0.1:9/v1/notes?invitation=X&limit=1000", b"", fake)
    c = request_key("GET", "http://127.0.0.1:9/v1/notes?invitation=X&limit=10", None, fake)
    assert a == b != c
    # URLs outside the configured services (homepages) keep their host: two sites are two requests.
    home1 = request_key("GET", "https://alice.example.edu/", None, live)
    home2 = request_key("GET", "https://bob.example.edu/", None, live)
    assert home1 != home2
    login1 = request_key("POST", "http://h/login", b'{"id": "a@b.c", "password": "one"}')
    login2 = request_key("POST", "http://h/login", b'{"password": "two", "id": "d@e.f"}')
    assert login1 == login2 and "one" not in login1
