"""API v2 venues no config file describes, built from the ICLR 2024 sample (tests/fixtures/iclr2024_sample) by
rewriting its ids and names, each with a venue group shaped like a different openreview-py era:

- `alpha`: every group content key the sources document (decision_heading_map, meta_review_recommendation,
  rebuttal_name, accept_decision_options...), venue strings "Alpha 2025 oral" and so on;
- `beta`: only the keys a group written before 2023-02 has (no decision_field_name, decision_heading_map,
  meta_review_recommendation, accept_decision_options or rebuttal_name), so the defaults must stand in;
- `gamma`: renamed fields: papers are `Paper{N}` (submission_name), reviews `-/Review` with `overall_score`
  and `reviewer_confidence`, decisions `-/Final_Decision` with a `verdict`;
- `DELTA_GROUP`: a v2 group with no submission_id (a parent group): nothing to derive.

Every venue holds the sample's 32 papers, so each harvest's tallies are the sample's (tests/fixtures/
v2_venues/EXPECTED.json, written by hand from the sample's own EXPECTED.json).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from tests.conftest import REPO

SAMPLE = REPO / "tests" / "fixtures" / "iclr2024_sample" / "notes.json"
OLD_ID = "ICLR.cc/2024/Conference"
OLD_SHORT = "ICLR 2024"


@dataclass(frozen=True)
class FakeVenue:
    venue_id: str
    key: str  # the key derivation must give it
    group: dict[str, Any]
    notes: list[dict[str, Any]]


def _sample() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data["group"], data["notes"]


def _renamed(value: Any, venue_id: str, short: str) -> Any:
    if isinstance(value, str):
        return value.replace(OLD_ID, venue_id).replace(OLD_SHORT, short)
    if isinstance(value, list):
        return [_renamed(item, venue_id, short) for item in value]
    if isinstance(value, dict):
        return {key: _renamed(item, venue_id, short) for key, item in value.items()}
    return value


def _new_ids(notes: list[dict[str, Any]], letter: str) -> list[dict[str, Any]]:
    """The notes with ids of their own (first character `letter`), so several venues fit one fake server."""
    ids = {note["id"] for note in notes} | {reply["id"] for note in notes for reply in note["details"]["replies"]}
    renamed = {old: letter + old[1:] for old in ids}
    assert len(set(renamed.values())) == len(ids)

    def moved(note: dict[str, Any]) -> dict[str, Any]:
        return {**note, **{key: renamed[note[key]] for key in ("id", "forum", "replyto") if note.get(key) in renamed}}

    return [{**moved(note), "details": {"replies": [moved(r) for r in note["details"]["replies"]]}} for note in notes]


def _moved(venue_id: str, short: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    group, notes = _sample()
    group = _renamed(group, venue_id, short)
    group["content"]["subtitle"] = {"value": short}
    return group, _new_ids(_renamed(notes, venue_id, short), venue_id[0])


def _without(group: dict[str, Any], *keys: str) -> dict[str, Any]:
    group["content"] = {key: value for key, value in group["content"].items() if key not in keys}
    return group


def alpha() -> FakeVenue:
    venue_id, short = "Alpha.cc/2025/Conference", "Alpha 2025"
    group, notes = _moved(venue_id, short)
    group["content"].update(
        {
            "decision_heading_map": {
                "value": {
                    f"{short} oral": "Accept (oral)",
                    f"{short} spotlight": "Accept (spotlight)",
                    f"{short} poster": "Accept (poster)",
                    f"Submitted to {short}": "Reject",
                }
            },
            "meta_review_recommendation": {"value": "recommendation"},
            "rebuttal_name": {"value": "Rebuttal"},
            "senior_area_chairs_name": {"value": "Senior_Area_Chairs"},
            "meta_invitation_id": {"value": f"{venue_id}/-/Edit"},
        }
    )
    return FakeVenue(venue_id, "alpha2025", group, notes)


def beta() -> FakeVenue:
    venue_id, short = "Beta.org/BETA/2023/Conference", "BETA 2023"
    group, notes = _moved(venue_id, short)
    group = _without(
        group,
        "decision_field_name",
        "decision_heading_map",
        "meta_review_recommendation",
        "accept_decision_options",
        "rebuttal_name",
    )
    return FakeVenue(venue_id, "beta2023", group, notes)


_REVIEW_KEYS = {"rating": "overall_score", "confidence": "reviewer_confidence"}


def _gamma_reply(reply: dict[str, Any]) -> dict[str, Any]:
    invitation = reply["invitations"][0]
    if invitation.endswith("/-/Official_Review"):
        reply["content"] = {_REVIEW_KEYS.get(key, key): value for key, value in reply["content"].items()}
    if invitation.endswith("/-/Decision"):
        reply["content"] = {("verdict" if key == "decision" else key): v for key, v in reply["content"].items()}
    return reply


def gamma() -> FakeVenue:
    venue_id, short = "Gamma.cc/2025/Track/Main", "Gamma 2025 Main"
    group, notes = _moved(venue_id, short)
    group["content"].update(
        {
            "submission_name": {"value": "Paper"},
            "review_name": {"value": "Review"},
            "review_rating": {"value": "overall_score"},
            "review_confidence": {"value": "reviewer_confidence"},
            "decision_name": {"value": "Final_Decision"},
            "decision_field_name": {"value": "verdict"},
        }
    )
    renamed = []
    for note in notes:
        for reply in note["details"]["replies"]:
            _gamma_reply(reply)
        # Per-paper names: Submission12/-/Official_Review -> Paper12/-/Review (the status venueids stay).
        text = json.dumps(note, ensure_ascii=False)
        text = re.sub(rf"{re.escape(venue_id)}/Submission(\d)", rf"{venue_id}/Paper\1", text)
        text = text.replace("/-/Official_Review", "/-/Review").replace("/-/Decision", "/-/Final_Decision")
        renamed.append(json.loads(text))
    return FakeVenue(venue_id, "gamma2025-track-main", group, renamed)


def delta_group() -> dict[str, Any]:
    """A v2 group with a domain but no submission_id: a parent of venues, not a venue with papers."""
    group, _ = _sample()
    group = copy.deepcopy(group)
    group.update(id="Delta.cc/2025", domain="Delta.cc/2025")
    group["content"] = {"title": {"value": "Delta 2025"}}
    return group


def venues() -> list[FakeVenue]:
    return [alpha(), beta(), gamma()]


def served(fakes: list[FakeVenue]) -> dict[str, Any]:
    """FakeOpenReview's arguments for serving these venues (and the Delta group)."""
    notes = {f"v2-{fake.key}": fake.notes for fake in fakes}
    return {"notes_by_invitation": notes, "v2_groups": [*(fake.group for fake in fakes), delta_group()]}
