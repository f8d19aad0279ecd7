"""OpenReview profiles: the normalizer, alias_map, and the fake server's profile endpoints.

No real raw profile response is public, so tests/fixtures/profiles/profiles.json is hand-made from the schema
in ../shared/docs/api-facts.md, for the authors of the sample venue (tests/fixtures/iclr2020_sample):

- 72 of its 103 e-mail authorids belong to a profile that lists the address in `content.emailsConfirmed`;
  the other 31 have no profile at all (unresolvable). `~Jonas_Brenner1` has a profile. 74 profiles in all.
- `emails` and most `preferredEmail`s are masked `****@domain`, as the API shows them to everyone else;
  `emailsConfirmed` is unmasked, as an e-mail search answers it (that is what openreview-py checks).
- Edge cases: `~Sara_Lindholm2` is an alias username of `~Sara_Lindholm1`; `~Kai_Mueller1` is a Merged
  profile (`referent` = `~Kai_Muller1`, and the survivor lists the old username); Yutong Chen has no
  `history` key, Helga Sigurðardóttir an empty one; Jonas Brenner has four entries with the open-ended one
  listed second; Aditi Kulkarni has two open-ended entries; Victor Lemaire's entries have all ended;
  Thandiwe Dlamini's years are strings; names in NFD, with a no-break space, a zero-width space, CJK,
  Hangul and Arabic; links padded with spaces, tabs and newlines, or blank.

Expected values below are read from the raw fixture independently of the normalizer where that is possible.
"""

from __future__ import annotations

import copy
import json
import random
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from paperharvest.errors import NormalizeError
from paperharvest.models import LINK_KINDS, AuthorHistory, ProfileRecords
from paperharvest.normalize.profiles import (
    AliasMap,
    ProfileKeys,
    alias_key,
    alias_map,
    current_history_index,
    merged_into,
    normalize_profile,
)
from tests.fakes.openreview_v1 import TEST_PASSWORD, TEST_USER, FakeOpenReview
from tests.helpers import raw_profile

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROFILES_FILE = FIXTURES / "profiles" / "profiles.json"
NOTES_FILE = FIXTURES / "iclr2020_sample" / "notes.json"
PROFILE_KEYS = {"id", "active", "state", "tcdate", "tmdate", "content"}
CONTENT_KEYS = {
    "names",
    "emails",
    "preferredEmail",
    "emailsConfirmed",
    "homepage",
    "gscholar",
    "dblp",
    "orcid",
    "wikipedia",
    "linkedin",
    "aclanthology",
    "semanticScholar",
    "history",
    "relations",
    "expertise",
}
NAME_KEYS = {"fullname", "first", "middle", "last", "username", "preferred"}
INSTITUTION_KEYS = {"name", "domain", "country", "stateProvince", "department"}


# ---- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_profiles() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(PROFILES_FILE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def raw_by_id(raw_profiles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in raw_profiles}


@pytest.fixture(scope="module")
def records(raw_profiles: list[dict[str, Any]]) -> dict[str, ProfileRecords]:
    return {r.profile.profile_id: r for r in map(normalize_profile, raw_profiles)}


@pytest.fixture(scope="module")
def sample_author_ids() -> list[str]:
    notes = json.loads(NOTES_FILE.read_text(encoding="utf-8"))
    ids = [a for group in notes.values() for note in group for a in note["content"]["authorids"]]
    return list(dict.fromkeys(ids))


@pytest.fixture()
def fake(raw_profiles: list[dict[str, Any]]) -> Iterator[FakeOpenReview]:
    with FakeOpenReview({}, profiles=raw_profiles) as server:
        yield server


def _raw(profile_id: str = "~Test_Person1", **content: Any) -> dict[str, Any]:
    content.setdefault("names", [{"fullname": "Test Person", "username": profile_id, "preferred": True}])
    return raw_profile(profile_id, **content)


def _history(*spans: tuple[Any, Any]) -> list[dict[str, Any]]:
    return [
        {
            "position": f"Job {i}",
            "institution": {"name": f"Inst {i}", "domain": f"i{i}.example.edu"},
            "start": s,
            "end": e,
        }
        for i, (s, e) in enumerate(spans)
    ]


def _current(raw: dict[str, Any]) -> str | None:
    return normalize_profile(raw).profile.position


# ---- the fixture itself -----------------------------------------------------------------------------------


def test_fixture_has_the_api_shape_and_the_promised_coverage(
    raw_profiles: list[dict[str, Any]], sample_author_ids: list[str]
) -> None:
    for raw in raw_profiles:
        assert PROFILE_KEYS <= set(raw) <= PROFILE_KEYS | {"referent"}, raw["id"]
        assert set(raw["content"]) <= CONTENT_KEYS, raw["id"]
        assert all(set(name) <= NAME_KEYS for name in raw["content"]["names"])
        assert all(e.startswith("****@") for e in raw["content"]["emails"])
        for entry in raw["content"].get("history", []):
            assert set(entry["institution"]) == INSTITUTION_KEYS
    ids = [p["id"] for p in raw_profiles]
    assert len(ids) == len(set(ids)) == 74

    # Which sample e-mails a profile confirms, read straight from the raw JSON.
    confirmed = {e for p in raw_profiles for e in p["content"]["emailsConfirmed"]}
    emails = [a for a in sample_author_ids if "@" in a]
    resolvable = [e for e in emails if e in confirmed]
    assert (len(sample_author_ids), len(emails), len(resolvable)) == (104, 103, 72)
    assert 0.65 < len(resolvable) / len(emails) < 0.75
    assert "~Jonas_Brenner1" in sample_author_ids and "~Jonas_Brenner1" in ids
    assert "priya.raman@example.edu" in resolvable
    assert [p["id"] for p in raw_profiles if p["state"] == "Merged"] == ["~Kai_Mueller1"]


def test_every_fixture_profile_normalizes(
    raw_profiles: list[dict[str, Any]], records: dict[str, ProfileRecords]
) -> None:
    assert len(records) == len(raw_profiles)
    for raw in raw_profiles:
        record = records[raw["id"]]
        profile = record.profile
        assert profile.aliases[0] == raw["id"]
        assert profile.preferred_name in profile.names
        assert set(profile.confirmed_emails) <= set(profile.emails)
        assert all("*" not in e and e == e.lower() for e in profile.emails)
        assert all(h.profile_id == raw["id"] for h in record.history)
        assert sum(h.is_current for h in record.history) == (1 if record.history else 0)
        assert profile.created_at is not None and profile.modified_at is not None
        assert profile.created_at.timestamp() * 1000 == pytest.approx(raw["tcdate"])


# ---- names, aliases, e-mails ------------------------------------------------------------------------------


def test_preferred_name_and_all_names(records: dict[str, ProfileRecords]) -> None:
    chen = records["~Yutong_Chen1"].profile
    assert (chen.preferred_name, chen.names) == ("Yutong Chen", ["Yutong Chen", "陈雨桐"])
    assert records["~Sun-Hee_Park1"].profile.names == ["Sun-Hee Park", "박선희"]
    assert records["~Farah_Haddad1"].profile.names == ["Farah Haddad", "فرح حداد"]
    # A name with no fullname is built from its parts.
    assert records["~Jose_Angel_Penalver1"].profile.names == ["José Ángel Peñalver", "José Á. Peñalver"]

    # Preferred is not always listed first; with no preferred entry the first usable one stands.
    names: list[dict[str, Any]] = [
        {"fullname": "  ", "username": "~Old_Name1"},
        {"fullname": "First Listed", "username": "~First_Listed1"},
        {"fullname": "Chosen One", "username": "~Test_Person1", "preferred": True},
    ]
    assert normalize_profile(_raw(names=names)).profile.preferred_name == "Chosen One"
    names[2]["preferred"] = False
    assert normalize_profile(_raw(names=names)).profile.preferred_name == "First Listed"
    assert normalize_profile(_raw(names=[])).profile.preferred_name is None


def test_one_name_typed_two_ways_is_stored_once(
    raw_by_id: dict[str, dict[str, Any]], records: dict[str, ProfileRecords]
) -> None:
    raw_names = [n["fullname"] for n in raw_by_id["~Patrick_Levesque1"]["content"]["names"]]
    assert raw_names[0] != raw_names[1]
    assert unicodedata.normalize("NFC", raw_names[1]) == raw_names[0]
    assert records["~Patrick_Levesque1"].profile.names == ["Patrick Lévesque", "Patrick Levesque"]
    # A no-break space and a trailing blank; a zero-width space.
    assert records["~Zoe_Ostergaard1"].profile.names == ["Zoë Østergaard"]
    assert records["~Lucja_Wroblewska1"].profile.names == ["Łucja Wróblewska"]


def test_aliases(records: dict[str, ProfileRecords]) -> None:
    assert records["~Sara_Lindholm1"].profile.aliases == ["~Sara_Lindholm1", "~Sara_Lindholm2"]
    assert records["~Sara_Lindholm1"].profile.names == ["Sara Lindholm"]
    assert records["~Kai_Muller1"].profile.aliases == ["~Kai_Muller1", "~Kai_Mueller1"]
    assert records["~Jonas_Brenner1"].profile.aliases == ["~Jonas_Brenner1"]
    # Names without a username add no alias.
    assert records["~Yutong_Chen1"].profile.aliases == ["~Yutong_Chen1"]


def test_emails_known(records: dict[str, ProfileRecords]) -> None:
    priya = records["~Priya_Raman1"].profile
    assert priya.emails == ["priya.raman@example.edu", "priyaraman@mail.example.com"]
    assert priya.confirmed_emails == priya.emails
    assert records["~Kai_Mueller1"].profile.emails == ["k.mueller@old.example.org"]

    raw = _raw(
        emails=["****@example.edu", "Listed@Example.org", "not-an-email"],
        preferredEmail="****@example.edu",
        emailsConfirmed=["Confirmed@Example.edu", "****@example.edu"],
    )
    assert normalize_profile(raw).profile.emails == ["confirmed@example.edu", "listed@example.org"]
    assert normalize_profile(raw).profile.confirmed_emails == ["confirmed@example.edu"]
    # An e-mail search answer names the matched address at top level; a masked one is no address.
    assert normalize_profile({**raw, "email": "matched@example.com"}).profile.emails[0] == "matched@example.com"
    assert "****@example.edu" not in normalize_profile({**raw, "email": "****@example.edu"}).profile.emails
    public = copy.deepcopy(raw)
    public["content"]["preferredEmail"] = "Public@Example.net"
    profile = normalize_profile(public).profile
    assert "public@example.net" in profile.emails and "public@example.net" not in profile.confirmed_emails


# ---- history --------------------------------------------------------------------------------------------


def test_current_position_rule_on_the_fixtures(records: dict[str, ProfileRecords]) -> None:
    def now(profile_id: str) -> tuple[str | None, str | None, str | None, str | None]:
        p = records[profile_id].profile
        return p.position, p.institution, p.institution_domain, p.institution_country

    # The open-ended entry, though listed second of four.
    assert now("~Jonas_Brenner1") == ("Research Scientist", "Example Research", "research.example.com", "US")
    assert [(h.ordinal, h.is_current) for h in records["~Jonas_Brenner1"].history] == [
        (0, False),
        (1, True),
        (2, False),
        (3, False),
    ]
    # Two open-ended entries: the later start.
    assert now("~Aditi_Kulkarni1")[:2] == ("Assistant Professor", "Institute of Data Science Pune")
    # All ended: the latest end.
    assert now("~Victor_Lemaire1")[:2] == ("Research Scientist", "Example Research")
    # Years as strings; "" as end means ongoing; an entry without a position is still history.
    dlamini = records["~Thandiwe_Dlamini1"].history
    assert [(h.position, h.start, h.end, h.is_current) for h in dlamini] == [
        ("Lecturer", 2018, None, True),
        (None, 2014, 2018, False),
    ]
    assert now("~Thandiwe_Dlamini1") == ("Lecturer", "Cape Meridian University", "capemeridian.example.edu", "ZA")
    # No history key, an empty history list.
    for profile_id in ("~Yutong_Chen1", "~Helga_Sigurdardottir1"):
        assert records[profile_id].history == []
        assert now(profile_id) == (None, None, None, None)


def test_current_position_rule_ties_and_unknown_years() -> None:
    assert _current(_raw(history=_history((2015, 2018), (2015, 2018)))) == "Job 0"  # tie: listed first
    assert _current(_raw(history=_history((2010, 2020), (None, None)))) == "Job 1"  # no end beats any end
    assert _current(_raw(history=_history((None, None), (2016, None)))) == "Job 1"  # a known start beats none
    assert _current(_raw(history=_history((2012, None), (2019, None), (2014, None)))) == "Job 1"
    assert _current(_raw(history=_history((2012, 2014), (2011, 2019), (2018, 2019)))) == "Job 2"
    assert current_history_index([]) is None
    # Entries that say nothing are skipped; junk years are unknown, not errors.
    history = [{"position": " ", "institution": {}}, "junk", {"position": "Dean", "start": "soon", "end": True}]
    rows = normalize_profile(_raw(history=history)).history
    assert [(h.ordinal, h.position, h.start, h.end, h.is_current) for h in rows] == [(2, "Dean", None, None, True)]
    row = AuthorHistory(
        profile_id="~X1",
        ordinal=0,
        position="A",
        institution=None,
        institution_domain=None,
        institution_country=None,
        start=None,
        end=None,
        is_current=False,
    )
    assert current_history_index([row]) == 0


# ---- links ------------------------------------------------------------------------------------------------


def test_links_trimmed_and_blank_ones_absent(
    raw_profiles: list[dict[str, Any]], records: dict[str, ProfileRecords]
) -> None:
    zoe = {link.kind: link.url for link in records["~Zoe_Ostergaard1"].links}
    assert zoe == {
        "homepage": "http://zoeostergaard.example.org/",
        "gscholar": "https://scholar.google.com/citations?user=Z0eOst3AAAAJ&hl=en",
        "semanticScholar": "https://www.semanticscholar.org/author/2148390511",
    }
    helga = {link.kind: link.url for link in records["~Helga_Sigurdardottir1"].links}
    assert set(helga) == {"homepage", "wikipedia"}  # orcid is "  "
    assert records["~Kai_Mueller1"].links == []

    # Across the whole fixture: exactly the non-blank raw values, stripped, in LINK_KINDS order.
    padded = 0
    for raw in raw_profiles:
        expected = [(k, raw["content"][k].strip()) for k in LINK_KINDS if raw["content"].get(k, "").strip()]
        padded += sum(1 for k in LINK_KINDS if raw["content"].get(k, "").strip() != raw["content"].get(k, ""))
        assert [(link.kind, link.url) for link in records[raw["id"]].links] == expected
    assert padded > 10


# ---- merges -----------------------------------------------------------------------------------------------


def test_merged_into(raw_by_id: dict[str, dict[str, Any]]) -> None:
    assert merged_into(raw_by_id["~Kai_Mueller1"]) == "~Kai_Muller1"
    assert merged_into(raw_by_id["~Kai_Muller1"]) is None
    # A referent on a live profile is an edit's pointer, not a merge; a Merged profile may name no target.
    assert merged_into({**_raw(), "referent": "~Someone_Else1"}) is None
    assert merged_into({**_raw(), "state": "Merged"}) is None
    assert merged_into({**_raw(), "state": " merged ", "referent": "~Someone_Else1"}) == "~Someone_Else1"
    assert merged_into({**_raw(), "state": "Merged", "referent": "~Test_Person1"}) is None
    assert merged_into({**_raw(), "state": "Merged", "referent": "not-a-tilde-id"}) is None


# ---- alias_map --------------------------------------------------------------------------------------------


def people_of(profiles: Iterable[ProfileRecords]) -> AliasMap:
    return alias_map(ProfileKeys.of(r.profile) for r in profiles)


def test_alias_map_over_the_sample_venue(records: dict[str, ProfileRecords], sample_author_ids: list[str]) -> None:
    found = people_of(records.values())
    mapping = found.people
    resolved = {a: mapping[alias_key(a)] for a in sample_author_ids if alias_key(a) in mapping}
    assert len(resolved) == 73  # 72 e-mails and ~Jonas_Brenner1
    assert resolved["priya.raman@example.edu"] == "~Priya_Raman1"
    assert resolved["~Jonas_Brenner1"] == "~Jonas_Brenner1"
    assert resolved["kai.mueller@example.edu"] == "~Kai_Muller1"
    assert "dholt@example.com" not in resolved
    assert found.ambiguous == {}
    # One canonical author per person: the alias, the merged id and the merged profile's e-mail.
    assert mapping["~Sara_Lindholm2"] == mapping["slindholm@example.org"] == "~Sara_Lindholm1"
    assert mapping["~Kai_Mueller1"] == mapping["k.mueller@old.example.org"] == "~Kai_Muller1"
    assert "~Kai_Mueller1" not in set(mapping.values())
    assert alias_key(" Priya.Raman@Example.EDU ") == "priya.raman@example.edu"
    assert alias_key("~Jonas_Brenner1") == "~Jonas_Brenner1"

    # The answer depends on the set of profiles, not on the order batches came back in.
    shuffled = list(records.values())
    random.Random(7).shuffle(shuffled)
    assert people_of(shuffled) == found
    assert people_of(list(records.values()) * 2) == found


def test_alias_map_merged_profile_alone_or_survivor_alone(raw_by_id: dict[str, dict[str, Any]]) -> None:
    merged = normalize_profile(raw_by_id["~Kai_Mueller1"])
    survivor = normalize_profile(raw_by_id["~Kai_Muller1"])
    # Only the Merged profile came back: its referent names the survivor.
    assert people_of([merged]).people == {
        "~Kai_Mueller1": "~Kai_Muller1",
        "k.mueller@old.example.org": "~Kai_Muller1",
    }
    # Only the survivor came back: the old username in its names[] is enough.
    assert people_of([survivor]).people["~Kai_Mueller1"] == "~Kai_Muller1"
    # A Merged profile with no target and no survivor stands for itself rather than vanish.
    orphan = normalize_profile({**_raw("~Orphan1"), "state": "Merged"})
    assert people_of([orphan]).people == {"~Orphan1": "~Orphan1"}


def test_alias_map_follows_merge_chains_and_survives_cycles() -> None:
    a = normalize_profile({**_raw("~A1", emailsConfirmed=["a@example.edu"]), "state": "Merged", "referent": "~B1"})
    b = normalize_profile({**_raw("~B1"), "state": "Merged", "referent": "~C1"})
    c = normalize_profile(_raw("~C1"))
    mapping = people_of([a, b, c]).people
    assert mapping["~A1"] == mapping["~B1"] == mapping["a@example.edu"] == "~C1"

    x = normalize_profile({**_raw("~X1"), "state": "Merged", "referent": "~Y1"})
    y = normalize_profile({**_raw("~Y1"), "state": "Merged", "referent": "~X1"})
    assert set(people_of([x, y]).people) == {"~X1", "~Y1"}


def test_alias_map_conflicts() -> None:
    def person(profile_id: str, **content: Any) -> ProfileRecords:
        return normalize_profile(_raw(profile_id, **content))

    # Two live profiles confirm one address: it names neither, whatever the input order, and both stay.
    first, second = (
        person("~B_Person1", emailsConfirmed=["x@example.edu"]),
        person("~A_Person1", emailsConfirmed=["x@example.edu"]),
    )
    for pair in ([first, second], [second, first]):
        found = people_of(pair)
        assert "x@example.edu" not in found.people
        assert found.ambiguous == {"x@example.edu": ("~A_Person1", "~B_Person1")}
        assert found.people["~A_Person1"] == "~A_Person1" and found.people["~B_Person1"] == "~B_Person1"
    # Two live profiles listing one other username: ambiguous too.
    names = [{"fullname": "P", "username": "~P1", "preferred": True}, {"fullname": "P", "username": "~Shared1"}]
    found = people_of([person("~P1", names=names), person("~Q1", names=[{**names[1], "preferred": True}])])
    assert found.ambiguous["~Shared1"] == ("~P1", "~Q1")
    # A confirmed address beats one that is only listed, even against a smaller id.
    listed = person("~A_Person1", preferredEmail="x@example.edu")
    owner = person("~Z_Person1", emailsConfirmed=["x@example.edu"])
    assert people_of([listed, owner]).people["x@example.edu"] == "~Z_Person1"
    # A live profile's own id is never taken over by another profile's username.
    names = [
        {"fullname": "Squatter", "username": "~Squatter1", "preferred": True},
        {"fullname": "Other", "username": "~Other1"},
    ]
    found = people_of([person("~Squatter1", names=names), person("~Other1")])
    assert found.people["~Other1"] == "~Other1"
    assert found.ambiguous == {}


# ---- errors -----------------------------------------------------------------------------------------------


def test_normalize_profile_rejects_what_is_not_a_profile() -> None:
    # openreview-py's tools.get_profiles placeholder for an e-mail it could not resolve.
    placeholder = {"id": "nobody@example.org", "content": {"emails": ["nobody@example.org"], "names": []}}
    with pytest.raises(NormalizeError, match="placeholder"):
        normalize_profile(placeholder)
    with pytest.raises(NormalizeError, match="without an id"):
        normalize_profile({"content": {}})
    with pytest.raises(NormalizeError, match="content is not an object"):
        normalize_profile({"id": "~X1", "content": []})
    with pytest.raises(NormalizeError, match="~X1"):
        normalize_profile({"id": "~X1", "tcdate": "yesterday", "content": {}})
    bare = normalize_profile({"id": "~X1", "content": {}})
    assert (bare.profile.state, bare.profile.active, bare.profile.names, bare.links) == (None, None, [], [])


# ---- the fake server ---------------------------------------------------------------------------------------


def _search(url: str, body: Any, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{url}/profiles/search", json=body, headers=headers, timeout=10)


def test_fake_search_by_ids_and_usernames(fake: FakeOpenReview) -> None:
    answer = _search(fake.url, {"ids": ["~Jonas_Brenner1", "~Sara_Lindholm2", "~Nobody_Here1"]})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"profiles", "count"}
    assert [p["id"] for p in body["profiles"]] == ["~Jonas_Brenner1", "~Sara_Lindholm1"]
    assert body["count"] == 2
    assert all("email" not in p for p in body["profiles"])
    # An id and its alias name one profile, served once.
    assert [p["id"] for p in _search(fake.url, {"ids": ["~Sara_Lindholm1", "~Sara_Lindholm2"]}).json()["profiles"]] == [
        "~Sara_Lindholm1"
    ]
    # A merged-away id matches the Merged profile itself and the survivor that lists it.
    found = _search(fake.url, {"ids": ["~Kai_Mueller1"]}).json()["profiles"]
    assert sorted((p["id"], p["state"]) for p in found) == [("~Kai_Mueller1", "Merged"), ("~Kai_Muller1", "Active")]


def test_fake_search_by_emails_names_the_match(fake: FakeOpenReview, raw_by_id: dict[str, dict[str, Any]]) -> None:
    before = copy.deepcopy(raw_by_id["~Priya_Raman1"])
    wanted = ["PRIYA.RAMAN@example.edu", "priyaraman@mail.example.com", "dholt@example.com"]
    body = _search(fake.url, {"emails": wanted}).json()
    assert [(p["id"], p["email"]) for p in body["profiles"]] == [
        ("~Priya_Raman1", "priya.raman@example.edu"),
        ("~Priya_Raman1", "priyaraman@mail.example.com"),
    ]
    assert body["count"] == 2
    assert all(p["email"] in p["content"]["emailsConfirmed"] for p in body["profiles"])
    assert {k: v for k, v in body["profiles"][0].items() if k != "email"} == before
    assert raw_by_id["~Priya_Raman1"] == before  # the served dict is a copy
    # Matching by an unmasked preferredEmail too (it is not in emailsConfirmed here).
    extra = _raw("~Pref_Only1", preferredEmail="pref@example.net", emailsConfirmed=["****@example.net"])
    with FakeOpenReview({}, profiles=[extra]) as server:
        assert [p["email"] for p in _search(server.url, {"emails": ["pref@example.net"]}).json()["profiles"]] == [
            "pref@example.net"
        ]
        assert _search(server.url, {"emails": ["****@example.net"]}).json()["count"] == 0


def test_fake_search_batch_limit_and_validation(fake: FakeOpenReview, sample_author_ids: list[str]) -> None:
    for key in ("ids", "emails"):
        too_many = [f"~Person_{n}1" if key == "ids" else f"p{n}@example.org" for n in range(1001)]
        answer = _search(fake.url, {key: too_many})
        assert answer.status_code == 400
        assert answer.json() == {
            "name": "ValidationError",
            "message": f"{key} must have at most 1000 items",
            "status": 400,
        }
        assert _search(fake.url, {key: too_many[:1000]}).status_code == 200
    bad_bodies: list[Any] = [
        {},
        {"ids": [], "emails": []},
        {"ids": "~Jonas_Brenner1"},
        {"emails": [1]},
        ["~Jonas_Brenner1"],
    ]
    for bad in bad_bodies:
        assert _search(fake.url, bad).status_code == 400
    assert fake.count("POST", "/profiles/search") == 4 + 5

    # 2,500 ids in batches of 1,000 are three requests; the sample's ids come back once each.
    ids = [a for a in sample_author_ids if a.startswith("~")] + [f"~Filler_Person{n}" for n in range(2499)]
    before = fake.count("POST", "/profiles/search")
    found = [
        p for i in range(0, len(ids), 1000) for p in _search(fake.url, {"ids": ids[i : i + 1000]}).json()["profiles"]
    ]
    assert fake.count("POST", "/profiles/search") - before == 3
    assert [p["id"] for p in found] == ["~Jonas_Brenner1"]


def test_fake_get_profiles(fake: FakeOpenReview) -> None:
    def get(**params: str) -> requests.Response:
        return requests.get(f"{fake.url}/profiles", params=params, timeout=10)

    assert [p["id"] for p in get(id="~Sara_Lindholm2").json()["profiles"]] == ["~Sara_Lindholm1"]
    body = get(confirmedEmail="priya.raman@example.edu").json()
    assert (body["count"], body["profiles"][0]["id"]) == (1, "~Priya_Raman1")
    assert get(id="~Nobody_Here1").json() == {"profiles": [], "count": 0}
    assert get().status_code == 400


def test_fake_profiles_respect_the_guest_gate(raw_profiles: list[dict[str, Any]]) -> None:
    with FakeOpenReview({}, profiles=raw_profiles, guest_gate="json") as server:
        blocked = _search(server.url, {"ids": ["~Jonas_Brenner1"]})
        assert (blocked.status_code, blocked.json()["name"]) == (403, "ChallengeRequiredError")
        assert requests.get(f"{server.url}/profiles", params={"id": "~Jonas_Brenner1"}, timeout=10).status_code == 403
        login = requests.post(f"{server.url}/login", json={"id": TEST_USER, "password": TEST_PASSWORD}, timeout=10)
        token = login.json()["token"]
        assert _search(server.url, {"ids": ["~Jonas_Brenner1"]}, token).json()["count"] == 1
    with FakeOpenReview({}, profiles=raw_profiles, guest_gate="html") as server:
        assert _search(server.url, {"ids": ["~Jonas_Brenner1"]}).headers["Content-Type"].startswith("text/html")


def test_openreview_py_get_profiles_batches_against_the_fake(
    fake: FakeOpenReview, sample_author_ids: list[str]
) -> None:
    """openreview-py's own batching (tools.get_profiles) reads the fake's answers the way it reads the real ones."""
    openreview = pytest.importorskip("openreview")
    client = openreview.Client(baseurl=fake.url)
    fillers = [f"filler{n}@nowhere.example.org" for n in range(1000)]
    profiles = openreview.tools.get_profiles(client, [*sample_author_ids, *fillers])
    searches = [r for r in fake.requests if r.path == "/profiles/search"]
    # One POST for the single ~id, two for 103 + 1,000 e-mails: batches of at most 1,000.
    assert [(next(iter(r.json)), len(next(iter(r.json.values())))) for r in searches] == [
        ("ids", 1),
        ("emails", 1000),
        ("emails", 103),
    ]
    real = {p.id for p in profiles if p.id.startswith("~")}
    placeholders = {p.id for p in profiles if not p.id.startswith("~")}
    assert len(real) == 73
    assert len(placeholders) == 31 + 1000  # unresolved e-mails come back as id=<email> stand-ins
    for placeholder in list(placeholders)[:3]:
        with pytest.raises(NormalizeError):
            normalize_profile({"id": placeholder, "content": {"emails": [placeholder], "names": []}})
