"""The `stats --plot` figure: one panel per table of `stats`, drawn from the VenueStats it printed (no
query of its own), with matplotlib's Agg backend (no display needed) and constrained layout so no label
runs into another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paperharvest.errors import ConfigError
from paperharvest.outputs import shorten
from paperharvest.outputs.stats import VenueStats

FIGSIZE = (14.0, 17.0)  # inches
DPI = 100
PLOT_SUFFIXES = (".png", ".svg")
# Each panel's Axes label, for readers (and tests) that look a panel up.
PANELS = ("outcomes", "histogram", "by_bucket", "disagreement", "topics", "changes")
_MOSAIC = [["outcomes", "histogram"], ["by_bucket", "disagreement"], ["topics", "changes"]]
_TOPIC_LABEL_CHARS = 40
_SIDE_BY_SIDE = 6


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError(
            "--plot needs matplotlib, which is not installed: pip install 'paperharvest[plots]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _outcome_label(outcome: str) -> str:
    # Keeps the tick labels horizontal (readable) yet narrow: "desk-rejected" takes two short lines.
    return outcome.replace("-", "-\n")


def _fit_categories(ax: Any, count: int) -> None:
    # Up to six outcome names fit side by side in a half-width panel; more stand upright.
    if count > _SIDE_BY_SIDE:
        ax.tick_params(axis="x", labelrotation=90)


def _nothing(ax: Any, title: str, why: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def plot_stats(stats: VenueStats) -> Any:
    """The figure (a matplotlib Figure); each panel's bars are the numbers of one table of `stats`."""
    plt = _pyplot()
    fig, axes = plt.subplot_mosaic(
        _MOSAIC,
        figsize=FIGSIZE,
        dpi=DPI,
        layout="constrained",
        height_ratios=[1.0, 1.0, 1.5],
    )
    fig.suptitle(f"{stats.name}: {stats.submissions} submissions ({stats.version})", fontsize=13)

    ax = axes["outcomes"]
    ax.bar([_outcome_label(r.outcome) for r in stats.outcomes], [r.papers for r in stats.outcomes], color="tab:blue")
    rate = f"{100 * stats.acceptance_rate:.1f}%" if stats.acceptance_rate is not None else "n/a"
    ax.set_title(f"Submissions by outcome (acceptance {rate})")
    ax.set_ylabel("papers")
    _fit_categories(ax, len(stats.outcomes))

    ax = axes["histogram"]
    labels = [f"{b}–{b + 1}" for b in stats.buckets]
    bottom = [0] * len(stats.buckets)
    for outcome, counts in stats.histogram.items():
        ax.bar(labels, counts, bottom=bottom, label=outcome)
        bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    ax.set_title("Mean rating by outcome")
    ax.set_xlabel("mean rating")
    ax.set_ylabel("papers")
    if stats.histogram:
        ax.legend(fontsize=8)

    ax = axes["by_bucket"]
    ax.bar(
        [f"{r.low}–{r.low + 1}\n({r.papers})" for r in stats.by_bucket],
        [100 * (r.rate or 0.0) for r in stats.by_bucket],
        color="tab:green",
    )
    ax.set_title("Acceptance rate by mean rating")
    ax.set_xlabel("mean rating (papers)")
    ax.tick_params(axis="x", labelsize=9)
    ax.set_ylabel("accepted (%)")
    ax.set_ylim(0, 100)

    ax = axes["disagreement"]
    rated = [r for r in stats.outcomes if r.rated]
    positions = range(len(rated))
    weighted = any(r.weighted_papers for r in rated)
    series = [("mean rating", [r.mean_rating for r in rated]), ("spread (max − min)", [r.mean_spread for r in rated])]
    if weighted:
        series.insert(1, ("confidence-weighted", [r.weighted_mean for r in rated]))
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series):
        ax.bar([p + i * width for p in positions], [v or 0.0 for v in values], width, label=label)
    ax.set_xticks([p + width * (len(series) - 1) / 2 for p in positions], [_outcome_label(r.outcome) for r in rated])
    ax.set_title("Ratings and reviewer disagreement" + ("" if weighted else " (no review confidences)"))
    ax.set_ylabel("rating points")
    _fit_categories(ax, len(rated))
    ax.legend(fontsize=8)

    ax = axes["topics"]
    if stats.topics:
        shown = list(reversed(stats.topics))  # the most common on top
        ax.barh(
            [f"{shorten(t.topic, _TOPIC_LABEL_CHARS)} (n={t.papers})" for t in shown],
            [100 * (t.rate or 0.0) for t in shown],
            color="tab:purple",
        )
        ax.set_xlim(0, 100)
        ax.set_xlabel("accepted (%)")
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(f"Acceptance by {stats.topic_kind} (top {len(stats.topics)} by submissions)")
    else:
        _nothing(ax, f"Acceptance by {stats.topic_kind}", "no keywords in this venue")

    ax = axes["changes"]
    if stats.changes:
        ax.bar(
            [f"{_outcome_label(c.outcome)}\n({c.papers})" for c in stats.changes],
            [c.mean_change for c in stats.changes],
            color="tab:orange",
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title("Mean rating change during the rebuttal (papers)")
        ax.set_ylabel("rating points")
        _fit_categories(ax, len(stats.changes))
    else:
        why = "no change known: no later harvest\nlooked again before the decisions"
        _nothing(ax, "Rating change during the rebuttal", why)
    return fig


def save_plot(stats: VenueStats, path: Path) -> None:
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"--plot writes {' or '.join(PLOT_SUFFIXES)}, not {path.name!r}")
    fig = plot_stats(stats)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(path, dpi=DPI)
    finally:
        _pyplot().close(fig)
