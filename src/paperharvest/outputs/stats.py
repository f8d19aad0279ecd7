"""`stats`: the numbers every "<venue> in numbers" post shows, computed once into a VenueStats that both
the terminal tables and the plot (outputs/plots.py) are drawn from.

Definitions (also in the README):
- outcome: the presentation of an accepted paper (talk, spotlight, poster, ...), else its status;
- acceptance rate: accepted papers over the submissions that have an outcome (under-review ones left out),
  withdrawn and desk-rejected included, as venues report it; "of decided" counts accepted and rejected only;
- a paper's mean rating: the plain mean of its reviews' ratings; spread: max - min, for papers with at least
  two ratings; confidence-weighted mean: sum(rating x confidence) / sum(confidence) over the reviews that
  give a confidence;
- rating buckets: [k, k+1) on the mean rating (k an integer);
- topics: keywords (lower-cased) or a v2 venue's primary area, the 20 with most submissions;
- rating change: over the review versions the harvest saw before the paper's decision, the mean of its
  reviews' last ratings minus that of their first ones (the definition `digest --by rating-change` ranks by).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from paperharvest.outputs.digest import describe_version
from paperharvest.store.digest import data_version
from paperharvest.store.stats import PaperRatings, paper_ratings, paper_topics, rating_changes, rejected_published

TOP_TOPICS = 20
OUTCOME_ORDER = (
    "talk",
    "oral",
    "spotlight",
    "poster",
    "accepted",
    "rejected",
    "withdrawn",
    "desk-rejected",
    "retracted",
)
UNDECIDED = "under-review"
# Statuses with no outcome yet (a rolling journal's too): left out of every rate.
UNDECIDED_STATUSES = frozenset({UNDECIDED, "submitted", "decision-pending"})
# What a venue makes public of its rejected papers (venues.published_rejected) and what a rate means then.
PUBLISHED_REJECTED_NOTE = {
    "opt-in": "rejected papers are public only when their authors opt in: no rate here is the venue's acceptance rate",
    "none": "the venue publishes accepted papers only: no acceptance rate can be computed",
    None: "what the venue publishes of its rejected papers is not known: no rate here is the venue's acceptance rate",
}


@dataclass(frozen=True)
class OutcomeRow:
    outcome: str
    papers: int
    rated: int
    mean_rating: float | None  # mean of the papers' mean ratings
    mean_spread: float | None  # over papers with two or more ratings
    max_spread: int | None
    weighted_mean: float | None  # mean of the confidence-weighted means
    weighted_papers: int  # papers with at least one confidence


@dataclass(frozen=True)
class BucketRow:
    low: int  # the bucket is [low, low + 1)
    papers: int
    accepted: int
    rate: float | None


@dataclass(frozen=True)
class TopicRow:
    topic: str
    papers: int
    accepted: int
    rate: float | None


@dataclass(frozen=True)
class ChangeRow:
    outcome: str
    papers: int
    mean_change: float
    raised: int
    lowered: int


@dataclass(frozen=True)
class VenueStats:
    venue: str
    name: str
    version: str
    submissions: int
    with_outcome: int
    accepted: int
    rejected: int
    outcomes: tuple[OutcomeRow, ...]
    # mean-rating histogram: buckets[i] is the low end of bin i, histogram[outcome][i] its count
    buckets: tuple[int, ...]
    histogram: dict[str, tuple[int, ...]]
    by_bucket: tuple[BucketRow, ...]
    topic_kind: str
    topics: tuple[TopicRow, ...]
    changes: tuple[ChangeRow, ...] | None  # None: no paper has a known rating change
    # venues.published_rejected: only "all" makes accepted / with an outcome the venue's acceptance rate.
    rejected_published: str | None = "all"

    @property
    def rates_are_the_venues(self) -> bool:
        return _rates_are_the_venues(self.rejected_published)

    @property
    def acceptance_rate(self) -> float | None:
        return _rate(self.accepted, self.with_outcome) if self.rates_are_the_venues else None

    @property
    def decided_rate(self) -> float | None:
        return _rate(self.accepted, self.accepted + self.rejected) if self.rates_are_the_venues else None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def outcome_of(status: str, presentation: str | None) -> str:
    return (presentation or status) if status == "accepted" else status


def _ordered(outcomes: Iterable[str]) -> list[str]:
    rank = {name: i for i, name in enumerate((*OUTCOME_ORDER, UNDECIDED))}
    return sorted(set(outcomes), key=lambda o: (rank.get(o, len(rank)), o))


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _weighted(paper: PaperRatings) -> float | None:
    weight = sum(c for _, c in paper.rated_confidences)
    return sum(r * c for r, c in paper.rated_confidences) / weight if weight else None


def _outcome_row(outcome: str, papers: Sequence[PaperRatings]) -> OutcomeRow:
    rated = [p for p in papers if p.ratings]
    spreads = [max(p.ratings) - min(p.ratings) for p in rated if len(p.ratings) > 1]
    weighted = [w for w in map(_weighted, rated) if w is not None]
    return OutcomeRow(
        outcome=outcome,
        papers=len(papers),
        rated=len(rated),
        mean_rating=_mean([statistics.fmean(p.ratings) for p in rated]),
        mean_spread=_mean(spreads),
        max_spread=max(spreads, default=None),
        weighted_mean=_mean(weighted),
        weighted_papers=len(weighted),
    )


def _rates_are_the_venues(rejected_published: str | None) -> bool:
    """Only a venue that publishes all its rejections has shares of it that are its acceptance rates."""
    return rejected_published == "all"


def compute_stats(db: sqlite_utils.Database, venue_key: str, venue_name: str) -> VenueStats:
    papers = paper_ratings(db, venue_key)
    outcome = {p.forum_id: outcome_of(p.status, p.presentation) for p in papers}
    by_outcome: dict[str, list[PaperRatings]] = defaultdict(list)
    for paper in papers:
        by_outcome[outcome[paper.forum_id]].append(paper)
    outcome_names = _ordered(by_outcome)
    accepted_ids = {p.forum_id for p in papers if p.status == "accepted"}

    decided = [p for p in papers if p.status not in UNDECIDED_STATUSES]
    published = rejected_published(db, venue_key)

    def rate(part: int, whole: int) -> float | None:
        # Opt-in rejections (NeurIPS) or none at all (ICML): any "accepted of" share would be made up.
        return _rate(part, whole) if _rates_are_the_venues(published) else None

    rated = [p for p in decided if p.ratings]
    bucket_of = {p.forum_id: math.floor(statistics.fmean(p.ratings)) for p in rated}
    buckets = tuple(range(min(bucket_of.values()), max(bucket_of.values()) + 1)) if bucket_of else ()
    histogram = {
        outcome: tuple(sum(1 for p in by_outcome[outcome] if bucket_of.get(p.forum_id) == b) for b in buckets)
        for outcome in outcome_names
        if any(p.forum_id in bucket_of for p in by_outcome[outcome])
    }
    by_bucket = []
    for b in buckets:
        ids = [f for f, k in bucket_of.items() if k == b]
        hits = sum(1 for f in ids if f in accepted_ids)
        by_bucket.append(BucketRow(b, len(ids), hits, rate(hits, len(ids))))

    topic_kind, topic_pairs = paper_topics(db, venue_key)
    decided_ids = {p.forum_id for p in decided}
    per_topic: dict[str, set[str]] = defaultdict(set)
    for forum_id, topic in topic_pairs:
        if forum_id in decided_ids:
            per_topic[topic].add(forum_id)
    top = sorted(per_topic.items(), key=lambda item: (-len(item[1]), item[0]))[:TOP_TOPICS]
    topics = tuple(
        TopicRow(t, len(ids), len(ids & accepted_ids), rate(len(ids & accepted_ids), len(ids))) for t, ids in top
    )

    return VenueStats(
        venue=venue_key,
        name=venue_name,
        version=describe_version(data_version(db, venue_key)),
        submissions=len(papers),
        with_outcome=len(decided),
        accepted=len(accepted_ids),
        rejected=sum(1 for p in papers if p.status == "rejected"),
        outcomes=tuple(_outcome_row(o, by_outcome[o]) for o in outcome_names),
        buckets=buckets,
        histogram=histogram,
        by_bucket=tuple(by_bucket),
        topic_kind=topic_kind,
        topics=topics,
        changes=_changes(db, venue_key, outcome),
        rejected_published=published,
    )


def _changes(db: sqlite_utils.Database, venue_key: str, outcome: Mapping[str, str]) -> tuple[ChangeRow, ...] | None:
    """Rating changes by outcome; `outcome` is each paper's (outcome_of)."""
    changes = rating_changes(db, venue_key)
    if not changes:
        return None
    deltas: dict[str, list[float]] = defaultdict(list)
    for forum_id, change in changes:
        deltas[outcome[forum_id]].append(change)
    return tuple(
        ChangeRow(
            o,
            len(deltas[o]),
            statistics.fmean(deltas[o]),
            sum(1 for d in deltas[o] if d > 0),
            sum(1 for d in deltas[o] if d < 0),
        )
        for o in _ordered(deltas)
    )


# Terminal tables: (title, columns, rows) for the CLI's table printer.
Section = tuple[str, list[str], list[dict[str, Any]]]
_RATE_COLUMNS = ["papers", "accepted", "rate"]


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def headline(stats: VenueStats) -> str:
    if not stats.rates_are_the_venues:
        return (
            f"{stats.name} ({stats.venue}): {stats.submissions} papers listed, {stats.accepted} accepted; "
            f"{PUBLISHED_REJECTED_NOTE[stats.rejected_published]}. From {stats.version}."
        )
    return (
        f"{stats.name} ({stats.venue}): {stats.submissions} submissions, {stats.accepted} accepted: "
        f"{_pct(stats.acceptance_rate)} of {stats.with_outcome} with an outcome, "
        f"{_pct(stats.decided_rate)} of {stats.accepted + stats.rejected} decided. From {stats.version}."
    )


def sections(stats: VenueStats) -> list[Section]:
    weighted = any(row.weighted_papers for row in stats.outcomes)
    outcome_rows = [
        {
            "outcome": r.outcome,
            "papers": r.papers,
            "share": _pct(_rate(r.papers, stats.submissions)),
            "rated": r.rated,
            "mean rating": _num(r.mean_rating),
            "conf-weighted": _num(r.weighted_mean) if weighted else "n/a",
            "mean spread": _num(r.mean_spread),
            "max spread": r.max_spread,
        }
        for r in stats.outcomes
    ]
    histogram_rows = [
        {"mean rating": f"{b}-{b + 1}", **{o: counts[i] for o, counts in stats.histogram.items()}}
        for i, b in enumerate(stats.buckets)
    ]
    bucket_rows = [
        {"mean rating": f"{r.low}-{r.low + 1}", "papers": r.papers, "accepted": r.accepted, "rate": _pct(r.rate)}
        for r in stats.by_bucket
    ]
    topic_rows = [
        {stats.topic_kind: t.topic, "papers": t.papers, "accepted": t.accepted, "rate": _pct(t.rate)}
        for t in stats.topics
    ]
    result: list[Section] = [
        (
            "by outcome (spread = max - min rating; conf-weighted needs review confidences)",
            list(outcome_rows[0]) if outcome_rows else ["outcome"],
            outcome_rows,
        ),
        ("papers by mean rating and outcome", ["mean rating", *stats.histogram], histogram_rows),
        ("acceptance by mean rating", ["mean rating", *_RATE_COLUMNS], bucket_rows),
        (
            f"acceptance by {stats.topic_kind} (top {TOP_TOPICS})",
            [stats.topic_kind, *_RATE_COLUMNS],
            topic_rows,
        ),
    ]
    if stats.changes is None:
        result.append(
            (
                "rating change during the rebuttal: none known (a later harvest must look again before the decisions)",
                [],
                [],
            )
        )
    else:
        change_rows = [
            {
                "outcome": c.outcome,
                "papers": c.papers,
                "mean change": f"{c.mean_change:+.2f}",
                "raised": c.raised,
                "lowered": c.lowered,
            }
            for c in stats.changes
        ]
        result.append(
            (
                "rating change during the rebuttal",
                ["outcome", "papers", "mean change", "raised", "lowered"],
                change_rows,
            )
        )
    return result
