"""Code links: URLs to code, models, data and project pages, in one canonical form, from every source.

`canonical_code_url` turns one URL into a canonical URL plus what it points at; `find_urls` pulls URLs out of
free text and markdown; the `code_links_*` functions turn what one source says (a note's content, a Hugging
Face or paperswithcode.co payload) into CodeLinkCandidate records. Nothing here does I/O: a shortened link
stays shortened, a Google Drive id stays a file-or-folder id, because finding out would need a request.

Canonical form, and why:
- GitHub `https://github.com/<owner>/<repo>`, owner and repo lower-cased: GitHub resolves names without regard
  to case, and the same repository arrives spelt differently from OpenReview, Hugging Face and paperswithcode,
  so only a lower-cased key deduplicates them. The lower-cased URL still opens the repository.
- GitLab and Hugging Face keep their case (not shown to be case-insensitive); Bitbucket slugs are lower-case.
- Everything a repository link points into (`/tree/...`, `/blob/...`, `/-/...`, `/src/...`) is cut off and kept
  as CodeUrl.subpath; `.git`, queries, fragments, `www.` and trailing punctuation go.
- Known platforms are rewritten to https. An unrecognised site keeps its scheme, `www.` and path, because
  nothing proves the rewritten URL would still answer; only its fragment and tracking parameters go.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from paperharvest.models import CodeKind, CodeLinkCandidate, CodeLinkSource, CodeUrl
from paperharvest.normalize.github import GITHUB_RESERVED, is_github_user
from paperharvest.normalize.values import content_value

__all__ = [
    "CodeKind",
    "CodeLinkSource",
    "canonical_code_url",
    "code_links_from_hf",
    "code_links_from_note",
    "code_links_from_pwc",
    "code_links_from_text",
    "find_urls",
    "merge_code_links",
    "tldr_from_s2",
]


# Characters that end a sentence or close a bracket around a URL rather than belong to it. CJK punctuation is
# here because Chinese-language text puts it straight after a URL with no space.
_TRAILING = set(".,;:!?&'\"*`\u3002\uff0c\u3001\uff1b\uff1a\uff01\uff1f\u201d\u2019")
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_LEADING = "<([{'\"`*"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"

# Query parameters that only say where a click came from.
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_hsenc|_hsmi|usp)$", re.I)

# Hosts whose URLs we also recognise without a scheme (`github.com/x/y` in an abstract).
_BARE_HOSTS = (
    r"(?:gist\.)?github\.com|[a-z0-9-]+\.github\.io|gitlab\.com|bitbucket\.org|huggingface\.co|hf\.co"
    r"|(?:drive|colab\.research|sites)\.google\.com|(?:www\.)?dropbox\.com|zenodo\.org|figshare\.com"
    r"|anonymous\.4open\.science|osf\.io"
)
# RFC 3986 characters less the quote, brackets and backslash, which in prose and markup end a URL. ASCII only:
# text in other scripts often runs straight on from a URL, and code hosts do not use non-ASCII paths.
_URL_CHAR = r"[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]"
_FIND = re.compile(
    rf"(?:https?|ftp)://{_URL_CHAR}+"
    rf"|(?<![\w@.:/\-])(?:www\.)?(?:{_BARE_HOSTS})/{_URL_CHAR}+"
    rf"|(?<![\w@.:/\-])www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+{_URL_CHAR}*",
    re.IGNORECASE,
)
# Two URLs written with only a comma or semicolon between them.
_GLUED = re.compile(r"(?<=[,;])(?=(?:https?|ftp)://)", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_BARE = re.compile(rf"^(?:www\.)?(?:{_BARE_HOSTS})(?:[/?#]|$)", re.IGNORECASE)
_BARE_WWW = re.compile(r"^www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[:/?#]|$)", re.IGNORECASE)
_SSH = re.compile(r"^(?:ssh://)?git@([a-z0-9.-]+)[:/](.+)$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$")

# Link shorteners: the target is unknown until someone follows the link, which a pure function cannot.
_SHORTENERS = frozenset(
    {
        "bit.ly", "bitly.com", "goo.gl", "tinyurl.com", "tiny.cc", "t.co", "ow.ly", "is.gd", "v.gd", "buff.ly",
        "rb.gy", "cutt.ly", "shorturl.at", "git.io", "t.ly", "s.id", "reurl.cc", "lnkd.in", "dwz.cn", "urlz.fr",
    }
)  # fmt: skip
# File hosts that need no special handling: path and (non-tracking) query are kept as the key to the file.
_FILE_HOSTS = {
    "sendspace.com": "sendspace",
    "tinyupload.com": "tinyupload",
    "anonfile.com": "anonfile",
    "anonfiles.com": "anonfile",
    "mediafire.com": "mediafire",
    "wetransfer.com": "wetransfer",
    "we.tl": "wetransfer",
    "box.com": "box",
    "onedrive.live.com": "onedrive",
    "1drv.ms": "onedrive",
    "pan.baidu.com": "baidu-pan",
    "figshare.com": "figshare",
    "mega.nz": "mega",
    "mega.co.nz": "mega",
    "mega.io": "mega",
}
# Static-site hosts whose sites are project pages.
_PAGE_HOSTS = {
    "github.io": "github-pages",
    "gitlab.io": "gitlab-pages",
    "bitbucket.io": "bitbucket-pages",
    "readthedocs.io": "readthedocs",
}
_CATALOG_HOSTS = {
    "catalyzex.com": "catalyzex",
    "paperswithcode.com": "paperswithcode",
    "paperswithcode.co": "paperswithcode",
}
# Where papers, not code, live. Free text cites them all the time; they are never a code link.
_PAPER_HOSTS = {"arxiv.org": "arxiv", "export.arxiv.org": "arxiv", "openreview.net": "openreview"}

_GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# Views of a branch (or commit) and a path in it: `.../tree/<branch>/<path>` keeps `<branch>/<path>` as subpath.
_GITHUB_DEEP = frozenset({"tree", "blob", "raw", "blame", "commits", "edit"})
_GITLAB_DEEP = frozenset(
    {"tree", "blob", "raw", "commits", "commit", "issues", "merge_requests", "wikis", "tags", "branches", "archive"}
)
_GITLAB_RESERVED = frozenset({"explore", "help", "dashboard", "search", "projects", "admin", "api", "-"})
_GITLAB_SEGMENT = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")
_BITBUCKET_RESERVED = frozenset({"account", "dashboard", "product", "repo", "site", "support", "blog", "socialauth"})
_HF_RESERVED = frozenset(
    {
        "docs", "blog", "papers", "collections", "organizations", "settings", "login", "join", "pricing", "api",
        "search", "tasks", "learn", "chat", "posts", "models", "enterprise", "welcome", "new", "new-space",
        "new-dataset", "notifications", "course", "huggingchat", "inference-api", "changelog", "terms-of-service",
        "privacy", "hardware", "inference-endpoints", "spaces", "datasets", "pro", "languages", "leaderboard",
    }
)  # fmt: skip
_HF_DEEP = frozenset(
    {"tree", "blob", "resolve", "raw", "viewer", "discussions", "commits", "commit", "edit", "settings", "community"}
)
_HF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_ID = re.compile(r"^[\w-]+$")
_SLUG = re.compile(r"^[\w.-]+$")

# A repository link in prose written by the authors (abstract, arXiv comment) is taken to be their own code.
_CODE_HOSTS = frozenset({"github", "gitlab", "bitbucket"})


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    fragment: str

    @property
    def segments(self) -> list[str]:
        """Decoded path segments, for names a handler checks before it builds a URL from them."""
        # Any segment may end up last in a rebuilt URL, so each is trimmed as the end of a URL would be.
        return [part for s in self.path.split("/") if (part := _strip_trailing(unquote(s)))]

    @property
    def raw_segments(self) -> list[str]:
        """Path segments still percent-encoded, for rebuilding a path nobody checked (`%2F` stays `%2F`)."""
        return [part for s in self.path.split("/") if (part := _strip_trailing(s))]

    def query_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for item in self.query.split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((unquote(name), value))
        return pairs

    def param(self, name: str) -> str | None:
        return next((unquote(v) for k, v in self.query_pairs() if k == name), None)


def _strip_trailing(text: str) -> str:
    while text:
        last = text[-1]
        # A closing bracket stays when the URL opened it: `wiki/Sort_(c++)` but not `(see github.com/x/y)`.
        unbalanced = last in _CLOSERS and text.count(last) > text.count(_CLOSERS[last])
        if not (last in _TRAILING or last.isspace() or last in _INVISIBLE or unbalanced):
            break
        text = text[:-1]
    return text


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return False
    return not labels[-1].isdigit()


def _parse(url: str) -> _Url | None:
    if not isinstance(url, str):
        return None
    text = url.strip().strip(_INVISIBLE).strip()
    text = text.lstrip(_LEADING)
    text = _strip_trailing(text)
    if not text or any(ch.isspace() for ch in text):
        return None
    if ssh := _SSH.match(text):
        text = f"https://{ssh.group(1)}/{ssh.group(2)}"
    elif text.lower().startswith("git+"):
        text = text[4:]
    if text.lower().startswith("git://"):
        text = "https://" + text[6:]
    scheme_match = _SCHEME.match(text)
    if scheme_match is None:
        # Without a scheme only a known code host or a www. name is taken for a URL: "model.py" is not one.
        if not (_BARE.match(text) or _BARE_WWW.match(text)):
            return None
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "ftp"):
        return None
    # hostname is lower-cased and has any user:password@ removed: credentials must never reach the database.
    host = (parts.hostname or "").rstrip(".")
    if not host or not _valid_host(host):
        return None
    if port in (80, 443):
        port = None
    # The path may end in punctuation that a fragment or query hid from the first trim (`.../repo.#readme`).
    path = _strip_trailing(parts.path) if parts.query or parts.fragment else parts.path
    return _Url(scheme, host, port, path, parts.query, parts.fragment)


def _without_www(host: str) -> str:
    while host.startswith("www.") and host.count(".") > 1:
        host = host[4:]
    return host


def _clean_query(url: _Url, keep: Callable[[str], bool] | None = None) -> str:
    items = []
    for item in url.query.split("&"):
        name = unquote(item.partition("=")[0])
        if item and not _TRACKING.match(name) and (keep is None or keep(name)):
            items.append(item)
    return "&".join(items)


def _page(
    url: _Url,
    kind: CodeKind,
    platform: str | None,
    *,
    host: str | None = None,
    https: bool = True,
    query: bool = True,
    fragment: bool = False,
) -> CodeUrl:
    """The URL as given, tidied: for pages and files whose whole path (and maybe query) is the address."""
    scheme = "https" if https else url.scheme
    netloc = host or url.host
    if url.port is not None and host is None:
        netloc += f":{url.port}"
    q = _clean_query(url) if query else ""
    frag = url.fragment if fragment else ""
    path = url.path
    if not q and not frag:
        path = _strip_trailing(path)
    if path == "/" and not q and not frag:
        path = ""
    text = f"{scheme}://{netloc}{path}"
    if q:
        text += "?" + q
    if frag:
        text += "#" + frag
    # Dropping a fragment or a tracking parameter can leave punctuation at the end that parsing again would trim.
    return CodeUrl(url=_strip_trailing(text), kind=kind, platform=platform)


def _subpath(rest: list[str]) -> str | None:
    return "/".join(rest) or None


def _strip_git(name: str) -> str:
    name = _strip_trailing(name)
    while name.lower().endswith(".git"):
        name = _strip_trailing(name[:-4])
    return name


def _gitlab_name(name: str) -> bool:
    return bool(_GITLAB_SEGMENT.match(name)) and name not in (".", "..")


def _github_repo(segs: list[str]) -> CodeUrl | None:
    """`owner/repo/...` segments of any GitHub URL form."""
    # `repo.git@v1.0` is pip's spelling of a pinned checkout; `@` cannot occur in a repository name.
    owner, repo = segs[0], _strip_git(segs[1].partition("@")[0])
    if not is_github_user(owner) or not _GITHUB_REPO.match(repo) or repo in (".", ".."):
        return None
    rest = segs[2:]
    deep = _subpath(rest[1:]) if rest and rest[0] in _GITHUB_DEEP else None
    return CodeUrl(
        url=f"https://github.com/{owner.lower()}/{repo.lower()}", kind="repository", platform="github", subpath=deep
    )


def _github_user(owner: str) -> CodeUrl | None:
    if not is_github_user(owner):
        return None
    return CodeUrl(url=f"https://github.com/{owner.lower()}", kind="user", platform="github")


def _github(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if segs and segs[-1].lower() == ".git":
        segs = segs[:-1]
    if not segs:
        return CodeUrl(url="https://github.com", kind="other", platform="github")
    first = segs[0].lower()
    if first in ("orgs", "users", "sponsors") and len(segs) >= 2:
        return _github_user(segs[1])
    if first in GITHUB_RESERVED:
        return _page(url, "other", "github", host="github.com", query=False)
    if len(segs) == 1:
        return _github_user(_strip_trailing(segs[0]))
    return _github_repo(segs)


def _github_api(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) >= 3 and segs[0] == "repos":
        return _github_repo(segs[1:])
    if len(segs) == 2 and segs[0] in ("users", "orgs"):
        return _github_user(segs[1])
    return _page(url, "other", "github", query=False)


def _raw_github(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) < 2:
        return None
    found = _github_repo(segs[:2])
    if found is None:
        return None
    return found.model_copy(update={"subpath": _subpath(segs[2:])})


_GIST_ID = re.compile(r"^(?:[0-9a-f]{20,}|\d+)$", re.IGNORECASE)


def _gist(url: _Url) -> CodeUrl | None:
    segs = [_strip_git(s) for s in url.segments]
    if segs and segs[-1].endswith(".js"):  # the <script> embed form of a gist
        segs[-1] = segs[-1][:-3]
    if not segs:
        return CodeUrl(url="https://gist.github.com", kind="other", platform="github")
    if _GIST_ID.match(segs[0]):
        return CodeUrl(url=f"https://gist.github.com/{segs[0].lower()}", kind="gist", platform="github")
    if not is_github_user(segs[0]):
        return None
    user = segs[0].lower()
    if len(segs) >= 2 and _GIST_ID.match(segs[1]):
        return CodeUrl(url=f"https://gist.github.com/{user}/{segs[1].lower()}", kind="gist", platform="github")
    return CodeUrl(url=f"https://gist.github.com/{user}", kind="user", platform="github")


def _gitlab(url: _Url) -> CodeUrl | None:
    full = url.segments
    segs = full[: full.index("-")] if "-" in full else full
    # Links from before GitLab moved its views under /-/ have them straight after the project.
    cut = next((i for i, s in enumerate(segs) if i >= 2 and s in _GITLAB_DEEP), None)
    segs = segs if cut is None else segs[:cut]
    scheme = "https" if url.host == "gitlab.com" else url.scheme
    base = f"{scheme}://{url.host}"
    if not segs:
        return CodeUrl(url=base, kind="other", platform="gitlab")
    first = segs[0].lower()
    if first in ("users", "groups") and len(segs) >= 2:
        # users/<name> is one name; a nested group keeps its groups/ prefix, or it would read as a project.
        names = segs[1:2] if first == "users" or len(segs) == 2 else segs[1:]
        if not all(_gitlab_name(s) for s in names):
            return None
        prefix = "groups/" if len(names) > 1 else ""
        return CodeUrl(url=f"{base}/{prefix}{'/'.join(names)}", kind="user", platform="gitlab")
    if first in _GITLAB_RESERVED:
        return _page(url, "other", "gitlab", https=scheme == "https", query=False)
    segs = [*segs[:-1], _strip_git(segs[-1])]
    if not all(_gitlab_name(s) for s in segs):
        return None
    rest = full[len(segs) :]
    if rest[:1] == ["-"]:
        rest = rest[1:]
    deep = _subpath(rest[1:]) if rest and rest[0] in ("tree", "blob", "raw") else None
    # A two-level path may also be a subgroup rather than a project; only a request could tell.
    kind: CodeKind = "user" if len(segs) == 1 else "repository"
    return CodeUrl(url=f"{base}/{'/'.join(segs)}", kind=kind, platform="gitlab", subpath=deep)


def _bitbucket(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if not segs:
        return CodeUrl(url="https://bitbucket.org", kind="other", platform="bitbucket")
    first = segs[0].lower()
    if first == "snippets" and len(segs) >= 3 and _SLUG.match(segs[1]) and _SLUG.match(segs[2]):
        return CodeUrl(
            url=f"https://bitbucket.org/snippets/{segs[1].lower()}/{segs[2]}", kind="gist", platform="bitbucket"
        )
    if first in _BITBUCKET_RESERVED or first == "snippets":
        return _page(url, "other", "bitbucket", query=False)
    workspace = segs[0].lower()
    if not _gitlab_name(workspace):
        return None
    if len(segs) == 1:
        return CodeUrl(url=f"https://bitbucket.org/{workspace}", kind="user", platform="bitbucket")
    repo = _strip_git(segs[1]).lower()
    if not _gitlab_name(repo):
        return None
    rest = segs[2:]
    deep = _subpath(rest[1:]) if rest and rest[0] in ("src", "raw") else None
    return CodeUrl(
        url=f"https://bitbucket.org/{workspace}/{repo}", kind="repository", platform="bitbucket", subpath=deep
    )


def _huggingface(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if not segs:
        return CodeUrl(url="https://huggingface.co", kind="other", platform="huggingface")
    first = segs[0]
    if first == "papers" and len(segs) >= 2 and _SLUG.match(segs[1]):
        return CodeUrl(url=f"https://huggingface.co/papers/{segs[1]}", kind="catalog", platform="huggingface")
    kind: CodeKind
    if first in ("datasets", "spaces"):
        prefix, rest = f"{first}/", segs[1:]
        kind = "dataset" if first == "datasets" else "space"
    elif first in _HF_RESERVED:
        return _page(url, "other", "huggingface", host="huggingface.co", query=False)
    else:
        prefix, rest, kind = "", segs, "model"
    if not rest:
        return _page(url, "other", "huggingface", host="huggingface.co", query=False)
    # `<owner>/<name>` today; a single name is a legacy root-level repo (`bert-base-uncased`, `datasets/squad`).
    if len(rest) >= 2 and rest[1] not in _HF_DEEP:
        repo_id, tail = rest[:2], rest[2:]
    else:
        repo_id, tail = rest[:1], rest[1:]
    if not all(_HF_NAME.match(part) for part in repo_id):
        return None
    if kind == "model" and len(repo_id) == 1:
        # `huggingface.co/<name>` is a user or organisation page. It may be a root-level model from before 2024
        # (`gpt2/resolve/...`), since moved under an organisation; the kind must depend on the canonical URL
        # alone, or canonicalising twice would change it, so such a link is labelled by what the URL is today.
        kind = "user"
    deep = _subpath(tail[1:]) if tail and tail[0] in ("tree", "blob", "resolve", "raw") else None
    return CodeUrl(
        url=f"https://huggingface.co/{prefix}{'/'.join(repo_id)}", kind=kind, platform="huggingface", subpath=deep
    )


def _google_drive(url: _Url) -> CodeUrl | None:
    segs = url.segments
    # Post-2021 shared links only open with their resourcekey.
    resource_key = url.param("resourcekey")
    suffix = f"?resourcekey={resource_key}" if resource_key else ""
    base = "https://drive.google.com"
    if len(segs) >= 3 and segs[0] == "file" and segs[1] == "d" and _ID.match(segs[2]):
        return CodeUrl(url=f"{base}/file/d/{segs[2]}{suffix}", kind="file-share", platform="google-drive")
    if "folders" in segs:
        i = segs.index("folders")
        if i + 1 < len(segs) and _ID.match(segs[i + 1]):
            return CodeUrl(
                url=f"{base}/drive/folders/{segs[i + 1]}{suffix}", kind="file-share", platform="google-drive"
            )
    file_id = url.param("id")
    if file_id and _ID.match(file_id):
        if segs[:1] == ["uc"]:  # a direct download: always a file
            return CodeUrl(url=f"{base}/file/d/{file_id}{suffix}", kind="file-share", platform="google-drive")
        # open?id= serves files and folders alike: which one it is cannot be told from the URL.
        rk = f"&resourcekey={resource_key}" if resource_key else ""
        return CodeUrl(url=f"{base}/open?id={file_id}{rk}", kind="file-share", platform="google-drive")
    return _page(url, "file-share", "google-drive")


def _google_docs(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) >= 3 and segs[0] in ("document", "spreadsheets", "presentation", "drawings"):
        rest = segs[1:]
        if rest[0] == "u" and len(rest) >= 2:  # /u/0/d/<id>: which signed-in account opened it
            rest = rest[2:]
        if len(rest) >= 2 and rest[0] == "d" and _ID.match(rest[1]):
            resource_key = url.param("resourcekey")
            suffix = f"?resourcekey={resource_key}" if resource_key else ""
            return CodeUrl(
                url=f"https://docs.google.com/{segs[0]}/d/{rest[1]}{suffix}", kind="file-share", platform="google-docs"
            )
    return _page(url, "file-share", "google-docs")


def _colab(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) >= 2 and segs[0] == "drive" and _ID.match(segs[1]):
        return CodeUrl(url=f"https://colab.research.google.com/drive/{segs[1]}", kind="file-share", platform="colab")
    if len(segs) >= 3 and segs[0] == "github":
        # A notebook Colab opens from GitHub: the code is that repository.
        return _github(replace(url, host="github.com", path="/" + "/".join(segs[1:]), query="", fragment=""))
    return _page(url, "other", "colab", query=False)


def _dropbox(url: _Url) -> CodeUrl | None:
    # rlkey is the secret half of a post-2023 /scl/ link; dl, e and st only steer the download page.
    query = _clean_query(url, keep=lambda name: name == "rlkey")
    path = "".join(f"/{part}" for part in url.raw_segments)
    text = f"https://dropbox.com{path}" + (f"?{query}" if query else "")
    return CodeUrl(url=_strip_trailing(text), kind="file-share", platform="dropbox")


def _anonymous_github(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) >= 2 and segs[0] in ("r", "repository"):
        repo = segs[1]
    elif len(segs) >= 3 and segs[:2] == ["api", "repo"]:
        repo = segs[2]
    else:
        return _page(url, "file-share", "anonymous-github", query=False)
    if not _ID.match(repo):
        return None
    return CodeUrl(url=f"https://anonymous.4open.science/r/{repo}", kind="file-share", platform="anonymous-github")


def _zenodo(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) >= 2 and segs[0] in ("record", "records") and segs[1].isdigit():
        # /record/ is the pre-2023 spelling, redirected to /records/.
        return CodeUrl(url=f"https://{url.host}/records/{segs[1]}", kind="file-share", platform="zenodo")
    if segs[:1] == ["badge"]:
        return _page(url, "other", "zenodo", query=False)
    return _page(url, "file-share", "zenodo", query=False)


def _doi(url: _Url) -> CodeUrl | None:
    doi = _strip_trailing(unquote(url.path.lstrip("/")))
    if not doi.startswith("10."):
        return None
    text = f"https://doi.org/{doi}"
    lowered = doi.lower()
    if lowered.startswith("10.5281/zenodo."):
        return CodeUrl(url=text, kind="file-share", platform="zenodo")
    if lowered.startswith("10.6084/m9.figshare."):
        return CodeUrl(url=text, kind="file-share", platform="figshare")
    return CodeUrl(url=text, kind="other", platform="doi")


def _osf(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if segs and re.fullmatch(r"[a-z0-9]{5}", segs[0], re.IGNORECASE):
        return CodeUrl(url=f"https://osf.io/{segs[0].lower()}", kind="file-share", platform="osf")
    return _page(url, "file-share", "osf", query=False)


def _kaggle(url: _Url) -> CodeUrl | None:
    segs = url.segments
    if len(segs) >= 3 and segs[0] == "datasets" and _SLUG.match(segs[1]) and _SLUG.match(segs[2]):
        return CodeUrl(url=f"https://kaggle.com/datasets/{segs[1]}/{segs[2]}", kind="dataset", platform="kaggle")
    return _page(url, "other", "kaggle", host="kaggle.com", query=False)


def _suffix_match(host: str, table: Mapping[str, str]) -> tuple[str, str] | None:
    for suffix, platform in table.items():
        if host == suffix or host.endswith("." + suffix):
            return suffix, platform
    return None


def _classify(url: _Url) -> CodeUrl | None:
    host = url.host
    bare = _without_www(host)
    if bare == "github.com":
        return _github(url)
    if bare == "gist.github.com" or host == "gist.githubusercontent.com":
        return _gist(url)
    if host in ("raw.githubusercontent.com", "raw.github.com"):
        return _raw_github(url)
    if host == "api.github.com":
        return _github_api(url)
    if bare == "gitlab.com" or (host.startswith("gitlab.") and not host.endswith(".gitlab.io")):
        return _gitlab(replace(url, host=bare, port=None))
    if bare == "bitbucket.org":
        return _bitbucket(url)
    if bare in ("huggingface.co", "hf.co"):
        return _huggingface(url)
    if host == "drive.google.com":
        return _google_drive(url)
    if host == "docs.google.com":
        return _google_docs(url)
    if host == "colab.research.google.com":
        return _colab(url)
    if host == "sites.google.com":
        return _page(url, "project-page", "google-sites")
    if bare in ("dropbox.com", "dl.dropbox.com", "dl.dropboxusercontent.com"):
        return _dropbox(url)
    if host == "anonymous.4open.science":
        return _anonymous_github(url)
    if bare in ("zenodo.org", "sandbox.zenodo.org"):
        return _zenodo(replace(url, host=bare))
    if bare in ("doi.org", "dx.doi.org"):
        return _doi(url)
    if bare == "osf.io":
        return _osf(url)
    if bare == "kaggle.com":
        return _kaggle(url)
    if host == "storage.googleapis.com" or host.endswith(".storage.googleapis.com"):
        # Signed URLs carry credentials in the query; the object path is the address.
        return _page(url, "file-share", "google-cloud-storage", query=False)
    if host.endswith(".amazonaws.com") and ("s3" in host.split(".") or host.split(".")[0].startswith("s3")):
        return _page(url, "file-share", "aws-s3", query=False)
    if bare in _SHORTENERS:
        return _page(url, "other", "url-shortener", host=bare, query=False)
    if found := _suffix_match(bare, _CATALOG_HOSTS):
        return _page(url, "catalog", found[1], host=bare, query=False)
    if found := _suffix_match(bare, _PAPER_HOSTS):
        return _page(url, "other", found[1], host=bare, query=False)
    if found := _suffix_match(bare, _PAGE_HOSTS):
        return _page(url, "project-page", found[1], host=bare)
    if found := _suffix_match(bare, _FILE_HOSTS):
        platform = found[1]
        # A mega.nz link's key is its fragment; the other hosts keep their scheme (tinyupload never had https).
        return _page(
            url, "file-share", platform, host=bare, https=platform in ("mega", "figshare"), fragment=platform == "mega"
        )
    if url.scheme == "ftp":
        return _page(url, "file-share", None, https=False)
    # Unrecognised: keep all but the fragment; `#!/` and `#/` fragments are client-side routes, so they stay.
    return _page(url, "other", None, https=False, fragment=url.fragment.startswith(("!", "/")))


def canonical_code_url(url: str) -> CodeUrl | None:
    """`url` in canonical form with its kind and platform, or None when it is not a usable URL."""
    parsed = _parse(url)
    return _classify(parsed) if parsed is not None else None


def find_urls(text: str) -> list[str]:
    """Absolute URLs in free text or markdown, first-seen order, without duplicates or trailing punctuation.

    Also finds scheme-less `github.com/...`-style links to known code and data hosts and `www.` names; relative
    links (a markdown image's `/images/x.svg`) and e-mail addresses are not URLs.
    """
    if not isinstance(text, str):
        return []
    found: list[str] = []
    for match in _FIND.finditer(text):
        for piece in _GLUED.split(match.group(0)):
            url = _strip_trailing(piece)
            if "://" in url and not url.split("://", 1)[1]:
                continue
            if url and url not in found:
                found.append(url)
    return found


def _candidate(code: CodeUrl, source: CodeLinkSource, official: bool) -> CodeLinkCandidate:
    return CodeLinkCandidate(url=code.url, kind=code.kind, platform=code.platform, source=source, official=official)


def _as_project_page(code: CodeUrl) -> CodeUrl:
    # A site we do not recognise, given as a paper's code or project page, is the authors' page about it.
    if code.kind == "other" and code.platform is None:
        return code.model_copy(update={"kind": "project-page"})
    return code


def merge_code_links(candidates: Iterable[CodeLinkCandidate]) -> list[CodeLinkCandidate]:
    """One candidate a URL, first-seen order. The first source stands unless a later one says the link is
    official and the first did not: then the official claim replaces it, so `source` names who vouched."""
    merged: dict[str, CodeLinkCandidate] = {}
    for candidate in candidates:
        seen = merged.get(candidate.url)
        if seen is None or (candidate.official and not seen.official):
            merged[candidate.url] = candidate
    return list(merged.values())


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def code_links_from_text(text: str | None, *, source: Literal["abstract", "arxiv-comment"]) -> list[CodeLinkCandidate]:
    """Links in an abstract or arXiv comment. Rule for `official`: a GitHub, GitLab or Bitbucket repository
    written there by the authors is taken to be their own code; anything else is not vouched for. Links to
    papers (arXiv, OpenReview, non-data DOIs) are left out: text cites them, they are never code.

    Known miss: an abstract that cites someone else's repository ("we build on github.com/x/y") gets it
    marked official.
    """
    links = []
    for raw in find_urls(text or ""):
        code = canonical_code_url(raw)
        if code is None or (code.kind == "other" and code.platform in ("arxiv", "openreview", "doi")):
            continue
        official = code.kind == "repository" and code.platform in _CODE_HOSTS
        links.append(_candidate(code, source, official))
    return merge_code_links(links)


def code_links_from_note(content: Mapping[str, Any], *, code_key: str | None = "code") -> list[CodeLinkCandidate]:
    """The code links in one note's content: the code field, `community_implementations` and the abstract.

    The code field is the authors' own statement, so its links are official, and a page on a site we do not
    recognise counts as their project page. `community_implementations` (OpenReview's CatalyzeX link) is
    third-party. Abstract links follow code_links_from_text. Duplicates merge as in merge_code_links.
    """
    links: list[CodeLinkCandidate] = []
    if code_key:
        for text in _texts(content_value(content.get(code_key))):
            urls = find_urls(text)
            # A bare value such as `git@github.com:x/y.git` has no scheme find_urls would see.
            for raw in urls or [text]:
                if (code := canonical_code_url(raw)) is not None:
                    links.append(_candidate(_as_project_page(code), "openreview-code", True))
    for text in _texts(content_value(content.get("community_implementations"))):
        for raw in find_urls(text):
            if (code := canonical_code_url(raw)) is not None:
                links.append(_candidate(code, "community-implementations", False))
    for text in _texts(content_value(content.get("abstract"))):
        links.extend(code_links_from_text(text, source="abstract"))
    return merge_code_links(links)


def code_links_from_hf(payload: Mapping[str, Any]) -> tuple[list[CodeLinkCandidate], str | None]:
    """Links and the AI summary from a Hugging Face `GET /api/papers/{arxiv_id}` answer.

    Not official: Hugging Face does not say whether an author or someone else set `githubRepo`/`projectPage`.
    An error body (`{"error": "Not Found"}`) or anything not shaped like a paper gives ([], None).
    """
    if not isinstance(payload, Mapping):
        return [], None
    links = []
    repo = payload.get("githubRepo")
    if isinstance(repo, str) and (code := canonical_code_url(repo)) is not None:
        links.append(_candidate(code, "huggingface", False))
    page = payload.get("projectPage")
    if isinstance(page, str) and (code := canonical_code_url(page)) is not None:
        links.append(_candidate(_as_project_page(code), "huggingface", False))
    summary = payload.get("ai_summary")
    text = summary.strip() if isinstance(summary, str) else ""
    return merge_code_links(links), text or None


def code_links_from_pwc(payload: Mapping[str, Any]) -> list[CodeLinkCandidate]:
    """Links from a paperswithcode.co `GET /papers/{arxiv_id}?include_resources=true` answer.

    `official` is the payload's own `is_official`, and only a literal true counts. Entries without a usable
    `url` are skipped; a payload without `repositories` gives [].
    """
    if not isinstance(payload, Mapping):
        return []
    repositories = payload.get("repositories")
    if not isinstance(repositories, list):
        return []
    links = []
    for entry in repositories:
        if not isinstance(entry, Mapping):
            continue
        raw = entry.get("url")
        if isinstance(raw, str) and (code := canonical_code_url(raw)) is not None:
            links.append(_candidate(code, "paperswithcode", entry.get("is_official") is True))
    return merge_code_links(links)


def tldr_from_s2(payload: Mapping[str, Any] | None, arxiv_id: str) -> str | None:
    """The model-written TL;DR of a Semantic Scholar `POST /paper/batch` entry (`tldr.text`), or None.

    S2 answers a batch in the order asked, `null` for ids it does not know; an entry whose
    `externalIds.ArXiv` names another paper is not trusted (a shifted answer would give papers each other's
    summaries).
    """
    if not isinstance(payload, Mapping):
        return None
    external = payload.get("externalIds")
    named = external.get("ArXiv") if isinstance(external, Mapping) else None
    if isinstance(named, str) and named.strip() and named.strip() != arxiv_id:
        return None
    tldr = payload.get("tldr")
    text = tldr.get("text") if isinstance(tldr, Mapping) else None
    cleaned = " ".join(text.split()) if isinstance(text, str) else ""
    return cleaned or None
