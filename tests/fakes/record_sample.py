"""Re-record the bundled demo sample: serve the hand-written fixture venue from the fake OpenReview
server on 127.0.0.1 and run `paperharvest fetch --record` against it, logged in, so the recording
also shows that credentials never reach it.

    python -m tests.fakes.record_sample data/sample/iclr2020
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from paperharvest.cli import main as paperharvest
from tests.fakes.openreview_v1 import TEST_PASSWORD, TEST_USER, FakeOpenReview

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "iclr2020_sample" / "notes.json"


def load_sample_venue() -> dict[str, list[dict[str, Any]]]:
    venue: dict[str, list[dict[str, Any]]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return venue


def record(folder: Path) -> int:
    if folder.exists():
        shutil.rmtree(folder)
    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            {
                "OPENREVIEW_API_BASEURL": fake.url,
                "OPENREVIEW_API_BASEURL_V2": fake.url,
                "OPENREVIEW_USERNAME": TEST_USER,
                "OPENREVIEW_PASSWORD": TEST_PASSWORD,
            }
        )
        return paperharvest(
            [
                "fetch",
                "--venue",
                "iclr2020",
                "--db",
                str(Path(tmp) / "sample.db"),
                "--record",
                str(folder),
                "--quiet",
            ]
        )


if __name__ == "__main__":
    raise SystemExit(record(Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample/iclr2020")))
