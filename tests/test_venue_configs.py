"""The shipped ICLR 2018-2026 configs against what ../shared/docs/iclr-years.md says about each year.

Invitation ids and decision strings below are the ones iclr-years.md quotes (observed ids where it has them,
its `{N}` templates otherwise, with a paper number filled in). Where the shared docs are present, a second
test reads every invitation the document quotes, so a config and the document cannot drift apart silently.
The year quirks that need normalizer support (2018's venue-wide decisions, 2019's decision inside the
meta-review) are exercised here too, on the real 2019 meta-review and on notes shaped like 2018's.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from paperharvest.errors import ConfigError, NormalizeError
from paperharvest.normalize.notes import group_by_forum, normalize_note
from paperharvest.settings import REPO_CONFIGS
from paperharvest.venues import VenueConfig, check_venue_group, group_api_version, load_all_venues, load_venue_file

YEARS = range(2018, 2027)
SHARED = Path(__file__).resolve().parents[2] / "shared"
ICLR_YEARS_DOC = SHARED / "docs" / "iclr-years.md"
FIXTURE_2024 = Path(__file__).resolve().parent / "fixtures" / "iclr2024_sample" / "notes.json"


def _shared_data() -> Path:
    env = os.environ.get("PAPERHARVEST_SHARED_DATA")
    return Path(env) if env else SHARED / "data"


@pytest.fixture(scope="module")
def venues() -> dict[int, VenueConfig]:
    loaded = load_all_venues(REPO_CONFIGS)
    return {year: loaded[f"iclr{year}"] for year in YEARS}


# --- every year loads and says the right basic things -------------------------------------------------------


def test_all_nine_iclr_configs_load(venues: dict[int, VenueConfig]) -> None:
    for year, venue in venues.items():
        assert venue.key == f"iclr{year}"
        assert venue.year == year
        assert venue.venue_id == f"ICLR.cc/{year}/Conference"
        # iclr-years.md: v1 through 2023 (2023 is the last v1 year), api2 only from 2024.
        assert venue.api_version == (1 if year <= 2023 else 2)


# Listing invitations per year (iclr-years.md summary table and notes): no desk-reject invitation before 2020,
# and in v2 one -/Submission invitation holds every paper.
LISTINGS: dict[int, dict[str, str]] = {
    year: {
        f"ICLR.cc/{year}/Conference/-/Blind_Submission": "decided",
        f"ICLR.cc/{year}/Conference/-/Withdrawn_Submission": "withdrawn",
        **({f"ICLR.cc/{year}/Conference/-/Desk_Rejected_Submission": "desk-rejected"} if year >= 2020 else {}),
    }
    for year in range(2018, 2024)
} | {year: {f"ICLR.cc/{year}/Conference/-/Submission": "decided"} for year in (2024, 2025, 2026)}


@pytest.mark.parametrize("year", YEARS)
def test_listings(venues: dict[int, VenueConfig], year: int) -> None:
    assert {listing.invitation: listing.status for listing in venues[year].listings} == LISTINGS[year]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_v2_venueids_cover_every_status(venues: dict[int, VenueConfig], year: int) -> None:
    base = f"ICLR.cc/{year}/Conference"
    assert venues[year].venue_ids == {
        base: "accepted",
        f"{base}/Rejected_Submission": "rejected",
        f"{base}/Withdrawn_Submission": "withdrawn",
        f"{base}/Desk_Rejected_Submission": "desk-rejected",
        f"{base}/Submission": "under-review",
    }


# Field names by year (iclr-years.md "Cross-year traps"): the score moved to `recommendation` in 2022-23, the
# TL;DR key changed three times, 2019's decision is the meta-review's `recommendation`, 2020 had no confidence.
FIELDS: dict[int, tuple[str | None, str, str | None, str]] = {
    2018: ("TL;DR", "rating", "confidence", "decision"),
    2019: ("TL;DR", "rating", "confidence", "recommendation"),
    2020: ("TL;DR", "rating", None, "decision"),
    2021: ("one-sentence_summary", "rating", "confidence", "decision"),
    2022: ("one-sentence_summary", "recommendation", "confidence", "decision"),
    2023: ("TL;DR", "recommendation", "confidence", "decision"),
    2024: ("TLDR", "rating", "confidence", "decision"),
    2025: ("TLDR", "rating", "confidence", "decision"),
    2026: ("TLDR", "rating", "confidence", "decision"),
}


@pytest.mark.parametrize("year", YEARS)
def test_field_names(venues: dict[int, VenueConfig], year: int) -> None:
    fields = venues[year].fields
    assert (fields.tldr, fields.rating, fields.confidence, fields.decision) == FIELDS[year]


@pytest.mark.parametrize("year", YEARS)
def test_only_2020_reads_a_code_field(venues: dict[int, VenueConfig], year: int) -> None:
    # 2019's `code` key is an injected Papers-with-Code badge; only 2020 showed a genuine author field.
    assert venues[year].fields.code == ("code" if year == 2020 else None)


# Rating options: enforced only where iclr-years.md confirms the whole list. 2025 saw 3/5/6/8 only and 2026's
# scale is unknown (a 4 was seen), so neither may reject a rating.
SCALES: dict[int, tuple[int, ...] | None] = {
    2018: tuple(range(1, 11)),
    2019: tuple(range(1, 11)),
    2020: (1, 3, 6, 8),
    2021: tuple(range(1, 11)),
    2022: (1, 3, 5, 6, 8, 10),
    2023: (1, 3, 5, 6, 8, 10),
    2024: (1, 3, 5, 6, 8, 10),
    2025: None,
    2026: None,
}


@pytest.mark.parametrize("year", YEARS)
def test_rating_scales(venues: dict[int, VenueConfig], year: int) -> None:
    assert venues[year].fields.rating_scale == SCALES[year]


# --- reply invitations: the real ids match, comments and other years do not ---------------------------------

REVIEW_IDS: dict[int, str] = {
    2018: "ICLR.cc/2018/Conference/-/Paper951/Official_Review",  # observed (NK)
    2019: "ICLR.cc/2019/Conference/-/Paper1592/Official_Review",  # observed (NK)
    2020: "ICLR.cc/2020/Conference/Paper12/-/Official_Review",  # template Paper{N}/-/Official_Review
    2021: "ICLR.cc/2021/Conference/Paper3828/-/Official_Review",  # observed (NK)
    2022: "ICLR.cc/2022/Conference/Paper4724/-/Official_Review",  # template, paper of the observed decision
    2023: "ICLR.cc/2023/Conference/Paper5528/-/Official_Review",  # observed (TD)
    2024: "ICLR.cc/2024/Conference/Submission1909/-/Official_Review",  # template, paper of the AR signature
    2025: "ICLR.cc/2025/Conference/Submission11/-/Official_Review",  # template (second-hand)
    2026: "ICLR.cc/2026/Conference/Submission4956/-/Official_Review",  # observed (SAMPLE-2026)
}
DECISION_IDS: dict[int, str] = {
    2018: "ICLR.cc/2018/Conference/-/Acceptance_Decision",  # venue-wide
    2019: "ICLR.cc/2019/Conference/-/Paper1592/Meta_Review",  # observed; the decision is its recommendation
    2020: "ICLR.cc/2020/Conference/Paper7/-/Decision",
    2021: "ICLR.cc/2021/Conference/Paper3828/-/Decision",
    2022: "ICLR.cc/2022/Conference/Paper4724/-/Decision",  # observed (NK)
    2023: "ICLR.cc/2023/Conference/Paper5528/-/Decision",  # name second-hand
    2024: "ICLR.cc/2024/Conference/Submission1909/-/Decision",
    2025: "ICLR.cc/2025/Conference/Submission11/-/Decision",
    2026: "ICLR.cc/2026/Conference/Submission4956/-/Decision",
}
META_REVIEW_IDS: dict[int, str] = {
    2024: "ICLR.cc/2024/Conference/Submission1909/-/Meta_Review",
    2025: "ICLR.cc/2025/Conference/Submission11/-/Meta_Review",
    2026: "ICLR.cc/2026/Conference/Submission4956/-/Meta_Review",
}
# Replies that are neither reviews nor decisions, quoted in iclr-years.md / the real notes.
OTHER_IDS: dict[int, list[str]] = {
    2018: [
        "ICLR.cc/2018/Conference/-/Paper951/Official_Comment",
        "ICLR.cc/2018/Conference/-/Paper951/Public_Comment",
        "ICLR.cc/2018/Conference/-/Paper951/Meta_Review",  # defined, never public; not 2018's decision
        "ICLR.cc/2018/Conference/Paper951/-/Official_Review",  # 2020's shape
    ],
    2019: [
        "ICLR.cc/2019/Conference/-/Paper1592/Official_Comment",
        "ICLR.cc/2019/Conference/-/Paper1592/Public_Comment",
        "ICLR.cc/2019/Conference/-/Paper1592/Decision",
    ],
    2020: [
        "ICLR.cc/2020/Conference/Paper12/-/Official_Comment",
        "ICLR.cc/2020/Conference/Paper12/-/Public_Comment",
        "ICLR.cc/2020/Conference/Paper12/-/Meta_Review",
        "ICLR.cc/2020/Conference/-/Paper12/Decision",  # the form issue #718 lists; observed ids contradict it
    ],
    2021: [
        "ICLR.cc/2021/Conference/Paper3828/-/Official_Comment",
        "ICLR.cc/2021/Conference/Paper3828/-/Public_Comment",
    ],
    2022: [
        "ICLR.cc/2022/Conference/Paper4724/-/Official_Comment",
        "ICLR.cc/2022/Conference/Paper4724/-/Public_Comment",
    ],
    2023: ["ICLR.cc/2023/Conference/Paper5528/-/Official_Comment", "ICLR.cc/2023/Conference/Paper5528/-/Meta_Review"],
    2024: [
        "ICLR.cc/2024/Conference/Submission1647/-/Revision",
        "ICLR.cc/2024/Conference/-/Edit",
        "ICLR.cc/2024/Conference/Submission1647/-/Withdrawal",
        "ICLR.cc/2024/Conference/Paper1647/-/Official_Review",  # v1 shape in a v2 year
    ],
    2025: [
        "ICLR.cc/2025/Conference/Submission11/-/Official_Comment",
        "ICLR.cc/2025/Conference/Submission11/-/Desk_Rejection",
    ],
    2026: [
        "ICLR.cc/2026/Conference/Submission4956/-/Official_Comment",
        "ICLR.cc/2026/Conference/Submission4956/-/Rebuttal_Revision",
        "ICLR.cc/2026/Conference/Submission4956/-/Full_Submission",
        "ICLR.cc/2026/Conference/-/Edit",
        "ICLR.cc/2026/Conference/-/Official_Review",  # the parentInvitations of a real 2026 review
    ],
}


@pytest.mark.parametrize("year", YEARS)
def test_review_pattern_matches_the_years_review_id(venues: dict[int, VenueConfig], year: int) -> None:
    venue = venues[year]
    match = venue.review_pattern.match(REVIEW_IDS[year])
    assert match is not None
    assert match.group(1) in REVIEW_IDS[year]
    assert venue.decision_pattern.match(REVIEW_IDS[year]) is None


@pytest.mark.parametrize("year", YEARS)
def test_decision_pattern_matches_the_years_decision_id(venues: dict[int, VenueConfig], year: int) -> None:
    venue = venues[year]
    assert venue.decision_pattern.match(DECISION_IDS[year]) is not None
    assert venue.review_pattern.match(DECISION_IDS[year]) is None


@pytest.mark.parametrize("year", YEARS)
def test_meta_review_pattern(venues: dict[int, VenueConfig], year: int) -> None:
    venue = venues[year]
    if year in META_REVIEW_IDS:
        assert venue.meta_review_pattern is not None
        assert venue.meta_review_pattern.match(META_REVIEW_IDS[year])
        assert venue.decision_pattern.match(META_REVIEW_IDS[year]) is None
    else:
        assert venue.meta_review_pattern is None


@pytest.mark.parametrize("year", YEARS)
def test_comments_and_other_replies_match_nothing(venues: dict[int, VenueConfig], year: int) -> None:
    venue = venues[year]
    for invitation in OTHER_IDS[year]:
        assert venue.review_pattern.match(invitation) is None, invitation
        assert venue.decision_pattern.match(invitation) is None, invitation
        if venue.meta_review_pattern is not None:
            assert venue.meta_review_pattern.match(invitation) is None, invitation


@pytest.mark.parametrize("year", YEARS)
def test_no_year_reads_another_years_replies(venues: dict[int, VenueConfig], year: int) -> None:
    venue = venues[year]
    for other in YEARS:
        if other != year:
            assert venue.review_pattern.match(REVIEW_IDS[other]) is None
            assert venue.decision_pattern.match(DECISION_IDS[other]) is None


def test_2018_decision_scope_is_venue_wide(venues: dict[int, VenueConfig]) -> None:
    assert venues[2018].replies.decision_scope == "venue"
    assert all(venues[year].replies.decision_scope == "paper" for year in YEARS if year != 2018)


def _quoted_invitations(text: str) -> list[tuple[int, str]]:
    found = []
    for quoted in re.findall(r"`(ICLR\.cc/(\d{4})/Conference/[^`\s]*)`", text):
        invitation, year = quoted
        # Regexes and `..` ranges are prose, not ids; a {N} template gets a paper number.
        if "[" in invitation or "*" in invitation or ".." in invitation:
            continue
        found.append((int(year), invitation.replace("{N}", "17")))
    return found


def test_every_invitation_quoted_in_iclr_years_md_is_read_as_it_says(venues: dict[int, VenueConfig]) -> None:
    if not ICLR_YEARS_DOC.is_file():
        pytest.skip(f"{ICLR_YEARS_DOC} not found: this test reads the shared ICLR year notes")
    quoted = _quoted_invitations(ICLR_YEARS_DOC.read_text(encoding="utf-8"))
    checked = 0
    for year, invitation in quoted:
        if year not in venues or "/-/" not in invitation:
            continue  # a group or signature id, not an invitation
        venue = venues[year]
        name = invitation.rsplit("/", 1)[1]
        meta = venue.meta_review_pattern
        kind = {
            "review": bool(venue.review_pattern.match(invitation)),
            "decision": bool(venue.decision_pattern.match(invitation)),
            "meta": bool(meta and meta.match(invitation)),
            "listing": invitation in {listing.invitation for listing in venue.listings},
        }
        if name == "Official_Review":
            wanted = "review"
        elif name in ("Decision", "Acceptance_Decision") or (name == "Meta_Review" and year == 2019):
            wanted = "decision"
        elif name == "Meta_Review":
            wanted = "meta"
        elif name.endswith("Submission") and name != "Post_Submission":
            # v2 lists -/Submission only: -/Blind_Submission returns nothing there, and a -/Withdrawn_Submission
            # listing would fetch withdrawn papers twice.
            wanted = "listing" if (venue.api_version == 1) != (name == "Submission") else "none"
        else:
            wanted = "none"
        assert [k for k, hit in kind.items() if hit] == ([] if wanted == "none" else [wanted]), invitation
        checked += 1
    assert checked >= 25  # the document quotes this many; far fewer means the pattern above broke


# --- decision strings --------------------------------------------------------------------------------------

# Every decision string iclr-years.md gives for the year, with the meaning it implies. 2026 has none
# confirmed; 2025's are expected to carry over.
DECISIONS: dict[int, dict[str, tuple[str, str | None]]] = {
    2018: {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
        "Invite to Workshop Track": ("rejected", None),
    },
    2019: {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
        "Invite to Workshop Track": ("rejected", None),  # a form option, rewritten to Reject when published
    },
    2020: {
        "Accept (Talk)": ("accepted", "talk"),
        "Accept (Spotlight)": ("accepted", "spotlight"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
    2021: {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Spotlight)": ("accepted", "spotlight"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
    2022: {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Spotlight)": ("accepted", "spotlight"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
    2023: {
        "Accept: notable-top-5%": ("accepted", "oral"),
        "Accept: notable-top-25%": ("accepted", "spotlight"),
        "Accept: poster": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
    2024: {
        "Accept (oral)": ("accepted", "oral"),
        "Accept (spotlight)": ("accepted", "spotlight"),
        "Accept (poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
    2025: {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Spotlight)": ("accepted", "spotlight"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
    2026: {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Spotlight)": ("accepted", "spotlight"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    },
}


@pytest.mark.parametrize("year", YEARS)
def test_every_documented_decision_string_is_mapped(venues: dict[int, VenueConfig], year: int) -> None:
    meanings = {name: (d.status, d.presentation) for name, d in venues[year].decisions.items()}
    assert meanings == DECISIONS[year]


@pytest.mark.parametrize("year", YEARS)
def test_decision_strings_are_exact(venues: dict[int, VenueConfig], year: int) -> None:
    # Case is not folded for decisions: 2024 writes "Accept (poster)", 2025 "Accept (Poster)".
    decisions = venues[year].decisions
    for name in DECISIONS[year]:
        if name.swapcase() != name:
            assert name.swapcase() not in decisions


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_v2_presentation_strings(venues: dict[int, VenueConfig], year: int) -> None:
    venue = venues[year]
    for tier in ("oral", "spotlight", "poster"):
        assert venue.presentation_of(f"ICLR {year} {tier}") == tier
        assert venue.presentation_of(f"ICLR {year} {tier.capitalize()}") == tier
    assert venue.presentation_of(f"Submitted to ICLR {year}") is None
    assert venue.presentation_of(f"ICLR {year} Conference Submission") is None
    assert venue.presentation_of(f"ICLR {year - 1} oral") is None


def test_v1_notes_with_a_venueid_are_not_read_by_it(venues: dict[int, VenueConfig]) -> None:
    # 2023 serves "ICLR 2023 poster" and "Submitted to ICLR 2023" under the same venueid.
    assert venues[2023].venue_ids == {}
    assert venues[2023].presentation == {}


# --- the venue group ---------------------------------------------------------------------------------------


def _v2_group() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE_2024.read_text(encoding="utf-8"))
    return dict(data["group"])


def _v1_group(venue_id: str) -> dict[str, Any]:
    # The keys the v1 fake server answers with: a v1 group has no `domain`.
    return {
        "id": venue_id,
        "cdate": None,
        "ddate": None,
        "tcdate": 1565986000000,
        "tmdate": 1565986000000,
        "writers": [venue_id],
        "members": [],
        "readers": ["everyone"],
        "nonreaders": [],
        "signatories": [venue_id],
        "signatures": ["~Super_User1"],
        "web": None,
    }


def test_group_api_version() -> None:
    assert group_api_version(_v2_group()) == 2
    assert group_api_version(_v1_group("ICLR.cc/2020/Conference")) == 1


def test_v2_group_matches_the_2024_config(venues: dict[int, VenueConfig]) -> None:
    check_venue_group(venues[2024], _v2_group())


@pytest.mark.parametrize("year", range(2018, 2024))
def test_v1_group_matches_v1_configs(venues: dict[int, VenueConfig], year: int) -> None:
    check_venue_group(venues[year], _v1_group(f"ICLR.cc/{year}/Conference"))


def test_v1_group_for_a_v2_config_is_an_error(venues: dict[int, VenueConfig]) -> None:
    with pytest.raises(ConfigError) as info:
        check_venue_group(venues[2024], _v1_group("ICLR.cc/2024/Conference"))
    message = str(info.value)
    assert "api_version = 2" in message
    assert "API v1 group" in message
    assert info.value.exit_code == 2


def test_v2_group_for_a_v1_config_is_an_error(venues: dict[int, VenueConfig]) -> None:
    group = _v2_group() | {"id": "ICLR.cc/2023/Conference", "domain": "ICLR.cc/2023/Conference"}
    with pytest.raises(ConfigError, match="api_version = 1 but the venue group is an API v2 group"):
        check_venue_group(venues[2023], group)


def test_group_of_another_venue_is_an_error(venues: dict[int, VenueConfig]) -> None:
    with pytest.raises(ConfigError, match=re.escape("'ICLR.cc/2024/Conference', not 'ICLR.cc/2025/Conference'")):
        check_venue_group(venues[2025], _v2_group())


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("submission_id", "ICLR.cc/2024/Conference/-/Blind_Submission", "submission_id"),
        ("rejected_venue_id", "ICLR.cc/2024/Conference/Rejected", "rejected_venue_id"),
        ("withdrawn_venue_id", "ICLR.cc/2024/Conference/Withdrawn", "withdrawn_venue_id"),
        ("review_name", "Review", "review_name"),
        ("decision_name", "Final_Decision", "decision_name"),
        ("meta_review_name", "Metareview", "meta_review_name"),
        ("decision_field_name", "recommendation", "decision_field_name"),
        ("review_rating", "overall_rating", "review_rating"),
        ("accept_decision_options", ["Accept (oral)", "Accept (Spotlight)"], "'Accept (Spotlight)'"),
    ],
)
def test_v2_group_disagreeing_with_the_config(
    venues: dict[int, VenueConfig], key: str, value: Any, complaint: str
) -> None:
    group = _v2_group()
    group["content"] = dict(group["content"]) | {key: {"value": value}}
    with pytest.raises(ConfigError) as info:
        check_venue_group(venues[2024], group)
    assert complaint in str(info.value)


def test_v2_group_without_names_is_accepted(venues: dict[int, VenueConfig]) -> None:
    # Which keys a group carries changed over openreview-py releases; a missing key is not a mismatch.
    group = _v2_group() | {"content": {"title": {"value": "ICLR 2026"}}}
    group = group | {"id": "ICLR.cc/2026/Conference", "domain": "ICLR.cc/2026/Conference"}
    check_venue_group(venues[2026], group)


# --- config validation for the new keys --------------------------------------------------------------------

V2_CONFIG = """\
key = "testv2"
name = "Test V2"
venue_id = "Test.cc/2024/Conference"
api_version = 2
year = 2024

[[listings]]
invitation = "Test.cc/2024/Conference/-/Submission"
status = "decided"

[replies]
review = "Test.cc/2024/Conference/Submission{number}/-/Official_Review"
decision = "Test.cc/2024/Conference/Submission{number}/-/Decision"

[venue_ids]
"Test.cc/2024/Conference" = "accepted"
"Test.cc/2024/Conference/Rejected_Submission" = "rejected"

[decisions]
"Accept" = { status = "accepted", presentation = "poster" }
"Reject" = { status = "rejected" }
"""


def _load(tmp_path: Path, text: str) -> VenueConfig:
    path = tmp_path / "testv2.toml"
    path.write_text(text, encoding="utf-8")
    return load_venue_file(path)


def _problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    return str(info.value)


def test_minimal_v2_config_loads(tmp_path: Path) -> None:
    venue = _load(tmp_path, V2_CONFIG)
    assert venue.venueid_status("Test.cc/2024/Conference/Rejected_Submission") == "rejected"
    with pytest.raises(KeyError):
        venue.venueid_status("Test.cc/2024/Conference/Withdrawn_Submission")
    assert venue.presentation_of("anything") is None


def test_v2_config_needs_venue_ids(tmp_path: Path) -> None:
    text = re.sub(r"\[venue_ids\]\n(.*\n){2}", "", V2_CONFIG)
    assert "[venue_ids]" not in text
    assert "api_version = 2 needs [venue_ids]" in _problem(tmp_path, text)


def test_v2_listing_cannot_fix_a_status(tmp_path: Path) -> None:
    withdrawn = '[[listings]]\ninvitation = "Test.cc/2024/Conference/-/Withdrawn_Submission"\nstatus = "withdrawn"\n'
    text = V2_CONFIG.replace("[replies]", withdrawn + "\n[replies]")
    assert 'listings must have status = "decided"' in _problem(tmp_path, text)


def test_v1_config_cannot_have_venue_ids(tmp_path: Path) -> None:
    text = V2_CONFIG.replace("api_version = 2", "api_version = 1")
    assert "venue_ids and presentation are read for api_version = 2 only" in _problem(tmp_path, text)


def test_presentation_keys_differing_only_in_case(tmp_path: Path) -> None:
    text = V2_CONFIG + '\n[presentation]\n"Test 2024 Oral" = "oral"\n"test 2024  oral" = "oral"\n'
    assert "differ only in case or spacing" in _problem(tmp_path, text)


def test_unknown_presentation_value(tmp_path: Path) -> None:
    text = V2_CONFIG + '\n[presentation]\n"Test 2024 Oral" = "keynote"\n'
    assert "presentation.Test 2024 Oral" in _problem(tmp_path, text)


def test_unknown_venueid_status(tmp_path: Path) -> None:
    text = V2_CONFIG.replace('"rejected"\n\n[decisions]', '"declined"\n\n[decisions]')
    assert "venue_ids.Test.cc/2024/Conference/Rejected_Submission" in _problem(tmp_path, text)


def test_venue_wide_decision_must_not_have_a_number(tmp_path: Path) -> None:
    text = V2_CONFIG.replace(
        'decision = "Test.cc/2024/Conference/Submission{number}/-/Decision"',
        'decision = "Test.cc/2024/Conference/Submission{number}/-/Decision"\ndecision_scope = "venue"',
    )
    assert "must not contain {number}" in _problem(tmp_path, text)


def test_venue_wide_decision_without_a_number_loads(tmp_path: Path) -> None:
    text = V2_CONFIG.replace(
        'decision = "Test.cc/2024/Conference/Submission{number}/-/Decision"',
        'decision = "Test.cc/2024/Conference/-/Acceptance_Decision"\ndecision_scope = "venue"',
    )
    venue = _load(tmp_path, text)
    assert venue.decision_pattern.match("Test.cc/2024/Conference/-/Acceptance_Decision")
    assert venue.decision_pattern.match("Test.cc/2024/Conference/-/Acceptance_Decision_Revision") is None


def test_unknown_decision_scope(tmp_path: Path) -> None:
    text = V2_CONFIG.replace('/-/Decision"', '/-/Decision"\ndecision_scope = "forum"')
    assert "replies.decision_scope" in _problem(tmp_path, text)


def test_meta_review_needs_its_text_field(tmp_path: Path) -> None:
    text = V2_CONFIG.replace(
        '/-/Decision"', '/-/Decision"\nmeta_review = "Test.cc/2024/Conference/Submission{number}/-/Meta_Review"'
    )
    assert "replies.meta_review and fields.meta_review go together" in _problem(tmp_path, text)
    with_field = text + '\n[fields]\nmeta_review = "metareview"\n'
    assert _load(tmp_path, with_field).meta_review_pattern is not None


def test_meta_review_template_needs_a_number(tmp_path: Path) -> None:
    meta_review = '/-/Decision"\nmeta_review = "Test.cc/2024/Conference/-/Meta_Review"'
    text = V2_CONFIG.replace('/-/Decision"', meta_review) + '\n[fields]\nmeta_review = "metareview"\n'
    assert "replies.meta_review must contain {number}" in _problem(tmp_path, text)


def test_empty_rating_scale(tmp_path: Path) -> None:
    text = V2_CONFIG + "\n[fields]\nrating_scale = []\n"
    assert "fields.rating_scale" in _problem(tmp_path, text)


# --- 2018: decisions from the venue-wide invitation --------------------------------------------------------

FORUM_2018 = "r1gs9JgRZ"
CONFIDENCE_4 = "4: The reviewer is confident but not absolutely certain that the evaluation is correct"
NUMBER_2018 = 951


def _submission_2018(forum: str = FORUM_2018, number: int = NUMBER_2018) -> dict[str, Any]:
    """A 2018 Blind_Submission with one review, shaped like the NK 2018 notes (content per ORS config.py)."""
    return {
        "id": forum,
        "original": "Hyx9JgRZ0",
        "number": number,
        "cdate": 1509139999000,
        "tcdate": 1509139999000,
        "tmdate": 1519000000000,
        "ddate": None,
        "forum": forum,
        "referent": None,
        "invitation": "ICLR.cc/2018/Conference/-/Blind_Submission",
        "replyto": None,
        "readers": ["everyone"],
        "nonreaders": [],
        "signatures": ["ICLR.cc/2018/Conference"],
        "writers": ["ICLR.cc/2018/Conference"],
        "content": {
            "title": "A Fictional Paper",
            "authors": ["Anonymous"],
            "authorids": [f"ICLR.cc/2018/Conference/Paper{number}/Authors"],
            "keywords": ["testing"],
            "TL;DR": "  A short summary. ",
            "abstract": "An abstract.",
            "pdf": "/pdf/abc.pdf",
        },
        "details": {
            "directReplies": [
                {
                    "id": "SkXyzReview",
                    "original": None,
                    "number": 2,
                    "cdate": None,
                    "tcdate": 1511800000000,
                    "tmdate": 1515600000000,
                    "ddate": None,
                    "tddate": None,
                    "forum": forum,
                    "replyto": forum,
                    "invitation": f"ICLR.cc/2018/Conference/-/Paper{number}/Official_Review",
                    "signatures": [f"ICLR.cc/2018/Conference/Paper{number}/AnonReviewer2"],
                    "readers": ["everyone"],
                    "nonreaders": [],
                    "writers": [f"ICLR.cc/2018/Conference/Paper{number}/AnonReviewer2"],
                    "content": {
                        "title": "Solid",
                        "review": "Fine.",
                        "rating": "7: Good paper, accept",
                        "confidence": CONFIDENCE_4,
                    },
                }
            ]
        },
    }


def _acceptance_decision(decision: str, forum: str = FORUM_2018, note_id: str = "BkDecision1") -> dict[str, Any]:
    """A 2018 decision note as ORS post-acceptance-decisions.py posts it (forum = replyto = the paper)."""
    return {
        "id": note_id,
        "original": None,
        "number": 1,
        "cdate": None,
        "tcdate": 1517260000000,
        "tmdate": 1517260000000,
        "ddate": None,
        "tddate": None,
        "forum": forum,
        "replyto": forum,
        "invitation": "ICLR.cc/2018/Conference/-/Acceptance_Decision",
        "signatures": ["ICLR.cc/2018/Conference/Program_Chairs"],
        "readers": ["everyone"],
        "nonreaders": [],
        "writers": ["ICLR.cc/2018/Conference/Program_Chairs"],
        "content": {
            "title": "ICLR 2018 Conference Acceptance Decision",
            "decision": decision,
            "comment": "The area chair's summary.",
        },
    }


@pytest.mark.parametrize(
    ("decision", "status", "presentation"),
    [
        ("Accept (Oral)", "accepted", "oral"),
        ("Accept (Poster)", "accepted", "poster"),
        ("Invite to Workshop Track", "rejected", None),
        ("Reject", "rejected", None),
    ],
)
def test_2018_decision_comes_from_the_venue_wide_listing(
    venues: dict[int, VenueConfig], decision: str, status: str, presentation: str | None
) -> None:
    decisions = group_by_forum([_acceptance_decision(decision), _acceptance_decision("Reject", "other", "x")])
    record = normalize_note(_submission_2018(), venues[2018], decisions_by_forum=decisions)
    assert (record.paper.status, record.paper.presentation) == (status, presentation)
    assert record.paper.decision == decision  # kept, so workshop invitations stay distinguishable
    assert record.decision is not None
    assert record.decision.decision_id == "BkDecision1"
    assert record.decision.comment == "The area chair's summary."
    assert [r.rating for r in record.reviews] == [7]
    assert record.reviews[0].confidence == 4
    assert record.paper.tldr == "A short summary."


def test_2018_without_the_decisions_mapping_is_an_error(venues: dict[int, VenueConfig]) -> None:
    with pytest.raises(NormalizeError) as info:
        normalize_note(_submission_2018(), venues[2018])
    assert "decisions_by_forum" in str(info.value)
    assert "Acceptance_Decision" in str(info.value)


def test_2018_paper_without_a_decision_is_under_review(venues: dict[int, VenueConfig]) -> None:
    record = normalize_note(_submission_2018(), venues[2018], decisions_by_forum={})
    assert record.paper.status == "under-review"
    assert record.decision is None


def test_2018_decision_also_among_direct_replies_counts_once(venues: dict[int, VenueConfig]) -> None:
    note = _submission_2018()
    decision = _acceptance_decision("Accept (Poster)")
    note["details"]["directReplies"].append(copy.deepcopy(decision))
    record = normalize_note(note, venues[2018], decisions_by_forum=group_by_forum([decision]))
    assert record.decision is not None
    assert record.paper.status == "accepted"
    # Read from the direct replies alone, too: the mapping only has to be passed.
    assert normalize_note(note, venues[2018], decisions_by_forum={}).paper.decision == "Accept (Poster)"


def test_2018_unknown_decision_string_is_an_error(venues: dict[int, VenueConfig]) -> None:
    decisions = group_by_forum([_acceptance_decision("Accept (Workshop)")])
    with pytest.raises(NormalizeError, match="'Accept \\(Workshop\\)' is not in the iclr2018 config"):
        normalize_note(_submission_2018(), venues[2018], decisions_by_forum=decisions)


def test_2018_withdrawn_listing_wins_over_a_decision(venues: dict[int, VenueConfig]) -> None:
    note = _submission_2018() | {"invitation": "ICLR.cc/2018/Conference/-/Withdrawn_Submission"}
    record = normalize_note(note, venues[2018], decisions_by_forum=group_by_forum([_acceptance_decision("Reject")]))
    assert record.paper.status == "withdrawn"
    assert record.paper.decision == "Reject"


def test_2018_rating_off_the_scale_is_an_error(venues: dict[int, VenueConfig]) -> None:
    note = _submission_2018()
    note["details"]["directReplies"][0]["content"]["rating"] = "11: Off the chart"
    with pytest.raises(NormalizeError, match="rating 11 is not on the iclr2018 scale"):
        normalize_note(note, venues[2018], decisions_by_forum={})


# --- 2019: the decision is the meta-review's recommendation ------------------------------------------------

META_REVIEW_2019 = "openreview_raw_examples/iclr2019_meta_review_HJlQWqQreN_guest_v1.json"


@pytest.fixture(scope="module")
def meta_review_2019() -> dict[str, Any]:
    path = _shared_data() / META_REVIEW_2019
    if not path.is_file():
        pytest.skip(f"{path} not found: this test reads the real ICLR 2019 meta-review from ../shared/data")
    note: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return note


def _submission_2019(meta_review: dict[str, Any]) -> dict[str, Any]:
    forum = meta_review["forum"]
    number = int(re.search(r"Paper(\d+)/", meta_review["invitation"]).group(1))  # type: ignore[union-attr]
    note = _submission_2018(forum, number)
    note["invitation"] = "ICLR.cc/2019/Conference/-/Blind_Submission"
    review = note["details"]["directReplies"][0]
    review["invitation"] = f"ICLR.cc/2019/Conference/-/Paper{number}/Official_Review"
    review["signatures"] = review["writers"] = [f"ICLR.cc/2019/Conference/Paper{number}/AnonReviewer1"]
    note["details"]["directReplies"].append(meta_review)
    return note


def test_2019_meta_review_decides(venues: dict[int, VenueConfig], meta_review_2019: dict[str, Any]) -> None:
    record = normalize_note(_submission_2019(meta_review_2019), venues[2019])
    content = meta_review_2019["content"]
    assert record.decision is not None
    assert record.decision.decision == content["recommendation"]
    assert record.decision.decision_id == meta_review_2019["id"]
    assert record.decision.comment == content["metareview"].strip()
    meaning = venues[2019].decisions[content["recommendation"]]
    assert (record.paper.status, record.paper.presentation) == (meaning.status, meaning.presentation)
    assert record.paper.status == "accepted"  # the real example recommends "Accept (Poster)"
    assert len(record.reviews) == 1  # the meta-review is not a review


def test_2019_meta_review_is_not_a_decision_in_2018(venues: dict[int, VenueConfig]) -> None:
    note = _submission_2018()
    meta = _acceptance_decision("Accept (Oral)") | {
        "id": "MetaRev2018",
        "invitation": f"ICLR.cc/2018/Conference/-/Paper{NUMBER_2018}/Meta_Review",
        "content": {"title": "Meta-review", "metareview": "Text.", "recommendation": "Accept (Oral)"},
    }
    note["details"]["directReplies"].append(meta)
    record = normalize_note(note, venues[2018], decisions_by_forum={})
    assert record.decision is None
    assert record.paper.status == "under-review"


# --- venues beyond ICLR (../shared/docs/venues-beyond-iclr.md, section 3) -------------------------------------

# key -> (venue id, API version, [published] rejected, reviews). API: v1 before 2023 (NeurIPS 2021-2022, CoRL
# 2021-2023), v2 after; visibility: NeurIPS opt-in rejections, ICML/COLM/CoRL accepted papers only, ICML 2025
# reviews of accepted papers only, CoRL 2025 no reviews, TMLR everything but desk rejections.
BEYOND: dict[str, tuple[str, int, str, str]] = {
    "neurips2021": ("NeurIPS.cc/2021/Conference", 1, "opt-in", "public"),
    "neurips2022": ("NeurIPS.cc/2022/Conference", 1, "opt-in", "public"),
    "neurips2023": ("NeurIPS.cc/2023/Conference", 2, "opt-in", "public"),
    "neurips2024": ("NeurIPS.cc/2024/Conference", 2, "opt-in", "public"),
    "neurips2025": ("NeurIPS.cc/2025/Conference", 2, "opt-in", "public"),
    "neurips2021-db-round1": ("NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round1", 1, "opt-in", "public"),
    "neurips2021-db-round2": ("NeurIPS.cc/2021/Track/Datasets_and_Benchmarks/Round2", 1, "opt-in", "public"),
    "neurips2022-db": ("NeurIPS.cc/2022/Track/Datasets_and_Benchmarks", 1, "opt-in", "public"),
    "neurips2023-db": ("NeurIPS.cc/2023/Track/Datasets_and_Benchmarks", 2, "opt-in", "public"),
    "neurips2024-db": ("NeurIPS.cc/2024/Datasets_and_Benchmarks_Track", 2, "opt-in", "public"),
    "neurips2025-db": ("NeurIPS.cc/2025/Datasets_and_Benchmarks_Track", 2, "opt-in", "public"),
    "icml2023": ("ICML.cc/2023/Conference", 2, "none", "none"),
    "icml2024": ("ICML.cc/2024/Conference", 2, "none", "none"),
    "icml2025": ("ICML.cc/2025/Conference", 2, "none", "accepted-only"),
    "colm2024": ("colmweb.org/COLM/2024/Conference", 2, "none", "public"),
    "colm2025": ("colmweb.org/COLM/2025/Conference", 2, "none", "public"),
    "corl2021": ("robot-learning.org/CoRL/2021/Conference", 1, "none", "public"),
    "corl2022": ("robot-learning.org/CoRL/2022/Conference", 1, "none", "public"),
    "corl2023": ("robot-learning.org/CoRL/2023/Conference", 1, "none", "public"),
    "corl2024": ("robot-learning.org/CoRL/2024/Conference", 2, "none", "public"),
    "corl2025": ("robot-learning.org/CoRL/2025/Conference", 2, "none", "none"),
    "tmlr": ("TMLR", 2, "all", "public"),
}


@pytest.fixture(scope="module")
def beyond() -> dict[str, VenueConfig]:
    return load_all_venues(REPO_CONFIGS)


def test_every_shipped_config_is_an_iclr_year_or_a_venue_beyond() -> None:
    assert set(load_all_venues(REPO_CONFIGS)) == {f"iclr{year}" for year in YEARS} | set(BEYOND)


@pytest.mark.parametrize("key", BEYOND)
def test_beyond_identity_api_and_visibility(beyond: dict[str, VenueConfig], key: str) -> None:
    venue = beyond[key]
    venue_id, api, rejected, reviews = BEYOND[key]
    assert (venue.venue_id, venue.api_version) == (venue_id, api)
    assert (venue.published.rejected, venue.published.reviews) == (rejected, reviews)


@pytest.mark.parametrize("key", BEYOND)
def test_beyond_reply_invitations(beyond: dict[str, VenueConfig], key: str) -> None:
    venue = beyond[key]
    base = venue.venue_id
    if key == "tmlr":
        paper, review = "TMLR/Paper17", "Review"
    elif venue.api_version == 2:
        paper, review = f"{base}/Submission17", "Official_Review"
    else:
        paper, review = f"{base}/Paper17", "Official_Review"
    assert venue.review_pattern.match(f"{paper}/-/{review}")
    decision = "Meta_Review" if key == "corl2022" else "Decision"  # CoRL 2022 decided in the meta-review
    assert venue.decision_pattern.match(f"{paper}/-/{decision}")
    for other in ("Official_Comment", "Public_Comment", "Withdrawal"):
        assert not venue.review_pattern.match(f"{paper}/-/{other}")
        assert not venue.decision_pattern.match(f"{paper}/-/{other}")


@pytest.mark.parametrize("key", [k for k, (_, api, _, _) in BEYOND.items() if api == 2])
def test_beyond_v2_venueids_include_openreview_py_defaults(beyond: dict[str, VenueConfig], key: str) -> None:
    venue = beyond[key]
    base = venue.venue_id
    if key == "tmlr":
        # openreview-py journal/journal.py: hard-coded ids, not the conference defaults.
        assert venue.venue_ids == {
            "TMLR": "accepted",
            "TMLR/Submitted": "submitted",
            "TMLR/Assigning_AE": "submitted",
            "TMLR/Assigned_AE": "submitted",
            "TMLR/Under_Review": "under-review",
            "TMLR/Decision_Pending": "decision-pending",
            "TMLR/Rejected": "rejected",
            "TMLR/Desk_Rejected": "desk-rejected",
            "TMLR/Withdrawn_Submission": "withdrawn",
            "TMLR/Retracted_Acceptance": "retracted",
        }
        return
    assert [listing.invitation for listing in venue.listings] == [f"{base}/-/Submission"]
    assert venue.venue_ids == {
        base: "accepted",
        f"{base}/Rejected_Submission": "rejected",
        f"{base}/Withdrawn_Submission": "withdrawn",
        f"{base}/Desk_Rejected_Submission": "desk-rejected",
        f"{base}/Submission": "under-review",
    }


# Tier strings the shared doc quotes (section 3 and paperbot): each must give its presentation.
QUOTED_VENUE_STRINGS: dict[str, dict[str, str]] = {
    "neurips2023": {
        "NeurIPS 2023 poster": "poster",
        "NeurIPS 2023 spotlight": "spotlight",
        "NeurIPS 2023 oral": "oral",
    },
    "neurips2024": {"NeurIPS 2024 poster": "poster"},
    "neurips2025": {"NeurIPS 2025 poster": "poster"},
    "neurips2023-db": {"NeurIPS 2023 Datasets and Benchmarks Poster": "poster"},
    "neurips2024-db": {"NeurIPS 2024 Track Datasets and Benchmarks Poster": "poster"},
    "neurips2025-db": {"NeurIPS 2025 Datasets and Benchmarks Track poster": "poster"},
    "icml2023": {"ICML 2023 Poster": "poster", "ICML 2023 Oral": "oral"},
    "icml2024": {"ICML 2024 Poster": "poster", "ICML 2024 Spotlight": "spotlight", "ICML 2024 Oral": "oral"},
}


@pytest.mark.parametrize("key", QUOTED_VENUE_STRINGS)
def test_beyond_quoted_venue_strings(beyond: dict[str, VenueConfig], key: str) -> None:
    for text, presentation in QUOTED_VENUE_STRINGS[key].items():
        assert beyond[key].presentation_of(text) == presentation


@pytest.mark.parametrize("key", ["corl2021", "corl2022", "corl2023", "corl2024", "corl2025"])
def test_corl_reads_recommendation_words_with_the_typo(beyond: dict[str, VenueConfig], key: str) -> None:
    venue = beyond[key]
    assert venue.fields.rating == "recommendation"
    # paperbot's rmap (corl.json), the form's misspelling included.
    expected = {"Strong Reject": 1, "Reject": 3, "Weak Reject": 4, "Boarderline": 5, "Weak Accept": 6, "Accept": 8}
    assert {word: venue.rating_of_word(word) for word in expected} == expected
    assert venue.rating_of_word("Strong Accept") == 10


def test_tmlr_reads_journal_fields(beyond: dict[str, VenueConfig]) -> None:
    venue = beyond["tmlr"]
    assert venue.fields.certifications == "certifications"
    assert venue.fields.decision == "recommendation"
    assert venue.recommendation_pattern is not None
    assert venue.recommendation_pattern.match("TMLR/Paper17/-/Official_Recommendation")
    assert {text: m.status for text, m in venue.decisions.items()} == {
        "Accept as is": "accepted",
        "Accept with minor revision": "accepted",
        "Reject": "rejected",
    }
