"""arXiv ids written in free text, and the `search_query` strings that look titles up in batches. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import quote_plus

from paperharvest.normalize.arxiv_text import fold, latex_to_text

# Budget for one batch, counted as the percent-encoded `search_query` value (what requests puts in the URL).
# With the rest of the URL a request stays under ~1,920 characters, below the 2,000 that every proxy and
# server in between can be trusted with, and it packs ~21 titles a request: 118 requests for the 2,594 ICLR
# 2020 titles (122 with a submittedDate filter), leaving room within 300 for id_list look-ups and retries.
DEFAULT_QUERY_CHARS = 1800

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


def is_arxiv_id(value: str) -> bool:
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
        if is_arxiv_id(candidate) and candidate not in found:
            found.append(candidate)
    return found


# ---- title queries ----------------------------------------------------------------------------------------

# Sentinel for a place where a title search must not run a phrase across (see title_query_terms).
_BREAK = "\x00"
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
    text = fold(latex_to_text(title, math=_BREAK))
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
    date window the matcher applies anyway (arxiv_match.arxiv_year_window): later papers that reuse a short
    title ("Dataset Distillation") then cannot crowd the sought ones out of a page.
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
