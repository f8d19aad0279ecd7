"""`paperharvest stats`: every number checked against SQL written here, independently of store/stats.py; the
plot drawn from the same numbers, of the expected size, with no text running into other text."""

from __future__ import annotations

import sqlite3
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.outputs.plots import DPI, FIGSIZE, PANELS, plot_stats
from paperharvest.outputs.stats import BucketRow, OutcomeRow, TopicRow, VenueStats, compute_stats
from paperharvest.store.db import open_db
from tests.demo_db import demo_copy
from tests.helpers import rows, scalar

OUTCOME = "CASE WHEN p.status = 'accepted' THEN coalesce(p.presentation, 'accepted') ELSE p.status END"
PER_PAPER = f"""SELECT p.forum_id, {OUTCOME} AS outcome, p.status, avg(r.rating) AS mean, count(r.rating) AS n,
  max(r.rating) - min(r.rating) AS spread, sum(r.rating * r.confidence) * 1.0 / sum(r.confidence) AS weighted
FROM papers p LEFT JOIN reviews r ON r.forum_id = p.forum_id AND r.rating IS NOT NULL
WHERE p.venue = 'iclr2020' GROUP BY p.forum_id"""


# The shape of schema.py's review_history view: every review seen once before the decisions (December 2019),
# AnonReviewer1's reviews seen a first time with a rating `delta` lower.
REBUTTAL_HISTORY = """CREATE VIEW review_history AS
  SELECT forum_id, review_id, rating, 2 AS version, '2019-11-20T00:00:00+00:00' AS fetched_at FROM reviews
  UNION ALL SELECT forum_id, review_id, rating - {delta}, 1, '2019-11-01T00:00:00+00:00' FROM reviews
  WHERE reviewer = 'AnonReviewer1'"""
# ... and a run that looked again before the decisions, without which no change is known.
LOOKED_AGAIN = """INSERT INTO runs (venue, command, started_at, ended_at, outcome)
  VALUES ('iclr2020', 'fetch', '2019-11-25T00:00:00+00:00', '2019-11-25T00:10:00+00:00', 'ok')"""


def fake_rebuttal_history(conn: sqlite3.Connection, delta: int) -> None:
    conn.execute("DROP VIEW review_history")
    conn.execute(REBUTTAL_HISTORY.format(delta=delta))
    conn.execute(LOOKED_AGAIN)


@pytest.fixture(scope="module")
def venue_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo venue with review confidences (2020 has none) and a rating history in which every
    AnonReviewer1 raised their rating by one during the rebuttal."""
    db = demo_copy(tmp_path_factory, tmp_path_factory.mktemp("stats") / "stats.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE reviews SET confidence = rowid * 7 % 5 + 1")
        fake_rebuttal_history(conn, delta=1)
    conn.close()
    return db


@pytest.fixture(scope="module")
def stats(venue_db: Path) -> VenueStats:
    return compute_stats(open_db(venue_db, create=False), "iclr2020", "ICLR 2020")


def test_outcomes_and_acceptance_equal_sql(venue_db: Path, stats: VenueStats) -> None:
    counts = dict(rows(venue_db, f"SELECT {OUTCOME}, count(*) FROM papers p WHERE venue = 'iclr2020' GROUP BY 1"))
    assert {r.outcome: r.papers for r in stats.outcomes} == counts
    assert stats.submissions == sum(counts.values())
    accepted = scalar(venue_db, "SELECT count(*) FROM papers WHERE venue = 'iclr2020' AND status = 'accepted'")
    rejected = scalar(venue_db, "SELECT count(*) FROM papers WHERE venue = 'iclr2020' AND status = 'rejected'")
    assert (stats.accepted, stats.rejected) == (accepted, rejected)
    assert stats.acceptance_rate == pytest.approx(accepted / stats.submissions)  # no paper is under review
    assert stats.decided_rate == pytest.approx(accepted / (accepted + rejected))
    assert [r.outcome for r in stats.outcomes][:3] == ["talk", "spotlight", "poster"]


def test_ratings_spread_and_weighted_means_by_outcome_equal_sql(venue_db: Path, stats: VenueStats) -> None:
    expected = rows(
        venue_db,
        f"""SELECT outcome, sum(n > 0), avg(CASE WHEN n > 0 THEN mean END), avg(CASE WHEN n > 1 THEN spread END),
              max(CASE WHEN n > 1 THEN spread END), avg(weighted), count(weighted)
            FROM ({PER_PAPER}) GROUP BY outcome""",
    )
    got = {r.outcome: r for r in stats.outcomes}
    assert scalar(venue_db, "SELECT count(*) FROM reviews WHERE confidence IS NOT NULL") > 0
    for outcome, rated, mean, spread, max_spread, weighted, weighted_n in expected:
        row = got[outcome]
        assert (row.rated, row.max_spread, row.weighted_papers) == (rated, max_spread, weighted_n), outcome
        for value, want in ((row.mean_rating, mean), (row.mean_spread, spread), (row.weighted_mean, weighted)):
            assert value == (None if want is None else pytest.approx(want)), outcome
    assert any(r.weighted_mean != r.mean_rating for r in stats.outcomes if r.rated)


def test_histogram_and_acceptance_by_rating_bucket_equal_sql(venue_db: Path, stats: VenueStats) -> None:
    # CAST truncates, which is floor for ratings (all positive).
    per_bucket = rows(
        venue_db,
        f"""SELECT CAST(mean AS INTEGER) AS b, outcome, count(*) FROM ({PER_PAPER})
            WHERE n > 0 AND status != 'under-review' GROUP BY b, outcome""",
    )
    histogram = {(b, o): c for b, o, c in per_bucket}
    low, high = min(b for b, _ in histogram), max(b for b, _ in histogram)
    assert stats.buckets == tuple(range(low, high + 1))
    for outcome, counts in stats.histogram.items():
        assert counts == tuple(histogram.get((b, outcome), 0) for b in stats.buckets), outcome
    assert set(stats.histogram) == {o for _, o in histogram}
    accepted = rows(
        venue_db,
        f"""SELECT CAST(mean AS INTEGER), count(*), sum(status = 'accepted') FROM ({PER_PAPER})
            WHERE n > 0 AND status != 'under-review' GROUP BY 1""",
    )
    by_low = {r.low: r for r in stats.by_bucket}
    for b, papers, hits in accepted:
        assert (by_low[b].papers, by_low[b].accepted, by_low[b].rate) == (papers, hits, pytest.approx(hits / papers))


def test_top_keywords_equal_sql(venue_db: Path, stats: VenueStats) -> None:
    top = rows(
        venue_db,
        """SELECT lower(trim(k.value)) AS kw, count(DISTINCT p.forum_id), count(DISTINCT CASE WHEN p.status = 'accepted'
             THEN p.forum_id END) FROM papers p, json_each(p.keywords) k WHERE p.venue = 'iclr2020'
           GROUP BY kw ORDER BY 2 DESC, kw LIMIT 20""",
    )
    assert stats.topic_kind == "keyword"
    assert [(t.topic, t.papers, t.accepted) for t in stats.topics] == top
    assert len(stats.topics) == 20


def test_rating_change_by_outcome_comes_from_the_history(venue_db: Path, stats: VenueStats) -> None:
    # Only AnonReviewer1 moved (+1): a paper's change is their share of its reviews.
    expected = rows(
        venue_db,
        f"""SELECT outcome, count(*), avg(raised * 1.0 / n) FROM (
              SELECT {OUTCOME} AS outcome, count(*) AS n, sum(r.reviewer = 'AnonReviewer1') AS raised
              FROM papers p JOIN reviews r ON r.forum_id = p.forum_id WHERE p.venue = 'iclr2020'
              AND r.rating IS NOT NULL GROUP BY p.forum_id) GROUP BY outcome""",
    )
    assert stats.changes is not None
    got = {c.outcome: c for c in stats.changes}
    assert set(got) == {o for o, _, _ in expected}
    for outcome, papers, mean_change in expected:
        assert got[outcome].papers == papers
        assert got[outcome].mean_change == pytest.approx(mean_change, abs=0.01)  # the history rounds to 2 places
        assert got[outcome].lowered == 0


def test_a_single_harvest_claims_no_rating_change(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    db = demo_copy(tmp_path_factory, tmp_path / "plain.db")
    # The replayed sample is one harvest: no run looked again, so no paper has a known change, not even the
    # undecided (withdrawn) ones whose reviews it saw once (their change is unknown, not 0).
    assert scalar(db, "SELECT count(*) FROM review_history") > 0
    computed = compute_stats(open_db(db, create=False), "iclr2020", "ICLR 2020")
    assert computed.changes is None


def test_cli_prints_the_tables_and_writes_a_png_of_the_figure_size(
    venue_db: Path, stats: VenueStats, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "plots" / "stats.png"
    assert main(["stats", "--venue", "iclr2020", "--db", str(venue_db), "--plot", str(png), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"{stats.submissions} submissions, {stats.accepted} accepted" in out
    assert all(t.topic in out for t in stats.topics)
    assert "rating change during the rebuttal:" in out
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (round(FIGSIZE[0] * DPI), round(FIGSIZE[1] * DPI))


def test_svg_plot_is_svg_of_the_figure_size(venue_db: Path, tmp_path: Path) -> None:
    svg = tmp_path / "stats.svg"
    assert main(["stats", "--venue", "iclr2020", "--db", str(venue_db), "--plot", str(svg), "--quiet"]) == 0
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == (f"{FIGSIZE[0] * 72:g}pt", f"{FIGSIZE[1] * 72:g}pt")


def test_a_plot_file_of_another_kind_is_refused(
    venue_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats", "--venue", "iclr2020", "--db", str(venue_db), "--plot", str(tmp_path / "a.jpg")]) == 2
    assert ".png or .svg" in capsys.readouterr().err


def _bars(ax: Any) -> list[Any]:
    return [patch for container in ax.containers for patch in container]


def test_every_bar_is_a_number_of_the_stats(stats: VenueStats) -> None:
    fig = plot_stats(stats)
    axes = {ax.get_label(): ax for ax in fig.axes}
    assert set(axes) == set(PANELS)
    assert [b.get_height() for b in _bars(axes["outcomes"])] == [r.papers for r in stats.outcomes]
    stacked = [sum(c[i] for c in stats.histogram.values()) for i in range(len(stats.buckets))]
    tops = {}
    for bar in _bars(axes["histogram"]):
        tops[bar.get_x()] = max(tops.get(bar.get_x(), 0), bar.get_y() + bar.get_height())
    assert [tops[x] for x in sorted(tops)] == stacked
    assert [b.get_height() for b in _bars(axes["by_bucket"])] == [
        pytest.approx(100 * (r.rate or 0)) for r in stats.by_bucket
    ]
    assert [b.get_width() for b in _bars(axes["topics"])] == [
        pytest.approx(100 * (t.rate or 0)) for t in reversed(stats.topics)
    ]
    assert stats.changes is not None
    assert [b.get_height() for b in _bars(axes["changes"])] == [pytest.approx(c.mean_change) for c in stats.changes]
    rated = [r for r in stats.outcomes if r.rated]
    heights = [b.get_height() for b in _bars(axes["disagreement"])]
    assert heights == [
        pytest.approx(v or 0)
        for v in ([r.mean_rating for r in rated] + [r.weighted_mean for r in rated] + [r.mean_spread for r in rated])
    ]


def _texts(fig: Any) -> Iterator[tuple[str, Any]]:
    renderer = fig.canvas.get_renderer()
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [ax.title, *ax.texts]
        if not ax.axison:  # a panel with nothing to show draws no axes
            continue
        texts += [ax.xaxis.label, ax.yaxis.label]
        # Matplotlib locates ticks a little past the view limits and does not draw their labels.
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        texts += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
        legend = ax.get_legend()
        if legend:
            texts += legend.get_texts()
    for text in texts:
        if text.get_visible() and text.get_text().strip():
            yield text.get_text(), text.get_window_extent(renderer)


def _assert_no_text_overlaps(fig: Any) -> None:
    fig.canvas.draw()
    boxes = list(_texts(fig))
    assert len(boxes) > 40
    whole = fig.bbox
    for label, box in boxes:
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 and box.y1 <= whole.y1, label
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        assert not box_a.overlaps(box_b), (a, b)


def test_no_text_runs_into_other_text(stats: VenueStats) -> None:
    _assert_no_text_overlaps(plot_stats(stats))


def test_no_text_overlaps_on_a_crowded_venue() -> None:
    """Every outcome, ten rating buckets, twenty long keywords, four-digit counts."""
    outcomes = (
        "talk",
        "oral",
        "spotlight",
        "poster",
        "accepted",
        "rejected",
        "withdrawn",
        "desk-rejected",
        "under-review",
    )
    crowded = VenueStats(
        venue="big2024",
        name="A Very Large Conference 2024",
        version="data version 3f2a9c1e (run 1234, ended 2024-05-01T12:00:00.000000+00:00)",
        submissions=9999,
        with_outcome=9000,
        accepted=2500,
        rejected=5000,
        outcomes=tuple(OutcomeRow(o, 1000 + i, 900, 5.5, 2.0, 6, 5.6, 800) for i, o in enumerate(outcomes)),
        buckets=tuple(range(1, 11)),
        histogram={o: tuple(100 + b for b in range(10)) for o in outcomes[:8]},
        by_bucket=tuple(BucketRow(b, 1234, 600, 0.48) for b in range(1, 11)),
        topic_kind="primary area",
        topics=tuple(
            TopicRow(f"applications to neuroscience, cognitive science and {i} other long things", 1500 - i, 400, 0.27)
            for i in range(20)
        ),
        changes=None,
    )
    _assert_no_text_overlaps(plot_stats(crowded))


@pytest.mark.parametrize("published", ["opt-in", "none", None])
def test_no_rate_is_reported_as_the_venues_when_its_rejections_are_not_all_public(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, published: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo_copy(tmp_path_factory, tmp_path / "optin.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE venues SET published_rejected = ? WHERE key = 'iclr2020'", [published])
    computed = compute_stats(open_db(db, create=False), "iclr2020", "ICLR 2020")
    assert computed.accepted > 0 and computed.with_outcome > computed.accepted  # there would be a rate to show
    assert computed.acceptance_rate is None and computed.decided_rate is None
    assert all(b.rate is None for b in computed.by_bucket) and all(t.rate is None for t in computed.topics)
    assert main(["stats", "--venue", "iclr2020", "--db", str(db), "--plot", str(tmp_path / "s.png"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "no rate here is the venue's acceptance rate" in out or "no acceptance rate can be computed" in out
    assert "% of" not in out


def test_a_v2_venues_topics_are_its_primary_areas(tmp_path: Path, fake_env: Any) -> None:
    from tests.fakes.openreview_v1 import FakeOpenReview
    from tests.test_e2e_v2 import load_2024

    group, notes = load_2024()
    db = tmp_path / "v2.db"
    with FakeOpenReview({"v2": notes}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert main(["fetch", "--venue", "iclr2024", "--db", str(db), "--stages", "notes", "--quiet"]) == 0
    computed = compute_stats(open_db(db, create=False), "iclr2024", "ICLR 2024")
    stored = {p for p in rows(db, "SELECT forum_id FROM papers WHERE venue = 'iclr2024' AND status != 'under-review'")}
    areas: dict[str, int] = {}
    for note in notes:
        area = (note.get("content", {}).get("primary_area") or {}).get("value")
        if area and (note["id"],) in stored:
            areas[area] = areas.get(area, 0) + 1
    assert areas, "the sample names primary areas"
    assert computed.topic_kind == "primary area"
    assert {t.topic: t.papers for t in computed.topics} == dict(
        sorted(areas.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    )
