"""docs/schema.md read as data: each table's description and each column's type and meaning, so the dataset
card and the Datasette metadata say what the schema document says, and never drift from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# The document lives in the repository, beside src/: an editable install (the only kind the Makefile makes)
# reads the copy the schema tests check.
SCHEMA_DOC = Path(__file__).resolve().parents[3] / "docs" / "schema.md"

_HEADING = re.compile(r"^## (View )?`(\w+)`")
_NAME = re.compile(r"`(\w+)`")
# In the view's prose: "`mean_rating` (rounded to 2 places)".
_PROSE_COLUMN = re.compile(r"`(\w+)`(?: \(([^()]*(?:\([^()]*\)[^()]*)*)\))?")


@dataclass(frozen=True)
class ColumnDoc:
    type: str
    meaning: str


@dataclass
class TableDoc:
    name: str
    is_view: bool
    description: str = ""
    columns: dict[str, ColumnDoc] = field(default_factory=dict)


def _cells(line: str) -> list[str]:
    # A meaning may hold a `|` only inside backticks (none does today); split on the table's own bars.
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_schema_doc(text: str) -> dict[str, TableDoc]:
    """Every `## \\`table\\`` and `## View \\`name\\`` section: its prose, and its column table (a row may name
    several columns, which share the type and meaning). A view documented in prose gets the meaning written
    in brackets after a column's name, else that of the same-named `papers` column, else none."""
    docs: dict[str, TableDoc] = {}
    current: TableDoc | None = None
    prose: list[str] = []
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = docs.setdefault(heading.group(2), TableDoc(heading.group(2), is_view=bool(heading.group(1))))
            prose = []
            continue
        if current is None:
            continue
        if line.startswith("| `"):
            names, type_, meaning = [*_cells(line), "", ""][:3]
            for name in _NAME.findall(names):
                current.columns[name] = ColumnDoc(type_, meaning)
        elif not line.startswith("|") and line.strip() and not current.columns:
            prose.append(line.strip())
            current.description = " ".join(prose)
    for doc in docs.values():
        if doc.is_view and not doc.columns:
            _view_columns(doc, docs.get("papers"))
    return docs


def _view_columns(view: TableDoc, papers: TableDoc | None) -> None:
    summary, _, listing = view.description.partition(":")
    view.description = summary
    for name, note in _PROSE_COLUMN.findall(listing):
        if not re.fullmatch(r"[a-z_]+", name) or name in view.columns:
            continue
        base = papers.columns.get(name) if papers else None
        view.columns[name] = ColumnDoc(base.type if base else "", note or (base.meaning if base else ""))


def load_schema_doc(path: Path = SCHEMA_DOC) -> dict[str, TableDoc]:
    """The parsed document; empty when paperharvest runs without its repository (then nothing is described)."""
    try:
        return parse_schema_doc(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
