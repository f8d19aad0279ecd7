"""arXiv export API answers (current and pre-2025 Atom) -> ArxivFeed / ArxivEntry records. Pure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from paperharvest.errors import NormalizeError
from paperharvest.models import ArxivEntry, ArxivFeed
from paperharvest.normalize.arxiv_query import is_arxiv_id

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

_ENTRY_ID = re.compile(r"\Ahttps?://(?:www\.|export\.)?arxiv\.org/abs/(?P<id>\S+?)v(?P<version>\d+)\Z")
_API_ERROR_ID = re.compile(r"\Ahttps?://(?:www\.|export\.)?arxiv\.org/api/errors", re.IGNORECASE)
# A DTD is never part of an arXiv answer; refusing one closes off entity expansion (billion laughs) for free.
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_BYTES = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _collapse(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None


def _paragraphs(text: str | None) -> str:
    """Abstract text with soft line wraps joined and paragraph breaks kept as single newlines.

    arXiv marks a new paragraph by indenting its first line; the pre-2025 format also hard-wrapped lines
    at ~80 columns, without indent. So a newline followed by spaces is a paragraph break and any other
    newline a wrap, which reads both formats alike.
    """
    if text is None:
        return ""
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n[ \t]+", text.strip()))
    return "\n".join(p for p in paragraphs if p)


def _child_text(elem: ET.Element, namespace: str, tag: str) -> str | None:
    child = elem.find(_q(namespace, tag))
    return _collapse(child.text) if child is not None else None


def _raw_text(elem: ET.Element, namespace: str, tag: str) -> str | None:
    child = elem.find(_q(namespace, tag))
    return child.text if child is not None else None


def _feed_int(root: ET.Element, tag: str) -> int:
    text = _child_text(root, OPENSEARCH, tag)
    if text is None:
        raise NormalizeError(f"arXiv feed has no opensearch:{tag}")
    try:
        return int(text)
    except ValueError:
        raise NormalizeError(f"arXiv feed opensearch:{tag} is not an integer: {text!r}") from None


def _utc(text: str | None, what: str, where: str) -> datetime:
    if text is None:
        raise NormalizeError(f"arXiv entry {where} has no <{what}>")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise NormalizeError(f"arXiv entry {where}: <{what}> is not a date: {text!r}") from None
    # arXiv always writes Z; a zoneless time would be its UTC anyway.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _https(url: str) -> str:
    return "https://" + url[len("http://") :] if url.startswith("http://") else url


def _parse_entry(entry: ET.Element) -> ArxivEntry:
    raw_id = _child_text(entry, ATOM, "id") or ""
    match = _ENTRY_ID.match(raw_id)
    if match is None or not is_arxiv_id(match.group("id")):
        raise NormalizeError(f"arXiv entry id is not a versioned abs URL: {raw_id!r}")
    arxiv_id, version = match.group("id"), int(match.group("version"))
    versioned = f"{arxiv_id}v{version}"

    title = _child_text(entry, ATOM, "title")
    if title is None:
        raise NormalizeError(f"arXiv entry {versioned} has no title")

    authors: list[str] = []
    affiliations: list[list[str]] = []
    for author in entry.findall(_q(ATOM, "author")):
        name = _child_text(author, ATOM, "name")
        if name is None:
            continue
        authors.append(name)
        affiliations.append([text for aff in author.findall(_q(ARXIV, "affiliation")) if (text := _collapse(aff.text))])

    categories: list[str] = []
    for category in entry.findall(_q(ATOM, "category")):
        term = (category.get("term") or "").strip()
        if term and term not in categories:
            categories.append(term)
    primary_elem = entry.find(_q(ARXIV, "primary_category"))
    primary = (primary_elem.get("term") or "").strip() if primary_elem is not None else ""
    primary = primary or (categories[0] if categories else "")
    if not primary:
        raise NormalizeError(f"arXiv entry {versioned} has no category")
    if primary not in categories:
        categories.insert(0, primary)

    abs_url = pdf_url = doi_url = None
    for link in entry.findall(_q(ATOM, "link")):
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if link.get("title") == "pdf":
            pdf_url = _https(href)
        elif link.get("title") == "doi":
            doi_url = href
        elif link.get("rel") == "alternate":
            abs_url = _https(href)
    doi = _child_text(entry, ARXIV, "doi")
    if doi is None and doi_url is not None:
        doi = re.sub(r"\Ahttps?://(?:dx\.)?doi\.org/", "", doi_url) or None

    return ArxivEntry(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        summary=_paragraphs(_raw_text(entry, ATOM, "summary")),
        authors=authors,
        affiliations=affiliations,
        published=_utc(_child_text(entry, ATOM, "published"), "published", versioned),
        updated=_utc(_child_text(entry, ATOM, "updated"), "updated", versioned),
        primary_category=primary,
        categories=categories,
        comment=_child_text(entry, ARXIV, "comment"),
        journal_ref=_child_text(entry, ARXIV, "journal_ref"),
        doi=doi,
        abs_url=abs_url or f"https://arxiv.org/abs/{versioned}",
        pdf_url=pdf_url or f"https://arxiv.org/pdf/{versioned}",
    )


def parse_feed(xml: str | bytes) -> ArxivFeed:
    """One arXiv API answer (current or pre-2025 Atom) as an ArxivFeed.

    Namespace-aware and independent of element order, because the 2025 format moved elements around and
    declared namespaces once on <feed> instead of on each element. The 400 error feed (one entry titled
    "Error" whose id is an api/errors URL) comes back as `error`, with no entries.
    """
    if _DOCTYPE.search(xml) if isinstance(xml, str) else _DOCTYPE_BYTES.search(xml):
        raise NormalizeError("arXiv answer has a DOCTYPE: refused (arXiv feeds never carry one)")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise NormalizeError(f"arXiv answer is not well-formed XML: {exc}") from None
    if root.tag != _q(ATOM, "feed"):
        raise NormalizeError(f"arXiv answer is not an Atom feed: root element is {root.tag!r}")

    entries: list[ArxivEntry] = []
    error: str | None = None
    for entry in root.findall(_q(ATOM, "entry")):
        if _API_ERROR_ID.match(_child_text(entry, ATOM, "id") or ""):
            error = error or _child_text(entry, ATOM, "summary") or _child_text(entry, ATOM, "title") or "error"
            continue
        entries.append(_parse_entry(entry))
    return ArxivFeed(
        total_results=_feed_int(root, "totalResults"),
        start_index=_feed_int(root, "startIndex"),
        items_per_page=_feed_int(root, "itemsPerPage"),
        entries=[] if error is not None else entries,
        error=error,
    )
