"""ICLR 2018's venue-wide decisions end to end: the decisions are one listing of their own, matched to papers
by forum, kept raw, and read again by `rebuild`. The venue is the 2020 sample rewritten into 2018's shape."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from paperharvest.cli import main
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import rows, scalar, table_dump

DECISIONS_2018 = {
    "Accept (Talk)": "Accept (Oral)",
    "Accept (Spotlight)": "Invite to Workshop Track",
    "Accept (Poster)": "Accept (Poster)",
    "Reject": "Reject",
}
LISTING = "ICLR.cc/2018/Conference/-/{}"
Venue = dict[str, list[dict[str, Any]]]
DECISION_LISTING = "ICLR.cc/2018/Conference/-/Acceptance_Decision"


def venue_2018() -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The sample's submissions as 2018 served them, and the decision each paper must end up with."""
    venue: dict[str, list[dict[str, Any]]] = {}
    decisions: list[dict[str, Any]] = []
    expected: dict[str, str] = {}
    for invitation, notes in copy.deepcopy(load_sample_venue()).items():
        if "Desk_Rejected" in invitation:
            continue  # 2018 had no desk-rejection listing
        listing = LISTING.format(invitation.rsplit("/", 1)[1])
        for note in notes:
            note["invitation"] = listing
            kept = []
            for reply in note["details"]["directReplies"]:
                if reply["invitation"].endswith("/-/Decision"):
                    decision = DECISIONS_2018[reply["content"]["decision"]]
                    expected[note["id"]] = decision
                    decisions.append(
                        {
                            **reply,
                            "invitation": DECISION_LISTING,
                            "forum": note["id"],
                            "replyto": note["id"],
                            "signatures": ["ICLR.cc/2018/Conference/Program_Chairs"],
                            "content": {
                                "title": "ICLR 2018 Conference Acceptance Decision",
                                "decision": decision,
                                "comment": reply["content"]["comment"],
                            },
                        }
                    )
                    continue
                reply["invitation"] = re.sub(
                    r"ICLR\.cc/2020/Conference/Paper(\d+)/-/(\w+)",
                    r"ICLR.cc/2018/Conference/-/Paper\1/\2",
                    reply["invitation"],
                )
                kept.append(reply)
            note["details"]["directReplies"] = kept
        venue[listing] = notes
    venue[DECISION_LISTING] = decisions
    return venue, expected


def venue_2018_before_one_decision() -> tuple[Venue, Venue, dict[str, str], str]:
    """(the venue before one paper's decision was posted, the venue after, every paper's decision, that paper)."""
    venue, expected = venue_2018()
    late = next(iter(expected))
    early = copy.deepcopy(venue)
    early[DECISION_LISTING] = [d for d in early[DECISION_LISTING] if d["forum"] != late]
    return early, venue, expected, late


def test_venue_wide_decisions_are_matched_to_papers_by_forum(tmp_path: Path, fake_env: Any) -> None:
    venue, expected = venue_2018()
    db = tmp_path / "x.db"
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", "iclr2018", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
        listed = [r.query["invitation"] for r in fake.requests if r.path == "/notes"]
    assert listed[0] == DECISION_LISTING  # decisions first, so each paper is normalized with its own
    stored = dict(rows(db, "SELECT forum_id, decision FROM papers WHERE decision IS NOT NULL"))
    assert stored == expected
    oral = next(f for f, d in expected.items() if d == "Accept (Oral)")
    workshop = next(f for f, d in expected.items() if d == "Invite to Workshop Track")
    assert rows(db, "SELECT status, presentation FROM papers WHERE forum_id = ?", oral) == [("accepted", "oral")]
    assert rows(db, "SELECT status, presentation FROM papers WHERE forum_id = ?", workshop) == [("rejected", None)]
    assert scalar(db, "SELECT count(*) FROM reviews") > 0
    # The decisions are kept raw beside the papers, and rebuild reads them again.
    assert scalar(db, "SELECT count(*) FROM raw_notes WHERE invitation = ?", DECISION_LISTING) == len(expected)
    before = table_dump(db)
    assert main(["rebuild", "--db", str(db), "--quiet"]) == 0
    assert table_dump(db) == before
