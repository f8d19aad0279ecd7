"""The homepages stage: each distinct homepage fetched politely (guarded, capped, conditional) and the
socials it links read and attributed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from paperharvest.normalize.socials import extract_socials
from paperharvest.sources.homepages import HTML_TYPES, HomepageRequest, HostPacer, fetch_homepages
from paperharvest.stages.run import USER_AGENT, Run
from paperharvest.store.people import homepages_due, homepages_to_reattribute, save_homepage, save_homepage_socials


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
        for done, fetch in enumerate(
            fetch_homepages(client, requests, concurrency=concurrency, pacer=pacer, deadline=run.network.deadline), 1
        ):
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
