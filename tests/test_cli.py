"""The command line around fetch: venues, status, summary, rebuild errors, progress, `python -m`."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from paperharvest.cli import main
from paperharvest.progress import Progress
from tests.conftest import REPO

BUNDLED = REPO / "data" / "sample" / "iclr2020"


@pytest.fixture()
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--replay", str(BUNDLED), "--quiet"]) == 0
    return db


def test_venues_lists_the_configs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["venues"]) == 0
    assert "iclr2020" in capsys.readouterr().out


def test_status_shows_counts_and_runs(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--db", str(demo_db)]) == 0
    out = capsys.readouterr().out
    venue_line = next(line for line in out.splitlines() if line.startswith("iclr2020"))
    assert venue_line.split()[1:5] == ["36", "92", "26", "36"]  # papers, reviews, decisions, raw notes
    assert " ok " in out


def test_summary_prints_statuses_and_top_papers(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--venue", "iclr2020", "--db", str(demo_db), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "36 papers" in out
    assert "top 3 papers by mean rating" in out
    assert "desk-rejected" in out and "withdrawn" in out


def test_status_without_a_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--db", str(tmp_path / "none.db")]) == 7
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("command", [["summary", "--venue", "iclr2020"], ["changes", "--venue", "iclr2020"]])
def test_output_read_by_head_ends_quietly(demo_db: Path, command: list[str]) -> None:
    """`paperharvest ... | head`: the reader closes the pipe early. Not an internal error to report: no word on
    stderr, and the exit status a shell shows for SIGPIPE."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperharvest", *command, "--db", str(demo_db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before it has written anything
    assert proc.wait(timeout=30) == 141
    assert proc.stderr.read() == ""


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "paperharvest", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "exit codes:" in result.stdout and "fetch" in result.stdout


def test_progress_draws_a_bar_on_a_terminal_and_logs_elsewhere(caplog: pytest.LogCaptureFixture) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    progress = Progress(tty)
    progress("Blind_Submission", 1000, 2213)
    progress.close()
    assert "\r" in tty.getvalue() and "1000/2213" in tty.getvalue() and tty.getvalue().endswith("\n")

    pipe = io.StringIO()
    with caplog.at_level(logging.INFO, logger="paperharvest"):
        Progress(pipe)("Blind_Submission", 2213, 2213)
    assert pipe.getvalue() == ""
    assert "Blind_Submission: 2213/2213" in caplog.text

    quiet = Terminal()
    Progress(quiet, enabled=False)("x", 1, 2)
    assert quiet.getvalue() == ""
