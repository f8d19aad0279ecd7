"""Deriving a venue config from an API v2 venue group: the rules and defaults, the commented TOML that
`venue-config` prints (which loads back into the same config and the same harvest), and what cannot be derived."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.errors import ConfigError
from paperharvest.venue_groups import derive_venue_config, venue_config_toml, venue_key
from paperharvest.venues import VenueConfig, check_venue_group, load_venue_file
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.v2_venues import alpha, beta, delta_group, gamma, served, venues
from tests.helpers import scalar, timeless_dump

PAPER_TABLES = ("papers", "reviews", "decisions", "paper_authors", "authors", "comments", "raw_notes")


def bare_group(venue_id: str = "Zeta.cc/2024/Conference", **content: Any) -> dict[str, Any]:
    """A v2 group stating only its submission invitation and the given content keys."""
    values = {"submission_id": f"{venue_id}/-/Submission", **content}
    return {
        "id": venue_id,
        "domain": venue_id,
        "cdate": 1700000000000,
        "content": {k: {"value": v} for k, v in values.items()},
    }


def test_a_group_with_only_a_submission_id_gets_openreview_py_defaults() -> None:
    derived = derive_venue_config(bare_group())
    config, v = derived.config, "Zeta.cc/2024/Conference"
    assert (config.key, config.name, config.year, config.api_version) == ("zeta2024", v, 2024, 2)
    assert [listing.invitation for listing in config.listings] == [f"{v}/-/Submission"]
    assert config.replies.review == f"{v}/Submission{{number}}/-/Official_Review"
    assert config.replies.decision == f"{v}/Submission{{number}}/-/Decision"
    assert config.replies.meta_review == f"{v}/Submission{{number}}/-/Meta_Review"
    assert (config.fields.rating, config.fields.confidence, config.fields.decision) == (
        "rating",
        "confidence",
        "decision",
    )
    assert config.fields.rating_scale is None  # read from the values
    assert config.venue_ids == {
        v: "accepted",
        f"{v}/Submission": "under-review",
        f"{v}/Rejected_Submission": "rejected",
        f"{v}/Withdrawn_Submission": "withdrawn",
        f"{v}/Desk_Rejected_Submission": "desk-rejected",
    }
    assert config.unlisted_decisions == "accept-substring"
    assert config.presentation == {}
    assert "default 'Official_Review'" in derived.sources["replies.review"]
    assert derived.sources["venue_ids.rejected"].startswith("default")


def test_stated_keys_are_used_and_their_source_named() -> None:
    group = bare_group(
        submission_name="Paper",
        review_name="Review",
        review_rating="overall",
        rejected_venue_id="Zeta.cc/2024/Conference/Not_Accepted",
        accept_decision_options=["Accept (Oral)", "Accept (Poster)", "Accept"],
        decision_heading_map={"Zeta 2024 Oral": "Orals", "Zeta 2024": "Accepted", "Submitted to Zeta 2024": "Reject"},
        public_submissions=False,
        subtitle="Zeta 2024",
    )
    derived = derive_venue_config(group)
    config = derived.config
    assert config.name == "Zeta 2024"
    assert config.replies.review == "Zeta.cc/2024/Conference/Paper{number}/-/Review"
    assert config.fields.rating == "overall"
    assert config.venue_ids["Zeta.cc/2024/Conference/Not_Accepted"] == "rejected"
    assert config.venue_ids["Zeta.cc/2024/Conference/Paper"] == "under-review"  # default from submission_name
    assert {text: (m.status, m.presentation) for text, m in config.decisions.items()} == {
        "Accept (Oral)": ("accepted", "oral"),
        "Accept (Poster)": ("accepted", "poster"),
        "Accept": ("accepted", None),
        "Reject": ("rejected", None),
    }
    assert config.unlisted_decisions == "rejected"
    assert config.presentation == {"Zeta 2024 Oral": "oral"}
    assert config.published.rejected == "opt-in"
    assert derived.sources["fields.rating"] == "group content.review_rating"


def test_unlisted_decisions_are_read_as_openreview_reads_them() -> None:
    by_substring = derive_venue_config(bare_group()).config
    assert by_substring.decision_meaning("Accept (Spotlight)") == by_substring.decisions["Reject"].model_copy(
        update={"status": "accepted", "presentation": "spotlight"}
    )
    assert by_substring.decision_meaning("Invite to Workshop").status == "rejected"  # type: ignore[union-attr]
    by_options = derive_venue_config(bare_group(accept_decision_options=["Accept"])).config
    assert by_options.decision_meaning("Accept (Oral)").status == "rejected"  # type: ignore[union-attr]
    # A file's config is unchanged: an unlisted string is still a gap that stops the run.
    strict = by_options.model_copy(update={"unlisted_decisions": "error"})
    assert strict.decision_meaning("Accept (Oral)") is None


@pytest.mark.parametrize(
    ("venue_id", "key"),
    [
        ("NeurIPS.cc/2024/Conference", "neurips2024"),
        ("colmweb.org/COLM/2025/Conference", "colm2025"),
        ("robot-learning.org/CoRL/2024/Conference", "corl2024"),
        ("NeurIPS.cc/2024/Datasets_and_Benchmarks_Track", "neurips2024-datasets_and_benchmarks_track"),
        ("ICML.cc/2025/Workshop/AI4MATH", "icml2025-workshop-ai4math"),
        ("TMLR", "tmlr"),
    ],
)
def test_the_key_is_the_short_name_and_year(venue_id: str, key: str) -> None:
    assert venue_key(venue_id) == key


@pytest.mark.parametrize(
    ("group", "says"),
    [
        ({"id": "Old.cc/2021/Conference", "content": None}, "is an API v1 venue"),
        (delta_group(), "has no content.submission_id"),
        (bare_group(review_name=["Official_Review"]), "content.review_name is ['Official_Review'], not a name"),
        (bare_group("TMLR", under_review_venue_id="TMLR/Under_Review"), "is a journal's"),
        (bare_group("Undated.cc/Conference") | {"cdate": None}, "gives a year"),
    ],
    ids=["v1", "no-submission-id", "not-a-name", "journal", "no-year"],
)
def test_what_cannot_be_derived_is_a_config_error(group: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        derive_venue_config(group)
    assert says in str(caught.value)


@pytest.mark.parametrize("make", [alpha, beta, gamma], ids=["every-key", "early-keys", "renamed-fields"])
def test_the_printed_config_loads_back_into_the_same_config(make: Any, tmp_path: Path) -> None:
    fake = make()
    derived = derive_venue_config(fake.group)
    check_venue_group(derived.config, fake.group)  # derived configs pass the check a file does
    text = venue_config_toml(derived, fetched_at="2026-01-01")
    path = tmp_path / f"{derived.config.key}.toml"
    path.write_text(text, encoding="utf-8")
    assert load_venue_file(path) == derived.config
    # Every value is explained: a group key, or the default and why.
    assert "# review: group content.review_name" in text
    assert text.count("# ") >= 20


def test_strings_that_need_escapes_survive_the_toml(tmp_path: Path) -> None:
    group = bare_group(subtitle='Zeta "2024"\\ \u00e9\n', accept_decision_options=["Accept = yes", "Accept [B]"])
    derived = derive_venue_config(group)
    path = tmp_path / f"{derived.config.key}.toml"
    path.write_text(venue_config_toml(derived), encoding="utf-8")
    assert load_venue_file(path) == derived.config


def test_a_harvest_with_the_printed_config_equals_the_derived_one(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes = venues()
    gamma_venue = fakes[2]
    configs = tmp_path / "configs"
    configs.mkdir()
    derived_db, kept_db = tmp_path / "derived.db", tmp_path / "kept.db"
    with FakeOpenReview(**served(fakes)) as fake:
        fake_env(fake.url)
        assert main(["venue-config", gamma_venue.venue_id, "--quiet"]) == 0
        (configs / f"{gamma_venue.key}.toml").write_text(capsys.readouterr().out, encoding="utf-8")
        base = ["fetch", "--venue", gamma_venue.venue_id, "--stages", "notes", "--quiet"]
        assert main([*base, "--db", str(derived_db)]) == 0
        assert main([*base, "--db", str(kept_db), "--configs", str(configs)]) == 0
    assert scalar(derived_db, "SELECT count(*) FROM reviews") > 0
    assert timeless_dump(kept_db, PAPER_TABLES) == timeless_dump(derived_db, PAPER_TABLES)
    stored = [scalar(db, "SELECT config FROM venues") for db in (derived_db, kept_db)]
    assert VenueConfig.model_validate_json(stored[0]) == VenueConfig.model_validate_json(stored[1])
    assert [scalar(db, "SELECT config_source FROM venues") for db in (derived_db, kept_db)] == ["group", "file"]
    assert json.loads(stored[0])["key"] == gamma_venue.key
