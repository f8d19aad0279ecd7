"""The config each venue was fetched with, kept in the `venues` table: a venue derived from its OpenReview
group has no file, so `rebuild` and the other offline commands can only read its config from here."""

from __future__ import annotations

from typing import Literal

import sqlite_utils
from pydantic import ValidationError

from paperharvest.errors import ConfigError, DatabaseError
from paperharvest.venues import VenueConfig

# "file": a config in configs/venues/; "group": derived from the venue's API v2 group (venue_groups.py).
ConfigSource = Literal["file", "group"]


def save_venue_config(db: sqlite_utils.Database, venue: VenueConfig, source: ConfigSource) -> None:
    """Record the config a fetch of `venue` runs with (the venue's row is made if it is new)."""
    row = db.execute("SELECT venue_id FROM venues WHERE key = ?", [venue.key]).fetchone()
    if row is not None and row[0] != venue.venue_id:
        # A derived key can collide with another venue's: storing would silently move that venue's papers.
        raise ConfigError(
            f"the key {venue.key!r} of {venue.venue_id} is already the key of {row[0]} in this database; "
            f"write a config for {venue.venue_id} with another key (paperharvest venue-config {venue.venue_id})"
        )
    db.execute(
        """INSERT INTO venues (key, venue_id, name, api_version, year, config, config_source)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(key) DO UPDATE SET config = excluded.config, config_source = excluded.config_source""",
        [venue.key, venue.venue_id, venue.name, venue.api_version, venue.year, venue.model_dump_json(), source],
    )


def stored_venue_configs(db: sqlite_utils.Database) -> dict[str, VenueConfig]:
    """Venue key -> the config its last fetch stored, for the venues fetched since schema version 9."""
    configs: dict[str, VenueConfig] = {}
    for key, text in db.execute("SELECT key, config FROM venues WHERE config IS NOT NULL ORDER BY key"):
        try:
            configs[key] = VenueConfig.model_validate_json(text)
        except ValidationError as exc:
            raise DatabaseError(
                f"the stored config of venue {key} no longer loads ({exc.error_count()} problems); "
                "fetch the venue again, or keep a config file for it"
            ) from None
    return configs
