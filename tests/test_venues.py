"""Venue configs: the shipped ICLR 2020 file, lookup by key or venue id, and every way a config can be wrong."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from paperharvest.errors import ConfigError
from paperharvest.settings import REPO_CONFIGS
from paperharvest.venues import VenueConfig, find_venue, load_all_venues, load_venue_file

ICLR2020_FILE = REPO_CONFIGS / "iclr2020.toml"
VENUE_ID = "ICLR.cc/2020/Conference"

# A minimal valid config, as TOML text; tests break it one way at a time.
VALID = """\
key = "{key}"
name = "Test Venue"
venue_id = "Test.cc/2021/Conference"
api_version = 1
year = 2021

[[listings]]
invitation = "Test.cc/2021/Conference/-/Blind_Submission"
status = "decided"

[replies]
review = "Test.cc/2021/Conference/Paper{{number}}/-/Official_Review"
decision = "Test.cc/2021/Conference/Paper{{number}}/-/Decision"

[decisions]
"Accept" = {{ status = "accepted", presentation = "poster" }}
"Reject" = {{ status = "rejected" }}
"""


def _write(folder: Path, key: str, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.toml"
    path.write_text(VALID.format(key=key) if text is None else text, encoding="utf-8")
    return path


def _valid(key: str = "testvenue") -> str:
    return VALID.format(key=key)


# --- the shipped config -------------------------------------------------------------------------------------


def test_shipped_iclr2020_loads() -> None:
    config = load_venue_file(ICLR2020_FILE)
    raw = tomllib.loads(ICLR2020_FILE.read_text(encoding="utf-8"))
    assert config.key == "iclr2020"
    assert config.venue_id == VENUE_ID
    assert config.api_version == 1  # ICLR 2020 is only on API v1
    assert config.year == 2020
    assert len(config.listings) == 3
    assert [listing.invitation for listing in config.listings] == [item["invitation"] for item in raw["listings"]]
    assert {listing.invitation: listing.status for listing in config.listings} == {
        f"{VENUE_ID}/-/Blind_Submission": "decided",
        f"{VENUE_ID}/-/Withdrawn_Submission": "withdrawn",
        f"{VENUE_ID}/-/Desk_Rejected_Submission": "desk-rejected",
    }


def test_shipped_iclr2020_decisions() -> None:
    config = load_venue_file(ICLR2020_FILE)
    assert set(config.decisions) == {"Accept (Talk)", "Accept (Spotlight)", "Accept (Poster)", "Reject"}
    meanings = {name: (d.status, d.presentation) for name, d in config.decisions.items()}
    assert meanings == {
        "Accept (Talk)": ("accepted", "talk"),
        "Accept (Spotlight)": ("accepted", "spotlight"),
        "Accept (Poster)": ("accepted", "poster"),
        "Reject": ("rejected", None),
    }


def test_shipped_iclr2020_fields() -> None:
    fields = load_venue_file(ICLR2020_FILE).fields
    assert fields.tldr == "TL;DR"
    assert fields.code == "code"
    assert fields.rating == "rating"
    assert fields.confidence is None  # the 2020 review form had no confidence
    assert fields.decision == "decision"
    assert fields.decision_comment == "comment"


def test_listing_status_lookup() -> None:
    config = load_venue_file(ICLR2020_FILE)
    assert config.listing_status(f"{VENUE_ID}/-/Withdrawn_Submission") == "withdrawn"
    with pytest.raises(KeyError):
        config.listing_status(f"{VENUE_ID}/-/Submission")


def test_every_shipped_config_loads() -> None:
    venues = load_all_venues(REPO_CONFIGS)
    assert "iclr2020" in venues
    for key, config in venues.items():
        assert config.key == key


# --- find_venue ---------------------------------------------------------------------------------------------


def test_find_venue_by_key() -> None:
    config = find_venue(REPO_CONFIGS, "iclr2020")
    assert config.venue_id == VENUE_ID


def test_find_venue_by_venue_id() -> None:
    config = find_venue(REPO_CONFIGS, VENUE_ID)
    assert config.key == "iclr2020"


def test_find_venue_key_is_case_insensitive() -> None:
    assert find_venue(REPO_CONFIGS, "ICLR2020").key == "iclr2020"


def test_find_venue_by_id_in_a_folder_of_several(tmp_path: Path) -> None:
    _write(tmp_path, "alpha")
    _write(tmp_path, "beta", _valid("beta").replace("Test.cc/2021/Conference", "Beta.cc/2022/Workshop"))
    assert find_venue(tmp_path, "Beta.cc/2022/Workshop").key == "beta"
    assert find_venue(tmp_path, "Test.cc/2021/Conference").key == "alpha"


def test_unknown_venue_lists_known_ones(tmp_path: Path) -> None:
    _write(tmp_path, "alpha")
    _write(tmp_path, "beta", _valid("beta").replace("Test.cc/2021", "Beta.cc/2022"))
    with pytest.raises(ConfigError) as info:
        find_venue(tmp_path, "neurips2020")
    message = str(info.value)
    assert "'neurips2020'" in message
    assert "alpha, beta" in message
    assert str(tmp_path) in message
    assert info.value.exit_code == 2


def test_unknown_venue_id_against_shipped_configs() -> None:
    with pytest.raises(ConfigError) as info:
        find_venue(REPO_CONFIGS, "NeurIPS.cc/1987/Conference")
    assert "NeurIPS.cc/1987/Conference" in str(info.value)
    assert "iclr2020" in str(info.value)


def test_unknown_venue_in_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="known venues: none"):
        find_venue(tmp_path, "iclr2020")


def test_missing_configs_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(ConfigError) as info:
        find_venue(missing, "iclr2020")
    assert str(missing) in str(info.value)
    assert "PAPERHARVEST_CONFIGS" in str(info.value)


# --- broken configs -----------------------------------------------------------------------------------------


def _problem(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_venue_file(path)
    message = str(info.value)
    assert str(path) in message
    assert info.value.__cause__ is None
    return message


def test_valid_template_config_loads(tmp_path: Path) -> None:
    # Guards the tests below: each breaks exactly one thing of a config that is otherwise fine.
    config = load_venue_file(_write(tmp_path, "testvenue"))
    assert config.key == "testvenue"
    assert config.fields.tldr is None
    assert config.site_url == "https://openreview.net"


def test_bad_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, "testvenue", _valid() + '\nname = "unterminated\n')
    message = _problem(path)
    assert "not valid TOML" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "testvenue.toml"
    path.write_bytes(_valid().replace("Test Venue", "Caf\xe9").encode("latin-1"))
    assert "not valid TOML" in _problem(path)


@pytest.mark.parametrize("field", ["name", "venue_id", "api_version", "year"])
def test_missing_required_field(tmp_path: Path, field: str) -> None:
    text = "\n".join(line for line in _valid().splitlines() if not line.startswith(f"{field} ="))
    message = _problem(_write(tmp_path, "testvenue", text))
    assert f"{field}: Field required" in message


def test_missing_replies_table(tmp_path: Path) -> None:
    text = re.sub(r"\[replies\]\n(.*\n){2}", "", _valid())
    assert "[replies]" not in text
    assert "replies: Field required" in _problem(_write(tmp_path, "testvenue", text))


def test_unknown_top_level_field(tmp_path: Path) -> None:
    text = _valid().replace("year = 2021", 'year = 2021\ncolour = "blue"')
    message = _problem(_write(tmp_path, "testvenue", text))
    assert "colour" in message
    assert "Extra inputs are not permitted" in message


def test_unknown_field_inside_a_table(tmp_path: Path) -> None:
    text = _valid() + '\n[fields]\ntldr = "TL;DR"\nconfidnce = "confidence"\n'
    message = _problem(_write(tmp_path, "testvenue", text))
    assert "fields.confidnce" in message


@pytest.mark.parametrize("which", ["review", "decision"])
def test_replies_template_without_number(tmp_path: Path, which: str) -> None:
    name = "Official_Review" if which == "review" else "Decision"
    text = _valid().replace(f"Paper{{number}}/-/{name}", f"Paper1/-/{name}")
    assert text != _valid()
    message = _problem(_write(tmp_path, "testvenue", text))
    assert f"replies.{which} must contain {{number}}" in message


def test_unknown_listing_status(tmp_path: Path) -> None:
    text = _valid().replace('status = "decided"', 'status = "accepted"')
    message = _problem(_write(tmp_path, "testvenue", text))
    assert "listings.0.status" in message


def test_no_listings(tmp_path: Path) -> None:
    text = re.sub(r"\[\[listings\]\]\n.*\n.*\n", "", _valid()).replace("year = 2021", "year = 2021\nlistings = []")
    assert "[[listings]]" not in text
    assert "listings: List should have at least 1 item" in _problem(_write(tmp_path, "testvenue", text))


def test_no_decisions(tmp_path: Path) -> None:
    text = _valid().split("[decisions]")[0].replace("year = 2021", "year = 2021\ndecisions = {}")
    assert "decisions: Dictionary should have at least 1 item" in _problem(_write(tmp_path, "testvenue", text))


def test_bad_key_pattern(tmp_path: Path) -> None:
    path = tmp_path / "Bad Key.toml"
    path.write_text(_valid("Bad Key"), encoding="utf-8")
    assert "key:" in _problem(path)


def test_key_must_match_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "iclr2021", _valid("iclr2020"))
    message = _problem(path)
    assert "'iclr2020'" in message
    assert "'iclr2021'" in message
    assert "file name" in message


def test_broken_config_stops_lookup_by_venue_id(tmp_path: Path) -> None:
    _write(tmp_path, "good")
    broken = _write(tmp_path, "broken", "this is = = not toml")
    with pytest.raises(ConfigError) as info:
        find_venue(tmp_path, "Test.cc/2021/Conference")
    assert str(broken) in str(info.value)


def test_lookup_by_key_reads_only_that_file(tmp_path: Path) -> None:
    _write(tmp_path, "good")
    _write(tmp_path, "broken", "this is = = not toml")
    assert find_venue(tmp_path, "good").key == "good"


# --- reply invitation patterns ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iclr2020() -> VenueConfig:
    return load_venue_file(ICLR2020_FILE)


def test_review_pattern_matches_a_paper_review(iclr2020: VenueConfig) -> None:
    match = iclr2020.review_pattern.match("ICLR.cc/2020/Conference/Paper12/-/Official_Review")
    assert match is not None
    assert match.group(1) == "12"
    assert iclr2020.review_pattern.match("ICLR.cc/2020/Conference/Paper2594/-/Official_Review")


def test_decision_pattern_matches_a_paper_decision(iclr2020: VenueConfig) -> None:
    match = iclr2020.decision_pattern.match("ICLR.cc/2020/Conference/Paper7/-/Decision")
    assert match is not None
    assert match.group(1) == "7"


@pytest.mark.parametrize(
    "invitation",
    [
        "ICLR.cc/2020/Conference/Paper12/-/Official_Comment",
        "ICLR.cc/2020/Conference/Paper12/-/Public_Comment",
        "ICLR.cc/2020/Conference/Paper12/-/Decision",
        "ICLR.cc/2020/Conference/Paper12/-/Meta_Review",
        "ICLR.cc/2019/Conference/Paper12/-/Official_Review",
        "ICLR.cc/2021/Conference/Paper12/-/Official_Review",
        "ICLR.cc/2020/Workshop/Paper12/-/Official_Review",
        "ICLR.cc/2020/Conference/Paper/-/Official_Review",
        "ICLR.cc/2020/Conference/PaperX/-/Official_Review",
        "ICLR.cc/2020/Conference/Paper12/-/Official_Review_Revision",
        "ICLR.cc/2020/Conference/Paper12/-/Official_Review/",
        "xICLR.cc/2020/Conference/Paper12/-/Official_Review",
        "ICLRxcc/2020/Conference/Paper12/-/Official_Review",  # the dot is literal
        "ICLR.cc/2020/Conference/-/Official_Review",
        "",
    ],
)
def test_review_pattern_rejects_other_invitations(iclr2020: VenueConfig, invitation: str) -> None:
    assert iclr2020.review_pattern.match(invitation) is None


@pytest.mark.parametrize(
    "invitation",
    [
        "ICLR.cc/2020/Conference/Paper12/-/Official_Review",
        "ICLR.cc/2020/Conference/Paper12/-/Official_Comment",
        "ICLR.cc/2019/Conference/Paper12/-/Decision",
        "ICLR.cc/2020/Conference/-/Decision",
        "ICLR.cc/2020/Conference/Paper12/-/Decision_Revision",
    ],
)
def test_decision_pattern_rejects_other_invitations(iclr2020: VenueConfig, invitation: str) -> None:
    assert iclr2020.decision_pattern.match(invitation) is None


def test_patterns_follow_the_config_templates(tmp_path: Path) -> None:
    config = load_venue_file(_write(tmp_path, "testvenue"))
    assert config.review_pattern.match("Test.cc/2021/Conference/Paper3/-/Official_Review")
    assert config.decision_pattern.match("Test.cc/2021/Conference/Paper3/-/Decision")
    assert config.review_pattern.match("ICLR.cc/2020/Conference/Paper3/-/Official_Review") is None
