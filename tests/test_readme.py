"""The README tells the truth about what a user can set and run: every setting, stage, command and exit code."""

from __future__ import annotations

from paperharvest.cli import COMMANDS, build_parser
from paperharvest.errors import EXIT_CODES
from paperharvest.pipeline import STAGES
from paperharvest.settings import ENV_VARS
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_environment_variable_is_documented() -> None:
    missing = [name for name in ENV_VARS if f"`{name}`" not in README]
    assert missing == []


def test_every_stage_and_command_is_documented() -> None:
    assert [s for s in STAGES if f"| `{s}` |" not in README] == []
    assert [c for c in COMMANDS if f"`{c}" not in README] == []


def test_every_fetch_flag_is_documented() -> None:
    fetch = build_parser()._subparsers._group_actions[0].choices["fetch"]  # type: ignore[union-attr]
    flags = [opt for action in fetch._actions for opt in action.option_strings if opt.startswith("--")]
    assert [f for f in flags if f not in README and f != "--help"] == []


def test_every_exit_code_is_documented() -> None:
    assert [code for code in EXIT_CODES if f"| {code} |" not in README] == []


def test_the_two_commands_of_a_fresh_clone_are_shown() -> None:
    assert "make demo" in README and "make test" in README
