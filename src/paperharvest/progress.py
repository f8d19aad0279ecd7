"""What a run shows while it works: a live line on a terminal, plain log lines otherwise (cron, pipes)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

log = logging.getLogger("paperharvest.progress")


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self._open_line = False
        self._logged: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.live:
            width = 30
            filled = width * done // total if total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{stage:<28} [{bar}] {done}/{total}")
            self.stream.flush()
            self._open_line = True
        else:
            # A log line per quarter of a stage (and at its end) says enough in a cron mail.
            quarter = 4 * done // total if total else 4
            if quarter > self._logged.get(stage, 0) or done == total:
                self._logged[stage] = quarter
                log.info("%s: %d/%d", stage, done, total)

    def close(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False


def configure_logging(verbosity: int) -> None:
    """-1 quiet (warnings and errors only), 0 normal, 1 verbose (debug, including HTTP retries)."""
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("paperharvest: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("paperharvest").setLevel(level)
