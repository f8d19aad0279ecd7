"""Social accounts named on an author's homepage: recognise one link, canonicalise it, rate how sure we are.

OpenReview profiles have no X/Twitter or GitHub field (../shared/docs/api-facts.md, "Profiles"), so these
accounts can only be read off the links of the homepage. A page names accounts; whether an account is the
author's is a judgement made here from the page alone. When a page links one account of a platform that is
"high"; when it links several (a lab page, a person linking co-authors) none of them can be told apart from
the page, so every account of that platform is "low".
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from paperharvest.models import SocialLink
from paperharvest.normalize.github import X_HANDLE, is_github_user
from paperharvest.normalize.links import canonical_code_url

Evidence = Literal["link", "rel-me", "text"]

# rel="me" is the page saying "this account is me"; a plain link may be anyone's; a text mention is weakest.
_EVIDENCE_STRENGTH: dict[str, int] = {"text": 0, "link": 1, "rel-me": 2}
# Scholar, DBLP and YouTube channel ids are case-sensitive (YouTube's handles and names are folded to lower case
# when read); every other platform's handle compares case-insensitively.
CASE_SENSITIVE_PLATFORMS = frozenset({"scholar", "dblp", "youtube"})

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Authors often write `href="twitter.com/jdoe"`: a browser reads that as a relative path, the author meant
# the account. Only hosts we recognise get this reading, so ordinary relative links stay relative.
_BARE_SOCIAL_HOST = re.compile(
    r"(?:[a-z0-9-]+\.)*(?:twitter\.com|x\.com|github\.com|gitlab\.com|linkedin\.com|bsky\.app|orcid\.org"
    r"|scholar\.google(?:\.[a-z]{2,3}){1,2}|semanticscholar\.org|dblp\.org|dblp\.uni-trier\.de|threads\.(?:net|com)"
    r"|huggingface\.co|hf\.co|youtube\.com)(?:[/?#]|\Z)",
    re.IGNORECASE,
)
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"

_X_HOSTS = frozenset(f"{sub}{domain}" for sub in ("", "www.", "mobile.", "m.") for domain in ("twitter.com", "x.com"))
_X_RESERVED = frozenset(
    {
        "about", "account", "bookmarks", "communities", "compose", "download", "explore", "followers",
        "following", "hashtag", "help", "home", "i", "intent", "jobs", "lists", "login", "logout", "messages",
        "notifications", "oauth", "personalization", "privacy", "rules", "search", "settings", "share",
        "signup", "tos", "who_to_follow", "widgets",
    }
)  # fmt: skip
# Tabs of a profile: the same account. A post (`/<handle>/status/<id>`) may quote anyone, so it is not.
_X_PROFILE_TABS = frozenset({"with_replies", "media", "highlights", "articles"})

_GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})

_GITLAB_HOSTS = frozenset({"gitlab.com", "www.gitlab.com"})
_GITLAB_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
_GITLAB_RESERVED = frozenset(
    {"admin", "api", "dashboard", "explore", "groups", "help", "projects", "search", "users", "-"}
)

_LINKEDIN_HOST = re.compile(r"(?:(?:www|m|mobile|[a-z]{2})\.)?linkedin\.com")
_LINKEDIN_ID = re.compile(r"[\w-]{3,100}")
_LINKEDIN_ORGANISATION = frozenset({"company", "school", "showcase"})

_BLUESKY_HOSTS = frozenset({"bsky.app", "www.bsky.app"})
_BLUESKY_HANDLE = re.compile(rf"did:plc:[a-z2-7]{{24}}|{_DOMAIN}")

_SCHOLAR_HOST = re.compile(r"scholar\.google(?:\.[a-z]{2,3}){1,2}")
_SCHOLAR_ID = re.compile(r"[A-Za-z0-9_-]{12}")

_ORCID_HOSTS = frozenset({"orcid.org", "www.orcid.org"})
_ORCID_ID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx]")

_SEMANTIC_SCHOLAR_HOSTS = frozenset({"semanticscholar.org", "www.semanticscholar.org"})
_SEMANTIC_SCHOLAR_ID = re.compile(r"[0-9]{1,15}")

_DBLP_HOSTS = frozenset({"dblp.org", "www.dblp.org", "dblp.uni-trier.de", "dblp.dagstuhl.de"})
# A person's persistent id: a number or a letter, then a number or a name, `-<n>` for namesakes
# (`23/4567`, `116/1234-2`, `h/GeoffreyEHinton`).
_DBLP_PID = re.compile(r"(?:[0-9]{1,4}|[a-z])/[A-Za-z0-9_]+(?:-[0-9]+)?")
# Before pids, a person was `<last>:<first>` under a directory named by the last name's initial; dblp still
# redirects these, so the key alone names the person (`Rao:Nikhil`, `Hinton:Geoffrey_E=`).
_DBLP_NAME_KEY = re.compile(r"[A-Za-z0-9_.'=-]+:[A-Za-z0-9_.'=-]*")
_DBLP_INITIAL = re.compile(r"[a-z0-9=]")
# /pers/hd/... shows the person as HTML; the other views are the same person as BibTeX or XML.
_DBLP_VIEWS = frozenset({"hd", "hb", "hx", "hy", "xx", "xk"})

_THREADS_HOSTS = frozenset(f"{sub}{domain}" for sub in ("", "www.") for domain in ("threads.net", "threads.com"))
# Threads accounts are Instagram accounts: lower-case letters, digits, `.` and `_`, at most 30.
_THREADS_USER = re.compile(r"[a-z0-9._]{1,30}")

_HUGGINGFACE_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_YOUTUBE_HANDLE = re.compile(r"[\w.-]{3,30}")
_YOUTUBE_NAME = re.compile(r"[\w.-]{1,100}")
_YOUTUBE_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
# A channel's tabs are the channel; `/shorts/<id>`, `/watch`, `/embed/<id>` and `/playlist` are videos or lists.
_YOUTUBE_TABS = frozenset(
    {"featured", "videos", "shorts", "streams", "live", "playlists", "community", "posts", "podcasts", "about"}
)

_MASTODON_USER = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?"
_MASTODON_ACCOUNT = re.compile(rf"(?P<user>{_MASTODON_USER})(?:@(?P<instance>{_DOMAIN}))?", re.IGNORECASE)
_MASTODON_TEXT = re.compile(rf"@(?P<user>{_MASTODON_USER})@(?P<instance>{_DOMAIN})", re.IGNORECASE)
# Sites that also put accounts at /@name but are not Mastodon (or any fediverse server).
_NOT_FEDIVERSE = (
    "figma.com", "medium.com", "observablehq.com", "replit.com", "substack.com", "threads.com", "threads.net",
    "tiktok.com", "unsplash.com", "youtube.com",
)  # fmt: skip

_X_TEXT = re.compile(r"@(?P<handle>[A-Za-z0-9_]{1,15})")

# Text mentions count only next to an explicit X/Twitter label: "@name" alone is as often a conference,
# a BibTeX entry or a Mastodon account as an X handle.
_HANDLE = r"@(?P<handle>[A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])"
_TWITTER = r"(?i:twitter)"
_XNAME = r"(?:X|𝕏)"
# "Twitter", "Twitter/X", "Twitter (X)", "X/Twitter", "X (formerly Twitter)": labels that name Twitter.
_TWITTER_LABEL = (
    rf"(?:{_TWITTER}(?:\s*/\s*{_XNAME})?(?:\s*\({_XNAME}\))?"
    rf"|{_XNAME}\s*(?:/\s*{_TWITTER}|\((?i:formerly\s+)?{_TWITTER}\)))"
)
_X_MENTIONS = (
    # "Twitter: @h", "X – @h", "Twitter handle is @h", "on Twitter as @h".
    re.compile(
        rf"(?<![\w./-])(?:{_TWITTER_LABEL}|{_XNAME})(?:\s+(?i:handle|account))?"
        rf"\s*(?:[:：–—-]|(?<=\s)(?i:is|as|at)\b)\s*{_HANDLE}"
    ),
    # "Twitter @h": a label and the handle in adjacent elements read as one line. A bare "X" is too common
    # a letter for this.
    re.compile(rf"(?<![\w./-]){_TWITTER_LABEL}\s+{_HANDLE}"),
    # "@h on Twitter", "follow me @h on X".
    re.compile(rf"(?<![\w@.]){_HANDLE}\s+(?i:on)\s+(?:{_TWITTER}|{_XNAME})(?![\w-])"),
)

_CHROME_TAGS = frozenset({"header", "footer", "nav"})
_CHROME_ROLES = frozenset({"banner", "contentinfo", "navigation"})

_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def canonical_social(url_or_text: str, *, base_url: str | None = None) -> SocialLink | None:
    """One link or handle -> its platform account in canonical form, or None when it is not a profile.

    Accepts absolute URLs, scheme-less URLs of known hosts (`twitter.com/jdoe`), URLs relative to `base_url`,
    `@handle` (read as X), `@user@instance` (Mastodon) and a bare ORCID iD. Share, intent, hashtag, search,
    post, video, repository, model and organisation-page links (`github.com/orgs/...`, LinkedIn company and
    school pages) are not profiles. The result has evidence "text" for a handle written as text, "link"
    otherwise, and confidence "high": one link on its own is unambiguous.
    """
    value = url_or_text.strip()
    if match := _MASTODON_TEXT.fullmatch(value):
        return _mastodon(match["user"], match["instance"].lower(), "text")
    if match := _X_TEXT.fullmatch(value):
        return _x(match["handle"], "text")
    if _ORCID_ID.fullmatch(value):
        return _orcid(value, "text")
    return _from_href(value, base_url)


LENIENT_CHARS = 100_000


def page_soup(html: str | bytes) -> BeautifulSoup:
    """A homepage parsed as a browser would: decoded by its BOM or declared charset, read by lxml.

    lxml takes linear time on any page: BeautifulSoup's html.parser builder takes time proportional to nesting
    depth times text nodes, minutes on a hostile page of thousands of unclosed elements. lxml reads like a
    browser, so an unclosed `<title>` swallows the page; a person reading the source still sees its links, so
    when lxml finds no link at all, html.parser reads the page's first `LENIENT_CHARS` characters, few enough
    to stay fast whatever they hold. Never raises on malformed markup.
    """
    text = _decode(html) if isinstance(html, bytes) else html
    soup = BeautifulSoup(text, "lxml")
    if soup.find("a", href=True) is None and "href" in text:
        # html.parser gives up (bs4 raises ParserRejectedMarkup) on marked sections it cannot name, such as
        # `<![foo[`. Browsers read any `<![` in HTML as a bogus comment closed by the next `>`: so does `<?`.
        soup = BeautifulSoup(text[:LENIENT_CHARS].replace("<![", "<?["), "html.parser")
    return soup


def account_key(platform: str, handle: str) -> tuple[str, str]:
    """The form two spellings of one account share: case folded except where the platform's ids are
    case-sensitive."""
    return platform, handle if platform in CASE_SENSITIVE_PLATFORMS else handle.lower()


def extract_socials(html: str | bytes | BeautifulSoup, page_url: str) -> list[SocialLink]:
    """Every social account a homepage names, once each, in page order, with evidence and confidence.

    Reads `<a href>` and `<link rel="me">` (relative links resolved against `page_url`) and `@handle` text
    that the page labels as X/Twitter. Links inside a site's header, footer or navigation block that also
    links a LinkedIn company or school page belong to the institution running the site (a university
    template), not to the person, and are dropped like share buttons. Takes the page, or its `page_soup`.
    """
    soup = html if isinstance(html, BeautifulSoup) else page_soup(html)
    found: dict[tuple[str, str], SocialLink] = {}
    for link in _page_links(soup, page_url):
        key = account_key(link.platform, link.handle)
        seen = found.get(key)
        if seen is None:
            found[key] = link
        elif _EVIDENCE_STRENGTH[link.evidence] > _EVIDENCE_STRENGTH[seen.evidence]:
            found[key] = seen.model_copy(update={"evidence": link.evidence})
    accounts = Counter(platform for platform, _ in found)
    return [
        link.model_copy(update={"confidence": "high" if accounts[link.platform] == 1 else "low"})
        for link in found.values()
    ]


def _page_links(soup: BeautifulSoup, page_url: str) -> Iterator[SocialLink]:
    tags = [tag for tag in soup.find_all(["a", "link"]) if isinstance(tag, Tag)]
    institutional = _institutional(tags, page_url)
    for tag in tags:
        href = tag.get("href")
        rel_me = "me" in {value.lower() for value in tag.get_attribute_list("rel") if isinstance(value, str)}
        # <link> is mostly stylesheets, feeds and preconnects; only rel="me" there names an account.
        if not isinstance(href, str) or (tag.name == "link" and not rel_me) or id(tag) in institutional:
            continue
        link = _from_href(href, page_url)
        if link is not None:
            yield link.model_copy(update={"evidence": "rel-me"}) if rel_me else link
    for handle in _x_mentions(_visible_text(soup)):
        mention = _x(handle, "text")
        if mention is not None:
            yield mention


def _institutional(tags: list[Tag], page_url: str) -> set[int]:
    """ids of the tags inside a header, footer or navigation block that links a LinkedIn organisation page."""
    nearest_chrome: dict[int, Tag | None] = {}
    blocks = {
        id(block)
        for tag in tags
        if _is_organisation_page(tag.get("href"), page_url)
        and (block := closest(tag.parent, is_chrome, nearest_chrome)) is not None
    }
    if not blocks:
        return set()
    nearest_block: dict[int, Tag | None] = {}
    return {id(tag) for tag in tags if closest(tag.parent, lambda node: id(node) in blocks, nearest_block)}


def closest(node: Tag | None, test: Callable[[Tag], bool], memo: dict[int, Tag | None]) -> Tag | None:
    """The nearest of `node` and its ancestors that passes `test`. Sharing `memo` across calls keeps a page's
    lookups linear in its size however deeply it nests (junk pages nest 100,000 levels)."""
    path: list[int] = []
    found: Tag | None = None
    while node is not None:
        if id(node) in memo:
            found = memo[id(node)]
            break
        if test(node):
            found = node
            break
        path.append(id(node))
        node = node.parent
    for key in path:
        memo[key] = found
    return found


def is_chrome(tag: Tag) -> bool:
    """Whether `tag` is a site's header, footer or navigation block (by element or ARIA role)."""
    role = tag.get("role")
    return tag.name in _CHROME_TAGS or (isinstance(role, str) and role.strip().lower() in _CHROME_ROLES)


def _is_organisation_page(href: object, page_url: str) -> bool:
    if not isinstance(href, str) or (url := _absolute(href.strip(), page_url)) is None:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    segments = _segments(unquote(parts.path))
    return bool(_LINKEDIN_HOST.fullmatch(host) and segments and segments[0].lower() in _LINKEDIN_ORGANISATION)


def _visible_text(soup: BeautifulSoup) -> str:
    # Exact type: the subclasses are comments, scripts, styles, templates and doctypes, none of them shown.
    return " ".join(str(node) for node in soup.descendants if type(node) is NavigableString)


def _x_mentions(text: str) -> Iterator[str]:
    for pattern in _X_MENTIONS:
        for match in pattern.finditer(text):
            yield match["handle"]


def _from_href(value: str, base_url: str | None) -> SocialLink | None:
    url = _absolute(value.strip(), base_url)
    return None if url is None else _from_url(url, unwrap=True)


def _absolute(value: str, base_url: str | None) -> str | None:
    if _SCHEME.match(value):
        return value if value.split(":", 1)[0].lower() in ("http", "https") else None
    if value.startswith("//"):
        return "https:" + value
    if _BARE_SOCIAL_HOST.match(value):
        return "https://" + value
    if base_url is None:
        return None
    try:
        joined = urljoin(base_url, value)
    except ValueError:
        return None
    return joined if joined.split(":", 1)[0].lower() in ("http", "https") else None


def _from_url(url: str, *, unwrap: bool) -> SocialLink | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    path = unquote(parts.path)
    query = parse_qs(parts.query)
    # Google Sites (and Docs) send every outbound link through google.com/url?q=<target>.
    if unwrap and host in ("google.com", "www.google.com") and path == "/url":
        target = (query.get("q") or query.get("url") or [""])[0]
        return _from_url(target, unwrap=False) if target else None
    if host in _X_HOSTS:
        return _x_from_url(path, parts.fragment)
    if host in _GITHUB_HOSTS:
        return _github_from_path(path)
    if host in _GITLAB_HOSTS:
        return _gitlab_from_path(path)
    if _LINKEDIN_HOST.fullmatch(host):
        return _linkedin_from_path(path)
    if host in _BLUESKY_HOSTS:
        return _bluesky_from_path(path)
    if _SCHOLAR_HOST.fullmatch(host):
        return _scholar_from_query(path, query)
    if host in _ORCID_HOSTS:
        segments = _segments(path)
        return _orcid(segments[0], "link") if len(segments) == 1 and _ORCID_ID.fullmatch(segments[0]) else None
    if host in _SEMANTIC_SCHOLAR_HOSTS:
        return _semantic_scholar_from_path(path)
    if host in _DBLP_HOSTS:
        return _dblp_from_path(path)
    if host in _THREADS_HOSTS:
        return _threads_from_path(path)
    if host in _HUGGINGFACE_HOSTS:
        return _huggingface_from_url(url, path)
    if host in _YOUTUBE_HOSTS:
        return _youtube_from_path(path)
    return _mastodon_from_url(host, path)


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _x_from_url(path: str, fragment: str) -> SocialLink | None:
    # Pre-2012 "hashbang" URLs (twitter.com/#!/jdoe) carry the real path in the fragment.
    if path in ("", "/") and fragment.startswith("!/"):
        path = unquote(fragment[1:].split("?", 1)[0])
    segments = _segments(path)
    if len(segments) == 1 or (len(segments) == 2 and segments[1].lower() in _X_PROFILE_TABS):
        return _x(segments[0].removeprefix("@"), "link")
    return None


def _x(handle: str, evidence: Evidence) -> SocialLink | None:
    if not X_HANDLE.fullmatch(handle) or handle.lower() in _X_RESERVED:
        return None
    return _social("x", handle, f"https://x.com/{handle}", evidence)


def _github_from_path(path: str) -> SocialLink | None:
    # `/orgs/<name>/...` says outright that the account is an organisation, which no person is (like a
    # LinkedIn company page). `github.com/<name>` may be either; only GitHub's answer can tell.
    segments = _segments(path)
    if len(segments) != 1 or not is_github_user(segments[0]):
        return None
    return _social("github", segments[0], f"https://github.com/{segments[0]}", "link")


def _gitlab_from_path(path: str) -> SocialLink | None:
    segments = _segments(path)
    if len(segments) != 1 or segments[0].lower() in _GITLAB_RESERVED or not _GITLAB_USER.fullmatch(segments[0]):
        return None
    return _social("gitlab", segments[0], f"https://gitlab.com/{segments[0]}", "link")


def _linkedin_from_path(path: str) -> SocialLink | None:
    # Everything under /in/<id> (a locale, recent activity, the contact overlay) is that member's.
    segments = _segments(path)
    if len(segments) < 2 or segments[0].lower() != "in":
        return None
    member = segments[1].lower()
    if not _LINKEDIN_ID.fullmatch(member):
        return None
    return _social("linkedin", member, f"https://www.linkedin.com/in/{quote(member, safe='-_')}", "link")


def _bluesky_from_path(path: str) -> SocialLink | None:
    segments = _segments(path)
    if len(segments) != 2 or segments[0] != "profile":
        return None
    handle = segments[1].lower()
    if not _BLUESKY_HANDLE.fullmatch(handle):
        return None
    return _social("bluesky", handle, f"https://bsky.app/profile/{handle}", "link")


def _scholar_from_query(path: str, query: dict[str, list[str]]) -> SocialLink | None:
    # view_citation shows one paper on someone's profile: a work, like a repository, not the profile.
    if path.rstrip("/") != "/citations" or query.get("view_op", [""])[0] == "view_citation":
        return None
    user = query.get("user", [""])[0]
    if not _SCHOLAR_ID.fullmatch(user):
        return None
    return _social("scholar", user, f"https://scholar.google.com/citations?user={user}", "link")


def _semantic_scholar_from_path(path: str) -> SocialLink | None:
    # /author/<id> or /author/<Name-Slug>/<id>: the slug is decoration (and changes with the name).
    segments = _segments(path)
    if len(segments) not in (2, 3) or segments[0] != "author" or not _SEMANTIC_SCHOLAR_ID.fullmatch(segments[-1]):
        return None
    author = segments[-1]
    return _social("semanticscholar", author, f"https://www.semanticscholar.org/author/{author}", "link")


def _dblp_from_path(path: str) -> SocialLink | None:
    segments = _segments(path)
    if len(segments) == 3 and segments[0] == "pid":
        pid = f"{segments[1]}/{segments[2].removesuffix('.html')}"
        return _social("dblp", pid, f"https://dblp.org/pid/{pid}", "link") if _DBLP_PID.fullmatch(pid) else None
    if segments[:1] != ["pers"]:
        return None
    rest = segments[2:] if len(segments) > 1 and segments[1] in _DBLP_VIEWS else segments[1:]
    if len(rest) != 2 or not _DBLP_INITIAL.fullmatch(rest[0]):
        return None
    key = re.sub(r"\.(?:html|xml|bib)$", "", rest[1])
    if not _DBLP_NAME_KEY.fullmatch(key):
        return None
    return _social("dblp", key, f"https://dblp.org/pers/hd/{rest[0]}/{quote(key, safe=':=_.-')}", "link")


def _threads_from_path(path: str) -> SocialLink | None:
    segments = _segments(path)
    if len(segments) != 1 or not segments[0].startswith("@"):
        return None
    user = segments[0][1:].lower()
    return (
        _social("threads", user, f"https://www.threads.com/@{user}", "link") if _THREADS_USER.fullmatch(user) else None
    )


def _huggingface_from_url(url: str, path: str) -> SocialLink | None:
    # Code links and socials share one rule for what `huggingface.co/<name>` is (normalize/links.py): its
    # reserved pages (models, datasets, spaces, docs, blog, papers, ...) are not accounts, and
    # `huggingface.co/<owner>/<name>` is a model, not a person.
    if len(_segments(path)) != 1:
        return None
    code = canonical_code_url(url)
    if code is None or code.kind != "user":
        return None
    user = code.url.rsplit("/", 1)[1]
    return _social("huggingface", user, f"https://huggingface.co/{user}", "link")


def _youtube_from_path(path: str) -> SocialLink | None:
    segments = _segments(path)
    if segments and segments[0].startswith("@"):
        channel, tabs = segments[0][1:].lower(), segments[1:]
        valid = bool(_YOUTUBE_HANDLE.fullmatch(channel))
    elif len(segments) >= 2 and segments[0] == "channel":
        channel, tabs = f"channel/{segments[1]}", segments[2:]
        valid = bool(_YOUTUBE_CHANNEL_ID.fullmatch(segments[1]))
    elif len(segments) >= 2 and segments[0] in ("c", "user"):
        channel, tabs = f"{segments[0]}/{segments[1].lower()}", segments[2:]
        valid = bool(_YOUTUBE_NAME.fullmatch(segments[1]))
    else:
        return None
    if not valid or len(tabs) > 1 or (tabs and tabs[0].lower() not in _YOUTUBE_TABS):
        return None
    address = "@" + channel if segments[0].startswith("@") else channel
    return _social("youtube", channel, f"https://www.youtube.com/{quote(address, safe='@/_.-')}", "link")


def _orcid(identifier: str, evidence: Evidence) -> SocialLink | None:
    identifier = identifier.upper()
    if not _orcid_checksum_ok(identifier):
        return None
    return _social("orcid", identifier, f"https://orcid.org/{identifier}", evidence)


def _orcid_checksum_ok(identifier: str) -> bool:
    """ISO 7064 MOD 11-2 over the first 15 digits, as ORCID specifies; 10 is written X."""
    digits = identifier.replace("-", "")
    total = 0
    for digit in digits[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def _mastodon_from_url(host: str, path: str) -> SocialLink | None:
    if any(host == domain or host.endswith("." + domain) for domain in _NOT_FEDIVERSE):
        return None
    segments = _segments(path)
    if len(segments) != 1 or not segments[0].startswith("@") or not re.fullmatch(_DOMAIN, host):
        return None
    match = _MASTODON_ACCOUNT.fullmatch(segments[0][1:])
    if match is None:
        return None
    # A server shows remote accounts as /@user@their.server: the account lives on their server.
    instance = (match["instance"] or host).lower()
    return _mastodon(match["user"], instance, "link")


def _mastodon(user: str, instance: str, evidence: Evidence) -> SocialLink:
    return _social("mastodon", f"{user}@{instance}", f"https://{instance}/@{user}", evidence)


def _social(platform: str, handle: str, url: str, evidence: Evidence) -> SocialLink:
    return SocialLink(platform=platform, handle=handle, url=url, evidence=evidence, confidence="high")


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    declared = _META_CHARSET.search(data[:4096])
    encoding = _html_encoding(declared.group(1).decode("ascii")) if declared else "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except (LookupError, UnicodeError):
        # Labels that name a codec but not a text encoding ("base64", "undefined", "idna").
        return data.decode("utf-8", errors="replace")


def _html_encoding(label: str) -> str:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return "utf-8"
    # As browsers do (WHATWG Encoding): an ASCII-compatible page cannot really be UTF-16, and pages
    # labelled latin-1 or ascii are in practice windows-1252.
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    if name in ("iso8859-1", "ascii"):
        return "cp1252"
    return name
