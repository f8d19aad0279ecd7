"""The `paperharvest` command. Loading the harvester takes half a second; a Ctrl-C in that time ends the
command as one during a run does (exit 130, one line), instead of Python's KeyboardInterrupt traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from paperharvest.cli import main as run_command
    except KeyboardInterrupt:
        print("paperharvest: stopped by SIGINT before it started; nothing was changed", file=sys.stderr)
        return 130
    return run_command()
