"""arXiv: Atom feeds -> ArxivEntry records, explicit arXiv ids in free text, batched title queries, matching.

Pure: no I/O, no clock. A client fetches (one request every 3 s, one connection), this module reads the
answers and decides which arXiv paper, if any, is the OpenReview paper.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import quote_plus

from rapidfuzz import fuzz

from paperharvest.errors import NormalizeError
from paperharvest.models import ArxivEntry, ArxivFeed, MatchResult

__all__ = [
    "DEFAULT_QUERY_CHARS",
    "MATCH_THRESHOLD",
    "MatchScore",
    "PaperToMatch",
    "best_match",
    "build_title_query",
    "encoded_length",
    "find_arxiv_ids",
    "normalize_title",
    "parse_feed",
    "same_author",
    "score_candidate",
    "surname_keys",
    "title_query_terms",
    "title_similarity",
]

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

MATCH_THRESHOLD = 0.85
# Budget for one batch, counted as the percent-encoded `search_query` value (what requests puts in the URL).
# With the rest of the URL a request stays under ~1,920 characters, below the 2,000 that every proxy and
# server in between can be trusted with, and it packs ~21 titles a request: 118 requests for the 2,594 ICLR
# 2020 titles (122 with a submittedDate filter), leaving room within 300 for id_list look-ups and retries.
DEFAULT_QUERY_CHARS = 1800

# ---- feeds --------------------------------------------------------------------------------------------------

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
    if match is None or not _is_arxiv_id(match.group("id")):
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


# ---- explicit ids -------------------------------------------------------------------------------------------

# Archives of the pre-2007 scheme (archive[.SUBJECT]/YYMMNNN). The subject class is not part of the id.
_OLD_ARCHIVES = (
    "acc-phys|adap-org|alg-geom|ao-sci|astro-ph|atom-ph|bayes-an|chao-dyn|chem-ph|cmp-lg|comp-gas|cond-mat|cs|"
    "dg-ga|funct-an|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math-ph|math|mtrl-th|nlin|nucl-ex|nucl-th|patt-sol|"
    "physics|plasm-ph|q-alg|q-bio|q-fin|quant-ph|solv-int|stat|supr-con"
)
# A bare YYMM.NNNNN is too easily a DOI fragment, a page range or a version number: new-style ids only count
# next to something that says arXiv (a prefix, an arxiv.org URL, or a site keyed by arXiv id).
_NEW_STYLE_PREFIX = (
    r"(?:\barxiv\s*[:.]?\s*"
    r"|arxiv\.org/(?:abs|pdf|html|format|ps|e-print|src)/"
    r"|ar5iv\.org/(?:abs|html)/"
    r"|arxiv-vanity\.com/papers/"
    r"|alphaxiv\.org/(?:abs|overview)/"
    r"|huggingface\.co/papers/)"
)
_ID_IN_TEXT = re.compile(
    rf"(?:{_NEW_STYLE_PREFIX}(?P<new>\d{{4}}\.\d{{4,5}})"
    rf"|(?<![a-z0-9-])(?P<old>(?:{_OLD_ARCHIVES}))(?:\.[a-z]{{2}})?/(?P<oldnum>\d{{7}}))"
    r"(?:v\d+)?(?![0-9])",
    re.IGNORECASE,
)
_NEW_ID = re.compile(r"\A(\d{2})(\d{2})\.(\d{4,5})\Z")
_OLD_ID = re.compile(rf"\A(?:{_OLD_ARCHIVES})/(\d{{2}})(\d{{2}})\d{{3}}\Z")


def _is_arxiv_id(value: str) -> bool:
    """A well-formed arXiv id without version: YYMM.NNNN (2007-2014), YYMM.NNNNN (2015-), or archive/YYMMNNN."""
    if match := _NEW_ID.match(value):
        year, month, number = int(match.group(1)), int(match.group(2)), match.group(3)
        if not 1 <= month <= 12 or (year, month) < (7, 4):
            return False
        # Four-digit numbers ran out in December 2014; five-digit ones started in January 2015.
        return (len(number) == 4) == ((year, month) <= (14, 12))
    if match := _OLD_ID.match(value):
        year, month = int(match.group(1)), int(match.group(2))
        return 1 <= month <= 12 and (year >= 91 or year <= 7)
    return False


def find_arxiv_ids(text: str) -> list[str]:
    """Explicit arXiv ids in free text, URLs or markdown, without versions, in order of first appearance."""
    found: list[str] = []
    for match in _ID_IN_TEXT.finditer(text):
        if match.group("new"):
            candidate = match.group("new")
        else:
            candidate = f"{match.group('old').lower()}/{match.group('oldnum')}"
        if _is_arxiv_id(candidate) and candidate not in found:
            found.append(candidate)
    return found


# ---- titles -------------------------------------------------------------------------------------------------

_GREEK = (
    "alpha:α beta:β gamma:γ delta:δ epsilon:ε varepsilon:ε zeta:ζ eta:η theta:θ vartheta:θ iota:ι kappa:κ "
    "lambda:λ mu:μ nu:ν xi:ξ pi:π varpi:π rho:ρ varrho:ρ sigma:σ varsigma:σ tau:τ upsilon:υ phi:φ varphi:φ "
    "chi:χ psi:ψ omega:ω Gamma:Γ Delta:Δ Theta:Θ Lambda:Λ Xi:Ξ Pi:Π Sigma:Σ Upsilon:Υ Phi:Φ Psi:Ψ Omega:Ω"
)
# LaTeX commands that stand for a character: written as that character, so "$\lambda$-Rank" and "λ-Rank"
# normalise alike. \ell becomes "l" because NFKD folds the Unicode ℓ to "l" too.
# fmt: off
_LATEX_CHARS: dict[str, str] = dict(pair.split(":") for pair in _GREEK.split()) | {
    "ell": "l", "nabla": "∇", "infty": "∞", "star": "⋆", "partial": "∂",
    "ss": "ss", "ae": "ae", "AE": "AE", "oe": "oe", "OE": "OE", "o": "o", "O": "O", "l": "l", "L": "L",
    "i": "i", "j": "j", "aa": "a", "AA": "A",
}
# Letters NFKD leaves alone although readers (and arXiv's search) treat them as Latin ones.
_FOLD_EXTRA = str.maketrans({
    "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ð": "d", "Ð": "D",
    "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th",
})
# fmt: on
_ACCENT_SYMBOL = re.compile(r"\\['\"^`~=.]\s*(?:\{\s*\\?([A-Za-z])\s*\}|\\?([A-Za-z]))")
_ACCENT_LETTER = re.compile(r"\\[cuvHkrbdt]\s*\{\s*\\?([A-Za-z])\s*\}")
_ESCAPED = re.compile(r"\\[&%$#_{}]")
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?")
_MATH = re.compile(r"\$\$?(.+?)\$\$?|\\\((.+?)\\\)", re.DOTALL)
_APOSTROPHES = "'’ʼ‘`´"
# Sentinel for a place where a title search must not run a phrase across (see title_query_terms).
_BREAK = "\x00"


def _latex_to_text(title: str, *, math: str | None = None) -> str:
    """Resolve LaTeX markup to plain characters. `math`, when given, replaces each $...$ span instead."""
    text = _ACCENT_SYMBOL.sub(lambda m: m.group(1) or m.group(2), title)
    text = _ACCENT_LETTER.sub(lambda m: m.group(1), text)
    text = _ESCAPED.sub(" ", text)
    if math is not None:
        text = _MATH.sub(math, text)
    text = _COMMAND.sub(lambda m: _LATEX_CHARS.get(m.group(1), ""), text)
    if math is not None:
        # Outside math, ^ _ { } are literal characters, which a search tokenizer splits words at.
        return text
    # Sub/superscripts and groups join what they hold to the word before: $D^2$GAN -> D2GAN, like Unicode D²GAN.
    return re.sub(r"[$^_{}]", "", text)


def _fold(text: str) -> str:
    """Accents off (NFKD, combining marks dropped), compatibility forms folded (² -> 2, ﬁ -> fi), case folded.

    Letters with no Latin decomposition (Greek, CJK) are kept: dropping them would turn a CJK title into "".
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# Cached: a batch of ~20 titles compares every paper with every hit, so the same strings come back often.
@lru_cache(maxsize=1 << 16)
def normalize_title(title: str) -> str:
    """A title reduced to what survives every way of writing it: LaTeX, Unicode, case and punctuation.

    LaTeX commands are resolved or dropped and math delimiters removed (the math itself stays), accents
    are folded, apostrophes dropped (doesn't -> doesnt), any other non-alphanumeric becomes a space.
    """
    text = _latex_to_text(title)
    text = "".join(ch for ch in text if ch not in _APOSTROPHES)
    text = _fold(text)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of", "on", "or",
    "the", "to", "via", "vs", "with", "without",
})
# fmt: on
_MAX_PHRASES = 3


def _query_words(title: str) -> list[str]:
    """Lowercase ASCII words of a title, with _BREAK where arXiv's index may not hold the same tokens."""
    # The break stays glued to its neighbours: a word written against math ($D^2$GAN) is as unpredictable.
    text = _fold(_latex_to_text(title, math=_BREAK))
    chars: list[str] = []
    for ch in text:
        if ch == _BREAK:
            chars.append(_BREAK)
        elif ch.isascii():
            # Hyphens, colons, slashes and brackets split words here as in arXiv's tokenizer: plain separators.
            chars.append(ch if ch.isalnum() or ch in ".'" else " ")
        elif ch in "’ʼ":
            chars.append("'")
        elif unicodedata.category(ch)[0] in "PZC":
            chars.append(" ")  # dashes, quotation marks, odd spaces
        else:
            chars.append(ch)  # a letter or symbol with no ASCII form: its word becomes a break below
    words: list[str] = []
    for piece in "".join(chars).split():
        core = piece.strip(".'")
        if not core:
            continue
        # Apostrophes ("model's"), inner dots ("2.5", "v.s") and characters without an ASCII form (λ, ⋆, CJK)
        # are tokenised by arXiv in ways we cannot predict, so such a word is a place no phrase may span.
        if core == _BREAK or not (core.isascii() and core.isalnum()):
            words.append(_BREAK)
        else:
            words.append(core)
    return words


def title_query_terms(title: str) -> str:
    """The `ti:` expression that finds `title` on arXiv: `ti:"w1 w2 ..."`, or an AND of such phrases.

    A quoted phrase rather than an AND of words, because it costs one character a word against about ten
    for `ti:w AND` (so a batch holds twice the titles) and it is precise, so a batch returns little besides
    the papers sought. Phrase matching is what the API manual documents for multi-word titles. Where a word
    may be indexed differently from how we would spell it (math, apostrophes, non-Latin characters) the
    phrase is split there and the pieces AND-ed, so no phrase spans an unknown token. Words are lowercase:
    title words then cannot read as the operators AND/OR/ANDNOT. Hyphens and colons never reach the query
    (a hyphen reads as NOT and a colon as a field prefix). Returns "" when nothing searchable is left.
    """
    segments: list[list[str]] = [[]]
    for word in _query_words(title):
        if word == _BREAK:
            segments.append([])
        else:
            segments[-1].append(word)
    kept = [s for s in segments if s and not (len(s) == 1 and (s[0] in _STOPWORDS or len(s[0]) < 2))]
    if any(len(s) > 1 for s in kept):
        # Beside a multi-word phrase a lone word adds little precision but one more way to miss.
        kept = [s for s in kept if len(s) > 1]
    if len(kept) > _MAX_PHRASES:
        # Every extra phrase is one more chance for arXiv's title to differ; the longest carry the most.
        longest = sorted(range(len(kept)), key=lambda i: -len(kept[i]))[:_MAX_PHRASES]
        kept = [kept[i] for i in sorted(longest)]
    phrases = [f'ti:"{" ".join(s)}"' for s in kept]
    if len(phrases) <= 1:
        return phrases[0] if phrases else ""
    return "(" + " AND ".join(phrases) + ")"


def encoded_length(query: str) -> int:
    """Length of `query` as requests percent-encodes a parameter value (spaces as +, quotes as %22)."""
    return len(quote_plus(query))


def build_title_query(
    titles: Sequence[str],
    max_chars: int = DEFAULT_QUERY_CHARS,
    *,
    submitted_years: tuple[int, int] | None = None,
) -> list[tuple[str, list[int]]]:
    """Batch titles into `search_query` strings of OR-ed `ti:` terms, each within `max_chars` when encoded.

    Returns (query, indices of the titles it covers), every searchable title in exactly one batch. Titles
    with the same terms share one term. A title with no searchable words is in no batch: the caller records
    it as unmatched. A single term longer than the budget gets a batch of its own rather than being cut.

    `submitted_years=(first, last)` ANDs each batch with `submittedDate:[first-01-01 TO last-12-31]`, the
    date window the matcher applies anyway: later papers that reuse a short title ("Dataset Distillation")
    then cannot crowd the sought ones out of a page.
    """
    order: list[str] = []
    covered: dict[str, list[int]] = {}
    for index, title in enumerate(titles):
        term = title_query_terms(title)
        if not term:
            continue
        if term not in covered:
            covered[term] = []
            order.append(term)
        covered[term].append(index)

    suffix = ""
    if submitted_years is not None:
        first, last = submitted_years
        suffix = f" AND submittedDate:[{first:04d}01010000 TO {last:04d}12312359]"

    def render(terms: list[str]) -> str:
        joined = " OR ".join(terms)
        return f"({joined}){suffix}" if suffix else joined

    # Percent-encoding works character by character, so a batch's length is the sum of its parts.
    fixed = encoded_length(suffix) + (encoded_length("()") if suffix else 0)
    separator = encoded_length(" OR ")
    batches: list[tuple[str, list[int]]] = []
    terms: list[str] = []
    indices: list[int] = []
    size = fixed
    for term in order:
        cost = encoded_length(term)
        if terms and size + separator + cost > max_chars:
            batches.append((render(terms), indices))
            terms, indices, size = [], [], fixed
        size += (separator if terms else 0) + cost
        terms.append(term)
        indices.extend(covered[term])
    if terms:
        batches.append((render(terms), indices))
    return batches


# ---- matching -----------------------------------------------------------------------------------------------

# fmt: off
_PARTICLES = frozenset({
    "al", "bin", "da", "das", "de", "del", "della", "den", "der", "des", "di", "do", "dos", "du", "el", "ibn",
    "la", "le", "lo", "san", "st", "ten", "ter", "van", "vom", "von", "y", "zu",
})
# fmt: on
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


@lru_cache(maxsize=1 << 16)
def _name_parts(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(surname keys, given-name initials) of one author name; see surname_keys."""
    text = re.sub(r"\([^)]*\)", " ", name)
    text = "".join(ch for ch in _fold(text) if ch not in _APOSTROPHES).replace(".", " ")
    if "," in text:
        # "Last, First" (and "Smith, Jr., John"): the surname is everything before the first comma.
        head, tail = text.split(",", 1)
        surname, given = head.split(), [t for t in tail.replace(",", " ").split() if t not in _SUFFIXES]
    else:
        tokens = text.split()
        while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
            tokens.pop()
        if not tokens:
            return frozenset(), frozenset()
        start = len(tokens) - 1
        # Particles join the surname, but the first word always stays a given name ("Van Nguyen").
        while start > 1 and tokens[start - 1] in _PARTICLES:
            start -= 1
        surname, given = tokens[start:], tokens[:start]
    pieces = [p for word in surname for p in re.split(r"[^\w]+", word) if p]
    keys = {p for p in pieces if p not in _PARTICLES and len(p) >= 2}
    joined = "".join(pieces)
    if len(joined) >= 2:
        keys.add(joined)
    initials = {p[0] for word in given for p in re.split(r"[^\w]+", word) if p}
    return frozenset(keys), frozenset(initials)


def surname_keys(name: str) -> frozenset[str]:
    """Keys under which two spellings of one author's surname meet.

    "Adrian Del Maestro", "A. Del Maestro", "Del Maestro, Adrian" and "Adrian DelMaestro" all yield
    "delmaestro"; the first three also "maestro". Hyphenated surnames also yield their parts (García-Durán ->
    garcia, duran, garciaduran), so a writer who drops the hyphen and one part still meets.
    """
    return _name_parts(name)[0]


def same_author(a: str, b: str) -> bool:
    """Two author names that can be one person: a surname key in common, and given-name initials that agree.

    The initials matter because the commonest surnames (Wang, Li, Zhang, Liu, Chen) are each shared by
    thousands of ML authors: two groups writing near-identical titles often share one of them, but rarely
    with the same initial. Initials agree when either name has none, or the sets intersect ("B. Scott
    Gaudi" and "Scott Gaudi"; "Jun-Yan Zhu" and "J. Zhu").
    """
    keys_a, initials_a = _name_parts(a)
    keys_b, initials_b = _name_parts(b)
    if not keys_a & keys_b:
        return False
    return not initials_a or not initials_b or bool(initials_a & initials_b)


def title_similarity(a: str, b: str) -> float:
    """0..1: 0.4 token_set + 0.4 token_sort + 0.2 WRatio on normalised titles (the peer matcher's weights)."""
    left, right = normalize_title(a), normalize_title(b)
    if not left or not right:
        return 0.0
    score = (
        0.4 * fuzz.token_set_ratio(left, right)
        + 0.4 * fuzz.token_sort_ratio(left, right)
        + 0.2 * fuzz.WRatio(left, right)
    )
    return round(score / 100.0, 4)


@dataclass(frozen=True)
class MatchScore:
    """How one arXiv candidate compares with one paper, and whether it passes every test."""

    arxiv_id: str
    title_score: float
    author_overlap: int
    shared_surnames: tuple[str, ...]
    in_window: bool
    window_applied: bool
    accepted: bool
    reasons: tuple[str, ...]


def _window(venue_year: int, years_before: int, years_after: int) -> tuple[datetime, datetime]:
    """[start, end): Jan 1 of venue_year - years_before up to (not including) Jan 1 after venue_year + years_after."""
    start = datetime(venue_year - years_before, 1, 1, tzinfo=UTC)
    return start, datetime(venue_year + years_after + 1, 1, 1, tzinfo=UTC)


def score_candidate(
    paper_title: str,
    paper_authors: Sequence[str],
    venue_year: int,
    entry: ArxivEntry,
    *,
    threshold: float = MATCH_THRESHOLD,
    years_before: int = 2,
    years_after: int = 1,
    apply_window: bool = True,
) -> MatchScore:
    """Title similarity, shared author surnames and the first version's date, against the acceptance rule.

    Accepted only when the title score reaches `threshold`, at least one author is shared (same_author:
    surname plus agreeing initials), and the first version (`published`) lies from Jan 1 of venue_year -
    years_before to Dec 31 of venue_year + years_after. The author test is what tells apart near-identical
    titles of different papers; the window tells apart a same-titled paper from another decade.
    `apply_window=False` skips the window (for an id the paper itself links to).
    """
    title_score = title_similarity(paper_title, entry.title)
    entry_parts = [_name_parts(name) for name in entry.authors]
    shared: set[str] = set()
    surname_only: set[str] = set()
    overlap = 0
    for author in paper_authors:
        keys, initials = _name_parts(author)
        for other_keys, other_initials in entry_parts:
            common = keys & other_keys
            if not common:
                continue
            if not initials or not other_initials or initials & other_initials:
                overlap += 1
                shared.add(max(sorted(common), key=len))
                break
            surname_only.add(max(sorted(common), key=len))
    start, end = _window(venue_year, years_before, years_after)
    in_window = start <= entry.published < end

    reasons: list[str] = []
    title_ok = title_score >= threshold
    reasons.append(f"title score {title_score:.3f} {'>=' if title_ok else '<'} {threshold:.2f}")
    if not paper_authors:
        reasons.append("the paper lists no author names to compare")
    elif overlap:
        reasons.append(f"{overlap} shared author(s): {', '.join(sorted(shared))}")
    elif surname_only:
        reasons.append(f"no shared author: surname(s) {', '.join(sorted(surname_only))} shared, initials differ")
    else:
        reasons.append("no shared author surname")
    span = f"{start.date()}..{end.year - 1}-12-31"
    if not apply_window:
        reasons.append("explicit id: date window not applied")
    elif in_window:
        reasons.append(f"first version {entry.published.date()} within {span}")
    else:
        reasons.append(f"first version {entry.published.date()} outside {span}")
    accepted = title_ok and overlap >= 1 and (in_window or not apply_window)
    return MatchScore(
        arxiv_id=entry.arxiv_id,
        title_score=title_score,
        author_overlap=overlap,
        shared_surnames=tuple(sorted(shared)),
        in_window=in_window,
        window_applied=apply_window,
        accepted=accepted,
        reasons=tuple(reasons),
    )


@dataclass(frozen=True)
class PaperToMatch:
    """The OpenReview side of a match: title, author names as listed, venue year, ids the paper links to."""

    title: str
    authors: Sequence[str]
    year: int
    explicit_ids: Sequence[str] = ()


def best_match(
    paper: PaperToMatch,
    candidates: Iterable[ArxivEntry],
    *,
    threshold: float = MATCH_THRESHOLD,
    years_before: int = 2,
    years_after: int = 1,
) -> MatchResult:
    """Pick the arXiv entry that is this paper, or record it unmatched with its best candidate and score.

    Candidates may come from both explicit ids and title search, duplicates included. An explicit id is
    confirmed like a search hit (title and authors), because abstracts and comments also link the papers
    they cite, but without the date window: the link itself says which paper is meant, and an older
    preprint of the same work is still that work. Among passing candidates the highest title score wins.
    """
    explicit = {re.sub(r"v\d+\Z", "", arxiv_id.strip()) for arxiv_id in paper.explicit_ids}
    latest: dict[str, ArxivEntry] = {}
    for entry in candidates:
        known = latest.get(entry.arxiv_id)
        if known is None or entry.version > known.version:
            latest[entry.arxiv_id] = entry
    if not latest:
        return MatchResult(
            status="unmatched",
            method=None,
            entry=None,
            best_arxiv_id=None,
            score=None,
            author_overlap=0,
            in_window=None,
            reasons=["no arXiv candidates"],
        )

    scored = [
        (
            score_candidate(
                paper.title,
                paper.authors,
                paper.year,
                entry,
                threshold=threshold,
                years_before=years_before,
                years_after=years_after,
                apply_window=entry.arxiv_id not in explicit,
            ),
            entry,
        )
        for entry in sorted(latest.values(), key=lambda e: e.arxiv_id)
    ]
    accepted = [pair for pair in scored if pair[0].accepted]
    pool = accepted or scored
    # Highest title score first; then a linked id over a search hit; then more shared authors.
    pool.sort(key=lambda pair: (-pair[0].title_score, pair[1].arxiv_id not in explicit, -pair[0].author_overlap))
    best, entry = pool[0]
    method: Literal["explicit-id", "title-search"] = "explicit-id" if entry.arxiv_id in explicit else "title-search"
    reasons = [f"{best.arxiv_id}: {reason}" for reason in best.reasons]
    others = [f"{s.arxiv_id} ({s.title_score:.3f})" for s, _ in accepted[1:] if s.arxiv_id != best.arxiv_id]
    if accepted and others:
        reasons.append("also passed: " + ", ".join(others))
    if not accepted:
        reasons.append(f"no candidate of {len(scored)} passed")
    if missing := sorted(explicit - latest.keys()):
        reasons.append("linked id(s) not among the candidates: " + ", ".join(missing))
    return MatchResult(
        status="matched" if accepted else "unmatched",
        method=method,
        entry=entry if accepted else None,
        best_arxiv_id=best.arxiv_id,
        score=best.title_score,
        author_overlap=best.author_overlap,
        in_window=best.in_window,
        reasons=reasons,
    )
