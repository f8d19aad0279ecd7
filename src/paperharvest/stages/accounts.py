"""Whose accounts are they: each homepage read for each person who lists it, then every person's accounts
decided at once over the whole database (an account many people's pages show belongs to none of them), so the
answer does not depend on the order pages arrived in. Run after the homepages stage, after GitHub's answers
(code stage), and by `rebuild`, all without the network."""

from __future__ import annotations

from collections import Counter

import sqlite_utils

from paperharvest.errors import NormalizeError
from paperharvest.models import GitHubUser, PageReading, PersonEvidence
from paperharvest.normalize.attribution import attribute, read_page, scan_page
from paperharvest.normalize.github import github_user
from paperharvest.store.github import stored_github_users
from paperharvest.store.people import (
    attribution_evidence,
    homepage_listers,
    replace_author_socials,
    save_homepage_readings,
)


def read_homepage(db: sqlite_utils.Database, url: str, final_url: str, html: bytes) -> int:
    """The stored page read for each person who lists it; returns how many accounts the page shows."""
    scan = scan_page(html, final_url)
    readings = {person: read_page(scan, final_url, names) for person, names in homepage_listers(db, url)}
    save_homepage_readings(db, url, readings)
    return max((len(r.sightings) for r in readings.values()), default=0)


def known_github_users(db: sqlite_utils.Database) -> dict[str, GitHubUser]:
    """Lower-cased login -> GitHub's account, read from the stored answers (one today's reader refuses is left
    out: rebuild reports it)."""
    users: dict[str, GitHubUser] = {}
    for login, payload in stored_github_users(db):
        try:
            users[login] = github_user(payload)
        except NormalizeError:
            continue
    return users


def decide_accounts(db: sqlite_utils.Database) -> Counter[str]:
    """Every person's candidate accounts scored and at most one per platform chosen (author_socials)."""
    users = known_github_users(db)
    people = []
    for person, names, profile, stored in attribution_evidence(db):
        pages = [PageReading.model_validate_json(reading) for reading in stored]
        logins = {s.handle.lower() for page in pages for s in page.sightings if s.platform == "github"}
        people.append(
            PersonEvidence(
                person_id=person,
                names=names,
                profile=profile,
                pages=pages,
                github_users=[users[login] for login in sorted(logins) if login in users],
            )
        )
    candidates = attribute(people)
    replace_author_socials(db, candidates)
    return Counter(account_candidates=len(candidates), accounts_chosen=sum(c.chosen for c in candidates))
