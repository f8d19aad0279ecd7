"""What venues beyond ICLR really publish: a NeurIPS-shaped venue whose rejected papers are public only on the
authors' opt-in, a TMLR-shaped rolling journal with its statuses, recommendations and certifications, and
CoRL's ratings in words. Each venue harvests through the fake API with its shipped config, and its tallies
equal the hand-written EXPECTED.json of its fixture (tests/fixtures/*/README.md says how each was made)."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.errors import ConfigError, VenueConfigGap
from paperharvest.normalize.notes import normalize_review
from paperharvest.settings import REPO_CONFIGS
from paperharvest.store.db import open_db
from paperharvest.store.schema import MIGRATIONS, ensure_db_shape
from paperharvest.venues import check_venue_group, load_venue_file
from tests.conftest import REPO
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.helpers import rows, scalar

FIXTURES = REPO / "tests" / "fixtures"


def sample(name: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    data = json.loads((FIXTURES / name / "notes.json").read_text(encoding="utf-8"))
    expected = json.loads((FIXTURES / name / "EXPECTED.json").read_text(encoding="utf-8"))
    return data["group"], data["notes"], expected


def fetch(db: Path, venue: str) -> int:
    return main(["fetch", "--venue", venue, "--db", str(db), "--stages", "notes", "--quiet"])


def counts(db: Path, sql: str) -> dict[str, int]:
    return {str(key): value for key, value in rows(db, sql)}


# --- NeurIPS: opt-in rejections ---------------------------------------------------------------------------


def test_neurips_venue_with_opt_in_rejections(tmp_path: Path, fake_env: Any) -> None:
    group, notes, expected = sample("neurips_sample")
    db = tmp_path / "n.db"
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "NeurIPS.cc/2024/Conference") == 0
    assert scalar(db, "SELECT count(*) FROM papers") == expected["papers"]
    assert counts(db, "SELECT status, count(*) FROM papers GROUP BY 1") == expected["status_counts"]
    presentations = counts(db, "SELECT presentation, count(*) FROM papers WHERE presentation IS NOT NULL GROUP BY 1")
    assert presentations == expected["presentation_counts"]
    assert counts(db, "SELECT decision, count(*) FROM decisions GROUP BY 1") == expected["decision_counts"]
    assert scalar(db, "SELECT count(*) FROM reviews") == expected["reviews"]
    assert counts(db, "SELECT rating, count(*) FROM reviews GROUP BY 1") == expected["rating_histogram"]
    # Rejected papers are stored as rejected; the venue row says they are only the ones whose authors opted in.
    published = rows(db, "SELECT published_rejected, published_reviews FROM venues WHERE key = 'neurips2024'")
    assert published == [(expected["published_rejected"], expected["published_reviews"])]


# --- TMLR: a rolling journal --------------------------------------------------------------------------------


def test_tmlr_journal_statuses_recommendations_and_certifications(tmp_path: Path, fake_env: Any) -> None:
    group, notes, expected = sample("tmlr_sample")
    db = tmp_path / "t.db"
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "tmlr") == 0
    assert scalar(db, "SELECT count(*) FROM papers") == expected["papers"]
    assert counts(db, "SELECT status, count(*) FROM papers GROUP BY 1") == expected["status_counts"]
    assert scalar(db, "SELECT count(*) FROM papers WHERE presentation IS NOT NULL") == 0
    assert counts(db, "SELECT decision, count(*) FROM decisions GROUP BY 1") == expected["decision_counts"]
    # No numeric rating: the reviewers' recommendations are kept, in words, with their reviews.
    assert scalar(db, "SELECT count(*) FROM reviews") == expected["reviews"]
    assert scalar(db, "SELECT count(*) FROM reviews WHERE rating IS NOT NULL") == expected["rated_reviews"]
    recommended = scalar(
        db, "SELECT count(*) FROM reviews WHERE json_extract(assessments, '$.official_recommendation') IS NOT NULL"
    )
    assert recommended == expected["reviews_with_recommendation"]
    words = {
        w
        for (w,) in rows(
            db, "SELECT json_extract(assessments, '$.official_recommendation.decision_recommendation') FROM reviews"
        )
    }
    assert words <= {None, "Leaning Accept", "Leaning Reject", "Reject"}
    certifications = counts(db, "SELECT certification, count(*) FROM paper_certifications GROUP BY 1")
    assert certifications == expected["certification_counts"]
    assert (
        scalar(db, "SELECT count(DISTINCT forum_id) FROM paper_certifications")
        == expected["papers_with_certifications"]
    )
    published = rows(db, "SELECT published_rejected, published_reviews FROM venues WHERE key = 'tmlr'")
    assert published == [(expected["published_rejected"], expected["published_reviews"])]


def test_tmlr_certifications_follow_the_note_on_a_re_harvest(tmp_path: Path, fake_env: Any) -> None:
    group, notes, _ = sample("tmlr_sample")
    db = tmp_path / "t.db"
    certified = next(n for n in notes if "certifications" in n["content"])
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "tmlr") == 0
    changed = copy.deepcopy(notes)
    for note in changed:
        if note["id"] == certified["id"]:
            note["content"]["certifications"] = {"value": ["Outstanding Certification"]}
            note["tmdate"] += 1
    with FakeOpenReview({"v2": changed}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "tmlr") == 0
    kept = rows(db, "SELECT certification FROM paper_certifications WHERE forum_id = ?", certified["id"])
    assert kept == [("Outstanding Certification",)]


def test_tmlr_group_disagreeing_on_a_journal_venueid_is_an_error() -> None:
    group, _, _ = sample("tmlr_sample")
    venue = load_venue_file(REPO_CONFIGS / "tmlr.toml")
    check_venue_group(venue, group)
    wrong = copy.deepcopy(group)
    wrong["content"]["decision_pending_venue_id"] = {"value": "TMLR/Awaiting_Decision"}
    with pytest.raises(ConfigError, match="decision_pending_venue_id is 'TMLR/Awaiting_Decision'"):
        check_venue_group(venue, wrong)


# --- CoRL: ratings in words -----------------------------------------------------------------------------------


def _review(rating: Any) -> dict[str, Any]:
    return {
        "id": "rev1",
        "signatures": ["robot-learning.org/CoRL/2021/Conference/Paper7/AnonReviewer1"],
        "content": {"title": "A review", "review": "Text.", "recommendation": rating, "confidence": "4: sure"},
    }


@pytest.mark.parametrize(
    ("word", "rating", "label"),
    [
        ("Weak Accept", 6, "Weak Accept"),
        ("Boarderline", 5, "Boarderline"),  # the form's own misspelling
        ("  strong   ACCEPT ", 10, "strong ACCEPT"),  # case and spacing do not matter
        ("3: Reject", 3, "Reject"),  # a number still reads as a number
        (4, 4, None),
    ],
)
def test_corl_word_ratings_map_through_the_config(word: Any, rating: int, label: str | None) -> None:
    venue = load_venue_file(REPO_CONFIGS / "corl2021.toml")
    review = normalize_review(_review(word), "forum1", venue)
    assert (review.rating, review.rating_label, review.confidence) == (rating, label, 4)
    assert "recommendation" not in review.assessments


def test_an_unknown_rating_word_is_a_config_gap() -> None:
    venue = load_venue_file(REPO_CONFIGS / "corl2021.toml")
    with pytest.raises(VenueConfigGap) as info:
        normalize_review(_review("Weakly Accept"), "forum1", venue)
    assert info.value.field == "rating"
    assert info.value.value == "Weakly Accept"
    assert "'Weakly Accept' is not in the corl2021 config's fields.rating_words" in str(info.value)


CORL = "robot-learning.org/CoRL/2024/Conference"
WORDS = {1: "Strong Reject", 3: "Reject", 5: "Boarderline", 6: "Weak Accept", 8: "Accept", 10: "Strong Accept"}


def corl_venue(unknown_word: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The NeurIPS sample's first papers as CoRL 2024 serves them: ratings in words under `recommendation`."""
    group, notes, _ = sample("neurips_sample")
    text = json.dumps({"group": group, "notes": notes[:6]}).replace("NeurIPS.cc/2024/Conference", CORL)
    data = json.loads(text)
    content = data["group"]["content"]
    content["review_rating"] = {"value": "recommendation"}
    content["accept_decision_options"] = {"value": ["Accept"]}
    for note in data["notes"]:
        for reply in note["details"]["replies"]:
            inner = reply["content"]
            if "rating" in inner:
                score = int(str(inner.pop("rating")["value"]).split(":")[0])
                inner["recommendation"] = {"value": WORDS[score]}
            if "decision" in inner:
                inner["decision"] = {"value": "Reject" if inner["decision"]["value"] == "Reject" else "Accept"}
    if unknown_word is not None:
        review = next(r for n in data["notes"] for r in n["details"]["replies"] if "recommendation" in r["content"])
        review["content"]["recommendation"] = {"value": unknown_word}
    return data["group"], data["notes"]


def test_corl_venue_harvests_word_ratings(tmp_path: Path, fake_env: Any) -> None:
    group, notes = corl_venue()
    words = [
        r["content"]["recommendation"]["value"]
        for n in notes
        for r in n["details"]["replies"]
        if "recommendation" in r["content"]
    ]
    expected = {str(number): words.count(word) for number, word in WORDS.items() if word in words}
    db = tmp_path / "c.db"
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(db, "corl2024") == 0
    assert counts(db, "SELECT rating, count(*) FROM reviews GROUP BY 1") == expected
    labels = dict(rows(db, "SELECT rating_label, rating FROM reviews"))
    assert all(labels[WORDS[rating]] == rating for rating in map(int, expected))
    assert rows(db, "SELECT published_rejected, published_reviews FROM venues") == [("none", "public")]


def test_an_unknown_rating_word_stops_the_run_with_exit_5(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group, notes = corl_venue(unknown_word="Weakly Accept")
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert fetch(tmp_path / "c.db", "corl2024") == 5
    assert "'Weakly Accept'" in capsys.readouterr().err


# --- the config keys and the migration ------------------------------------------------------------------------


MINIMAL = """\
key = "{key}"
name = "Test"
venue_id = "Test.cc/2024/Conference"
api_version = 1
year = 2024
[[listings]]
invitation = "Test.cc/2024/Conference/-/Blind_Submission"
status = "decided"
[replies]
review = "Test.cc/2024/Conference/Paper{{number}}/-/Official_Review"
decision = "Test.cc/2024/Conference/Paper{{number}}/-/Decision"
[decisions]
"Reject" = {{ status = "rejected" }}
"""


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('[published]\nrejected = "some"\n', "published.rejected"),
        ('[published]\nreviews = "private"\n', "published.reviews"),
        ('[published]\nshown = "all"\n', "published.shown"),
        ('[fields]\nrating_scale = [1, 2]\n[fields.rating_words]\n"Good" = 3\n', "not on rating_scale"),
        ('[fields.rating_words]\n"Good" = 3\n"good" = 4\n', "differ only in case or spacing"),
    ],
)
def test_published_and_word_keys_are_checked(tmp_path: Path, extra: str, problem: str) -> None:
    path = tmp_path / "test2024.toml"
    path.write_text(MINIMAL.format(key="test2024") + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_venue_file(path)
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_a_recommendation_invitation_needs_a_number(tmp_path: Path) -> None:
    path = tmp_path / "test2024.toml"
    recommendation = '/-/Decision"\nrecommendation = "Test.cc/2024/Conference/-/Official_Recommendation"\n'
    path.write_text(MINIMAL.format(key="test2024").replace('/-/Decision"\n', recommendation), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"replies\.recommendation must contain"):
        load_venue_file(path)


def test_published_defaults_to_everything(tmp_path: Path) -> None:
    path = tmp_path / "test2024.toml"
    path.write_text(MINIMAL.format(key="test2024"), encoding="utf-8")
    published = load_venue_file(path).published
    assert (published.rejected, published.reviews) == ("all", "public")


def test_migration_marks_existing_iclr_venues_as_publishing_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_db(path)
    for migration in MIGRATIONS[:8]:  # a version 8 database, as paperharvest wrote it before
        migration(db)
    db.execute("PRAGMA user_version = 8")
    for key, venue_id in (("iclr2024", "ICLR.cc/2024/Conference"), ("mine", "Mine.cc/2024/Conference")):
        db.execute(
            "INSERT INTO venues (key, venue_id, name, api_version, year) VALUES (?, ?, 'x', 2, 2024)", [key, venue_id]
        )
    db.conn.commit()
    ensure_db_shape(db)
    db.conn.close()
    with sqlite3.connect(path) as conn:
        got = dict(
            (k, (r, v)) for k, r, v in conn.execute("SELECT key, published_rejected, published_reviews FROM venues")
        )
    assert got == {"iclr2024": ("all", "public"), "mine": (None, None)}
