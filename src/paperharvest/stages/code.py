"""The code stage: code links from the notes, the arXiv comments and, where enabled, the Hugging Face and
paperswithcode APIs; a machine-written TL;DR for papers without the authors' own; with a GitHub token, the
linked repositories' metadata and the GitHub accounts the authors' socials name."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import requests
import sqlite_utils

from paperharvest.errors import NormalizeError
from paperharvest.models import GitHubUser, Repository
from paperharvest.normalize.github import github_user, repository_from_github, repository_path
from paperharvest.normalize.links import (
    code_links_from_hf,
    code_links_from_note,
    code_links_from_pwc,
    code_links_from_text,
    merge_code_links,
    tldr_from_s2,
)
from paperharvest.normalize.values import clean_text
from paperharvest.sources.codelinks import fetch_code_apis
from paperharvest.sources.github import (
    GITHUB_RETRY_STATUSES,
    STOPS,
    GitHubRequest,
    RepoRequest,
    UserRequest,
    fetch_github,
)
from paperharvest.sources.semanticscholar import fetch_s2_papers
from paperharvest.stages.accounts import decide_accounts
from paperharvest.stages.run import USER_AGENT, Run, note_content
from paperharvest.store.github import github_users_due, save_github_user, save_github_user_gone, touch_github_user
from paperharvest.store.links import (
    linked_papers,
    repositories_due,
    save_code_answer,
    save_code_links,
    save_machine_tldr,
    save_repository,
    save_repository_gone,
    stored_code_answers,
    touch_repository,
)
from paperharvest.venues import VenueConfig

log = logging.getLogger(__name__)

Q = TypeVar("Q", bound=GitHubRequest)
T = TypeVar("T")


def stage_code(run: Run) -> dict[str, Any]:
    """Code links from the notes, the arXiv comments and, where enabled, the Hugging Face and
    paperswithcode APIs; a machine-written TL;DR (Semantic Scholar's, else Hugging Face's AI summary) stands
    in for a missing one, marked as such; with a GitHub token, the linked repositories' metadata."""
    venue, settings = run.venue, run.settings
    counts: Counter[str] = Counter()
    apis = settings.enabled_code_apis
    if apis:
        known = stored_code_answers(run.db)
        linked = linked_papers(run.db, venue.key)
        wanted = sorted({arxiv_id for _, arxiv_id, _, _ in linked if arxiv_id})
        session = run.network.session()
        for source in ("huggingface", "paperswithcode"):
            if source not in apis:
                continue
            # Each source is asked only what it has not answered yet, one source at a time.
            todo = [a for a in wanted if (source, a) not in known]
            hf = settings.hf_api_url if source == "huggingface" else None
            pwc = settings.pwc_api_url if source == "paperswithcode" else None
            for answer in fetch_code_apis(session, hf_base=hf, pwc_base=pwc, arxiv_ids=todo):
                if answer.error:
                    log.warning("code links: %s does not answer (%s); skipped for this run", source, answer.error)
                    counts[f"{source}_unavailable"] += 1
                    continue
                with run.db.atomic():
                    save_code_answer(run.db, answer.source, answer.arxiv_id, answer.payload, run.network.now())
                counts[f"{source}_answers"] += 1
        if "semanticscholar" in apis:
            # Only papers without the authors' TL;DR: S2 gives nothing else we keep.
            untold = {a for _, a, _, note in linked if a and not author_tldr(json.loads(note), venue)}
            todo = [a for a in wanted if a in untold and ("semanticscholar", a) not in known]
            counts.update(fetch_s2_tldrs(run, todo, session))
    counts.update(derive_code_links(run.db, venue, run.network.now()))
    counts.update(fetch_github_metadata(run))
    return dict(counts)


def author_tldr(note: Mapping[str, Any], venue: VenueConfig) -> str | None:
    """The authors' own TL;DR in a raw note, trimmed; None when the venue has no such field or it is blank."""
    if not venue.fields.tldr:
        return None
    return clean_text(note_content(note, venue).get(venue.fields.tldr))


def fetch_s2_tldrs(run: Run, arxiv_ids: Sequence[str], session: requests.Session) -> Counter[str]:
    """Semantic Scholar's entries for `arxiv_ids` (≤ 500 a request), each stored raw by arXiv id (null kept:
    "S2 does not know it", not asked again)."""
    counts: Counter[str] = Counter()
    key = run.settings.s2_api_key.get_secret_value() if run.settings.s2_api_key else None
    for batch in fetch_s2_papers(session, run.settings.s2_api_url, arxiv_ids, api_key=key):
        if batch.error:
            log.warning("TL;DRs: Semantic Scholar does not answer (%s)", batch.error)
            counts["semanticscholar_unavailable"] += 1
            continue
        with run.db.atomic():
            for arxiv_id, paper in zip(batch.arxiv_ids, batch.papers, strict=True):
                save_code_answer(run.db, "semanticscholar", arxiv_id, paper, run.network.now())
        counts["semanticscholar_requests"] += 1
        counts["semanticscholar_answers"] += len(batch.arxiv_ids)
        run.progress("semanticscholar", counts["semanticscholar_answers"], len(arxiv_ids))
    return counts


@dataclass(frozen=True)
class _GitHubKind(Generic[Q, T]):
    """One kind of GitHub resource the stage keeps: how its logs and counts name it, how an answer is read,
    and how each outcome is stored (`save` and `touch` by the request's key)."""

    label: str
    noun: str
    prefix: str
    read: Callable[[Mapping[str, Any]], T]
    save: Callable[[sqlite_utils.Database, str, T, Mapping[str, Any], str | None, datetime], None]
    touch: Callable[[sqlite_utils.Database, str, datetime], None]
    gone: Callable[[sqlite_utils.Database, Q, str, datetime], None]


REPOSITORIES: _GitHubKind[RepoRequest, Repository] = _GitHubKind(
    "GitHub metadata",
    "repositories",
    "github",
    repository_from_github,
    save_repository,
    touch_repository,
    lambda db, request, status, at: save_repository_gone(db, request.url, request.owner, request.name, status, at),
)
USERS: _GitHubKind[UserRequest, GitHubUser] = _GitHubKind(
    "GitHub users",
    "users",
    "github_users",
    github_user,
    save_github_user,
    touch_github_user,
    lambda db, request, status, at: save_github_user_gone(db, request.login, status, at),
)


def fetch_github_metadata(run: Run) -> Counter[str]:
    """Metadata of each GitHub repository the venue's papers link to, then the GitHub accounts its authors'
    socials name, each at most once per PAPERHARVEST_GITHUB_REFRESH_DAYS. Needs GITHUB_TOKEN; a replay
    follows its recording instead. A rate limit (or a refused token, or GitHub down) ends the asking for the
    run, not the run."""
    settings, network = run.settings, run.network
    counts: Counter[str] = Counter()
    token = settings.github_token.get_secret_value() if settings.github_token else None
    if not (network.replays("github") if network.offline else token):
        log.info(
            "code: GitHub repository metadata and users not fetched (%s)",
            "not in the recording" if network.offline else "no GITHUB_TOKEN",
        )
        return counts
    fresh_after = network.now() - timedelta(days=settings.github_refresh_days)
    session = network.session(retry_statuses=GITHUB_RETRY_STATUSES)
    due = repositories_due(run.db, run.venue.key, fresh_after)
    repositories = [RepoRequest(url, *repository_path(url), etag) for url, etag in due]
    stopped = _ask_github(run, session, token, REPOSITORIES, repositories, counts)
    users = [UserRequest(login, etag) for login, etag in github_users_due(run.db, run.venue.key, fresh_after)]
    if stopped:
        counts[f"{USERS.prefix}_due"] = counts[f"{USERS.prefix}_left"] = len(users)
    else:
        _ask_github(run, session, token, USERS, users, counts)
    if counts[f"{USERS.prefix}_ok"]:
        # GitHub's answers confirm (or contradict) accounts: the decision is taken again with them.
        counts.update(decide_accounts(run.db))
    return counts


def _ask_github(
    run: Run,
    session: requests.Session,
    token: str | None,
    kind: _GitHubKind[Q, T],
    todo: Sequence[Q],
    counts: Counter[str],
) -> bool:
    """Ask GitHub about `todo`, storing each answer, counting under `kind.prefix`; whether it said stop."""
    network, prefix = run.network, kind.prefix
    by_key = {request.key: request for request in todo}
    counts[f"{prefix}_due"] = len(todo)
    answers = fetch_github(session, run.settings.github_api_url, todo, token=token, user_agent=USER_AGENT)
    for done, answer in enumerate(answers):
        if answer.outcome in STOPS:
            # Not fatal: what was fetched is kept, and the rest is due first next run.
            log.warning("%s: %s; %d %s left for the next run", kind.label, answer.detail, len(todo) - done, kind.noun)
            counts[f"{prefix}_{answer.outcome}"] += 1
            counts[f"{prefix}_left"] = len(todo) - done
            return True
        request, now = by_key[answer.key], network.now()
        with run.db.atomic():
            if answer.outcome == "ok" and answer.payload is not None:
                try:
                    record = kind.read(answer.payload)
                except NormalizeError as exc:
                    log.warning("%s: skipping %s: %s", kind.label, request.what, exc)
                    counts[f"{prefix}_invalid"] += 1
                else:
                    kind.save(run.db, answer.key, record, answer.payload, answer.etag, now)
                    counts[f"{prefix}_ok"] += 1
            elif answer.outcome == "not_modified":
                kind.touch(run.db, answer.key, now)
                counts[f"{prefix}_not_modified"] += 1
            else:
                kind.gone(run.db, request, answer.outcome, now)
                counts[f"{prefix}_{answer.outcome}"] += 1
        run.progress(prefix, done + 1, len(todo))
    return False


def derive_code_links(
    db: sqlite_utils.Database, venue: VenueConfig, now: datetime, *, rederived: bool = False
) -> Counter[str]:
    """Every paper's code links, from what is stored: raw notes, arXiv comments and code-API answers; and
    a machine-written TL;DR for each paper without the authors' own. Semantic Scholar's comes first: its
    model (SciTLDR) was trained to write exactly this field, on OpenReview's own TL;DRs; Hugging Face's
    `ai_summary` (a general summary) fills in where S2 has none."""
    counts: Counter[str] = Counter()
    answers = stored_code_answers(db)
    with db.atomic():
        for forum_id, arxiv_id, comment, note_json in linked_papers(db, venue.key):
            note = json.loads(note_json)
            content = note_content(note, venue)
            found = code_links_from_note(content, code_key=venue.fields.code)
            found += code_links_from_text(comment, source="arxiv-comment")
            summary = None
            hf_answer = answers.get(("huggingface", arxiv_id or ""))
            if hf_answer:
                hf_links, summary = code_links_from_hf(hf_answer)
                found += hf_links
            pwc_answer = answers.get(("paperswithcode", arxiv_id or ""))
            if pwc_answer:
                found += code_links_from_pwc(pwc_answer)
            links = merge_code_links(found)
            save_code_links(db, forum_id, links, now, rederived=rederived)
            counts["links"] += len(links)
            counts["repositories"] += sum(1 for link in links if link.kind == "repository")
            if arxiv_id and not author_tldr(note, venue):
                s2_tldr = tldr_from_s2(answers.get(("semanticscholar", arxiv_id)), arxiv_id)
                machine = (s2_tldr, "semantic-scholar") if s2_tldr else (summary, "huggingface")
                if machine[0]:
                    save_machine_tldr(db, forum_id, machine[0], machine[1], now)
                    counts["machine_tldrs"] += 1
    return counts
