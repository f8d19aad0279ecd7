"""API v1 notes -> records, checked against the real ICLR 2020 payloads in ../shared/data.

Expected values are computed here from the raw payloads, never typed in: a count, a rating or a name that
the normalizer gets wrong shows up as a difference between two independent readings of the same data.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperharvest.errors import NormalizeError, RejectedNote, UpstreamDataError, VenueConfigGap
from paperharvest.normalize.notes import (
    absolute_url,
    clean_text,
    email_domain,
    normalize_note,
    parse_score,
)
from paperharvest.normalize.values import ms_to_datetime
from paperharvest.settings import REPO_CONFIGS
from paperharvest.venues import VenueConfig, load_venue_file

VENUE_ID = "ICLR.cc/2020/Conference"
SITE = "https://openreview.net"
ACCEPTED_NOTES = "iclr2020_accepted_notes_v1_full.json.gz"
RAW_EXAMPLES = "openreview_raw_examples"
DIRECT_REPLIES_GLOB = "iclr2020_*_directReplies.json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The only options of the ICLR 2020 review form (../shared/docs/api-facts.md).
FORM_RATINGS = {"1: Reject", "3: Weak Reject", "6: Weak Accept", "8: Accept"}


def _shared_data_dir() -> Path:
    env = os.environ.get("PAPERHARVEST_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def data_dir() -> Path:
    path = _shared_data_dir()
    if not (path / ACCEPTED_NOTES).is_file() or not list((path / RAW_EXAMPLES).glob(DIRECT_REPLIES_GLOB)):
        pytest.skip(f"{path} (../shared/data) not found: these tests read the real ICLR 2020 payloads")
    return path


@pytest.fixture(scope="module")
def venue() -> VenueConfig:
    return load_venue_file(REPO_CONFIGS / "iclr2020.toml")


@pytest.fixture(scope="module")
def accepted_notes(data_dir: Path) -> list[dict[str, Any]]:
    with gzip.open(data_dir / ACCEPTED_NOTES, "rt", encoding="utf-8") as fh:
        notes: list[dict[str, Any]] = json.load(fh)
    return notes


def _direct_reply_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / RAW_EXAMPLES).glob(DIRECT_REPLIES_GLOB))


@pytest.fixture(scope="module")
def reply_notes(data_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in _direct_reply_files(data_dir)]


@pytest.fixture()
def note(reply_notes: list[dict[str, Any]]) -> dict[str, Any]:
    """A private copy of a real note with its direct replies, for one-change variants."""
    return copy.deepcopy(reply_notes[0])


def _millis(value: int) -> datetime:
    return EPOCH + timedelta(milliseconds=value)


def _replies(raw: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in raw["details"]["directReplies"] if r["invitation"].endswith(f"/-/{name}")]


def _first_review(raw: dict[str, Any]) -> dict[str, Any]:
    return _replies(raw, "Official_Review")[0]


def _present(content: dict[str, Any], key: str) -> bool:
    value = content.get(key)
    return isinstance(value, str) and value.strip() != ""


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6: Weak Accept", (6, "Weak Accept")),
        ("1: Reject", (1, "Reject")),
        ("3: Weak Reject", (3, "Weak Reject")),
        ("8: Accept", (8, "Accept")),
        ("10: Top 5% of accepted papers, seminal paper", (10, "Top 5% of accepted papers, seminal paper")),
        ("  6 :  Weak Accept  ", (6, "Weak Accept")),
        ("7", (7, None)),
        ("7:", (7, None)),
        ("-1: Unsure", (-1, "Unsure")),
        (8, (8, None)),
        (0, (0, None)),
        (None, (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_score(value: Any, expected: tuple[int | None, str | None]) -> None:
    assert parse_score(value) == expected


@pytest.mark.parametrize("value", ["garbage", "Weak Accept: 6", "six: Weak Accept", "6.5: Weak Accept", 6.5, True, [6]])
def test_parse_score_refuses_garbage(value: Any) -> None:
    with pytest.raises(NormalizeError) as info:
        parse_score(value)
    assert repr(value) in str(info.value)
    assert isinstance(info.value, UpstreamDataError)
    assert info.value.exit_code == 5


def test_ms_to_datetime_is_utc() -> None:
    value = 1569439942705  # the real cdate of ryxyCeHtPB
    result = ms_to_datetime(value)
    assert result is not None
    assert result.utcoffset() == timedelta(0)
    assert result == _millis(value)
    assert result.microsecond == 705000
    assert ms_to_datetime(0) == EPOCH
    assert ms_to_datetime(1500.0) == EPOCH + timedelta(seconds=1.5)


def test_ms_to_datetime_ignores_local_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("no time.tzset on this platform")
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        result = ms_to_datetime(1569439942705)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert result == _millis(1569439942705)
    assert result is not None and result.tzinfo is not None and result.utcoffset() == timedelta(0)


def test_ms_to_datetime_reads_numeric_strings_and_rejects_the_rest() -> None:
    assert ms_to_datetime(None) is None
    assert ms_to_datetime("1569439942705") == _millis(1569439942705)
    for bad, reason in [(False, "bad_type"), ("soon", "bad_number"), ([1], "bad_number"), (10**30, "bad_number"),
                        (float("nan"), "bad_time"), (1e300, "bad_time")]:  # fmt: skip
        with pytest.raises(RejectedNote) as info:
            ms_to_datetime(bad, "cdate")
        assert info.value.reason == reason, bad
        assert str(info.value).startswith("cdate ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  a title \n", "a title"),
        ("inner  spaces  stay", "inner  spaces  stay"),
        ("", None),
        ("   \t\n ", None),
        (None, None),
        (42, "42"),
    ],
)
def test_clean_text(value: Any, expected: str | None) -> None:
    assert clean_text(value) == expected


@pytest.mark.parametrize(
    ("site", "value", "expected"),
    [
        (SITE, "/pdf/abc.pdf", f"{SITE}/pdf/abc.pdf"),
        (SITE + "/", "/pdf/abc.pdf", f"{SITE}/pdf/abc.pdf"),
        (SITE, "pdf/abc.pdf", f"{SITE}/pdf/abc.pdf"),
        (SITE, " /pdf/abc.pdf ", f"{SITE}/pdf/abc.pdf"),
        (SITE, "https://arxiv.org/pdf/1905.00001", "https://arxiv.org/pdf/1905.00001"),
        (SITE, "http://example.org/x.pdf", "http://example.org/x.pdf"),
        (SITE, None, None),
        (SITE, "", None),
        (SITE, "  ", None),
    ],
)
def test_absolute_url(site: str, value: Any, expected: str | None) -> None:
    assert absolute_url(site, value) == expected


@pytest.mark.parametrize(
    ("author_id", "expected"),
    [
        ("someone@Cs.UCLA.edu", "cs.ucla.edu"),
        ("ruanyj3107@zju.edu.cn", "zju.edu.cn"),
        ("odd@name@example.org", "example.org"),
        ("~Jane_Doe1", None),
        ("trailing@", None),
        ("", None),
        (None, None),
    ],
)
def test_email_domain(author_id: str | None, expected: str | None) -> None:
    assert email_domain(author_id) == expected


# --- (a) the 687 real accepted notes ------------------------------------------------------------------------


def test_accepted_notes_all_normalize(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    results = [normalize_note(raw, venue) for raw in accepted_notes]
    assert len(results) == len(accepted_notes)
    forum_ids = [r.paper.forum_id for r in results]
    assert forum_ids == [raw["id"] for raw in accepted_notes]
    assert len(set(forum_ids)) == len(forum_ids)
    for raw, result in zip(accepted_notes, results, strict=True):
        paper = result.paper
        assert paper.venue == "iclr2020"
        assert paper.number == raw["number"]
        assert paper.title == raw["content"]["title"].strip()
        assert paper.invitation == raw["invitation"]
        assert paper.created_at == _millis(raw["cdate"])
        assert paper.modified_at == _millis(raw["tmdate"])
        assert paper.keywords == [k.strip() for k in raw["content"]["keywords"] if k.strip()]


def test_accepted_notes_without_replies_are_under_review(
    accepted_notes: list[dict[str, Any]], venue: VenueConfig
) -> None:
    # This dump was fetched without details, so no note carries its Decision: nothing may invent one.
    assert all(raw["details"] is None for raw in accepted_notes)
    for raw in accepted_notes:
        result = normalize_note(raw, venue)
        assert result.paper.status == "under-review"
        assert result.paper.presentation is None
        assert result.paper.decision is None
        assert result.decision is None
        assert result.reviews == []


def test_tldr_and_code_counts_match_raw(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    results = [normalize_note(raw, venue) for raw in accepted_notes]
    raw_tldr = sum(_present(raw["content"], "TL;DR") for raw in accepted_notes)
    raw_code = sum(_present(raw["content"], "code") for raw in accepted_notes)
    assert sum(r.paper.tldr is not None for r in results) == raw_tldr
    assert sum(r.paper.code_url is not None for r in results) == raw_code
    # Both fields are optional in the data: a normalizer that filled every paper would not be caught otherwise.
    assert 0 < raw_tldr < len(accepted_notes)
    assert 0 < raw_code < len(accepted_notes)
    for raw, result in zip(accepted_notes, results, strict=True):
        tldr = raw["content"].get("TL;DR")
        assert result.paper.tldr == (tldr.strip() if _present(raw["content"], "TL;DR") else None)
        code = raw["content"].get("code")
        assert result.paper.code_url == (code.strip() if _present(raw["content"], "code") else None)


def test_tldr_stray_whitespace_is_trimmed(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    untrimmed = [raw for raw in accepted_notes if _present(raw["content"], "TL;DR")]
    untrimmed = [raw for raw in untrimmed if raw["content"]["TL;DR"] != raw["content"]["TL;DR"].strip()]
    if not untrimmed:
        pytest.skip("no TL;DR with stray whitespace in this data")
    for raw in untrimmed:
        tldr = normalize_note(raw, venue).paper.tldr
        assert tldr is not None
        assert tldr == tldr.strip()
        assert tldr != raw["content"]["TL;DR"]


def test_authors_keep_order_and_ids(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in accepted_notes:
        result = normalize_note(raw, venue)
        names = raw["content"]["authors"]
        ids = raw["content"]["authorids"]
        slots = max(len(names), len(ids))
        assert [pa.position for pa in result.paper_authors] == list(range(1, slots + 1))
        expected_names = [names[i].strip() if i < len(names) else None for i in range(slots)]
        assert [pa.name for pa in result.paper_authors] == expected_names
        expected_ids = [ids[i].strip() if i < len(ids) else None for i in range(slots)]
        assert [pa.author_id for pa in result.paper_authors] == expected_ids
        assert all(pa.forum_id == raw["id"] for pa in result.paper_authors)
        listed = [i for i in expected_ids if i]
        # Every id is kept, once, with the first name it was listed with.
        assert [a.author_id for a in result.authors] == list(dict.fromkeys(listed))
        first_name = {}
        for name, author_id in zip(expected_names, expected_ids, strict=True):
            if author_id:
                first_name.setdefault(author_id, name)
        assert {a.author_id: a.name for a in result.authors} == first_name
        for author in result.authors:
            assert author.email_domain == author.author_id.rsplit("@", 1)[1].lower()


def test_more_ids_than_names_keeps_every_id(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    mismatched = [raw for raw in accepted_notes if len(raw["content"]["authorids"]) > len(raw["content"]["authors"])]
    if not mismatched:
        pytest.skip("no note with more author ids than names in this data")
    for raw in mismatched:
        result = normalize_note(raw, venue)
        assert {a.author_id for a in result.authors} == {i.strip() for i in raw["content"]["authorids"]}


def test_pdf_url_is_absolute(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in accepted_notes:
        pdf = normalize_note(raw, venue).paper.pdf_url
        assert pdf is not None
        assert pdf == SITE + raw["content"]["pdf"]
        assert re.fullmatch(r"https://openreview\.net/pdf/[0-9a-f]+\.pdf", pdf), pdf


def test_accepted_note_as_withdrawn_listing(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    raw = copy.deepcopy(accepted_notes[0])
    raw["invitation"] = f"{VENUE_ID}/-/Withdrawn_Submission"
    result = normalize_note(raw, venue)
    assert result.paper.status == "withdrawn"
    assert result.paper.decision is None
    assert result.decision is None
    assert result.paper.presentation is None


def test_accepted_note_as_desk_rejected_listing(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    raw = copy.deepcopy(accepted_notes[0])
    raw["invitation"] = f"{VENUE_ID}/-/Desk_Rejected_Submission"
    assert normalize_note(raw, venue).paper.status == "desk-rejected"


def test_note_from_another_listing_is_refused(accepted_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    raw = copy.deepcopy(accepted_notes[0])
    raw["invitation"] = "ICLR.cc/2019/Conference/-/Blind_Submission"
    with pytest.raises(NormalizeError) as info:
        normalize_note(raw, venue)
    assert "ICLR.cc/2019/Conference/-/Blind_Submission" in str(info.value)
    assert raw["id"] in str(info.value)


# --- (b) real notes with their direct replies ---------------------------------------------------------------


def test_reply_examples_exist(data_dir: Path) -> None:
    # Both recorded forums: the 2022 guest dump and the late-2025 logged-in one.
    names = {p.name for p in _direct_reply_files(data_dir)}
    assert "iclr2020_ryxyCeHtPB_guest_v1_directReplies.json" in names
    assert "iclr2020_ryxz8CVYDH_v1_2025_directReplies.json" in names


def test_reviews_from_real_replies(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in reply_notes:
        result = normalize_note(raw, venue)
        raw_reviews = _replies(raw, "Official_Review")
        assert raw_reviews, raw["id"]
        assert [r.review_id for r in result.reviews] == [r["id"] for r in raw_reviews]
        for review, reply in zip(result.reviews, raw_reviews, strict=True):
            content = reply["content"]
            assert review.forum_id == raw["id"]
            assert review.reviewer == reply["signatures"][0].split("/")[-1]
            assert re.fullmatch(r"AnonReviewer\d+", review.reviewer)
            number, _, label = content["rating"].partition(":")
            assert review.rating == int(number)
            assert review.rating_label == label.strip()
            assert review.confidence is None
            assert review.title == content["title"].strip()
            assert review.text == content["review"].strip()
            assert review.created_at == _millis(reply["cdate"])
            assert review.modified_at == _millis(reply["tmdate"])
            expected = {k: v for k, v in content.items() if k not in ("title", "review", "rating")}
            assert review.assessments == expected
            assert "experience_assessment" in review.assessments
            assert sum(k.startswith("review_assessment:") for k in review.assessments) == 3


def test_ratings_use_only_the_2020_form_options(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in reply_notes:
        for review in normalize_note(raw, venue).reviews:
            assert f"{review.rating}: {review.rating_label}" in FORM_RATINGS


def test_comments_are_not_reviews(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    seen_public_comment = False
    for raw in reply_notes:
        result = normalize_note(raw, venue)
        review_ids = {r.review_id for r in result.reviews}
        for reply in raw["details"]["directReplies"]:
            if reply["invitation"].endswith(("/-/Public_Comment", "/-/Official_Comment")):
                seen_public_comment = True
                assert reply["id"] not in review_ids
                assert result.decision is None or result.decision.decision_id != reply["id"]
    assert seen_public_comment, "the 2022 guest dump holds one Public_Comment"


def test_decision_from_real_replies(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in reply_notes:
        result = normalize_note(raw, venue)
        (reply,) = _replies(raw, "Decision")
        raw_decision = reply["content"]["decision"]
        assert result.decision is not None
        assert result.decision.decision_id == reply["id"]
        assert result.decision.forum_id == raw["id"]
        assert result.decision.decision == raw_decision
        assert result.decision.comment == reply["content"]["comment"].strip()
        assert result.decision.comment  # the AC's meta-review text lives here in 2020
        assert result.decision.modified_at == _millis(reply["tmdate"])
        assert result.paper.decision == raw_decision
        # "Accept (Poster)" -> accepted, poster: read from the raw string, not from the config.
        match = re.fullmatch(r"(Accept|Reject)(?: \((\w+)\))?", raw_decision)
        assert match is not None, raw_decision
        kind, presentation = match.groups()
        assert result.paper.status == ("accepted" if kind == "Accept" else "rejected")
        assert result.paper.presentation == (presentation.lower() if presentation else None)


def test_real_reply_examples_are_accepted_posters(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in reply_notes:
        paper = normalize_note(raw, venue).paper
        assert paper.status == "accepted"
        assert paper.presentation == "poster"


def test_late_2025_note_fields(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    (raw,) = [r for r in reply_notes if "pdate" in r]
    paper = normalize_note(raw, venue).paper
    assert paper.tldr == raw["content"]["TL;DR"].strip()
    assert paper.code_url == raw["content"]["code"].strip()
    assert paper.number == raw["number"]
    assert paper.created_at == _millis(raw["cdate"])


def test_normalize_does_not_mutate_input(reply_notes: list[dict[str, Any]], venue: VenueConfig) -> None:
    for raw in reply_notes:
        before = copy.deepcopy(raw)
        normalize_note(raw, venue)
        assert raw == before


# --- (c) one-change variants of a real note -----------------------------------------------------------------


def _decision_reply(raw: dict[str, Any]) -> dict[str, Any]:
    (reply,) = _replies(raw, "Decision")
    return reply


def test_unknown_decision_string_stops(note: dict[str, Any], venue: VenueConfig) -> None:
    _decision_reply(note)["content"]["decision"] = "Accept (Oral)"
    with pytest.raises(VenueConfigGap) as info:
        normalize_note(note, venue)
    # A config gap stops the run: it must not be caught as a rejection and quarantined.
    assert not isinstance(info.value, RejectedNote)
    assert (info.value.field, info.value.value) == ("decision", "Accept (Oral)")
    message = str(info.value)
    assert "'Accept (Oral)'" in message
    assert note["id"] in message
    assert "Accept (Poster)" in message  # says what it does know


def test_decision_without_decision_field_stops(note: dict[str, Any], venue: VenueConfig) -> None:
    del _decision_reply(note)["content"]["decision"]
    with pytest.raises(RejectedNote, match="decision") as info:
        normalize_note(note, venue)
    assert info.value.reason == "no_decision"


@pytest.mark.parametrize("key", ["ddate", "tddate"])
def test_deleted_review_is_ignored(note: dict[str, Any], venue: VenueConfig, key: str) -> None:
    reviews = _replies(note, "Official_Review")
    deleted = reviews[0]
    deleted[key] = deleted["tmdate"] + 1000
    result = normalize_note(note, venue)
    assert deleted["id"] not in {r.review_id for r in result.reviews}
    assert len(result.reviews) == len(reviews) - 1


def test_deleted_decision_leaves_paper_under_review(note: dict[str, Any], venue: VenueConfig) -> None:
    _decision_reply(note)["ddate"] = 1577000000000
    result = normalize_note(note, venue)
    assert result.decision is None
    assert result.paper.status == "under-review"
    assert result.paper.decision is None


def test_withdrawn_submission_without_decision(note: dict[str, Any], venue: VenueConfig) -> None:
    note["invitation"] = f"{VENUE_ID}/-/Withdrawn_Submission"
    note["details"]["directReplies"].remove(_decision_reply(note))
    result = normalize_note(note, venue)
    assert result.paper.status == "withdrawn"
    assert result.paper.presentation is None
    assert result.paper.decision is None
    assert result.decision is None
    assert len(result.reviews) == len(_replies(note, "Official_Review"))


@pytest.mark.parametrize("title", [None, "", "   \n"])
def test_missing_title_stops(note: dict[str, Any], venue: VenueConfig, title: str | None) -> None:
    if title is None:
        del note["content"]["title"]
    else:
        note["content"]["title"] = title
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason == "no_title"
    assert note["id"] in str(info.value)
    assert "title" in str(info.value)


@pytest.mark.parametrize("content", ["absent", None, "a string", ["title"], 7])
def test_note_without_an_object_content_is_rejected(note: dict[str, Any], venue: VenueConfig, content: Any) -> None:
    if content == "absent":
        del note["content"]
    else:
        note["content"] = content
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason == "not_an_object"
    assert note["id"] in str(info.value)


# --- quarantine: what does not fit a field is a rejection, never a silent NULL -------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"), [("1194", 1194), (" 1194 ", 1194), (1194.0, 1194), (1194, 1194), (None, None)]
)
def test_number_sent_as_a_numeric_string_is_read(
    note: dict[str, Any], venue: VenueConfig, sent: Any, stored: Any
) -> None:
    note["number"] = sent
    assert normalize_note(note, venue).paper.number == stored


@pytest.mark.parametrize("number", [{"value": 1194}, [1194], "1194a", 11.5, True, 2**63, "9" * 40])
def test_number_that_is_not_a_number_is_rejected(note: dict[str, Any], venue: VenueConfig, number: Any) -> None:
    note["number"] = number
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason in ("bad_number", "bad_type")
    assert f"paper {note['id']}: number" in str(info.value)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("content", "title"), ["a", "list"]),
        (("content", "title"), {"value": "T"}),
        (("content", "abstract"), 42),
        (("content", "keywords"), {"k": 1}),
        (("content", "keywords"), ["ok", 3]),
        (("content", "authors"), "Ann Author"),
        (("content", "authorids"), [["x@y.org"]]),
        (("content", "pdf"), ["/pdf/x.pdf"]),
        (("tmdate",), "yesterday"),
    ],
)
def test_field_of_the_wrong_type_is_rejected(
    note: dict[str, Any], venue: VenueConfig, path: tuple[str, ...], value: Any
) -> None:
    target = note
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason in ("bad_type", "bad_number")
    assert note["id"] in str(info.value)


@pytest.mark.parametrize(
    "place", ["title", "abstract", "review text", "an unread reply field", "a key", "the id", "a keyword"]
)
def test_a_lone_surrogate_anywhere_is_rejected(note: dict[str, Any], venue: VenueConfig, place: str) -> None:
    review = _first_review(note)
    if place == "title":
        note["content"]["title"] += "\ud800"
    elif place == "abstract":
        note["content"]["abstract"] = "\udfff" + note["content"]["abstract"]
    elif place == "review text":
        review["content"]["review"] += " \ud83d"
    elif place == "an unread reply field":
        review["readers"] = ["everyone\udc00"]
    elif place == "a key":
        note["content"]["x\ud800"] = "y"
    elif place == "the id":
        note["id"] += "\ud800"
    else:
        note["content"]["keywords"].append("\ud800")
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason == "lone_surrogate"
    message = str(info.value)
    # The message itself is stored and printed: it must be encodable.
    message.encode("utf-8")
    assert "surrogate" in message


def test_a_paired_surrogate_is_an_ordinary_character(note: dict[str, Any], venue: VenueConfig) -> None:
    # json.loads joins a \ud83d\ude00 pair into one character: that is valid text and must be kept.
    note["content"]["title"] = json.loads('"Smile \\ud83d\\ude00"')
    assert normalize_note(note, venue).paper.title == "Smile \U0001f600"


@pytest.mark.parametrize(
    "change",
    ["reply not an object", "reply without id", "reply id a number", "review content a list",
     "signatures not names", "invitation a number", "details a list", "directReplies an object"],
)  # fmt: skip
def test_malformed_replies_are_rejected(note: dict[str, Any], venue: VenueConfig, change: str) -> None:
    review = _first_review(note)
    replies = note["details"]["directReplies"]
    if change == "reply not an object":
        replies.append("a reply")
    elif change == "reply without id":
        del review["id"]
    elif change == "reply id a number":
        review["id"] = 7
    elif change == "review content a list":
        review["content"] = [review["content"]]
    elif change == "signatures not names":
        review["signatures"] = [{"id": "AnonReviewer1"}]
    elif change == "invitation a number":
        review["invitation"] = 7
    elif change == "details a list":
        note["details"] = [replies]
    else:
        note["details"]["directReplies"] = {"0": review}
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason in ("not_an_object", "no_id", "bad_type")
    assert note["id"] in str(info.value) or "reply" in str(info.value)


def test_unreadable_rating_names_the_review(note: dict[str, Any], venue: VenueConfig) -> None:
    review = _replies(note, "Official_Review")[0]
    review["content"]["rating"] = "Strong Accept"
    with pytest.raises(RejectedNote) as info:
        normalize_note(note, venue)
    assert info.value.reason == "bad_score"
    assert review["id"] in str(info.value)
    assert note["id"] in str(info.value)
    assert "'Strong Accept'" in str(info.value)


@pytest.mark.parametrize("later_first", [False, True])
def test_two_decisions_the_later_tmdate_wins(note: dict[str, Any], venue: VenueConfig, later_first: bool) -> None:
    original = _decision_reply(note)
    reissued = copy.deepcopy(original)
    reissued["id"] = original["id"] + "_reissued"
    reissued["content"]["decision"] = "Accept (Spotlight)"
    reissued["tmdate"] = original["tmdate"] + 86_400_000
    replies = note["details"]["directReplies"]
    replies.insert(replies.index(original) + (0 if later_first else 1), reissued)
    result = normalize_note(note, venue)
    assert result.decision is not None
    assert result.decision.decision_id == reissued["id"]
    assert result.paper.decision == "Accept (Spotlight)"
    assert result.paper.presentation == "spotlight"


def test_earlier_reissued_decision_loses(note: dict[str, Any], venue: VenueConfig) -> None:
    original = _decision_reply(note)
    stale = copy.deepcopy(original)
    stale["id"] = original["id"] + "_stale"
    stale["content"]["decision"] = "Reject"
    stale["tmdate"] = original["tmdate"] - 86_400_000
    note["details"]["directReplies"].append(stale)
    result = normalize_note(note, venue)
    assert result.decision is not None
    assert result.decision.decision_id == original["id"]
    assert result.paper.status == "accepted"


ODD_TITLE = "深度学习 for Ünïcödé: cafe\u0301 נוירונים עמוקים 🧠🚀 ﷺ"
ODD_AUTHORS = ["王小明", "Jose\u0301 Nu\u0301n\u0303ez", "דוד כהן", "Zoë 🦜 O'Brien", "عبد الله"]


def test_odd_unicode_survives(note: dict[str, Any], venue: VenueConfig) -> None:
    # Combining accents stay decomposed: the test data is not NFC and nothing may normalize it.
    assert unicodedata.normalize("NFC", ODD_TITLE) != ODD_TITLE
    note["content"]["title"] = ODD_TITLE
    note["content"]["authors"] = list(ODD_AUTHORS)
    note["content"]["authorids"] = [f"author{i}@example.org" for i in range(len(ODD_AUTHORS))]
    result = normalize_note(note, venue)
    assert result.paper.title == ODD_TITLE
    assert [pa.name for pa in result.paper_authors] == ODD_AUTHORS
    assert [a.name for a in result.authors] == ODD_AUTHORS
    # Records round-trip through JSON (what the store writes) unchanged.
    assert json.loads(result.paper.model_dump_json())["title"] == ODD_TITLE


@pytest.mark.parametrize(
    ("tldr", "expected"),
    [
        ("  A short summary.\n", "A short summary."),
        ("\tTabbed\t", "Tabbed"),
        ("", None),
        ("   ", None),
    ],
)
def test_tldr_whitespace(note: dict[str, Any], venue: VenueConfig, tldr: str, expected: str | None) -> None:
    note["content"]["TL;DR"] = tldr
    assert normalize_note(note, venue).paper.tldr == expected


def test_absent_tldr_and_code(note: dict[str, Any], venue: VenueConfig) -> None:
    note["content"].pop("TL;DR", None)
    note["content"].pop("code", None)
    paper = normalize_note(note, venue).paper
    assert paper.tldr is None
    assert paper.code_url is None


def test_missing_authorid_gives_none_not_a_shift(note: dict[str, Any], venue: VenueConfig) -> None:
    names = note["content"]["authors"]
    ids = note["content"]["authorids"]
    assert len(names) == len(ids) and len(names) >= 2
    note["content"]["authorids"] = ids[:-1]
    result = normalize_note(note, venue)
    assert [pa.author_id for pa in result.paper_authors] == [*(i.strip() for i in ids[:-1]), None]
    assert result.paper_authors[-1].name == names[-1].strip()
    assert ids[-1] not in {a.author_id for a in result.authors}


def test_authors_not_a_list_stops(note: dict[str, Any], venue: VenueConfig) -> None:
    note["content"]["authors"] = "Jane Doe, John Roe"
    with pytest.raises(NormalizeError, match="authors"):
        normalize_note(note, venue)
