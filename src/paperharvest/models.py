"""The pydantic records that flow from normalize to store. One class a table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from paperharvest.venues import Presentation, Status


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PaperAuthor(Record):
    """An author as the submission lists them: name and id as given (an e-mail in 2020); either may be missing."""

    forum_id: str
    position: int
    author_id: str | None
    name: str | None


class Author(Record):
    """One author id; richer profile data comes from the profile stage later."""

    author_id: str
    name: str | None
    email_domain: str | None


class Review(Record):
    review_id: str
    forum_id: str
    reviewer: str
    rating: int | None
    rating_label: str | None
    confidence: int | None
    title: str | None
    text: str | None
    assessments: dict[str, Any]
    created_at: datetime | None
    modified_at: datetime | None


class Decision(Record):
    decision_id: str
    forum_id: str
    decision: str
    comment: str | None
    created_at: datetime | None
    modified_at: datetime | None


# Who wrote a comment, read from its signature (normalize/comments.py says how), and what kind of reply it is.
CommentRole = Literal["authors", "reviewer", "area_chair", "senior_area_chair", "program_chairs", "public", "other"]
CommentKind = Literal["official_comment", "public_comment", "comment", "rebuttal"]

# The last part of a comment invitation (`.../Paper123/-/Official_Comment`, 2018's
# `.../-/Paper123/Official_Comment`) and the kind of comment it posts. Every other reply (withdrawals,
# desk rejections, ethics reviews, revisions...) is no part of the discussion and is left out. The one rule,
# read by the notes normalizers (normalize/notes.py) and the store (store/prepare.py, as a version's kind).
COMMENT_KINDS: dict[str, CommentKind] = {
    "Official_Comment": "official_comment",
    "Public_Comment": "public_comment",
    "Comment": "comment",
    "Rebuttal": "rebuttal",
    "Author_Rebuttal": "rebuttal",
}


def comment_kind(invitations: Sequence[str]) -> tuple[str, CommentKind] | None:
    """The reply's comment invitation and its kind, or None when the reply is not a comment."""
    for invitation in invitations:
        kind = COMMENT_KINDS.get(invitation.rsplit("/", 1)[-1])
        if kind is not None:
            return invitation, kind
    return None


class Comment(Record):
    """One comment of a forum's discussion: official and public comments, author responses and rebuttals.

    `replyto` is the note it answers (the submission, a review or another comment), so the rows of a forum
    form its reply tree. `signer` is the last part of a venue group signature (`AnonReviewer2`,
    `Reviewer_NkPg`, `Authors`), the profile id for a `~` signature, as `reviews.reviewer` is for reviews.
    """

    comment_id: str
    forum_id: str
    replyto: str
    invitation: str
    kind: CommentKind
    role: CommentRole
    signer: str | None
    title: str | None
    text: str | None
    signatures: list[str]
    created_at: datetime | None
    modified_at: datetime | None


class Paper(Record):
    forum_id: str
    venue: str
    number: int | None
    title: str
    abstract: str | None
    tldr: str | None
    keywords: list[str]
    pdf_url: str | None
    status: Status
    presentation: Presentation | None
    decision: str | None
    code_url: str | None
    invitation: str
    created_at: datetime | None
    modified_at: datetime | None


class Certification(Record):
    """One certification a journal gave an accepted paper (TMLR "Featured Certification", "J2C Certification"...),
    as the submission lists it."""

    forum_id: str
    certification: str


class NormalizedNote(Record):
    """Everything one submission note (with its direct replies, or its whole forum) turns into."""

    paper: Paper
    paper_authors: list[PaperAuthor]
    authors: list[Author]
    reviews: list[Review]
    decision: Decision | None
    # Only from a note fetched with the whole forum (details.replies); empty for direct replies, whose
    # comments would be a partial discussion passed off as the whole one.
    comments: list[Comment] = Field(default_factory=list)
    # Only for venues whose config names fields.certifications (journals).
    certifications: list[Certification] = Field(default_factory=list)


# ---- profiles --------------------------------------------------------------------------------------------

# The OpenReview profile fields that hold a link, under their API names (the `kind` of an AuthorLink).
LINK_KINDS: tuple[str, ...] = (
    "homepage",
    "gscholar",
    "dblp",
    "orcid",
    "linkedin",
    "semanticScholar",
    "wikipedia",
    "aclanthology",
)


class AuthorProfile(Record):
    """One OpenReview profile: the canonical author behind one or more author ids (~ids and e-mails).

    `aliases` holds `profile_id` first, then every other `names[].username`. `emails` holds every unmasked
    address the profile is known by; `confirmed_emails` the subset listed in `content.emailsConfirmed`.
    `position` and `institution*` come from the current `history` entry (see normalize/profiles.py).
    `merged_into` is set only for a profile in state Merged whose target could be read.
    """

    profile_id: str
    state: str | None
    active: bool | None
    merged_into: str | None
    preferred_name: str | None
    names: list[str]
    aliases: list[str]
    emails: list[str]
    confirmed_emails: list[str]
    position: str | None
    institution: str | None
    institution_domain: str | None
    institution_country: str | None
    created_at: datetime | None
    modified_at: datetime | None


class AuthorHistory(Record):
    """One `history` entry; `ordinal` is its index in the profile's list, `is_current` marks the one in use."""

    profile_id: str
    ordinal: int
    position: str | None
    institution: str | None
    institution_domain: str | None
    institution_country: str | None
    start: int | None
    end: int | None
    is_current: bool


class AuthorLink(Record):
    """A link a profile lists; `kind` is one of LINK_KINDS, `url` as given but trimmed."""

    profile_id: str
    kind: str
    url: str


class ProfileRecords(Record):
    """Everything one raw profile turns into."""

    profile: AuthorProfile
    history: list[AuthorHistory]
    links: list[AuthorLink]


# ---- arXiv linking (paperharvest.normalize.arxiv_feed, arxiv_match) -----------------------------------------


class ArxivEntry(Record):
    """One arXiv paper as the export API returns it, at the version its id names (the latest unless asked).

    The API only tells the first version's date (`published`) and this version's (`updated`); the dates of
    versions in between are not in the feed.
    """

    arxiv_id: str
    version: int
    title: str
    summary: str
    authors: list[str]
    # One list per author, parallel to `authors`; empty where the feed names no affiliation.
    affiliations: list[list[str]]
    published: datetime
    updated: datetime
    primary_category: str
    categories: list[str]
    comment: str | None
    journal_ref: str | None
    doi: str | None
    abs_url: str
    pdf_url: str


class ArxivFeed(Record):
    """One page of an arXiv API answer. When `error` is set the request failed: ignore the totals."""

    total_results: int
    start_index: int
    items_per_page: int
    entries: list[ArxivEntry]
    error: str | None


class MatchResult(Record):
    """What linking one paper to arXiv decided, with the best candidate and its score either way."""

    status: Literal["matched", "unmatched"]
    method: Literal["explicit-id", "title-search"] | None
    entry: ArxivEntry | None
    best_arxiv_id: str | None
    score: float | None
    author_overlap: int
    in_window: bool | None
    reasons: list[str]


# ---- code links ------------------------------------------------------------------------------------------

# What a code link points at; normalize/links.py says how each is recognised. "user" covers organisations.
CodeKind = Literal[
    "repository", "user", "gist", "project-page", "file-share", "model", "dataset", "space", "catalog", "other"
]
# Where a code link was found.
CodeLinkSource = Literal[
    "openreview-code", "community-implementations", "abstract", "arxiv-comment", "huggingface", "paperswithcode"
]
CODE_KINDS: tuple[str, ...] = get_args(CodeKind)


class CodeUrl(Record):
    """A URL in canonical form and what it points at.

    `platform` names a recognised host ("github", "google-drive", "url-shortener", ...) and is None for any
    other site. `subpath` keeps the branch and path a repository link pointed into (`master/cfq` for
    `.../tree/master/cfq`), which the canonical URL drops.
    """

    url: str
    kind: CodeKind
    platform: str | None
    subpath: str | None = None


class CodeLinkCandidate(Record):
    """One code link of one paper as one source gives it; the store adds the paper and when it was seen."""

    url: str
    kind: CodeKind
    platform: str | None
    source: CodeLinkSource
    official: bool


class Repository(Record):
    """A GitHub repository's metadata, from `GET /repos/{owner}/{repo}`. `owner` and `name` are GitHub's
    current spelling, which differs from the link's when the repository was renamed or moved."""

    owner: str
    name: str
    stars: int | None
    forks: int | None
    archived: bool | None
    license: str | None
    pushed_at: datetime | None
    default_branch: str | None
    description: str | None


class GitHubUser(Record):
    """A GitHub account, from `GET /users/{login}`: what can confirm whose it is. `login` is GitHub's
    spelling; `blog` the profile's website as a canonical http(s) URL (None when blank or not a URL);
    `twitter_username` the X handle, without `@`."""

    login: str
    name: str | None
    blog: str | None
    twitter_username: str | None
    kind: Literal["user", "organization"]


class SocialLink(Record):
    """One social account a homepage names. `confidence` is "low" when the page names several accounts of
    the platform (a lab page, co-authors), so the page alone cannot say which one is the author's."""

    platform: str
    handle: str
    url: str
    evidence: Literal["link", "rel-me", "text"]
    confidence: Literal["high", "low"]


# ---- homepages ---------------------------------------------------------------------------------------------

HomepageOutcome = Literal[
    "ok",
    "not_modified",
    "not_html",
    "too_large",
    "blocked",
    "invalid_url",
    "too_many_redirects",
    "http_error",
    "timeout",
    "unreachable",
]


class HomepageFetch(Record):
    """What fetching one homepage came to. `html` is set only when `outcome` is "ok"."""

    url: str
    final_url: str
    outcome: HomepageOutcome
    status: int | None = None
    html: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    detail: str = ""


# ---- whose account is it (normalize/owners.py, normalize/attribution.py) ----------------------------------

OwnerOutcome = Literal["own", "other", "group", "none"]


class PageOwner(Record):
    """Whose page one homepage is, for the person who listed it. `owner` is the name the page gives (None for
    "none"); `score` the best similarity (0..100) between the person's names and the page's owner places;
    `evidence` says which places decided it, e.g. `title:own`, `h1:other`, `members:listed`."""

    outcome: OwnerOutcome
    owner: str | None
    score: float
    evidence: list[str]


class PageSighting(Record):
    """One account as one page shows it. `contexts` (sorted) are the page-level facts about where it sits:
    profile_block, rel_me, same_as, meta, text, named_link, beside_name, near_own_name, beside_other_name, share,
    follow_us, follow_other, built_with, institutional."""

    platform: str
    handle: str
    url: str
    contexts: list[str]


class PageReading(Record):
    """A homepage read for one person: whose page it is and every account it shows."""

    url: str
    owner: PageOwner
    sightings: list[PageSighting]


class ProfileField(Record):
    """A link the person's OpenReview profile lists (`kind` as in LINK_KINDS)."""

    kind: str
    url: str


class PersonEvidence(Record):
    """Everything known about one person: profile names, profile links, read homepages, GitHub answers."""

    person_id: str
    names: list[str]
    profile: list[ProfileField] = []
    pages: list[PageReading] = []
    github_users: list[GitHubUser] = []


class Candidate(Record):
    """One (person, platform, handle) with its score and the evidence behind it. Negative evidence and
    vetoes are named with a leading "-". `chosen` marks the one account of its platform shown as the person's."""

    person_id: str
    platform: str
    handle: str
    url: str
    score: float
    evidence: list[str]
    pages: list[str]
    chosen: bool
