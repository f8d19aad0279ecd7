"""`export`: a venue's tables (or the paper_summary view) as CSV, JSON Lines or Parquet files in one folder,
with a dataset card (README.md) saying where the data comes from, which version it is, how many rows each
file holds and what every column means (from docs/schema.md).

Types are SQLite's declared ones, the same for every venue: INTEGER, REAL, TEXT, and BLOB, which CSV and
JSON Lines carry base64-encoded. JSON arrays and objects stored as TEXT stay TEXT (parse them if you want).
CSV writes NULL as an empty field; JSON Lines and Parquet keep NULL apart from the empty string.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from paperharvest import __version__
from paperharvest.errors import ConfigError
from paperharvest.outputs.digest import describe_version
from paperharvest.outputs.schema_doc import TableDoc, load_schema_doc
from paperharvest.store.digest import data_version
from paperharvest.store.exports import SUMMARY_VIEW, ExportTable, table_rows

FORMATS = ("csv", "jsonl", "parquet")
# --all leaves out the payloads exactly as fetched (large, and already in the database); name one with
# --table to have it.
RAW_PREFIX = "raw_"


@dataclass(frozen=True)
class Written:
    table: ExportTable
    path: Path
    rows: int


def _text_cell(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def _write_csv(path: Path, table: ExportTable, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([c.name for c in table.columns])
        for row in rows:
            writer.writerow([_text_cell(v) for v in row])
            count += 1
    return count


def _write_jsonl(path: Path, table: ExportTable, rows: Iterable[Sequence[Any]]) -> int:
    names = [c.name for c in table.columns]
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            record = dict(zip(names, (_text_cell(v) for v in row), strict=True))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError(
            "Parquet needs pyarrow, which is not installed: pip install 'paperharvest[parquet]' "
            "(or choose --format csv or jsonl)"
        ) from None
    return pyarrow


def _write_parquet(path: Path, table: ExportTable, rows: Iterable[Sequence[Any]]) -> int:
    pa = _pyarrow()
    types = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string(), "BLOB": pa.binary()}
    schema = pa.schema([pa.field(c.name, types[c.type]) for c in table.columns])
    columns: list[list[Any]] = [[] for _ in table.columns]
    for row in rows:
        for values, value in zip(columns, row, strict=True):
            values.append(value)
    pa.parquet.write_table(pa.Table.from_arrays(columns, schema=schema), path)
    return len(columns[0]) if columns else 0


WRITERS: dict[str, Callable[[Path, ExportTable, Iterable[Sequence[Any]]], int]] = {
    "csv": _write_csv,
    "jsonl": _write_jsonl,
    "parquet": _write_parquet,
}


def choose_tables(available: Sequence[ExportTable], names: Sequence[str], everything: bool) -> list[ExportTable]:
    """Among the `available` tables (exportable_tables), the named ones (default: the summary view), or with
    `everything` each table a venue's rows can be told apart in, the raw payloads excepted."""
    tables = {t.name: t for t in available}
    if everything:
        return [t for t in tables.values() if t.where is not None and not t.name.startswith(RAW_PREFIX)]
    chosen = []
    for name in names or [SUMMARY_VIEW]:
        table = tables.get(name)
        if table is None:
            raise ConfigError(f"no table {name!r}; tables: {', '.join(tables)}")
        if table.where is None:
            raise ConfigError(f"{name} cannot be exported for one venue: its rows name no paper, person or venue")
        chosen.append(table)
    return chosen


def export_venue(
    db: sqlite_utils.Database,
    venue_key: str,
    venue_name: str,
    tables: Sequence[ExportTable],
    fmt: str,
    out_dir: Path,
    available: Sequence[ExportTable],
) -> list[Written]:
    """Write each table of the venue to `out_dir/<table>.<fmt>`, then the dataset card, which says why each
    other of the `available` tables was left out."""
    if fmt not in WRITERS:
        raise ConfigError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if fmt == "parquet":
        _pyarrow()  # before any file is written
    version = data_version(db, venue_key)
    if version.run_id is None:
        raise ConfigError(f"{venue_key} has no harvest in this database: run `paperharvest fetch` first")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = out_dir / f"{table.name}.{fmt}"
        rows = WRITERS[fmt](path, table, table_rows(db, table, venue_key))
        written.append(Written(table, path, rows))
    skipped = {t.name: _why_left_out(t) for t in available if t not in tables}
    card = dataset_card(venue_key, venue_name, describe_version(version), fmt, written, skipped, load_schema_doc())
    (out_dir / "README.md").write_text(card, encoding="utf-8")
    return written


def _why_left_out(table: ExportTable) -> str:
    if table.where is None:
        return "its rows name no paper, person or venue"
    if table.name.startswith(RAW_PREFIX):
        return "payloads as fetched (a note's text is in note_versions): name it with --table"
    return "not asked for"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


LICENCE_NOTE = (
    "paperharvest adds no licence of its own to this content. Papers, reviews and comments remain their "
    "authors'; OpenReview content licences vary by venue and year (some venues publish submissions under a "
    "Creative Commons licence, many state none), so check the venue's own terms on openreview.net before "
    "redistributing text. arXiv metadata is offered under CC0; GitHub repository metadata follows GitHub's terms."
)


def dataset_card(
    venue_key: str,
    venue_name: str,
    version: str,
    fmt: str,
    written: Sequence[Written],
    skipped: dict[str, str],
    docs: dict[str, TableDoc],
) -> str:
    lines = [
        f"# {venue_name} ({venue_key}): paperharvest export",
        "",
        "## Source",
        "",
        f"Harvested from OpenReview (https://openreview.net) by paperharvest {__version__}, with links to arXiv, "
        "code repositories and authors' homepages where the harvest found them. Each file holds only the rows "
        f"belonging to {venue_key}: its papers, their authors, reviews and decisions, and the runs that harvested it.",
        "",
        f"Data version: {version}. Rebuild the same files with "
        f"`paperharvest export --venue {venue_key} --format {fmt}` on that database.",
        "",
        "## Files",
        "",
        "| file | rows | what it holds |",
        "|---|---|---|",
    ]
    for item in written:
        doc = docs.get(item.table.name)
        lines.append(f"| `{item.path.name}` | {item.rows} | {_cell(doc.description if doc else 'not documented')} |")
    if skipped:
        lines += ["", "Not in this export:", ""] + [f"- `{name}`: {why}" for name, why in skipped.items()]
    lines += [
        "",
        "## Columns",
        "",
        "Types are SQLite's: INTEGER (64-bit), REAL, TEXT, BLOB. "
        + {
            "csv": "CSV writes NULL as an empty field and BLOB as base64; read each column with its type.",
            "jsonl": "JSON Lines keeps NULL as null and writes BLOB as base64.",
            "parquet": "Parquet stores the types (int64, double, string, binary) and NULLs as they are.",
        }[fmt]
        + " TEXT columns documented as JSON hold a JSON array or object as text.",
    ]
    for item in written:
        doc = docs.get(item.table.name)
        lines += ["", f"### `{item.table.name}`", "", "| column | type | meaning |", "|---|---|---|"]
        for column in item.table.columns:
            meaning = doc.columns[column.name].meaning if doc and column.name in doc.columns else "not documented"
            lines.append(f"| `{column.name}` | {column.type} | {_cell(meaning)} |")
    lines += ["", "## Licence", "", LICENCE_NOTE, ""]
    return "\n".join(lines)
