"""Whose page is it: a homepage read for the person who listed it, before any of its links are attributed.

A page names its owner in a few places: `<title>`, `og:site_name` / `og:title`, `<meta name="author">`, a
schema.org `Person` in JSON-LD, the main `<h1>`, and the host or path of a personal site
(`cruiz.github.io`, `~cruiz`). Each place is compared with every name of the person (accents, case and word
order folded); a place that names someone else, or a lab/group, or a page listing several people, counts the
other way. The outcome is "own", "other" (another named person), "group" (a lab, a group, a page shared by
two people, an advisor's page listing the author among students) or "none" (nothing names anyone).

Pure: no I/O, no clock. The name rules (fold, name_similarity, handle_similarity) are shared with
normalize/attribution.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup
from bs4.element import Tag
from rapidfuzz import fuzz

from paperharvest.models import PageOwner
from paperharvest.normalize.arxiv_text import fold
from paperharvest.normalize.socials import page_soup

# A place on the page that names a person at or above this similarity names that person.
NAME_MATCH = 88.0
# A handle (or a personal site's host label) at or above this resembles the person's name.
HANDLE_MATCH = 85.0


# Words around a name in a title or heading that are not part of it ("Homepage of", "Página personal de").
# Folded forms. Particles like "de"/"von" are kept inside names by name_similarity's windowing anyway.
_FILLER = frozenset(
    {
        "home", "homepage", "page", "personal", "website", "site", "web", "about", "me", "welcome", "to", "of",
        "the", "my", "official", "academic", "profile", "dr", "prof", "professor", "phd", "mr", "ms", "mrs",
        "startseite", "personliche", "seite", "von", "willkommen", "accueil", "personnelle", "bienvenue",
        "pagina", "inicio", "sitio", "bienvenido", "s", "hi", "im", "i", "am", "hello", "de",
    }
)  # fmt: skip
_CJK_FILLER = ("的个人主页", "的主页", "个人主页", "主页", "のホームページ", "ホームページ", "個人主頁", "主頁")
# Words that make a place name a lab, a group or a department rather than a person. Folded.
_GROUP_WORDS = frozenset(
    {
        "lab", "labs", "laboratory", "group", "members", "people", "team", "center", "centre", "institute",
        "department", "chair", "lehrstuhl", "arbeitsgruppe", "forschungsgruppe", "equipe", "laboratoire",
        "groupe", "grupo", "laboratorio", "miembros", "mitglieder", "membres", "personnes", "students",
    }
)  # fmt: skip
_CJK_GROUP_WORDS = ("实验室", "课题组", "研究室", "研究组", "研究グループ", "研究所", "成员", "メンバー")
# Words that appear in capitalised titles but never in a person's name ("Graph Neural Networks").
_NOT_NAME_WORDS = _GROUP_WORDS | frozenset(
    {
        "research", "learning", "machine", "deep", "vision", "language", "university", "school", "college",
        "publications", "blog", "news", "projects", "teaching", "contact", "cv", "resume", "robotics",
        "intelligence", "computer", "science", "systems", "data", "ai", "ml", "nlp", "artificial", "natural",
        "processing", "graph", "neural", "networks", "faculty", "staff", "directory", "student", "and", "of",
        "for", "in", "at", "on", "with", "we", "our", "software", "engineering", "mathematics", "statistics",
        "informatik", "recherche", "investigacion", "page", "index", "untitled", "under", "construction",
        "technology", "conference", "workshop", "notes", "posts", "talks", "home", "welcome",
        # platform labels: "Google Scholar", "Semantic Scholar", "Hugging Face" are link texts, not people
        "google", "scholar", "semantic", "github", "gitlab", "linkedin", "twitter", "orcid", "dblp", "bluesky",
        "mastodon", "threads", "hugging", "face", "youtube", "email", "mail", "office", "phone", "links",
    }
)  # fmt: skip
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "le", "la", "al", "bin"})
# Two people written as one owner: "Hannah Whitcombe & Tobias Lindqvist", "Anna und Ben Meyer".
_CONNECTOR = re.compile(r"\s(?:&|and|und|et|y|e)\s|、|和|と|\s\+\s", re.IGNORECASE)
_TITLE_SPLIT = re.compile(r"\s+[-/:]\s+|\s*[|–—·•»«：]\s*|:\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CAPITALISED = re.compile(r"[^\W\d_][\w'’.-]*\Z")
# Hosts where the first label is the owner's chosen name; `path` hosts carry it in the first path segment.
_PERSONAL_HOST_SUFFIXES = (".github.io", ".gitlab.io", ".netlify.app", ".vercel.app", ".pages.dev", ".wordpress.com")
_PATH_PREFIXES = frozenset({"view", "site", "people", "person", "staff", "homes", "home", "u", "users", "members"})


def tokens(text: str) -> list[str]:
    """Folded word tokens: accents, case and compatibility forms folded, punctuation dropped."""
    # "Ruiz's homepage" names Ruiz; "O'Connor" is one word, as OpenReview often spells it "OConnor".
    return _WORD.findall(re.sub(r"['’ʼ]", "", re.sub(r"['’]s\b", "", fold(text))))


def _variants(name: str) -> list[list[str]]:
    words = tokens(name)
    if not words:
        return []
    found = [words]
    if len(words) > 2:
        found.append([words[0], words[-1]])
        found.append([words[0], words[1]])
    return found


def name_similarity(text: str, names: Sequence[str]) -> float:
    """0..100: how well some name of `names` appears inside `text`, word order and accents folded.

    Every window of the text as long as a name is compared with it (rapidfuzz token_sort_ratio), so "Homepage
    of Ruiz Garcia, Carmen" contains "Carmen Ruiz Garcia"; an initial ("C. Ruiz") scores just below a match.
    A CJK name compares exactly, spaces ignored.
    """
    words = tokens(text)
    squeezed = "".join(words)
    best = 0.0
    for name in names:
        if _CJK.search(name):
            cjk = "".join(tokens(name))
            if cjk and cjk in squeezed:
                return 100.0
            continue
        for variant in _variants(name):
            size = len(variant)
            target = " ".join(variant)
            for start in range(len(words) - size + 1):
                window = words[start : start + size]
                best = max(best, fuzz.token_sort_ratio(" ".join(window), target))
                if size == 2 and len(window[0]) == 1 and window[0] == variant[0][0]:
                    best = max(best, 0.9 * fuzz.ratio(window[1], variant[1]))
    return best


# Handle decorations that say nothing about whose it is: "carmenruiz_nlp", "dr_ruiz", "ruiz42".
_HANDLE_AFFIXES = frozenset({"ml", "ai", "nlp", "rl", "cv", "phd", "dr", "prof", "the", "official", "real", "its", "x"})


def _handle_core(handle: str) -> tuple[str, list[str]]:
    text = fold(handle).split("@", 1)[0]
    for suffix in (".bsky.social", ".com", ".org", ".net", ".me", ".io", ".dev", ".xyz"):
        text = text.removesuffix(suffix)
    parts = [p for p in re.split(r"[^a-z0-9]+", text) if p]
    kept = [p for p in parts if p not in _HANDLE_AFFIXES and not any(c.isdigit() for c in p)] or parts
    core = re.sub(r"\d+$", "", "".join(kept))
    return core, kept


# Handle words that name an organisation: "okafor-lab", "rll_group", "corl_conf".
_ORGANISATION_HANDLE_WORDS = frozenset(
    {"lab", "labs", "group", "team", "org", "conf", "conference", "workshop", "society", "news", "hq", "center"}
)


def handle_names_organisation(handle: str) -> bool:
    """Whether a handle spells an organisation: one of its parts is "lab", "group", "conf"..."""
    return bool(set(_handle_core(handle)[1]) & _ORGANISATION_HANDLE_WORDS) or any(
        fold(handle).endswith(word) for word in ("lab", "labs", "group", "conf")
    )


def handle_similarity(handle: str, names: Sequence[str]) -> float:
    """0..100: how much a handle looks like one of `names` ("alexrenda_ml", "arenda", "renda-alex-4b1" for
    Alex Renda). Forms tried: given+surname, surname+given, initial+surname, given+initial, the whole name;
    a surname alone scores below the match line unless long, a given name alone further below."""
    core, parts = _handle_core(handle)
    if len(core) < 3 or handle_names_organisation(handle):
        return 0.0
    best = 0.0
    for name in names:
        words = [w for w in tokens(name) if not _CJK.search(w)]
        if not words:
            continue
        given, surname = words[0], "".join(w for w in words[1:] if w not in _PARTICLES) or words[-1]
        last = words[-1]
        strong = {
            given + surname, surname + given, given[0] + surname, given + surname[0], surname + given[0],
            "".join(words), given + last, given[0] + last, last + given, "".join(w[0] for w in words[:-1]) + last,
        }  # fmt: skip
        for form in strong:
            if len(form) < 4:
                continue
            if core == form:
                return 100.0
            if len(form) >= 6 and (core.startswith(form) or core.endswith(form)):
                best = max(best, 92.0)
            best = max(best, float(fuzz.ratio(core, form)))
        for single, ceiling in ((last, 86.0 if len(last) >= 6 else 80.0), (surname, 80.0), (given, 70.0)):
            if core == single or single in parts:
                best = max(best, ceiling)
    return best


@dataclass(frozen=True)
class _Place:
    source: str
    text: str
    weight: float


def _meta(soup: BeautifulSoup, key: str) -> str | None:
    tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
    content = tag.get("content") if isinstance(tag, Tag) else None
    return content.strip() if isinstance(content, str) and content.strip() else None


def json_ld_people(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Every schema.org Person object in the page's JSON-LD (also inside @graph and as a WebPage's about)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "Person" in kinds and isinstance(node.get("name"), str):
                found.append(node)
            for key in ("@graph", "about", "mainEntity", "author"):
                walk(node.get(key))

    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            walk(json.loads(script.get_text()))
        except ValueError:
            continue
    return found


def _places(soup: BeautifulSoup, url: str) -> Iterator[_Place]:
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    parts = [p for p in _TITLE_SPLIT.split(title) if p.strip()]
    for index, part in enumerate(parts):
        yield _Place("title", part, 2.0 if index == 0 else 1.0)
    for key, weight in (("og:site_name", 1.5), ("og:title", 1.0), ("author", 1.0)):
        if value := _meta(soup, key):
            yield _Place(key, _TITLE_SPLIT.split(value)[0], weight)
    for person in json_ld_people(soup):
        yield _Place("json-ld", person["name"], 3.0)
    heading = soup.find("h1")
    if isinstance(heading, Tag) and (text := heading.get_text(" ", strip=True)):
        yield _Place("h1", text, 2.0)
    canonical = soup.find("link", rel="canonical")
    href = canonical.get("href") if isinstance(canonical, Tag) else None
    if label := site_label(href if isinstance(href, str) else url):
        yield _Place("host", label, 1.0)


def site_label(url: str) -> str | None:
    """The owner's chosen name in a personal site's address: `cruiz` of cruiz.github.io,
    sites.google.com/view/cruiz, www.uni.edu/~cruiz or /people/cruiz; None for any other address."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for suffix in _PERSONAL_HOST_SUFFIXES:
        if host.endswith(suffix) and host.count(".") == suffix.count("."):
            return host.removesuffix(suffix)
    for index, segment in enumerate(segments):
        if segment.startswith("~") and len(segment) > 1:
            return segment[1:]
        if segment in _PATH_PREFIXES and index + 1 < len(segments):
            return segments[index + 1].removesuffix(".html")
    return None


def _clean(text: str) -> list[str]:
    """The words of a place that could be a name: fillers, parentheses and CJK fillers removed."""
    text = re.sub(r"\([^)]*\)|（[^）]*）", " ", text)
    for filler in _CJK_FILLER:
        text = text.replace(filler, " ")
    return [w for w in re.split(r"\s+", text.replace("’s", "").replace("'s", "")) if w and tokens(w)]


def looks_like_name(text: str, *, cjk: bool = True) -> bool:
    """A place that reads as one person's name: 2 to 4 capitalised words (particles aside) that are not
    topic, place, platform or group words; with `cjk`, also 2 to 4 Han characters alone. A heading can be a
    CJK name; a CJK link text ("谷歌学术", "微博") too rarely is for a member list to count it."""
    words = [w for w in _clean(text) if not set(tokens(w)) <= _FILLER]
    if len(words) == 1 and _CJK.match(words[0]):
        return cjk and bool(re.fullmatch(r"[\u3400-\u9fff]{2,4}", words[0]))
    if not 2 <= len(words) <= 4:
        return False
    for word in words:
        folded = tokens(word)
        if any(ch.isdigit() for ch in word) or any(t in _NOT_NAME_WORDS for t in folded):
            return False
        if "".join(folded) in _PARTICLES:
            continue
        if not _CAPITALISED.match(word) or not word[0].isupper():
            return False
    return True


def _is_group(text: str) -> bool:
    return bool(set(tokens(text)) & _GROUP_WORDS) or any(word in text for word in _CJK_GROUP_WORDS)


# Elements whose whole text may be one listed person's name (a member card, a list of students). Links are
# left out: a link's text is judged where the link is (attribution), and a linked phrase ("Minimal
# Mistakes", a theme's name) in a footer is not a member.
_NAME_TAGS = ("li", "h2", "h3", "h4", "h5", "h6", "strong", "b", "figcaption", "dt", "td", "span", "div", "p")
_PARENTHESIS = re.compile(r"\(([^)]*)\)|（([^）]*)）")


def listed_names(soup: BeautifulSoup) -> list[tuple[Tag, str]]:
    """Elements whose own text is one person's name, in page order: a member card's heading, a list item
    "Jane Doe (PhD student)", "Jane Doe, PhD student" or "李明 (Ming Li) 教授". Publication entries (many
    names, a title) are not."""
    found: list[tuple[Tag, str]] = []
    for tag in soup.find_all(_NAME_TAGS):
        if not isinstance(tag, Tag) or tag.find(_NAME_TAGS[:8]) is not None:
            continue
        text = tag.get_text(" ", strip=True)
        if not text or len(text) > 80:
            continue
        head = _PARENTHESIS.sub("", text).split(",")[0].split(" – ")[0].split(" - ")[0].strip()
        rest = text[len(head) :]
        if head and rest.count(",") <= 1 and looks_like_name(head, cjk=False):
            found.append((tag, head))
            continue
        inner = next((m[1] or m[2] for m in _PARENTHESIS.finditer(text) if looks_like_name(m[1] or m[2])), None)
        if inner and text.count(",") <= 1:
            found.append((tag, inner))
    return found


def page_owner(html: str, url: str, person_names: Sequence[str]) -> PageOwner:
    """Whose page `html` (served at `url`) is, for the person whose profile names are `person_names`."""
    return owner_of(page_soup(html), url, person_names)


def owner_of(soup: BeautifulSoup, url: str, person_names: Sequence[str]) -> PageOwner:
    """page_owner on an already parsed page (attribution parses each page once)."""
    own = other = group = 0.0
    shared = False
    evidence: list[str] = []
    owner: str | None = None
    other_name: str | None = None
    best = 0.0
    for place in _places(soup, url):
        if place.source == "host":
            score = handle_similarity(place.text, person_names)
            best = max(best, score)
            if score >= HANDLE_MATCH:
                own += place.weight
                evidence.append("host:own")
            else:
                # Recorded, not counted: nicknames, projects and labs name personal sites too.
                evidence.append("host:other")
            continue
        score = name_similarity(place.text, person_names)
        best = max(best, score)
        if (pair := _people_named(place.text)) is not None:
            if any(name_similarity(name, person_names) >= NAME_MATCH for name in pair):
                shared = True
                owner = owner or place.text
                evidence.append(f"{place.source}:shared")
            else:
                other += place.weight
                other_name = other_name or place.text
                evidence.append(f"{place.source}:other")
        elif score >= NAME_MATCH:
            own += place.weight
            owner = owner or " ".join(_clean(place.text))
            evidence.append(f"{place.source}:own")
            if _is_group(place.text) and place.weight >= 1.5:
                group += place.weight
                evidence.append(f"{place.source}:group")
        elif _is_group(place.text):
            group += place.weight
            evidence.append(f"{place.source}:group")
        elif looks_like_name(place.text):
            other += place.weight
            other_name = other_name or " ".join(_clean(place.text))
            evidence.append(f"{place.source}:other")
    listed = {fold(name): name for _, name in listed_names(soup)}
    listed_self = any(name_similarity(name, person_names) >= NAME_MATCH for name in listed.values())
    if len(listed) >= 3:
        evidence.append("members:listed")
        if not own:
            group += 2.0
    if listed_self:
        evidence.append("members:self")
    evidence = sorted(set(evidence))
    if shared:
        return PageOwner(outcome="group", owner=owner, score=best, evidence=evidence)
    if own and own >= other + group:
        return PageOwner(outcome="own", owner=owner, score=best, evidence=evidence)
    if group and (group >= other or listed_self):
        return PageOwner(outcome="group", owner=owner or other_name, score=best, evidence=evidence)
    if other:
        return PageOwner(outcome="other", owner=other_name, score=best, evidence=evidence)
    return PageOwner(outcome="none", owner=None, score=best, evidence=evidence)


def _people_named(text: str) -> list[str] | None:
    """The people a place names across a connector ("Hannah Whitcombe & Tobias Lindqvist"; "Anna und Ben
    Meyer" names Anna Meyer and Ben Meyer), or None when it does not name two or more people."""
    pieces = [piece.strip() for piece in _CONNECTOR.split(text) if piece.strip()]
    if len(pieces) < 2:
        return None
    last = pieces[-1].split()
    if len(last) >= 2 and all(len(piece.split()) == 1 for piece in pieces[:-1]):
        pieces = [f"{piece} {last[-1]}" for piece in pieces[:-1]] + [pieces[-1]]
    return pieces if all(looks_like_name(piece) for piece in pieces) else None
