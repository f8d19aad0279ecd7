"""Every version of every note, the changes between versions, and the venue's data version.

A stored raw note is kept as the versions of its parts (see store/prepare.py, which splits it). A version is
valid from the run that first saw it (`first_run_id`) until the run that saw it replaced or gone
(`until_run_id`, NULL while current), so an unchanged re-run writes nothing.

`changes` says per run what happened to each paper, in words a notebook can filter. At fetch time it is
derived in the page's transaction from the stored records (before they are replaced) and the new ones;
`rebuild` derives the same rows from the versions, through the normalizers (see paperharvest/history.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlite_utils

from paperharvest.errors import ConfigError, DatabaseError
from paperharvest.store.prepare import (
    PAPER_COLUMNS,
    REVIEW_COLUMNS,
    ForumState,
    Key,
    NoteRows,
    NoteVersion,
    assemble,
    raw_json,
    state_of,
)
from paperharvest.store.writes import write_rows

VERSION_COLUMNS = (
    "venue",
    "forum_id",
    "parent_id",
    "note_id",
    "kind",
    "invitation",
    "tmdate",
    "sha256",
    "json",
    "first_run_id",
    "fetched_at",
)
CHANGE_COLUMNS = (
    "run_id",
    "venue",
    "forum_id",
    "note_id",
    "kind",
    "change",
    "old",
    "new",
    "old_rating",
    "new_rating",
    "old_confidence",
    "new_confidence",
    "at",
)
PAPER_FIELDS = ("title", "abstract", "tldr", "keywords", "pdf_url", "modified_at")
_PAPER_FIELD_AT = [PAPER_COLUMNS.index(name) for name in PAPER_FIELDS]
_TITLE_AT, _MODIFIED_AT = PAPER_COLUMNS.index("title"), PAPER_COLUMNS.index("modified_at")
_REVIEW_AT = [REVIEW_COLUMNS.index(name) for name in ("review_id", "rating", "confidence", "modified_at")]
# (note_id, kind, event: new / edited / removed, tmdate) of one version written or closed.
Event = tuple[str, str, str, int | None]
# One row of `changes`, in CHANGE_COLUMNS order.
Change = tuple[Any, ...]


# Without statistics SQLite reads `venue = ? AND until_run_id IS NULL` as two equalities on the
# (venue, until_run_id) index and scans every current version of the venue for each parent: quadratic at
# ICLR 2026's size (a re-run spent minutes per page; measured with benchmarks/bench_history.py). The
# queries by parent or by forum name the index that finds them directly.
CURRENT = "note_versions INDEXED BY idx_note_versions_current"
BY_FORUM = "note_versions INDEXED BY idx_note_versions_forum_id"
# Raw notes put back together at a time: a hundred whole forums are a few MB.
_READ_BATCH = 100

# ---- writing versions ---------------------------------------------------------------------------------------


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    """`ids` 500 at a time: an IN list within SQLite's 999 variables of old."""
    for start in range(0, len(ids), 500):
        yield list(ids[start : start + 500])


@dataclass
class VersionWrite:
    """What one page's versions did: the keys written (-> version id), the keys replaced or gone."""

    inserted: dict[Key, int] = field(default_factory=dict)
    closed: set[Key] = field(default_factory=set)


def _current_rows(db: sqlite_utils.Database, venue_key: str, parents: Sequence[str], columns: str) -> Iterator[Any]:
    """(parent_id, note_id, kind, *columns) of every current version of these parents."""
    for chunk in _chunks(parents):
        yield from db.execute(
            f"""SELECT parent_id, note_id, kind, {columns} FROM {CURRENT}
                WHERE venue = ? AND parent_id IN ({",".join("?" * len(chunk))}) AND until_run_id IS NULL""",
            [venue_key, *chunk],
        )


def _current(db: sqlite_utils.Database, venue_key: str, parents: Sequence[str]) -> dict[Key, tuple[int, str]]:
    rows = _current_rows(db, venue_key, parents, "version_id, sha256")
    return {(parent, note, kind): (vid, digest) for parent, note, kind, vid, digest in rows}


def write_versions(
    db: sqlite_utils.Database,
    venue_key: str,
    parents: Sequence[str],
    versions: Sequence[NoteVersion],
    *,
    run_id: int | None,
    fetched_at: str,
) -> VersionWrite:
    """Store the versions of the raw notes `parents` as fetched now. Call inside the page's transaction.

    A version equal to the current one writes nothing; a new one closes the one it replaces; a part of a
    parent that is no longer there (a reply gone from the forum) is closed too. Outside a run (run_id None:
    tests, benchmarks, snapshots) there is no run to date a version by, so replaced versions are deleted and
    only the current ones are kept.
    """
    current = _current(db, venue_key, parents)
    done = VersionWrite()
    fresh: list[NoteVersion] = []
    keys: set[Key] = set()
    for version in versions:
        key = version.key
        keys.add(key)
        old = current.get(key)
        if old is None or old[1] != version.sha256:
            fresh.append(version)
    replaced = {v.key for v in fresh}
    done.closed = {key for key in current if key not in keys or key in replaced}
    stale = [current[key][0] for key in done.closed]
    if stale:
        marks = ",".join("?" * len(stale))
        if run_id is None:
            # By name, not by cascade: pages are written with foreign keys off (unchecked_foreign_keys).
            for table in ("paper_versions", "review_versions", "note_versions"):
                db.execute(f"DELETE FROM {table} WHERE version_id IN ({marks})", stale)
        else:
            db.execute(f"UPDATE note_versions SET until_run_id = ? WHERE version_id IN ({marks})", [run_id, *stale])
    if not fresh:
        return done
    # The ids are given rather than read back: the page's transaction holds the write lock, so no one else
    # can take them, and reading them back was a second query per page.
    first_id = db.execute("SELECT coalesce(max(version_id), 0) + 1 FROM note_versions").fetchone()[0]
    rows = []
    for vid, v in enumerate(fresh, start=first_id):
        done.inserted[v.key] = vid
        rows.append(
            (
                vid,
                venue_key,
                v.forum_id,
                v.parent_id,
                v.note_id,
                v.kind,
                v.invitation,
                v.tmdate,
                v.sha256,
                v.text,
                run_id,
                fetched_at,
            )
        )
    write_rows(db, "note_versions", ("version_id", *VERSION_COLUMNS), rows)
    return done


def write_derived(db: sqlite_utils.Database, notes: Iterable[NoteRows], inserted: Mapping[Key, int]) -> None:
    """The records read from new submission and review versions (`paper_versions`, `review_versions`) of
    these papers' rows."""
    papers = []
    reviews = []
    for note in notes:
        forum_id = note.forum_id
        paper_version = inserted.get((forum_id, forum_id, "submission"))
        if paper_version is not None:
            papers.append((paper_version, forum_id, *(note.paper[i] for i in _PAPER_FIELD_AT)))
        for review in note.reviews:
            review_id, rating, confidence, at = (review[i] for i in _REVIEW_AT)
            vid = inserted.get((forum_id, review_id, "review"))
            if vid is not None:
                reviews.append((vid, review_id, forum_id, rating, confidence, at))
    write_rows(db, "paper_versions", ("version_id", "forum_id", *PAPER_FIELDS), papers)
    write_rows(
        db, "review_versions", ("version_id", "review_id", "forum_id", "rating", "confidence", "modified_at"), reviews
    )


# ---- changes ------------------------------------------------------------------------------------------------


def stored_states(db: sqlite_utils.Database, forum_ids: Sequence[str]) -> dict[str, ForumState]:
    """The stored records of these papers, before a page replaces them."""
    states: dict[str, ForumState] = {}
    for chunk in _chunks(forum_ids):
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"SELECT * FROM papers WHERE forum_id IN ({marks})", chunk):
            states[row["forum_id"]] = ForumState(row, {}, None)
        for row in db.query(f"SELECT * FROM reviews WHERE forum_id IN ({marks})", chunk):
            states[row["forum_id"]].reviews[row["review_id"]] = row
        for row in db.query(f"SELECT * FROM decisions WHERE forum_id IN ({marks})", chunk):
            states[row["forum_id"]].decision = row
    return states


def _ms_iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


# The words of the `changes` table, for `paperharvest changes --kind/--change` to check a filter against.
CHANGE_KINDS = ("paper", "review", "decision", "meta-review", "comment")
CHANGE_WORDS = (
    "added",
    "withdrawn",
    "desk-rejected",
    "status changed",
    "title revised",
    "abstract revised",
    "pdf revised",
    "posted",
    "changed",
    "edited",
    "removed",
)
# Events of versions of these kinds become changes directly; the other kinds are read through records.
_EVENT_WORDS = {"comment": ("added", "edited", "removed"), "meta-review": ("posted", "edited", "removed")}


def forum_changes(
    run_id: int,
    venue_key: str,
    forum_id: str,
    old: ForumState | None,
    records: NoteRows,
    events: Iterable[Event] = (),
) -> list[Change]:
    """The `changes` rows of one paper between two states. `events` are (note id, kind, event, tmdate) of
    its comment and meta-review versions, event `new`, `edited` or `removed`. A paper seen for the first
    time is one row, `added`: what came with it is not news."""

    def row(note_id: str, kind: str, change: str, before: Any = None, after: Any = None, **more: Any) -> Change:
        scores = [more.get(f"{side}_{name}") for name in ("rating", "confidence") for side in ("old", "new")]
        return (run_id, venue_key, forum_id, note_id, kind, change, before, after, *scores, more.get("at"))

    if old is None:
        return [row(forum_id, "paper", "added", None, records.paper[_TITLE_AT], at=records.paper[_MODIFIED_AT])]
    new = state_of(records)
    out = []
    was, now = old.paper, new.paper
    at = now["modified_at"]
    if was["status"] != now["status"]:
        if now["status"] in ("withdrawn", "desk-rejected"):
            out.append(row(forum_id, "paper", now["status"], was["status"], now["status"], at=at))
        elif was["decision"] == now["decision"]:
            out.append(row(forum_id, "paper", "status changed", was["status"], now["status"], at=at))
    for name, word in (("title", "title revised"), ("abstract", "abstract revised"), ("pdf_url", "pdf revised")):
        if was[name] != now[name]:
            out.append(row(forum_id, "paper", word, was[name], now[name], at=at))
    d_old, d_new = old.decision, new.decision
    if d_new is not None and (d_old is None or d_old["decision"] != d_new["decision"]):
        word = "posted" if d_old is None else "changed"
        before = None if d_old is None else d_old["decision"]
        out.append(row(d_new["decision_id"], "decision", word, before, d_new["decision"], at=d_new["modified_at"]))
    elif d_new is None and d_old is not None:
        out.append(row(d_old["decision_id"], "decision", "removed", d_old["decision"], None))
    for review_id in sorted(old.reviews.keys() | new.reviews.keys()):
        r_old, r_new = old.reviews.get(review_id), new.reviews.get(review_id)
        if r_old == r_new:
            continue
        scores = {
            "old_rating": r_old and r_old["rating"],
            "new_rating": r_new and r_new["rating"],
            "old_confidence": r_old and r_old["confidence"],
            "new_confidence": r_new and r_new["confidence"],
        }
        word = "added" if r_old is None else "removed" if r_new is None else "edited"
        out.append(row(review_id, "review", word, at=r_new and r_new["modified_at"], **scores))
    for note_id, kind, event, tmdate in sorted(events):
        words = _EVENT_WORDS.get(kind)
        if words is not None:
            word = words[("new", "edited", "removed").index(event)]
            out.append(row(note_id, kind, word, at=_ms_iso(tmdate) if event != "removed" else None))
    return out


def write_changes(db: sqlite_utils.Database, rows: Sequence[Change]) -> None:
    write_rows(db, "changes", CHANGE_COLUMNS, rows)


def page_events(write: VersionWrite, tmdates: Mapping[Key, int | None]) -> dict[str, list[Event]]:
    """Per parent: (note id, kind, event, tmdate) of every version written or closed."""
    events: dict[str, list[Event]] = {}
    for key in write.inserted:
        event = "edited" if key in write.closed else "new"
        events.setdefault(key[0], []).append((key[1], key[2], event, tmdates.get(key)))
    for key in write.closed - write.inserted.keys():
        events.setdefault(key[0], []).append((key[1], key[2], "removed", None))
    return events


# ---- reading versions back ------------------------------------------------------------------------------------


def _valid(run_id: int, *, before: bool) -> tuple[str, list[int]]:
    """SQL for the versions valid at `run_id` (or, `before`, at the venue's previous run). Versions stored
    outside a run (first_run_id NULL) count from the beginning."""
    if before:
        return "coalesce(first_run_id, 0) < ? AND (until_run_id IS NULL OR until_run_id >= ?)", [run_id, run_id]
    return "coalesce(first_run_id, 0) <= ? AND (until_run_id IS NULL OR until_run_id > ?)", [run_id, run_id]


@dataclass
class StoredNote:
    """A raw note put back together from its versions valid at one run."""

    parent_id: str
    kind: str
    listing: str
    note: dict[str, Any]
    fetched_at: str
    versions: dict[Key, int]
    # The run that first saw each part (0: stored outside a run).
    first_runs: dict[Key, int]


def notes_at(
    db: sqlite_utils.Database,
    venue_key: str,
    run_id: int,
    *,
    before: bool = False,
    forum_ids: Sequence[str] | None = None,
) -> Iterator[StoredNote]:
    """Every raw note of the venue (or of these papers) as it was at `run_id`, a parent at a time."""
    valid, params = _valid(run_id, before=before)
    if forum_ids is None:
        chunks: Iterable[Sequence[str] | None] = [None]
    else:
        chunks = list(_chunks(forum_ids))
    for chunk in chunks:
        where = "" if chunk is None else f"AND forum_id IN ({','.join('?' * len(chunk))})"
        rows = db.execute(
            f"""SELECT parent_id, note_id, kind, invitation, json, fetched_at, version_id, coalesce(first_run_id, 0)
                FROM {"note_versions" if chunk is None else BY_FORUM}
                WHERE venue = ? AND {valid} {where} ORDER BY parent_id""",
            [venue_key, *params, *(chunk or [])],
        )
        group: list[tuple[Any, ...]] = []
        for row in rows:
            if group and group[0][0] != row[0]:
                yield _stored(group)
                group = []
            group.append(row)
        if group:
            yield _stored(group)


def _put_together(parent: str, parts: Sequence[tuple[Any, ...]]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The row of the note itself among a parent's parts, (note_id, kind, ..., json) each, and the raw note
    they were split from."""
    # The submission itself, else (a note stored alone) its one part that is not the details' shape.
    mine = [p for p in parts if p[0] == parent and p[1] != "details"]
    top = next((p for p in mine if p[1] == "submission"), None) or mine[0]
    layout = next((p[-1] for p in parts if p[1] == "details"), None)
    replies = {p[0]: p[-1] for p in parts if p is not top and p[1] != "details"}
    return top, assemble(top[-1], layout, replies)


def _stored(rows: list[tuple[Any, ...]]) -> StoredNote:
    parent = rows[0][0]
    top, note = _put_together(parent, [(r[1], r[2], r[3], r[4]) for r in rows])
    return StoredNote(
        parent_id=parent,
        kind=top[1],
        listing=top[2],
        note=note,
        fetched_at=max(r[5] for r in rows),
        versions={(r[0], r[1], r[2]): r[6] for r in rows},
        first_runs={(r[0], r[1], r[2]): r[7] for r in rows},
    )


class RawNote(NamedTuple):
    """A stored raw note as the API sent it, with the listing it came from and when it was fetched."""

    note_id: str
    invitation: str
    fetched_at: str
    note: dict[str, Any]


def stored_raw_notes(
    db: sqlite_utils.Database, venue_key: str, invitations: Collection[str] | None = None
) -> Iterator[RawNote]:
    """The venue's raw notes (or those of these listings), in the order stored, each put back together from
    its current versions, or read from the text its row holds where they cannot give it back (a note stored
    before versions were kept; one listing a reply id twice with two contents)."""
    where, params = "", []
    if invitations is not None:
        where, params = "AND invitation IN (SELECT value FROM json_each(?))", [json.dumps(sorted(invitations))]
    cursor = db.execute(
        f"SELECT note_id, invitation, fetched_at, json FROM raw_notes WHERE venue = ? {where} ORDER BY rowid",
        [venue_key, *params],
    )
    while batch := cursor.fetchmany(_READ_BATCH):
        parts = _current_parts(db, venue_key, [row[0] for row in batch if row[3] is None])
        for note_id, listing, fetched_at, text in batch:
            if text is not None:
                yield RawNote(note_id, listing, fetched_at, json.loads(text))
            elif note_id in parts:
                yield RawNote(note_id, listing, fetched_at, _put_together(note_id, parts[note_id])[1])
            else:
                raise DatabaseError(
                    f"raw note {note_id} has neither its text nor current versions: the database was changed "
                    "outside paperharvest; delete the venue's raw_notes rows and fetch it again"
                )


def run_events(
    db: sqlite_utils.Database, venue_key: str, run_id: int, forum_ids: Sequence[str]
) -> dict[str, list[Event]]:
    """Per parent: (note id, kind, event, tmdate) of the versions run `run_id` wrote or closed."""
    marks = ",".join("?" * len(forum_ids))
    written: dict[Key, int | None] = {}
    closed: set[Key] = set()
    for parent, note, kind, tmdate, first, until in db.execute(
        f"""SELECT parent_id, note_id, kind, tmdate, coalesce(first_run_id, 0), until_run_id FROM {BY_FORUM}
            WHERE venue = ? AND forum_id IN ({marks}) AND (coalesce(first_run_id, 0) = ? OR until_run_id = ?)""",
        [venue_key, *forum_ids, run_id, run_id],
    ):
        if first == run_id:
            written[(parent, note, kind)] = tmdate
        if until == run_id:
            closed.add((parent, note, kind))
    write = VersionWrite(inserted={k: 0 for k in written}, closed=closed)
    return page_events(write, written)


def touched_forums(db: sqlite_utils.Database, venue_key: str, run_id: int) -> list[str]:
    rows = db.execute(
        """SELECT DISTINCT forum_id FROM note_versions
           WHERE venue = ? AND (coalesce(first_run_id, 0) = ? OR until_run_id = ?) ORDER BY forum_id""",
        [venue_key, run_id, run_id],
    )
    return [r[0] for r in rows]


def version_runs(db: sqlite_utils.Database, venue_key: str) -> list[int]:
    """Every run that wrote or closed a version of the venue, in order (0: versions stored outside a run)."""
    rows = db.execute(
        """SELECT coalesce(first_run_id, 0) FROM note_versions WHERE venue = ?
           UNION SELECT until_run_id FROM note_versions WHERE venue = ? AND until_run_id IS NOT NULL
           ORDER BY 1""",
        [venue_key, venue_key],
    )
    return [r[0] for r in rows]


def clear_history(db: sqlite_utils.Database, venue_key: str) -> None:
    """The rows `rebuild` derives again from the versions."""
    db.execute("DELETE FROM changes WHERE venue = ?", [venue_key])
    for table in ("paper_versions", "review_versions"):
        db.execute(
            f"DELETE FROM {table} WHERE version_id IN (SELECT version_id FROM note_versions WHERE venue = ?)",
            [venue_key],
        )


def unversioned_notes(db: sqlite_utils.Database, venue_key: str) -> list[tuple[str, str, str, str]]:
    """(note id, listing, json, fetched_at) of the venue's raw notes without a current version that still
    hold their text: a database from before versions were kept."""
    rows = db.execute(
        """SELECT note_id, invitation, json, fetched_at FROM raw_notes r WHERE venue = ? AND json IS NOT NULL
           AND NOT EXISTS
             (SELECT 1 FROM note_versions v INDEXED BY idx_note_versions_current
              WHERE v.venue = r.venue AND v.parent_id = r.note_id AND v.until_run_id IS NULL) ORDER BY rowid""",
        [venue_key],
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _current_parts(
    db: sqlite_utils.Database, venue_key: str, parents: Sequence[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """parent -> (note id, kind, json) of each of its current versions."""
    parts: dict[str, list[tuple[str, str, str]]] = {}
    for parent, note_id, kind, text in _current_rows(db, venue_key, parents, "json"):
        parts.setdefault(parent, []).append((note_id, kind, text))
    return parts


def reproducible_raw_texts(db: sqlite_utils.Database, note_ids: Sequence[str] | None = None) -> list[str]:
    """The raw notes (of these, or all) holding a text that their current versions put back together exactly.

    A text they do not give back, or one that cannot be put back together at all (versions missing or
    damaged), is not among them: it stays the note's only exact copy. Run by the schema 11 migration too, so
    it reads versions of every format ever stored, as the versions themselves must stay readable.
    """
    where = "" if note_ids is None else "AND note_id IN (SELECT value FROM json_each(?))"
    cursor = db.execute(
        f"SELECT note_id, venue, json FROM raw_notes WHERE json IS NOT NULL {where} ORDER BY venue, rowid",
        [] if note_ids is None else [json.dumps(list(note_ids))],
    )
    found: list[str] = []
    while batch := cursor.fetchmany(_READ_BATCH):
        for venue_key in {row[1] for row in batch}:
            texts = {row[0]: row[2] for row in batch if row[1] == venue_key}
            for parent, parts in _current_parts(db, venue_key, list(texts)).items():
                try:
                    again = raw_json(_put_together(parent, parts)[1])
                except (IndexError, KeyError, TypeError, ValueError):  # parts missing or not as written
                    continue
                if again == texts[parent]:
                    found.append(parent)
    return found


def drop_versioned_raw_texts(db: sqlite_utils.Database, note_ids: Sequence[str]) -> None:
    """These raw notes, versioned now, keep their text in their versions only, where those give it back."""
    dropped = json.dumps(reproducible_raw_texts(db, note_ids))
    db.execute("UPDATE raw_notes SET json = NULL WHERE note_id IN (SELECT value FROM json_each(?))", [dropped])


# ---- data versions ------------------------------------------------------------------------------------------


def venue_data_version(db: sqlite_utils.Database, venue_key: str, run_id: int | None = None) -> str | None:
    """A short hash over the venue's note versions, current or valid at `run_id`: equal data versions mean
    equal notes, whatever database or machine holds them. None for a venue with no versions."""
    params: list[int] = []
    if run_id is None:
        valid = "until_run_id IS NULL"
    else:
        valid, params = _valid(run_id, before=False)
    rows = db.execute(
        f"""SELECT parent_id, note_id, kind, sha256 FROM note_versions WHERE venue = ? AND {valid}
            ORDER BY parent_id, note_id, kind""",
        [venue_key, *params],
    )
    digest = hashlib.sha256()
    empty = True
    for row in rows:
        empty = False
        digest.update(" ".join(row).encode("utf-8") + b"\n")
    return None if empty else digest.hexdigest()[:12]


def set_data_version(db: sqlite_utils.Database, run_id: int, version: str | None) -> None:
    db.execute("UPDATE runs SET data_version = ? WHERE run_id = ?", [version, run_id])


def runs_without_data_version(db: sqlite_utils.Database, venue_key: str, before_run: int) -> list[int]:
    """Earlier runs of the venue that died before recording their data version. Only those after the last run
    that has one: the run that recorded it settled every run before it (a run with no notes keeps NULL), so
    they are not hashed again on every fetch."""
    rows = db.execute(
        """SELECT run_id FROM runs WHERE venue = ? AND run_id < ? AND data_version IS NULL
             AND run_id > coalesce((SELECT max(run_id) FROM runs WHERE venue = ? AND data_version IS NOT NULL), 0)
           ORDER BY run_id""",
        [venue_key, before_run, venue_key],
    )
    return [r[0] for r in rows]


def previous_run(db: sqlite_utils.Database, venue_key: str, run_id: int) -> int | None:
    row = db.execute("SELECT max(run_id) FROM runs WHERE venue = ? AND run_id < ?", [venue_key, run_id]).fetchone()
    return None if row[0] is None else int(row[0])


def history_counts(db: sqlite_utils.Database, venue_key: str, run_id: int) -> dict[str, int]:
    """What run `run_id` added to the venue's history."""
    one = db.execute(
        """SELECT (SELECT count(*) FROM note_versions WHERE venue = :v AND first_run_id = :r),
                  (SELECT count(*) FROM note_versions WHERE venue = :v AND until_run_id = :r),
                  (SELECT count(*) FROM changes WHERE venue = :v AND run_id = :r)""",
        {"v": venue_key, "r": run_id},
    ).fetchone()
    return {"versions_written": one[0], "versions_closed": one[1], "changes": one[2]}


# ---- which run a user means -----------------------------------------------------------------------------------


def _moment(text: str, *, end_of_day: bool) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{text!r} is neither a run number nor a date (YYYY-MM-DD or an ISO 8601 time)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(text) == 10:
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


def _venue_runs(db: sqlite_utils.Database, venue_key: str) -> list[tuple[int, datetime]]:
    rows = db.execute("SELECT run_id, started_at FROM runs WHERE venue = ? ORDER BY run_id", [venue_key])
    return [(r[0], datetime.fromisoformat(r[1])) for r in rows]


def run_as_of(db: sqlite_utils.Database, venue_key: str, spec: str) -> int:
    """The run `spec` names (a run number of the venue), or the venue's last run started by a date or time
    (a date means the end of that day, UTC)."""
    runs = _venue_runs(db, venue_key)
    if spec.isdigit():
        if int(spec) not in {r for r, _ in runs}:
            raise ConfigError(f"run {spec} is not a run of {venue_key}")
        return int(spec)
    moment = _moment(spec, end_of_day=True)
    chosen = [r for r, started in runs if started <= moment]
    if not chosen:
        raise ConfigError(f"no run of {venue_key} started by {spec}")
    return chosen[-1]


def first_run_since(db: sqlite_utils.Database, venue_key: str, spec: str) -> int:
    """The first run that counts as `--since spec`: after run `spec`, or started at or after a date/time."""
    if spec.isdigit():
        return int(spec) + 1
    moment = _moment(spec, end_of_day=False)
    later = [r for r, started in _venue_runs(db, venue_key) if started >= moment]
    return later[0] if later else 1 << 62


def list_changes(
    db: sqlite_utils.Database,
    venue_key: str,
    *,
    since_run: int = 0,
    kinds: Sequence[str] = (),
    changes: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The venue's changes from run `since_run` on, oldest first, optionally of some kinds / changes only."""
    where, params = ["venue = ?", "run_id >= ?"], [venue_key, since_run]
    for column, wanted in (("kind", kinds), ("change", changes)):
        if wanted:
            where.append(f"{column} IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
    return list(db.query(f"SELECT * FROM changes WHERE {' AND '.join(where)} ORDER BY rowid", params))


# ---- snapshots ------------------------------------------------------------------------------------------------


def _columns(db: sqlite_utils.Database, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def copy_venue_history(
    source: sqlite_utils.Database, target: sqlite_utils.Database, venue_key: str, run_id: int
) -> None:
    """Into an empty database: the venue's row, its runs up to `run_id`, and its history as that run left
    it (versions it had not yet seen replaced are current again). Call inside a transaction on `target`."""
    last_ok = source.execute(
        "SELECT run_id, ended_at FROM runs WHERE venue = ? AND run_id <= ? AND outcome = 'ok' ORDER BY run_id DESC",
        [venue_key, run_id],
    ).fetchone()
    copies: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("venues", "key = :venue", {}),
        ("runs", "venue = :venue AND run_id <= :run", {}),
        (
            "note_versions",
            "venue = :venue AND coalesce(first_run_id, 0) <= :run",
            {"until_run_id": "CASE WHEN until_run_id > :run THEN NULL ELSE until_run_id END"},
        ),
        ("changes", "venue = :venue AND run_id <= :run", {}),
    )
    params = {"venue": venue_key, "run": run_id}
    for table, where, computed in copies:
        columns = _columns(target, table)
        chosen = ", ".join(computed.get(c, c) for c in columns)
        rows = source.execute(f"SELECT {chosen} FROM {table} WHERE {where} ORDER BY rowid", params)
        marks = ", ".join("?" * len(columns))
        target.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    for table in ("paper_versions", "review_versions"):
        columns = _columns(target, table)
        rows = source.execute(
            f"""SELECT {", ".join(columns)} FROM {table} WHERE version_id IN
                (SELECT version_id FROM note_versions WHERE venue = :venue AND coalesce(first_run_id, 0) <= :run)""",
            params,
        )
        target.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
        )
    target.execute(
        "UPDATE venues SET last_run_id = ?, last_harvested_at = ? WHERE key = ?",
        [last_ok[0] if last_ok else None, last_ok[1] if last_ok else None, venue_key],
    )
