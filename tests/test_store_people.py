"""People in the store: save_profiles applies the one order-independent alias rule (`alias_map`).

Two live profiles that share an e-mail stay two people, the e-mail is marked ambiguous and the author a
paper lists under it stays their own (unresolved) person; a Merged profile still joins its survivor; and
whatever order the profiles arrive in, in one batch, in several, or across runs, the people, aliases and
paper authors stored are the same.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from paperharvest.normalize.notes import email_domain
from paperharvest.normalize.profiles import normalize_profile
from paperharvest.store.db import open_db
from paperharvest.store.people import save_profiles
from paperharvest.store.save import save_listed_authors, save_venue
from paperharvest.store.schema import ensure_db_shape
from paperharvest.venues import find_venue
from tests.conftest import REPO
from tests.helpers import raw_profile

VENUE = find_venue(REPO / "configs" / "venues", "iclr2020")
BLIND = "ICLR.cc/2020/Conference/-/Blind_Submission"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
# The paper lists the shared address in its own spelling, each person's own address, and a merged ~id.
LISTED = [("X@Shared.ORG", "Xan"), ("a@a.org", "Ann A"), ("b@b.org", "Bea B"), ("~Old_Ann1", "Ann Old")]


def profile(profile_id: str, confirmed: list[str], **top: Any) -> dict[str, Any]:
    return raw_profile(profile_id, top=top, emails=confirmed, emailsConfirmed=confirmed)


PROFILES = {
    "A": profile("~Ann_A1", ["a@a.org", "x@shared.org"]),
    "B": profile("~Bea_B1", ["b@b.org", "x@shared.org"]),
    "Old": profile("~Old_Ann1", ["old@a.org"], state="Merged", referent="~Ann_A1"),
}


def seeded(path: Path) -> sqlite_utils.Database:
    db = open_db(path)
    ensure_db_shape(db)
    save_venue(db, VENUE)
    db.execute(
        "INSERT INTO papers (forum_id, venue, title, status, invitation) VALUES ('F1', ?, 'T', 'rejected', ?)",
        [VENUE.key, BLIND],
    )
    people = save_listed_authors(db, [(i, n, email_domain(i)) for i, n in LISTED])
    db.conn.executemany(
        "INSERT INTO paper_authors (forum_id, position, author_id, name, listed_id) VALUES ('F1', ?, ?, ?, ?)",
        [(position, people[i], n, i) for position, (i, n) in enumerate(LISTED, 1)],
    )
    return db


REQUESTED = {i.lower(): [i] for i, _ in LISTED}


def save(db: sqlite_utils.Database, names: tuple[str, ...]) -> set[str]:
    batch = [(PROFILES[n], normalize_profile(PROFILES[n])) for n in names]
    return save_profiles(db, batch, REQUESTED, WHEN)


def state(db: sqlite_utils.Database) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "authors": "SELECT author_id, preferred_name, email_domain, resolution FROM authors",
        "aliases": "SELECT alias, author_id, ambiguous FROM author_aliases",
        "paper_authors": "SELECT position, author_id, listed_id FROM paper_authors",
    }
    return {name: sorted(db.execute(sql).fetchall(), key=repr) for name, sql in queries.items()}


def test_two_profiles_sharing_an_email_stay_two_people(tmp_path: Path) -> None:
    db = seeded(tmp_path / "one.db")
    answered = save(db, ("A", "B", "Old"))
    assert answered == {"a@a.org", "b@b.org", "~Old_Ann1"}  # not the shared address: it names no one
    got = state(db)
    people = {row[0]: row for row in got["authors"]}
    assert set(people) == {"~Ann_A1", "~Bea_B1", "X@Shared.ORG"}
    assert people["X@Shared.ORG"][1:] == ("Xan", "shared.org", "pending")  # asked again only when stale
    assert ("x@shared.org", None, 1) in got["aliases"]  # the profiles' spelling: ambiguous, held by no one
    assert ("X@Shared.ORG", "X@Shared.ORG", 1) in got["aliases"]  # the paper's spelling: its own person
    assert ("~Old_Ann1", "~Ann_A1", 0) in got["aliases"] and ("old@a.org", "~Ann_A1", 0) in got["aliases"]
    assert got["paper_authors"] == [
        (1, "X@Shared.ORG", "X@Shared.ORG"),
        (2, "~Ann_A1", "a@a.org"),
        (3, "~Bea_B1", "b@b.org"),
        (4, "~Ann_A1", "~Old_Ann1"),
    ]


ORDERS = list(itertools.permutations(("A", "B", "Old")))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_any_order_in_batches_or_runs_stores_the_same_people(tmp_path: Path, order: tuple[str, ...]) -> None:
    reference = seeded(tmp_path / "reference.db")
    save(reference, ("A", "B", "Old"))
    one_batch = seeded(tmp_path / "batch.db")
    save(one_batch, order)
    separate = seeded(tmp_path / "separate.db")
    for name in order:
        save(separate, (name,))
    runs_path = tmp_path / "runs.db"
    seeded(runs_path).conn.close()
    for name in order:  # one run a profile: a fresh connection each time
        db = open_db(runs_path)
        save(db, (name,))
        db.conn.close()

    # The listed shared address ends "unresolved" or "pending" depending on whether it was ever resolved
    # in between; the profile stage then marks every unanswered listed id unresolved, which evens it out.
    def settled(db: sqlite_utils.Database) -> dict[str, list[tuple[Any, ...]]]:
        db.execute("UPDATE authors SET resolution = 'unresolved' WHERE resolution = 'pending'")
        return state(db)

    expected = settled(reference)
    assert settled(one_batch) == expected
    assert settled(separate) == expected
    assert settled(open_db(runs_path)) == expected


def test_a_profile_that_stops_sharing_the_address_gets_it(tmp_path: Path) -> None:
    db = seeded(tmp_path / "s.db")
    save(db, ("A", "B"))
    b_alone = profile("~Bea_B1", ["b@b.org"])
    save_profiles(db, [(b_alone, normalize_profile(b_alone))], REQUESTED, WHEN)
    got = state(db)
    assert ("x@shared.org", "~Ann_A1", 0) in got["aliases"]
    assert ("X@Shared.ORG", "~Ann_A1", 0) in got["aliases"]
    assert (1, "~Ann_A1", "X@Shared.ORG") in got["paper_authors"]
    assert "X@Shared.ORG" not in {row[0] for row in got["authors"]}  # the listed person joined Ann
