"""What a fetched page becomes before it is written: each note split into its versions (serialised and
hashed), its records as the rows of their tables, and the notes that could not be read, as quarantine rows.

Pure: no SQL and no sqlite-utils, so the notes stage can run it in a helper process (sqlite-utils alone
would cost a helper 0.4 s and 80 MB to import) while the writer stores the page before.

A stored raw note is kept as the versions of its parts: the note itself without its `details`, the shape of
its `details` (which replies, in which order, so the raw note can be put back together byte for byte), and
each reply on its own; its `raw_notes` row holds no text unless the versions cannot give it back. A version
is content-addressed: the sha256 of its own compact JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import UnionType
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

from paperharvest.errors import RejectedNote
from paperharvest.json_text import compact_json
from paperharvest.models import Certification, Comment, Decision, NormalizedNote, Paper, Record, Review, comment_kind
from paperharvest.venues import VenueConfig

# The `details` keys that hold replies, each stored as a version of its own.
REPLY_KEYS = ("directReplies", "replies")
# (parent_id, note_id, kind): one note's place in one stored raw note.
Key = tuple[str, str, str]
RAW_COLUMNS = (
    "note_id",
    "venue",
    "invitation",
    "api_version",
    "tmdate",
    "sha256",
    "fetched_at",
    "json",
    "inputs_sha256",
)

_RAW_NOTE_ID, _RAW_INPUTS = RAW_COLUMNS.index("note_id"), RAW_COLUMNS.index("inputs_sha256")

# Made once: json.dumps with any option builds a new JSONEncoder per call, which was a tenth of a page's
# store time (measured with `make bench`).
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"))
_COLUMN = json.JSONEncoder(ensure_ascii=False)


def raw_json(payload: Any) -> str:
    """The stored form of a raw payload: compact, keys in the order the API sent them.

    A lone surrogate ("\\ud800", which JSON allows) cannot be encoded as UTF-8, so SQLite cannot store it:
    such a payload is kept with \\u escapes instead, which json.loads reads back to the very same value.
    """
    text = compact_json(payload)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _COMPACT_ASCII.encode(payload)
    return text


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---- splitting a raw note into versions, and putting it back together -------------------------------------


class NoteVersion(NamedTuple):
    """One part of a stored raw note, with its text and that text's sha256 (a tuple: pages of them cross
    from the helper process to the writer, and a tuple pickles several times faster than a dataclass)."""

    parent_id: str
    note_id: str
    kind: str
    forum_id: str
    invitation: str | None
    tmdate: int | None
    text: str
    sha256: str

    @property
    def key(self) -> Key:
        return (self.parent_id, self.note_id, self.kind)


def _invitations(note: Mapping[str, Any]) -> list[str]:
    """A v1 note names one `invitation`; a v2 note lists `invitations`, the creating one first."""
    listed = note.get("invitations")
    if isinstance(listed, list):
        return [i for i in listed if isinstance(i, str)]
    single = note.get("invitation")
    return [single] if isinstance(single, str) else []


def note_kind(note: Mapping[str, Any], venue: VenueConfig) -> str:
    """`review`, `decision` or `meta-review` by the venue's reply invitations; `comment` for what the
    comments normalizer reads as a comment (official and public comments, rebuttals); `other` for the rest
    (withdrawals, desk rejections, revisions...)."""
    invitations = _invitations(note)
    for kind, pattern in (
        ("review", venue.review_pattern),
        ("decision", venue.decision_pattern),
        ("meta-review", venue.meta_review_pattern),
    ):
        if pattern is not None and any(pattern.match(i) for i in invitations):
            return kind
    if comment_kind(invitations) is not None:
        return "comment"
    return "other"


def _splittable(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(r, Mapping) and isinstance(r.get("id"), str) and r["id"] for r in value
    )


def _part(
    parent: str, note_id: str, kind: str, forum: str, invitation: str | None, tmdate: int | None, text: str
) -> NoteVersion:
    try:
        digest = sha256(text)
    except UnicodeEncodeError:
        # A lone surrogate: raw_json escapes the text that holds one, so this part is serialised again.
        text = raw_json(json.loads(text))
        digest = sha256(text)
    return NoteVersion(parent, note_id, kind, forum, invitation, tmdate, text, digest)


def _version(
    parent: str, forum: str, kind: str, note: Mapping[str, Any], invitation: str | None, text: str
) -> NoteVersion:
    tmdate = note.get("tmdate")
    return _part(parent, str(note["id"]), kind, forum, invitation, tmdate if isinstance(tmdate, int) else None, text)


def _members(items: Iterable[tuple[Any, Any]]) -> str:
    """The inside of a JSON object (no braces) holding these items, as compact_json writes them."""
    return compact_json(dict(items))[1:-1]


def _join(*parts: str) -> str:
    return "{" + ",".join(p for p in parts if p) + "}"


class SplitNote(NamedTuple):
    versions: list[NoteVersion]
    # raw_json(note): the text of the whole note, and its hash (`raw_notes.sha256`).
    text: str
    sha256: str
    # Whether the versions give the text back. Not when a reply id comes twice with two contents (one
    # version per id): the row then keeps the text itself.
    exact: bool


def split_note_text(note: Mapping[str, Any], venue: VenueConfig, listing: str, *, submission: bool) -> SplitNote:
    """The versions a stored raw note is kept as, and raw_json(note), the stored text of the whole note.

    A submission's parts are the note without `details` (kind `submission`), the shape of `details` (kind
    `details`) and each reply; a note stored alone (2018's venue-wide decisions) is one version of its own
    kind. Each part is serialised once and the whole note's text is put together from the parts' texts
    (compact JSON nests by plain concatenation), since serialising was most of the time a page took.
    """
    note_id = str(note["id"])
    forum = note_id if submission else str(note.get("forum") or note_id)
    kind = "submission" if submission else note_kind(note, venue)
    if "details" not in note:
        version = _version(note_id, forum, kind, note, listing, raw_json(note))
        return SplitNote([version], version.text, version.sha256, True)
    items = list(note.items())
    at = list(note).index("details")
    before, after = _members(items[:at]), _members(items[at + 1 :])
    out = [_version(note_id, forum, kind, note, listing, _join(before, after))]
    details = note["details"]
    shape: dict[str, Any] = {}
    texts: list[str] = []
    seen: dict[str, str] = {}
    exact = True
    if isinstance(details, Mapping):
        for name, value in details.items():
            key = compact_json({name: 0})[1:-2]  # `"name":`, with json's own rules for a key that is not a str
            if name in REPLY_KEYS and _splittable(value):
                shape[name] = {"ids": [r["id"] for r in value]}
                reply_texts = [compact_json(reply) for reply in value]
                for reply, reply_text in zip(value, reply_texts, strict=True):
                    if reply["id"] in seen:  # v2 may list a reply under both keys: one version
                        exact = exact and seen[reply["id"]] == reply_text
                    else:
                        seen[reply["id"]] = reply_text
                        inv = _invitations(reply)
                        reply_kind = note_kind(reply, venue)
                        out.append(_version(note_id, forum, reply_kind, reply, inv[0] if inv else None, reply_text))
                texts.append(key + "[" + ",".join(reply_texts) + "]")
            else:
                shape[name] = {"value": value}
                texts.append(key + compact_json(value))
        layout: dict[str, Any] = {"at": at, "details": shape}
        details_text = "{" + ",".join(texts) + "}"
    else:
        layout = {"at": at, "value": details}
        details_text = compact_json(details)
    out.append(_part(note_id, note_id, "details", forum, None, None, compact_json(layout)))
    text = _join(before, '"details":' + details_text, after)
    try:
        digest = sha256(text)
    except UnicodeEncodeError:
        text = raw_json(note)  # a lone surrogate somewhere (its part is escaped already)
        digest = sha256(text)
    return SplitNote(out, text, digest, exact)


def split_note(note: Mapping[str, Any], venue: VenueConfig, listing: str, *, submission: bool) -> list[NoteVersion]:
    """The versions a stored raw note is kept as (see split_note_text)."""
    return split_note_text(note, venue, listing, submission=submission).versions


def assemble(top: str, layout: str | None, replies: Mapping[str, str]) -> dict[str, Any]:
    """The raw note the versions were split from: raw_json(assemble(...)) is the stored text again."""
    note: dict[str, Any] = json.loads(top)
    if layout is None:
        return note
    shape = json.loads(layout)
    if "value" in shape:
        details: Any = shape["value"]
    else:
        details = {}
        for name, part in shape["details"].items():
            details[name] = [json.loads(replies[i]) for i in part["ids"]] if "ids" in part else part["value"]
    items = list(note.items())
    items.insert(shape["at"], ("details", details))
    return dict(items)


# ---- records as rows ---


def sql_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return _COLUMN.encode(value)


@dataclass
class ForumState:
    """A paper's records as the tables hold them (rows of `papers`, `reviews`, `decisions`)."""

    paper: dict[str, Any]
    reviews: dict[str, dict[str, Any]]
    decision: dict[str, Any] | None


def columns(model: type[Record]) -> list[str]:
    """A record's table columns: its fields, in declaration order."""
    return list(model.model_fields)


PAPER_COLUMNS = columns(Paper)
REVIEW_COLUMNS = columns(Review)
DECISION_COLUMNS = columns(Decision)
CERTIFICATION_COLUMNS = columns(Certification)
COMMENT_COLUMNS = columns(Comment)


@cache
def _converted_positions(model: type[Record]) -> tuple[int, ...]:
    """Which fields of a record need converting for SQLite (datetimes, lists, dicts)."""
    plain = {str, int, float, bool, type(None), Literal}
    positions = []
    for index, field in enumerate(model.model_fields.values()):
        annotation = field.annotation
        members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
        if any((get_origin(member) or member) not in plain for member in members):
            positions.append(index)
    return tuple(positions)


def record_rows(records: Iterable[Record]) -> list[tuple[Any, ...]]:
    """Records as their table's rows, values converted for SQLite."""
    rows = []
    for record in records:
        # Pydantic keeps field values in __dict__ in declaration order, which is also the column order.
        values = list(record.__dict__.values())
        for index in _converted_positions(type(record)):
            values[index] = sql_value(values[index])
        rows.append(tuple(values))
    return rows


class NoteRows(NamedTuple):
    """A submission's records as rows (each in its table's column order, `columns(...)`): what the store
    writes and what the changes compare."""

    forum_id: str
    paper: tuple[Any, ...]
    # (author_id, name, email_domain) of each author id the paper lists.
    authors: list[tuple[str, str | None, str | None]]
    # (forum_id, position, listed author id, name).
    paper_authors: list[tuple[str, int, str | None, str | None]]
    reviews: list[tuple[Any, ...]]
    decision: tuple[Any, ...] | None
    certifications: list[tuple[Any, ...]]
    comments: list[tuple[Any, ...]]


def note_rows(note: NormalizedNote) -> NoteRows:
    decision = None if note.decision is None else record_rows([note.decision])[0]
    return NoteRows(
        note.paper.forum_id,
        record_rows([note.paper])[0],
        [(a.author_id, a.name, a.email_domain) for a in note.authors],
        [(a.forum_id, a.position, a.author_id, a.name) for a in note.paper_authors],
        record_rows(note.reviews),
        decision,
        record_rows(note.certifications),
        record_rows(note.comments),
    )


def state_of(rows: NoteRows) -> ForumState:
    """A paper's records as the tables would hold them."""
    decision = None if rows.decision is None else dict(zip(DECISION_COLUMNS, rows.decision, strict=True))
    return ForumState(
        dict(zip(PAPER_COLUMNS, rows.paper, strict=True)),
        {review[0]: dict(zip(REVIEW_COLUMNS, review, strict=True)) for review in rows.reviews},
        decision,
    )


# ---- a page, prepared ------------------------------------------------------------------------------------------


class PreparedNote(NamedTuple):
    """A submission as the store writes it: its `raw_notes` row (RAW_COLUMNS), versions and records."""

    raw: tuple[Any, ...]
    versions: list[NoteVersion]
    rows: NoteRows

    @property
    def note_id(self) -> str:
        return str(self.raw[_RAW_NOTE_ID])

    @property
    def inputs_sha256(self) -> str:
        return str(self.raw[_RAW_INPUTS])


class Quarantined(NamedTuple):
    """A note that could not be read: its `rejected_notes` id, why, and its raw text."""

    note_id: str
    reason: str
    message: str
    text: str


@dataclass
class PreparedPage:
    notes: list[PreparedNote]
    rejected: list[Quarantined]


def inputs_sha256(note_digest: str, related: Iterable[Mapping[str, Any]]) -> str:
    """The key of everything a note's records are derived from: the note itself, and the notes outside it
    that it is read with (2018's venue-wide decisions of its forum), in any order. A note read alone keeps
    its own hash, so its key does not change when a venue gains no outside inputs."""
    others = sorted(sha256(raw_json(note)) for note in related)
    return sha256("\n".join([note_digest, *others])) if others else note_digest


def raw_row(
    note: Mapping[str, Any], venue: VenueConfig, invitation: str, split: SplitNote, inputs: str, at: str
) -> tuple[Any, ...]:
    """A note's `raw_notes` row, in RAW_COLUMNS order. Its text is kept once, in its versions: `json` is
    NULL (written so, an update of a note stored before versions were kept drops its old copy), unless the
    versions do not give the text back. Writing it twice was a quarter of the bytes a harvest wrote (measured
    with `make bench`)."""
    tmdate = note.get("tmdate")
    return (
        str(note["id"]),
        venue.key,
        invitation,
        venue.api_version,
        tmdate if isinstance(tmdate, int) else None,
        split.sha256,
        at,
        None if split.exact else split.text,
        inputs,
    )


def rejected_note_id(note: Mapping[str, Any], text: str) -> str:
    """The note's id, or, for a payload without a usable one, a stable stand-in made from its content."""
    note_id = note.get("id") if isinstance(note, Mapping) else None
    return note_id if isinstance(note_id, str) and note_id else f"sha256:{sha256(text)}"


def quarantined(note: Mapping[str, Any], why: RejectedNote) -> Quarantined:
    text = raw_json(note)
    return Quarantined(rejected_note_id(note, text), why.reason, str(why), text)


def prepare_page(
    venue: VenueConfig,
    invitation: str,
    raw_notes: Sequence[Mapping[str, Any]],
    normalized: Sequence[NormalizedNote | RejectedNote],
    fetched_at: str,
    related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> PreparedPage:
    """A page of submissions as the store writes it. `normalized[i]` is the records of `raw_notes[i]`, or
    the RejectedNote the normalizer raised for it; `related` maps a note id to the notes outside it that its
    records were derived from (2018's venue-wide decisions, as passed to the normalizer)."""
    page = PreparedPage([], [])
    for note, records in zip(raw_notes, normalized, strict=True):
        if isinstance(records, RejectedNote):
            page.rejected.append(quarantined(note, records))
            continue
        note_id = str(note["id"])
        split = split_note_text(note, venue, invitation, submission=True)
        inputs = inputs_sha256(split.sha256, (related or {}).get(note_id, ()))
        raw = raw_row(note, venue, invitation, split, inputs, fetched_at)
        page.notes.append(PreparedNote(raw, split.versions, note_rows(records)))
    return page
