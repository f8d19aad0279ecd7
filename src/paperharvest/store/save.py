"""save_* functions: write records and raw payloads. A page of notes is one transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import sqlite_utils

from paperharvest.models import Author, Decision, NormalizedNote, Paper, Record, Review
from paperharvest.venues import VenueConfig

CHILD_TABLES = ("paper_authors", "reviews", "decisions")
RAW_COLUMNS = ("note_id", "venue", "invitation", "api_version", "tmdate", "sha256", "fetched_at", "json")


@dataclass
class PageResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def raw_json(note: Mapping[str, Any]) -> str:
    """The stored form of a raw note: compact, keys in the order the API sent them."""
    return json.dumps(note, ensure_ascii=False, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_venue(db: sqlite_utils.Database, venue: VenueConfig) -> None:
    db.execute(
        """INSERT INTO venues (key, venue_id, name, api_version, year) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(key) DO UPDATE SET venue_id = excluded.venue_id, name = excluded.name,
             api_version = excluded.api_version, year = excluded.year""",
        [venue.key, venue.venue_id, venue.name, venue.api_version, venue.year],
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
    db.execute(
        "UPDATE runs SET ended_at = ?, outcome = ?, counts = ?, error = ? WHERE run_id = ?",
        [ended_at.isoformat(), outcome, json.dumps(counts, sort_keys=True), error, run_id],
    )


def stored_hashes(db: sqlite_utils.Database, note_ids: Sequence[str]) -> dict[str, str]:
    if not note_ids:
        return {}
    marks = ",".join("?" * len(note_ids))
    rows = db.execute(f"SELECT note_id, sha256 FROM raw_notes WHERE note_id IN ({marks})", list(note_ids))
    return dict(rows.fetchall())


def _sql_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False)


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


def _record_rows(records: Iterable[Record], extra: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    rows = []
    for record in records:
        # Pydantic keeps field values in __dict__ in declaration order, which is also the column order.
        values = list(record.__dict__.values())
        for index in _converted_positions(type(record)):
            values[index] = _sql_value(values[index])
        rows.append((*values, *extra))
    return rows


def _write_rows(
    db: sqlite_utils.Database, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], pk: str | None = None
) -> None:
    """INSERT (or, with `pk`, upsert) many rows in one executemany.

    The hot path skips sqlite-utils' insert_all: its per-value type sniffing was most of the store time
    (measured with `make bench`), and every row here already has every column in the right type.
    """
    if not rows:
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    if pk is not None:
        sql += f" ON CONFLICT({pk}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns if c != pk)
    db.conn.executemany(sql, rows)


def _columns(model: type[Record]) -> list[str]:
    return list(model.model_fields)


def save_listed_authors(db: sqlite_utils.Database, listed: Sequence[Author]) -> dict[str, str]:
    """Make sure every author id a paper lists belongs to a person; returns listed id -> person id.

    An id seen for the first time becomes its own person (resolution "pending") until the profile stage
    maps it to an OpenReview profile; an id already mapped keeps its mapping.
    """
    first: dict[str, Author] = {}
    for author in listed:
        first.setdefault(author.author_id, author)
    if not first:
        return {}
    db.conn.executemany(
        """INSERT INTO authors (author_id, preferred_name, email_domain)
           SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM author_aliases WHERE alias = ?)""",
        [(a.author_id, a.name, a.email_domain, a.author_id) for a in first.values()],
    )
    db.conn.executemany(
        "INSERT INTO author_aliases (alias, author_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(author_id, author_id) for author_id in first],
    )
    ids = list(first)
    marks = ",".join("?" * len(ids))
    return dict(db.execute(f"SELECT alias, author_id FROM author_aliases WHERE alias IN ({marks})", ids).fetchall())


def replace_records(
    db: sqlite_utils.Database, harvested: Sequence[tuple[NormalizedNote, str]], *, replace: bool = True
) -> None:
    """Write each note's paper and replace its children (authors, reviews, decision). Call inside a transaction.

    `harvested` pairs each note's records with the time its raw note was fetched (ISO 8601). `replace=False`
    skips deleting old children, for notes known to be new.
    """
    if not harvested:
        return
    notes = [note for note, _ in harvested]
    forum_ids = [n.paper.forum_id for n in notes]
    if replace:
        marks = ",".join("?" * len(forum_ids))
        for table in CHILD_TABLES:
            db.execute(f"DELETE FROM {table} WHERE forum_id IN ({marks})", forum_ids)
    papers = [row for note, stamp in harvested for row in _record_rows([note.paper], [stamp])]
    _write_rows(db, "papers", [*_columns(Paper), "harvested_at"], papers, pk="forum_id")
    canonical = save_listed_authors(db, [a for n in notes for a in n.authors])
    _write_rows(
        db,
        "paper_authors",
        ("forum_id", "position", "author_id", "name", "listed_id"),
        [
            (a.forum_id, a.position, canonical.get(a.author_id) if a.author_id else None, a.name, a.author_id)
            for n in notes
            for a in n.paper_authors
        ],
    )
    _write_rows(db, "reviews", _columns(Review), _record_rows(r for n in notes for r in n.reviews))
    decisions = _record_rows(n.decision for n in notes if n.decision is not None)
    _write_rows(db, "decisions", _columns(Decision), decisions)


def save_page(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    invitation: str,
    raw_notes: Sequence[Mapping[str, Any]],
    normalized: Sequence[NormalizedNote],
    fetched_at: datetime,
) -> PageResult:
    """Store one fetched page: raw notes and their records together, or nothing at all.

    Notes whose raw JSON is byte-identical to what is stored are skipped entirely, so a re-run writes
    nothing that did not change upstream.
    """
    texts = [raw_json(note) for note in raw_notes]
    hashes = [sha256(text) for text in texts]
    result = PageResult()
    with db.atomic():
        known = stored_hashes(db, [str(note["id"]) for note in raw_notes])
        changed_raw: list[tuple[Any, ...]] = []
        changed: list[tuple[NormalizedNote, str]] = []
        for note, text, digest, records in zip(raw_notes, texts, hashes, normalized, strict=True):
            note_id = str(note["id"])
            previous = known.get(note_id)
            if previous == digest:
                result.unchanged += 1
                continue
            if previous is None:
                result.added += 1
            else:
                result.updated += 1
            tmdate = note.get("tmdate")
            changed_raw.append(
                (
                    note_id,
                    venue.key,
                    invitation,
                    venue.api_version,
                    tmdate if isinstance(tmdate, int) else None,
                    digest,
                    fetched_at.isoformat(),
                    text,
                )
            )
            changed.append((records, fetched_at.isoformat()))
        if changed_raw:
            _write_rows(db, "raw_notes", RAW_COLUMNS, changed_raw, pk="note_id")
            replace_records(db, changed, replace=result.updated > 0)
    return result


def save_raw_notes(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    invitation: str,
    raw_notes: Sequence[Mapping[str, Any]],
    fetched_at: datetime,
) -> None:
    """Keep notes that are not papers (2018's venue-wide decisions) raw, for `rebuild` to read again."""
    rows = []
    for note in raw_notes:
        text = raw_json(note)
        tmdate = note.get("tmdate")
        rows.append(
            (
                str(note["id"]),
                venue.key,
                invitation,
                venue.api_version,
                tmdate if isinstance(tmdate, int) else None,
                sha256(text),
                fetched_at.isoformat(),
                text,
            )
        )
    with db.atomic():
        _write_rows(db, "raw_notes", RAW_COLUMNS, rows, pk="note_id")


def iter_raw_notes(
    db: sqlite_utils.Database, venue_key: str | None = None, invitation: str | None = None
) -> Iterable[dict[str, Any]]:
    conditions = [(c, v) for c, v in (("venue = ?", venue_key), ("invitation = ?", invitation)) if v]
    where = ("WHERE " + " AND ".join(c for c, _ in conditions)) if conditions else ""
    params = [v for _, v in conditions]
    yield from db.query(
        f"SELECT note_id, venue, invitation, fetched_at, json FROM raw_notes {where} ORDER BY rowid", params
    )
