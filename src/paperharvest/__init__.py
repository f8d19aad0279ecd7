"""paperharvest: harvest conference papers from OpenReview into SQLite."""

__version__ = "0.1.0"
