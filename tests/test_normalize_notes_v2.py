"""API v2 notes -> records: the real ICLR 2026 note, the fictional ICLR 2024 sample venue, and one-change variants.

Expected values come from the raw payloads or from the sample's EXPECTED.json (computed from the hand-written
table the sample was made from), never from the normalizer itself.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from paperharvest.errors import NormalizeError, RejectedNote, VenueConfigGap
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import normalize_note
from paperharvest.normalize.notes_v2 import normalize_note_v2
from paperharvest.normalize.values import content_value, unwrap_content
from paperharvest.settings import REPO_CONFIGS
from paperharvest.venues import VenueConfig, load_venue_file

REAL_2026 = "openreview_raw_examples/iclr2026_zzo3Sy3NSX_v2_2025_replies.json"
SAMPLE = Path(__file__).resolve().parent / "fixtures" / "iclr2024_sample"
V24 = "ICLR.cc/2024/Conference"


def _shared_data() -> Path:
    env = os.environ.get("PAPERHARVEST_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _venue(key: str) -> VenueConfig:
    return load_venue_file(REPO_CONFIGS / f"{key}.toml")


@pytest.fixture(scope="module")
def iclr2024() -> VenueConfig:
    return _venue("iclr2024")


@pytest.fixture(scope="module")
def iclr2026() -> VenueConfig:
    return _venue("iclr2026")


@pytest.fixture(scope="module")
def real_2026() -> dict[str, Any]:
    path = _shared_data() / REAL_2026
    if not path.is_file():
        pytest.skip(f"{path} not found: these tests read the real ICLR 2026 v2 note from ../shared/data")
    note: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return note


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLE / "notes.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLE / "EXPECTED.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def sample_records(sample: dict[str, Any], iclr2024: VenueConfig) -> list[NormalizedNote]:
    return [normalize_note_v2(note, iclr2024) for note in sample["notes"]]


def _by_number(sample: dict[str, Any], number: int) -> dict[str, Any]:
    """A private copy of one sample note, for one-change variants."""
    note = next(n for n in sample["notes"] if n["number"] == number)
    return copy.deepcopy(note)


def _replies_named(note: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in note["details"]["replies"] if r["invitations"][0].endswith(f"/-/{name}")]


def _ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


# --- unwrapping --------------------------------------------------------------------------------------------


def test_content_value_unwraps_only_value_objects() -> None:
    assert content_value({"value": 6}) == 6
    assert content_value({"value": ["a"], "readers": ["everyone"]}) == ["a"]
    assert content_value({"value": None}) is None
    assert content_value("plain") == "plain"
    assert content_value({"other": 1}) == {"other": 1}
    assert unwrap_content({"rating": {"value": 4}, "title": {"value": "T"}}) == {"rating": 4, "title": "T"}


# --- the real ICLR 2026 note -------------------------------------------------------------------------------


def test_real_2026_note_paper(real_2026: dict[str, Any], iclr2026: VenueConfig) -> None:
    record = normalize_note_v2(real_2026, iclr2026)
    content = {k: v["value"] for k, v in real_2026["content"].items()}
    paper = record.paper
    assert paper.forum_id == real_2026["id"]
    assert paper.number == real_2026["number"]
    assert paper.venue == "iclr2026"
    assert paper.title == content["title"].strip()
    assert paper.abstract == content["abstract"].strip()
    assert paper.keywords == content["keywords"]
    assert paper.pdf_url == "https://openreview.net" + content["pdf"]
    assert content["venueid"] == "ICLR.cc/2026/Conference/Submission"
    assert paper.status == "under-review"
    assert paper.presentation is None
    assert paper.decision is None
    assert record.decision is None
    assert "TLDR" not in content
    assert paper.tldr is None
    assert paper.invitation == "ICLR.cc/2026/Conference/-/Submission"
    assert paper.created_at == _ms(real_2026["cdate"])
    assert paper.modified_at == _ms(real_2026["tmdate"])
    # Anonymous while under review: no authors key at all.
    assert "authors" not in content
    assert record.paper_authors == []
    assert record.authors == []


def test_real_2026_reviews(real_2026: dict[str, Any], iclr2026: VenueConfig) -> None:
    record = normalize_note_v2(real_2026, iclr2026)
    raw_reviews = {
        r["id"]: {k: v["value"] for k, v in r["content"].items()}
        for r in real_2026["details"]["replies"]
        if r["invitations"][0].endswith("/-/Official_Review")
    }
    comments = [r for r in real_2026["details"]["replies"] if r["invitations"][0].endswith("/-/Official_Comment")]
    assert len(raw_reviews) == 4 and len(comments) == 12  # as SOURCES describes the file
    assert {r.review_id for r in record.reviews} == set(raw_reviews)
    # The real file stores integers: 6 once and 4 three times.
    assert sorted(c["rating"] for c in raw_reviews.values()) == [4, 4, 4, 6]
    for review in record.reviews:
        raw = raw_reviews[review.review_id]
        assert isinstance(raw["rating"], int)
        assert review.rating == raw["rating"]
        assert review.rating_label is None
        assert review.confidence == raw["confidence"]
        assert review.forum_id == real_2026["id"]
        assert review.reviewer.startswith("Reviewer_")
        # soundness, presentation, contribution and the free text stay, unwrapped.
        for key in ("soundness", "presentation", "contribution", "summary", "strengths", "weaknesses", "questions"):
            assert review.assessments[key] == raw[key]
        assert review.assessments["flag_for_ethics_review"] == ["No ethics review needed."]
        assert "rating" not in review.assessments and "confidence" not in review.assessments
        assert review.text is None  # v2 reviews have no `review` body key
    assert sorted(r.rating for r in record.reviews if r.rating is not None) == [4, 4, 4, 6]


def test_real_2026_rating_4_is_off_2024s_scale(real_2026: dict[str, Any], iclr2024: VenueConfig) -> None:
    # The same note read with 2024's enforced scale fails loudly: 4 was not a 2024 option.
    note = copy.deepcopy(real_2026)
    for item in [note, *note["details"]["replies"]]:
        item["domain"] = V24
        item["invitations"] = [i.replace("2026", "2024") for i in item.get("invitations") or []]
    note["content"]["venueid"]["value"] = f"{V24}/Submission"
    with pytest.raises(NormalizeError, match="rating 4 is not on the iclr2024 scale"):
        normalize_note_v2(note, iclr2024)


# --- the sample venue --------------------------------------------------------------------------------------


def test_sample_counts_match_expected(sample_records: list[NormalizedNote], expected: dict[str, Any]) -> None:
    papers = [r.paper for r in sample_records]
    assert len(papers) == expected["papers"]
    assert dict(Counter(p.status for p in papers)) == expected["status_counts"]
    assert dict(Counter(p.presentation for p in papers if p.presentation)) == expected["presentation_counts"]
    assert dict(Counter(r.decision.decision for r in sample_records if r.decision)) == expected["decision_counts"]
    assert sum(1 for r in sample_records if r.decision) == expected["decisions"]
    assert sum(1 for p in papers if p.tldr) == expected["tldr_count"]


def test_sample_reviews_match_expected(sample_records: list[NormalizedNote], expected: dict[str, Any]) -> None:
    reviews = [review for record in sample_records for review in record.reviews]
    assert len(reviews) == expected["reviews"]
    # A string rating keeps its text as the label; an integer one has none.
    assert sum(1 for r in reviews if r.rating_label is None) == expected["reviews_with_integer_rating"]
    assert sum(1 for r in reviews if r.rating_label is not None) == expected["reviews_with_string_rating"]
    histogram = {str(k): v for k, v in sorted(Counter(r.rating for r in reviews).items())}
    assert histogram == expected["rating_histogram"]
    assert all(r.confidence is not None for r in reviews)


def test_sample_authors_match_expected(sample_records: list[NormalizedNote], expected: dict[str, Any]) -> None:
    assert sum(len(r.paper_authors) for r in sample_records) == expected["author_rows"]
    assert len({a.author_id for r in sample_records for a in r.authors}) == expected["distinct_author_ids"]
    assert all(a.email_domain is None for r in sample_records for a in r.authors)  # ~ids, not e-mails


def test_sample_decision_comments(
    sample: dict[str, Any], sample_records: list[NormalizedNote], expected: dict[str, Any]
) -> None:
    from_meta = from_decision = 0
    for note, record in zip(sample["notes"], sample_records, strict=True):
        metas = _replies_named(note, "Meta_Review")
        decisions = _replies_named(note, "Decision")
        if not decisions:
            assert record.decision is None
            continue
        assert record.decision is not None
        if metas:
            assert record.decision.comment == metas[0]["content"]["metareview"]["value"]
            from_meta += 1
        else:
            assert record.decision.comment == decisions[0]["content"]["comment"]["value"]
            from_decision += 1
    assert from_meta == expected["decision_comments_from_meta_review"] == expected["meta_reviews"]
    assert from_decision == expected["decision_comments_from_decision"]


def test_sample_every_paper_agrees_with_its_own_venueid(
    sample: dict[str, Any], sample_records: list[NormalizedNote], iclr2024: VenueConfig
) -> None:
    for note, record in zip(sample["notes"], sample_records, strict=True):
        content = {k: v["value"] for k, v in note["content"].items()}
        assert record.paper.status == iclr2024.venue_ids[content["venueid"]]
        assert record.paper.invitation == f"{V24}/-/Submission"
        assert record.paper.tldr == (content["TLDR"].strip() if "TLDR" in content else None)
        assert record.paper.keywords == content["keywords"]
        names = content.get("authors", [])
        assert [a.name for a in record.paper_authors] == names
        if record.paper.status == "accepted":
            assert record.paper.presentation == content["venue"].rsplit(" ", 1)[1]


def test_sample_comments_are_not_reviews(sample: dict[str, Any], sample_records: list[NormalizedNote]) -> None:
    for note, record in zip(sample["notes"], sample_records, strict=True):
        review_ids = {r["id"] for r in _replies_named(note, "Official_Review")}
        assert {r.review_id for r in record.reviews} == review_ids


def test_withdrawn_after_decision_keeps_the_string(sample_records: list[NormalizedNote]) -> None:
    record = next(r for r in sample_records if r.paper.number == 99)
    assert record.paper.status == "withdrawn"
    assert record.paper.decision == "Reject"
    assert record.paper.presentation is None


def test_direct_replies_give_the_same_records(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    for raw in sample["notes"]:
        note = copy.deepcopy(raw)
        replies = note["details"].pop("replies")
        note["details"]["directReplies"] = [r for r in replies if r["replyto"] == note["id"]]
        # Only the whole forum gives comments (tests/test_comments.py); every other record is the same.
        whole = normalize_note_v2(raw, iclr2024)
        assert normalize_note_v2(note, iclr2024) == whole.model_copy(update={"comments": []})


def test_sample_is_not_readable_as_v1(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    with pytest.raises(NormalizeError, match="use normalize_note_v2"):
        normalize_note(sample["notes"][0], iclr2024)


# --- ratings: strings and integers -------------------------------------------------------------------------


def _first_review(note: dict[str, Any]) -> dict[str, Any]:
    return _replies_named(note, "Official_Review")[0]


@pytest.mark.parametrize(
    ("rating", "confidence", "want"),
    [
        (
            "6: marginally above the acceptance threshold",
            "4: You are confident",
            (6, "marginally above the acceptance threshold", 4),
        ),
        (6, 4, (6, None, 4)),
        ("8:accept, good paper", "3", (8, "accept, good paper", 3)),
        ("10", 5, (10, None, 5)),
        # A rating sent as a numeric string inside its wrapper is read as the number.
        ("6", "4", (6, None, 4)),
        (" 8 ", 3.0, (8, None, 3)),
    ],
)
def test_string_and_integer_ratings(
    sample: dict[str, Any], iclr2024: VenueConfig, rating: Any, confidence: Any, want: tuple[int, str | None, int]
) -> None:
    note = _by_number(sample, 5)
    review = _first_review(note)
    review["content"]["rating"] = {"value": rating}
    review["content"]["confidence"] = {"value": confidence}
    record = normalize_note_v2(note, iclr2024)
    got = next(r for r in record.reviews if r.review_id == review["id"])
    assert (got.rating, got.rating_label, got.confidence) == want


@pytest.mark.parametrize("rating", ["great", 6.5, True, {"score": 6}])
def test_unreadable_rating_is_an_error(sample: dict[str, Any], iclr2024: VenueConfig, rating: Any) -> None:
    note = _by_number(sample, 5)
    review = _first_review(note)
    review["content"]["rating"] = {"value": rating}
    with pytest.raises(RejectedNote) as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "bad_score"
    assert review["id"] in str(info.value)


def test_missing_rating_is_none(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 5)
    review = _first_review(note)
    del review["content"]["rating"]
    got = next(r for r in normalize_note_v2(note, iclr2024).reviews if r.review_id == review["id"])
    assert got.rating is None


def test_2026_takes_any_integer_rating(real_2026: dict[str, Any], iclr2026: VenueConfig) -> None:
    note = copy.deepcopy(real_2026)
    _first_review(note)["content"]["rating"]["value"] = 2
    assert 2 in [r.rating for r in normalize_note_v2(note, iclr2026).reviews]


# --- status and presentation -------------------------------------------------------------------------------


def _set(note: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    note["content"][key] = {"value": value}
    return note


def test_unknown_venueid_is_an_error(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _set(_by_number(sample, 9), "venueid", f"{V24}/Rejected")
    with pytest.raises(VenueConfigGap) as info:
        normalize_note_v2(note, iclr2024)
    assert (info.value.field, info.value.value) == ("venueid", f"{V24}/Rejected")
    message = str(info.value)
    assert f"'{V24}/Rejected'" in message
    assert "iclr2024" in message
    assert f"'{V24}/Rejected_Submission'" in message  # the known ones are listed


def test_missing_venueid_is_an_error(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 9)
    del note["content"]["venueid"]
    with pytest.raises(RejectedNote, match="has no venueid") as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "no_venueid"


@pytest.mark.parametrize(
    ("venue_text", "presentation"),
    [
        ("ICLR 2024 oral", "oral"),
        ("ICLR 2024 Oral", "oral"),
        ("iclr 2024 ORAL", "oral"),
        ("  ICLR 2024   spotlight ", "spotlight"),
        ("ICLR 2024 Spotlight", "spotlight"),
        ("ICLR 2024 POSTER", "poster"),
    ],
)
def test_venue_string_case_variants(
    sample: dict[str, Any], iclr2024: VenueConfig, venue_text: str, presentation: str
) -> None:
    note = _set(_by_number(sample, 5), "venue", venue_text)  # decided "Accept (poster)"
    record = normalize_note_v2(note, iclr2024)
    assert (record.paper.status, record.paper.presentation) == ("accepted", presentation)
    assert record.paper.decision == "Accept (poster)"  # the raw string stays


def test_unknown_venue_string_of_an_accepted_paper_is_an_error(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _set(_by_number(sample, 5), "venue", "ICLR 2024 notable")
    with pytest.raises(VenueConfigGap) as info:
        normalize_note_v2(note, iclr2024)
    assert "'ICLR 2024 notable'" in str(info.value)
    assert "[presentation]" in str(info.value)


def test_venue_string_of_other_statuses_is_not_read(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _set(_by_number(sample, 9), "venue", "Something nobody mapped")
    assert normalize_note_v2(note, iclr2024).paper.status == "rejected"


def test_accepted_without_a_venue_string_uses_the_decision(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 12)  # "Accept (oral)"
    del note["content"]["venue"]
    record = normalize_note_v2(note, iclr2024)
    assert (record.paper.status, record.paper.presentation) == ("accepted", "oral")


def test_under_review_venueid_with_a_decision_reads_the_decision(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _set(_by_number(sample, 33), "venueid", f"{V24}/Submission")  # decided "Accept (spotlight)"
    record = normalize_note_v2(note, iclr2024)
    assert (record.paper.status, record.paper.presentation) == ("accepted", "spotlight")


def test_unknown_decision_string_is_an_error(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 5)
    _replies_named(note, "Decision")[0]["content"]["decision"] = {"value": "Accept (Poster)"}  # 2025's case
    with pytest.raises(VenueConfigGap) as info:
        normalize_note_v2(note, iclr2024)
    assert "'Accept (Poster)'" in str(info.value)
    assert "'Accept (poster)'" in str(info.value)


def test_reissued_decision_supersedes(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 9)  # Reject
    decision = _replies_named(note, "Decision")[0]
    later = copy.deepcopy(decision) | {"id": "LaterDecisn", "tmdate": decision["tmdate"] + 1000}
    later["content"]["decision"] = {"value": "Accept (poster)"}
    note["details"]["replies"].append(later)
    _set(note, "venueid", V24)
    _set(note, "venue", "ICLR 2024 poster")
    record = normalize_note_v2(note, iclr2024)
    assert record.decision is not None and record.decision.decision_id == "LaterDecisn"
    assert record.paper.status == "accepted"


def test_deleted_reply_is_skipped(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 5)
    review = _first_review(note)
    review["ddate"] = review["tmdate"]
    assert review["id"] not in {r.review_id for r in normalize_note_v2(note, iclr2024).reviews}


# --- notes that are not this venue's v2 notes --------------------------------------------------------------


def test_note_of_another_domain_is_an_error(sample: dict[str, Any], iclr2026: VenueConfig) -> None:
    with pytest.raises(RejectedNote, match=re.escape("belongs to 'ICLR.cc/2024/Conference', not to iclr2026")):
        normalize_note_v2(_by_number(sample, 5), iclr2026)


def test_v1_note_is_an_error(iclr2024: VenueConfig) -> None:
    v1 = {"id": "B1gczRFYPS", "invitation": "ICLR.cc/2020/Conference/-/Blind_Submission", "content": {"title": "T"}}
    with pytest.raises(NormalizeError, match="not an API v2 note"):
        normalize_note_v2(v1, iclr2024)


def test_v1_config_is_refused(sample: dict[str, Any]) -> None:
    with pytest.raises(NormalizeError, match="use normalize_note"):
        normalize_note_v2(_by_number(sample, 5), _venue("iclr2020"))


def test_note_outside_the_listing_is_an_error(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 5)
    note["invitations"] = [i for i in note["invitations"] if not i.endswith("/-/Submission")]
    with pytest.raises(RejectedNote, match="is a listing of iclr2024"):
        normalize_note_v2(note, iclr2024)


@pytest.mark.parametrize("broken", [{}, {"id": "x"}, {"id": "x", "content": []}, {"id": 5, "content": {}}, [], "x"])
def test_note_without_id_or_content(iclr2024: VenueConfig, broken: Any) -> None:
    with pytest.raises(RejectedNote) as info:
        normalize_note_v2(broken, iclr2024)
    assert info.value.reason in ("no_id", "not_an_object")


def test_note_without_title(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _set(_by_number(sample, 5), "title", "   ")
    with pytest.raises(RejectedNote, match="has no title") as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "no_title"


@pytest.mark.parametrize(("sent", "stored"), [("5", 5), (5, 5), (None, None)])
def test_v2_number_sent_as_a_string_is_read(
    sample: dict[str, Any], iclr2024: VenueConfig, sent: Any, stored: Any
) -> None:
    note = _by_number(sample, 5)
    note["number"] = sent
    assert normalize_note_v2(note, iclr2024).paper.number == stored


@pytest.mark.parametrize(
    ("key", "value"),
    [("title", ["T"]), ("title", {"nested": "T"}), ("abstract", 3), ("venueid", ["x"]), ("keywords", 9)],
)
def test_v2_field_of_the_wrong_type_is_rejected(
    sample: dict[str, Any], iclr2024: VenueConfig, key: str, value: Any
) -> None:
    note = _set(_by_number(sample, 5), key, value)
    with pytest.raises(RejectedNote) as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "bad_type"
    assert f"{key} is a " in str(info.value)


def test_v2_lone_surrogate_is_rejected(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 5)
    _first_review(note)["content"]["summary"] = {"value": "fine until \ud800"}
    with pytest.raises(RejectedNote) as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "lone_surrogate"
    assert "details.replies[" in str(info.value)  # says where


@pytest.mark.parametrize("content", [None, [], "text"])
def test_v2_review_whose_content_is_not_an_object_is_rejected(
    sample: dict[str, Any], iclr2024: VenueConfig, content: Any
) -> None:
    note = _by_number(sample, 5)
    review = _first_review(note)
    review["content"] = content
    with pytest.raises(RejectedNote) as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "not_an_object"
    assert review["id"] in str(info.value)


def test_v2_reply_that_is_not_an_object_is_rejected(sample: dict[str, Any], iclr2024: VenueConfig) -> None:
    note = _by_number(sample, 5)
    note["details"]["replies"].append(["not", "a", "note"])
    with pytest.raises(RejectedNote) as info:
        normalize_note_v2(note, iclr2024)
    assert info.value.reason == "not_an_object"
