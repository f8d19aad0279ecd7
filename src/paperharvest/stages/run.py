"""What every stage of one `fetch` shares: the database, the venue, the settings, the network, progress."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from paperharvest import __version__
from paperharvest.net import Network
from paperharvest.normalize.values import unwrap_content
from paperharvest.settings import Settings
from paperharvest.sources.openreview import make_client
from paperharvest.venues import VenueConfig

ProgressCallback = Callable[[str, int, int], None]
USER_AGENT = f"paperharvest/{__version__} (+https://github.com/paperharvest/paperharvest)"


@dataclass
class Run:
    """One `fetch`'s shared state. `counts` collects each stage's tallies under its name."""

    db: sqlite_utils.Database
    venue: VenueConfig
    settings: Settings
    network: Network
    progress: ProgressCallback
    run_id: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    # Data a stage could not store (quarantined notes): the run goes on, then ends failed with these.
    problems: list[str] = field(default_factory=list)
    _client: Any = None
    # The venue's group when the run's config was derived from it: the notes stage need not read it again.
    known_group: Mapping[str, Any] | None = None

    def openreview(self) -> Any:
        """One logged-in OpenReview client for all stages, made on first use."""
        if self._client is None:
            self._client = make_client(self.settings, self.network)
        return self._client


def note_content(note: Mapping[str, Any], venue: VenueConfig) -> dict[str, Any]:
    """A raw note's content as plain values, whichever API it came from."""
    content = note.get("content") or {}
    return unwrap_content(content) if venue.api_version == 2 else dict(content)
