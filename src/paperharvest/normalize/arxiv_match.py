"""Which arXiv paper, if any, an OpenReview paper is: author names, title similarity, the date window. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from paperharvest.models import ArxivEntry, MatchResult
from paperharvest.normalize.arxiv_text import APOSTROPHES, fold, normalize_title

MATCH_THRESHOLD = 0.85
# A preprint comes up to two years before the venue (submitted elsewhere first) and up to a year after it.
YEARS_BEFORE, YEARS_AFTER = 2, 1
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
    text = "".join(ch for ch in fold(text) if ch not in APOSTROPHES).replace(".", " ")
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


def arxiv_year_window(
    venue_year: int, years_before: int = YEARS_BEFORE, years_after: int = YEARS_AFTER
) -> tuple[int, int]:
    """(first, last): the calendar years in which a venue paper's first arXiv version may lie, both included.

    The one date window: the matcher applies it to `published`, and title searches pass it to arXiv as
    `build_title_query(..., submitted_years=arxiv_year_window(year))`.
    """
    return venue_year - years_before, venue_year + years_after


def _window(venue_year: int, years_before: int, years_after: int) -> tuple[datetime, datetime]:
    """[start, end): Jan 1 of the window's first year up to (not including) Jan 1 after its last."""
    first, last = arxiv_year_window(venue_year, years_before, years_after)
    return datetime(first, 1, 1, tzinfo=UTC), datetime(last + 1, 1, 1, tzinfo=UTC)


def score_candidate(
    paper_title: str,
    paper_authors: Sequence[str],
    venue_year: int,
    entry: ArxivEntry,
    *,
    threshold: float = MATCH_THRESHOLD,
    years_before: int = YEARS_BEFORE,
    years_after: int = YEARS_AFTER,
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
    years_before: int = YEARS_BEFORE,
    years_after: int = YEARS_AFTER,
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
