"""End to end: the profile and homepage stages (issue 3) through `paperharvest fetch` against the fakes.

The sample venue (tests/fixtures/iclr2020_sample), its authors' profiles (tests/fixtures/profiles) and the homepage
corpus (tests/fixtures/homepages, served by FakeWeb as record_sample.sample_homepage_plan maps it: most people a
corpus page made theirs, a few someone else's or a lab's) go through the CLI in-process. Expected values are read
off those fixtures, never off a previous run: who a listed author id is (as the fake's profile search answers
it), what each homepage's EXPECTED.json entry says (as the plan rewrote it), whose page each one is, and, for a
few people picked by hand, the name, position and institution their raw profile shows.

To reach the cases the plain sample lacks, the module's shared harvest lists `~Sara_Lindholm2` (an alias
username of `~Sara_Lindholm1`), `~Kai_Mueller1` (a Merged profile) and the merged profile's confirmed address
in mixed case as authors of three more papers, gives Elena Moretti the homepage of Benedikt Auer (one page,
two listers: his own, someone else's for her; he also has a LinkedIn profile field, which the summary prefers
to his page's), and gives two people homepages that are not http(s) URLs.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from paperharvest.cli import main
from paperharvest.models import PageReading
from tests.fakes.loopback import loopback_only
from tests.fakes.openreview_v1 import TEST_PASSWORD, TEST_USER, FakeOpenReview
from tests.fakes.record_sample import (
    HOMEPAGES,
    NOT_THEIRS,
    SampleHomepage,
    load_sample_profiles,
    load_sample_venue,
    sample_homepage_plan,
    sample_homepages,
)
from tests.fakes.web_server import FakeWeb, Page, serving_hosts
from tests.helpers import DATA_TABLES, copy_db, rows, scalar, table_dump, timeless_dump

CORPUS_EXPECTED: dict[str, Any] = json.loads((HOMEPAGES / "EXPECTED.json").read_text(encoding="utf-8"))
PLAN = sample_homepage_plan()
LAB_PAGE = "lab_page_vl_lab.html"
# Accounts the corpus names that today's page reader (normalize/attribution.py read_page) does not see, per
# corpus file: it reads a page whose <title> is never closed as all title, where extract_socials falls back to
# a lenient parser. Reported to the lead (issue 9); exact, so a fixed reader fails here until this is emptied.
# The OpenReview profile fields that hold a link (docs/api-facts.md, "Profiles").
LINK_FIELDS = ("homepage", "gscholar", "dblp", "orcid", "linkedin", "semanticScholar", "wikipedia", "aclanthology")
SEARCH = ("POST", "/profiles/search")
SHARED_OWNER, SHARED_WITH = "~Elena_Moretti1", "~Benedikt_Auer1"
NOT_HTTP = {"~Yuki_Sato1": "ftp://ftp.example.edu/~ysato/", "~Amara_Nwosu1": "www.example.edu/~anwosu"}
PAPER_AUTHOR_ADDED = [
    ("S1gUyMNKwB", "Sara Lindholm", "~Sara_Lindholm2"),
    ("H1gsFb5tvH", "Kai Mueller", "~Kai_Mueller1"),
    ("SyeF8cmtwH", "Kai Mueller", "K.Mueller@Old.Example.org"),
]

Point = Callable[..., None]


# ---- what the fixtures say ----------------------------------------------------------------------------------


def content(profile: dict[str, Any]) -> dict[str, Any]:
    value = profile.get("content")
    return value if isinstance(value, dict) else {}


def usernames(profile: dict[str, Any]) -> set[str]:
    names = [n.get("username") for n in content(profile).get("names") or []]
    return {profile["id"], *(n for n in names if isinstance(n, str) and n)}


def addresses(profile: dict[str, Any]) -> set[str]:
    """The addresses an e-mail search finds a profile by: confirmed ones, and an unmasked preferred one."""
    found = [*(content(profile).get("emailsConfirmed") or []), content(profile).get("preferredEmail")]
    return {a.strip().lower() for a in found if isinstance(a, str) and "@" in a and "*" not in a}


def is_merged(profile: dict[str, Any]) -> bool:
    return str(profile.get("state", "")).strip().lower() == "merged"


def person_of(profiles: list[dict[str, Any]]) -> dict[str, str]:
    """Every id and address a fixture profile answers to -> the person's canonical ~id (a Merged profile's
    referent); e-mails lowercased. Live profiles claim first."""
    mapping: dict[str, str] = {}
    for merged in (False, True):
        for p in profiles:
            if is_merged(p) == merged:
                person = p["referent"] if merged else p["id"]
                for key in sorted(usernames(p)) + sorted(addresses(p)):
                    mapping.setdefault(key, person)
    return mapping


def key_of(author_id: str) -> str:
    return author_id.strip().lower() if "@" in author_id else author_id.strip()


def listed_ids(venue: dict[str, list[dict[str, Any]]]) -> list[str]:
    return list(dict.fromkeys(a for notes in venue.values() for n in notes for a in n["content"]["authorids"]))


def answered(profiles: list[dict[str, Any]], listed: list[str]) -> set[str]:
    """Ids of the profiles a search for `listed` returns: by id or username, and by address."""
    ids = {a for a in listed if a.startswith("~")}
    mails = {a.lower() for a in listed if "@" in a}
    return {p["id"] for p in profiles if usernames(p) & ids or addresses(p) & mails}


def homepage(profile: dict[str, Any]) -> str | None:
    value = content(profile).get("homepage")
    return value.strip() if isinstance(value, str) and value.strip() else None


def route_key(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "") + (parts.path or "/")


def page_outcome(page: Page) -> str:
    """What the fetch of a served page must record, from how the fake serves it."""
    if page.status in (301, 302, 303, 307, 308):
        return "blocked"  # every failure redirect of the sample points at a private address
    if page.status >= 400:
        return "http_error"
    if not page.content_type.startswith("text/html"):
        return "not_html"
    return "ok"


def plan_of(url: str) -> SampleHomepage:
    return PLAN[route_key(url)]


def expected_owner(served: SampleHomepage, person: str) -> str:
    """What the page is to a person listing it, by how the sample made it: a lab's page, someone else's,
    or theirs (the corpus page written for them, or one personalised for them)."""
    if served.corpus_file == LAB_PAGE:
        return "group"
    if person in NOT_THEIRS or served.personalised_for not in (None, person):
        return "other"
    return "own"


def reading(db: Path, person: str, url: str) -> PageReading | None:
    found = rows(db, "SELECT reading FROM homepage_readings WHERE author_id = ? AND url = ?", person, url)
    return PageReading.model_validate_json(found[0][0]) if found else None


def read_accounts(db: Path, person: str, url: str) -> set[tuple[str, str]]:
    """(platform, handle casefolded) of every account the page, as read for the person, shows."""
    page = reading(db, person, url)
    return {(s.platform, s.handle.casefold()) for s in page.sightings} if page else set()


def chosen(db: Path, person: str) -> dict[str, tuple[str, str, list[str], list[str]]]:
    """platform -> (handle casefolded, url, evidence, pages) of the person's chosen accounts."""
    found = rows(
        db,
        "SELECT platform, handle, url, evidence, pages FROM author_socials WHERE author_id = ? AND chosen = 1",
        person,
    )
    return {p: (h.casefold(), u, json.loads(e), json.loads(pages)) for p, h, u, e, pages in found}


def candidates_from(db: Path, url: str) -> list[tuple[str, str, str, list[str], int]]:
    """(person, platform, handle, evidence, chosen) of every candidate a page is among the evidence of."""
    found = rows(
        db,
        """SELECT s.author_id, s.platform, s.handle, s.evidence, s.chosen FROM author_socials s, json_each(s.pages) j
           WHERE j.value = ?""",
        url,
    )
    return [(a, p, h, json.loads(e), c) for a, p, h, e, c in found]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# ---- fixtures as this module changes them -------------------------------------------------------------------


def venue_with_aliases() -> dict[str, list[dict[str, Any]]]:
    venue = load_sample_venue()
    by_id = {note["id"]: note for notes in venue.values() for note in notes}
    for forum_id, name, author_id in PAPER_AUTHOR_ADDED:
        by_id[forum_id]["content"]["authors"].append(name)
        by_id[forum_id]["content"]["authorids"].append(author_id)
    return venue


def profiles_with_shared_and_bad_homepages() -> list[dict[str, Any]]:
    profiles = copy.deepcopy(load_sample_profiles())
    by_id = {p["id"]: p for p in profiles}
    assert "homepage" not in content(by_id[SHARED_OWNER])
    # Padded differently from its owner's own entry: stored trimmed, it is the same page.
    by_id[SHARED_OWNER]["content"]["homepage"] = "\t" + (homepage(by_id[SHARED_WITH]) or "") + "  \n"
    for profile_id, url in NOT_HTTP.items():
        assert "homepage" not in content(by_id[profile_id])
        by_id[profile_id]["content"]["homepage"] = url
    return profiles


# ---- running the CLI against the fakes ----------------------------------------------------------------------


def fetch(db: Path, *args: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--quiet", *args])


@contextlib.contextmanager
def servers(
    point: Point,
    *,
    venue: dict[str, list[dict[str, Any]]] | None = None,
    profiles: list[dict[str, Any]] | None = None,
    routes: dict[str, Page] | None = None,
    **env: str,
) -> Iterator[tuple[FakeOpenReview, FakeWeb]]:
    """The fake OpenReview (login required, as in 2026) and the fake web serving the homepages' hosts."""
    routes = sample_homepages() if routes is None else routes
    with (
        FakeOpenReview(
            load_sample_venue() if venue is None else venue,
            guest_gate="json",
            profiles=load_sample_profiles() if profiles is None else profiles,
        ) as fake,
        FakeWeb(routes) as web,
        serving_hosts(web, {key.split("/", 1)[0] for key in routes}),
    ):
        point(fake.url, OPENREVIEW_USERNAME=TEST_USER, OPENREVIEW_PASSWORD=TEST_PASSWORD, **env)
        yield fake, web


def web_requests(web: FakeWeb) -> list[str]:
    return [hit.headers.get("host", "").rsplit(":", 1)[0] + hit.path for hit in web.hits]


def last_counts(db: Path) -> dict[str, Any]:
    counts: dict[str, Any] = json.loads(scalar(db, "SELECT counts FROM runs ORDER BY run_id DESC LIMIT 1"))
    return counts


@dataclass
class Harvest:
    db: Path
    venue: dict[str, list[dict[str, Any]]]
    profiles: list[dict[str, Any]]
    routes: dict[str, Page]
    web_hits: list[str]
    searches: list[Any]


@pytest.fixture(scope="module")
def harvest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvest]:
    """One `fetch --stages notes,profiles,homepages` of the changed sample, shared by the read-only tests."""
    db = tmp_path_factory.mktemp("people") / "sample.db"
    venue, profiles, routes = venue_with_aliases(), profiles_with_shared_and_bad_homepages(), sample_homepages()
    with pytest.MonkeyPatch.context() as mp, loopback_only():
        for name in [n for n in os.environ if n.startswith(("OPENREVIEW_", "PAPERHARVEST_"))]:
            mp.delenv(name)

        def point(url: str, **extra: str) -> None:
            for name, value in {"OPENREVIEW_API_BASEURL": url, "OPENREVIEW_API_BASEURL_V2": url, **extra}.items():
                mp.setenv(name, value)

        with servers(point, venue=venue, profiles=profiles, routes=routes) as (fake, web):
            assert fetch(db, "--stages", "notes,profiles,homepages") == 0
            searches = [r.json for r in fake.requests if (r.method, r.path) == SEARCH]
            yield Harvest(db, venue, profiles, routes, web_requests(web), searches)


# ---- 1. profiles: one canonical author per person -------------------------------------------------------------


def test_every_listed_id_maps_to_the_person_the_profiles_name(harvest: Harvest) -> None:
    db, mapping = harvest.db, person_of(harvest.profiles)
    stored = rows(db, "SELECT listed_id, author_id FROM paper_authors")
    assert stored, "no paper authors stored"
    for listed, person in stored:
        assert person == mapping.get(key_of(listed), listed), listed
    # The cases that need the alias, the merge and a case-insensitive address.
    by_listed = dict(stored)
    assert by_listed["~Sara_Lindholm2"] == by_listed["slindholm@example.org"] == "~Sara_Lindholm1"
    assert by_listed["~Kai_Mueller1"] == by_listed["K.Mueller@Old.Example.org"] == "~Kai_Muller1"
    assert by_listed["kai.mueller@example.edu"] == "~Kai_Muller1"
    assert by_listed["~Jonas_Brenner1"] == "~Jonas_Brenner1"

    # One row per person, no leftovers of merged-away ids, every listed id an alias of its person.
    people = {mapping.get(key_of(a), a) for a in listed_ids(harvest.venue)}
    assert {r[0] for r in rows(db, "SELECT author_id FROM authors")} == people
    assert scalar(db, "SELECT count(DISTINCT author_id) FROM paper_authors") == len(people)
    aliases = dict(rows(db, "SELECT alias, author_id FROM author_aliases"))
    for listed in listed_ids(harvest.venue):
        assert aliases[listed] == mapping.get(key_of(listed), listed)


def test_unresolved_authors_keep_their_listed_id_and_domain(harvest: Harvest) -> None:
    mapping = person_of(harvest.profiles)
    unresolved = sorted(a for a in listed_ids(harvest.venue) if key_of(a) not in mapping)
    assert len(unresolved) == 31  # tests/test_profiles.py: 31 of the sample's e-mail authors have no profile
    db = harvest.db
    stored = {r[0]: r[1:] for r in rows(db, "SELECT author_id, resolution, email_domain, resolved_at FROM authors")}
    for author_id in unresolved:
        resolution, domain, resolved_at = stored[author_id]
        assert (resolution, domain) == ("unresolved", author_id.rsplit("@", 1)[1].lower()), author_id
        assert resolved_at, "the outcome is recorded with its time, so it is not retried at once"
    assert dict(rows(db, "SELECT resolution, count(*) FROM authors GROUP BY 1")) == {
        "unresolved": len(unresolved),
        "profile": len({mapping[key_of(a)] for a in listed_ids(harvest.venue) if key_of(a) in mapping}),
    }


# Read off tests/fixtures/profiles/profiles.json by hand: (preferred name, names, position, institution).
HAND_READ = {
    # Four entries, the open-ended one listed second.
    "~Jonas_Brenner1": ("Jonas Brenner", ["Jonas Brenner"], "Research Scientist", "Example Research"),
    # No `history` key at all, and an empty one.
    "~Yutong_Chen1": ("Yutong Chen", ["Yutong Chen", "陈雨桐"], None, None),
    "~Helga_Sigurdardottir1": ("Helga Sigurðardóttir", ["Helga Sigurðardóttir"], None, None),
    # Every entry ended: the latest end wins.
    "~Victor_Lemaire1": ("Victor Lemaire", ["Victor Lemaire"], "Research Scientist", "Example Research"),
    # Two open-ended entries: the later start wins.
    "~Aditi_Kulkarni1": (
        "Aditi Kulkarni",
        ["Aditi Kulkarni"],
        "Assistant Professor",
        "Institute of Data Science Pune",
    ),
    # Years as strings, "end": "" (ongoing).
    "~Thandiwe_Dlamini1": ("Thandiwe Dlamini", ["Thandiwe Dlamini"], "Lecturer", "Cape Meridian University"),
    # The survivor of a merge, listing the merged profile's name too.
    "~Kai_Muller1": ("Kai Müller", ["Kai Müller", "Kai Mueller"], "PhD student", "Universität Lindenhof"),
    # An alias username with the same name: the name is stored once.
    "~Sara_Lindholm1": ("Sara Lindholm", ["Sara Lindholm"], "PhD student", "Cape Meridian University"),
}


@pytest.mark.parametrize("person", sorted(HAND_READ))
def test_author_row_holds_the_profile_as_read_by_hand(harvest: Harvest, person: str) -> None:
    preferred, names, position, institution = HAND_READ[person]
    row = rows(
        harvest.db,
        "SELECT preferred_name, names, position, institution, resolution FROM authors WHERE author_id = ?",
        person,
    )
    assert len(row) == 1
    stored_preferred, stored_names, stored_position, stored_institution, resolution = row[0]
    assert resolution == "profile"
    assert stored_preferred == nfc(preferred)
    assert json.loads(stored_names) == [nfc(n) for n in names]
    assert (stored_position, stored_institution) == (position, institution)
    current = rows(
        harvest.db, "SELECT position, institution FROM author_history WHERE author_id = ? AND is_current = 1", person
    )
    assert current == ([(position, institution)] if position or institution else [])


def test_history_links_raw_profiles_and_profile_socials_follow_the_fixture(harvest: Harvest) -> None:
    db, mapping = harvest.db, person_of(harvest.profiles)
    people = {mapping[key_of(a)] for a in listed_ids(harvest.venue) if key_of(a) in mapping}
    live = {p["id"]: p for p in harvest.profiles if p["id"] in people}
    assert set(live) == people

    history = dict(rows(db, "SELECT author_id, count(*) FROM author_history GROUP BY 1"))
    assert {pid: history.get(pid, 0) for pid in live} == {
        pid: len(content(p).get("history") or []) for pid, p in live.items()
    }
    assert set(history) <= people

    links = set(rows(db, "SELECT author_id, kind, url FROM author_links"))
    wanted = {
        (pid, kind, value.strip())
        for pid, p in live.items()
        for kind in LINK_FIELDS
        if isinstance(value := content(p).get(kind), str) and value.strip()
    }
    assert links == wanted

    # Raw profiles: each one the search returned (the Merged one included), as the fake served it.
    returned = answered(harvest.profiles, listed_ids(harvest.venue))
    assert "~Kai_Mueller1" in returned
    stored = {pid: json.loads(text) for pid, text in rows(db, "SELECT profile_id, json FROM raw_profiles")}
    assert set(stored) == returned
    by_id = {p["id"]: p for p in harvest.profiles}
    for pid, raw in stored.items():
        assert {k: v for k, v in raw.items() if k != "email"} == by_id[pid]

    # A LinkedIn profile field is the person's own word: a chosen candidate with evidence profile_field,
    # handle lowercased, from no page.
    linkedin = {
        (person, handle, chosen, tuple(json.loads(pages)))
        for person, handle, evidence, pages, chosen in rows(
            db, "SELECT author_id, handle, evidence, pages, chosen FROM author_socials WHERE platform = 'linkedin'"
        )
        if "profile_field" in json.loads(evidence)
    }
    wanted_linkedin = {
        (pid, value.strip().rstrip("/").rsplit("/", 1)[1].lower(), 1, ())
        for pid, p in live.items()
        if isinstance(value := content(p).get("linkedin"), str) and "/in/" in value
    }
    assert linkedin == wanted_linkedin
    assert len(wanted_linkedin) >= 5


def test_profiles_are_asked_for_in_batches_not_one_by_one(harvest: Harvest) -> None:
    listed = listed_ids(harvest.venue)
    ids = sorted(a for a in listed if a.startswith("~"))
    emails = sorted(a for a in listed if "@" in a)
    assert len(harvest.searches) == 2  # one POST for the ~ids, one for the addresses
    asked = Counter(value for body in harvest.searches for values in body.values() for value in values)
    assert sorted(asked) == sorted(ids + emails)
    assert set(asked.values()) == {1}


# ---- 3. homepages: the corpus's answers ----------------------------------------------------------------------


def owners_by_url(harvest: Harvest) -> dict[str, set[str]]:
    mapping = person_of(harvest.profiles)
    people = {mapping[key_of(a)] for a in listed_ids(harvest.venue) if key_of(a) in mapping}
    owners: dict[str, set[str]] = {}
    for p in harvest.profiles:
        if p["id"] in people and (url := homepage(p)):
            owners.setdefault(url, set()).add(p["id"])
    return owners


def test_each_homepage_is_read_for_each_person_who_lists_it(harvest: Harvest) -> None:
    db, owners = harvest.db, owners_by_url(harvest)
    outcomes = dict(rows(db, "SELECT url, outcome FROM homepages"))
    assert set(outcomes) == set(owners)
    checked, whose = Counter[str](), Counter[str]()
    for url, people in sorted(owners.items()):
        page = harvest.routes.get(route_key(url))
        if page is None:
            continue  # not an http(s) URL: see the next test
        outcome = page_outcome(page)
        assert outcomes[url] == outcome, url
        checked[outcome] += 1
        if outcome != "ok":
            continue
        served = plan_of(url)
        matches = {}
        for person in people:
            found = reading(db, person, url)
            assert found is not None, (url, person)
            matches[person] = found.owner.outcome
            assert found.owner.outcome == expected_owner(served, person), (url, person, found.owner)
            assert rows(
                db, "SELECT owner_match FROM homepage_readings WHERE author_id = ? AND url = ?", person, url
            ) == [(found.owner.outcome,)]
            # Every account the corpus names is read off the page (less what the reader is known to miss).
            missed = {platform for platform, _ in served.expected_accounts() - read_accounts(db, person, url)}
            assert missed == set(), (url, person)
            whose[found.owner.outcome] += 1
        # The page's own owner_match: the one lister whose own page it is, else what it is to them all.
        own = [person for person, match in matches.items() if match == "own"]
        wanted_match = own[0] if len(own) == 1 else next(iter(set(matches.values())))
        assert scalar(db, "SELECT owner_match FROM homepages WHERE url = ?", url) == wanted_match, url
    assert checked["blocked"] == checked["http_error"] == checked["not_html"] == 1
    assert checked["ok"] == len(owners) - 3 - len(NOT_HTTP)
    # Most people's pages are their own; not the four the sample keeps someone else's, Elena Moretti's reading
    # of Benedikt Auer's page, and the lab's page two people list as theirs (at two addresses).
    assert whose == {"own": checked["ok"] - 6, "other": 5, "group": 2}
    # Every page was asked for once, the shared one included; the private hop never.
    asked = Counter(harvest.web_hits)
    assert set(asked.values()) == {1}
    assert set(asked) == {route_key(u) for u in owners if route_key(u) in harvest.routes}
    # Nothing but homepages' listers have readings, and pages are evidence only for the people listing them.
    page_owners = {(p, u) for u, ps in owners.items() for p in ps}
    assert set(rows(db, "SELECT author_id, url FROM homepage_readings")) <= page_owners
    evidence_of = {
        (a, page) for a, pages in rows(db, "SELECT author_id, pages FROM author_socials") for page in json.loads(pages)
    }
    assert evidence_of <= page_owners


def test_a_page_two_people_list_is_read_for_both_and_gives_only_its_owner_accounts(harvest: Harvest) -> None:
    db = harvest.db
    url = homepage(next(p for p in harvest.profiles if p["id"] == SHARED_WITH))
    assert url is not None
    served = plan_of(url)
    assert served.personalised_for == SHARED_WITH
    mine, theirs = reading(db, SHARED_WITH, url), reading(db, SHARED_OWNER, url)
    assert mine is not None and theirs is not None
    assert (mine.owner.outcome, theirs.owner.outcome) == ("own", "other")
    assert read_accounts(db, SHARED_WITH, url) == read_accounts(db, SHARED_OWNER, url) >= served.expected_accounts()
    # His page's accounts are his: the only one of each platform the page shows is chosen (LinkedIn excepted,
    # where his profile's own field wins), and none of them is hers.
    single = Counter(platform for platform, _ in served.expected_accounts())
    his = chosen(db, SHARED_WITH)
    for platform, handle in served.expected_accounts():
        if single[platform] == 1 and platform != "linkedin":
            assert his[platform][0] == handle, platform
            assert "own_page" in his[platform][2] and url in his[platform][3], platform
    assert "profile_field" in his["linkedin"][2]
    hers = [c for c in candidates_from(db, url) if c[0] == SHARED_OWNER]
    assert {(platform, handle.casefold()) for _, platform, handle, _, _ in hers} >= served.expected_accounts()
    for _, platform, handle, evidence, picked in hers:
        assert picked == 0 and "-page_of_other" in evidence, (platform, handle, evidence)
    assert not {url in c[3] for c in chosen(db, SHARED_OWNER).values()} - {False}
    # The page two people list that is neither's: read for both, an account for neither.
    for person in ("~Hannah_Whitcombe1", "~Tobias_Lindqvist1"):
        volkov = homepage(next(p for p in harvest.profiles if p["id"] == person))
        assert volkov is not None and plan_of(volkov).corpus_file == NOT_THEIRS[person]
        found = reading(db, person, volkov)
        assert found is not None and found.owner.outcome == "other" and found.sightings
        assert all(picked == 0 for who, *_, picked in candidates_from(db, volkov) if who == person)


def test_failed_and_refused_homepages_are_recorded_without_socials(harvest: Harvest) -> None:
    db, owners = harvest.db, owners_by_url(harvest)
    failures = {
        url: page_outcome(page)
        for url in owners
        if (page := harvest.routes.get(route_key(url))) is not None and page_outcome(page) != "ok"
    }
    failures.update(dict.fromkeys(NOT_HTTP.values(), "blocked"))
    assert sorted(failures.values()) == ["blocked", "blocked", "blocked", "http_error", "not_html"]
    for url, outcome in failures.items():
        found = rows(db, "SELECT outcome, html IS NULL, fetched_at IS NOT NULL FROM homepages WHERE url = ?", url)
        assert found == [(outcome, 1, 1)], url
        assert scalar(db, "SELECT count(*) FROM homepage_readings WHERE url = ?", url) == 0
        assert candidates_from(db, url) == []
    for url in NOT_HTTP.values():
        assert route_key(url) not in harvest.web_hits


# ---- 6. paper_summary ----------------------------------------------------------------------------------------


SUMMARY_ACCOUNTS = ("x", "github", "linkedin", "website", "scholar")


def test_paper_summary_shows_the_first_authors_affiliation_and_chosen_accounts(harvest: Harvest) -> None:
    db, mapping = harvest.db, person_of(harvest.profiles)
    by_id = {p["id"]: p for p in harvest.profiles}
    summary = {
        r[0]: r[1:]
        for r in rows(
            db,
            f"""SELECT forum_id, first_author_id, first_author_institution, first_author_homepage,
                       {", ".join(f"first_author_{platform}" for platform in SUMMARY_ACCOUNTS)} FROM paper_summary""",
        )
    }
    notes = {n["id"]: n for notes in harvest.venue.values() for n in notes}
    assert set(summary) == set(notes)
    shown = Counter[str]()
    for forum_id, note in notes.items():
        listed = note["content"]["authorids"][0]
        person = mapping.get(key_of(listed), listed)
        author_id, _, home, *accounts = summary[forum_id]
        assert author_id == person
        profile = by_id.get(person)
        url = homepage(profile) if profile else None
        assert home == url
        # Exactly the chosen candidates, one per platform at most.
        picked = chosen(db, person)
        assert dict(zip(SUMMARY_ACCOUNTS, accounts, strict=True)) == {
            platform: picked[platform][1] if platform in picked else None for platform in SUMMARY_ACCOUNTS
        }, forum_id
        page = harvest.routes.get(route_key(url)) if url else None
        if url is None or page is None or page_outcome(page) != "ok":
            continue
        served = plan_of(url)
        from_page = {
            (platform, handle) for platform, (handle, _, _, pages) in picked.items() if pages and platform != "website"
        }
        if expected_owner(served, person) == "own":
            # Precision against the labels: what the page gives is among the accounts the corpus names.
            assert from_page <= served.expected_accounts(), (forum_id, from_page)
        else:
            # Someone else's page (or a lab's) gives nothing, not even the address as their website.
            assert from_page == set(), (forum_id, from_page)
            assert summary[forum_id][3 + SUMMARY_ACCOUNTS.index("website")] is None, forum_id
        shown.update(platform for platform, value in zip(SUMMARY_ACCOUNTS, accounts, strict=True) if value)
    assert min(shown.values()) >= 5, shown

    # Read by hand off profiles.json and the plan: the first author's current institution, LinkedIn where the
    # profile field names one (preferred to any page's), and the X account of a page that is (not) theirs.
    by_hand: dict[str, tuple[str | None, str | None, str | None]] = {
        "rygFXVKKDH": ("Example Research", None, "https://x.com/jbrenner"),  # Jonas Brenner: the open-ended one of four
        "SJgKyzYFvH": ("Example Research", None, None),  # Victor Lemaire: all ended, the latest end; a lab's page
        "B1lExzyFDB": ("Institute of Data Science Pune", None, None),  # Aditi Kulkarni: the later of two open-ended
        "rJx2yi1YDB": (
            "Hanbit Institute of Science and Technology",
            "lukasbrandt-a97c80",
            "https://x.com/lukasbrandt_ml",
        ),
        "H1lhiBvFDS": ("Example State University", None, "https://x.com/Priya_Raman"),  # Priya Raman's own page
        "Syx4D7TtvH": ("Kitayama University", None, None),  # Anneliese Vogt
        "HyesybcFwH": ("Universidade do Vale Azul", "benediktauer-8b1d38", "https://x.com/benediktauer"),
        "SyeVL4jYDB": ("Eastbay University", "hyunwookim-d26e77", None),  # his lab's page names a member's LinkedIn
        "SylAWQcYwH": (None, "margaretashdown-0dccea", None),  # Margaret Ashdown: @TundeAdeyemi's page
        "Hkg73NYtPH": (None, "hannahwhitcombe-58a6cb", None),  # Hannah Whitcombe: @dvolkov_rl's page
        "HJlzIpSFDB": (None, "tobiaslindqvist-1151e1", None),  # Tobias Lindqvist: the same page
        "S1eoiH5KwS": (None, "arjunmehta-1a97b2", None),  # Arjun Mehta: "About me - Carmen Ruiz"
        "S1gUyMNKwB": (None, None, None),  # Derek Holt: no profile
    }
    for forum_id, (institution, linkedin, x) in by_hand.items():
        if institution is not None or forum_id == "S1gUyMNKwB":
            assert summary[forum_id][1] == institution, forum_id
        assert summary[forum_id][5] == (f"https://www.linkedin.com/in/{linkedin}" if linkedin else None), forum_id
        assert summary[forum_id][3] == x, forum_id


# ---- 7. rebuild ------------------------------------------------------------------------------------------------


def test_rebuild_restores_history_and_socials_from_raw_payloads(harvest: Harvest, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    copy_db(harvest.db, db)
    before = table_dump(db)
    assert before["author_socials"] and before["author_history"]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM author_socials")
        conn.execute("DELETE FROM author_history")
        conn.execute("DELETE FROM author_links")
        conn.execute("UPDATE authors SET position = NULL, institution = NULL")
    conn.close()
    assert main(["rebuild", "--db", str(db), "--quiet"]) == 0
    assert table_dump(db) == before


# ---- 2. request counting over the whole of ICLR 2020 ----------------------------------------------------------


def venue_people(db: Path) -> tuple[int, int]:
    """(~ids, e-mail ids) among the venue's people that a profile run would look up now."""
    people = [r[0] for r in rows(db, "SELECT DISTINCT author_id FROM paper_authors WHERE author_id IS NOT NULL")]
    return sum(p.startswith("~") for p in people), sum("@" in p for p in people)


def test_full_venue_profiles_take_a_handful_of_batched_searches(
    full_venue: dict[str, list[dict[str, Any]]], tmp_path: Path, fake_env: Any
) -> None:
    db = tmp_path / "iclr2020.db"
    with FakeOpenReview(full_venue) as fake:
        fake_env(fake.url)
        assert fetch(db, "--stages", "notes") == 0
    assert scalar(db, "SELECT count(*) FROM authors WHERE resolution != 'pending'") == 0
    emails = sorted(r[0] for r in rows(db, "SELECT author_id FROM authors WHERE author_id LIKE '%@%'"))
    tilde = sorted(r[0] for r in rows(db, "SELECT author_id FROM authors WHERE author_id LIKE '~%'"))
    # A few people with profiles: two found by address, one by ~id, so the refresh asks for them by ~id.
    profiles = [
        {
            "id": f"~Full_Venue_Person{i}",
            "active": True,
            "state": "Active",
            "tcdate": 1546300800000,
            "tmdate": 1704067200000,
            "content": {
                "names": [
                    {"fullname": f"Full Venue Person{i}", "username": f"~Full_Venue_Person{i}", "preferred": True}
                ],
                "emailsConfirmed": [email],
            },
        }
        for i, email in enumerate(emails[:2], 1)
    ]
    profiles.append(
        {
            "id": tilde[0],
            "active": True,
            "state": "Active",
            "content": {"names": [{"fullname": "Listed By Id", "username": tilde[0], "preferred": True}]},
        }
    )

    def searches(fake: FakeOpenReview) -> list[list[str]]:
        return [v for r in fake.requests if (r.method, r.path) == SEARCH for v in r.json.values()]

    n_ids, n_emails = venue_people(db)
    assert (n_ids, n_emails) == (len(tilde), len(emails))
    with FakeOpenReview(full_venue, profiles=profiles) as fake:
        fake_env(fake.url)
        assert fetch(db, "--stages", "profiles") == 0
        first = searches(fake)
    wanted = math.ceil(n_ids / 1000) + math.ceil(n_emails / 1000)
    assert len(first) == wanted <= 15
    assert all(len(batch) <= 1000 for batch in first)
    assert sorted(v for batch in first for v in batch) == sorted(tilde + emails)
    counts = last_counts(db)
    assert counts["requests"]["POST /profiles/search"] == wanted
    assert counts["profiles"]["to_resolve"] == n_ids + n_emails
    resolution = dict(rows(db, "SELECT resolution, count(*) FROM authors GROUP BY 1"))
    assert resolution == {"profile": 3, "unresolved": n_ids + n_emails - 3}
    assert scalar(db, "SELECT count(*) FROM authors WHERE resolution = 'unresolved' AND email_domain IS NULL") == (
        len(tilde) - 1
    )

    # At once again: nothing is stale, nothing is asked.
    with FakeOpenReview(full_venue, profiles=profiles) as fake:
        fake_env(fake.url)
        assert fetch(db, "--stages", "profiles") == 0
        assert fake.count(*SEARCH) == 0
    assert last_counts(db)["profiles"]["to_resolve"] == 0

    # Refresh after 0 days: everyone again, the resolved ones by their ~id now.
    n_ids, n_emails = venue_people(db)
    assert (n_ids, n_emails) == (len(tilde) + 2, len(emails) - 2)
    with FakeOpenReview(full_venue, profiles=profiles) as fake:
        fake_env(fake.url, PAPERHARVEST_PROFILE_REFRESH_DAYS="0")
        assert fetch(db, "--stages", "profiles") == 0
        again = searches(fake)
    assert len(again) == math.ceil(n_ids / 1000) + math.ceil(n_emails / 1000)
    assert sorted(v for batch in again for v in batch) == sorted(
        [*tilde, "~Full_Venue_Person1", "~Full_Venue_Person2", *emails[2:]]
    )
    assert dict(rows(db, "SELECT resolution, count(*) FROM authors GROUP BY 1")) == resolution


# ---- 4. re-runs: fresh pages are skipped, stale ones asked conditionally ---------------------------------------


def test_homepages_rerun_skips_fresh_pages_then_revalidates(
    fake_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = sample_homepages()
    ok = sorted(key for key, page in routes.items() if page_outcome(page) == "ok")
    for index, key in enumerate(ok):
        routes[key] = replace(routes[key], etag=f'"v1-{index}"')
    dated = ok[0]  # Last-Modified only; the fake always answers it in full
    routes[dated] = replace(routes[dated], etag=None, headers={"Last-Modified": "Wed, 02 Oct 2019 10:00:00 GMT"})
    changed = ok[1]  # edited upstream between the runs
    db = tmp_path / "x.db"
    with servers(fake_env, routes=routes) as (_, web):
        assert fetch(db, "--stages", "notes,profiles,homepages") == 0
        first_hits = len(web.hits)
        socials_before = table_dump(db, ("author_socials",))["author_socials"]
        readings_before = table_dump(db, ("homepage_readings",))["homepage_readings"]
        pages_before = {r[0]: r[1:] for r in rows(db, "SELECT url, etag, last_modified, html FROM homepages")}

        assert fetch(db, "--stages", "homepages") == 0
        assert len(web.hits) == first_hits
        assert last_counts(db)["homepages"]["due"] == 0
        assert table_dump(db, ("author_socials",))["author_socials"] == socials_before

        old_file = PLAN[changed].corpus_file
        new_file = next(
            name
            for name in sorted(CORPUS_EXPECTED)
            if name.endswith(".html") and name != old_file and CORPUS_EXPECTED[name]
        )
        new_body = (HOMEPAGES / new_file).read_bytes()
        routes[changed] = replace(routes[changed], body=new_body, etag='"v2"')
        monkeypatch.setenv("PAPERHARVEST_HOMEPAGE_REFRESH_DAYS", "0")
        assert fetch(db, "--stages", "homepages") == 0
        again = web.hits[first_hits:]

    url_of = {route_key(url): url for url in pages_before}
    asked = {hit.headers.get("host", "").rsplit(":", 1)[0] + hit.path: hit.headers for hit in again}
    assert set(asked) == set(url_of)
    for key, headers in asked.items():
        etag, modified, _ = pages_before[url_of[key]]
        assert headers.get("if-none-match") == etag, key
        assert headers.get("if-modified-since") == modified, key
    assert pages_before[url_of[dated]][1] == "Wed, 02 Oct 2019 10:00:00 GMT"

    outcomes = {url: r for url, *r in rows(db, "SELECT url, outcome, status, etag, html FROM homepages")}
    readings_after = table_dump(db, ("homepage_readings",))["homepage_readings"]
    kept_total = 0
    for key in ok:
        url = url_of[key]
        outcome, status, etag, html = outcomes[url]
        owner = rows(db, "SELECT author_id FROM author_links WHERE kind = 'homepage' AND url = ?", url)[0][0]
        if key == changed:
            assert (outcome, status, etag, html) == ("ok", 200, '"v2"', new_body)
            new_page = SampleHomepage(routes[changed], new_file)
            found = reading(db, owner, url)
            assert found is not None and read_accounts(db, owner, url) >= new_page.expected_accounts() != set()
        elif key == dated:
            assert (outcome, status) == ("ok", 200)
        else:
            # 304: the page, its validator and its readings stay as they were.
            assert (outcome, status, etag, html) == ("not_modified", 304, pages_before[url][0], pages_before[url][2])
            kept = {r for r in readings_before if r[0] == url}
            assert {r for r in readings_after if r[0] == url} == kept, url
            kept_total += len(kept)
    assert kept_total > 0
    assert Counter(last_counts(db)["homepages"]) >= Counter({"not_modified": len(ok) - 2, "ok": 2})


# ---- 5. choosing stages; a stalling homepage ------------------------------------------------------------------


def test_skip_homepages_runs_notes_and_profiles_without_a_web_request(fake_env: Any, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with servers(fake_env) as (fake, web):
        assert fetch(db, "--skip", "homepages,arxiv,code") == 0
        assert web.hits == []
        assert fake.count(*SEARCH) == 2
    options = json.loads(scalar(db, "SELECT options FROM runs"))
    assert options["stages"] == ["notes", "profiles"]
    assert set(last_counts(db)) == {"notes", "profiles", "requests", "history"}  # history: every run's data versions
    assert scalar(db, "SELECT count(*) FROM homepages") == 0
    assert scalar(db, "SELECT count(*) FROM authors WHERE resolution = 'profile'") > 0


def test_stages_run_one_at_a_time_equal_one_run_of_all(fake_env: Any, tmp_path: Path) -> None:
    together, apart = tmp_path / "together.db", tmp_path / "apart.db"
    with servers(fake_env) as (fake, web):
        assert fetch(together, "--stages", "notes,profiles,homepages") == 0
        searches, pages = fake.count(*SEARCH), len(web.hits)
        assert fetch(apart, "--stages", "notes") == 0
        assert fake.count(*SEARCH) == searches and len(web.hits) == pages
        assert fetch(apart, "--stages", "profiles") == 0
        assert fake.count(*SEARCH) == 2 * searches and len(web.hits) == pages
        assert fetch(apart, "--stages", "homepages") == 0
        assert len(web.hits) == 2 * pages
    tables = tuple(t for t in DATA_TABLES if t != "venues")
    assert timeless_dump(apart, tables) == timeless_dump(together, tables)
    assert [json.loads(r[0])["stages"] for r in rows(apart, "SELECT options FROM runs ORDER BY run_id")] == [
        ["notes"],
        ["profiles"],
        ["homepages"],
    ]


def test_a_stalling_homepage_times_out_and_the_run_goes_on(fake_env: Any, tmp_path: Path) -> None:
    routes = sample_homepages()
    ok = sorted(key for key, page in routes.items() if page_outcome(page) == "ok")
    slow = ok[0]
    routes[slow] = replace(routes[slow], stall_seconds=1.5)
    db = tmp_path / "x.db"
    # Four at a time: FakeWeb listens with a backlog of 5, and a dropped SYN costs a second (a false timeout).
    with servers(fake_env, routes=routes, PAPERHARVEST_HOMEPAGE_TIMEOUT="0.5", PAPERHARVEST_HOMEPAGE_CONCURRENCY="4"):
        assert fetch(db, "--stages", "notes,profiles,homepages") == 0
    assert rows(db, "SELECT outcome FROM runs") == [("ok",)]
    outcomes = {route_key(url): outcome for url, outcome in rows(db, "SELECT url, outcome FROM homepages")}
    assert outcomes[slow] == "timeout"
    assert {key: outcomes[key] for key in ok[1:]} == dict.fromkeys(ok[1:], "ok")
    slow_url = next(url for (url,) in rows(db, "SELECT url FROM homepages") if route_key(url) == slow)
    assert scalar(db, "SELECT count(*) FROM homepage_readings WHERE url = ?", slow_url) == 0
    assert candidates_from(db, slow_url) == []
    assert scalar(db, "SELECT count(*) FROM homepage_readings") > 0
    assert last_counts(db)["homepages"]["timeout"] == 1


# ---- regressions: bugs these tests caught, now fixed ----------------------------------------------------


def test_one_address_in_two_spellings_is_one_person(fake_env: Any, tmp_path: Path) -> None:
    venue = load_sample_venue()
    note = next(n for notes in venue.values() for n in notes if n["id"] == "S1gUyMNKwB")
    note["content"]["authors"].append("Priya Raman")
    note["content"]["authorids"].append("Priya.Raman@Example.EDU")  # elsewhere listed as priya.raman@example.edu
    db = tmp_path / "x.db"
    with servers(fake_env, venue=venue):
        assert fetch(db, "--stages", "notes,profiles") == 0
    listed = rows(
        db, "SELECT DISTINCT listed_id, author_id FROM paper_authors WHERE lower(listed_id) LIKE 'priya.raman@%'"
    )
    assert sorted(listed) == [
        ("Priya.Raman@Example.EDU", "~Priya_Raman1"),
        ("priya.raman@example.edu", "~Priya_Raman1"),
    ]
    assert scalar(db, "SELECT count(*) FROM authors WHERE author_id LIKE '%@%' AND lower(author_id) LIKE 'priya%'") == 0


def test_a_profile_that_stops_answering_is_not_asked_for_on_every_run(fake_env: Any, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    with servers(fake_env):
        assert fetch(db, "--stages", "notes,profiles") == 0
    conn = sqlite3.connect(db)
    with conn:  # as if that lookup was made long ago: everyone is due for a refresh
        conn.execute("UPDATE authors SET resolved_at = '2000-01-01T00:00:00+00:00'")
    conn.close()
    gone = [p for p in load_sample_profiles() if p["id"] != "~Priya_Raman1"]  # deleted upstream meanwhile
    with servers(fake_env, profiles=gone) as (fake, _):
        assert fetch(db, "--stages", "profiles") == 0
        asked = [v for r in fake.requests if (r.method, r.path) == SEARCH for v in r.json.get("ids", [])]
        assert "~Priya_Raman1" in asked
    with servers(fake_env, profiles=gone) as (fake, _):
        assert fetch(db, "--stages", "profiles") == 0
        assert [r.json for r in fake.requests if (r.method, r.path) == SEARCH] == []


def first_owner_with_socials(profiles: list[dict[str, Any]], routes: dict[str, Page]) -> dict[str, Any]:
    for p in sorted(profiles, key=lambda p: p["id"]):
        page = routes.get(route_key(url)) if (url := homepage(p)) else None
        if page is not None and page_outcome(page) == "ok" and plan_of(url or "").personalised_for == p["id"]:
            return p
    raise AssertionError("no personalised homepage in the sample")


def test_a_homepage_dropped_from_the_profile_takes_its_socials_along(
    fake_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, routes = tmp_path / "x.db", sample_homepages()
    profiles = copy.deepcopy(load_sample_profiles())
    owner = first_owner_with_socials(profiles, routes)
    url = homepage(owner)
    assert url is not None
    with servers(fake_env, routes=routes):
        assert fetch(db, "--stages", "notes,profiles,homepages") == 0
    assert any(who == owner["id"] for who, *_ in candidates_from(db, url))
    assert reading(db, owner["id"], url) is not None
    del owner["content"]["homepage"]
    monkeypatch.setenv("PAPERHARVEST_PROFILE_REFRESH_DAYS", "0")
    with servers(fake_env, profiles=profiles, routes=routes):
        assert fetch(db, "--stages", "profiles,homepages") == 0
    assert scalar(db, "SELECT count(*) FROM author_links WHERE author_id = ? AND kind = 'homepage'", owner["id"]) == 0
    assert reading(db, owner["id"], url) is None
    assert candidates_from(db, url) == []
    assert all(not pages for _, _, _, pages in chosen(db, owner["id"]).values())


def test_a_page_that_gains_a_second_lister_gives_the_newcomer_nothing(
    fake_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, routes = tmp_path / "x.db", sample_homepages()
    profiles = copy.deepcopy(load_sample_profiles())
    by_id = {p["id"]: p for p in profiles}
    url = homepage(by_id[SHARED_WITH])
    assert url is not None
    with servers(fake_env, routes=routes):
        assert fetch(db, "--stages", "notes,profiles,homepages") == 0
    his = chosen(db, SHARED_WITH)
    assert any(url in pages for _, _, _, pages in his.values())
    assert reading(db, SHARED_OWNER, url) is None
    by_id[SHARED_OWNER]["content"]["homepage"] = url  # Elena Moretti now lists Benedikt Auer's page too
    monkeypatch.setenv("PAPERHARVEST_PROFILE_REFRESH_DAYS", "0")
    with servers(fake_env, profiles=profiles, routes=routes):
        assert fetch(db, "--stages", "profiles,homepages") == 0
    theirs = reading(db, SHARED_OWNER, url)
    assert theirs is not None and theirs.owner.outcome == "other"
    assert read_accounts(db, SHARED_OWNER, url) == read_accounts(db, SHARED_WITH, url) != set()
    # His accounts stay his; hers gain nothing from his page.
    assert chosen(db, SHARED_WITH) == his
    assert all(url not in pages for _, _, _, pages in chosen(db, SHARED_OWNER).values())
    assert scalar(db, "SELECT owner_match FROM homepages WHERE url = ?", url) == SHARED_WITH


# ---- 8. whose accounts: only a person's own page gives them any, whatever order pages are read in ----------

# A conference's account, in no table of known organisations: only the number of people's pages showing it
# says it is nobody's in particular.
CONFERENCE = "ReprLearning"
CONFERENCE_ICON = (
    b'<div class="social"><a href="https://x.com/ReprLearning" aria-label="Twitter">'
    b'<i class="fab fa-twitter"></i></a></div>'
)
ADVISOR, STUDENT = "Miriam Osei", "~Jonas_Brenner1"
ADVISOR_PAGE = b"""<!doctype html><html><head><title>Prof. Miriam Osei - Osei Lab</title></head><body>
<h1>Miriam Osei</h1><p>Professor of Computer Science. I lead the Osei Lab.</p>
<div class="social"><a href="https://x.com/miriam_osei" aria-label="Twitter"><i class="fab fa-twitter"></i></a>
<a href="https://github.com/osei-lab" aria-label="GitHub"><i class="fab fa-github"></i></a></div>
<h2>Students</h2><ul><li>Jonas Brenner</li><li>Kwame Mensah</li><li>Lena Fischer</li></ul>
</body></html>"""


def with_conference_and_advisor(routes: dict[str, Page]) -> tuple[dict[str, Page], list[str]]:
    """The sample's pages, the conference's icon added to four people's own pages that show no X account of
    their own (it would be the only one there), and the student's homepage his advisor's page."""
    routes = dict(routes)
    hosts = [
        key
        for key, served in sorted(PLAN.items())
        if served.personalised_for and not any(p == "x" for p, _ in served.expected_accounts())
    ][:4]
    for key in hosts:
        body = routes[key].body
        cut = body.rfind(b"</body>")
        routes[key] = replace(routes[key], body=body[:cut] + CONFERENCE_ICON + body[cut:] if cut >= 0 else body)
    student_home = homepage(next(p for p in load_sample_profiles() if p["id"] == STUDENT))
    assert student_home is not None
    routes[route_key(student_home)] = Page(ADVISOR_PAGE)
    return routes, hosts


def accounts_dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return table_dump(db, ("author_socials", "homepage_readings"))


def test_pages_not_their_own_give_nobody_an_account_in_any_order(fake_env: Any, tmp_path: Path) -> None:
    routes, conference_hosts = with_conference_and_advisor(sample_homepages())
    in_order, shuffled = tmp_path / "in_order.db", tmp_path / "shuffled.db"
    with servers(fake_env, routes=routes, PAPERHARVEST_HOMEPAGE_CONCURRENCY="1"):
        assert fetch(in_order, "--stages", "notes,profiles,homepages") == 0
    db = in_order
    summary = {
        r[0]: r[1:] for r in rows(db, "SELECT first_author_id, first_author_x, first_author_github FROM paper_summary")
    }

    # The conference's account: a candidate of everyone whose page shows it, refused as widely linked, chosen
    # for nobody, shown for no paper.
    conference = rows(db, "SELECT author_id, evidence, chosen FROM author_socials WHERE handle = ?", CONFERENCE.lower())
    assert len(conference) == len(conference_hosts) == 4
    assert all("-widely_linked" in json.loads(evidence) and not picked for _, evidence, picked in conference)
    assert scalar(db, "SELECT count(*) FROM paper_summary WHERE first_author_x LIKE ?", f"%/{CONFERENCE}") == 0

    # The advisor's group page: read as a group's for the student, whose paper shows neither her X account
    # nor the lab's GitHub.
    student_home = homepage(next(p for p in load_sample_profiles() if p["id"] == STUDENT))
    assert student_home is not None
    found = reading(db, STUDENT, student_home)
    assert found is not None and found.owner.outcome == "group", found and found.owner
    assert {(s.platform, s.handle) for s in found.sightings} == {("x", "miriam_osei"), ("github", "osei-lab")}
    assert all(not picked for who, *_, picked in candidates_from(db, student_home) if who == STUDENT)
    assert summary[STUDENT] == (None, None)

    # Someone else's pages (and the lab's) give their listers nothing; their own pages do.
    for person, corpus_file in NOT_THEIRS.items():
        url = homepage(next(p for p in load_sample_profiles() if p["id"] == person))
        assert url is not None and plan_of(url).corpus_file == corpus_file
        assert read_accounts(db, person, url), person
        assert all(not pages for _, _, _, pages in chosen(db, person).values()), person
        if person in summary:
            assert summary[person] == (None, None), person
    assert summary["~Priya_Raman1"][0] == "https://x.com/Priya_Raman"
    assert chosen(db, SHARED_WITH)["x"][0] == "benediktauer"

    # rebuild decides the same accounts from the stored pages, with no network.
    rebuilt = tmp_path / "rebuilt.db"
    copy_db(db, rebuilt)
    conn = sqlite3.connect(rebuilt)
    with conn:
        conn.execute("DELETE FROM author_socials")
        conn.execute("DELETE FROM homepage_readings")
    conn.close()
    assert main(["rebuild", "--db", str(rebuilt), "--quiet"]) == 0
    assert accounts_dump(rebuilt) == accounts_dump(db)

    # Pages read in another order: the later half of the addresses first (the earlier half's people list no
    # homepage yet), then, once their profiles list them, the earlier half; the accounts decided in between
    # (a conference account seen on fewer pages, say) are decided again over everything.
    ok = sorted(key for key, page in routes.items() if page_outcome(page) == "ok")
    later = copy.deepcopy(load_sample_profiles())
    for profile in later:
        if (url := homepage(profile)) and route_key(url) in ok[: len(ok) // 2]:
            del profile["content"]["homepage"]
    with servers(fake_env, profiles=later, routes=routes, PAPERHARVEST_HOMEPAGE_CONCURRENCY="4"):  # and 4 at once
        assert fetch(shuffled, "--stages", "notes,profiles,homepages") == 0
    first_read = {route_key(url) for (url,) in rows(shuffled, "SELECT url FROM homepages WHERE outcome = 'ok'")}
    assert first_read == set(ok[len(ok) // 2 :])
    assert accounts_dump(shuffled) != accounts_dump(db)
    with servers(fake_env, routes=routes, PAPERHARVEST_PROFILE_REFRESH_DAYS="0"):
        assert fetch(shuffled, "--stages", "profiles,homepages") == 0
    assert last_counts(shuffled)["homepages"]["due"] == len(ok) - len(first_read)
    assert accounts_dump(shuffled) == accounts_dump(db)
