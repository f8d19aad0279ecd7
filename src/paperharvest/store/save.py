"""save_* functions: write records and raw payloads. A page of notes (raw notes, their records and the notes
rejected from it) is one transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from paperharvest.errors import RejectedNote
from paperharvest.models import NormalizedNote
from paperharvest.store.prepare import (
    CERTIFICATION_COLUMNS,
    COMMENT_COLUMNS,
    DECISION_COLUMNS,
    PAPER_COLUMNS,
    RAW_COLUMNS,
    REVIEW_COLUMNS,
    NoteRows,
    NoteVersion,
    PreparedNote,
    PreparedPage,
    Quarantined,
    prepare_page,
    raw_row,
    split_note_text,
)
from paperharvest.store.versions import (
    forum_changes,
    page_events,
    stored_states,
    write_changes,
    write_derived,
    write_versions,
)
from paperharvest.store.writes import unchecked_foreign_keys, write_rows
from paperharvest.venues import VenueConfig

CHILD_TABLES = ("paper_authors", "reviews", "decisions", "paper_certifications", "comments")


@dataclass
class PageResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def save_venue(db: sqlite_utils.Database, venue: VenueConfig) -> None:
    db.execute(
        """INSERT INTO venues (key, venue_id, name, api_version, year, published_rejected, published_reviews)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(key) DO UPDATE SET venue_id = excluded.venue_id, name = excluded.name,
             api_version = excluded.api_version, year = excluded.year,
             published_rejected = excluded.published_rejected, published_reviews = excluded.published_reviews""",
        [
            venue.key,
            venue.venue_id,
            venue.name,
            venue.api_version,
            venue.year,
            venue.published.rejected,
            venue.published.reviews,
        ],
    )


def mark_venue_harvested(db: sqlite_utils.Database, venue_key: str, at: datetime, run_id: int) -> None:
    db.execute(
        "UPDATE venues SET last_harvested_at = ?, last_run_id = ? WHERE key = ?",
        [at.isoformat(), run_id, venue_key],
    )


def start_run(
    db: sqlite_utils.Database,
    *,
    command: str,
    venue: str | None,
    options: Mapping[str, Any],
    versions: Mapping[str, str],
    started_at: datetime,
) -> int:
    cursor = db.execute(
        "INSERT INTO runs (venue, command, options, versions, started_at, outcome) VALUES (?, ?, ?, ?, ?, 'running')",
        [
            venue,
            command,
            json.dumps(options, sort_keys=True),
            json.dumps(versions, sort_keys=True),
            started_at.isoformat(),
        ],
    )
    return int(cursor.lastrowid or 0)


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    outcome: str,
    ended_at: datetime,
    counts: Mapping[str, Any],
    error: str | None = None,
) -> None:
    """Record how a run ended: `outcome` is `ok`, `failed` or `interrupted` (a signal stopped it)."""
    db.execute(
        "UPDATE runs SET ended_at = ?, outcome = ?, counts = ?, error = ? WHERE run_id = ?",
        [ended_at.isoformat(), outcome, json.dumps(counts, sort_keys=True), error, run_id],
    )


def mark_interrupted_runs(db: sqlite_utils.Database, noticed_at: datetime) -> int:
    """Runs left `running` by a process that died without recording its end (kill -9, a power cut) become
    `interrupted`. Call only while holding run_lock: then no run is really running. Their `ended_at` stays
    NULL, as nobody knows when they stopped; `error` says when it was noticed. Returns how many."""
    cursor = db.execute(
        "UPDATE runs SET outcome = 'interrupted', error = ? WHERE outcome = 'running'",
        [
            f"the run stopped without recording its end (killed, or the machine stopped); noticed at "
            f"{noticed_at.isoformat()}"
        ],
    )
    return cursor.rowcount


def stored_input_hashes(db: sqlite_utils.Database, note_ids: Sequence[str]) -> dict[str, str | None]:
    """note id -> the inputs_sha256 its stored records were derived from."""
    if not note_ids:
        return {}
    marks = ",".join("?" * len(note_ids))
    rows = db.execute(f"SELECT note_id, inputs_sha256 FROM raw_notes WHERE note_id IN ({marks})", list(note_ids))
    return dict(rows.fetchall())


def save_listed_authors(
    db: sqlite_utils.Database, listed: Iterable[tuple[str, str | None, str | None]]
) -> dict[str, str]:
    """Make sure every author id a paper lists belongs to a person; returns listed id -> person id.

    An id seen for the first time becomes its own person (resolution "pending") until the profile stage
    maps it to an OpenReview profile; an id already mapped keeps its mapping; an ambiguous alias held by no
    one becomes the listed person's (and stays marked ambiguous).
    """
    first: dict[str, tuple[str, str | None, str | None]] = {}
    for author in listed:
        first.setdefault(author[0], author)
    if not first:
        return {}
    ids = list(first)
    marks = ",".join("?" * len(ids))
    held = dict(db.execute(f"SELECT alias, author_id FROM author_aliases WHERE alias IN ({marks})", ids).fetchall())
    # Held by no one: a new id, or an alias several profiles share that no paper listed yet.
    free = [author_id for author_id in ids if held.get(author_id) is None]
    write_rows(
        db,
        "authors",
        ("author_id", "preferred_name", "email_domain"),
        [first[i] for i in free],
        on_conflict="ON CONFLICT DO NOTHING",
    )
    write_rows(
        db,
        "author_aliases",
        ("alias", "author_id"),
        [(author_id, author_id) for author_id in free],
        on_conflict="ON CONFLICT(alias) DO UPDATE SET author_id = excluded.author_id "
        "WHERE author_aliases.author_id IS NULL",
    )
    return {**held, **{author_id: author_id for author_id in free}}


def replace_records(
    db: sqlite_utils.Database, harvested: Sequence[tuple[NoteRows, str]], *, replace: bool = True
) -> None:
    """Write each note's paper and replace its children (CHILD_TABLES). Call inside a transaction.

    `harvested` pairs each note's rows with the time its raw note was fetched (ISO 8601). `replace=False`
    skips deleting old children, for notes known to be new.
    """
    if not harvested:
        return
    notes = [note for note, _ in harvested]
    if replace:
        forum_ids = [n.forum_id for n in notes]
        marks = ",".join("?" * len(forum_ids))
        for table in CHILD_TABLES:
            db.execute(f"DELETE FROM {table} WHERE forum_id IN ({marks})", forum_ids)
    papers = [(*note.paper, stamp) for note, stamp in harvested]
    write_rows(db, "papers", [*PAPER_COLUMNS, "harvested_at"], papers, pk="forum_id")
    canonical = save_listed_authors(db, (a for n in notes for a in n.authors))
    write_rows(
        db,
        "paper_authors",
        ("forum_id", "position", "author_id", "name", "listed_id"),
        [
            (forum_id, position, canonical.get(listed) if listed else None, name, listed)
            for n in notes
            for forum_id, position, listed, name in n.paper_authors
        ],
    )
    write_rows(db, "reviews", REVIEW_COLUMNS, [r for n in notes for r in n.reviews])
    write_rows(db, "decisions", DECISION_COLUMNS, [n.decision for n in notes if n.decision is not None])
    write_rows(db, "paper_certifications", CERTIFICATION_COLUMNS, [c for n in notes for c in n.certifications])
    write_rows(db, "comments", COMMENT_COLUMNS, [c for n in notes for c in n.comments])


def save_rejected_notes(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    invitation: str,
    rejected: Sequence[Quarantined],
    *,
    run_id: int | None,
    rejected_at: str,
) -> None:
    """Quarantine notes that could not be normalized, raw payload and reason, one row a note (the latest
    rejection). Call inside the page's transaction. A note rejected now keeps whatever complete version of
    it was stored before, and leaves no partial paper."""
    rows = [(q.note_id, venue.key, invitation, q.reason, q.message, q.text, run_id, rejected_at) for q in rejected]
    names = ("note_id", "venue", "invitation", "reason", "message", "json", "run_id", "rejected_at")
    write_rows(db, "rejected_notes", names, rows, pk="note_id")


def clear_rejections(db: sqlite_utils.Database, note_ids: Sequence[str]) -> None:
    """Notes that normalize now are no longer rejected."""
    if note_ids:
        marks = ",".join("?" * len(note_ids))
        db.execute(f"DELETE FROM rejected_notes WHERE note_id IN ({marks})", list(note_ids))


def save_history(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    notes: Sequence[PreparedNote],
    *,
    stored: Collection[str],
    run_id: int | None,
    fetched_at: str,
) -> None:
    """The versions of changed notes, the records read from the new ones, and (in a run) the changes from
    the stored records to the new. `stored` holds the ids of the notes whose records were stored before
    (the others, a first harvest's every note, have none to look up). Call inside the page's transaction,
    before the records are replaced."""
    parents = [note.note_id for note in notes]
    versions = [v for note in notes for v in note.versions]
    written = write_versions(db, venue.key, parents, versions, run_id=run_id, fetched_at=fetched_at)
    write_derived(db, [note.rows for note in notes], written.inserted)
    if run_id is None:
        return
    old = stored_states(db, [parent for parent in parents if parent in stored])
    events = page_events(written, {v.key: v.tmdate for v in versions})
    rows = [
        row
        for note in notes
        for row in forum_changes(
            run_id, venue.key, note.note_id, old.get(note.note_id), note.rows, events.get(note.note_id, ())
        )
    ]
    write_changes(db, rows)


def save_prepared(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    invitation: str,
    parts: Iterable[PreparedPage],
    fetched_at: datetime,
    *,
    run_id: int | None = None,
) -> PageResult:
    """Store one fetched page, prepared: raw notes, their records and the page's rejected notes together, or
    nothing. The page may come in parts, each written as it arrives (while the next is prepared elsewhere),
    all in the page's one transaction.

    A note is skipped when its raw JSON and every related note are unchanged (`raw_notes.inputs_sha256`),
    so a re-run writes only what changed upstream, and a decision posted later re-derives its paper.
    """
    result = PageResult()
    stamp = fetched_at.isoformat()
    with unchecked_foreign_keys(db), db.atomic():
        for part in parts:
            ids = [note.note_id for note in part.notes]
            known = stored_input_hashes(db, ids)
            changed = [
                note for note in part.notes if note.note_id not in known or known[note.note_id] != note.inputs_sha256
            ]
            updated = sum(1 for note in changed if note.note_id in known)
            result.unchanged += len(part.notes) - len(changed)
            result.updated += updated
            result.added += len(changed) - updated
            if changed:
                save_history(db, venue, changed, stored=known.keys(), run_id=run_id, fetched_at=stamp)
                write_rows(db, "raw_notes", RAW_COLUMNS, [note.raw for note in changed], pk="note_id")
                replace_records(db, [(note.rows, stamp) for note in changed], replace=updated > 0)
            clear_rejections(db, ids)
            save_rejected_notes(db, venue, invitation, part.rejected, run_id=run_id, rejected_at=stamp)
            result.rejected += len(part.rejected)
    return result


def save_page(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    invitation: str,
    raw_notes: Sequence[Mapping[str, Any]],
    normalized: Sequence[NormalizedNote | RejectedNote],
    fetched_at: datetime,
    *,
    related: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    run_id: int | None = None,
) -> PageResult:
    """Store one fetched page (see save_prepared): `normalized[i]` is the records of `raw_notes[i]`, or the
    RejectedNote the normalizer raised for it; `related` as for prepare_page."""
    page = prepare_page(venue, invitation, raw_notes, normalized, fetched_at.isoformat(), related)
    return save_prepared(db, venue, invitation, [page], fetched_at, run_id=run_id)


def save_raw_notes(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    invitation: str,
    raw_notes: Sequence[Mapping[str, Any]],
    fetched_at: datetime,
    *,
    run_id: int | None = None,
) -> None:
    """Keep notes that are not papers (2018's venue-wide decisions), as versions, for `rebuild` to read again."""
    rows = []
    versions: list[NoteVersion] = []
    stamp = fetched_at.isoformat()
    for note in raw_notes:
        split = split_note_text(note, venue, invitation, submission=False)
        versions += split.versions
        rows.append(raw_row(note, venue, invitation, split, split.sha256, stamp))
    with db.atomic():
        # Only the notes listed now are compared: a note missing from one page is not known to be gone.
        parents = [str(note["id"]) for note in raw_notes]
        write_versions(db, venue.key, parents, versions, run_id=run_id, fetched_at=stamp)
        write_rows(db, "raw_notes", RAW_COLUMNS, rows, pk="note_id")
