"""Config-free API v2 venues end to end: each fake venue group (every key, only the early keys, renamed fields)
harvests with no config file into the tallies its expected file states; `discover` lists the venues with their
API version; what cannot be derived (a v1 venue, a group with no submission invitation) is a usage error."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.venues import VenueConfig
from tests.conftest import REPO
from tests.fakes.openreview_v1 import TEST_PASSWORD, TEST_USER, FakeOpenReview
from tests.fakes.v2_venues import FakeVenue, served, venues
from tests.helpers import rows, scalar

EXPECTED = json.loads((REPO / "tests" / "fixtures" / "v2_venues" / "EXPECTED.json").read_text(encoding="utf-8"))
V1_VENUE = "Epsilon.cc/2021/Conference"
# One v1 submission: the fake serves a v1 venue group for each venue its listings name.
V1_NOTES = {
    f"{V1_VENUE}/-/Blind_Submission": [
        {"id": "e1", "forum": "e1", "invitation": f"{V1_VENUE}/-/Blind_Submission", "content": {"title": "A paper"}}
    ]
}


def fetch(db: Path, venue: str, *extra: str) -> int:
    return main(["fetch", "--venue", venue, "--db", str(db), "--stages", "notes", "--quiet", *extra])


def tallies(db: Path, key: str) -> dict[str, Any]:
    """What EXPECTED.json states about one venue, read back from the database."""
    of_venue = "JOIN papers p USING (forum_id) WHERE p.venue = ?"
    return {
        "api_version": scalar(db, "SELECT api_version FROM venues WHERE key = ?", key),
        "papers_by_status": dict(rows(db, "SELECT status, count(*) FROM papers WHERE venue = ? GROUP BY 1", key)),
        "presentation": dict(
            rows(
                db,
                "SELECT presentation, count(*) FROM papers WHERE venue = ? AND presentation IS NOT NULL GROUP BY 1",
                key,
            )
        ),
        "decisions": dict(rows(db, f"SELECT d.decision, count(*) FROM decisions d {of_venue} GROUP BY 1", key)),
        "reviews": scalar(db, f"SELECT count(*) FROM reviews r {of_venue}", key),
        "ratings": {
            str(rating): n
            for rating, n in rows(db, f"SELECT r.rating, count(*) FROM reviews r {of_venue} GROUP BY 1", key)
        },
        "decision_comments": scalar(db, f"SELECT count(*) FROM decisions d {of_venue} AND d.comment IS NOT NULL", key),
    }


@pytest.fixture(scope="module")
def fakes() -> list[FakeVenue]:
    return venues()


@pytest.mark.parametrize("index", [0, 1, 2], ids=["every-key", "early-keys", "renamed-fields"])
def test_a_v2_venue_without_a_config_harvests_from_its_group(
    index: int, fakes: list[FakeVenue], tmp_path: Path, fake_env: Any
) -> None:
    fake_venue = fakes[index]
    assert not (REPO / "configs" / "venues" / f"{fake_venue.key}.toml").exists()
    db = tmp_path / "v.db"
    with FakeOpenReview(**served(fakes)) as fake:
        fake_env(fake.url)
        assert fetch(db, fake_venue.venue_id) == 0
    assert tallies(db, fake_venue.key) == EXPECTED[fake_venue.key]
    stored = scalar(db, "SELECT config FROM venues WHERE key = ?", fake_venue.key)
    assert VenueConfig.model_validate_json(stored).venue_id == fake_venue.venue_id
    assert scalar(db, "SELECT config_source FROM venues WHERE key = ?", fake_venue.key) == "group"


def test_a_kept_config_file_wins_over_derivation(
    fakes: list[FakeVenue], tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    alpha = fakes[0]
    configs = tmp_path / "configs"
    configs.mkdir()
    with FakeOpenReview(**served(fakes)) as fake:
        fake_env(fake.url)
        assert main(["venue-config", alpha.venue_id, "--quiet"]) == 0
        text = capsys.readouterr().out
        # The kept file says what no group does: this venue's TL;DR is not read.
        kept = text.replace('tldr = "TLDR"', "# tldr unset")
        assert kept != text
        (configs / f"{alpha.key}.toml").write_text(kept, encoding="utf-8")
        assert fetch(tmp_path / "v.db", alpha.venue_id, "--configs", str(configs)) == 0
    db = tmp_path / "v.db"
    assert scalar(db, "SELECT config_source FROM venues") == "file"
    assert scalar(db, "SELECT count(*) FROM papers WHERE tldr IS NOT NULL") == 0
    assert scalar(db, "SELECT count(*) FROM papers") == sum(EXPECTED[alpha.key]["papers_by_status"].values())


def test_discover_lists_the_venues_of_both_hosts_with_their_api_version(
    fakes: list[FakeVenue], fake_env: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        FakeOpenReview(**served(fakes)) as v2,
        FakeOpenReview(V1_NOTES) as v1,
    ):
        fake_env(v2.url)
        monkeypatch.setenv("OPENREVIEW_API_BASEURL", v1.url)
        assert main(["discover", "--quiet"]) == 0
        listed = capsys.readouterr().out.splitlines()
        assert main(["discover", "--host", "v1", "--quiet"]) == 0
        v1_only = capsys.readouterr().out.splitlines()
        assert main(["discover", "--match", "BETA", "--quiet"]) == 0
        matched = capsys.readouterr().out.splitlines()
    table = [line.split() for line in listed[1:]]
    assert listed[0].split() == ["venue_id", "api", "config"]
    assert table == [
        ["Alpha.cc/2025/Conference", "v2", "(derived)"],
        ["Beta.org/BETA/2023/Conference", "v2", "(derived)"],
        ["Delta.cc/2025", "v2", "(derived)"],
        [V1_VENUE, "v1", "(needs", "one)"],
        ["Gamma.cc/2025/Track/Main", "v2", "(derived)"],
    ]
    assert [line.split()[:2] for line in v1_only[1:]] == [[V1_VENUE, "v1"]]
    assert [line.split()[:2] for line in matched[1:]] == [["Beta.org/BETA/2023/Conference", "v2"]]


def test_discover_names_a_kept_config(fake_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    group = json.loads((REPO / "tests" / "fixtures" / "iclr2024_sample" / "notes.json").read_text())["group"]
    with FakeOpenReview({}, v2_groups=[group]) as fake:
        fake_env(fake.url)
        assert main(["discover", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["ICLR.cc/2024/Conference", "v2", "iclr2024"]


def test_a_v1_venue_without_a_config_is_a_usage_error(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(V1_NOTES) as fake:
        fake_env(fake.url)
        assert fetch(tmp_path / "v.db", V1_VENUE) == 2
        fetched = capsys.readouterr().err
        assert main(["venue-config", V1_VENUE]) == 2
        printed = capsys.readouterr()
        notes_asked = fake.count("GET", "/notes")
    for err in (fetched, printed.err):
        assert f"{V1_VENUE} is an API v1 venue" in err and "needs a config file" in err
    assert printed.out == ""
    assert notes_asked == 0
    assert not (tmp_path / "v.db").exists()


def test_what_cannot_be_derived_names_the_missing_piece(
    fakes: list[FakeVenue], tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenReview(**served(fakes)) as fake:
        fake_env(fake.url)
        assert fetch(tmp_path / "v.db", "Delta.cc/2025") == 2
        no_submissions = capsys.readouterr().err
        assert fetch(tmp_path / "v.db", "Nowhere.cc/2025/Conference") == 2
        unknown = capsys.readouterr().err
    assert "has no content.submission_id" in no_submissions
    assert "paperharvest venue-config Delta.cc/2025" in no_submissions
    assert "unknown venue 'Nowhere.cc/2025/Conference'" in unknown and "discover" in unknown


def test_a_derived_venue_is_known_to_the_offline_commands(
    fakes: list[FakeVenue], tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_venue = fakes[0]
    db = tmp_path / "v.db"
    with FakeOpenReview(**served(fakes)) as fake:
        fake_env(fake.url)
        assert fetch(db, fake_venue.venue_id) == 0
    titles = dict(rows(db, "SELECT forum_id, title FROM papers"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE papers SET title = 'damaged'")
    # No network and no config file: the config the fetch stored is what rebuild and summary go by.
    assert main(["rebuild", "--venue", fake_venue.venue_id, "--db", str(db), "--quiet"]) == 0
    assert dict(rows(db, "SELECT forum_id, title FROM papers")) == titles
    capsys.readouterr()
    assert main(["summary", "--venue", fake_venue.key, "--db", str(db)]) == 0
    assert f"{len(titles)} papers" in capsys.readouterr().out


def test_a_derived_venue_logs_in_once_and_reads_its_group_once(
    fakes: list[FakeVenue], tmp_path: Path, fake_env: Any
) -> None:
    with FakeOpenReview(**served(fakes)) as fake:
        fake_env(fake.url, OPENREVIEW_USERNAME=TEST_USER, OPENREVIEW_PASSWORD=TEST_PASSWORD)
        assert fetch(tmp_path / "v.db", fakes[0].venue_id) == 0
        # The client that read the group to derive the config is the one the run goes on with, and so is
        # the group: the notes stage checks the config against the group it was derived from.
        assert fake.count("POST", "/login") == 1
        group_reads = [r for r in fake.requests if r.path == "/groups" and r.query.get("id") == fakes[0].venue_id]
        assert len(group_reads) == 1
