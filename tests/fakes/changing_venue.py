"""The bundled ICLR 2020 sample as a cron job sees it change between two harvests, a week apart: during the
rebuttal a rating is edited, a review is posted and another taken down, the authors answer a review; then a
decision is posted, a paper is withdrawn and another's abstract revised for the camera-ready.

`early()` is the venue at the first harvest, `later()` a week on; `forums` names the paper of each change.
Served by tests.fakes.openreview_v1.FakeOpenReview, like any venue dict.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.record_sample import load_sample_venue

BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
WITHDRAWN = "ICLR.cc/2020/Conference/-/Withdrawn_Submission"
Venue = dict[str, list[dict[str, Any]]]
WEEK_MS = 7 * 24 * 3600 * 1000


def replies(note: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in note["details"]["directReplies"] if r["invitation"].endswith("/-/" + kind)]


@dataclass
class ChangingVenue:
    base: Venue = field(default_factory=load_sample_venue)
    forums: dict[str, str] = field(init=False)
    # The notes each change is about: the edited, posted and removed reviews, the decision, the response.
    notes: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        blind = self.base[BLIND]
        reviewed = [n for n in blind if len(replies(n, "Official_Review")) >= 2 and replies(n, "Decision")]
        names = ("edited", "new_review", "removed_review", "responded", "decided", "withdrawn", "revised")
        self.forums = {name: note["id"] for name, note in zip(names, reviewed, strict=False)}
        assert len(self.forums) == len(names), "the sample has too few reviewed papers"
        by_id = {n["id"]: n for n in blind}
        self.notes = {
            "edited": replies(by_id[self.forums["edited"]], "Official_Review")[0]["id"],
            "new_review": "NewReview" + self.forums["new_review"],
            "removed_review": replies(by_id[self.forums["removed_review"]], "Official_Review")[-1]["id"],
            "responded": "Response" + self.forums["responded"],
            "decided": replies(by_id[self.forums["decided"]], "Decision")[0]["id"],
        }

    def _note(self, venue: Venue, name: str) -> dict[str, Any]:
        return next(n for notes in venue.values() for n in notes if n["id"] == self.forums[name])

    def early(self) -> Venue:
        """The first harvest: one paper still waits for its decision, one review is not posted yet."""
        venue = copy.deepcopy(self.base)
        waiting = self._note(venue, "decided")
        waiting["details"]["directReplies"] = [
            r for r in waiting["details"]["directReplies"] if not r["invitation"].endswith("/-/Decision")
        ]
        return venue

    def later(self) -> Venue:
        """A week on: every change of the docstring."""
        venue = copy.deepcopy(self.base)
        edited = replies(self._note(venue, "edited"), "Official_Review")[0]
        old = int(edited["content"]["rating"].split(":")[0])
        edited["content"]["rating"] = "8: Accept" if old < 8 else "1: Reject"
        edited["tmdate"] += WEEK_MS

        target = self._note(venue, "new_review")
        posted = copy.deepcopy(replies(target, "Official_Review")[0])
        posted.update(id=self.notes["new_review"], tcdate=posted["tcdate"] + WEEK_MS, tmdate=posted["tmdate"] + WEEK_MS)
        posted["content"]["rating"] = "3: Weak Reject"
        target["details"]["directReplies"].append(posted)

        gone = self._note(venue, "removed_review")
        gone["details"]["directReplies"] = [
            r for r in gone["details"]["directReplies"] if r["id"] != self.notes["removed_review"]
        ]

        answered = self._note(venue, "responded")
        review = replies(answered, "Official_Review")[0]
        number = answered["number"]
        answered["details"]["directReplies"].append(
            {
                "id": self.notes["responded"],
                "original": None,
                "number": 99,
                "cdate": review["tmdate"] + 1000,
                "ddate": None,
                "tcdate": review["tmdate"] + 1000,
                "tmdate": review["tmdate"] + 1000,
                "tddate": None,
                "forum": answered["id"],
                "replyto": answered["id"],
                "invitation": f"ICLR.cc/2020/Conference/Paper{number}/-/Official_Comment",
                "content": {"title": "Response to all reviewers", "comment": "We thank the reviewers."},
                "signatures": [f"ICLR.cc/2020/Conference/Paper{number}/Authors"],
                "readers": ["everyone"],
                "nonreaders": [],
                "writers": [f"ICLR.cc/2020/Conference/Paper{number}/Authors"],
            }
        )

        withdrawn = self._note(venue, "withdrawn")
        venue[BLIND].remove(withdrawn)
        withdrawn["invitation"] = WITHDRAWN
        withdrawn["tmdate"] += WEEK_MS
        withdrawn["details"]["directReplies"] = [
            r for r in withdrawn["details"]["directReplies"] if not r["invitation"].endswith("/-/Decision")
        ]
        venue[WITHDRAWN].append(withdrawn)

        revised = self._note(venue, "revised")
        revised["content"]["abstract"] = "A revised abstract for the camera-ready."
        revised["tmdate"] += WEEK_MS
        return venue
