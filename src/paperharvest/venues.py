"""Loads and validates venue configs (configs/venues/*.toml): what a venue is, not how to fetch it."""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from paperharvest.errors import ConfigError

Status = Literal["accepted", "rejected", "withdrawn", "desk-rejected", "under-review"]
ListingStatus = Literal["decided", "withdrawn", "desk-rejected"]
Presentation = Literal["oral", "talk", "spotlight", "poster"]


class Listing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    invitation: str
    status: ListingStatus


class Replies(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    review: str
    decision: str

    @model_validator(mode="after")
    def _has_number(self) -> Replies:
        for name in ("review", "decision"):
            if "{number}" not in getattr(self, name):
                raise ValueError(f"replies.{name} must contain {{number}}")
        return self


class Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tldr: str | None = None
    code: str | None = None
    rating: str = "rating"
    confidence: str | None = None
    decision: str = "decision"
    decision_comment: str | None = "comment"


class DecisionMeaning(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    status: Literal["accepted", "rejected"]
    presentation: Presentation | None = None


class VenueConfig(BaseModel):
    """One venue, as written in its TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    venue_id: str
    api_version: Literal[1, 2]
    year: int
    site_url: str = "https://openreview.net"
    listings: list[Listing] = Field(min_length=1)
    replies: Replies
    fields: Fields = Fields()
    decisions: dict[str, DecisionMeaning] = Field(min_length=1)

    @cached_property
    def review_pattern(self) -> re.Pattern[str]:
        return _invitation_pattern(self.replies.review)

    @cached_property
    def decision_pattern(self) -> re.Pattern[str]:
        return _invitation_pattern(self.replies.decision)

    def listing_status(self, invitation: str) -> ListingStatus:
        for listing in self.listings:
            if listing.invitation == invitation:
                return listing.status
        raise KeyError(invitation)


def _invitation_pattern(template: str) -> re.Pattern[str]:
    head, _, tail = template.partition("{number}")
    return re.compile(re.escape(head) + r"(\d+)" + re.escape(tail) + r"\Z")


def load_venue_file(path: Path) -> VenueConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read venue config {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"venue config {path} is not valid TOML: {exc}") from None
    try:
        config = VenueConfig(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"venue config {path} is invalid: {problems}") from None
    if config.key != path.stem:
        raise ConfigError(f"venue config {path}: key {config.key!r} must match the file name {path.stem!r}")
    return config


def load_all_venues(configs_dir: Path) -> dict[str, VenueConfig]:
    if not configs_dir.is_dir():
        raise ConfigError(f"venue configs folder {configs_dir} does not exist (set PAPERHARVEST_CONFIGS)")
    return {path.stem: load_venue_file(path) for path in sorted(configs_dir.glob("*.toml"))}


def find_venue(configs_dir: Path, name: str) -> VenueConfig:
    """A venue by its key (`iclr2020`) or its OpenReview id (`ICLR.cc/2020/Conference`)."""
    path = configs_dir / f"{name}.toml"
    if "/" not in name and path.is_file():
        return load_venue_file(path)
    venues = load_all_venues(configs_dir)
    for config in venues.values():
        if config.venue_id == name or config.key == name.lower():
            return config
    known = ", ".join(sorted(venues)) or "none"
    raise ConfigError(f"unknown venue {name!r}; known venues: {known} (configs in {configs_dir})")
