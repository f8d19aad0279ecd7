"""Whole discussions: `details=replies` gives Comment records (reply tree, roles from signatures) from the real
v1 and v2 example forums, a harvest with `[replies] forum = "replies"` stores them, and a config without the
key keeps fetching direct replies and stores none. Expected values are counted from the real files."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.errors import RejectedNote
from paperharvest.models import NormalizedNote
from paperharvest.normalize.comments import signature_role
from paperharvest.normalize.notes import normalize_note
from paperharvest.normalize.notes_v2 import normalize_note_v2
from paperharvest.venues import VenueConfig, load_venue_file
from tests.conftest import REPO
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.helpers import rows, scalar, stored_notes

EXAMPLES = "openreview_raw_examples"
V1_REPLIES = "iclr2020_ryxyCeHtPB_guest_v1_replies.json"
V1_DIRECT = "iclr2020_ryxyCeHtPB_guest_v1_directReplies.json"
V2_REPLIES = "iclr2026_zzo3Sy3NSX_v2_2025_replies.json"
CONFIGS = REPO / "configs" / "venues"
BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
COMMENT_NAMES = ("Official_Comment", "Public_Comment")


def _load(shared_data: Path, name: str) -> dict[str, Any]:
    note: dict[str, Any] = json.loads((shared_data / EXAMPLES / name).read_text(encoding="utf-8"))
    return note


def _venue(key: str) -> VenueConfig:
    return load_venue_file(CONFIGS / f"{key}.toml")


def _invitation(reply: dict[str, Any]) -> str:
    return str(reply.get("invitation") or reply["invitations"][0])


def _file_comments(note: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The comment replies of a real forum, picked by their invitation's name."""
    return {r["id"]: r for r in note["details"]["replies"] if _invitation(r).rsplit("/-/", 1)[-1] in COMMENT_NAMES}


def _file_role(signature: str) -> str:
    # The two kinds of writer the real forums hold, read the plainest way.
    if signature.endswith("/Authors"):
        return "authors"
    if signature.startswith("~"):
        return "public"
    return "reviewer" if "/Reviewer_" in signature or "/AnonReviewer" in signature else "?"


def _text(value: Any) -> str:
    return str(value["value"] if isinstance(value, dict) else value).strip()


def _check_against_file(records: NormalizedNote, note: dict[str, Any]) -> None:
    wanted = _file_comments(note)
    got = {c.comment_id: c for c in records.comments}
    assert set(got) == set(wanted)
    for comment_id, comment in got.items():
        reply = wanted[comment_id]
        assert comment.forum_id == note["id"]
        assert comment.replyto == reply["replyto"]
        assert comment.invitation == _invitation(reply)
        assert comment.signatures == reply["signatures"]
        assert comment.role == _file_role(reply["signatures"][0])
        assert comment.signer == reply["signatures"][0].rsplit("/", 1)[-1]
        assert comment.text == _text(reply["content"]["comment"])
        assert comment.modified_at is not None and int(comment.modified_at.timestamp() * 1000) == reply["tmdate"]


def test_the_real_v1_forum_gives_its_comments_with_roles(shared_data: Path) -> None:
    note = _load(shared_data, V1_REPLIES)
    records = normalize_note(note, _venue("iclr2020"))
    _check_against_file(records, note)
    roles = Counter(c.role for c in records.comments)
    assert roles == Counter(_file_role(r["signatures"][0]) for r in _file_comments(note).values())
    assert roles["authors"] > 0 and roles["public"] > 0
    kinds = Counter(c.kind for c in records.comments)
    assert kinds == Counter(_invitation(r).rsplit("/-/", 1)[-1].lower() for r in _file_comments(note).values())
    # Each author response answers a review of the same forum: the tree links comments to reviews.
    review_ids = {r.review_id for r in records.reviews}
    assert {c.replyto for c in records.comments if c.role == "authors"} <= review_ids


def test_the_whole_v1_forum_gives_the_records_its_direct_replies_give(shared_data: Path) -> None:
    venue = _venue("iclr2020")
    whole = normalize_note(_load(shared_data, V1_REPLIES), venue)
    direct = normalize_note(_load(shared_data, V1_DIRECT), venue)
    # Direct replies alone are no whole discussion, so they give no comments at all.
    assert direct.comments == []
    assert whole.comments
    # The API lists the two details in different orders; the records are the same.
    in_order = sorted(whole.reviews, key=lambda r: r.review_id)
    assert whole.model_copy(update={"comments": [], "reviews": in_order}) == direct.model_copy(
        update={"reviews": sorted(direct.reviews, key=lambda r: r.review_id)}
    )


def test_the_real_v2_forum_gives_its_comment_tree(shared_data: Path) -> None:
    note = _load(shared_data, V2_REPLIES)
    records = normalize_note_v2(note, _venue("iclr2026"))
    _check_against_file(records, note)
    replies = {r["id"] for r in note["details"]["replies"]} | {note["id"]}
    assert all(c.replyto in replies for c in records.comments)
    # The discussion nests: some comments answer comments, not the paper or a review.
    comment_ids = {c.comment_id for c in records.comments}
    assert any(c.replyto in comment_ids for c in records.comments)
    # A reviewer's comment is signed like their review, so `signer` joins the two.
    reviewers = {r.reviewer for r in records.reviews}
    by_reviewers = [c for c in records.comments if c.role == "reviewer"]
    assert by_reviewers and all(c.signer in reviewers for c in by_reviewers)


@pytest.mark.parametrize(
    ("signature", "role"),
    [
        ("ICLR.cc/2020/Conference/Paper123/Authors", "authors"),
        ("ICLR.cc/2020/Conference/Paper123/AnonReviewer2", "reviewer"),
        ("ICLR.cc/2020/Conference/Submission123/Reviewer_abcd", "reviewer"),
        ("ICLR.cc/2020/Conference/Paper123/Area_Chair1", "area_chair"),
        ("ICLR.cc/2020/Conference/Submission123/Area_Chair_xY12", "area_chair"),
        ("ICLR.cc/2020/Conference/Submission123/Senior_Area_Chairs", "senior_area_chair"),
        ("ICLR.cc/2020/Conference/Program_Chairs", "program_chairs"),
        ("ICLR.cc/2020/Conference", "program_chairs"),
        ("~Jane_Doe1", "public"),
        ("ICLR.cc/2019/Conference/Paper123/Authors", "other"),
        ("ICLR.cc/2020/Conference/Submission123/Reviewers/Submitted", "other"),
        ("ICLR.cc/2020/Conference/Paper123/Ethics_Reviewer1", "other"),
    ],
)
def test_roles_come_from_signatures(signature: str, role: str) -> None:
    assert signature_role(signature, "ICLR.cc/2020/Conference") == role


def _first_comment(note: dict[str, Any]) -> dict[str, Any]:
    return next(iter(_file_comments(note).values()))


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda c: c.update(content="a comment"), "not_an_object"),
        (lambda c: c.pop("replyto"), "no_replyto"),
        (lambda c: c.update(signatures="~Jane_Doe1"), "bad_type"),
        (lambda c: c["content"].update(comment=42), "bad_type"),
        (lambda c: c.update(tmdate="yesterday"), "bad_number"),
    ],
    ids=["content a string", "no replyto", "signatures a string", "text a number", "tmdate a word"],
)
def test_a_malformed_comment_rejects_its_note(shared_data: Path, spoil: Any, reason: str) -> None:
    note = _load(shared_data, V1_REPLIES)
    spoil(_first_comment(note))
    with pytest.raises(RejectedNote) as caught:
        normalize_note(note, _venue("iclr2020"))
    assert caught.value.reason == reason


def test_a_deleted_comment_is_left_out(shared_data: Path) -> None:
    note = _load(shared_data, V1_REPLIES)
    gone = _first_comment(note)
    gone["ddate"] = gone["tmdate"]
    records = normalize_note(note, _venue("iclr2020"))
    assert gone["id"] not in {c.comment_id for c in records.comments}
    assert len(records.comments) == len(_file_comments(note)) - 1


# ---- through the fake, the stage and the store ------------------------------------------------------------


def _configs_with_forum(tmp_path: Path, forum: str, page_size: int | None = None) -> Path:
    folder = tmp_path / f"configs-{forum or 'default'}"
    folder.mkdir()
    text = (CONFIGS / "iclr2020.toml").read_text(encoding="utf-8")
    # The stock config's own choice is taken out, so each test says which forum it fetches (or none: the default).
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("forum ="))
    keys = (f'forum = "{forum}"\n' if forum else "") + (f"page_size = {page_size}\n" if page_size else "")
    (folder / "iclr2020.toml").write_text(text.replace("[replies]\n", "[replies]\n" + keys, 1))
    return folder


def _harvest(note: dict[str, Any], db: Path, fake_env: Any, configs: Path) -> set[tuple[str, str]]:
    """One fetch of a venue of one paper; returns the `details` and `limit` its listings asked with."""
    with FakeOpenReview({BLIND: [note]}) as fake:
        fake_env(fake.url)
        args = ["fetch", "--venue", "iclr2020", "--db", str(db), "--configs", str(configs)]
        assert main([*args, "--stages", "notes", "--quiet"]) == 0
        return {(r.query.get("details", ""), r.query.get("limit", "")) for r in fake.requests if r.path == "/notes"}


def test_a_harvest_with_replies_stores_the_comment_tree(tmp_path: Path, shared_data: Path, fake_env: Any) -> None:
    note = _load(shared_data, V1_REPLIES)
    db = tmp_path / "h.db"
    assert _harvest(note, db, fake_env, _configs_with_forum(tmp_path, "replies", page_size=7)) == {("replies", "7")}
    stored = {r[0]: r[1:] for r in rows(db, "SELECT comment_id, replyto, role, signatures, text FROM comments")}
    wanted = _file_comments(note)
    assert set(stored) == set(wanted)
    for comment_id, (replyto, role, signatures, text) in stored.items():
        reply = wanted[comment_id]
        assert (replyto, role, json.loads(signatures)) == (
            reply["replyto"],
            _file_role(reply["signatures"][0]),
            reply["signatures"],
        )
        assert text == reply["content"]["comment"].strip()
    # The tree joins up in SQL: every author response answers a stored review of the same paper.
    answered = rows(
        db,
        "SELECT count(*) FROM comments c JOIN reviews r ON r.review_id = c.replyto AND r.forum_id = c.forum_id "
        "WHERE c.role = 'authors'",
    )[0][0]
    assert answered == sum(1 for r in wanted.values() if _file_role(r["signatures"][0]) == "authors") > 0
    # The whole forum is kept raw, so rebuild re-derives the comments without the network.
    before = rows(db, "SELECT * FROM comments ORDER BY comment_id")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM comments")
    conn.close()
    # The stored payload, not today's config, says what the forum holds.
    assert main(["rebuild", "--db", str(db), "--configs", str(_configs_with_forum(tmp_path, "directReplies"))]) == 0
    assert rows(db, "SELECT * FROM comments ORDER BY comment_id") == before


def test_a_rerun_adds_and_removes_comments(tmp_path: Path, shared_data: Path, fake_env: Any) -> None:
    note = _load(shared_data, V1_REPLIES)
    db = tmp_path / "h.db"
    configs = _configs_with_forum(tmp_path, "replies")
    _harvest(note, db, fake_env, configs)
    later = copy.deepcopy(note)
    replies = later["details"]["replies"]
    gone = next(r for r in replies if _invitation(r).endswith("Public_Comment"))
    gone["ddate"] = gone["tddate"] = gone["tmdate"] + 1
    parent = next(r for r in replies if _invitation(r).endswith("Official_Comment"))
    answer = copy.deepcopy(parent)
    answer.update(id="NewReply01", replyto=parent["id"], signatures=["ICLR.cc/2020/Conference/Paper2594/AnonReviewer1"])
    replies.append(answer)
    _harvest(later, db, fake_env, configs)
    stored = dict(rows(db, "SELECT comment_id, replyto FROM comments"))
    assert gone["id"] not in stored
    assert stored["NewReply01"] == parent["id"]
    assert scalar(db, "SELECT role FROM comments WHERE comment_id = 'NewReply01'") == "reviewer"
    assert len(stored) == len(_file_comments(note))


def test_a_config_without_the_key_keeps_direct_replies(tmp_path: Path, shared_data: Path, fake_env: Any) -> None:
    note = _load(shared_data, V1_REPLIES)
    db = tmp_path / "d.db"
    assert _harvest(note, db, fake_env, _configs_with_forum(tmp_path, "")) == {("directReplies", "1000")}
    assert scalar(db, "SELECT count(*) FROM comments") == 0
    # What the fake answered is what the real API answered for the same forum with directReplies.
    raw = stored_notes(db, "iclr2020")[note["id"]]
    direct = _load(shared_data, V1_DIRECT)["details"]["directReplies"]
    assert sorted(r["id"] for r in raw["details"]["directReplies"]) == sorted(r["id"] for r in direct)
    # And it stores the same reviews and decision as the whole forum does.
    reviews = rows(db, "SELECT review_id, rating FROM reviews ORDER BY review_id")
    whole = tmp_path / "w.db"
    _harvest(note, whole, fake_env, _configs_with_forum(tmp_path, "replies"))
    assert rows(whole, "SELECT review_id, rating FROM reviews ORDER BY review_id") == reviews
    assert scalar(whole, "SELECT decision FROM decisions") == scalar(db, "SELECT decision FROM decisions")


def test_configs_ask_for_whole_forums_with_smaller_pages_where_forums_are_long() -> None:
    stock = _venue("iclr2020")
    assert stock.replies.forum == "replies" and stock.listing_page_size(1000) == 1000
    v2 = _venue("iclr2026")
    assert v2.replies.forum == "replies"
    assert v2.listing_page_size(1000) == 250 and v2.listing_page_size(100) == 100
