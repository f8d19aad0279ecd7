"""`datasette-metadata`: a metadata.json for Datasette (0.64 and later 0.x) describing every table and column
as docs/schema.md does, with facets on venue, status and presentation, and the canned queries people ask
first. Datasette names a database after its file (data/demo.db -> "demo"), so the metadata is made for one
file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paperharvest.outputs.export import LICENCE_NOTE
from paperharvest.outputs.schema_doc import load_schema_doc
from paperharvest.store.exports import canned_queries

FACETS = ("venue", "status", "presentation")


def _plain(text: str) -> str:
    # Datasette shows descriptions as plain text, where Markdown's backticks are only noise.
    return text.replace("`", "")


def datasette_metadata(db_path: Path) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for name, doc in load_schema_doc().items():
        entry: dict[str, Any] = {
            "description": _plain(doc.description),
            "columns": {column: _plain(c.meaning) for column, c in doc.columns.items()},
        }
        facets = [f for f in FACETS if f in doc.columns]
        if facets:
            entry["facets"] = facets
        tables[name] = entry
    return {
        "title": "paperharvest",
        "description": "Conference papers, reviews, decisions and their authors, harvested from OpenReview. "
        "Column meanings are those of docs/schema.md.",
        "source": "OpenReview",
        "source_url": "https://openreview.net",
        "license": "varies by venue and year: see the database's description",
        "databases": {
            db_path.stem: {
                "description": _plain(LICENCE_NOTE),
                "tables": tables,
                "queries": canned_queries(),
            }
        },
    }
