"""save_* for people: OpenReview profiles (one canonical author per person), homepages and socials.

A person's id is their OpenReview profile id once resolved, and the id a paper listed (an e-mail in 2020)
until then. `author_aliases` maps every id a person is known by to that one id; when an alias turns out to
belong to someone already stored, the two people are merged, papers and socials included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from paperharvest.models import Candidate, HomepageFetch, PageReading, ProfileField, ProfileRecords
from paperharvest.normalize.notes import email_domain
from paperharvest.normalize.profiles import AliasMap, ProfileKeys, alias_key, alias_map
from paperharvest.store.prepare import raw_json, sha256


def authors_to_resolve(db: sqlite_utils.Database, venue_key: str, stale_before: datetime) -> list[str]:
    """People of the venue's papers never looked up, or last looked up before `stale_before`."""
    rows = db.execute(
        """SELECT DISTINCT a.author_id FROM authors a
           JOIN paper_authors pa ON pa.author_id = a.author_id
           JOIN papers p ON p.forum_id = pa.forum_id
           WHERE p.venue = ? AND (a.resolution = 'pending' OR a.resolved_at < ?)
           ORDER BY a.author_id""",
        [venue_key, stale_before.isoformat()],
    )
    return [row[0] for row in rows.fetchall()]


def _merge_person(db: sqlite_utils.Database, old: str, new: str | None) -> None:
    """Everything stored under person `old` now belongs to `new` (or, with None, to no one); `old` is removed."""
    if new is not None:
        db.execute("UPDATE author_aliases SET author_id = ? WHERE author_id = ?", [new, old])
        db.execute("UPDATE paper_authors SET author_id = ? WHERE author_id = ?", [new, old])
        db.execute("UPDATE OR IGNORE author_socials SET author_id = ? WHERE author_id = ?", [new, old])
    for table in ("author_socials", "author_history", "author_links", "homepage_readings"):
        db.execute(f"DELETE FROM {table} WHERE author_id = ?", [old])
    db.execute("DELETE FROM authors WHERE author_id = ?", [old])


def _ensure_person(db: sqlite_utils.Database, person: str) -> None:
    db.execute("INSERT INTO authors (author_id) VALUES (?) ON CONFLICT DO NOTHING", [person])


def _ensure_listed_person(db: sqlite_utils.Database, listed_id: str, at: str) -> None:
    """The person a listed id stands for while no single profile answers for it (again, after a merge that
    an ambiguity undid): named as the first paper listing it names them."""
    db.execute(
        """INSERT INTO authors (author_id, preferred_name, email_domain, resolution, resolved_at)
           SELECT ?, (SELECT name FROM paper_authors WHERE listed_id = ? ORDER BY rowid LIMIT 1), ?,
             'unresolved', ?
           ON CONFLICT DO NOTHING""",
        [listed_id, listed_id, email_domain(listed_id), at],
    )


def _profile_key_rows(keys: ProfileKeys) -> list[tuple[str, str, str]]:
    rows = [(keys.profile_id, keys.profile_id, "id" if keys.live else "merged_id")]
    rows += [(keys.profile_id, alias, "username") for alias in keys.aliases if alias != keys.profile_id]
    if keys.merged_into:
        rows.append((keys.profile_id, keys.merged_into, "merged_into"))
    rows += [(keys.profile_id, email, "confirmed_email") for email in keys.confirmed_emails]
    rows += [(keys.profile_id, email, "email") for email in keys.emails]
    return list(dict.fromkeys(rows))


def _stored_profile_keys(db: sqlite_utils.Database, profile_ids: Iterable[str]) -> list[ProfileKeys]:
    ids = sorted(set(profile_ids))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"SELECT profile_id, key, kind FROM profile_keys WHERE profile_id IN ({marks}) ORDER BY rowid", ids
    ).fetchall()
    by_profile: dict[str, dict[str, list[str]]] = {}
    for profile_id, key, kind in rows:
        by_profile.setdefault(profile_id, {}).setdefault(kind, []).append(key)
    return [
        ProfileKeys(
            profile_id=profile_id,
            live="id" in kinds,
            merged_into=next(iter(kinds.get("merged_into", [])), None),
            aliases=(profile_id, *kinds.get("username", [])),
            confirmed_emails=tuple(kinds.get("confirmed_email", [])),
            emails=tuple(kinds.get("email", [])),
        )
        for profile_id, kinds in by_profile.items()
    ]


def _sharing_keys(db: sqlite_utils.Database, keys: set[str]) -> tuple[set[str], set[str]]:
    """Every stored profile connected to `keys` through keys profiles share (a merge target counts as a key),
    and all their keys: everything the alias rule needs to decide `keys` as it would over every profile."""
    profiles: set[str] = set()
    frontier = set(keys)
    while frontier:
        marks = ",".join("?" * len(frontier))
        found = {
            row[0] for row in db.execute(f"SELECT profile_id FROM profile_keys WHERE key IN ({marks})", [*frontier])
        }
        new_profiles = found - profiles
        profiles |= new_profiles
        if not new_profiles:
            break
        marks = ",".join("?" * len(new_profiles))
        their_keys = {
            row[0] for row in db.execute(f"SELECT key FROM profile_keys WHERE profile_id IN ({marks})", [*new_profiles])
        }
        frontier = their_keys - keys
        keys |= their_keys
    return profiles, keys


def _spellings(db: sqlite_utils.Database, key: str) -> list[str]:
    """Every stored alias whose key is `key` (e-mails are stored as papers spell them)."""
    rows = db.execute("SELECT alias FROM author_aliases WHERE lower(alias) = lower(?)", [key]).fetchall()
    return sorted({key} | {alias for (alias,) in rows if alias_key(alias) == key})


def _is_listed(db: sqlite_utils.Database, alias: str) -> bool:
    return db.execute("SELECT 1 FROM paper_authors WHERE listed_id = ? LIMIT 1", [alias]).fetchone() is not None


def _apply_aliases(db: sqlite_utils.Database, keys: set[str], at: str) -> AliasMap:
    """Point every alias of `keys` where the one alias rule (`alias_map`) says, over the stored profiles that
    share keys with them, and move papers along; people left with nothing are merged into where their id now
    points. An ambiguous or unclaimed listed id stands for itself (an unresolved person)."""
    profiles, keys = _sharing_keys(db, keys)
    found = alias_map(_stored_profile_keys(db, profiles))
    for survivor in sorted(set(found.people.values())):
        _ensure_person(db, survivor)
    left: set[str] = set()
    for key in sorted(keys):
        person = found.people.get(key)
        for alias in _spellings(db, key):
            listed = _is_listed(db, alias)
            target = person if person is not None else (alias if listed else None)
            if person is None and listed:
                _ensure_listed_person(db, alias, at)
            row = db.execute("SELECT author_id FROM author_aliases WHERE alias = ?", [alias]).fetchone()
            if row is not None and row[0] is not None and row[0] != target:
                left.add(row[0])
            if target is None and key not in found.ambiguous:
                db.execute("DELETE FROM author_aliases WHERE alias = ?", [alias])
                continue
            db.execute(
                """INSERT INTO author_aliases (alias, author_id, ambiguous) VALUES (?, ?, ?)
                   ON CONFLICT(alias) DO UPDATE SET author_id = excluded.author_id, ambiguous = excluded.ambiguous""",
                [alias, target, int(key in found.ambiguous)],
            )
            if listed:
                db.execute("UPDATE paper_authors SET author_id = ? WHERE listed_id = ?", [target, alias])
    for old in sorted(left):
        still_used = db.execute(
            """SELECT 1 FROM profile_keys WHERE profile_id = ? AND kind = 'id'
               UNION ALL SELECT 1 FROM author_aliases WHERE author_id = ?
               UNION ALL SELECT 1 FROM paper_authors WHERE author_id = ? LIMIT 1""",
            [old, old, old],
        ).fetchone()
        if still_used is None:
            _merge_person(db, old, found.people.get(alias_key(old)))
    return found


def write_profile_records(db: sqlite_utils.Database, records: ProfileRecords, fetched_at: str) -> None:
    """A profile's person row, history and links (replacing older ones). The accounts its links name are
    weighed with everything else by the attribution (author_socials), not stored from here."""
    p = records.profile
    _ensure_person(db, p.profile_id)
    db.execute(
        """UPDATE authors SET preferred_name = ?, names = ?, position = ?, institution = ?,
             institution_domain = ?, institution_country = ?, profile_state = ?, resolution = 'profile',
             resolved_at = ?
           WHERE author_id = ?""",
        [
            p.preferred_name,
            json.dumps(p.names, ensure_ascii=False),
            p.position,
            p.institution,
            p.institution_domain,
            p.institution_country,
            p.state,
            fetched_at,
            p.profile_id,
        ],
    )
    for table in ("author_history", "author_links"):
        db.execute(f"DELETE FROM {table} WHERE author_id = ?", [p.profile_id])
    db.conn.executemany(
        """INSERT INTO author_history (author_id, ordinal, position, institution, institution_domain,
             institution_country, start_year, end_year, is_current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                h.profile_id,
                h.ordinal,
                h.position,
                h.institution,
                h.institution_domain,
                h.institution_country,
                h.start,
                h.end,
                int(h.is_current),
            )
            for h in records.history
        ],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO author_links (author_id, kind, url) VALUES (?, ?, ?)",
        [(link.profile_id, link.kind, link.url) for link in records.links],
    )
    # A homepage the profile no longer lists no longer speaks for the person.
    db.execute(
        """DELETE FROM homepage_readings WHERE author_id = ? AND url NOT IN
             (SELECT url FROM author_links WHERE author_id = ? AND kind = 'homepage')""",
        [p.profile_id, p.profile_id],
    )


def save_profiles(
    db: sqlite_utils.Database,
    profiles: Sequence[tuple[Mapping[str, Any], ProfileRecords]],
    requested: Mapping[str, Sequence[str]],
    fetched_at: datetime,
) -> set[str]:
    """Store one answer of the profile search, in one transaction, and re-decide the aliases it touches.

    `profiles` pairs each raw profile with its records. `requested` maps
    each looked-up id, lower-cased, to every spelling the papers list it in. Aliases follow `alias_map` over
    every stored profile sharing a key with these, so the people and aliases stored do not depend on the
    order profiles arrive in, within a batch, across batches or across runs: two live profiles sharing an
    e-mail stay two people and the e-mail is marked ambiguous. Returns the listed ids now resolved to a
    profile.
    """
    stamp = fetched_at.isoformat()
    with db.atomic():
        touched: set[str] = set()
        for raw, records in profiles:
            p = records.profile
            text = raw_json(raw)
            db.execute(
                """INSERT INTO raw_profiles (profile_id, sha256, fetched_at, json) VALUES (?, ?, ?, ?)
                   ON CONFLICT(profile_id) DO UPDATE SET sha256 = excluded.sha256,
                     fetched_at = excluded.fetched_at, json = excluded.json""",
                [p.profile_id, sha256(text), stamp, text],
            )
            keys = ProfileKeys.of(p)
            if keys.live:
                write_profile_records(db, records, stamp)
            # Keys the profile no longer names are re-decided too.
            touched |= {
                row[0] for row in db.execute("SELECT key FROM profile_keys WHERE profile_id = ?", [p.profile_id])
            }
            db.execute("DELETE FROM profile_keys WHERE profile_id = ?", [p.profile_id])
            rows = _profile_key_rows(keys)
            db.conn.executemany("INSERT INTO profile_keys (profile_id, key, kind) VALUES (?, ?, ?)", rows)
            touched |= {key for _, key, _ in rows}
        found = _apply_aliases(db, touched, stamp)
    return {
        spelling
        for listed_key, spellings in requested.items()
        for spelling in spellings
        if found.people.get(alias_key(spelling)) is not None
    }


def mark_unresolved(db: sqlite_utils.Database, author_ids: Iterable[str], at: datetime) -> int:
    """Record that no profile answered for `author_ids` this time: when they were asked, and that they are
    unresolved, so they are asked again only when stale. A person resolved on an earlier run keeps their
    profile data. Returns how many are unresolved."""
    ids = [(author_id,) for author_id in author_ids]
    if not ids:
        return 0
    with db.atomic():
        db.conn.executemany(
            "UPDATE authors SET resolved_at = ? WHERE author_id = ?", [(at.isoformat(), i) for (i,) in ids]
        )
        cursor = db.conn.executemany(
            "UPDATE authors SET resolution = 'unresolved' WHERE author_id = ? AND resolution != 'profile'", ids
        )
    return cursor.rowcount


def homepages_due(
    db: sqlite_utils.Database, venue_key: str, fresh_after: datetime
) -> list[tuple[str, str | None, str | None]]:
    """(url, etag, last_modified) of the venue's authors' homepages not fetched since `fresh_after`."""
    rows = db.execute(
        """SELECT DISTINCT l.url, h.etag, h.last_modified FROM author_links l
           JOIN paper_authors pa ON pa.author_id = l.author_id
           JOIN papers p ON p.forum_id = pa.forum_id
           LEFT JOIN homepages h ON h.url = l.url
           WHERE l.kind = 'homepage' AND p.venue = ? AND (h.url IS NULL OR h.fetched_at < ?)
           ORDER BY l.url""",
        [venue_key, fresh_after.isoformat()],
    )
    return [(row[0], row[1], row[2]) for row in rows.fetchall()]


def save_homepage(db: sqlite_utils.Database, fetch: HomepageFetch, at: datetime) -> None:
    """Store one homepage fetch. A page that did not change, or could not be read this time, keeps its
    earlier copy (and so its readings)."""
    with db.atomic():
        previous_html = db.execute("SELECT html FROM homepages WHERE url = ?", [fetch.url]).fetchone()
        html = fetch.html if fetch.outcome == "ok" else (previous_html[0] if previous_html else None)
        db.execute(
            """INSERT INTO homepages (url, final_url, outcome, status, etag, last_modified, detail, fetched_at, html)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET final_url = excluded.final_url, outcome = excluded.outcome,
                 status = excluded.status, etag = coalesce(excluded.etag, etag),
                 last_modified = coalesce(excluded.last_modified, last_modified), detail = excluded.detail,
                 fetched_at = excluded.fetched_at, html = excluded.html""",
            [
                fetch.url,
                fetch.final_url,
                fetch.outcome,
                fetch.status,
                fetch.etag,
                fetch.last_modified,
                fetch.detail,
                at.isoformat(),
                html,
            ],
        )


def _homepage_owners(db: sqlite_utils.Database, url: str) -> list[str]:
    rows = db.execute(
        "SELECT DISTINCT author_id FROM author_links WHERE kind = 'homepage' AND url = ? ORDER BY author_id", [url]
    )
    return [row[0] for row in rows.fetchall()]


def _names(stored: str | None, preferred: str | None) -> list[str]:
    names: list[str] = json.loads(stored) if stored else []
    if preferred and preferred not in names:
        names.append(preferred)
    return names


def person_names(db: sqlite_utils.Database, person: str) -> list[str]:
    """Every name the person's profile gives, the preferred one included."""
    row = db.execute("SELECT names, preferred_name FROM authors WHERE author_id = ?", [person]).fetchone()
    return _names(*row) if row else []


def homepage_listers(db: sqlite_utils.Database, url: str) -> list[tuple[str, list[str]]]:
    """(person, every name of theirs) for each person whose profile lists `url` as homepage."""
    return [(person, person_names(db, person)) for person in _homepage_owners(db, url)]


def save_homepage_readings(db: sqlite_utils.Database, url: str, readings: Mapping[str, PageReading]) -> None:
    """The page read for each person who lists it (whose page it is, for them, and every account it shows),
    replacing earlier readings. The page's own `owner` is the name it gives; `owner_match` the one lister it
    is the own page of, else what it is to them all (`group`, `other`, `none`; `mixed` when they differ)."""
    with db.atomic():
        db.execute("DELETE FROM homepage_readings WHERE url = ?", [url])
        db.conn.executemany(
            """INSERT INTO homepage_readings (url, author_id, owner_match, owner, owner_score, owner_evidence,
                 reading) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    url,
                    person,
                    r.owner.outcome,
                    r.owner.owner,
                    r.owner.score,
                    json.dumps(r.owner.evidence),
                    r.model_dump_json(),
                )
                for person, r in sorted(readings.items())
            ],
        )
        own = sorted(person for person, r in readings.items() if r.owner.outcome == "own")
        outcomes = {r.owner.outcome for r in readings.values()}
        match = own[0] if len(own) == 1 else (outcomes.pop() if len(outcomes) == 1 else "mixed") if outcomes else None
        owner = next((r.owner.owner for _, r in sorted(readings.items()) if r.owner.owner), None)
        db.execute(
            "UPDATE homepages SET owners = ?, owner = ?, owner_match = ? WHERE url = ?",
            [json.dumps(sorted(readings)), owner, match, url],
        )


def attribution_evidence(db: sqlite_utils.Database) -> list[tuple[str, list[str], list[ProfileField], list[str]]]:
    """(person, names, profile links, stored page readings as JSON) of everyone with a link or a read
    homepage: the whole database, since an account shown by many people's pages belongs to none of them."""
    links: dict[str, list[ProfileField]] = {}
    for person, kind, url in db.execute("SELECT author_id, kind, url FROM author_links ORDER BY 1, 2, 3"):
        links.setdefault(person, []).append(ProfileField(kind=kind, url=url))
    readings: dict[str, list[str]] = {}
    for person, reading in db.execute("SELECT author_id, reading FROM homepage_readings ORDER BY author_id, url"):
        readings.setdefault(person, []).append(reading)
    people = sorted(set(links) | set(readings))
    # One read of everyone's names, not a query a person: this runs over the whole database.
    names = {
        person: _names(stored, preferred)
        for person, stored, preferred in db.execute("SELECT author_id, names, preferred_name FROM authors")
    }
    return [(person, names.get(person, []), links.get(person, []), readings.get(person, [])) for person in people]


def replace_author_socials(db: sqlite_utils.Database, candidates: Sequence[Candidate]) -> None:
    """Every person's scored candidate accounts, at most one chosen per platform, in one transaction."""
    with db.atomic():
        db.execute("DELETE FROM author_socials")
        db.conn.executemany(
            """INSERT INTO author_socials (author_id, platform, handle, url, score, evidence, pages, chosen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    c.person_id,
                    c.platform,
                    c.handle,
                    c.url,
                    c.score,
                    json.dumps(c.evidence),
                    json.dumps(c.pages),
                    int(c.chosen),
                )
                for c in candidates
            ],
        )


def homepages_to_reattribute(db: sqlite_utils.Database, venue_key: str) -> list[tuple[str, str, bytes]]:
    """(url, final url, html) of the venue's stored homepages whose owners changed since their socials were
    given out: a second person now lists the page, or someone stopped listing it."""
    rows = db.execute(
        """SELECT DISTINCT h.url, coalesce(h.final_url, h.url), h.html, h.owners FROM homepages h
           JOIN author_links l ON l.url = h.url AND l.kind = 'homepage'
           JOIN paper_authors pa ON pa.author_id = l.author_id
           JOIN papers p ON p.forum_id = pa.forum_id
           WHERE p.venue = ? AND h.html IS NOT NULL ORDER BY h.url""",
        [venue_key],
    ).fetchall()
    return [
        (url, final, html)
        for url, final, html, owners in rows
        if json.loads(owners or "[]") != _homepage_owners(db, url)
    ]
