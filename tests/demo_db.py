"""The demo database, as `make demo` builds it: the bundled ICLR 2020 sample replayed through
`paperharvest fetch --replay` (no network). Built once per test session; tests that change it take a copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperharvest.cli import main
from tests.conftest import REPO
from tests.helpers import copy_db

SAMPLE = REPO / "data" / "sample" / "iclr2020"
_BUILT: dict[Path, Path] = {}


def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared demo database: read it, never write it."""
    base = tmp_path_factory.getbasetemp()
    if base not in _BUILT:
        db = tmp_path_factory.mktemp("demo") / "demo.db"
        assert main(["fetch", "--venue", "iclr2020", "--replay", str(SAMPLE), "--db", str(db), "--quiet"]) == 0
        _BUILT[base] = db
    return _BUILT[base]


def demo_copy(tmp_path_factory: pytest.TempPathFactory, target: Path) -> Path:
    """A copy of the demo database a test may change."""
    return copy_db(demo_db(tmp_path_factory), target)
