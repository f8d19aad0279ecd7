"""OpenReview API v1 submission notes (with their direct replies or whole forum) -> Paper, Review, Decision and
Comment records.

The reply sorting, review, decision and author helpers here are shared with the API v2 normalizer
(`notes_v2`), which unwraps v2's `{"value": ...}` content first and then reads it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from paperharvest.errors import NormalizeError, RejectedNote, VenueConfigGap
from paperharvest.models import (
    Author,
    Certification,
    Comment,
    Decision,
    NormalizedNote,
    Paper,
    PaperAuthor,
    Review,
    comment_kind,
)
from paperharvest.normalize.comments import normalize_comment
from paperharvest.normalize.values import (
    clean_text,
    note_times,
    read_int,
    read_text,
    read_text_list,
    reject_lone_surrogates,
    show,
)
from paperharvest.venues import DecisionMeaning, Presentation, Status, VenueConfig

_SCORE = re.compile(r"\s*(-?\d+)\s*(?::\s*(.*))?\Z", re.DOTALL)
# Review keys that are not "assessments" (free-form extra fields we keep as a JSON object).
_REVIEW_CORE_KEYS = {"title", "review"}


def parse_score(value: Any, what: str = "score") -> tuple[int | None, str | None]:
    """`"6: Weak Accept"` -> (6, "Weak Accept"); `6` or `"6"` -> (6, None); None or "" -> (None, None)."""
    try:
        if isinstance(value, str) and value.strip() and (match := _SCORE.match(value)):
            label = (match.group(2) or "").strip() or None
            return read_int(match.group(1), what), label
        if value is None or isinstance(value, int | float | str):
            return read_int(value, what), None
    except RejectedNote as exc:
        raise RejectedNote("bad_score", str(exc)) from None
    raise RejectedNote("bad_score", f"cannot read a {what} from {show(value)}")


def absolute_url(site_url: str, value: Any) -> str | None:
    path = clean_text(value)
    if path is None:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return site_url.rstrip("/") + "/" + path.lstrip("/")


def email_domain(author_id: str | None) -> str | None:
    if author_id and "@" in author_id:
        return author_id.rsplit("@", 1)[1].strip().lower() or None
    return None


def keywords_of(value: Any, what: str = "keywords") -> list[str]:
    """A list of keywords, or one string of them separated by commas or semicolons."""
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[;,]", value)
    if not isinstance(value, list):
        raise RejectedNote("bad_type", f"{what} is a {type(value).__name__}, not a list: {show(value)}")
    return [text for item in value if (text := read_text(item, what))]


def _reviewer(signatures: Any, what: str) -> str:
    if signatures is None or signatures == []:
        return "unknown"
    if not isinstance(signatures, list) or not isinstance(signatures[0], str):
        raise RejectedNote("bad_type", f"{what}: signatures are not a list of names: {show(signatures)}")
    return signatures[0].rsplit("/", 1)[-1]


def live(reply: Mapping[str, Any]) -> bool:
    return reply.get("ddate") is None and reply.get("tddate") is None


def reply_invitations(reply: Mapping[str, Any], forum_id: str) -> list[str]:
    """A v1 reply names one `invitation`; a v2 reply lists `invitations` (its own, plus `-/Edit` once edited).

    Anything else is rejected: a reply whose invitation cannot be read could be a review, silently dropped.
    """
    invitations = reply.get("invitations")
    if invitations is None:
        invitation = reply.get("invitation")
        invitations = [] if invitation is None else [invitation]
    if not isinstance(invitations, list) or not all(isinstance(i, str) for i in invitations):
        raise RejectedNote(
            "bad_type",
            f"reply {reply.get('id')} of paper {forum_id}: its invitations are not names: {show(invitations)}",
        )
    return invitations


def reply_list(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A list of replies (`details.directReplies`, ...), each an object with a string id; null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RejectedNote("bad_type", f"{what} is a {type(value).__name__}, not a list")
    for reply in value:
        if not isinstance(reply, Mapping):
            raise RejectedNote("not_an_object", f"{what} holds a {type(reply).__name__}, not a note: {show(reply)}")
        if not isinstance(reply.get("id"), str) or not reply["id"]:
            raise RejectedNote("no_id", f"{what} holds a note without an id: {show(reply)}")
    return value


@dataclass(frozen=True)
class ForumReplies:
    """A note's replies; `whole` when they are its whole forum (`details.replies`), not only direct replies."""

    replies: list[Mapping[str, Any]]
    whole: bool


def forum_replies(details: Any, forum_id: str) -> ForumReplies:
    """A note's replies, from `details.replies` (the whole forum) and `details.directReplies`, each once.

    Reviews, decisions and meta-reviews reply to the submission itself (in both real example forums every
    one has `replyto` = the forum), so either detail gives the same records; `replies` adds the comments.
    """
    if details is None:
        return ForumReplies([], whole=False)
    if not isinstance(details, Mapping):
        raise RejectedNote("bad_type", f"paper {forum_id}: details is not an object")
    seen: set[str] = set()
    out: list[Mapping[str, Any]] = []
    for key in ("directReplies", "replies"):
        for reply in reply_list(details.get(key), f"paper {forum_id}: {key}"):
            if reply["id"] not in seen:
                seen.add(reply["id"])
                out.append(reply)
    return ForumReplies(out, whole=isinstance(details.get("replies"), list))


def group_by_forum(notes: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Notes of a venue-wide invitation (ICLR 2018's Acceptance_Decision) keyed by the paper they belong to."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for note in notes:
        grouped.setdefault(str(note.get("forum") or ""), []).append(note)
    return grouped


@dataclass
class SortedReplies:
    """A forum's replies that become records; everything else (withdrawals, ethics reviews...) is left out."""

    reviews: list[Review] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    meta_reviews: list[Mapping[str, Any]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    recommendations: list[Mapping[str, Any]] = field(default_factory=list)


def sort_replies(
    replies: Iterable[Mapping[str, Any]], forum_id: str, venue: VenueConfig, *, comments: bool = False
) -> SortedReplies:
    """Reviews, decisions and meta-reviews among live replies whose content is plain (v2 content unwrapped),
    and with `comments` (the replies are the whole forum) the comments too."""
    found = SortedReplies()
    # In order of precedence: a reply matching several patterns is the first one's kind.
    patterns = (
        ("review", venue.review_pattern),
        ("decision", venue.decision_pattern),
        ("meta_review", venue.meta_review_pattern),
        ("recommendation", venue.recommendation_pattern),
    )
    for reply in replies:
        if not live(reply):
            continue
        invitations = reply_invitations(reply, forum_id)
        kind = next(
            (kind for kind, pattern in patterns if pattern is not None and any(pattern.match(i) for i in invitations)),
            None,
        )
        if kind is not None and not isinstance(reply.get("content"), Mapping):
            raise RejectedNote("not_an_object", f"reply {reply['id']} of paper {forum_id}: content is not an object")
        if kind == "review":
            found.reviews.append(normalize_review(reply, forum_id, venue))
        elif kind == "decision":
            found.decisions.append(normalize_decision(reply, forum_id, venue))
        elif kind == "meta_review":
            found.meta_reviews.append(reply)
        elif kind == "recommendation":
            found.recommendations.append(reply)
        elif comments and (named := comment_kind(invitations)) is not None:
            found.comments.append(normalize_comment(reply, forum_id, venue, *named))
    found.reviews = with_recommendations(found.reviews, found.recommendations, forum_id)
    return found


def with_recommendations(
    reviews: list[Review], recommendations: Iterable[Mapping[str, Any]], forum_id: str
) -> list[Review]:
    """A journal reviewer's recommendation (its own note) kept with that reviewer's review, under
    `assessments.official_recommendation`. A recommendation whose reviewer wrote no review becomes a review
    of its own (no text, no rating), so none is lost; the latest one counts if a reviewer re-posts."""
    by_reviewer = {review.reviewer: index for index, review in enumerate(reviews)}
    out = list(reviews)
    for reply in sorted(recommendations, key=_latest_time):
        where = f"recommendation {reply['id']} of paper {forum_id}"
        reviewer = _reviewer(reply.get("signatures"), where)
        content = dict(reply["content"])
        if reviewer in by_reviewer:
            review = out[by_reviewer[reviewer]]
            assessments = {**review.assessments, "official_recommendation": content}
            out[by_reviewer[reviewer]] = review.model_copy(update={"assessments": assessments})
            continue
        by_reviewer[reviewer] = len(out)
        out.append(
            Review(
                review_id=reply["id"],
                forum_id=forum_id,
                reviewer=reviewer,
                rating=None,
                rating_label=None,
                confidence=None,
                title=read_text(content.get("title"), f"{where}: title"),
                text=None,
                assessments={"official_recommendation": content},
                **note_times(reply, where),
            )
        )
    return out


def _latest_time(note: Mapping[str, Any]) -> int:
    value = note.get("tmdate") or note.get("cdate") or note.get("tcdate")
    return value if isinstance(value, int) else 0


def final_decision(found: SortedReplies, venue: VenueConfig) -> Decision | None:
    """The latest decision; its comment is the area chair's meta-review when the venue has separate ones."""
    # A re-issued decision supersedes the older one.
    decision = max(found.decisions, key=lambda d: d.modified_at or datetime.min.replace(tzinfo=UTC), default=None)
    if decision is None or not found.meta_reviews or venue.fields.meta_review is None:
        return decision
    # decisions.comment holds the AC's text (in 2020 it is the Decision's comment). Where the AC writes a
    # separate Meta_Review (API v2 ICLR), the Decision is the Program Chairs' note and its comment, when
    # there is one at all, is not the AC's text, so the meta-review wins.
    meta_review = max(found.meta_reviews, key=_latest_time)
    text = read_text(
        meta_review["content"].get(venue.fields.meta_review),
        f"meta-review {meta_review['id']} of paper {decision.forum_id}",
    )
    return decision.model_copy(update={"comment": text}) if text else decision


def decision_meaning(venue: VenueConfig, decision: Decision | None, forum_id: str) -> DecisionMeaning | None:
    """What a decision string means in this venue; an unknown string is an error, never a guess."""
    if decision is None:
        return None
    meaning = venue.decision_meaning(decision.decision)
    if meaning is None:
        known = ", ".join(repr(d) for d in venue.decisions)
        raise VenueConfigGap(
            "decision",
            decision.decision,
            f"paper {forum_id}: decision {decision.decision!r} is not in the {venue.key} config (known: {known})",
        )
    return meaning


def normalize_authors(forum_id: str, names: Any, ids: Any) -> tuple[list[PaperAuthor], list[Author]]:
    """The submission's author list, names and ids paired by position."""
    names = [] if names is None else names
    ids = [] if ids is None else ids
    if not isinstance(names, list) or not isinstance(ids, list):
        raise RejectedNote("bad_type", f"paper {forum_id}: authors and authorids must be lists")
    paper_authors: list[PaperAuthor] = []
    authors: dict[str, Author] = {}
    # Some real notes list more ids than names (two people typed into one name field): every id is kept,
    # with no name, rather than silently dropped.
    for position in range(1, max(len(names), len(ids)) + 1):
        name = read_text(names[position - 1], f"paper {forum_id}: author") if position <= len(names) else None
        author_id = read_text(ids[position - 1], f"paper {forum_id}: author id") if position <= len(ids) else None
        paper_authors.append(PaperAuthor(forum_id=forum_id, position=position, author_id=author_id, name=name))
        # The first name an id is listed with stands, should a note repeat an id.
        if author_id and author_id not in authors:
            authors[author_id] = Author(author_id=author_id, name=name, email_domain=email_domain(author_id))
    return paper_authors, list(authors.values())


def read_rating(value: Any, venue: VenueConfig, where: str) -> tuple[int | None, str | None]:
    """A review's rating and its label: `"6: Weak Accept"` and `6` as parse_score reads them, and, where the
    config lists rating words, a word alone (`"Weak Accept"`) as the number the config gives it."""
    words = venue.fields.rating_words
    if words is None or not isinstance(value, str) or not value.strip() or _SCORE.match(value):
        return parse_score(value, f"{where}: rating")
    word = " ".join(value.split())
    number = venue.rating_of_word(word)
    if number is None:
        known = ", ".join(repr(w) for w in words)
        raise VenueConfigGap(
            "rating",
            word,
            f"{where}: rating {word!r} is not in the {venue.key} config's fields.rating_words (known: {known})",
        )
    return number, word


def normalize_review(reply: Mapping[str, Any], forum_id: str, venue: VenueConfig) -> Review:
    """A review reply (an object with a string id and an object content: see reply_list, sort_replies)."""
    content = reply["content"]
    fields = venue.fields
    where = f"review {reply['id']} of paper {forum_id}"
    rating, rating_label = read_rating(content.get(fields.rating), venue, where)
    confidence = parse_score(content.get(fields.confidence), f"{where}: confidence")[0] if fields.confidence else None
    scale = fields.rating_scale
    if scale is not None and rating is not None and rating not in scale:
        raise VenueConfigGap(
            "rating",
            rating,
            f"{where}: rating {rating} is not on the {venue.key} scale {', '.join(map(str, scale))} "
            "(fields.rating_scale)",
        )
    skip = _REVIEW_CORE_KEYS | {fields.rating} | ({fields.confidence} if fields.confidence else set())
    return Review(
        review_id=reply["id"],
        forum_id=forum_id,
        reviewer=_reviewer(reply.get("signatures"), where),
        rating=rating,
        rating_label=rating_label,
        confidence=confidence,
        title=read_text(content.get("title"), f"{where}: title"),
        text=read_text(content.get("review"), f"{where}: review"),
        assessments={k: v for k, v in content.items() if k not in skip},
        **note_times(reply, where),
    )


def normalize_decision(reply: Mapping[str, Any], forum_id: str, venue: VenueConfig) -> Decision:
    """A decision reply (an object with a string id and an object content: see reply_list, sort_replies)."""
    content = reply["content"]
    where = f"decision {reply['id']} of paper {forum_id}"
    decision = read_text(content.get(venue.fields.decision), where)
    if decision is None:
        raise RejectedNote("no_decision", f"{where} has no {venue.fields.decision!r}")
    comment_key = venue.fields.decision_comment
    return Decision(
        decision_id=reply["id"],
        forum_id=forum_id,
        decision=decision,
        comment=read_text(content.get(comment_key), f"{where}: {comment_key}") if comment_key else None,
        **note_times(reply, where),
    )


def _status(
    venue: VenueConfig, invitation: str, meaning: DecisionMeaning | None, forum_id: str
) -> tuple[Status, Presentation | None]:
    try:
        listed = venue.listing_status(invitation)
    except KeyError:
        raise RejectedNote(
            "not_listed", f"paper {forum_id}: invitation {show(invitation)} is not a listing of {venue.key}"
        ) from None
    # A paper withdrawn after its decision keeps the decision string, but its listing says what became of it.
    if listed != "decided":
        return listed, None
    if meaning is None:
        return "under-review", None
    return meaning.status, meaning.presentation


def note_parts(raw: Any) -> tuple[str, Mapping[str, Any]]:
    """A submission note's id and content object, once the note is known to hold only storable text."""
    if not isinstance(raw, Mapping):
        raise RejectedNote("not_an_object", f"a {type(raw).__name__} where a note should be: {show(raw)}")
    # First, so that no later message quotes a surrogate (a message is stored and printed too).
    reject_lone_surrogates(raw, f"note {show(raw.get('id'))}")
    forum_id = raw.get("id")
    if not isinstance(forum_id, str) or not forum_id:
        raise RejectedNote("no_id", f"note without an id: {show(raw)}")
    content = raw.get("content")
    if not isinstance(content, Mapping):
        raise RejectedNote("not_an_object", f"paper {forum_id}: content is not an object")
    return forum_id, content


def paper_record(
    raw: Mapping[str, Any],
    content: Mapping[str, Any],
    venue: VenueConfig,
    *,
    invitation: str,
    status: Status,
    presentation: Presentation | None,
    decision: Decision | None,
) -> Paper:
    """The Paper row of a submission whose content is plain (v2 content unwrapped)."""
    forum_id = str(raw["id"])
    where = f"paper {forum_id}"
    title = paper_title(content, forum_id)
    fields = venue.fields
    return Paper(
        forum_id=forum_id,
        venue=venue.key,
        number=read_int(raw.get("number"), f"{where}: number"),
        title=title,
        abstract=read_text(content.get("abstract"), f"{where}: abstract"),
        tldr=read_text(content.get(fields.tldr), f"{where}: {fields.tldr}") if fields.tldr else None,
        keywords=keywords_of(content.get("keywords"), f"{where}: keywords"),
        pdf_url=absolute_url(venue.site_url, read_text(content.get("pdf"), f"{where}: pdf")),
        status=status,
        presentation=presentation,
        decision=decision.decision if decision else None,
        code_url=read_text(content.get(fields.code), f"{where}: {fields.code}") if fields.code else None,
        invitation=invitation,
        **note_times(raw, where),
    )


def paper_title(content: Mapping[str, Any], forum_id: str) -> str:
    title = read_text(content.get("title"), f"paper {forum_id}: title")
    if title is None:
        raise RejectedNote("no_title", f"paper {forum_id} has no title")
    return title


def assemble_note(
    raw: Mapping[str, Any],
    content: Mapping[str, Any],
    venue: VenueConfig,
    invitation: str,
    found: SortedReplies,
    decision: Decision | None,
    status: Status,
    presentation: Presentation | None,
) -> NormalizedNote:
    """The records of a note whose replies and status are settled; the part both API versions share."""
    forum_id = str(raw["id"])
    # Anonymous submissions (v2, under review) have no authors key at all.
    paper_authors, authors = normalize_authors(forum_id, content.get("authors"), content.get("authorids"))
    paper = paper_record(
        raw, content, venue, invitation=invitation, status=status, presentation=presentation, decision=decision
    )
    key = venue.fields.certifications
    certifications = read_text_list(content.get(key), f"paper {forum_id}: {key}") if key else []
    return NormalizedNote(
        paper=paper,
        paper_authors=paper_authors,
        authors=authors,
        reviews=found.reviews,
        decision=decision,
        comments=found.comments,
        certifications=[Certification(forum_id=forum_id, certification=c) for c in certifications],
    )


def normalize_note(
    raw: Mapping[str, Any],
    venue: VenueConfig,
    decisions_by_forum: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> NormalizedNote:
    """One v1 submission note, fetched with details=directReplies or details=replies, as records.

    `decisions_by_forum` holds decision notes fetched apart from the submission, keyed by forum
    (`group_by_forum`). Venues whose decisions are venue-wide (`replies.decision_scope = "venue"`, ICLR
    2018) need it: their decisions are listed by one invitation, not read from the paper's replies.
    """
    if venue.api_version != 1:
        raise NormalizeError(f"{venue.key} is an API v{venue.api_version} venue: use normalize_note_v2")
    forum_id, content = note_parts(raw)
    paper_title(content, forum_id)
    invitation = raw.get("invitation")
    if not isinstance(invitation, str):
        raise RejectedNote("not_listed", f"paper {forum_id}: its invitation is not a name: {show(invitation)}")
    forum = forum_replies(raw.get("details"), forum_id)
    replies = list(forum.replies)
    if decisions_by_forum is None and venue.replies.venue_wide_decisions:
        # Without them every paper would read as under review: a silent, complete loss of the decisions.
        raise NormalizeError(
            f"paper {forum_id}: {venue.key} decisions are venue-wide ({venue.replies.decision}); "
            "the caller must pass decisions_by_forum"
        )
    if decisions_by_forum is not None:
        # The same decision may also come back as a direct reply (it is posted with replyto = the paper).
        seen = {reply["id"] for reply in replies}
        venue_wide = reply_list(list(decisions_by_forum.get(forum_id, ())), f"paper {forum_id}: venue-wide decisions")
        # Fetched apart from the note, so not yet checked with it.
        reject_lone_surrogates(venue_wide, f"paper {forum_id}: venue-wide decisions")
        replies += [d for d in venue_wide if d["id"] not in seen]
    found = sort_replies(replies, forum_id, venue, comments=forum.whole)
    decision = final_decision(found, venue)
    status, presentation = _status(venue, invitation, decision_meaning(venue, decision, forum_id), forum_id)
    return assemble_note(raw, content, venue, invitation, found, decision, status, presentation)
