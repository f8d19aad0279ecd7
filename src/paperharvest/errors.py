"""Errors a run can end with, each mapped to one documented exit code.

The CLI turns these into a one-line message and the exit code; anything else is a bug (exit 1).
Messages are written for the person reading cron mail: they say what happened and what to do,
and never contain a secret.
"""

from __future__ import annotations

from typing import Any


class HarvestError(Exception):
    """Base class: a failure the user can act on."""

    exit_code = 1


class ConfigError(HarvestError):
    """Bad flags, a bad venue config or settings file, an unknown venue."""

    exit_code = 2


class AuthError(HarvestError):
    """OpenReview wants a login (guest challenge) or rejected the credentials."""

    exit_code = 3


class UpstreamUnavailable(HarvestError):
    """The API kept failing (429, 5xx, timeouts, connection errors) until retries or the deadline ran out."""

    exit_code = 4


class UpstreamDataError(HarvestError):
    """The API answered, but not with what it should: malformed JSON, HTML, a short listing, unknown strings."""

    exit_code = 5


class DatabaseLocked(HarvestError):
    """Another paperharvest run holds the database."""

    exit_code = 6


class DatabaseError(HarvestError):
    """The database file is corrupt, not SQLite, or cannot be written."""

    exit_code = 7


class ReplayMissing(UpstreamDataError):
    """A replayed run asked for an exchange the recording does not hold."""


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected internal error (a bug: please report it with the log)",
    2: "usage or configuration error",
    3: "OpenReview needs a login, or rejected the credentials",
    4: "upstream unavailable after retries or past the run deadline",
    5: "upstream answered with malformed or inconsistent data",
    6: "another paperharvest run holds the database",
    7: "the database is corrupt or cannot be written",
    130: "stopped by SIGINT (Ctrl-C); stored pages are kept, the run is recorded interrupted",
    141: "the reader of the output closed it early (`| head`): nothing went wrong, the rest was not written",
    143: "stopped by SIGTERM (cron, systemd, timeout); stored pages are kept, the run is recorded interrupted",
}


class NormalizeError(UpstreamDataError):
    """A payload lacks what a record needs, or holds a value the venue config does not know."""


class RejectedNote(NormalizeError):
    """One note cannot become records (no title, a field of the wrong type, a lone surrogate...).

    The notes stage quarantines it with its raw payload and `reason` (a short machine word) and goes on;
    the run ends with exit 5. Unlike VenueConfigGap, nothing in the config can fix it.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class VenueConfigGap(NormalizeError):
    """A note holds a value the venue config does not know (a decision string, a venueid, a rating off the
    scale): the config must learn it, so the run stops rather than guess what it means."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value

    def __reduce__(self) -> tuple[type[VenueConfigGap], tuple[str, object, str], dict[str, Any]]:
        # How it comes back whole from the helper process that prepares notes (its added notes included).
        return type(self), (self.field, self.value, str(self)), self.__dict__
