"""A real harvest subprocess stopped mid-listing (SIGTERM, SIGINT, kill -9), and a reader polling the database
while a slow harvest writes: what cron, systemd, `timeout` and a notebook next to the harvester do."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.stages.preparing import spare_core
from tests.conftest import REPO
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import DATA_TABLES, rows, scalar, timeless_dump, wait_until

# The harvest runs as its own process, fenced to loopback like the tests.
FENCED_FETCH = (
    "import sys; from tests.fakes.loopback import loopback_only; from paperharvest.cli import main\n"
    "with loopback_only(): sys.exit(main(['fetch', *sys.argv[1:]]))"
)
PAGE_SIZE = 4
# The notes stage's tables; `venues` records when a venue was last harvested, which every run moves.
NOTE_TABLES = tuple(t for t in DATA_TABLES if t not in ("venues", "author_history", "author_links", "author_socials"))


@pytest.fixture(scope="module")
def sample() -> dict[str, list[dict[str, Any]]]:
    return load_sample_venue()


@pytest.fixture(scope="module")
def clean_run(sample: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database an uninterrupted harvest leaves."""
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    with FakeOpenReview(sample) as fake, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENREVIEW_API_BASEURL", fake.url)
        mp.setenv("OPENREVIEW_API_BASEURL_V2", fake.url)
        args = ["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--page-size", str(PAGE_SIZE)]
        assert main([*args, "--quiet"]) == 0
    return db


@contextlib.contextmanager
def harvest_process(url: str, db: Path, *, own_group: bool = False) -> Iterator[subprocess.Popen[str]]:
    """A harvest subprocess, killed on the way out if a failed assertion left it running; with `own_group`,
    in a process group of its own, as a shell runs a command (a Ctrl-C goes to the whole group)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENREVIEW_", "PAPERHARVEST_"))}
    env.update(OPENREVIEW_API_BASEURL=url, OPENREVIEW_API_BASEURL_V2=url, PAPERHARVEST_BACKOFF="0.01")
    args = ["--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--page-size", str(PAGE_SIZE), "--quiet"]
    with subprocess.Popen(
        [sys.executable, "-c", FENCED_FETCH, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=own_group,
    ) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def wait_for_pages(db: Path, proc: subprocess.Popen[str], pages: int, limit: float = 20.0) -> None:
    """Until the harvest has committed `pages` pages of papers (so the next signal lands mid-listing)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        if db.exists():
            try:
                if scalar(db, "SELECT count(*) FROM papers") >= pages * PAGE_SIZE:
                    return
            except Exception:  # the schema may not exist yet
                pass
        time.sleep(0.05)
    raise AssertionError("the harvest never stored its first pages")


def assert_whole_pages(db: Path, sample: dict[str, list[dict[str, Any]]]) -> None:
    """Every stored paper has exactly the reviews the fake served with it: no half-written page."""
    served = reviews_served(sample)
    stored = dict(
        rows(db, "SELECT p.forum_id, count(r.review_id) FROM papers p LEFT JOIN reviews r USING (forum_id) GROUP BY 1")
    )
    assert stored, "nothing was stored before the stop"
    assert {f: served[f] for f in stored} == stored


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_recorded_and_the_rerun_completes_it(
    tmp_path: Path, sample: dict[str, list[dict[str, Any]]], clean_run: Path, fake_env: Any, signum: int, code: int
) -> None:
    db = tmp_path / "x.db"
    with FakeOpenReview(sample, delay=0.3) as fake, harvest_process(fake.url, db) as proc:
        wait_for_pages(db, proc, 2)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == code
    assert f"stopped by {signal.Signals(signum).name}" in stderr
    assert "Traceback" not in stderr
    assert rows(db, "SELECT outcome FROM runs") == [("interrupted",)]
    assert_whole_pages(db, sample)
    assert scalar(db, "SELECT count(*) FROM papers") < sum(len(n) for n in sample.values())
    # The lock was released: the next run starts at once and finishes the listing.
    with FakeOpenReview(sample) as fake:
        fake_env(fake.url)
        args = ["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--page-size", str(PAGE_SIZE)]
        assert main([*args, "--quiet"]) == 0
    assert timeless_dump(db, NOTE_TABLES) == timeless_dump(clean_run, NOTE_TABLES)


def child_pids(pid: int) -> list[int]:
    return [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]


def exited(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited; only its parent's wait is missing (the parent was killed: init reaps it)


def gone(pid: int, limit: float = 10.0) -> bool:
    return wait_until(lambda: exited(pid), limit)


def test_a_ctrl_c_to_the_whole_group_stops_the_run_without_a_traceback_and_leaves_no_helper(
    tmp_path: Path, sample: dict[str, list[dict[str, Any]]]
) -> None:
    db = tmp_path / "x.db"
    with FakeOpenReview(sample, delay=0.3) as fake, harvest_process(fake.url, db, own_group=True) as proc:
        wait_for_pages(db, proc, 3)
        helpers = child_pids(proc.pid)
        assert helpers or not spare_core()
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    assert "stopped by SIGINT" in stderr
    assert all(gone(pid) for pid in helpers)
    assert rows(db, "SELECT outcome FROM runs") == [("interrupted",)]
    assert_whole_pages(db, sample)


@pytest.mark.skipif(not spare_core(), reason="one core: no helper process to get stuck")
def test_a_helper_that_stopped_answering_does_not_keep_a_signal_from_stopping_the_run(
    tmp_path: Path, sample: dict[str, list[dict[str, Any]]]
) -> None:
    db = tmp_path / "x.db"
    with FakeOpenReview(sample, delay=0.3) as fake, harvest_process(fake.url, db) as proc:
        wait_for_pages(db, proc, 3)
        (helper,) = child_pids(proc.pid)
        os.kill(helper, signal.SIGSTOP)  # alive, but answering nothing
        try:
            time.sleep(0.5)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(helper, signal.SIGKILL)
    assert proc.returncode == 143
    assert time.monotonic() - started < 15
    assert "Traceback" not in stderr
    assert rows(db, "SELECT outcome FROM runs") == [("interrupted",)]
    assert_whole_pages(db, sample)


def test_a_ctrl_c_while_the_command_is_still_loading_is_one_line_too(tmp_path: Path) -> None:
    """Loading takes about half a second; a Ctrl-C then used to end in Python's KeyboardInterrupt traceback."""
    with subprocess.Popen(
        [sys.executable, "-m", "paperharvest", "status", "--db", str(tmp_path / "x.db")],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        time.sleep(0.15)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    assert "Traceback" not in stderr
    # Before Python itself has started SIGINT ends it silently; from then on paperharvest says so.
    assert proc.returncode == -signal.SIGINT or (proc.returncode == 130 and "stopped by SIGINT" in stderr)


def test_kill_9_leaves_a_run_the_next_run_marks_interrupted(
    tmp_path: Path, sample: dict[str, list[dict[str, Any]]], clean_run: Path, fake_env: Any
) -> None:
    db = tmp_path / "x.db"
    with FakeOpenReview(sample, delay=0.3) as fake, harvest_process(fake.url, db) as proc:
        wait_for_pages(db, proc, 2)
        helpers = child_pids(proc.pid)
        assert helpers or not spare_core()
        proc.kill()
        proc.communicate(timeout=20)
    # The helper preparing pages (on a machine with a second core) ends with it: its stdin closed.
    assert all(gone(pid) for pid in helpers)
    assert rows(db, "SELECT outcome FROM runs") == [("running",)]
    assert_whole_pages(db, sample)
    with FakeOpenReview(sample) as fake:
        fake_env(fake.url)
        args = ["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--page-size", str(PAGE_SIZE)]
        assert main([*args, "--quiet"]) == 0
    outcomes = rows(db, "SELECT outcome, ended_at IS NOT NULL FROM runs ORDER BY run_id")
    assert outcomes == [("interrupted", 0), ("ok", 1)]  # nobody knows when the killed run died
    assert timeless_dump(db, NOTE_TABLES) == timeless_dump(clean_run, NOTE_TABLES)


READER = """
import json, sqlite3, sys, time
db, seconds, served = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
seen, errors, partial = 0, [], []
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        conn = sqlite3.connect(db, timeout=5)
        with conn:  # one read transaction: the snapshot a notebook would see
            for forum, n in conn.execute(
                "SELECT p.forum_id, count(r.review_id) FROM papers p LEFT JOIN reviews r USING (forum_id) GROUP BY 1"
            ):
                seen = max(seen, 1)
                if served[forum] != n:
                    partial.append(forum)
        conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            errors.append(str(exc))
    time.sleep(0.01)
print(json.dumps({"seen": seen, "errors": errors, "partial": partial}))
"""


def reviews_served(sample: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {
        note["id"]: sum(1 for r in note["details"]["directReplies"] if r["invitation"].endswith("Official_Review"))
        for notes in sample.values()
        for note in notes
    }


def test_a_reader_polling_during_a_slow_harvest_never_sees_a_lock_or_a_half_paper(
    tmp_path: Path, sample: dict[str, list[dict[str, Any]]]
) -> None:
    db = tmp_path / "x.db"
    with FakeOpenReview(sample, delay=0.15) as fake, harvest_process(fake.url, db) as proc:
        wait_for_pages(db, proc, 1)
        reader = subprocess.run(
            [sys.executable, "-c", READER, str(db), "2.5", json.dumps(reviews_served(sample))],
            capture_output=True,
            text=True,
            timeout=30,
        )
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    seen = json.loads(reader.stdout)
    assert seen["seen"] == 1
    assert seen["errors"] == []
    assert seen["partial"] == []
