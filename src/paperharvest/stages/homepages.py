"""The homepages stage: each distinct homepage fetched politely (guarded, capped, conditional), read for each
person who lists it (whose page it is, every account it shows and where), then every person's accounts
decided over the whole database."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from paperharvest.sources.homepages import HTML_TYPES, HomepageRequest, HostPacer, fetch_homepages
from paperharvest.stages.accounts import decide_accounts, read_homepage
from paperharvest.stages.run import USER_AGENT, Run
from paperharvest.store.people import homepages_due, homepages_to_reattribute, save_homepage


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
    deadline = run.network.deadline
    with client:
        pages = fetch_homepages(client, requests, concurrency=concurrency, pacer=pacer, deadline=deadline)
        for done, fetch in enumerate(pages, 1):
            save_homepage(run.db, fetch, run.network.now())
            if fetch.outcome == "ok" and fetch.html is not None:
                counts["socials"] += read_homepage(run.db, fetch.url, fetch.final_url, fetch.html)
            counts[fetch.outcome] += 1
            run.progress("homepages", done, len(due))
    # Pages not due again whose listers changed (a second person lists one, or someone stopped): their stored
    # copy is read again for each person now listing it.
    for url, final_url, html in homepages_to_reattribute(run.db, run.venue.key):
        read_homepage(run.db, url, final_url, html)
        counts["reattributed"] += 1
    counts.update(decide_accounts(run.db))
    return dict(counts)
