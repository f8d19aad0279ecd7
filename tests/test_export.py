"""`paperharvest export`: every table of a venue (and only that venue's rows) in CSV, JSON Lines and Parquet,
read back by pandas to the rows and types SQLite holds, with a dataset card that tells the truth."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from paperharvest.cli import main
from tests.demo_db import demo_copy, demo_db
from tests.helpers import rows, scalar

PANDAS_TYPES = {"INTEGER": "Int64", "REAL": "Float64", "TEXT": "string"}
ARROW_TYPES = {"INTEGER": "int64", "REAL": "double", "TEXT": "string", "BLOB": "binary"}


@pytest.fixture(scope="module")
def two_venues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo venue, plus a second one sharing an author with it, whose rows no iclr2020 export may hold."""
    db = demo_copy(tmp_path_factory, tmp_path_factory.mktemp("two") / "two.db")
    conn = sqlite3.connect(db)
    shared = conn.execute("SELECT author_id FROM paper_authors WHERE author_id IS NOT NULL LIMIT 1").fetchone()[0]
    with conn:
        conn.execute(
            "INSERT INTO venues (key, venue_id, name, api_version, year) VALUES ('other2021', 'X', 'X', 1, 2021)"
        )
        conn.execute(
            "INSERT INTO papers (forum_id, venue, title, status, invitation) "
            "VALUES ('OTHER1', 'other2021', 'Other', 'rejected', 'X/-/Submission')"
        )
        conn.execute("INSERT INTO authors (author_id, preferred_name) VALUES ('~Only_Other1', 'Only Other')")
        conn.execute(
            "INSERT INTO paper_authors (forum_id, position, author_id, name) VALUES ('OTHER1', 1, ?, 'x')", [shared]
        )
        conn.execute(
            "INSERT INTO paper_authors (forum_id, position, author_id, name) VALUES ('OTHER1', 2, '~Only_Other1', 'y')"
        )
        conn.execute(
            "INSERT INTO reviews (review_id, forum_id, reviewer, rating) VALUES ('OTHERREV', 'OTHER1', 'R1', 3)"
        )
        conn.execute(
            "INSERT INTO runs (venue, command, started_at, outcome) VALUES ('other2021', 'fetch', '2021-01-01', 'ok')"
        )
    conn.close()
    return db


def _export(db: Path, out: Path, fmt: str, *flags: str) -> int:
    return main(
        ["export", "--venue", "iclr2020", "--db", str(db), "--format", fmt, "--out", str(out), "--quiet", *flags]
    )


def _declared(db: Path, table: str) -> list[tuple[str, str]]:
    return [(r[1], r[2]) for r in rows(db, f"PRAGMA table_info({table})")]


def _read_back(path: Path, fmt: str, types: dict[str, str]) -> pd.DataFrame:
    """The file as a user reads it: CSV and JSON Lines with the card's types, Parquet with its own."""
    dtypes = {c: PANDAS_TYPES[t] for c, t in types.items() if t in PANDAS_TYPES}
    if fmt == "csv":
        return pd.read_csv(
            path,
            dtype={**dtypes, **{c: "string" for c, t in types.items() if t == "BLOB"}},
            keep_default_na=False,
            na_values=[""],
        )
    if fmt == "jsonl":
        if path.stat().st_size == 0:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in types})
        return pd.read_json(path, lines=True, dtype=False, precise_float=True).astype(dtypes)
    return pd.read_parquet(path, dtype_backend="numpy_nullable")


def _plain(value: Any, kind: str) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if kind == "BLOB" and isinstance(value, str):
        return base64.b64decode(value)
    if kind == "INTEGER":
        return int(value)
    if kind == "REAL":
        return float(value)
    return bytes(value) if kind == "BLOB" else str(value)


def _card_types(card: str, table: str) -> dict[str, str]:
    section = card.split(f"### `{table}`", 1)[1].split("###", 1)[0]
    return dict(re.findall(r"^\| `(\w+)` \| (\w+) \|", section, re.M))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_table_reads_back_to_the_venues_rows_and_types(two_venues: Path, tmp_path: Path, fmt: str) -> None:
    assert _export(two_venues, tmp_path, fmt, "--all") == 0
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    files = sorted(p.stem for p in tmp_path.glob(f"*.{fmt}"))
    # Every data table of the schema but the raw payloads and the one that names no venue.
    assert {
        "paper_summary",
        "papers",
        "reviews",
        "authors",
        "paper_authors",
        "author_socials",
        "homepages",
        "runs",
    } <= set(files)
    assert not [f for f in files if f.startswith("raw_")]
    for table in files:
        declared = _declared(two_venues, table)
        types = _card_types(card, table)
        assert list(types) == [name for name, _ in declared], table  # schema order
        for name, decl in declared:
            if decl:
                assert types[name] == {"INT": "INTEGER", "TEX": "TEXT", "REA": "REAL", "BLO": "BLOB"}[decl[:3]], name
        frame = _read_back(tmp_path / f"{table}.{fmt}", fmt, types)
        assert list(frame.columns) == list(types) or len(frame) == 0, table
        got = [
            tuple(_plain(v, types[c]) for c, v in zip(types, row, strict=True)) for row in frame.itertuples(index=False)
        ]
        wanted = rows(two_venues, f"SELECT * FROM {table}")
        wanted = [
            r
            for r in wanted
            if "OTHER1" not in r and "other2021" not in r and "~Only_Other1" not in r and "OTHERREV" not in r
        ]
        if fmt == "csv":  # CSV has one empty field for NULL and ''
            wanted = [tuple(None if v == "" else v for v in r) for r in wanted]
        assert sorted(got, key=repr) == sorted(wanted, key=repr), table
        if fmt == "parquet":
            schema = pq.read_schema(tmp_path / f"{table}.parquet")
            assert [str(schema.field(c).type) for c in types] == [ARROW_TYPES[t] for t in types.values()], table
        elif len(frame):
            kinds = {c: str(frame[c].dtype) for c, t in types.items() if t in PANDAS_TYPES}
            assert kinds == {c: PANDAS_TYPES[types[c]] for c in kinds}, table


def test_the_view_columns_get_the_type_their_values_have(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    db = demo_db(tmp_path_factory)
    assert _export(db, tmp_path, "parquet") == 0
    assert {p.name for p in tmp_path.iterdir()} == {"paper_summary.parquet", "README.md"}  # the default table
    schema = pq.read_schema(tmp_path / "paper_summary.parquet")
    for (column,) in rows(db, "SELECT name FROM pragma_table_info('paper_summary')"):
        seen = {t for (t,) in rows(db, f"SELECT DISTINCT typeof({column}) FROM paper_summary")} - {"null"}
        wanted = {"integer": "int64", "real": "double", "text": "string"}
        assert {wanted[t] for t in seen} <= {str(schema.field(column).type)}, column


def test_the_card_gives_source_version_counts_meanings_and_licence(two_venues: Path, tmp_path: Path) -> None:
    assert _export(two_venues, tmp_path, "jsonl", "--table", "papers", "--table", "reviews") == 0
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    run_id, ended = rows(two_venues, "SELECT run_id, ended_at FROM runs WHERE venue = 'iclr2020' AND outcome = 'ok'")[
        -1
    ]
    assert f"run {run_id}" in card and ended in card
    assert "https://openreview.net" in card
    papers = scalar(two_venues, "SELECT count(*) FROM papers WHERE venue = 'iclr2020'")
    reviews = scalar(
        two_venues, "SELECT count(*) FROM reviews r JOIN papers p USING (forum_id) WHERE p.venue = 'iclr2020'"
    )
    assert f"| `papers.jsonl` | {papers} |" in card and f"| `reviews.jsonl` | {reviews} |" in card
    assert sum(1 for _ in (tmp_path / "reviews.jsonl").open()) == reviews
    # The meaning column is docs/schema.md's, cell for cell.
    schema_doc = (Path(__file__).parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")
    status_row = next(line for line in schema_doc.splitlines() if line.startswith("| `status` | TEXT | `accepted`"))
    assert status_row.split("|")[3].strip() in card
    assert "`raw_notes`: payloads as fetched" in card and "`raw_arxiv_feeds`: its rows name no" in card
    assert "licences vary" in card and "CC BY" not in card


def test_jsonl_rows_are_json_objects_in_schema_order(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    db = demo_db(tmp_path_factory)
    assert _export(db, tmp_path, "jsonl", "--table", "reviews") == 0
    first = json.loads((tmp_path / "reviews.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == [name for name, _ in _declared(db, "reviews")]
    assert first["review_id"] == scalar(db, "SELECT min(review_id) FROM reviews")


def test_parquet_without_pyarrow_is_a_clear_usage_error(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    assert _export(demo_db(tmp_path_factory), tmp_path / "out", "parquet") == 2
    assert "paperharvest[parquet]" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("table", "says"), [("nope", "no table 'nope'"), ("raw_arxiv_feeds", "cannot be exported for one venue")]
)
def test_a_table_that_cannot_be_exported_is_refused(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, says: str
) -> None:
    assert _export(demo_db(tmp_path_factory), tmp_path, "csv", "--table", table) == 2
    assert says in capsys.readouterr().err
