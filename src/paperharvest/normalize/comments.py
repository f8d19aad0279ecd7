"""A forum's discussion -> Comment records (which replies are comments: models.comment_kind), and who wrote them.

Only a note fetched with `details=replies` carries its whole forum; the notes normalizers (v1 and v2) hand
each live reply that is not a review, decision or meta-review here. The writer's role is read from the
signature, the way OpenReview names its groups:

- `<venue>/Paper123/Authors`, `<venue>/Submission123/Authors`: the authors;
- `.../AnonReviewer2` (until 2021), `.../Reviewer_NkPg` (from 2022): a reviewer;
- `.../Area_Chair1`, `.../Area_Chair_Ab12`: an area chair; `.../Senior_Area_Chairs`: a senior area chair;
- `<venue>/Program_Chairs`, or the venue group itself (only its program chairs can sign as it);
- `~Jane_Doe1`: a person signing with their own profile, i.e. a public comment.

Any other signature, or a venue group of another venue, is `other`: a role is never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from paperharvest.errors import RejectedNote
from paperharvest.models import Comment, CommentKind, CommentRole
from paperharvest.normalize.values import note_times, read_text, show
from paperharvest.venues import VenueConfig

# Where the text is: `comment` in comments, `rebuttal` in the rebuttal forms of API v2 venues.
TEXT_KEYS = ("comment", "rebuttal")

_ROLES: tuple[tuple[re.Pattern[str], CommentRole], ...] = (
    (re.compile(r"Authors\Z"), "authors"),
    (re.compile(r"(AnonReviewer\d*|Reviewer_\w+|Reviewers?)\Z"), "reviewer"),
    (re.compile(r"Senior_Area_Chair(s|\d+|_\w+)?\Z"), "senior_area_chair"),
    (re.compile(r"Area_Chair(s|\d+|_\w+)?\Z"), "area_chair"),
    (re.compile(r"Program_Chairs\Z"), "program_chairs"),
)


def signature_role(signature: str, venue_id: str) -> CommentRole:
    """Who a signature stands for in `venue_id` (see the module's docstring)."""
    if signature.startswith("~"):
        return "public"
    if signature == venue_id:
        return "program_chairs"
    if not signature.startswith(venue_id + "/"):
        return "other"
    last = signature.rsplit("/", 1)[-1]
    return next((role for pattern, role in _ROLES if pattern.match(last)), "other")


def _signatures(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
        raise RejectedNote("bad_type", f"{where}: signatures are not a list of names: {show(value)}")
    return value


def normalize_comment(
    reply: Mapping[str, Any], forum_id: str, venue: VenueConfig, invitation: str, kind: CommentKind
) -> Comment:
    """A comment reply (an object with a string id; v2 content unwrapped) as a record; malformed is rejected."""
    where = f"comment {reply['id']} of paper {forum_id}"
    content = reply.get("content")
    if not isinstance(content, Mapping):
        raise RejectedNote("not_an_object", f"{where}: content is not an object")
    replyto = reply.get("replyto")
    if not isinstance(replyto, str) or not replyto:
        # Without it the comment has no place in the reply tree.
        raise RejectedNote("no_replyto", f"{where}: replyto is not a note id: {show(replyto)}")
    signatures = _signatures(reply.get("signatures"), where)
    role: CommentRole = signature_role(signatures[0], venue.venue_id) if signatures else "other"
    signer = signatures[0].rsplit("/", 1)[-1] if signatures else None
    key = next((k for k in TEXT_KEYS if k in content), TEXT_KEYS[0])
    return Comment(
        comment_id=reply["id"],
        forum_id=forum_id,
        replyto=replyto,
        invitation=invitation,
        kind=kind,
        role=role,
        signer=signer,
        title=read_text(content.get("title"), f"{where}: title"),
        text=read_text(content.get(key), f"{where}: {key}"),
        signatures=signatures,
        **note_times(reply, where),
    )
