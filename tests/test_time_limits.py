"""Time limits that hold and bodies that break: a timeout bounds the whole answer (not one read), the run
deadline is enforced while a body is read, and a connection dropped mid-body is retried like a 503.

Bounds on elapsed time are generous (seconds, against limits of one or two): they catch a hang, not jitter.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.errors import UpstreamUnavailable
from paperharvest.net import Network
from paperharvest.net.policy import RetryPolicy
from tests.fakes.openreview_v1 import FakeOpenReview, Fault, server_error
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import scalar

SAMPLE_PAPERS = sum(len(notes) for notes in load_sample_venue().values())
NOTES = "/notes"


def dripped(seconds: float = 0.2, *, times: int | None = None) -> Fault:
    """Headers at once, then the listing one byte every `seconds`: every read returns, none times out."""
    return Fault(drip_seconds=seconds, times=times)


def cut_off(*, times: int | None = None) -> Fault:
    """Headers and half of what Content-Length promises, then the connection closes."""
    return Fault(cut_body_after=200, times=times)


def network(timeout: float, deadline: float = 60, retries: int = 1) -> Network:
    return Network(RetryPolicy(max_retries=retries, backoff_base=0.01, timeout=timeout), deadline)


def get_notes(net: Network, fake: FakeOpenReview) -> Any:
    return net.session().get(fake.url + NOTES, params={"invitation": "ICLR.cc/2020/Conference/-/Blind_Submission"})


def test_a_dripped_body_times_out_within_the_timeout_and_is_retried() -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake.inject(dripped())
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailable, match=r"the answer did not finish within 1 s \(2 attempts\)"):
            get_notes(network(timeout=1), fake)
        elapsed = time.monotonic() - started
        assert fake.count("GET", NOTES) == 2
    # Two attempts of one second each; the old per-read timeout read the drip for minutes.
    assert elapsed < 4


def test_the_deadline_ends_a_dripped_body_and_names_itself() -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake.inject(dripped())
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailable, match="run deadline of 2 s"):
            get_notes(network(timeout=30, deadline=2, retries=5), fake)
        elapsed = time.monotonic() - started
    assert elapsed < 4


def test_a_body_cut_mid_way_is_retried_and_then_reported_honestly() -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake.inject(cut_off())
        with pytest.raises(UpstreamUnavailable, match="connection dropped in the middle of the answer") as caught:
            get_notes(network(timeout=2, retries=2), fake)
        assert fake.count("GET", NOTES) == 3
    assert "cannot connect" not in str(caught.value)


def test_a_body_cut_once_is_retried_and_the_second_answer_is_used() -> None:
    with FakeOpenReview(load_sample_venue()) as fake:
        fake.inject(cut_off(times=1))
        response = get_notes(network(timeout=2), fake)
        assert fake.count("GET", NOTES) == 2
    assert response.status_code == 200 and response.json()["notes"]


def test_retrying_is_logged_only_for_attempts_that_happen(caplog: pytest.LogCaptureFixture) -> None:
    with FakeOpenReview(load_sample_venue()) as fake, caplog.at_level(logging.INFO, "paperharvest.net.network"):
        fake.inject(server_error(503, times=None))
        with pytest.raises(UpstreamUnavailable, match="HTTP 503 after 3 attempts"):
            get_notes(network(timeout=2, retries=2), fake)
        assert fake.count("GET", NOTES) == 3
    attempts = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert [line.rsplit("(", 1)[1] for line in attempts] == ["attempt 2)", "attempt 3)"]


def fetch(db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet", *extra])


def test_a_harvest_against_a_dripping_listing_exits_4_within_its_timeout(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_MAX_RETRIES="1")
        fake.inject(dripped())
        started = time.monotonic()
        assert fetch(db, "--timeout", "1") == 4
        assert time.monotonic() - started < 6
    err = capsys.readouterr().err
    assert "did not finish within 1 s" in err and "cannot connect" not in err
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_a_harvest_against_a_dripping_listing_ends_at_its_deadline(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        fake.inject(dripped())
        started = time.monotonic()
        assert fetch(db, "--deadline", "2") == 4
        assert time.monotonic() - started < 6
    assert "run deadline of 2 s" in capsys.readouterr().err
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


def test_a_harvest_whose_listing_is_cut_once_completes(tmp_path: Path, fake_env: Any) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        fake.inject(cut_off(times=1))
        assert fetch(db) == 0
    assert scalar(db, "SELECT count(*) FROM papers") == SAMPLE_PAPERS


def test_a_cut_body_replays_as_a_cut_body(tmp_path: Path) -> None:
    tape = tmp_path / "tape"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake.inject(cut_off(times=1))
        recording = Network(RetryPolicy(max_retries=1, backoff_base=0.01), 60, record_dir=tape)
        live = get_notes(recording, fake).json()
        recording.finish()
        replaying = Network(RetryPolicy(max_retries=1, backoff_base=0.01), 60, replay_dir=tape)
        replayed = get_notes(replaying, fake).json()
        assert fake.count("GET", NOTES) == 2  # the replay asked nothing of the server
    assert replayed == live
    assert replaying.request_counts == recording.request_counts


class _HeaderDripper(threading.Thread):
    """A server that sends its status line, then its headers one byte every 0.1 s: every read returns."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()

    def run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for byte in b"X-Slow: " + b"a" * 200 + b"\r\n\r\n":
                    if self.stopped.wait(0.1):
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    def stop(self) -> None:
        self.stopped.set()
        self.join(5)
        self.sock.close()


def test_headers_dripped_a_byte_at_a_time_end_at_the_timeout() -> None:
    server = _HeaderDripper()
    server.start()
    try:
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailable, match=r"did not finish within 1 s \(2 attempts\)"):
            network(timeout=1).session().get(server.url + "/notes")
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    # Two attempts of about a second; a per-read timeout would have read the 20 s of headers twice.
    assert elapsed < 5
