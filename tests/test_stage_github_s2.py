"""End to end: the code stage's optional extras through the CLI, against FakeGitHub and FakeSemanticScholar:
GitHub repository metadata (with a GITHUB_TOKEN) and Semantic Scholar's TL;DRs for papers without one.

The sample venue (36 hand-written papers) is harvested and linked to its seeded arXiv once per test; the
repositories it links to and the papers without a TL;DR are written out below from the fixture, never read
from the code under test.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.models import HomepageFetch, PageOwner, PageReading, PageSighting
from paperharvest.settings import load_settings
from paperharvest.stages.accounts import decide_accounts
from paperharvest.store.db import open_db
from paperharvest.store.people import save_homepage, save_homepage_readings
from tests.conftest import REPO
from tests.fakes import github_s2 as fg
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.code_apis import FakeCodeApis
from tests.fakes.github_s2 import FakeGitHub, FakeSemanticScholar, s2_paper
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue, sample_arxiv_entries
from tests.helpers import rows, scalar, timeless_dump

TOKEN = "ghp_Sekr1tT0kenThatMustNeverLeak0000000"
S2_KEY = "s2-Sekr1t-ApiKey-0000000000000000000"

SAMPLE = {n["number"]: n for notes in load_sample_venue().values() for n in notes}

# The GitHub repositories the sample links to: its code fields, and the arXiv comments sample_arxiv_entries
# writes (`github.com/sample-lab/paper-N` for the even-indexed papers on arXiv), in GitHub's own spelling.
CODE_FIELD_REPOS = [
    "LWroblewska/QCert",
    "RoomShift/RoomShift-Benchmark",
    "exec-repair/EGD",
    "ZOstergaard/GradMatch-KD",
    "spectral-shortcuts/resnet-ntk",
    "passgraph/passgraph",
    "HLP-Robotics/hlp",
]
COMMENT_REPOS = [f"sample-lab/paper-{n}" for n in (1, 5, 7, 11, 13, 17, 19, 23, 25, 29, 31, 35)]
ALL_REPOS = CODE_FIELD_REPOS + COMMENT_REPOS
GONE = "sample-lab/paper-13"  # deleted (or made private): GitHub answers 404


def repo_url(full_name: str) -> str:
    return f"https://github.com/{full_name.lower()}"


def sample_id(number: int) -> str:
    return str(SAMPLE[number]["id"])


def arxiv_id(number: int) -> str:
    return f"1909.{10000 + number:05d}"


def on_arxiv() -> dict[int, str]:
    """Paper number -> arXiv id, as sample_arxiv_entries seeds them (every third paper is not on arXiv)."""
    ordered = sorted(SAMPLE)
    return {n: arxiv_id(n) for i, n in enumerate(ordered) if i % 3 != 2}


def without_tldr() -> set[int]:
    return {n for n, note in SAMPLE.items() if not (note["content"].get("TL;DR") or "").strip()}


# Papers on arXiv whose authors wrote no TL;DR: the only ones Semantic Scholar is asked about.
UNTOLD = sorted(set(on_arxiv()) & without_tldr())
NO_S2_TLDR = UNTOLD[0]  # S2 knows this paper but has no TL;DR for it


def s2_papers() -> dict[str, dict[str, Any]]:
    """Every sample paper on arXiv, each with a TL;DR but one."""
    return {
        aid: s2_paper(aid, SAMPLE[n]["content"]["title"], None if n == NO_S2_TLDR else f"S2 summary of paper {n}.")
        for n, aid in on_arxiv().items()
    }


def repos(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    held = {name: {} for name in ALL_REPOS if name != GONE}
    held["LWroblewska/QCert"] = {"stargazers_count": 321, "archived": True, "license": "Apache-2.0"}
    held["RoomShift/RoomShift-Benchmark"] = {"license": None, "description": "  A benchmark.  "}
    held.update(extra)
    return held


def fetch(db: Path, *extra: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), *extra])


def last_counts(db: Path) -> dict[str, Any]:
    counts: dict[str, Any] = json.loads(scalar(db, "SELECT counts FROM runs ORDER BY run_id DESC LIMIT 1"))
    return counts


def stored(db: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["url"]: dict(r) for r in conn.execute("SELECT * FROM repositories")}
    finally:
        conn.close()


@pytest.fixture()
def linked_db(tmp_path: Path, fake_env: Any) -> Path:
    """The sample venue's notes, linked to its seeded arXiv."""
    db = tmp_path / "sample.db"
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url)
        assert fetch(db, "--stages", "notes", "--quiet") == 0
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        fake_env(arxiv.url, PAPERHARVEST_ARXIV_API_URL=arxiv.query_url, PAPERHARVEST_ARXIV_DELAY="0")
        assert fetch(db, "--stages", "arxiv", "--quiet") == 0
    return db


@pytest.fixture()
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub(repos(), token=TOKEN) as fake:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", fake.base)
        monkeypatch.setenv("PAPERHARVEST_MAX_RETRIES", "2")
        monkeypatch.setenv("PAPERHARVEST_BACKOFF", "0.01")
        yield fake


def with_token(monkeypatch: pytest.MonkeyPatch, token: str = TOKEN) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", token)


def test_the_sample_links_the_repositories_the_fakes_serve(linked_db: Path) -> None:
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    linked = {
        u for (u,) in rows(linked_db, "SELECT url FROM code_links WHERE platform = 'github' AND kind = 'repository'")
    }
    assert linked == {repo_url(name) for name in ALL_REPOS}


# ---- GitHub ---------------------------------------------------------------------------------------------------


def test_metadata_is_stored_for_every_repository_with_a_token(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    # One request a repository, each with the token.
    assert github.count() == len(ALL_REPOS)
    assert {r.headers.get("authorization") for r in github.requests} == {f"Bearer {TOKEN}"}
    assert {r.headers.get("x-github-api-version") for r in github.requests} == {"2022-11-28"}
    got = stored(linked_db)
    assert set(got) == {repo_url(name) for name in ALL_REPOS}
    for name in ALL_REPOS:
        row = got[repo_url(name)]
        if name == GONE:
            assert (row["status"], row["owner"], row["name"], row["json"], row["stars"]) == (
                "missing",
                "sample-lab",
                "paper-13",
                None,
                None,
            )
            continue
        payload = github.payload(name)
        license_info = payload["license"]
        assert row["status"] == "ok"
        assert (row["owner"], row["name"]) == tuple(name.split("/"))
        assert row["stars"] == payload["stargazers_count"]
        assert row["forks"] == payload["forks_count"]
        assert row["archived"] == int(payload["archived"])
        assert row["license"] == (license_info["spdx_id"] if license_info else None)
        assert row["pushed_at"] == "2025-05-30T08:15:00+00:00"
        assert row["default_branch"] == "main"
        assert row["description"] == payload["description"].strip()
        assert json.loads(row["json"]) == payload
        assert row["etag"] and row["fetched_at"]
    qcert = got[repo_url("LWroblewska/QCert")]
    assert (qcert["stars"], qcert["archived"], qcert["license"]) == (321, 1, "Apache-2.0")
    assert got[repo_url("RoomShift/RoomShift-Benchmark")]["license"] is None
    counts = last_counts(linked_db)["code"]
    assert (counts["github_due"], counts["github_ok"], counts["github_missing"]) == (19, 18, 1)
    assert scalar(linked_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"


def test_without_a_token_github_is_not_asked(
    linked_db: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fetch(linked_db, "--stages", "code") == 0
    assert github.count() == 0
    assert scalar(linked_db, "SELECT count(*) FROM repositories") == 0
    err = capsys.readouterr().err
    # Said once, at info level (so not at all under --quiet), never as a warning.
    assert err.count("no GITHUB_TOKEN") == 1
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    assert capsys.readouterr().err == ""
    assert "github_due" not in last_counts(linked_db)["code"]


def test_secrets_never_reach_the_database_recordings_or_logs(
    linked_db: Path,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with_token(monkeypatch)
    monkeypatch.setenv("S2_API_KEY", S2_KEY)
    tape = tmp_path / "tape"
    with FakeSemanticScholar(s2_papers(), api_key=S2_KEY) as s2:
        monkeypatch.setenv("PAPERHARVEST_CODE_APIS", "semanticscholar")
        monkeypatch.setenv("PAPERHARVEST_S2_API_URL", s2.base)
        caplog.set_level(logging.DEBUG)
        assert fetch(linked_db, "--stages", "code", "--record", str(tape), "-v") == 0
        # Both secrets were sent, in their headers.
        assert {r.headers.get("x-api-key") for r in s2.requests} == {S2_KEY}
    assert {r.headers.get("authorization") for r in github.requests} == {f"Bearer {TOKEN}"}
    assert scalar(linked_db, "SELECT count(*) FROM repositories WHERE status = 'ok'") == 18
    conn = sqlite3.connect(linked_db)
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    recording = "\n".join(p.read_text(encoding="utf-8") for p in sorted(tape.rglob("*.json")))
    assert '"github"' in recording and '"semanticscholar"' in recording
    captured = capsys.readouterr()
    # The logs were there to be read: -v writes them, debug lines included, to stderr.
    assert "iclr2020 code:" in captured.err and "github ok" in captured.err
    for text in (dump, recording, captured.out, captured.err, caplog.text):
        assert TOKEN not in text and S2_KEY not in text
        assert TOKEN[4:20] not in text
    options = json.loads(scalar(linked_db, "SELECT options FROM runs ORDER BY run_id DESC LIMIT 1"))["settings"]
    assert "github_token" not in options and "s2_api_key" not in options


def test_a_token_from_the_credentials_file_is_used_and_kept_secret(tmp_path: Path) -> None:
    path = tmp_path / "creds.env"
    path.write_text(f"GITHUB_TOKEN={TOKEN}\nS2_API_KEY='{S2_KEY}'\n")
    path.chmod(0o600)
    settings = load_settings({}, credentials_file=path)
    assert settings.github_token is not None and settings.github_token.get_secret_value() == TOKEN
    assert settings.s2_api_key is not None and settings.s2_api_key.get_secret_value() == S2_KEY
    for text in (repr(settings), str(settings), json.dumps(settings.public_dict())):
        assert TOKEN not in text and S2_KEY not in text
    # The environment wins over the file, as for the OpenReview login.
    other = load_settings({"GITHUB_TOKEN": "ghp_other"}, credentials_file=path)
    assert other.github_token is not None and other.github_token.get_secret_value() == "ghp_other"


@pytest.mark.parametrize("status", [403, 429])
def test_the_rate_limit_stops_github_requests_for_the_run(
    linked_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    with_token(monkeypatch)
    with FakeGitHub(repos(), token=TOKEN, rate_limit=0, limit_status=status) as github:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", github.base)
        assert fetch(linked_db, "--stages", "code", "--quiet") == 0
        # Refused once, and not asked again (429 included: it is not retried, the limit lasts the hour).
        assert github.count() == 1
    err = capsys.readouterr().err
    assert "rate limit" in err and "2026-01-01 00:00 UTC" in err and "19 repositories left" in err
    assert scalar(linked_db, "SELECT count(*) FROM repositories") == 0
    counts = last_counts(linked_db)["code"]
    assert (counts["github_rate_limited"], counts["github_left"]) == (1, 19)
    assert scalar(linked_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"


def test_the_last_request_of_the_limit_ends_the_run_and_the_next_run_goes_on(
    linked_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    with FakeGitHub(repos(), token=TOKEN, rate_limit=5) as github:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", github.base)
        assert fetch(linked_db, "--stages", "code", "--quiet") == 0
        # The fifth answer said "0 left": no sixth request just to be refused.
        assert github.count() == 5
        first = set(stored(linked_db))
        assert len(first) == 5
        assert last_counts(linked_db)["code"]["github_left"] == 14
        github.remaining = 100
        assert fetch(linked_db, "--stages", "code", "--quiet") == 0
        # Only the 14 not asked yet: the five stored are fresh.
        asked = [r.subject for r in github.requests[5:]]
    assert len(asked) == 14
    assert {repo_url(s or "") for s in asked}.isdisjoint(first)
    assert set(stored(linked_db)) == {repo_url(name) for name in ALL_REPOS}


def test_a_secondary_rate_limit_also_stops_the_run(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_token(monkeypatch)
    # Repositories are asked in URL order: this is the fourth.
    github.inject(fg.github_secondary_limit(60, subject=sorted(n.lower() for n in ALL_REPOS)[3]))
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    assert github.count() == 4
    assert "secondary rate limit" in capsys.readouterr().err
    assert len(stored(linked_db)) == 3


def test_the_refresh_window_is_respected_and_304s_cost_nothing(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    first = stored(linked_db)
    assert github.count() == 19
    # Within PAPERHARVEST_GITHUB_REFRESH_DAYS (7): nothing asked.
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    assert github.count() == 19
    assert stored(linked_db) == first
    assert last_counts(linked_db)["code"]["github_due"] == 0
    # Due again: every repository asked again, conditionally; unchanged ones answer 304 and use no limit.
    monkeypatch.setenv("PAPERHARVEST_GITHUB_REFRESH_DAYS", "0")
    left = github.remaining
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    again = github.requests[19:]
    assert len(again) == 19
    conditional = {r.subject for r in again if r.headers.get("if-none-match")}
    assert conditional == {name.lower() for name in ALL_REPOS if name != GONE}
    assert [r.status for r in again if r.subject == GONE.lower()] == [404]
    assert github.remaining == left - 1
    second = stored(linked_db)
    for url, row in first.items():
        assert second[url]["fetched_at"] > row["fetched_at"]
        assert {k: v for k, v in second[url].items() if k != "fetched_at"} == {
            k: v for k, v in row.items() if k != "fetched_at"
        }
    counts = last_counts(linked_db)["code"]
    assert (counts["github_not_modified"], counts["github_missing"]) == (18, 1)


def test_changed_metadata_replaces_the_stored(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    github.repos["passgraph/passgraph"] = {"stargazers_count": 999, "archived": True}
    github.repos["sample-lab/paper-13"] = {}
    github.ids["sample-lab/paper-13"] = 99
    monkeypatch.setenv("PAPERHARVEST_GITHUB_REFRESH_DAYS", "0")
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    got = stored(linked_db)
    assert (got[repo_url("passgraph/passgraph")]["stars"], got[repo_url("passgraph/passgraph")]["archived"]) == (999, 1)
    assert got[repo_url(GONE)]["status"] == "ok"


def test_renamed_blocked_and_bad_answers(linked_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_token(monkeypatch)
    held = repos(**{"PassGraph-Org/PassGraph2": {"stargazers_count": 77}})
    del held["passgraph/passgraph"]
    with FakeGitHub(held, token=TOKEN, renamed={"passgraph/passgraph": "PassGraph-Org/PassGraph2"}) as github:
        github.inject(fg.github_blocked("exec-repair/egd"))
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", github.base)
        assert fetch(linked_db, "--stages", "code", "--quiet") == 0
        # The rename costs a redirect: one more request.
        assert github.count() == 20
    got = stored(linked_db)
    moved = got[repo_url("passgraph/passgraph")]
    assert (moved["status"], moved["owner"], moved["name"], moved["stars"]) == ("ok", "PassGraph-Org", "PassGraph2", 77)
    blocked = got[repo_url("exec-repair/EGD")]
    assert (blocked["status"], blocked["stars"], blocked["json"]) == ("blocked", None, None)
    assert last_counts(linked_db)["code"]["github_blocked"] == 1


def test_a_rejected_token_stops_github_and_the_run_succeeds(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_token(monkeypatch, "ghp_revoked")
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    assert github.count() == 1
    err = capsys.readouterr().err
    assert "GitHub rejected GITHUB_TOKEN" in err and "ghp_revoked" not in err
    assert last_counts(linked_db)["code"]["github_refused"] == 1


def test_github_down_is_reported_not_fatal(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_token(monkeypatch)
    github.inject(fg.server_error(503, times=None))
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    # First try and two retries about the first repository, then GitHub is left alone.
    assert github.count() == 3
    assert "503" in capsys.readouterr().err
    assert last_counts(linked_db)["code"]["github_unavailable"] == 1
    assert scalar(linked_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"


def test_rebuild_rereads_stored_github_answers(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    assert fetch(linked_db, "--stages", "code", "--quiet") == 0
    before = stored(linked_db)
    conn = sqlite3.connect(linked_db)
    with conn:
        conn.execute("UPDATE repositories SET stars = NULL, license = 'WRONG', owner = 'x' WHERE status = 'ok'")
    conn.close()
    github_requests = github.count()
    assert main(["rebuild", "--db", str(linked_db), "--quiet"]) == 0
    assert github.count() == github_requests
    assert stored(linked_db) == before


# ---- Semantic Scholar -----------------------------------------------------------------------------------------


def run_s2(db: Path, s2: FakeSemanticScholar, monkeypatch: pytest.MonkeyPatch, apis: str = "semanticscholar") -> int:
    monkeypatch.setenv("PAPERHARVEST_CODE_APIS", apis)
    monkeypatch.setenv("PAPERHARVEST_S2_API_URL", s2.base)
    monkeypatch.setenv("PAPERHARVEST_MAX_RETRIES", "2")
    monkeypatch.setenv("PAPERHARVEST_BACKOFF", "0.01")
    return fetch(db, "--stages", "code", "--quiet")


def summary(db: Path) -> dict[str, tuple[str | None, str | None]]:
    return {f: (t, s) for f, t, s in rows(db, "SELECT forum_id, tldr, tldr_source FROM paper_summary")}


def test_s2_tldrs_fill_only_papers_without_the_authors(linked_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(UNTOLD) >= 4
    with FakeSemanticScholar(s2_papers()) as s2:
        assert run_s2(linked_db, s2, monkeypatch) == 0
        # One request, about the papers on arXiv without a TL;DR, and nothing else.
        assert s2.count() == 1
        assert sorted(s2.batches[0]) == sorted(f"ARXIV:{arxiv_id(n)}" for n in UNTOLD)
        assert s2.requests[0].query == {"fields": "externalIds,tldr,title"}
        assert "x-api-key" not in s2.requests[0].headers
    tldrs = {f: (t, s) for f, t, s in rows(linked_db, "SELECT forum_id, text, source FROM machine_tldrs")}
    assert tldrs == {sample_id(n): (f"S2 summary of paper {n}.", "semantic-scholar") for n in UNTOLD if n != NO_S2_TLDR}
    shown = summary(linked_db)
    for n in UNTOLD:
        wanted = (None, None) if n == NO_S2_TLDR else (f"S2 summary of paper {n}.", "semantic-scholar")
        assert shown[sample_id(n)] == wanted
    for n, note in SAMPLE.items():
        if n not in without_tldr():
            assert shown[sample_id(n)] == (note["content"]["TL;DR"].strip(), "authors")
    # Raw answers kept per arXiv id.
    raw = dict(rows(linked_db, "SELECT arxiv_id, json FROM raw_code_answers WHERE source = 'semanticscholar'"))
    assert set(raw) == {arxiv_id(n) for n in UNTOLD}
    assert json.loads(raw[arxiv_id(NO_S2_TLDR)])["tldr"] is None
    counts = last_counts(linked_db)["code"]
    assert (counts["semanticscholar_requests"], counts["semanticscholar_answers"]) == (1, len(UNTOLD))
    assert counts["machine_tldrs"] == len(UNTOLD) - 1


def test_s2_is_preferred_to_hugging_face_which_fills_in(linked_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    untold = UNTOLD[:3]
    hf = {arxiv_id(n): {"id": arxiv_id(n), "githubRepo": None, "ai_summary": f"HF summary {n}."} for n in untold}
    papers = s2_papers()
    del papers[arxiv_id(untold[1])]  # S2 does not know it: null
    with FakeSemanticScholar(papers) as s2, FakeCodeApis(hf) as apis:
        monkeypatch.setenv("PAPERHARVEST_HF_API_URL", apis.hf_base)
        assert run_s2(linked_db, s2, monkeypatch, "huggingface,semanticscholar") == 0
    tldrs = {f: (t, s) for f, t, s in rows(linked_db, "SELECT forum_id, text, source FROM machine_tldrs")}
    # untold[0] is NO_S2_TLDR: S2 knows it without a TL;DR, so Hugging Face's summary stands in.
    assert tldrs[sample_id(untold[0])] == (f"HF summary {untold[0]}.", "huggingface")
    assert tldrs[sample_id(untold[1])] == (f"HF summary {untold[1]}.", "huggingface")
    assert tldrs[sample_id(untold[2])] == (f"S2 summary of paper {untold[2]}.", "semantic-scholar")
    null = scalar(
        linked_db,
        "SELECT json FROM raw_code_answers WHERE source = 'semanticscholar' AND arxiv_id = ?",
        arxiv_id(untold[1]),
    )
    assert null is None


def test_stored_s2_answers_are_not_asked_again(linked_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSemanticScholar(s2_papers()) as s2:
        assert run_s2(linked_db, s2, monkeypatch) == 0
        assert run_s2(linked_db, s2, monkeypatch) == 0
        assert s2.count() == 1
    assert scalar(linked_db, "SELECT count(*) FROM machine_tldrs") == len(UNTOLD) - 1


def test_s2_down_is_skipped_reported_and_asked_next_run(
    linked_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeSemanticScholar(s2_papers()) as s2:
        s2.inject(fg.server_error(503, times=None))
        assert run_s2(linked_db, s2, monkeypatch) == 0
        assert s2.count() == 3
    assert "Semantic Scholar" in capsys.readouterr().err
    assert last_counts(linked_db)["code"]["semanticscholar_unavailable"] == 1
    assert scalar(linked_db, "SELECT count(*) FROM machine_tldrs") == 0
    assert scalar(linked_db, "SELECT count(*) FROM raw_code_answers") == 0
    assert scalar(linked_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"
    with FakeSemanticScholar(s2_papers()) as s2:
        s2.inject(fg.s2_rate_limited(times=1))
        assert run_s2(linked_db, s2, monkeypatch) == 0
        # A 429 is retried, then answered.
        assert [r.status for r in s2.requests] == [429, 200]
    assert scalar(linked_db, "SELECT count(*) FROM machine_tldrs") == len(UNTOLD) - 1


def test_s2_dropped_connections_are_not_fatal(linked_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSemanticScholar(s2_papers()) as s2:
        s2.inject(fg.dropped_connection(times=None))
        assert run_s2(linked_db, s2, monkeypatch) == 0
    assert last_counts(linked_db)["code"]["semanticscholar_unavailable"] == 1


def test_a_wrong_s2_key_is_reported(
    linked_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("S2_API_KEY", "s2-wrong")
    with FakeSemanticScholar(s2_papers(), api_key=S2_KEY) as s2:
        assert run_s2(linked_db, s2, monkeypatch) == 0
        assert s2.count() == 1
    err = capsys.readouterr().err
    assert "S2_API_KEY" in err and "s2-wrong" not in err


def big_venue(extra: int) -> dict[str, list[dict[str, Any]]]:
    """The sample venue plus `extra` withdrawn papers without a TL;DR (copies of one, renumbered)."""
    venue = copy.deepcopy(load_sample_venue())
    withdrawn = venue["ICLR.cc/2020/Conference/-/Withdrawn_Submission"]
    model = withdrawn[0]
    for k in range(extra):
        note = copy.deepcopy(model)
        note["id"] = note["forum"] = f"Big{k:05d}XYZ"
        note["number"] = 1000 + k
        note["content"]["title"] = f"Copy {k} of {model['content']['title']}"
        note["content"].pop("TL;DR", None)
        note["details"]["directReplies"] = []
        withdrawn.append(note)
    return venue


def test_s2_batches_hold_at_most_500_ids(tmp_path: Path, fake_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = 1001
    db = tmp_path / "big.db"
    with FakeOpenReview(big_venue(extra)) as fake:
        fake_env(fake.url)
        assert fetch(db, "--stages", "notes", "--quiet") == 0
    # Linked to arXiv by hand: the arXiv stage is not what this tests.
    ids = {f"Big{k:05d}XYZ": f"2001.{k:05d}" for k in range(extra)}
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO arxiv_links (forum_id, status, arxiv_id, checked_at) VALUES (?, 'matched', ?, ?)",
            [(f, a, "2026-01-01T00:00:00+00:00") for f, a in ids.items()],
        )
    conn.close()
    papers = {a: s2_paper(a, f"Copy {a}", f"TL;DR {a}") for a in ids.values()}
    with FakeSemanticScholar(papers) as s2:
        assert run_s2(db, s2, monkeypatch) == 0
        sizes = [len(batch) for batch in s2.batches]
        asked = [i for batch in s2.batches for i in batch]
    assert sizes == [500, 500, 1]
    assert sorted(asked) == sorted(f"ARXIV:{a}" for a in ids.values())
    assert scalar(db, "SELECT count(*) FROM machine_tldrs WHERE source = 'semantic-scholar'") == extra
    assert dict(rows(db, "SELECT forum_id, text FROM machine_tldrs")) == {f: f"TL;DR {a}" for f, a in ids.items()}


def test_rebuild_rederives_s2_tldrs(linked_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSemanticScholar(s2_papers()) as s2:
        assert run_s2(linked_db, s2, monkeypatch) == 0
    before = rows(linked_db, "SELECT forum_id, text, source FROM machine_tldrs ORDER BY forum_id")
    conn = sqlite3.connect(linked_db)
    with conn:
        conn.execute("DELETE FROM machine_tldrs")
    conn.close()
    assert main(["rebuild", "--db", str(linked_db), "--quiet"]) == 0
    assert rows(linked_db, "SELECT forum_id, text, source FROM machine_tldrs ORDER BY forum_id") == before


# ---- record and replay ----------------------------------------------------------------------------------------


def test_a_recorded_run_replays_without_the_token(
    linked_db: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_token(monkeypatch)
    monkeypatch.setenv("S2_API_KEY", S2_KEY)
    tape, replayed, live = tmp_path / "tape", tmp_path / "replayed.db", linked_db
    src, dst = sqlite3.connect(linked_db), sqlite3.connect(replayed)
    src.backup(dst)
    src.close()
    dst.close()
    with FakeSemanticScholar(s2_papers()) as s2:
        monkeypatch.setenv("PAPERHARVEST_CODE_APIS", "semanticscholar")
        monkeypatch.setenv("PAPERHARVEST_S2_API_URL", s2.base)
        # The run leaves one repository to the rate limit, so the replay must stop where it stopped.
        github.remaining = 10
        assert fetch(linked_db, "--stages", "code", "--record", str(tape), "--quiet") == 0
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.delenv("S2_API_KEY")
    asked = github.count()
    assert fetch(replayed, "--stages", "code", "--replay", str(tape), "--quiet") == 0
    assert github.count() == asked
    tables = ("repositories", "machine_tldrs", "raw_code_answers", "code_links")
    assert timeless_dump(replayed, tables) == timeless_dump(live, tables)
    assert scalar(replayed, "SELECT count(*) FROM repositories") == 10


def test_the_bundled_sample_replays_with_a_token_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make demo` with a developer's GITHUB_TOKEN in the environment: the recording holds no GitHub
    answers, so none are asked for (a replay never leaves its recording)."""
    with_token(monkeypatch)
    db = tmp_path / "demo.db"
    bundled = REPO / "data" / "sample" / "iclr2020"
    assert fetch(db, "--replay", str(bundled), "--quiet") == 0
    assert scalar(db, "SELECT count(*) FROM repositories") == 0


# ---- GitHub users ---------------------------------------------------------------------------------------------

# GitHub accounts seeded into the sample's authors' socials (author id, handle as the socials spell it). The
# first two people share a lab account; the last is not an author of the venue.
SEEDED_SOCIALS = [
    ("m.ashdown@cs.example.edu", "MAshdown"),
    ("m.ashdown@cs.example.edu", "geoml-tools"),
    ("dokafor@example.edu", "geoml-tools"),
    ("dokafor@example.edu", "dokafor"),
    ("lucja.wroblewska@example.edu", "LWroblewska"),
    ("priya.raman@example.edu", "praman-gone"),
    ("~Not_In_The_Venue1", "elsewhere"),
]
# What the fake holds, in GitHub's spelling; `praman-gone` is not there (renamed or deleted: 404).
GITHUB_USERS: dict[str, dict[str, Any]] = {
    "mashdown": {
        "name": "Margaret Ashdown",
        "blog": "Ashdown.Example.edu/~mag ",
        "twitter_username": "mashdown_ml",
        "company": "@geoml-tools",
    },
    "GeoML-Tools": {"type": "Organization", "name": "GeoML", "blog": "https://geoml.dev", "twitter_username": None},
    "DOkafor": {"name": None, "blog": "", "twitter_username": None},
    "LWroblewska": {"name": "Łucja Wróblewska", "blog": "mailto:lucja@example.edu", "twitter_username": "@lucja_w"},
    "elsewhere": {"name": "Someone Else"},
}
# The venue's handles, lower-cased, in the order they are asked (never asked before: by login).
VENUE_LOGINS = ["dokafor", "geoml-tools", "lwroblewska", "mashdown", "praman-gone"]


def seed_socials(db: Path) -> None:
    """The GitHub handles (and one X account, never asked about) as the homepages stage would have left them:
    each person's page read for them showing their accounts, and the attribution's candidates decided from it
    (the code stage decides again, from the same readings)."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO authors (author_id, preferred_name) VALUES ('~Not_In_The_Venue1', 'Not Here')")
        listed = {r[0] for r in conn.execute("SELECT author_id FROM paper_authors")}
        assert {a for a, _ in SEEDED_SOCIALS} - listed == {"~Not_In_The_Venue1"}
    conn.close()
    accounts = [(a, "github", h) for a, h in SEEDED_SOCIALS] + [("dokafor@example.edu", "x", "geoml-tools")]
    store = open_db(db)
    for index, person in enumerate(sorted({a for a, _, _ in accounts})):
        url = f"https://example.edu/~me{index}"
        page = HomepageFetch(url=url, final_url=url, outcome="ok", status=200, html=b"<html></html>")
        save_homepage(store, page, datetime(2026, 1, 1, tzinfo=UTC))
        sightings = [
            PageSighting(
                platform=platform, handle=handle, url=f"https://{platform}.com/{handle}", contexts=["profile_block"]
            )
            for who, platform, handle in accounts
            if who == person
        ]
        unowned = PageOwner(outcome="none", owner=None, score=0.0, evidence=[])
        save_homepage_readings(store, url, {person: PageReading(url=url, owner=unowned, sightings=sightings)})
    decide_accounts(store)
    store.close()
    # Handles as the attribution keeps them: GitHub's and X's lower-cased.
    stored = set(rows(db, "SELECT author_id, platform, handle FROM author_socials"))
    assert stored == {(a, platform, handle.lower()) for a, platform, handle in accounts}


@pytest.fixture()
def users_db(linked_db: Path) -> Path:
    seed_socials(linked_db)
    return linked_db


@pytest.fixture()
def github_with_users(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub(repos(), token=TOKEN, users=GITHUB_USERS) as fake:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", fake.base)
        monkeypatch.setenv("PAPERHARVEST_MAX_RETRIES", "2")
        monkeypatch.setenv("PAPERHARVEST_BACKOFF", "0.01")
        yield fake


def stored_users(db: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["login"]: dict(r) for r in conn.execute("SELECT * FROM github_users")}
    finally:
        conn.close()


def test_github_users_are_stored_with_a_token(
    users_db: Path, github_with_users: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    github = github_with_users
    # After the repositories; each of the venue's accounts once (the shared lab account too), with the token.
    assert [r.subject for r in github.requests[len(ALL_REPOS) :]] == VENUE_LOGINS
    assert [r.path for r in github.user_requests] == [f"/users/{login}" for login in VENUE_LOGINS]
    assert {r.headers.get("authorization") for r in github.user_requests} == {f"Bearer {TOKEN}"}
    assert not any(r.headers.get("if-none-match") for r in github.user_requests)
    got = stored_users(users_db)
    assert set(got) == set(VENUE_LOGINS)
    columns = {login: (r["name"], r["blog"], r["twitter_username"], r["kind"], r["status"]) for login, r in got.items()}
    assert columns == {
        "mashdown": ("Margaret Ashdown", "https://ashdown.example.edu/~mag", "mashdown_ml", "user", "ok"),
        "geoml-tools": ("GeoML", "https://geoml.dev/", None, "organization", "ok"),
        "dokafor": (None, None, None, "user", "ok"),
        "lwroblewska": ("Łucja Wróblewska", None, "lucja_w", "user", "ok"),
        "praman-gone": (None, None, None, None, "missing"),
    }
    for login in VENUE_LOGINS[:-1]:
        assert json.loads(got[login]["json"]) == github.user(login)
        assert got[login]["etag"] and got[login]["fetched_at"]
    assert (got["praman-gone"]["json"], got["praman-gone"]["etag"]) == (None, None)
    counts = last_counts(users_db)["code"]
    assert (counts["github_users_due"], counts["github_users_ok"], counts["github_users_missing"]) == (5, 4, 1)
    assert counts["github_ok"] == 18
    assert scalar(users_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"


def test_without_a_token_no_github_user_is_asked(
    users_db: Path, github_with_users: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fetch(users_db, "--stages", "code") == 0
    assert github_with_users.count() == 0
    assert scalar(users_db, "SELECT count(*) FROM github_users") == 0
    assert capsys.readouterr().err.count("no GITHUB_TOKEN") == 1
    assert not any(k.startswith("github") for k in last_counts(users_db)["code"])


def test_a_second_run_asks_users_conditionally_and_304s_cost_nothing(
    users_db: Path, github_with_users: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    github = github_with_users
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    first = stored_users(users_db)
    # Within PAPERHARVEST_GITHUB_REFRESH_DAYS: no user asked again.
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    assert len(github.user_requests) == 5
    assert last_counts(users_db)["code"]["github_users_due"] == 0
    monkeypatch.setenv("PAPERHARVEST_GITHUB_REFRESH_DAYS", "0")
    left = github.remaining
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    again = github.user_requests[5:]
    # The longest unasked first: the ones stored in the first run's order, each with its stored ETag.
    assert [r.subject for r in again] == VENUE_LOGINS
    sent = {r.subject: r.headers.get("if-none-match") for r in again}
    assert sent == {login: first[login]["etag"] for login in VENUE_LOGINS}
    assert sent["praman-gone"] is None
    assert [r.status for r in again] == [304, 304, 304, 304, 404]
    # Only the two 404s (a repository and a user) used the rate limit.
    assert github.remaining == left - 2
    second = stored_users(users_db)
    for login, row in first.items():
        assert second[login]["fetched_at"] > row["fetched_at"]
        assert {k: v for k, v in second[login].items() if k != "fetched_at"} == {
            k: v for k, v in row.items() if k != "fetched_at"
        }
    counts = last_counts(users_db)["code"]
    assert (counts["github_users_not_modified"], counts["github_users_missing"]) == (4, 1)
    # A changed account is stored anew.
    github.users["DOkafor"] = {"name": "Daniel Okafor", "twitter_username": "dokafor_ai"}
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    assert (stored_users(users_db)["dokafor"]["name"], stored_users(users_db)["dokafor"]["twitter_username"]) == (
        "Daniel Okafor",
        "dokafor_ai",
    )


def test_the_rate_limit_stops_user_requests_and_the_next_run_goes_on(
    users_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_token(monkeypatch)
    # Enough for the 19 repositories and two users: the second user's answer says "0 left".
    with FakeGitHub(repos(), token=TOKEN, users=GITHUB_USERS, rate_limit=len(ALL_REPOS) + 2) as github:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", github.base)
        assert fetch(users_db, "--stages", "code", "--quiet") == 0
        assert [r.subject for r in github.user_requests] == VENUE_LOGINS[:2]
        assert set(stored_users(users_db)) == set(VENUE_LOGINS[:2])
        err = capsys.readouterr().err
        assert "GitHub users: GitHub's rate limit is used up" in err and "3 users left" in err
        counts = last_counts(users_db)["code"]
        assert (counts["github_users_rate_limited"], counts["github_users_left"], counts["github_users_ok"]) == (
            1,
            3,
            2,
        )
        assert scalar(users_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"
        github.remaining = 100
        assert fetch(users_db, "--stages", "code", "--quiet") == 0
        # Only the three not asked yet (repositories and the first two users are fresh).
        assert [r.subject for r in github.user_requests[2:]] == VENUE_LOGINS[2:]
        assert github.count() == len(ALL_REPOS) + 5
    assert set(stored_users(users_db)) == set(VENUE_LOGINS)


def test_a_rate_limit_met_on_the_repositories_leaves_the_users_for_the_next_run(
    users_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    with FakeGitHub(repos(), token=TOKEN, users=GITHUB_USERS, rate_limit=3) as github:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", github.base)
        assert fetch(users_db, "--stages", "code", "--quiet") == 0
        assert github.count() == 3 and github.user_requests == []
    counts = last_counts(users_db)["code"]
    assert (counts["github_users_due"], counts["github_users_left"]) == (5, 5)
    assert "github_users_rate_limited" not in counts
    assert scalar(users_db, "SELECT count(*) FROM github_users") == 0
    assert scalar(users_db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == "ok"


def test_a_user_answer_that_is_not_an_account_is_skipped(
    users_db: Path, github_with_users: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_token(monkeypatch)
    github_with_users.users["DOkafor"] = {"type": "Mannequin"}
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    assert "skipping user dokafor" in capsys.readouterr().err
    assert "dokafor" not in stored_users(users_db)
    counts = last_counts(users_db)["code"]
    assert (counts["github_users_invalid"], counts["github_users_ok"]) == (1, 3)


def test_rebuild_rereads_stored_user_answers(
    users_db: Path, github_with_users: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_token(monkeypatch)
    assert fetch(users_db, "--stages", "code", "--quiet") == 0
    before = stored_users(users_db)
    conn = sqlite3.connect(users_db)
    with conn:
        conn.execute(
            "UPDATE github_users SET name = 'x', blog = NULL, twitter_username = 'y', kind = 'z' WHERE status = 'ok'"
        )
    conn.close()
    asked = github_with_users.count()
    assert main(["rebuild", "--db", str(users_db), "--quiet"]) == 0
    assert github_with_users.count() == asked
    assert stored_users(users_db) == before


def test_a_recorded_user_run_replays_exactly_without_the_token(
    users_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_token(monkeypatch)
    tape, replayed = tmp_path / "tape", tmp_path / "replayed.db"
    src, dst = sqlite3.connect(users_db), sqlite3.connect(replayed)
    src.backup(dst)
    src.close()
    dst.close()
    # Cut short by the rate limit after three users, so the replay must stop where the recording did.
    with FakeGitHub(repos(), token=TOKEN, users=GITHUB_USERS, rate_limit=len(ALL_REPOS) + 3) as github:
        monkeypatch.setenv("PAPERHARVEST_GITHUB_API_URL", github.base)
        assert fetch(users_db, "--stages", "code", "--record", str(tape), "--quiet") == 0
        monkeypatch.delenv("GITHUB_TOKEN")
        asked = github.count()
        assert fetch(replayed, "--stages", "code", "--replay", str(tape), "--quiet") == 0
        assert github.count() == asked
    recording = "\n".join(p.read_text(encoding="utf-8") for p in sorted(tape.rglob("*.json")))
    assert "/users/lwroblewska" in recording and "/users/mashdown" not in recording and TOKEN not in recording
    tables = ("github_users", "repositories")
    assert timeless_dump(replayed, tables) == timeless_dump(users_db, tables)
    assert set(stored_users(replayed)) == set(VENUE_LOGINS[:3])
    assert last_counts(replayed)["code"]["github_users_left"] == 2
