"""OpenReview profiles (POST /profiles/search, GET /profiles) -> AuthorProfile, AuthorHistory, AuthorLink records.

No real raw profile response is public (docs/api-facts.md), so this reads the documented schema and tolerates
what it cannot vouch for: missing keys, years as strings, blank or whitespace-padded values, masked e-mails.

Rules, in one place:

- Canonical id: the profile's top-level `id`. Aliases: that id, then every other `names[].username` (the
  names a person added, and, after a merge, the usernames of the profile merged into this one).
- Preferred name: the first `names[]` entry with `preferred: true`, else the first usable entry. A name is its
  `fullname`, else `first middle last` joined. Names are NFC-normalised, zero-width spaces dropped and runs of
  whitespace collapsed, so one name typed two ways is stored once.
- E-mails: lowercased; any address with a `*` in it is a mask (`****@domain`) and is dropped.
- Current position: see `current_history_index`.
- Merges: see `merged_into` and `alias_map`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paperharvest.errors import NormalizeError
from paperharvest.models import LINK_KINDS, AuthorHistory, AuthorLink, AuthorProfile, ProfileRecords
from paperharvest.normalize.values import clean_text, ms_to_datetime

MERGED_STATE = "merged"
# Zero-width space and BOM carry no meaning in a name; ZWJ/ZWNJ do in some scripts, so they stay.
_INVISIBLE = str.maketrans({"\u200b": None, "\ufeff": None})
_YEAR = re.compile(r"\s*(\d{4})\b")


def _clean_name(value: Any) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    return " ".join(text.split()) or None


def _name_of(entry: Mapping[str, Any]) -> str | None:
    full = _clean_name(entry.get("fullname"))
    if full is not None:
        return full
    parts = (_clean_name(entry.get(key)) for key in ("first", "middle", "last"))
    return " ".join(p for p in parts if p) or None


def _email(value: Any) -> str | None:
    text = clean_text(value)
    if text is None or "@" not in text or "*" in text:
        return None
    return text.lower()


def _year(value: Any) -> int | None:
    """History years are integers in the schema; strings such as "2018" are read too, anything else is None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and (match := _YEAR.match(value)):
        return int(match.group(1))
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _entries(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _dedupe(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _is_merged(raw: Mapping[str, Any]) -> bool:
    state = raw.get("state")
    return isinstance(state, str) and state.strip().lower() == MERGED_STATE


def merged_into(raw: Mapping[str, Any]) -> str | None:
    """The ~id a Merged profile now lives under, or None.

    ASSUMPTION (unconfirmed; no raw merged profile is public): a profile merged away is left in state
    "Merged" and its top-level `referent` names the surviving profile. openreview-py documents `referent` as
    "the Profile id that it points to" for a reference; that a Merged profile uses it this way is our
    reading. `referent` is ignored on any other state, because a profile *edit* also carries one, pointing
    at the profile it edits. The other half of a merge, the survivor listing the old username in its
    `names[]`, needs no assumption about Merged profiles at all and is handled by `alias_map`.
    """
    if not _is_merged(raw):
        return None
    referent = clean_text(raw.get("referent")) if isinstance(raw.get("referent"), str) else None
    if referent is None or not referent.startswith("~") or referent == raw.get("id"):
        return None
    return referent


def current_history_index(entries: list[AuthorHistory]) -> int | None:
    """Which history entry describes the person now.

    An entry with no `end` is ongoing (OpenReview shows it as "Present"), so any open-ended entry beats
    every ended one. Among open-ended entries the latest `start` wins, so an old position someone forgot to
    close loses to their new one. With none open-ended, the greatest `end` wins, then the greatest `start`.
    A tie goes to the entry listed first, as the profile editor lists the newest first (openreview-py's
    ARR code also reads `history[0]` as the current title). Unknown years rank below any known year.
    """
    best: int | None = None
    best_key: tuple[bool, int, int] | None = None
    for index, entry in enumerate(entries):
        key = (
            entry.end is None,
            entry.end if entry.end is not None else 0,
            entry.start if entry.start is not None else -1,
        )
        if best_key is None or key > best_key:
            best, best_key = index, key
    return best


def _history(profile_id: str, content: Mapping[str, Any]) -> list[AuthorHistory]:
    rows: list[AuthorHistory] = []
    for ordinal, entry in enumerate(_list(content.get("history"))):
        if not isinstance(entry, Mapping):
            continue
        institution = entry.get("institution")
        inst = institution if isinstance(institution, Mapping) else {}
        position = clean_text(entry.get("position"))
        name = clean_text(inst.get("name"))
        domain = clean_text(inst.get("domain"))
        # An entry with neither a position nor an institution says nothing about where the person works.
        if position is None and name is None and domain is None:
            continue
        rows.append(
            AuthorHistory(
                profile_id=profile_id,
                ordinal=ordinal,
                position=position,
                institution=name,
                institution_domain=domain.lower() if domain else None,
                institution_country=clean_text(inst.get("country")),
                start=_year(entry.get("start")),
                end=_year(entry.get("end")),
                is_current=False,
            )
        )
    current = current_history_index(rows)
    if current is not None:
        rows[current] = rows[current].model_copy(update={"is_current": True})
    return rows


def _links(profile_id: str, content: Mapping[str, Any]) -> list[AuthorLink]:
    # Values are kept as written (an ORCID may be a bare id, a DBLP link may lack https): only trimmed.
    links: list[AuthorLink] = []
    for kind in LINK_KINDS:
        value = content.get(kind)
        url = clean_text(value) if isinstance(value, str) else None
        if url is not None:
            links.append(AuthorLink(profile_id=profile_id, kind=kind, url=url))
    return links


def normalize_profile(raw: Mapping[str, Any]) -> ProfileRecords:
    """One raw profile, as POST /profiles/search or GET /profiles returns it, as records."""
    profile_id = raw.get("id") if isinstance(raw, Mapping) else None
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise NormalizeError(f"profile without an id: {str(raw)[:120]!r}")
    profile_id = profile_id.strip()
    # openreview-py's tools.get_profiles invents `id=<email>` placeholders for e-mails it could not resolve:
    # such a thing is an unresolved author, and storing it as a profile would record it as resolved.
    if not profile_id.startswith("~"):
        raise NormalizeError(f"profile id {profile_id!r} is not a ~id: an unresolved placeholder, not a profile")
    content = raw.get("content")
    if not isinstance(content, Mapping):
        raise NormalizeError(f"profile {profile_id}: content is not an object")

    names = _entries(content.get("names"))
    named = [(entry, name) for entry in names if (name := _name_of(entry))]
    fallback = named[0][1] if named else None
    preferred_name = next((name for entry, name in named if entry.get("preferred") is True), fallback)
    usernames = [clean_text(e.get("username")) for e in names if isinstance(e.get("username"), str)]

    confirmed = _dedupe(_email(e) for e in _list(content.get("emailsConfirmed")))
    emails = _dedupe(
        [
            _email(raw.get("email")),
            _email(content.get("preferredEmail")),
            *confirmed,
            *(_email(e) for e in _list(content.get("emails"))),
        ]
    )

    history = _history(profile_id, content)
    current = next((row for row in history if row.is_current), None)
    active = raw.get("active")
    try:
        created_at = ms_to_datetime(raw.get("tcdate"))
        modified_at = ms_to_datetime(raw.get("tmdate"))
    except NormalizeError as exc:
        raise NormalizeError(f"profile {profile_id}: {exc}") from None

    profile = AuthorProfile(
        profile_id=profile_id,
        state=clean_text(raw.get("state")),
        active=active if isinstance(active, bool) else None,
        merged_into=merged_into(raw),
        preferred_name=preferred_name,
        names=_dedupe(name for _, name in named),
        aliases=_dedupe([profile_id, *usernames]),
        emails=emails,
        confirmed_emails=confirmed,
        position=current.position if current else None,
        institution=current.institution if current else None,
        institution_domain=current.institution_domain if current else None,
        institution_country=current.institution_country if current else None,
        created_at=created_at,
        modified_at=modified_at,
    )
    return ProfileRecords(profile=profile, history=history, links=_links(profile_id, content))


def alias_key(author_id: str) -> str:
    """The key `alias_map` uses for an author id: e-mails are compared lowercased, ~ids exactly."""
    text = author_id.strip()
    return text.lower() if "@" in text else text


@dataclass(frozen=True)
class ProfileKeys:
    """What `alias_map` reads of a profile: its id, whether it is live, the survivor a Merged one names, and
    the ids (`aliases`: its own id first, then usernames) and e-mails it claims."""

    profile_id: str
    live: bool
    merged_into: str | None
    aliases: tuple[str, ...]
    confirmed_emails: tuple[str, ...]
    emails: tuple[str, ...]

    @classmethod
    def of(cls, profile: AuthorProfile) -> ProfileKeys:
        return cls(
            profile_id=profile.profile_id,
            live=profile.state is None or profile.state.strip().lower() != MERGED_STATE,
            merged_into=profile.merged_into,
            aliases=tuple(profile.aliases),
            confirmed_emails=tuple(profile.confirmed_emails),
            emails=tuple(profile.emails),
        )


@dataclass
class AliasMap:
    """`people`: each alias (key form, see `alias_key`) that names exactly one person -> that person's id.
    `ambiguous`: each alias that several people claim with equal right -> those people, sorted."""

    people: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def claim(self, claims: Mapping[str, set[str]]) -> None:
        """One pass of claims; a key decided by an earlier pass (mapped or ambiguous) stays decided."""
        for key, owners in claims.items():
            if key in self.people or key in self.ambiguous:
                continue
            if len(owners) == 1:
                self.people[key] = next(iter(owners))
            else:
                self.ambiguous[key] = tuple(sorted(owners))


def _claims(pairs: Iterable[tuple[str, str | None]]) -> dict[str, set[str]]:
    claims: dict[str, set[str]] = {}
    for key, owner in pairs:
        if owner is not None:
            claims.setdefault(key, set()).add(owner)
    return claims


def _canonical_of_merged(profile: ProfileKeys, merged: dict[str, str | None], found: AliasMap) -> str | None:
    # Follow merge targets (a profile can be merged into one that was later merged again) until reaching an
    # id some live profile claims, or a target we have no profile for (the API said it is the survivor).
    # An id several live profiles claim names no one: the Merged profile then claims nothing.
    seen: set[str] = set()
    current = profile.profile_id
    while current not in seen:
        seen.add(current)
        if current in found.ambiguous:
            return None
        if current in found.people:
            return found.people[current]
        target = merged.get(current)
        if target is None:
            return current
        current = target
    return profile.profile_id  # a cycle: no survivor can be named, so the profile stands for itself


def alias_map(profiles: Iterable[ProfileKeys]) -> AliasMap:
    """Every alias ~id and every known e-mail (lowercased) -> the canonical ~id of the person, or ambiguous.

    This is the one rule the store applies (store/people.py), over every stored profile that shares a key
    with another. Claims are made in passes; a key decided in an earlier pass stays with that decision. In
    a pass, a key claimed for one person goes to them, and a key claimed for two or more (two live profiles
    listing one e-mail) is ambiguous: it names neither, since a wrong merge is worse than a missed one. So
    the result depends only on the set of profiles, never on their order or on how batches came back:

    1. every live (not Merged) profile's own id -> itself;
    2. live profiles' other usernames -> that profile (this is how merged ids and `~A_B2`-style aliases
       reach the survivor, whether or not the Merged profile itself was fetched);
    3. Merged profiles' ids and usernames -> their survivor: the live profile already claiming the id, else
       `merged_into` followed to its end, else (no target known) the Merged id itself;
    4. confirmed e-mails (`content.emailsConfirmed`) -> the profile's canonical id;
    5. any other unmasked e-mail (preferred, listed, the search's matched `email`) -> likewise.

    Putting confirmed e-mails before unconfirmed ones means an address two profiles mention goes to the one
    that proved it owns it.
    """
    records = {p.profile_id: p for p in profiles}
    live = [p for p in records.values() if p.live]
    dead = [p for p in records.values() if not p.live]

    found = AliasMap()
    found.claim(_claims((p.profile_id, p.profile_id) for p in live))
    found.claim(_claims((alias, p.profile_id) for p in live for alias in p.aliases))

    merged = {p.profile_id: p.merged_into for p in dead}
    canonical: dict[str, str | None] = {p.profile_id: p.profile_id for p in live}
    canonical.update({p.profile_id: _canonical_of_merged(p, merged, found) for p in dead})
    found.claim(_claims((alias, canonical[p.profile_id]) for p in dead for alias in p.aliases))

    everyone = [*live, *dead]
    found.claim(_claims((email, canonical[p.profile_id]) for p in everyone for email in p.confirmed_emails))
    found.claim(_claims((email, canonical[p.profile_id]) for p in everyone for email in p.emails))
    return found
