"""The whole ICLR 2020 venue (2,594 submissions) as API v1 notes, built from the recorded data in shared/.

The 687 accepted papers are the real notes. The other 1,907 (rejected, withdrawn, desk-rejected) exist in
the data only as papercopilot rows, so their notes are synthesized with the real key set and order. Every
paper gets its reviews (one per papercopilot rating), a Decision when it was decided, and some papers a
Public_Comment or Official_Comment that consumers must skip. Nothing random: the same data gives the same
venue, byte for byte.

`expected_iclr2020` reads the same data sets independently of the builder, so a harvest of the fake venue
can be checked against numbers nobody typed in.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ACCEPTED_NOTES_FILE",
    "DESK_REJECTED",
    "PAPERCOPILOT_FILE",
    "RATING_LABELS",
    "SUBMISSION",
    "VENUE_ID",
    "WITHDRAWN",
    "Expected",
    "build_iclr2020_venue",
    "expected_iclr2020",
    "paperhash",
    "shared_data_dir",
]

VENUE_ID = "ICLR.cc/2020/Conference"
SUBMISSION = f"{VENUE_ID}/-/Blind_Submission"
WITHDRAWN = f"{VENUE_ID}/-/Withdrawn_Submission"
DESK_REJECTED = f"{VENUE_ID}/-/Desk_Rejected_Submission"
PROGRAM_CHAIRS = f"{VENUE_ID}/Program_Chairs"

ACCEPTED_NOTES_FILE = "iclr2020_accepted_notes_v1_full.json.gz"
PAPERCOPILOT_FILE = "papercopilot_iclr2020.json.gz"

# The only rating options the ICLR 2020 review form offered.
RATING_LABELS: dict[int, str] = {1: "1: Reject", 3: "3: Weak Reject", 6: "6: Weak Accept", 8: "8: Accept"}

# papercopilot status -> (our status, presentation, Decision note's decision string)
_STATUS: dict[str, tuple[str, str | None, str | None]] = {
    "Talk": ("accepted", "talk", "Accept (Talk)"),
    "Spotlight": ("accepted", "spotlight", "Accept (Spotlight)"),
    "Poster": ("accepted", "poster", "Accept (Poster)"),
    "Reject": ("rejected", None, "Reject"),
    "Withdraw": ("withdrawn", None, None),
    "Desk Reject": ("desk-rejected", None, None),
}
_INVITATION_BY_STATUS = {
    "accepted": SUBMISSION,
    "rejected": SUBMISSION,
    "withdrawn": WITHDRAWN,
    "desk-rejected": DESK_REJECTED,
}

# Real reply key order, as the API serves it (iclr2020_ryxz8CVYDH_v1_2025_directReplies.json).
_REPLY_KEYS = (
    "id",
    "original",
    "number",
    "cdate",
    "ddate",
    "tcdate",
    "tmdate",
    "tddate",
    "forum",
    "replyto",
    "invitation",
    "content",
    "signatures",
    "readers",
    "nonreaders",
    "writers",
)

# Answer options seen in real 2020 reviews; cycled so values vary without randomness.
_EXPERIENCE = (
    "I have published one or two papers in this area.",
    "I have published in this field for several years.",
    "I have read many papers in this area.",
    "I do not know much about this area.",
)
_THOROUGHNESS = (
    "I read the paper at least twice and used my best judgement in assessing the paper.",
    "I read the paper thoroughly.",
    "I made a quick assessment of this paper.",
)
_DERIVATIONS = (
    "I assessed the sensibility of the derivations and theory.",
    "I carefully checked the derivations and theory.",
    "I did not assess the derivations or theory.",
)
_EXPERIMENTS = (
    "I assessed the sensibility of the experiments.",
    "I carefully checked the experiments.",
    "I did not assess the experiments.",
)

# Epoch-ms anchors for the 2020 timeline, so synthesized timestamps sit where real ones do.
_REVIEWS_OPEN = 1571529600000  # 2019-10-20
_REVIEWS_DUE = 1572998400000  # 2019-11-06
_REBUTTAL_END = 1574899200000  # 2019-11-28
_COMMENTS_OPEN = 1569888000000  # 2019-10-01
_DECISIONS_OUT = 1576798700000  # 2019-12-19, as in the real Decision notes
_WITHDRAW_END = 1579046400000  # 2020-01-15
_HOUR = 3_600_000
_DAY = 24 * _HOUR


def shared_data_dir() -> Path | None:
    """Where the recorded data lives, or None when this checkout has no shared/ beside it."""
    env = os.environ.get("PAPERHARVEST_SHARED_DATA")
    candidate = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if (candidate / ACCEPTED_NOTES_FILE).is_file() and (candidate / PAPERCOPILOT_FILE).is_file():
        return candidate
    return None


def _load_gz_json(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _load_accepted(data_dir: Path) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = _load_gz_json(data_dir / ACCEPTED_NOTES_FILE)
    return notes


def _load_papercopilot(data_dir: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = _load_gz_json(data_dir / PAPERCOPILOT_FILE)
    unknown = sorted({r["status"] for r in records} - set(_STATUS))
    if unknown:
        raise ValueError(f"papercopilot has statuses this builder does not know: {unknown}")
    ids = Counter(r["id"] for r in records)
    duplicates = sorted(i for i, n in ids.items() if n > 1)
    if duplicates:
        raise ValueError(f"papercopilot repeats forum ids: {duplicates[:10]}")
    return records


def _ratings(record: dict[str, Any]) -> list[int]:
    """papercopilot's ';'-joined ratings; an empty string means no review was ever posted."""
    raw = str(record.get("rating") or "").strip()
    if not raw:
        return []
    values = [int(part) for part in raw.split(";")]
    unknown = sorted(set(values) - set(RATING_LABELS))
    if unknown:
        raise ValueError(f"{record['id']}: ratings {unknown} are not ICLR 2020 options {sorted(RATING_LABELS)}")
    return values


def _split(value: str) -> list[str]:
    return [part for part in value.split(";") if part] if value else []


def _hash(*parts: object) -> int:
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _spread(lo: int, hi: int, *parts: object) -> int:
    return lo + _hash(*parts) % max(1, hi - lo)


class _IdMaker:
    """Deterministic 10-character ids in the real alphabet (base64url), never colliding with a known id."""

    def __init__(self, taken: Iterable[str]) -> None:
        self._taken = set(taken)

    def make(self, seed: str) -> str:
        salt = 0
        while True:
            digest = hashlib.sha1(f"{seed}#{salt}".encode()).digest()
            candidate = base64.urlsafe_b64encode(digest).decode("ascii")[:10]
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate
            salt += 1


def paperhash(first_author: str, title: str) -> str:
    """openreview-py's tools.get_paperhash, byte for byte (it matches all 687 real notes)."""
    strip_punctuation = r"[^A-zÀ-ÿ\d\s]"
    title = re.sub(strip_punctuation, "", title.strip())
    first_author = re.sub(strip_punctuation, "", first_author).split(" ").pop()
    title = re.sub(r"\r|\n", "", title)
    title = re.sub(r"\s+", "_", title)
    return (first_author + "|" + title).lower()


def _bibtex(forum: str, title: str, authors: list[str]) -> str:
    surname = re.sub(r"[^A-Za-z]", "", authors[0].split(" ")[-1]) if authors else "Anonymous"
    first_word = next((w for w in re.findall(r"[A-Za-z0-9]+", title)), "Paper")
    key = f"{surname.capitalize()}2020{first_word.capitalize()}"
    return (
        f"@misc{{\n{key},\ntitle={{{title}}},\nauthor={{{' and '.join(authors)}}},\nyear={{2020}},\n"
        f"url={{https://openreview.net/forum?id={forum}}}\n}}"
    )


def _cdate_for(number: int, numbers: list[int], cdates: list[int]) -> int:
    """Blind notes were created in one batch in number order: interpolate between real neighbours."""
    i = bisect.bisect_left(numbers, number)
    if i == 0:
        return cdates[0] - (numbers[0] - number) * 400
    if i == len(numbers):
        return cdates[-1] + (number - numbers[-1]) * 400
    n0, n1, c0, c1 = numbers[i - 1], numbers[i], cdates[i - 1], cdates[i]
    return c0 + (c1 - c0) * (number - n0) // (n1 - n0)


def _reply(values: dict[str, Any]) -> dict[str, Any]:
    return {key: values[key] for key in _REPLY_KEYS}


def _reply_base(reply_id: str, forum: str, invitation: str, number: int, cdate: int, tmdate: int) -> dict[str, Any]:
    return {
        "id": reply_id,
        "original": None,
        "number": number,
        "cdate": cdate,
        "ddate": None,
        "tcdate": cdate,
        "tmdate": tmdate,
        "tddate": None,
        "forum": forum,
        "replyto": forum,
        "invitation": invitation,
        "readers": ["everyone"],
        "nonreaders": [],
    }


def _reviews(forum: str, number: int, ratings: list[int], ids: _IdMaker) -> list[dict[str, Any]]:
    paper = f"{VENUE_ID}/Paper{number}"
    replies = []
    count = len(ratings)
    # Sorted so that reply number order is posting order, as on the real site.
    cdates = sorted(_spread(_REVIEWS_OPEN, _REVIEWS_DUE, forum, "review", i) for i in range(count))
    for i, rating in enumerate(ratings):
        # Like the real forums: the first review posted (number 1) is by the highest-numbered reviewer.
        k = count - i
        signature = f"{paper}/AnonReviewer{k}"
        cdate = cdates[i]
        tmdate = cdate + _spread(0, 20 * _DAY, forum, "review-edit", k)
        base = _reply_base(ids.make(f"{forum}:review:{k}"), forum, f"{paper}/-/Official_Review", i + 1, cdate, tmdate)
        h = _hash(forum, k)
        base["content"] = {
            "experience_assessment": _EXPERIENCE[h % len(_EXPERIENCE)],
            "rating": RATING_LABELS[rating],
            "review_assessment:_checking_correctness_of_experiments": _EXPERIMENTS[(h >> 16) % len(_EXPERIMENTS)],
            "review_assessment:_thoroughness_in_paper_reading": _THOROUGHNESS[(h >> 24) % len(_THOROUGHNESS)],
            "title": f"Official Blind Review #{k}",
            "review": f"Synthetic review #{k} of paper {number} (rating {RATING_LABELS[rating]}).\n\n"
            "Summary, strengths and weaknesses would be here; the real text is not in the data set.",
            "review_assessment:_checking_correctness_of_derivations_and_theory": _DERIVATIONS[
                (h >> 8) % len(_DERIVATIONS)
            ],
        }
        base["signatures"] = [signature]
        base["writers"] = [signature]
        replies.append(_reply(base))
    return replies


def _decision(forum: str, number: int, decision: str, ids: _IdMaker) -> dict[str, Any]:
    cdate = _DECISIONS_OUT + _spread(0, 10 * 60_000, forum, "decision")
    tmdate = cdate + 2_000_000 + _spread(0, 200_000, forum, "decision-edit")
    invitation = f"{VENUE_ID}/Paper{number}/-/Decision"
    base = _reply_base(ids.make(f"{forum}:decision"), forum, invitation, 1, cdate, tmdate)
    base["content"] = {
        "decision": decision,
        "comment": f"Placeholder meta-review for paper {number}: the area chair weighed the reviews and "
        f"the discussion and recommends {decision}.",
        "title": "Paper Decision",
    }
    base["signatures"] = [PROGRAM_CHAIRS]
    base["writers"] = [PROGRAM_CHAIRS]
    return _reply(base)


def _public_comment(forum: str, number: int, ids: _IdMaker) -> dict[str, Any]:
    cdate = _spread(_COMMENTS_OPEN, _REVIEWS_DUE, forum, "public")
    tmdate = cdate + _spread(0, _HOUR, forum, "public-edit")
    invitation = f"{VENUE_ID}/Paper{number}/-/Public_Comment"
    base = _reply_base(ids.make(f"{forum}:public"), forum, invitation, 1, cdate, tmdate)
    base["content"] = {
        "comment": "Interesting work. Could you clarify how this relates to prior work on the same problem?",
        "title": "Question about related work",
    }
    signature = f"~Curious_Reader{number % 50 + 1}"
    base["signatures"] = [signature]
    base["writers"] = [signature, VENUE_ID]
    return _reply(base)


def _author_comment(forum: str, number: int, ids: _IdMaker) -> dict[str, Any]:
    cdate = _spread(_REVIEWS_DUE, _REBUTTAL_END, forum, "authors")
    invitation = f"{VENUE_ID}/Paper{number}/-/Official_Comment"
    base = _reply_base(ids.make(f"{forum}:authors"), forum, invitation, 1, cdate, cdate + _HOUR)
    base["content"] = {
        "title": "General response to all reviewers",
        "comment": "We thank the reviewers for their feedback and have uploaded a revision.",
    }
    signature = f"{VENUE_ID}/Paper{number}/Authors"
    base["signatures"] = [signature]
    base["writers"] = [signature, VENUE_ID]
    return _reply(base)


def _replies(forum: str, number: int, record: dict[str, Any], ids: _IdMaker) -> list[dict[str, Any]]:
    replies = _reviews(forum, number, _ratings(record), ids)
    _, _, decision = _STATUS[record["status"]]
    if decision is not None:
        replies.append(_decision(forum, number, decision, ids))
    # Sprinkled non-review replies: a consumer that counts every direct reply as a review will be caught.
    if number % 7 == 3:
        replies.append(_public_comment(forum, number, ids))
    if number % 13 == 5:
        replies.append(_author_comment(forum, number, ids))
    replies.sort(key=lambda r: (r["tcdate"], r["id"]))
    return replies


def _synthesized_note(
    record: dict[str, Any],
    number: int,
    cdate: int,
    key_order: list[str],
    ids: _IdMaker,
) -> dict[str, Any]:
    forum = record["id"]
    status, _, _ = _STATUS[record["status"]]
    title = record["title"]
    authors = _split(record["author"])
    content = {
        "title": title,
        "authors": authors,
        "authorids": _split(record["authorids"]),
        "keywords": _split(record["keywords"]),
        "abstract": f"Placeholder abstract for the ICLR 2020 submission {title!r}: papercopilot, the only "
        "source for this paper, has no abstract.",
        "pdf": f"/pdf/{hashlib.sha1(forum.encode()).hexdigest()}.pdf",
        "paperhash": paperhash(authors[0] if authors else "", title),
        "_bibtex": _bibtex(forum, title, authors),
        "original_pdf": f"/attachment/{hashlib.sha1(f'original:{forum}'.encode()).hexdigest()}.pdf",
    }
    if status == "rejected":
        tmdate = _DECISIONS_OUT + 2_200_000 + _spread(0, 60_000, forum, "tmdate")
    elif status == "withdrawn" and _ratings(record):
        # Withdrawn after seeing the reviews, i.e. after the rebuttal period.
        tmdate = _spread(_REBUTTAL_END, _WITHDRAW_END, forum, "tmdate")
    else:
        tmdate = _spread(_COMMENTS_OPEN, _REVIEWS_OPEN, forum, "tmdate")
    values: dict[str, Any] = {
        "id": forum,
        "original": ids.make(f"{forum}:original"),
        "number": number,
        "cdate": cdate,
        "tcdate": cdate,
        "tmdate": tmdate,
        "ddate": None,
        "content": content,
        "forum": forum,
        "referent": None,
        "invitation": _INVITATION_BY_STATUS[status],
        "replyto": None,
        "readers": ["everyone"],
        "nonreaders": [],
        "signatures": [VENUE_ID],
        "writers": [VENUE_ID],
        "details": None,
    }
    if set(values) != set(key_order):
        raise ValueError(f"synthesized note keys {sorted(values)} differ from the real ones {sorted(key_order)}")
    return {key: values[key] for key in key_order}


def build_iclr2020_venue(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """invitation -> full v1 notes (each with details.directReplies), 2,594 in all, in number order."""
    records = _load_papercopilot(data_dir)
    accepted = _load_accepted(data_dir)
    by_forum = {r["id"]: r for r in records}

    accepted_ids = {n["id"] for n in accepted}
    listed_accepted = {r["id"] for r in records if _STATUS[r["status"]][0] == "accepted"}
    if accepted_ids != listed_accepted:
        raise ValueError(
            f"real accepted notes and papercopilot disagree on {len(accepted_ids ^ listed_accepted)} papers"
        )
    key_order = list(accepted[0].keys())
    for note in accepted:
        if list(note.keys()) != key_order:
            raise ValueError(f"real note {note['id']} has keys {list(note)}, expected {key_order}")

    ids = _IdMaker(
        [r["id"] for r in records] + [n["id"] for n in accepted] + [n["original"] for n in accepted if n["original"]]
    )
    used_numbers = {n["number"] for n in accepted}
    if len(used_numbers) != len(accepted):
        raise ValueError("real accepted notes repeat a number")
    anchors = sorted((n["number"], n["cdate"]) for n in accepted)
    anchor_numbers, anchor_cdates = [n for n, _ in anchors], [c for _, c in anchors]

    notes: list[dict[str, Any]] = []
    for note in accepted:
        copy = dict(note)
        copy["details"] = {"directReplies": _replies(note["id"], note["number"], by_forum[note["id"]], ids)}
        notes.append(copy)

    # Free numbers go to the other papers in papercopilot's order: unique and clear of the real ones.
    free = (n for n in range(1, len(records) + len(used_numbers) + 1) if n not in used_numbers)
    for record in records:
        if record["id"] in accepted_ids:
            continue
        number = next(free)
        note = _synthesized_note(record, number, _cdate_for(number, anchor_numbers, anchor_cdates), key_order, ids)
        note["details"] = {"directReplies": _replies(record["id"], number, record, ids)}
        notes.append(note)

    notes.sort(key=lambda n: n["number"])
    venue: dict[str, list[dict[str, Any]]] = {SUBMISSION: [], WITHDRAWN: [], DESK_REJECTED: []}
    for note in notes:
        venue[_INVITATION_BY_STATUS[_STATUS[by_forum[note["id"]]["status"]][0]]].append(note)
    return venue


@dataclass(frozen=True)
class Expected:
    """What a correct harvest of the fake venue must find, derived from the data sets, not typed in.

    `ratings_by_forum` has every forum, with [] for the papers that never got a review.
    """

    total: int
    invitation_counts: dict[str, int]
    status_counts: dict[str, int]
    status_by_forum: dict[str, str]
    decision_counts: dict[str, int]
    presentation_counts: dict[str, int]
    ratings_by_forum: dict[str, list[int]]
    review_count: int
    tldr_count: int
    code_count: int


def expected_iclr2020(data_dir: Path) -> Expected:
    records = _load_papercopilot(data_dir)
    accepted = _load_accepted(data_dir)
    status_by_forum = {r["id"]: _STATUS[r["status"]][0] for r in records}
    ratings_by_forum = {r["id"]: sorted(_ratings(r)) for r in records}
    decisions = Counter(d for r in records if (d := _STATUS[r["status"]][2]) is not None)
    presentations = Counter(p for r in records if (p := _STATUS[r["status"]][1]) is not None)
    statuses = Counter(status_by_forum.values())
    invitations = Counter(_INVITATION_BY_STATUS[s] for s in status_by_forum.values())
    tldr = sum(1 for n in accepted if str(n["content"].get("TL;DR") or "").strip())
    code = sum(1 for n in accepted if str(n["content"].get("code") or "").strip())
    return Expected(
        total=len(records),
        invitation_counts=dict(invitations),
        status_counts={s: statuses.get(s, 0) for s in ("accepted", "rejected", "withdrawn", "desk-rejected")},
        status_by_forum=status_by_forum,
        decision_counts=dict(decisions),
        presentation_counts=dict(presentations),
        ratings_by_forum=ratings_by_forum,
        review_count=sum(len(v) for v in ratings_by_forum.values()),
        tldr_count=tldr,
        code_count=code,
    )
