"""The stages in order. Only this module (and the CLI) knows sources, normalize and store together.

notes -> profiles -> homepages -> arxiv -> code (code links, optional TL;DR fallbacks, GitHub metadata).
Each stage commits its own work in small transactions (a page of notes, a batch of profiles, one homepage),
so a failure leaves what earlier stages and earlier pages stored, and the next run resumes by skipping what
is already stored and fresh.
"""

from __future__ import annotations

import json
import logging
import platform
import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import requests
import sqlite_utils

from paperharvest import __version__
from paperharvest.errors import HarvestError, NormalizeError, UpstreamDataError
from paperharvest.models import ArxivEntry, MatchResult, NormalizedNote, ProfileRecords, SocialLink
from paperharvest.net import Network
from paperharvest.normalize.arxiv import PaperToMatch, best_match, find_arxiv_ids
from paperharvest.normalize.github import repository_from_github, repository_path
from paperharvest.normalize.links import (
    code_links_from_hf,
    code_links_from_note,
    code_links_from_pwc,
    code_links_from_text,
    merge_code_links,
    tldr_from_s2,
)
from paperharvest.normalize.notes import clean_text, group_by_forum, normalize_note
from paperharvest.normalize.notes_v2 import normalize_note_v2, unwrap_content
from paperharvest.normalize.profiles import normalize_profile
from paperharvest.normalize.socials import canonical_social, extract_socials
from paperharvest.settings import Settings
from paperharvest.sources.arxiv import ArxivPacer, RawFeed, fetch_by_ids, search_titles
from paperharvest.sources.codelinks import fetch_code_apis
from paperharvest.sources.github import GITHUB_RETRY_STATUSES, RepoRequest, fetch_repositories
from paperharvest.sources.homepages import HTML_TYPES, HomepageRequest, HostPacer, fetch_homepages
from paperharvest.sources.openreview import fetch_note_pages, fetch_profile_pages, fetch_venue_group, make_client
from paperharvest.sources.semanticscholar import fetch_s2_papers
from paperharvest.store.links import (
    linked_papers,
    papers_to_link,
    repositories_due,
    rewrite_repository,
    save_arxiv_feed,
    save_arxiv_links,
    save_code_answer,
    save_code_links,
    save_machine_tldr,
    save_repository,
    save_repository_gone,
    stored_code_answers,
    stored_repositories,
    touch_repository,
)
from paperharvest.store.people import (
    authors_to_resolve,
    homepages_due,
    homepages_to_reattribute,
    mark_unresolved,
    save_homepage,
    save_homepage_socials,
    save_profiles,
    write_profile_records,
)
from paperharvest.store.save import (
    finish_run,
    iter_raw_notes,
    mark_venue_harvested,
    replace_records,
    save_page,
    save_raw_notes,
    save_venue,
    start_run,
)
from paperharvest.venues import VenueConfig, check_venue_group

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
REBUILD_BATCH = 1000
# Profile fields that name an account on a platform the socials table knows.
PROFILE_SOCIAL_KINDS = ("linkedin", "gscholar", "orcid")
USER_AGENT = f"paperharvest/{__version__} (+https://github.com/paperharvest/paperharvest)"


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("paperharvest", "openreview-py", "sqlite-utils", "pydantic", "requests", "httpx"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return versions


@dataclass
class Run:
    """What every stage of one `fetch` shares."""

    db: sqlite_utils.Database
    venue: VenueConfig
    settings: Settings
    network: Network
    progress: ProgressCallback
    counts: dict[str, Any] = field(default_factory=dict)
    _client: Any = None

    def openreview(self) -> Any:
        """One logged-in OpenReview client for all stages, made on first use."""
        if self._client is None:
            self._client = make_client(self.settings, self.network)
        return self._client


def stage_notes(run: Run) -> dict[str, Any]:
    venue, settings = run.venue, run.settings
    api_url = settings.openreview_api_url if venue.api_version == 1 else settings.openreview_api_url_v2
    group = fetch_venue_group(run.openreview(), api_url, venue.venue_id)
    check_venue_group(venue, group)
    notes_url = api_url.rstrip("/") + "/notes"
    counts: Counter[str] = Counter()
    by_listing: dict[str, int] = {}
    decisions_by_forum = None
    if venue.replies.decision_scope == "venue":
        # 2018: one venue-wide decision invitation; its notes are kept raw and matched to papers by forum.
        decision_notes = []
        for page in fetch_note_pages(
            run.openreview(), venue.replies.decision, page_size=settings.page_size, details=None, notes_url=notes_url
        ):
            save_raw_notes(run.db, venue, page.invitation, page.notes, run.network.now())
            decision_notes.extend(page.notes)
        decisions_by_forum = group_by_forum(decision_notes)
        by_listing[venue.replies.decision] = len(decision_notes)
    for listing in venue.listings:
        seen = 0
        for page in fetch_note_pages(
            run.openreview(), listing.invitation, page_size=settings.page_size, notes_url=notes_url
        ):
            normalized = [normalize_any(note, venue, decisions_by_forum) for note in page.notes]
            result = save_page(run.db, venue, page.invitation, page.notes, normalized, run.network.now())
            seen += len(page.notes)
            counts.update(
                notes_seen=len(page.notes),
                papers_added=result.added,
                papers_updated=result.updated,
                papers_unchanged=result.unchanged,
            )
            run.progress(listing.invitation.rsplit("/", 1)[-1], seen, page.count)
        by_listing[listing.invitation] = seen
        if seen == 0 and listing.status == "decided":
            # An empty main listing means a wrong host, API version or invitation, or a gate: never "no papers".
            raise UpstreamDataError(
                f"OpenReview listed no notes for {listing.invitation}; check the venue's api_version "
                f"({venue.api_version}) against OPENREVIEW_API_BASEURL(_V2) and the invitation name"
            )
    return {**counts, "by_listing": by_listing}


def normalize_any(
    raw: Mapping[str, Any], venue: VenueConfig, decisions_by_forum: Mapping[str, Any] | None = None
) -> NormalizedNote:
    """The normalizer for the venue's API version."""
    if venue.api_version == 2:
        return normalize_note_v2(raw, venue)
    return normalize_note(raw, venue, decisions_by_forum)


def profile_socials(records: ProfileRecords) -> list[SocialLink]:
    found = (canonical_social(link.url) for link in records.links if link.kind in PROFILE_SOCIAL_KINDS)
    return [social for social in found if social is not None]


def stage_profiles(run: Run) -> dict[str, Any]:
    stale = run.network.now() - timedelta(days=run.settings.profile_refresh_days)
    todo = authors_to_resolve(run.db, run.venue.key, stale)
    ids = [a for a in todo if a.startswith("~")]
    emails = [a for a in todo if "@" in a]
    requested: dict[str, list[str]] = {}
    for author_id in todo:
        requested.setdefault(author_id.lower(), []).append(author_id)
    counts: Counter[str] = Counter(to_resolve=len(todo))
    answered: set[str] = set()
    done = 0
    for page in fetch_profile_pages(run.openreview(), ids, emails):
        done += len(page.requested)
        if page.refused:
            log.warning("OpenReview refused e-mail lookups (%s); those authors stay unresolved", page.refused)
            counts["refused"] += len(page.requested)
            continue
        batch = []
        for raw in page.profiles:
            try:
                records = normalize_profile(raw)
            except NormalizeError as exc:
                log.warning("skipping a profile: %s", exc)
                counts["invalid_profiles"] += 1
                continue
            batch.append((raw, records, profile_socials(records)))
        answered |= save_profiles(run.db, batch, requested, run.network.now())
        counts["profiles"] += len(batch)
        run.progress("profiles", done, len(todo))
    counts["unresolved"] = mark_unresolved(run.db, [a for a in todo if a not in answered], run.network.now())
    counts["resolved"] = len(todo) - counts["unresolved"]
    return dict(counts)


def stage_homepages(run: Run) -> dict[str, Any]:
    settings = run.settings
    fresh_after = run.network.now() - timedelta(days=settings.homepage_refresh_days)
    due = homepages_due(run.db, run.venue.key, fresh_after)
    client = run.network.web_client(
        allow_private=settings.allow_private_hosts,
        max_bytes=settings.homepage_max_bytes,
        body_types=HTML_TYPES,
        timeout=settings.homepage_timeout,
        page_seconds=2 * settings.homepage_timeout,
        user_agent=USER_AGENT,
    )
    # A replay has no hosts to be polite to, and answering in order keeps its timestamps reproducible.
    offline = run.network.offline
    pacer = HostPacer(0 if offline else settings.homepage_host_interval)
    concurrency = 1 if offline else settings.homepage_concurrency
    counts: Counter[str] = Counter(due=len(due))
    requests = [HomepageRequest(url, etag, modified) for url, etag, modified in due]
    with client:
        for done, fetch in enumerate(fetch_homepages(client, requests, concurrency=concurrency, pacer=pacer), 1):
            socials = extract_socials(fetch.html, fetch.final_url) if fetch.html is not None else []
            save_homepage(run.db, fetch, socials, run.network.now())
            counts[fetch.outcome] += 1
            counts["socials"] += len(socials)
            run.progress("homepages", done, len(due))
    # Pages not due again whose owners changed (a second person lists one, or someone stopped): their
    # stored copy is read again, so every owner gets the page's socials at the right confidence.
    for url, final_url, html, fetched_at in homepages_to_reattribute(run.db, run.venue.key):
        with run.db.atomic():
            save_homepage_socials(run.db, url, extract_socials(html, final_url), fetched_at)
        counts["reattributed"] += 1
    return dict(counts)


def note_content(note: Mapping[str, Any], venue: VenueConfig) -> dict[str, Any]:
    """A raw note's content as plain values, whichever API it came from."""
    content = note.get("content") or {}
    return unwrap_content(content) if venue.api_version == 2 else dict(content)


def explicit_arxiv_ids(content: Mapping[str, Any]) -> list[str]:
    """arXiv ids the authors wrote into the note: links in any text field (abstract, code, comments...)."""
    texts = [value for value in content.values() if isinstance(value, str)]
    return find_arxiv_ids("\n".join(texts))


def stage_arxiv(run: Run) -> dict[str, Any]:
    """Link papers to arXiv: ids the papers cite first (one id_list request per 100), then batched title
    searches for the rest, every candidate confirmed locally (title, authors, dates)."""
    venue, settings = run.venue, run.settings
    papers = papers_to_link(run.db, venue.key, run.network.now() - timedelta(days=settings.arxiv_retry_days))
    session = run.network.session(min_backoff=settings.arxiv_delay)
    pacer = ArxivPacer(0 if run.network.offline else settings.arxiv_delay)
    api = settings.arxiv_api_url
    explicit = [explicit_arxiv_ids(note_content(p["note"], venue)) for p in papers]
    counts: Counter[str] = Counter(papers=len(papers))

    def to_match(i: int) -> PaperToMatch:
        return PaperToMatch(papers[i]["title"], papers[i]["authors"], venue.year, explicit[i])

    def keep(feed: RawFeed) -> list[ArxivEntry]:
        with run.db.atomic():
            save_arxiv_feed(run.db, feed.params, feed.xml, run.network.now())
        counts["requests"] += 1
        return feed.feed.entries

    by_id: dict[str, ArxivEntry] = {}
    for feed in fetch_by_ids(session, api, sorted({i for ids in explicit for i in ids}), pacer):
        by_id.update((entry.arxiv_id, entry) for entry in keep(feed))
    decided: list[tuple[str, MatchResult]] = []
    searching: list[int] = []
    for i, ids in enumerate(explicit):
        result = best_match(to_match(i), [by_id[x] for x in ids if x in by_id])
        if result.status == "matched":
            decided.append((papers[i]["forum_id"], result))
        else:
            searching.append(i)
    save_arxiv_links(run.db, decided, run.network.now())
    counts["explicit_id"] = len(decided)

    titles = [papers[i]["title"] for i in searching]
    window = (venue.year - 2, venue.year + 1)
    batch: tuple[int, ...] = ()
    candidates: list[ArxivEntry] = []

    def decide() -> None:
        results = []
        for j in batch:
            i = searching[j]
            own = [by_id[x] for x in explicit[i] if x in by_id]
            results.append((papers[i]["forum_id"], best_match(to_match(i), own + candidates)))
        save_arxiv_links(run.db, results, run.network.now())
        counts.update(r.status for _, r in results)
        run.progress("arxiv", counts["explicit_id"] + counts["matched"] + counts["unmatched"], len(papers))

    searched: set[int] = set()
    for indices, feed in search_titles(session, api, titles, pacer, submitted_years=window):
        if tuple(indices) != batch:
            decide()
            batch, candidates = tuple(indices), []
            searched.update(indices)
        candidates.extend(keep(feed))
    decide()
    # Titles with nothing searchable in them (only symbols, say) are in no query: decided on what they cite.
    batch, candidates = tuple(j for j in range(len(searching)) if j not in searched), []
    decide()
    counts["matched"] += counts.pop("explicit_id")
    return dict(counts)


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


def fetch_github_metadata(run: Run) -> Counter[str]:
    """Metadata of each GitHub repository the venue's papers link to, at most once per
    PAPERHARVEST_GITHUB_REFRESH_DAYS. Needs GITHUB_TOKEN; a replay follows its recording instead."""
    settings, network = run.settings, run.network
    counts: Counter[str] = Counter()
    token = settings.github_token.get_secret_value() if settings.github_token else None
    if not (network.replays("github") if network.offline else token):
        log.info(
            "code: GitHub repository metadata not fetched (%s)",
            "not in the recording" if network.offline else "no GITHUB_TOKEN",
        )
        return counts
    due = repositories_due(run.db, run.venue.key, network.now() - timedelta(days=settings.github_refresh_days))
    todo = [RepoRequest(url, *repository_path(url), etag) for url, etag in due]
    by_url = {request.url: request for request in todo}
    counts["github_due"] = len(todo)
    session = network.session(retry_statuses=GITHUB_RETRY_STATUSES)
    answers = fetch_repositories(session, settings.github_api_url, todo, token=token, user_agent=USER_AGENT)
    for done, answer in enumerate(answers):
        if answer.outcome in ("rate_limited", "refused", "unavailable"):
            # Not fatal: what was fetched is kept, and the rest is due first next run.
            log.warning("GitHub metadata: %s; %d repositories left for the next run", answer.detail, len(todo) - done)
            counts[f"github_{answer.outcome}"] += 1
            counts["github_left"] = len(todo) - done
            break
        request, now = by_url[answer.url], network.now()
        with run.db.atomic():
            if answer.outcome == "ok" and answer.payload is not None:
                try:
                    repo = repository_from_github(answer.payload)
                except NormalizeError as exc:
                    log.warning("GitHub metadata: skipping %s: %s", answer.url, exc)
                    counts["github_invalid"] += 1
                else:
                    save_repository(run.db, answer.url, repo, answer.payload, answer.etag, now)
                    counts["github_ok"] += 1
            elif answer.outcome == "not_modified":
                touch_repository(run.db, answer.url, now)
                counts["github_not_modified"] += 1
            else:
                save_repository_gone(run.db, answer.url, request.owner, request.name, answer.outcome, now)
                counts[f"github_{answer.outcome}"] += 1
        run.progress("github", done + 1, len(todo))
    return counts


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


def rederive_repositories(db: sqlite_utils.Database) -> int:
    """The repositories' columns, read again from the stored GitHub answers."""
    done = 0
    with db.atomic():
        for url, payload in stored_repositories(db):
            try:
                repo = repository_from_github(payload)
            except NormalizeError as exc:
                log.warning("rebuild: skipping the stored GitHub answer for %s: %s", url, exc)
                continue
            rewrite_repository(db, url, repo)
            done += 1
    return done


STAGES: dict[str, Callable[[Run], dict[str, Any]]] = {
    "notes": stage_notes,
    "profiles": stage_profiles,
    "homepages": stage_homepages,
    "arxiv": stage_arxiv,
    "code": stage_code,
}


def run_fetch(
    db: sqlite_utils.Database,
    venue: VenueConfig,
    settings: Settings,
    network: Network,
    options: dict[str, Any],
    stages: Sequence[str],
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """A whole `fetch`: records the run, runs the stages in order, and marks the run ok or failed."""
    save_venue(db, venue)
    run_id = start_run(
        db,
        command="fetch",
        venue=venue.key,
        options=options,
        versions=package_versions(),
        started_at=network.started_at,
    )
    run = Run(db, venue, settings, network, progress or (lambda stage, done, total: None))
    try:
        for name in STAGES:
            if name in stages:
                run.counts[name] = STAGES[name](run)
    except BaseException as exc:
        run.counts["requests"] = network.request_counts
        message = str(exc) if isinstance(exc, HarvestError) else f"{type(exc).__name__}: {exc}"
        finish_run(db, run_id, outcome="failed", ended_at=network.finish(), counts=run.counts, error=message)
        raise
    run.counts["requests"] = network.request_counts
    ended = network.finish()
    with db.atomic():
        finish_run(db, run_id, outcome="ok", ended_at=ended, counts=run.counts)
        mark_venue_harvested(db, venue.key, ended, run_id)
    return run.counts


def rebuild(db: sqlite_utils.Database, venues: dict[str, VenueConfig], venue_key: str | None = None) -> dict[str, int]:
    """Re-run every normalizer over the stored raw payloads (notes, profiles, homepages, arXiv comments, code-API,
    Semantic Scholar and GitHub answers): no network."""
    done: Counter[str] = Counter()
    batch: list[tuple[NormalizedNote, str]] = []
    venue_wide = {
        key: group_by_forum(json.loads(r["json"]) for r in iter_raw_notes(db, key, v.replies.decision))
        for key, v in venues.items()
        if v.replies.decision_scope == "venue"
    }
    for row in iter_raw_notes(db, venue_key):
        venue = venues.get(row["venue"])
        if venue is None:
            raise UpstreamDataError(f"raw note {row['note_id']} belongs to venue {row['venue']!r}, which has no config")
        if row["invitation"] not in {listing.invitation for listing in venue.listings}:
            continue  # a venue-wide decision, read above
        note = normalize_any(json.loads(row["json"]), venue, venue_wide.get(venue.key))
        batch.append((note, row["fetched_at"]))
        done["notes"] += 1
        if len(batch) >= REBUILD_BATCH:
            with db.atomic():
                replace_records(db, batch)
            batch = []
    with db.atomic():
        replace_records(db, batch)
    with db.atomic():
        for fetched_at, text in db.execute("SELECT fetched_at, json FROM raw_profiles ORDER BY profile_id").fetchall():
            records = normalize_profile(json.loads(text))
            if not records.profile.merged_into:
                write_profile_records(db, records, profile_socials(records), fetched_at)
                done["profiles"] += 1
        pages = "SELECT url, final_url, html, fetched_at FROM homepages WHERE html IS NOT NULL ORDER BY url"
        for url, final_url, html, fetched_at in db.execute(pages).fetchall():
            save_homepage_socials(db, url, extract_socials(html, final_url or url), fetched_at)
            done["homepages"] += 1
    harvested = [key for (key,) in db.execute("SELECT key FROM venues WHERE last_harvested_at IS NOT NULL")]
    for key in harvested:
        if key in venues and (venue_key is None or key == venue_key):
            stamp = db.execute("SELECT last_harvested_at FROM venues WHERE key = ?", [key]).fetchone()[0]
            derived = derive_code_links(db, venues[key], datetime.fromisoformat(stamp), rederived=True)
            done["code_links"] += derived["links"]
            done["machine_tldrs"] += derived["machine_tldrs"]
    done["repositories"] = rederive_repositories(db)
    return dict(done)
