"""Loads and validates venue configs (configs/venues/*.toml): what a venue is, not how to fetch it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from paperharvest.errors import ConfigError
from paperharvest.normalize.values import content_value

# A rolling journal (TMLR) adds "submitted" (not yet assigned an editor or reviewers), "decision-pending" (reviews
# in, the editor has not decided) and "retracted" (accepted, then retracted by the authors).
Status = Literal[
    "accepted",
    "rejected",
    "withdrawn",
    "desk-rejected",
    "under-review",
    "submitted",
    "decision-pending",
    "retracted",
]
ListingStatus = Literal["decided", "withdrawn", "desk-rejected"]
Presentation = Literal["oral", "talk", "spotlight", "poster"]
# Where a venue's decision notes hang: one invitation per paper (`Paper{number}/-/Decision`), or one invitation
# for the whole venue whose notes are matched to papers by `forum` (ICLR 2018's `-/Acceptance_Decision`).
DecisionScope = Literal["paper", "venue"]
# What a submission listing asks for with each note (`details=`): its direct replies (reviews, decisions, and
# the comments on the submission itself), or its whole forum, nested comments and rebuttals included.
ForumDetail = Literal["directReplies", "replies"]
# What a venue lets the public see, which decides what its stored papers can stand for: "all" rejected papers
# (ICLR), only those whose authors "opt-in" (NeurIPS), or "none" (ICML: accepted papers only). Reviews are
# "public" for every listed paper, "accepted-only", or "none" (CoRL 2025).
RejectedVisibility = Literal["all", "opt-in", "none"]
ReviewVisibility = Literal["public", "accepted-only", "none"]


class Listing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    invitation: str
    status: ListingStatus


class Replies(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    review: str
    decision: str
    decision_scope: DecisionScope = "paper"
    meta_review: str | None = None
    # A journal reviewer's recommendation, a note apart from the review (TMLR
    # `Paper{number}/-/Official_Recommendation`): its content is kept with the same reviewer's review
    # (reviews.assessments.official_recommendation).
    recommendation: str | None = None
    # The forum fetch: "replies" also stores the discussion (the comments table). Unset, as before.
    forum: ForumDetail = "directReplies"
    # The largest listing page for this venue: whole forums of busy venues are large (docs/venues.md has
    # the measured bytes), and a page is held in memory while it is stored. Unset: PAPERHARVEST_PAGE_SIZE.
    page_size: int | None = Field(default=None, ge=1, le=1000)

    @property
    def venue_wide_decisions(self) -> bool:
        """Decisions under one venue-wide invitation (2018), fetched and stored alone, not with their papers."""
        return self.decision_scope == "venue"

    @model_validator(mode="after")
    def _has_number(self) -> Replies:
        per_paper = ["review", "meta_review", "recommendation"] + (
            ["decision"] if self.decision_scope == "paper" else []
        )
        for name in per_paper:
            template = getattr(self, name)
            if template is not None and "{number}" not in template:
                raise ValueError(f"replies.{name} must contain {{number}}")
        if self.venue_wide_decisions and "{number}" in self.decision:
            # A venue-wide invitation is one fixed name; a {number} here means the scope was set by mistake.
            raise ValueError('replies.decision must not contain {number} when replies.decision_scope = "venue"')
        return self


class Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tldr: str | None = None
    code: str | None = None
    rating: str = "rating"
    confidence: str | None = None
    decision: str = "decision"
    decision_comment: str | None = "comment"
    # The meta-review's text field (read from replies.meta_review notes) and the rating options of the review
    # form. A rating off the scale stops the run, like an unknown decision: it means the config is wrong.
    meta_review: str | None = None
    rating_scale: tuple[int, ...] | None = Field(default=None, min_length=1)
    # A rating given in words ("Weak Accept", CoRL's `recommendation`) and the number each word stands for,
    # matched ignoring case and spacing; misspellings the venue's form really used are listed as written
    # ("Boarderline"). A word not listed stops the run, like an unknown decision.
    rating_words: dict[str, int] | None = Field(default=None, min_length=1)
    # The submission's list of certifications (TMLR `certifications`), stored in paper_certifications.
    certifications: str | None = None

    @model_validator(mode="after")
    def _words_fit(self) -> Fields:
        folded: dict[str, str] = {}
        for word, number in (self.rating_words or {}).items():
            if (key := _fold(word)) in folded:
                raise ValueError(f"rating_words has {folded[key]!r} and {word!r}, which differ only in case or spacing")
            folded[key] = word
            if self.rating_scale is not None and number not in self.rating_scale:
                raise ValueError(f"rating_words maps {word!r} to {number}, which is not on rating_scale")
        return self


class Published(BaseModel):
    """What the venue makes public (see RejectedVisibility); stored in the venues table for `stats`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rejected: RejectedVisibility = "all"
    reviews: ReviewVisibility = "public"


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
    # API v2 only: every `content.venueid` a paper can carry and the status it means, and the accepted
    # papers' `content.venue` strings (matched ignoring case and spacing) and the presentation they mean.
    venue_ids: dict[str, Status] = Field(default_factory=dict)
    presentation: dict[str, Presentation] = Field(default_factory=dict)
    published: Published = Published()
    # A decision string that [decisions] does not list: "error" (the default) stops the run, since the config is
    # wrong or out of date. Configs derived from a v2 venue group read it as OpenReview did when it set the
    # paper's venueid (openreview-py `tools.is_accept_decision`): "rejected" where the group names its accept
    # options (all of them are in [decisions]), "accept-substring" where it names none (accepted when it
    # contains "Accept", with the presentation a word of it names).
    unlisted_decisions: Literal["error", "rejected", "accept-substring"] = "error"

    @model_validator(mode="after")
    def _fits_api_version(self) -> VenueConfig:
        if self.api_version == 1:
            # 2022-23 v1 notes carry a venueid too, but it does not tell the status (2023: same venueid for
            # "ICLR 2023 poster" and "Submitted to ICLR 2023"), so v1 configs must not pretend it does.
            if self.venue_ids or self.presentation:
                raise ValueError("venue_ids and presentation are read for api_version = 2 only")
        else:
            if not self.venue_ids:
                raise ValueError("api_version = 2 needs [venue_ids]: the status of a v2 paper is its venueid")
            if any(listing.status != "decided" for listing in self.listings):
                raise ValueError('api_version = 2 listings must have status = "decided": the venueid gives the status')
        folded: dict[str, str] = {}
        for text in self.presentation:
            if (key := _fold(text)) in folded:
                raise ValueError(f"presentation has {folded[key]!r} and {text!r}, which differ only in case or spacing")
            folded[key] = text
        if (self.replies.meta_review is None) != (self.fields.meta_review is None):
            raise ValueError("replies.meta_review and fields.meta_review go together: set both or neither")
        return self

    def listing_page_size(self, page_size: int) -> int:
        """The page size to list this venue's submissions with, given the configured one."""
        return min(page_size, self.replies.page_size or page_size)

    @cached_property
    def review_pattern(self) -> re.Pattern[str]:
        return _invitation_pattern(self.replies.review)

    @cached_property
    def decision_pattern(self) -> re.Pattern[str]:
        return _invitation_pattern(self.replies.decision)

    @cached_property
    def meta_review_pattern(self) -> re.Pattern[str] | None:
        return _invitation_pattern(self.replies.meta_review) if self.replies.meta_review else None

    @cached_property
    def recommendation_pattern(self) -> re.Pattern[str] | None:
        return _invitation_pattern(self.replies.recommendation) if self.replies.recommendation else None

    @cached_property
    def rating_word_lookup(self) -> dict[str, int]:
        return {_fold(word): number for word, number in (self.fields.rating_words or {}).items()}

    @cached_property
    def presentation_lookup(self) -> dict[str, Presentation]:
        return {_fold(text): meaning for text, meaning in self.presentation.items()}

    def listing_status(self, invitation: str) -> ListingStatus:
        for listing in self.listings:
            if listing.invitation == invitation:
                return listing.status
        raise KeyError(invitation)

    def decision_meaning(self, text: str) -> DecisionMeaning | None:
        """What a decision string means: its [decisions] entry, else the unlisted_decisions rule; None: unknown."""
        meaning = self.decisions.get(text)
        if meaning is not None or self.unlisted_decisions == "error":
            return meaning
        if self.unlisted_decisions == "accept-substring" and "Accept" in text:
            return DecisionMeaning(status="accepted", presentation=presentation_named(text))
        return DecisionMeaning(status="rejected")

    def venueid_status(self, venueid: str) -> Status:
        """The status a v2 `content.venueid` means; KeyError when the config does not know it."""
        return self.venue_ids[venueid]

    def rating_of_word(self, word: str) -> int | None:
        """The number a rating word stands for ("weak  accept" = "Weak Accept"), or None when not configured."""
        return self.rating_word_lookup.get(_fold(word))

    def presentation_of(self, venue_text: str) -> Presentation | None:
        """The presentation a `content.venue` string names ("ICLR 2024 Oral" = "iclr 2024 oral"), or None."""
        return self.presentation_lookup.get(_fold(venue_text))


_PRESENTATION_WORD = re.compile(rf"\b({'|'.join(get_args(Presentation))})\b", re.IGNORECASE)


def presentation_named(text: str) -> Presentation | None:
    """The presentation a decision or venue string names by its word ("Accept (Oral)", "NeurIPS 2024 poster")."""
    match = _PRESENTATION_WORD.search(text)
    return cast(Presentation, match.group(1).lower()) if match else None


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _invitation_pattern(template: str) -> re.Pattern[str]:
    if "{number}" not in template:
        # A venue-wide invitation: the exact name, no paper number to capture.
        return re.compile(re.escape(template) + r"\Z")
    head, _, tail = template.partition("{number}")
    return re.compile(re.escape(head) + r"(\d+)" + re.escape(tail) + r"\Z")


def group_api_version(group: Mapping[str, Any]) -> Literal[1, 2]:
    """Which API a venue group (one item of GET /groups) belongs to: only v2 groups carry `domain`."""
    return 2 if group.get("domain") else 1


def check_venue_group(venue: VenueConfig, group: Mapping[str, Any]) -> None:
    """Check a venue's config against its venue group as the API serves it, before any listing is read.

    A config pointed at the wrong API lists nothing (the API answers an unknown invitation with an empty
    list), so the version must be checked here. A v2 group also names its own invitations, venueids and
    accept options; each one the group states must agree with the config. Keys a group lacks are skipped:
    which keys a v2 group carries changed between openreview-py releases.
    """
    problems: list[str] = []
    group_id = group.get("id")
    if group_id != venue.venue_id:
        problems.append(f"the group is {group_id!r}, not {venue.venue_id!r}")
    version = group_api_version(group)
    if version != venue.api_version:
        why = "it has a `domain` field" if version == 2 else "it has no `domain` field"
        problems.append(
            f"the config says api_version = {venue.api_version} but the venue group is an API v{version} group ({why})"
        )
    content = group.get("content")
    if version == 2 and venue.api_version == 2 and isinstance(content, Mapping):
        problems.extend(_v2_group_problems(venue, content))
    if problems:
        raise ConfigError(f"venue {venue.key} does not match its OpenReview venue group: " + "; ".join(problems))


# The keys of a v2 venue group's content that name a venueid, and the status a paper with it has (read by
# the group check here and by the config derivation in venue_groups.py).
VENUEID_KEYS: dict[str, Status] = {
    "submission_venue_id": "under-review",
    "rejected_venue_id": "rejected",
    "withdrawn_venue_id": "withdrawn",
    "desk_rejected_venue_id": "desk-rejected",
    "under_review_venue_id": "under-review",
    "decision_pending_venue_id": "decision-pending",
}
# The keys a journal's group (openreview-py journal/group.py) writes instead of submission_venue_id.
JOURNAL_VENUEID_KEYS = ("under_review_venue_id", "decision_pending_venue_id")


def _v2_group_problems(venue: VenueConfig, content: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []

    def stated(key: str) -> Any:
        return content_value(content.get(key))

    submission_id = stated("submission_id")
    listings = [listing.invitation for listing in venue.listings]
    if submission_id is not None and submission_id not in listings:
        problems.append(f"the group's submission_id is {submission_id!r}, which is not among the listings {listings}")
    for key, status in VENUEID_KEYS.items():
        venueid = stated(key)
        if venueid is not None and venue.venue_ids.get(venueid) != status:
            problems.append(f"the group's {key} is {venueid!r}; venue_ids must map it to {status!r}")
    names = {"review_name": venue.replies.review, "decision_name": venue.replies.decision}
    if venue.replies.meta_review is not None:
        names["meta_review_name"] = venue.replies.meta_review
    for key, template in names.items():
        name = stated(key)
        if name is not None and not template.endswith(f"/-/{name}"):
            problems.append(f"the group's {key} is {name!r} but the config's invitation is {template!r}")
    field_keys = {
        "decision_field_name": venue.fields.decision,
        "review_rating": venue.fields.rating,
        "review_confidence": venue.fields.confidence,
    }
    for key, configured in field_keys.items():
        name = stated(key)
        if name is not None and name != configured:
            problems.append(f"the group's {key} is {name!r} but the config reads {configured!r}")
    options = stated("accept_decision_options")
    if isinstance(options, list):
        for option in options:
            meaning = venue.decisions.get(str(option))
            if meaning is None or meaning.status != "accepted":
                problems.append(f"the group's accept option {option!r} is not an accepted decision in [decisions]")
    return problems


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
