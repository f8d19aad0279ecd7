"""Whose account is it, really: scored (person, platform, handle) candidates from named pieces of evidence.

A homepage names accounts; only some of them are the person's who listed it. Each account seen on a page
(a sighting) carries the page's owner outcome (normalize/owners.py) and the context it sits in: a
profile/social block, rel="me", a JSON-LD sameAs, next to a listed person's name, a share widget, a
"follow us" or "built with" sentence, an institution's site chrome. Across the whole input an account that
many pages link without a name beside it (a conference, a lab, a library) belongs to nobody in particular.

Scores are sums of the named evidence in EVIDENCE_WEIGHTS. A sighting in a vetoing context (VETOES) adds
its veto's name to the candidate's evidence, for a reader to see, and none of its positives. One account per
platform per person is chosen, only at CONFIDENT or above and only when no other account of that platform
ties it; the rest stay candidates with their scores.

Pure and order-independent: `attribute` depends only on the set of its inputs (every aggregate is a set,
every output sorted), so shuffling people, pages or links gives the same answer.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from bs4.element import Tag

from paperharvest.models import (
    Candidate,
    PageReading,
    PageSighting,
    PersonEvidence,
    SocialLink,
)
from paperharvest.normalize.owners import (
    HANDLE_MATCH,
    NAME_MATCH,
    handle_names_organisation,
    handle_similarity,
    json_ld_people,
    listed_names,
    looks_like_name,
    name_similarity,
    owner_of,
    tokens,
)
from paperharvest.normalize.socials import (
    account_key,
    canonical_social,
    closest,
    extract_socials,
    is_chrome,
    page_soup,
)

__all__ = [
    "CONFIDENT",
    "EVIDENCE_WEIGHTS",
    "KNOWN_ORGANISATIONS",
    "VETOES",
    "PageScan",
    "account_key",
    "account_pages",
    "attribute",
    "canonical_website",
    "chosen_accounts",
    "read_page",
    "scan_page",
]


# ---- the evidence table ------------------------------------------------------------------------------------

EVIDENCE_WEIGHTS: dict[str, float] = {
    "own_page": 0.35,  # the page is the person's own (owners.py)
    "unowned_page": 0.10,  # the person listed it, and nothing on it names anyone
    "near_own_name": 0.25,  # next to the person's own name (a member card, the sidebar's name)
    "profile_block": 0.25,  # an icon, a platform label, a social/profile block, "Twitter: @h", twitter:creator
    "named_link": 0.15,  # the link's own text is the person's name or the handle itself ("@h")
    "rel_me": 0.30,
    "same_as": 0.30,  # in the page owner's JSON-LD Person sameAs
    "name_like": 0.25,  # the handle resembles the person's name
    "profile_field": 0.70,  # the person's own OpenReview profile lists it
    "profile_homepage": 0.25,  # website: the profile's homepage field
    "github_name": 0.50,  # GitHub says this user's name is the person's
    "github_blog": 0.30,  # GitHub says this user's blog is the person's homepage
    "github_twitter": 0.60,  # a confirmed GitHub user names this X account: its owner says so
    "-several_on_page": -0.20,  # the page shows several accounts of the platform in such places
    "-linked_twice": -0.15,  # two different pages show it with no name beside it
    "-widely_linked": -0.60,  # three or more pages do: a conference, a lab, a library
    "-known_organisation": -1.00,  # KNOWN_ORGANISATIONS, the last resort
    "-github_name_differs": -0.50,  # GitHub names someone else as this user
    "-organisation_handle": -0.40,  # the handle spells a lab, a group, a conference ("okafor-lab")
}
# Contexts in which an account is never the person's; each is recorded as "-<name>".
VETOES = frozenset(
    {
        "page_of_other", "group_page_not_beside_name", "share", "follow_us", "follow_other", "built_with",
        "institutional", "beside_other_name",
    }
)  # fmt: skip
CONFIDENT = 0.6
# Handles of organisations that personal pages link often. Evidence of the whole input (widely_linked)
# catches these in a large harvest; the table covers a small one. Keys are account_key forms.
KNOWN_ORGANISATIONS = frozenset(
    {
        ("x", "iclr_conf"), ("x", "neuripsconf"), ("x", "icmlconf"), ("x", "cvpr"), ("x", "aclmeeting"),
        ("x", "emnlpmeeting"), ("x", "pytorch"), ("x", "tensorflow"), ("x", "huggingface"), ("x", "github"),
        ("x", "googleai"), ("x", "googledeepmind"), ("x", "openai"), ("x", "msftresearch"), ("x", "aiatmeta"),
        ("github", "pytorch"), ("github", "tensorflow"), ("github", "huggingface"), ("github", "google-research"),
        ("github", "facebookresearch"), ("github", "openai"), ("github", "microsoft"), ("github", "google-deepmind"),
        ("github", "jekyll"), ("github", "gohugoio"), ("github", "academicpages"), ("github", "wowchemy"),
        ("github", "hugoblox"), ("huggingface", "huggingface"), ("youtube", "iclr_conf"),
    }
)  # fmt: skip
# Platforms whose handle is an opaque id, never a name.
_ID_PLATFORMS = frozenset({"scholar", "orcid", "dblp", "semanticscholar", "website"})
_PROFILE_KINDS = frozenset({"linkedin", "gscholar", "dblp", "orcid", "semanticScholar"})


def canonical_website(url: str) -> str:
    """A homepage address in the form two spellings share: no scheme, `www.`, query, fragment, index file
    or trailing slash; host lower-cased (`https://www.Uni.edu/~cruiz/index.html` -> `uni.edu/~cruiz`)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return url.strip()
    path = re.sub(r"/(?:index\.html?|index\.php)$", "", parts.path).rstrip("/")
    return host + path


# ---- reading a page -----------------------------------------------------------------------------------------

_LABEL_WORDS = frozenset(
    {
        "twitter", "x", "github", "linkedin", "google", "scholar", "orcid", "dblp", "semantic", "bluesky",
        "mastodon", "threads", "hugging", "face", "huggingface", "youtube", "gitlab", "my", "profile", "on",
        "me", "find", "formerly", "bsky", "fediverse", "channel", "page", "account", "follow", "id", "ist",
    }
)  # fmt: skip
_PROFILE_CLASS = re.compile(
    r"social|profile|author|sidebar|contact|network|icons|connect|vcard|h-card|bio\b|about|person|member|links",
    re.IGNORECASE,
)
_SHARE_CLASS = re.compile(r"share|sharing|addthis|sharethis", re.IGNORECASE)
_SHARE_TEXT = re.compile(r"\bshare\b|tweet this|teilen|partager|compartir|分享|シェア", re.IGNORECASE)
_FOLLOW_US = re.compile(
    r"follow us|follow our|folgen sie uns|folge uns|suivez[- ]nous|s[ií]guenos|关注我们|フォローしてください"
    r"|stay (?:tuned|updated)",
    re.IGNORECASE,
)
_FOLLOW = re.compile(r"\bfollow\s*$|^\s*follow\b|folgen\s*$|suivre\s*$|seguir\s*$", re.IGNORECASE)
_BUILT_WITH = re.compile(
    r"built (?:with|on|using|by)|powered by|made with|based on|\btheme\b|template|jekyll|\bhugo\b|designed by"
    r"|forked from|implemented (?:in|with)|\busing\b|\buses\b|erstellt mit|basiert auf|propuls[ée]"
    r"|r[ée]alis[ée] avec|hecho con|creado con|basado en|基于|使用|で作成|を使用",
    re.IGNORECASE,
)
# On an own page: the link's parent and grandparent (`<li>Bruno Dias (<a>GitHub</a>)</li>`).
_OWN_PAGE_CLIMB = 2
_CLIMB = 6


def _classes(tag: Tag) -> str:
    values = [*tag.get_attribute_list("class"), *tag.get_attribute_list("id")]
    return " ".join(v for v in values if isinstance(v, str))


def _is_label(tag: Tag) -> bool:
    """An icon-only link or one whose text (or aria-label/title) only names the platform."""
    text = tag.get_text(" ", strip=True)
    if not text:
        return True
    words = set(tokens(text))
    if words and words <= _LABEL_WORDS:
        return True
    for attr in ("aria-label", "title"):
        value = tag.get(attr)
        if isinstance(value, str) and set(tokens(value)) <= _LABEL_WORDS:
            return not re.search(r"\w{3,}", text) or text.startswith(("@", "http"))
    return False


def _preceding_text(tag: Tag) -> str:
    """The text of the link's parent block up to the link: what the sentence says before it."""
    parent = tag.parent
    if not isinstance(parent, Tag):
        return ""
    pieces: list[str] = []
    for node in parent.descendants:
        if node is tag:
            break
        if isinstance(node, str) and not isinstance(node, Tag):
            pieces.append(str(node))
    return " ".join(" ".join(pieces).split())[-120:]


def _beside(tag: Tag, names: dict[int, str], person_names: Sequence[str], *, climb: int = 0) -> str | None:
    """ "own" or "other" when the link is attached to one listed person's name (its own text, or the nearest
    enclosing block, at most `climb` levels up, that holds listed names, if all of them are one side)."""
    text = tag.get_text(" ", strip=True)
    if looks_like_name(text, cjk=False):
        return "own" if name_similarity(text, person_names) >= NAME_MATCH else "other"
    node: Tag | None = tag
    for _ in range(climb or _CLIMB):
        node = node.parent if node is not None else None
        if not isinstance(node, Tag) or node.name in ("body", "html", "main"):
            return None
        inside = [names[id(t)] for t in (node, *node.find_all(True)) if id(t) in names]
        if inside:
            sides = {name_similarity(name, person_names) >= NAME_MATCH for name in inside}
            if len(sides) == 2:
                return None
            return "own" if True in sides else "other"
    return None


def _contexts(
    tag: Tag,
    link: SocialLink,
    names: dict[int, str],
    person_names: Sequence[str],
    institutional: bool,
    own_page: bool,
) -> set[str]:
    found: set[str] = set()
    rel = {v.lower() for v in tag.get_attribute_list("rel") if isinstance(v, str)}
    if "me" in rel:
        found.add("rel_me")
    ancestry = [tag, *islice(tag.parents, _CLIMB)]
    classes = " ".join(_classes(t) for t in ancestry if isinstance(t, Tag))
    if _is_label(tag) or _PROFILE_CLASS.search(classes):
        found.add("profile_block")
    text = tag.get_text(" ", strip=True)
    before = _preceding_text(tag)
    parent_text = tag.parent.get_text(" ", strip=True)[:300] if isinstance(tag.parent, Tag) else ""
    if _SHARE_CLASS.search(classes) or _SHARE_TEXT.search(text):
        found.add("share")
    if _FOLLOW_US.search(parent_text):
        found.add("follow_us")
    if (_FOLLOW.search(before) or _FOLLOW.search(text)) and handle_similarity(link.handle, person_names) < HANDLE_MATCH:
        found.add("follow_other")
    if _BUILT_WITH.search(before[-80:]) or _BUILT_WITH.search(text):
        found.add("built_with")
    if name_similarity(text, person_names) >= NAME_MATCH or _spells_handle(text, link.handle):
        found.add("named_link")
    # On the person's own page a block of several paragraphs naming co-authors and students says nothing of
    # whose a link is: there only the link's own item (a list entry, a paragraph) places it beside a name.
    side = _beside(tag, names, person_names, climb=_OWN_PAGE_CLIMB if own_page else _CLIMB)
    if side is not None:
        found |= {"beside_name", "near_own_name" if side == "own" else "beside_other_name"}
    if institutional:
        found.add("institutional")
    return found


def _spells_handle(text: str, handle: str) -> bool:
    return bool(text) and text.strip().lstrip("@").lower() == handle.split("@")[0].lower()


@dataclass(frozen=True)
class PageScan:
    """What a homepage shows whoever reads it, found once however many people list it: each link to an
    account with whether it sits with an institution's accounts, the names the page lists, the accounts
    named in its text, its JSON-LD people (name and sameAs accounts) and its meta accounts."""

    soup: BeautifulSoup
    url: str
    links: list[tuple[Tag, SocialLink, bool]]
    names: dict[int, str]
    in_text: list[SocialLink]
    json_ld: list[tuple[str, list[SocialLink]]]
    meta: list[SocialLink]


def scan_page(html: str | bytes | BeautifulSoup, url: str) -> PageScan:
    """The part of reading a homepage that does not depend on who reads it (see read_page)."""
    # One parse, shared with extract_socials: the page's charset honoured, an unclosed <title> read leniently.
    soup = html if isinstance(html, BeautifulSoup) else page_soup(html)
    found_socials = extract_socials(soup, url)
    accepted = {account_key(s.platform, s.handle) for s in found_socials}
    links: list[tuple[Tag, SocialLink]] = []
    for tag in soup.find_all(["a", "link"]):
        href = tag.get("href") if isinstance(tag, Tag) else None
        if not isinstance(tag, Tag) or not isinstance(href, str):
            continue
        if tag.name == "link" and "me" not in {v.lower() for v in tag.get_attribute_list("rel") if isinstance(v, str)}:
            continue
        if (link := canonical_social(href, base_url=url)) is not None:
            links.append((tag, link))
    # extract_socials drops the accounts of an institution's site chrome; every other account in the same
    # block shares their fate, whatever its platform.
    # The header, footer or navigation block each link sits in (as socials.py defines site chrome).
    nearest_chrome: dict[int, Tag | None] = {}
    chrome = {id(tag): closest(tag.parent, is_chrome, nearest_chrome) for tag, _ in links}
    dropped = [(tag, link) for tag, link in links if account_key(link.platform, link.handle) not in accepted]
    institutional_keys = {account_key(link.platform, link.handle) for _, link in dropped}
    institutional_blocks = {id(block) for tag, _ in dropped if (block := chrome[id(tag)]) is not None}
    json_ld = []
    for person in json_ld_people(soup):
        same_as = person.get("sameAs")
        values = same_as if isinstance(same_as, list) else [same_as]
        accounts = [
            link
            for value in values
            if isinstance(value, str) and (link := canonical_social(value, base_url=url)) is not None
        ]
        json_ld.append((person["name"], accounts))
    meta = []
    for key in ("twitter:creator", "twitter:site"):
        element = soup.find("meta", attrs={"name": key})
        content = element.get("content") if isinstance(element, Tag) else None
        if isinstance(content, str) and (link := canonical_social("@" + content.strip().lstrip("@"))) is not None:
            meta.append(link)
    return PageScan(
        soup=soup,
        url=url,
        links=[
            (
                tag,
                link,
                account_key(link.platform, link.handle) in institutional_keys
                or id(chrome[id(tag)]) in institutional_blocks,
            )
            for tag, link in links
        ],
        names={id(tag): name for tag, name in listed_names(soup)},
        in_text=[social for social in found_socials if social.evidence == "text"],
        json_ld=json_ld,
        meta=meta,
    )


def read_page(page: str | bytes | BeautifulSoup | PageScan, url: str, person_names: Sequence[str]) -> PageReading:
    """One homepage read for the person whose names are `person_names`: its owner and every account it
    shows, each once, with the union of the contexts it was seen in. `page` may be its scan_page already, so
    a page several people list is parsed and scanned once (reading it changes nothing in it)."""
    scan = page if isinstance(page, PageScan) else scan_page(page, url)
    owner = owner_of(scan.soup, url, person_names)
    seen: dict[tuple[str, str], tuple[SocialLink, list[set[str]]]] = {}

    def add(link: SocialLink, contexts: set[str]) -> None:
        key = account_key(link.platform, link.handle)
        seen.setdefault(key, (link, []))[1].append(contexts)

    own_page = owner.outcome == "own"
    for tag, link, institutional in scan.links:
        add(link, _contexts(tag, link, scan.names, person_names, institutional, own_page))
    for social in scan.in_text:
        add(social, {"text", "profile_block"})
    for name, accounts in scan.json_ld:
        mine = name_similarity(name, person_names) >= NAME_MATCH
        for link in accounts:
            add(link, {"same_as"} if mine else {"beside_name", "beside_other_name"})
    for link in scan.meta:
        add(link, {"meta", "profile_block"})
    sightings = [
        PageSighting(platform=link.platform, handle=link.handle, url=link.url, contexts=_merged(occurrences))
        for link, occurrences in seen.values()
    ]
    sightings.sort(key=lambda s: account_key(s.platform, s.handle))
    return PageReading(url=url, owner=owner, sightings=sightings)


def _merged(occurrences: list[set[str]]) -> list[str]:
    """One account shown several times on a page: where some showing is clean (no veto context), the clean
    ones speak for the page; a share button elsewhere does not make the author's own link anyone's."""
    clean = [contexts for contexts in occurrences if not contexts & VETOES]
    return sorted(set().union(*(clean or occurrences)))


# ---- the whole input ----------------------------------------------------------------------------------------


def account_pages(people: Iterable[PersonEvidence]) -> dict[tuple[str, str], frozenset[str]]:
    """For the whole input: account -> the distinct pages that show it with no person's name beside it.

    A page stands for its one owner, however many people list it. An account beside a listed name belongs
    to that person, so co-authors linking each other do not make an account anyone's and nobody's; an account
    several pages show unattached (a conference's, a lab's, a library's) is nobody's in particular.
    """
    pages: dict[tuple[str, str], set[str]] = defaultdict(set)
    for person in people:
        for page in person.pages:
            for sighting in page.sightings:
                if "beside_name" not in sighting.contexts:
                    pages[account_key(sighting.platform, sighting.handle)].add(canonical_website(page.url))
    return {key: frozenset(urls) for key, urls in pages.items()}


_POSITIVE_CONTEXTS = ("near_own_name", "profile_block", "rel_me", "same_as", "named_link")


def _sighting_evidence(page: PageReading, sighting: PageSighting) -> set[str]:
    contexts = set(sighting.contexts)
    vetoes = contexts & VETOES
    if page.owner.outcome == "other":
        vetoes.add("page_of_other")
    if page.owner.outcome == "group" and "near_own_name" not in contexts:
        vetoes.add("group_page_not_beside_name")
    if vetoes:
        return {"-" + veto for veto in vetoes}
    found = {context for context in _POSITIVE_CONTEXTS if context in contexts}
    if page.owner.outcome == "own":
        found.add("own_page")
    elif page.owner.outcome == "none":
        found.add("unowned_page")
    return found


class _Tally:
    def __init__(self, url: str) -> None:
        self.url = url
        self.evidence: set[str] = set()
        self.pages: set[str] = set()
        self.backed = False  # some evidence that is not a veto: a page sighting or a second place


def _person_candidates(person: PersonEvidence, shown_by: dict[tuple[str, str], frozenset[str]]) -> list[Candidate]:
    tallies: dict[tuple[str, str], _Tally] = {}

    def tally(platform: str, handle: str, url: str) -> _Tally:
        key = account_key(platform, handle)
        if key not in tallies:
            tallies[key] = _Tally(url)
        return tallies[key]

    homepages = {canonical_website(f.url) for f in person.profile if f.kind == "homepage"}
    for page in person.pages:
        per_platform: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for sighting in page.sightings:
            evidence = _sighting_evidence(page, sighting)
            entry = tally(sighting.platform, sighting.handle, sighting.url)
            entry.evidence |= evidence
            entry.pages.add(page.url)
            if any(not e.startswith("-") for e in evidence):
                entry.backed = True
                per_platform[sighting.platform].add(account_key(sighting.platform, sighting.handle))
        for keys in per_platform.values():
            if len(keys) > 1:
                for key in keys:
                    tallies[key].evidence.add("-several_on_page")
        site = canonical_website(page.url)
        if site in homepages and page.owner.outcome in ("own", "other", "group"):
            entry = tally("website", site, page.url)
            entry.evidence.add("own_page" if page.owner.outcome == "own" else f"-page_of_{page.owner.outcome}")
    for field in person.profile:
        if field.kind == "homepage":
            entry = tally("website", canonical_website(field.url), field.url)
            entry.evidence.add("profile_homepage")
            entry.backed = True
        elif field.kind in _PROFILE_KINDS and (link := canonical_social(field.url, base_url=field.url)) is not None:
            entry = tally(link.platform, link.handle, link.url)
            entry.evidence.add("profile_field")
            entry.backed = True
    _github_evidence(person, homepages, tally, tallies)
    candidates = []
    for (platform, handle), entry in tallies.items():
        evidence = set(entry.evidence)
        if entry.backed and platform not in _ID_PLATFORMS and handle_similarity(handle, person.names) >= HANDLE_MATCH:
            evidence.add("name_like")
        if platform != "website":
            pages = len(shown_by.get((platform, handle), frozenset()))
            exempt = "name_like" in evidence
            if pages >= 3 and not exempt:
                evidence.add("-widely_linked")
            elif pages == 2 and not exempt:
                evidence.add("-linked_twice")
        if platform not in _ID_PLATFORMS and handle_names_organisation(handle):
            evidence.add("-organisation_handle")
        if (platform, handle) in KNOWN_ORGANISATIONS:
            evidence.add("-known_organisation")
        positives = [e for e in evidence if e in EVIDENCE_WEIGHTS and EVIDENCE_WEIGHTS[e] > 0]
        score = sum(EVIDENCE_WEIGHTS.get(e, 0.0) for e in sorted(evidence)) if positives else 0.0
        candidates.append(
            Candidate(
                person_id=person.person_id,
                platform=platform,
                handle=handle,  # already in account_key form: the tallies are keyed by it
                url=entry.url,
                score=round(score, 3),
                evidence=sorted(evidence),
                pages=sorted(entry.pages),
                chosen=False,
            )
        )
    return _choose(candidates)


def _github_evidence(
    person: PersonEvidence,
    homepages: set[str],
    tally: Callable[[str, str, str], _Tally],
    tallies: dict[tuple[str, str], _Tally],
) -> None:
    """GitHub's answers for the person's GitHub candidates: the user's name, blog and X account."""
    for user in sorted(person.github_users, key=lambda u: u.login.lower()):
        key = account_key("github", user.login)
        if key not in tallies:
            continue
        entry = tallies[key]
        confirmed = False
        if user.name:
            if name_similarity(user.name, person.names) >= NAME_MATCH:
                entry.evidence.add("github_name")
                confirmed = True
            elif looks_like_name(user.name):
                entry.evidence.add("-github_name_differs")
        blog = user.blog  # with its scheme: github_user (normalize/github.py) adds one
        if blog and (site := canonical_website(blog)) in homepages:
            entry.evidence.add("github_blog")
            confirmed = True
            tally("website", site, blog).evidence.add("github_blog")
        if confirmed and user.twitter_username:
            handle = user.twitter_username  # without its "@": github_user strips it
            x = tally("x", handle, f"https://x.com/{handle}")
            x.evidence.add("github_twitter")
            x.backed = True


def _choose(candidates: list[Candidate]) -> list[Candidate]:
    by_platform: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_platform[candidate.platform].append(candidate)
    out: list[Candidate] = []
    for platform in sorted(by_platform):
        ranked = sorted(by_platform[platform], key=lambda c: (-c.score, c.handle))
        top = ranked[0]
        tie = len(ranked) > 1 and ranked[1].score == top.score
        for candidate in ranked:
            chosen = candidate is top and top.score >= CONFIDENT and not tie
            out.append(candidate.model_copy(update={"chosen": chosen}) if chosen else candidate)
    return out


def attribute(people: Iterable[PersonEvidence]) -> list[Candidate]:
    """Every candidate account of every person, scored, with at most one chosen per platform per person.

    Sorted by person, platform, score (highest first) and handle, so the answer depends only on the input set.
    """
    everyone = sorted(people, key=lambda p: p.person_id)
    shown_by = account_pages(everyone)
    candidates = [candidate for person in everyone for candidate in _person_candidates(person, shown_by)]
    # One account is one person's: chosen for several, it is shown for none of them (precision before recall).
    claims = Counter(account_key(c.platform, c.handle) for c in candidates if c.chosen)
    return [
        c.model_copy(update={"chosen": False, "evidence": [*c.evidence, "-chosen_for_several"]})
        if c.chosen and claims[account_key(c.platform, c.handle)] > 1
        else c
        for c in candidates
    ]


def chosen_accounts(candidates: Iterable[Candidate]) -> dict[str, set[tuple[str, str]]]:
    """person -> the (platform, handle) pairs chosen for them: what paper_summary may show."""
    shown: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for candidate in candidates:
        if candidate.chosen:
            shown[candidate.person_id].add((candidate.platform, candidate.handle))
    return dict(shown)
