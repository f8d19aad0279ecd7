"""A venue config derived from an API v2 venue group's `content`, for venues no file in configs/ describes.

Since late 2022 openreview-py writes into each conference's group what a harvester needs: the submission
invitation, the venueid of each status, the names of the review, meta-review and decision invitations and of
their rating, confidence and decision fields, and the accept options (docs/venues.md "Venues without a config"
lists every rule, ../shared/docs/venues-beyond-iclr.md §1 the sources). Groups made before a key existed lack
it, so every key but `submission_id` falls back to the default openreview-py itself uses. What no group key
says is left to the notes: ratings and confidences are read by their leading integer, with no scale enforced.

`derive_venue_config` returns the config with where each value came from; `venue_config_toml` prints it as a
commented TOML file that `paperharvest.venues.load_venue_file` reads back into the same config.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from paperharvest.errors import ConfigError
from paperharvest.normalize.values import content_value
from paperharvest.settings import Settings
from paperharvest.sources.openreview import fetch_venue_list, find_group
from paperharvest.venues import (
    JOURNAL_VENUEID_KEYS,
    VENUEID_KEYS,
    Presentation,
    Status,
    VenueConfig,
    group_api_version,
    presentation_named,
)

__all__ = [
    "DerivedVenue",
    "ListedVenue",
    "derive_from_openreview",
    "derive_venue_config",
    "discover_venues",
    "read_venue_group",
    "venue_config_toml",
    "venue_key",
]

WRITE_A_CONFIG = (
    "run `paperharvest venue-config {venue_id}` to see what can be derived, then write "
    'configs/venues/<key>.toml (docs/venues.md, "Adding a venue")'
)
_YEAR = re.compile(r"(?:19|20)\d\d")
# Whole forums of v2 venues are large; the shipped v2 configs list 250 a page (docs/venues.md).
_PAGE_SIZE = 250


@dataclass(frozen=True)
class DerivedVenue:
    """A derived config, and for each of its dotted keys where the value came from (printed as comments)."""

    config: VenueConfig
    sources: Mapping[str, str]
    group: Mapping[str, Any]


class _Content:
    """The group's content, read key by key, remembering which keys it stated and which fell back."""

    def __init__(self, venue_id: str, content: Mapping[str, Any]) -> None:
        self.venue_id = venue_id
        self.content = content
        self.sources: dict[str, str] = {}

    def stated(self, key: str) -> Any:
        return content_value(self.content.get(key))

    def text(self, key: str, default: str, *, into: str) -> str:
        value = self.stated(key)
        if value is None:
            self.sources[into] = f"default {default!r}: the group has no {key}"
            return default
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"cannot derive a config for {self.venue_id}: its group's content.{key} is {value!r}, not a name; "
                + WRITE_A_CONFIG.format(venue_id=self.venue_id)
            )
        self.sources[into] = f"group content.{key}"
        return value


def venue_key(venue_id: str) -> str:
    """The config key a venue id gets: its short name and year, then what follows the year.

    `NeurIPS.cc/2024/Conference` -> `neurips2024`, `colmweb.org/COLM/2025/Conference` -> `colm2025`,
    `NeurIPS.cc/2024/Datasets_and_Benchmarks_Track` -> `neurips2024-datasets_and_benchmarks_track`.
    """
    parts = [part for part in venue_id.split("/") if part]
    year_at = next((i for i, part in enumerate(parts) if _YEAR.fullmatch(part)), None)
    if year_at is None:
        head, year, rest = parts[:1], "", parts[1:]
    else:
        head, year, rest = parts[max(year_at - 1, 0) : year_at], parts[year_at], parts[year_at + 1 :]
    if head and head[0] == parts[0]:
        head = [head[0].split(".")[0]]  # the host's domain: ICLR.cc -> ICLR
    rest = [part for part in rest if part != "Conference"]
    words = ["".join(head) + year, *rest]
    key = "-".join(slug for word in words if (slug := re.sub(r"[^a-z0-9_]+", "-", word.lower()).strip("-_")))
    if not key:
        raise ConfigError(f"cannot derive a config key from the venue id {venue_id!r}")
    return key


def _year(venue_id: str, group: Mapping[str, Any]) -> tuple[int, str]:
    for part in venue_id.split("/"):
        if _YEAR.fullmatch(part):
            return int(part), "the venue id"
    created = group.get("cdate") or group.get("tcdate")
    if isinstance(created, int) and not isinstance(created, bool):
        return datetime.fromtimestamp(created / 1000, UTC).year, "the year the group was created (cdate)"
    raise ConfigError(
        f"cannot derive a config for {venue_id}: neither its id nor its group gives a year; "
        + WRITE_A_CONFIG.format(venue_id=venue_id)
    )


def _decisions(read: _Content) -> tuple[dict[str, dict[str, Any]], str]:
    options = read.stated("accept_decision_options")
    decisions: dict[str, dict[str, Any]] = {}
    if isinstance(options, list) and options:
        if not all(isinstance(option, str) and option for option in options):
            raise ConfigError(
                f"cannot derive a config for {read.venue_id}: its group's accept_decision_options {options!r} "
                "are not all strings; " + WRITE_A_CONFIG.format(venue_id=read.venue_id)
            )
        for option in options:
            presentation = presentation_named(option)
            decisions[option] = {"status": "accepted"} | ({"presentation": presentation} if presentation else {})
        read.sources["decisions"] = (
            'group content.accept_decision_options (presentation: the word each names); "Reject" and any '
            "string not listed are rejections, as OpenReview reads them"
        )
        rule = "rejected"
    else:
        read.sources["decisions"] = (
            'the group has no accept_decision_options: a decision is accepted when it contains "Accept" '
            "(OpenReview's own rule), its presentation the word it names"
        )
        rule = "accept-substring"
    decisions.setdefault("Reject", {"status": "rejected"})
    read.sources["unlisted_decisions"] = f"derived: {rule!r}, how OpenReview itself reads a decision string"
    return decisions, rule


def _presentation(read: _Content) -> dict[str, Presentation]:
    heading_map = read.stated("decision_heading_map")
    if not isinstance(heading_map, Mapping):
        read.sources["presentation"] = (
            "empty: the group has no decision_heading_map, so the decision gives the presentation"
        )
        return {}
    # Its keys are the `content.venue` strings papers carry; those that name a tier are the accepted tiers.
    named = {text: tier for text in heading_map if isinstance(text, str) and (tier := presentation_named(text))}
    read.sources["presentation"] = (
        "group content.decision_heading_map: the venue strings that name a presentation"
        if named
        else "empty: no venue string of decision_heading_map names a presentation, so the decision gives it"
    )
    return named


def _published(read: _Content) -> dict[str, str]:
    public = read.stated("public_submissions")
    read.sources["published.reviews"] = "default 'public': the group does not say whose reviews are public"
    if public is False:
        read.sources["published.rejected"] = (
            "group content.public_submissions = false: only the rejected papers whose authors opted in may be "
            "public, so no acceptance rate is computed from them"
        )
        return {"rejected": "opt-in"}
    read.sources["published.rejected"] = (
        "group content.public_submissions = true"
        if public is True
        else "default 'all': the group has no public_submissions"
    )
    return {}


def derive_venue_config(group: Mapping[str, Any]) -> DerivedVenue:
    """The config of the v2 venue whose group (one item of GET /groups) this is; ConfigError naming what is
    missing when it cannot be derived (a v1 group, a journal, a group without a submission invitation)."""
    venue_id = group.get("id")
    if not isinstance(venue_id, str) or not venue_id:
        raise ConfigError("cannot derive a config: the venue group has no id")
    if group_api_version(group) == 1:
        raise ConfigError(
            f"{venue_id} is an API v1 venue: its group does not describe its invitations, venueids or fields, "
            "so it needs a config file; copy the closest v1 config (configs/venues/iclr2023.toml) to "
            'configs/venues/<key>.toml and adapt it (docs/venues.md, "Adding a venue")'
        )
    content = group.get("content")
    content = content if isinstance(content, Mapping) else {}
    read = _Content(venue_id, content)
    if any(read.stated(key) is not None for key in JOURNAL_VENUEID_KEYS):
        raise ConfigError(
            f"cannot derive a config for {venue_id}: its group is a journal's (it has under_review_venue_id), "
            "whose rejected, withdrawn and retracted venueids and certifications are not in the group; "
            "it needs a config file (TMLR ships one; see docs/venues.md)"
        )
    submission_id = read.stated("submission_id")
    if not isinstance(submission_id, str) or not submission_id:
        raise ConfigError(
            f"cannot derive a config for {venue_id}: its group has no content.submission_id, so the invitation "
            "its papers are listed by is unknown (is it a venue with submissions, not a parent group such as "
            f"{venue_id.split('/')[0]}?); " + WRITE_A_CONFIG.format(venue_id=venue_id)
        )
    read.sources["listings"] = "group content.submission_id"
    name = read.text("submission_name", "Submission", into="submission_name")

    def per_paper(key: str, default: str, into: str) -> str:
        invitation = read.text(key, default, into=into)
        read.sources[into] += f", under {venue_id}/{name}{{number}}/-/ (content.submission_name)"
        return f"{venue_id}/{name}{{number}}/-/{invitation}"

    replies = {
        "review": per_paper("review_name", "Official_Review", "replies.review"),
        "decision": per_paper("decision_name", "Decision", "replies.decision"),
        "meta_review": per_paper("meta_review_name", "Meta_Review", "replies.meta_review"),
        "forum": "replies",
        "page_size": _PAGE_SIZE,
    }
    read.sources["replies.forum"] = "default: the whole forum, so comments are stored, as the shipped v2 configs"
    read.sources["replies.page_size"] = "default: 250 forums a page, as the shipped v2 configs (whole forums are large)"
    fields = {
        "tldr": "TLDR",
        "rating": read.text("review_rating", "rating", into="fields.rating"),
        "confidence": read.text("review_confidence", "confidence", into="fields.confidence"),
        "decision": read.text("decision_field_name", "decision", into="fields.decision"),
        "decision_comment": "comment",
        "meta_review": "metareview",
    }
    read.sources["fields.tldr"] = "default 'TLDR': openreview-py's v2 submission form (no group key names it)"
    read.sources["fields.decision_comment"] = "default 'comment': openreview-py's decision form"
    read.sources["fields.meta_review"] = "default 'metareview': openreview-py's meta-review form"
    read.sources["fields.rating_scale"] = (
        "not set: ratings and confidences are read from the values themselves (their leading integer)"
    )
    statuses: dict[str, Status] = {venue_id: "accepted"}
    read.sources["venue_ids"] = f"{venue_id} = accepted (OpenReview gives accepted papers the venue id itself)"
    # A group that leaves a key out: the venueid of the pattern ICLR's v2 venues use.
    defaults = {
        "submission_venue_id": f"{venue_id}/{name}",
        "rejected_venue_id": f"{venue_id}/Rejected_{name}",
        "withdrawn_venue_id": f"{venue_id}/Withdrawn_{name}",
        "desk_rejected_venue_id": f"{venue_id}/Desk_Rejected_{name}",
    }
    for key, default in defaults.items():
        status = VENUEID_KEYS[key]
        statuses[read.text(key, default, into=f"venue_ids.{status}")] = status
    decisions, rule = _decisions(read)
    year, year_source = _year(venue_id, group)
    key = venue_key(venue_id)
    title = read.stated("subtitle") or read.stated("title")
    read.sources.update(
        key=f"derived from the venue id; keep the file as configs/venues/{key}.toml",
        name="group content.subtitle" if read.stated("subtitle") else "group content.title",
        year=year_source,
    )
    data: dict[str, Any] = {
        "key": key,
        "name": title if isinstance(title, str) and title.strip() else venue_id,
        "venue_id": venue_id,
        "api_version": 2,
        "year": year,
        "listings": [{"invitation": submission_id, "status": "decided"}],
        "replies": replies,
        "fields": fields,
        "decisions": decisions,
        "unlisted_decisions": rule,
        "venue_ids": statuses,
        "presentation": _presentation(read),
        "published": _published(read),
    }
    if data["name"] == venue_id:
        read.sources["name"] = "the venue id: the group has no subtitle or title"
    try:
        config = VenueConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(
            f"the config derived for {venue_id} is invalid ({problems}); " + WRITE_A_CONFIG.format(venue_id=venue_id)
        ) from None
    return DerivedVenue(config, dict(read.sources), group)


# ---- TOML ------------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string: the same quotes and escapes (\", \\, \n, \uXXXX).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def _one_line(text: str) -> str:
    # A comment ends at a line break, so names and ids from the group are folded onto one line.
    return " ".join(text.split())


def _comment(sources: Mapping[str, str], key: str) -> list[str]:
    # Inside a table the comment names the key as written there.
    return [_one_line(f"# {key.split('.', 1)[-1]}: {sources[key]}")] if key in sources else []


def venue_config_toml(derived: DerivedVenue, *, fetched_at: str | None = None) -> str:
    """The derived config as a commented TOML file: for each key where it came from (a group content key or
    a default). Values equal to their defaults are written too, so the file states the whole config."""
    config, sources = derived.config, derived.sources
    data = config.model_dump(mode="json", exclude_none=True)
    lines = [
        _one_line(f"# {config.name} ({config.venue_id}) on OpenReview API v2: derived from its venue group by"),
        "# `paperharvest venue-config`" + (f" on {fetched_at}" if fetched_at else "") + ". Review it, keep it as",
        f"# configs/venues/{config.key}.toml (a kept file wins over derivation), and mark what you confirm.",
        "# Each comment says where a value came from: a key of the group's content, or a default.",
    ]
    tables: list[tuple[str, Any]] = []
    for name, value in data.items():
        if isinstance(value, Mapping) or (isinstance(value, list) and value and isinstance(value[0], Mapping)):
            tables.append((name, value))
            continue
        lines += [*_comment(sources, name), f"{name} = {_toml_value(value)}"]
    for name, value in tables:
        lines.append("")
        lines += _comment(sources, name)
        if isinstance(value, list):
            for item in value:
                lines += [f"[[{name}]]", *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items())]
            continue
        lines.append(f"[{name}]")
        said = set()
        for key, item in value.items():
            # venueids are explained by the status they mean, the other tables by their own keys.
            source = f"{name}.{item}" if name == "venue_ids" else f"{name}.{key}"
            said.add(source)
            lines += [*_comment(sources, source), f"{_toml_key(key)} = {_toml_value(item)}"]
        # Keys left unset (a scale read from the values) still say why.
        lines += [
            c for key in sources if key.startswith(f"{name}.") and key not in said for c in _comment(sources, key)
        ]
    return "\n".join(lines) + "\n"


# ---- from OpenReview ------------------------------------------------------------------------------------


def read_venue_group(client: Any, settings: Settings, venue_id: str) -> dict[str, Any] | None:
    """The venue's group: from the v2 host (which also serves v1 venues' groups, without `domain`), else from
    the v1 host; None when neither has it."""
    for url in dict.fromkeys(settings.openreview_hosts.values()):
        group = find_group(client, url, venue_id)
        if group is not None:
            return group
    return None


def derive_from_openreview(client: Any, settings: Settings, venue_id: str) -> DerivedVenue:
    """The config of a venue no file describes, derived from its group as OpenReview serves it now."""
    group = read_venue_group(client, settings, venue_id)
    if group is None:
        raise ConfigError(
            f"unknown venue {venue_id!r}: no config in {settings.venue_configs_dir} names it and OpenReview has no "
            "group by that id (check the spelling, or `paperharvest discover --match` to find it)"
        )
    return derive_venue_config(group)


@dataclass(frozen=True)
class ListedVenue:
    """A venue an API host lists; `api_version` None when it was not looked up (too many matched)."""

    venue_id: str
    api_version: int | None


def discover_venues(
    client: Any, settings: Settings, host: Literal[1, 2] | None, match: str | None, *, look_up: int
) -> list[ListedVenue]:
    """The venues of the `venues` group of one host (or both), whose id contains `match` (any case).

    Which API a venue lives on is its group's, one request each, so it is told for at most `look_up`
    venues; list fewer with `match`.
    """
    hosts = settings.openreview_hosts
    urls = [hosts[host]] if host is not None else list(dict.fromkeys(hosts.values()))
    ids = sorted({venue_id for url in urls for venue_id in fetch_venue_list(client, url)})
    if match:
        ids = [venue_id for venue_id in ids if match.casefold() in venue_id.casefold()]
    if len(ids) > look_up:
        return [ListedVenue(venue_id, None) for venue_id in ids]
    listed = []
    for venue_id in ids:
        group = read_venue_group(client, settings, venue_id)
        listed.append(ListedVenue(venue_id, group_api_version(group) if group is not None else None))
    return listed
