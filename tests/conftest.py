"""Shared test fixtures. Every test runs with the network fenced to loopback and no OpenReview env vars."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.iclr2020_venue import shared_data_dir

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FIXTURE = REPO / "tests" / "fixtures" / "iclr2020_sample"
ENV_PREFIXES = ("OPENREVIEW_", "PAPERHARVEST_")


def _loopback_only(address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in ("localhost",):
        return
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise AssertionError(f"test tried to connect to a host name {host!r}: tests may only dial loopback") from None
    if not ip.is_loopback:
        raise AssertionError(f"test tried to connect to {host}: tests may only dial loopback")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that dials anything but 127.0.0.1 / ::1, before a packet leaves."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _loopback_only(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _loopback_only(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own credentials or settings."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES) and name != "PAPERHARVEST_SHARED_DATA":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data not found: these tests read the real ICLR 2020 payloads that CI provides")
    return path


@pytest.fixture(scope="session")
def full_venue(shared_data: Path) -> dict[str, list[dict[str, Any]]]:
    from tests.fakes.iclr2020_venue import build_iclr2020_venue

    return build_iclr2020_venue(shared_data)


@pytest.fixture()
def fake_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point paperharvest at a fake server: call with the server's URL."""

    def point(url: str, **extra: str) -> None:
        monkeypatch.setenv("OPENREVIEW_API_BASEURL", url)
        monkeypatch.setenv("OPENREVIEW_API_BASEURL_V2", url)
        monkeypatch.setenv("PAPERHARVEST_BACKOFF", "0.01")
        for key, value in extra.items():
            monkeypatch.setenv(key, value)

    yield point
