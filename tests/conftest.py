"""Shared test fixtures. Every test runs with the network fenced to loopback and no OpenReview env vars."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.iclr2020_venue import shared_data_dir
from tests.fakes.loopback import loopback_only

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FIXTURE = REPO / "tests" / "fixtures" / "iclr2020_sample"
ENV_PREFIXES = ("OPENREVIEW_", "PAPERHARVEST_")
# Secrets paperharvest reads under their ecosystem names: a developer's own must not switch features on.
SECRET_ENV = ("GITHUB_TOKEN", "S2_API_KEY")


@pytest.fixture(autouse=True)
def loopback_only_fence() -> Iterator[None]:
    """Fail any test that dials anything but 127.0.0.1 / ::1, before a packet leaves."""
    with loopback_only():
        yield


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own credentials or settings."""
    for name in list(os.environ):
        if (name.startswith(ENV_PREFIXES) and name != "PAPERHARVEST_SHARED_DATA") or name in SECRET_ENV:
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
