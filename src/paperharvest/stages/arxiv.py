"""The arXiv stage: ids the papers cite first (one id_list request per 100), then batched title searches for
the rest, every candidate confirmed locally (title, authors, dates)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from paperharvest.models import ArxivEntry, MatchResult
from paperharvest.normalize.arxiv_match import PaperToMatch, arxiv_year_window, best_match
from paperharvest.normalize.arxiv_query import find_arxiv_ids
from paperharvest.sources.arxiv import ArxivPacer, RawFeed, fetch_by_ids, search_titles
from paperharvest.stages.run import Run, note_content
from paperharvest.store.links import papers_to_link, save_arxiv_feed, save_arxiv_links


def explicit_arxiv_ids(content: Mapping[str, Any]) -> list[str]:
    """arXiv ids the authors wrote into the note: links in any text field (abstract, code, comments...)."""
    texts = [value for value in content.values() if isinstance(value, str)]
    return find_arxiv_ids("\n".join(texts))


def stage_arxiv(run: Run) -> dict[str, Any]:
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
    for indices, feed in search_titles(session, api, titles, pacer, submitted_years=arxiv_year_window(venue.year)):
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
