"""docs/schema.md must document every table, view and column the schema creates, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from paperharvest.store.db import open_db
from paperharvest.store.schema import ensure_db_shape
from tests.conftest import REPO

DOC = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")


def documented() -> dict[str, set[str]]:
    """Table name -> the column names in the first cell of each row of its section's table."""
    tables: dict[str, set[str]] = {}
    current = None
    for line in DOC.splitlines():
        heading = re.match(r"## (?:View )?`(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = set()
        elif current and line.startswith("| `"):
            first_cell = line.split("|")[1]
            tables[current].update(re.findall(r"`(\w+)`", first_cell))
    return tables


def test_every_table_and_column_is_documented(tmp_path: Path) -> None:
    db = open_db(tmp_path / "s.db")
    ensure_db_shape(db)
    docs = documented()
    # FTS5's shadow tables belong to the virtual table; sqlite_sequence to AUTOINCREMENT.
    internal = re.compile(r"^(papers_fts|sqlite_)")
    tables = {t for t in db.table_names() if not internal.match(t)}
    assert tables | set(db.view_names()) == set(docs) - {"papers_fts"}
    for table in tables:
        columns = {c.name for c in db.table(table).columns}
        assert columns == docs[table], table


def test_the_summary_view_is_described_column_by_column(tmp_path: Path) -> None:
    db = open_db(tmp_path / "s.db")
    ensure_db_shape(db)
    columns = {c.name for c in db.view("paper_summary").columns}
    section = DOC.split("## View `paper_summary`", 1)[1]
    # Words in backticks that are values or other tables, not columns of the view.
    not_columns = {"authors", "huggingface", "code_links"}
    assert columns == set(re.findall(r"`(\w+)`", section)) - not_columns
