"""The profiles stage: every listed author id and e-mail resolved through POST /profiles/search, 1,000 a request."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from paperharvest.errors import NormalizeError
from paperharvest.normalize.profiles import normalize_profile
from paperharvest.sources.openreview import fetch_profile_pages
from paperharvest.stages.run import Run
from paperharvest.store.people import authors_to_resolve, mark_unresolved, save_profiles

log = logging.getLogger(__name__)


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
            batch.append((raw, records))
        answered |= save_profiles(run.db, batch, requested, run.network.now())
        counts["profiles"] += len(batch)
        run.progress("profiles", done, len(todo))
    counts["unresolved"] = mark_unresolved(run.db, [a for a in todo if a not in answered], run.network.now())
    counts["resolved"] = len(todo) - counts["unresolved"]
    return dict(counts)
