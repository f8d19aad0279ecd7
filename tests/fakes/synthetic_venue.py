"""A venue of ICLR 2026's size (19,814 submissions) for the scale benchmark, needing no recorded data.

The notes are API v1 notes in the shape of the fake ICLR 2020 venue's synthesized ones (same key order, same
reply builders: reviews with rating and confidence-like assessments, a Decision when decided, a few public and
author comments), served under ICLR 2020's invitations so the `iclr2020` config harvests them. Titles,
authors and abstracts are made up, with real lengths (about 1,100 characters of abstract, 4 or 5 authors).
Nothing random: the same arguments give the same venue, byte for byte, in a few seconds.

`with_edited_reviews` is the same venue after some reviews were edited, for a re-run that must write exactly
those versions.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.iclr2020_venue import (
    DESK_REJECTED,
    RATING_LABELS,
    SUBMISSION,
    WITHDRAWN,
    _hash,
    _IdMaker,
    _replies,
    _synthesized_note,
)

__all__ = ["ICLR2026_SUBMISSIONS", "build_synthetic_venue", "with_edited_reviews"]

ICLR2026_SUBMISSIONS = 19_814
Venue = dict[str, list[dict[str, Any]]]

# The real v1 note key order (iclr2020_accepted_notes_v1_full.json.gz).
_KEY_ORDER = [
    "id",
    "original",
    "number",
    "cdate",
    "tcdate",
    "tmdate",
    "ddate",
    "content",
    "forum",
    "referent",
    "invitation",
    "replyto",
    "readers",
    "nonreaders",
    "signatures",
    "writers",
    "details",
]
# papercopilot statuses by share of submissions, roughly a recent ICLR's: a third accepted, a fifth withdrawn.
_STATUSES = ((2, "Talk"), (6, "Spotlight"), (32, "Poster"), (79, "Reject"), (98, "Withdraw"), (100, "Desk Reject"))
_RATINGS = tuple(RATING_LABELS)
_WORDS = tuple(
    " ".join(
        (
            "learning representation graph neural network diffusion language model transformer attention sparse",
            "robust optimization gradient policy reinforcement contrastive generative scaling benchmark efficient",
            "inference alignment retrieval causal kernel bayesian adversarial federated quantization pruning",
        )
    ).split()
)
_CDATE = 1758000000000  # 2025-09-16: submissions close
_CDATE_STEP = 20_000


def _status(number: int) -> str:
    share = _hash("status", number) % 100
    return next(status for bound, status in _STATUSES if share < bound)


def _words(count: int, *seed: object) -> list[str]:
    h = _hash(*seed)
    return [_WORDS[(h >> (5 * i)) % len(_WORDS)] for i in range(count)]


def _record(forum: str, number: int) -> dict[str, Any]:
    """A papercopilot-like row, which the ICLR 2020 builders read."""
    status = _status(number)
    reviewed = status != "Desk Reject" and not (status == "Withdraw" and number % 3 == 0)
    count = 3 + _hash("reviews", number) % 3 if reviewed else 0
    ratings = [_RATINGS[_hash("rating", number, i) % len(_RATINGS)] for i in range(count)]
    first, last = _words(5, "author", number, 0), _words(5, "author", number, 1)
    authors = [f"{a.capitalize()} {b.capitalize()}son" for a, b in zip(first, last, strict=True)][: 3 + number % 3]
    return {
        "id": forum,
        "status": status,
        "title": " ".join(_words(8, "title", number)).capitalize() + f" ({number})",
        "author": ";".join(authors),
        "authorids": ";".join(f"~{a.replace(' ', '_')}{1 + number % 4}" for a in authors),
        "keywords": ";".join(_words(4, "keywords", number)),
        "rating": ";".join(map(str, ratings)),
    }


def build_synthetic_venue(submissions: int = ICLR2026_SUBMISSIONS) -> Venue:
    """invitation -> full v1 notes (each with details.directReplies), in number order."""
    ids = _IdMaker([])
    venue: Venue = {SUBMISSION: [], WITHDRAWN: [], DESK_REJECTED: []}
    listing = {"Withdraw": WITHDRAWN, "Desk Reject": DESK_REJECTED}
    for number in range(1, submissions + 1):
        forum = ids.make(f"synthetic:{number}")
        record = _record(forum, number)
        note = _synthesized_note(record, number, _CDATE + number * _CDATE_STEP, _KEY_ORDER, ids)
        body = " ".join(_words(12, "abstract", number))
        # About the length of a real abstract, so rows, FTS and bytes weigh what a real venue's do.
        note["content"]["abstract"] = (f"{body.capitalize()}. " * 12)[:1100]
        note["details"] = {"directReplies": _replies(forum, number, record, ids)}
        venue[listing.get(record["status"], SUBMISSION)].append(note)
    return venue


def with_edited_reviews(venue: Venue, every: int = 20) -> tuple[Venue, list[str]]:
    """The venue after every `every`-th review (in listing order) was edited: another rating, a later
    tmdate, a line added to its text. Returns the new venue (unedited notes are shared, not copied) and the
    edited reviews' ids."""
    edited: list[str] = []
    seen = 0
    out: Venue = {}
    for invitation, notes in venue.items():
        out[invitation] = []
        for note in notes:
            replies = note["details"]["directReplies"]
            new_replies = []
            for reply in replies:
                if reply["invitation"].endswith("/-/Official_Review"):
                    seen += 1
                    if seen % every == 0:
                        reply = _edited(reply)
                        edited.append(reply["id"])
                new_replies.append(reply)
            if any(a is not b for a, b in zip(replies, new_replies, strict=True)):
                note = {**note, "details": {**note["details"], "directReplies": new_replies}}
            out[invitation].append(note)
    return out, edited


def _edited(review: dict[str, Any]) -> dict[str, Any]:
    content = dict(review["content"])
    old = next(k for k, label in RATING_LABELS.items() if label == content["rating"])
    content["rating"] = RATING_LABELS[_RATINGS[(_RATINGS.index(old) + 1) % len(_RATINGS)]]
    content["review"] += "\n\nUpdate after the rebuttal: the authors addressed my concerns."
    return {**review, "tmdate": review["tmdate"] + 86_400_000, "content": content}
