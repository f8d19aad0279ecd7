"""`digest`: the "best papers" post of a hand-written venue, in Markdown and HTML, its selections, escaping,
and the demo digest in a real (headless) browser."""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cmarkgfm
import html5lib
import pytest
import sqlite_utils
from cmarkgfm.cmark import Options

from paperharvest.cli import main
from paperharvest.store.schema import ensure_db_shape
from tests.conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "digest"
BUNDLED = REPO / "data" / "sample" / "iclr2020"
NS = "{http://www.w3.org/1999/xhtml}"
EVIL_TITLE = "<script>alert('t')</script> *Bold* | [Click](https://evil.example/) www.evil.example & more_text"
EVIL_TLDR = "Visit https://evil.example/x or <img src=x onerror=alert(1)> ~~gone~~ $x$ `code` &amp; #1"
EVIL_AUTHOR = "Eve <b>Hacker</b> [x](https://evil.example/)"


@pytest.fixture()
def toy_db(tmp_path: Path) -> Path:
    """The hand-written venue of tests/fixtures/digest/venue.json in a fresh database."""
    path = tmp_path / "toy.db"
    db = sqlite_utils.Database(path)
    ensure_db_shape(db)
    tables = json.loads((FIXTURE / "venue.json").read_text(encoding="utf-8"))
    with db.conn:
        for table, rows in tables.items():
            if not table.startswith("_"):
                db.table(table).insert_all(rows)
    db.close()
    return path


def digest(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["digest", "--venue", "toyconf2021", "--db", str(db), *args]) == 0
    return capsys.readouterr().out


def forum_ids(markdown: str) -> list[str]:
    return [line.rsplit("forum?id=", 1)[1].rstrip(")") for line in markdown.splitlines() if line.startswith("## ")]


def tree(html: str, *, strict: bool = False) -> Any:
    return html5lib.HTMLParser(strict=strict).parse(html)


def text_of(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def links(root: Any) -> list[tuple[str, str]]:
    return [(text_of(a), a.get("href")) for a in root.iter(f"{NS}a")]


def markdown_as_html(markdown: str) -> Any:
    """The Markdown as GitHub renders it (autolinks, tables, strikethrough), parsed."""
    # Unsafe: raw HTML passes through, so only the digest's own escaping keeps a <script> out.
    return tree(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


# --- the post ---------------------------------------------------------------------------------------------


def test_markdown_digest_of_the_hand_written_venue_is_the_expected_file(
    toy_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert digest(toy_db, capsys) == (FIXTURE / "EXPECTED.md").read_text(encoding="utf-8")


def test_html_says_what_the_markdown_says(toy_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = digest(toy_db, capsys, "--format", "html")
    html_root = tree(page, strict=True)  # strict: any HTML parse error fails
    md_root = markdown_as_html((FIXTURE / "EXPECTED.md").read_text(encoding="utf-8"))
    html_body, md_body = html_root.find(f"{NS}body"), md_root.find(f"{NS}body")

    headings = [text_of(h) for h in html_body.iter(f"{NS}h2")]
    assert headings == [text_of(h) for h in md_body.iter(f"{NS}h2")]
    assert headings[2] == f"3. {EVIL_TITLE}"
    assert links(html_body) == links(md_body)
    assert ("Code", "https://github.com/ada/mostly-attention") in links(html_body)
    assert text_of(html_body) == text_of(md_body)
    # Self-contained: inline CSS, nothing fetched.
    assert html_root.find(f"{NS}head/{NS}style") is not None
    assert not [e for e in html_root.iter() if e.tag in (f"{NS}script", f"{NS}link", f"{NS}img") or e.get("src")]


def test_hostile_titles_and_tldrs_stay_text(toy_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = digest(toy_db, capsys, "--papers", "fEvil02", "--format", "html")
    markdown = digest(toy_db, capsys, "--papers", "fEvil02")
    for root in (tree(page), markdown_as_html(markdown)):
        body = root.find(f"{NS}body")
        assert not [e for e in body.iter() if e.tag in (f"{NS}script", f"{NS}img", f"{NS}b", f"{NS}em", f"{NS}del")]
        assert not list(body.iter(f"{NS}table"))
        # The post's own links only: the forum, the PDF, the account; no `javascript:` homepage, no autolink.
        assert links(body) == [
            (EVIL_TITLE, "https://openreview.net/forum?id=fEvil02"),
            ("Paper", "https://openreview.net/pdf/bbbb.pdf"),
            ("Twitter", "https://x.com/eve_%28x%29"),
        ]
        text = text_of(body)
        assert f"TL;DR: {EVIL_TLDR}" in text
        assert f"First author: {EVIL_AUTHOR} · Twitter" in text


# --- which papers, in which order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], ["fAttn01", "fConf05", "fEvil02", "fMach03", "fGone04"]),  # mean rating; no rating last
        (["--papers", "fGone04, fAttn01,fGone04"], ["fGone04", "fAttn01"]),  # as given, once each
        (["--status", "accepted"], ["fAttn01", "fConf05", "fEvil02"]),
        (["--presentation", "poster"], ["fConf05"]),
        (["--keyword", "PRUNING"], ["fAttn01", "fMach03"]),
        (["--area", "optimization"], ["fConf05"]),
        (["--status", "accepted", "--top", "2"], ["fAttn01", "fConf05"]),
        (["--by", "confidence-weighted"], ["fConf05", "fAttn01", "fEvil02", "fMach03", "fGone04"]),
        (["--by", "reviews"], ["fAttn01", "fMach03", "fConf05", "fEvil02", "fGone04"]),
        (["--keyword", "no such keyword"], []),
    ],
)
def test_selection_flags_choose_and_order_the_papers(
    toy_db: Path, capsys: pytest.CaptureFixture[str], flags: list[str], expected: list[str]
) -> None:
    assert forum_ids(digest(toy_db, capsys, *flags)) == expected


def test_the_header_names_the_selection_and_the_command_that_remakes_it(
    toy_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = digest(toy_db, capsys, "--status", "accepted", "--keyword", "graph nets", "--top", "3", "--machine-tldr")
    assert "- **Selection:** status accepted, keyword “graph nets”, top 3 ranked by mean rating, machine-written" in out
    assert "--venue toyconf2021 --status accepted --keyword 'graph nets' --top 3 --machine-tldr\n" in out
    assert "No paper matches this selection." in out


def test_confidence_weighted_ranking_shows_the_weighted_mean(toy_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = digest(toy_db, capsys, "--papers", "fConf05")
    assert "7.33 from 3 reviews\n" in out
    out = digest(toy_db, capsys, "--by", "confidence-weighted", "--top", "1")
    assert "**Mean rating:** 7.33 from 3 reviews (confidence-weighted 8.29)\n" in out


def test_machine_tldr_only_when_asked_and_marked(toy_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "machine wrote" not in digest(toy_db, capsys, "--papers", "fMach03")
    out = digest(toy_db, capsys, "--papers", "fMach03,fAttn01", "--machine-tldr")
    assert "**Machine-written TL;DR (Semantic Scholar):** A machine wrote this one-line summary.\n" in out
    assert "Never shown" not in out  # the authors' TL;DR wins
    assert "**TL;DR:** Most heads can be pruned" in out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--papers", "fAttn01,nope1"], "not papers of toyconf2021: nope1"),
        (["--papers", "fAttn01", "--status", "accepted"], "--papers takes forum ids and no selection (--status)"),
        (["--papers", " , "], "no ids given"),
        (["--by", "rating-change"], "no rating change is known for these papers of toyconf2021"),
    ],
)
def test_selection_mistakes_are_usage_errors(
    toy_db: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    assert main(["digest", "--venue", "toyconf2021", "--db", str(toy_db), *flags]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_an_unknown_venue_names_the_harvested_ones(toy_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "--venue", "iclr2031", "--db", str(toy_db)]) == 2
    assert "venue 'iclr2031' is not in the database; harvested venues: toyconf2021" in capsys.readouterr().err
    assert main(["digest", "--venue", "Toy.cc/2021/Conference", "--db", str(toy_db), "--top", "1"]) == 0


# --- what the schema may add: rating history, data versions -----------------------------------------------


def test_rating_change_is_what_the_history_saw_before_the_decision(
    toy_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(toy_db)
    with conn:
        # The view's contract (its columns), not how the history tables behind it are built.
        conn.execute("DROP VIEW IF EXISTS review_history")
        conn.execute("CREATE TABLE review_history (review_id, forum_id, rating, version, fetched_at)")
        conn.executemany(
            "INSERT INTO review_history VALUES (?, ?, ?, ?, ?)",
            [
                ("r1a", "fAttn01", 6, 1, "2021-01-10T00:00:00+00:00"),  # raised to 8 in the rebuttal
                ("r1a", "fAttn01", 8, 2, "2021-01-25T00:00:00+00:00"),
                ("r1b", "fAttn01", 8, 1, "2021-01-10T00:00:00+00:00"),
                ("r1c", "fAttn01", 7, 1, "2021-01-10T00:00:00+00:00"),
                ("r1c", "fAttn01", 1, 2, "2021-02-10T00:00:00+00:00"),  # after the decision: not the rebuttal
                ("r2a", "fEvil02", 7, 1, "2021-01-10T00:00:00+00:00"),  # undecided: every version counts
                ("r2a", "fEvil02", 6, 2, "2021-03-01T00:00:00+00:00"),
                ("r2b", "fEvil02", 8, 1, "2021-01-10T00:00:00+00:00"),
                ("r3a", "fMach03", 3, 1, "2021-02-10T00:00:00+00:00"),  # first seen after its decision
            ],
        )
        conn.executemany(
            "INSERT INTO decisions (decision_id, forum_id, decision, created_at) VALUES (?, ?, ?, ?)",
            [
                ("d1", "fAttn01", "Accept (Talk)", "2021-02-01T00:00:00+00:00"),
                ("d3", "fMach03", "Reject", "2021-02-01T00:00:00+00:00"),
            ],
        )
        # A run that looked again before the decisions: without one no change is known.
        conn.execute(
            "INSERT INTO runs (venue, command, started_at, outcome)"
            " VALUES ('toyconf2021', 'fetch', '2021-01-20T00:00:00+00:00', 'ok')"
        )
    conn.close()
    out = digest(toy_db, capsys, "--by", "rating-change")
    assert forum_ids(out) == ["fAttn01", "fEvil02", "fMach03", "fConf05", "fGone04"]  # unknown change last
    assert "**Mean rating:** 7.67 from 3 reviews, +0.67 during the rebuttal\n" in out
    assert "**Mean rating:** 7.00 from 2 reviews, -0.50 during the rebuttal\n" in out
    assert "**Mean rating:** 4.00 from 3 reviews\n" in out  # seen only after the decision: no change claimed
    assert "**Mean rating:** 7.33 from 3 reviews\n" in out  # no history
    assert "ranked by rating change during the rebuttal" in out


def test_the_header_shows_the_runs_data_version_when_runs_keep_one(
    toy_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(toy_db)
    with conn:
        if "data_version" not in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}:
            conn.execute("ALTER TABLE runs ADD COLUMN data_version TEXT")
        conn.execute("UPDATE runs SET data_version = 'dv-' || run_id")
    conn.close()
    # Run 8 is later but failed: the data is still what run 7 left.
    assert "- **Data version:** dv-7 (run 7, ended 2021-03-02T10:00:00+00:00)\n" in digest(toy_db, capsys)


# --- files --------------------------------------------------------------------------------------------------


def test_out_writes_the_file_and_an_unwritable_one_is_a_usage_error(
    toy_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "digest.html"
    assert main(["digest", "--venue", "toyconf2021", "--db", str(toy_db), "--format", "html", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    missing = tmp_path / "no" / "such" / "folder" / "digest.md"
    assert main(["digest", "--venue", "toyconf2021", "--db", str(toy_db), "--out", str(missing)]) == 2
    assert f"cannot write the digest to {missing}" in capsys.readouterr().err


# --- in a real browser --------------------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("headless Chromium not installed (apt-get install chromium; .ci/run installs it)")
    return found


def _chromium_run(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. The rest keep it offline.
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, timeout=120, check=True)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB or RGBA bytes) of an 8-bit, non-interlaced PNG, with the stdlib."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


@pytest.fixture(scope="module")
def demo_digest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """The demo database (the bundled sample replayed, as `make demo` does) and its digest as an HTML page."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--replay", str(BUNDLED), "--quiet"]) == 0
    page = folder / "demo-digest.html"
    assert (
        main(
            [
                "digest",
                "--venue",
                "iclr2020",
                "--db",
                str(db),
                "--status",
                "accepted",
                "--format",
                "html",
                "--out",
                str(page),
            ]
        )
        == 0
    )
    conn = sqlite3.connect(db)
    titles = [row[0] for row in conn.execute("SELECT title FROM papers WHERE status = 'accepted'")]
    conn.close()
    yield page, titles


def test_chromium_renders_the_demo_digest(demo_digest: tuple[Path, list[str]], tmp_path: Path) -> None:
    binary = _chromium()
    page, titles = demo_digest
    shot = tmp_path / "digest.png"
    _chromium_run(binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=900,1100", page.as_uri())
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (900, 1100)
    grey = [sum(row[i : i + 3]) // 3 for row in rows[::4] for i in range(0, len(row), 4 * (len(row) // width))]
    mean = sum(grey) / len(grey)
    variance = sum((g - mean) ** 2 for g in grey) / len(grey)
    background = max(set(grey), key=grey.count)
    assert variance > 100, f"a blank screenshot (grey variance {variance:.1f})"
    assert sum(abs(g - background) > 64 for g in grey) > len(grey) / 200, "hardly any ink on the page"

    dom = _chromium_run(binary, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout.decode("utf-8")
    text = text_of(tree(dom).find(f"{NS}body"))
    assert len(titles) == 12
    for title in titles:
        assert " ".join(title.split()) in text
