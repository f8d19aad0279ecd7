"""End to end: the arXiv and code stages through the CLI, against FakeOpenReview, FakeArxiv and FakeCodeApis.

The full fake ICLR 2020 venue (2,594 notes) is harvested once per module and linked to a seeded FakeArxiv
once per module; tests that change the database work on a copy. Smaller scenarios (explicit ids, failures,
the code APIs) use the hand-written 36-note sample venue. Expectations are derived from the seeds, never from
the code under test.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from paperharvest.cli import main
from paperharvest.models import ArxivEntry
from tests.conftest import SECRET_ENV
from tests.fakes import arxiv_server as fa
from tests.fakes import code_apis as fc
from tests.fakes.arxiv_server import FakeArxiv, make_entry
from tests.fakes.code_apis import FakeCodeApis
from tests.fakes.iclr2020_venue import expected_iclr2020
from tests.fakes.loopback import loopback_only
from tests.fakes.openreview_v1 import FakeOpenReview
from tests.fakes.record_sample import load_sample_venue, sample_arxiv_entries
from tests.helpers import copy_db, rows, scalar

ENV_PREFIXES = ("OPENREVIEW_", "PAPERHARVEST_")
GITHUB_REPO = re.compile(r"^https://github\.com/[^/]+/[^/]+$")


def fetch(db: Path, stages: str) -> int:
    return main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", stages, "--quiet"])


def links(db: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["forum_id"]: dict(r) for r in conn.execute("SELECT * FROM arxiv_links")}
    finally:
        conn.close()


def last_counts(db: Path) -> dict[str, Any]:
    counts: dict[str, Any] = json.loads(scalar(db, "SELECT counts FROM runs ORDER BY run_id DESC LIMIT 1"))
    return counts


def arxiv_requests(fake: FakeArxiv, since: int = 0) -> list[fa.Request]:
    return [r for r in fake.requests[since:] if r.path == fa.QUERY_PATH]


def h(*parts: object) -> int:
    return int.from_bytes(hashlib.sha1("\x1f".join(map(str, parts)).encode()).digest()[:8], "big")


@pytest.fixture(scope="module")
def module_env() -> Iterator[pytest.MonkeyPatch]:
    """Module-scoped fixtures run before the function-scoped fence and env cleaning: do both here."""
    with loopback_only(), pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if (name.startswith(ENV_PREFIXES) and name != "PAPERHARVEST_SHARED_DATA") or name in SECRET_ENV:
                mp.delenv(name)
        mp.setenv("PAPERHARVEST_BACKOFF", "0.01")
        mp.setenv("PAPERHARVEST_ARXIV_DELAY", "0")
        yield mp


# ---- the full venue: seeds ---------------------------------------------------------------------------------

# arXiv's spelling of the titles that are hard to search or compare (math, accents, symbols, dashes).
ARXIV_SPELLING = {
    "$\\ell_1$ Adversarial Robustness Certificates: a Randomized Smoothing Approach": (
        "ℓ1 Adversarial Robustness Certificates: a Randomized Smoothing Approach"
    ),
    "$\\alpha^{\\alpha}$-Rank: Scalable Multi-agent Evaluation through Evolution": (
        "α^α-Rank: Scalable Multi-agent Evaluation through Evolution"
    ),
    "$\\textrm{D}^2$GAN: A Few-Shot Learning Approach with Diverse and Discriminative Feature Synthesis": (
        "D$^2$GAN: A Few-Shot Learning Approach with Diverse and Discriminative Feature Synthesis"
    ),
    "Gradient $\\ell_1$ Regularization for Quantization Robustness": (
        "Gradient $\\ell_{1}$ Regularization for Quantization Robustness"
    ),
    "Poincaré Wasserstein Autoencoder": "Poincare Wasserstein Autoencoder",
    "Rényi Fair Inference": "Renyi Fair Inference",
    "Padé Activation Units: End-to-end Learning of Flexible Activation Functions in Deep Networks": (
        "Pade Activation Units: End-to-End Learning of Flexible Activation Functions in Deep Networks"
    ),
    "Implicit λ-Jeffreys Autoencoders: Taking the Best of Both Worlds": (
        "Implicit $\\lambda$-Jeffreys Autoencoders: Taking the Best of Both Worlds"
    ),
    "When Robustness Doesn’t Promote Robustness: Synthetic vs. Natural Distribution Shifts on ImageNet": (
        "When Robustness Doesn't Promote Robustness: Synthetic vs. Natural Distribution Shifts on ImageNet"
    ),
    "A⋆MCTS: SEARCH WITH THEORETICAL GUARANTEE USING POLICY AND VALUE FUNCTIONS": (
        "A*MCTS: Search with Theoretical Guarantee Using Policy and Value Functions"
    ),
    "Resolving Lexical Ambiguity in English–Japanese Neural Machine Translation": (
        "Resolving Lexical Ambiguity in English-Japanese Neural Machine Translation"
    ),
}


def arxiv_title(title: str, key: int) -> str:
    """How arXiv might write an OpenReview title: case, punctuation, wrapping or LaTeX differ; words do not."""
    if title in ARXIV_SPELLING:
        return ARXIV_SPELLING[title]
    variant = key % 6
    if variant == 1:
        return title.lower()
    if variant == 2:
        return title.upper()
    if variant == 3:
        return title.replace(": ", " -- ").rstrip(".") + "."
    if variant == 4:
        words = title.split(" ")
        middle = len(words) // 2
        return " ".join(words[:middle]) + "\n  " + " ".join(words[middle:])
    if variant == 5:
        return "  " + title.replace("-", " - ") + "  "
    return title


def arxiv_authors(authors: list[str], key: int) -> list[str]:
    """arXiv's author list: as on OpenReview, initials only, or only the first author."""
    variant = (key >> 8) % 4
    if variant == 1:
        return [" ".join([*(f"{w[0]}." for w in a.split()[:-1]), a.split()[-1]]) if " " in a else a for a in authors]
    if variant == 2:
        return authors[:1]
    return list(authors)


def stranger(authors: list[str], n: int) -> list[str]:
    """Authors who are not the paper's: the first author's surname with an initial none of them has."""
    used = {w[0].lower() for a in authors for w in a.split() if w}
    initial = next(c for c in "QXZJKVYUWO" if c.lower() not in used)
    surname = authors[0].split()[-1] if authors else "Nobody"
    return [f"{initial}. {surname}", f"Decoy Person{n}"]


@dataclass
class Seeds:
    entries: list[ArxivEntry] = field(default_factory=list)
    # forum id -> the entry that is that paper
    truth: dict[str, ArxivEntry] = field(default_factory=dict)
    decoy_ids: set[str] = field(default_factory=set)
    # papers not on arXiv that have an in-window same-titled decoy: forum id -> decoy id
    lure: dict[str, str] = field(default_factory=dict)
    # forum id -> the code URL its arXiv comment names
    comment_code: dict[str, str] = field(default_factory=dict)


def seed_full_venue(notes: list[dict[str, Any]]) -> Seeds:
    """A deterministic ~41% of the papers on arXiv (all the hard titles among them), each published in 2019,
    plus decoys: the same title by other people in 2019, and the same title by the same people in 2014."""
    seeds = Seeds()
    for index, note in enumerate(sorted(notes, key=lambda n: n["number"])):
        content, forum = note["content"], note["id"]
        title, authors = content["title"], list(content["authors"])
        key = h(forum)
        # 43 in 100, plus the hard titles: 1,067 papers, 41% of 2,594 (api-facts: ~41% of ICLR 2020 on arXiv).
        on_arxiv = key % 100 < 43 or title in ARXIV_SPELLING
        if on_arxiv:
            month = 1 + key % 9
            version = 1 + (key >> 4) % 3
            primary = ("cs.LG", "cs.CV", "stat.ML", "cs.CL")[(key >> 12) % 4]
            extra: dict[str, Any] = {
                "version": version,
                "primary_category": primary,
                "categories": [primary, *(c for c in ("cs.AI", "stat.ML") if c != primary)][: 1 + (key >> 16) % 3],
                "updated": f"2019-{month + 2:02d}-15T08:00:00Z",
            }
            if index % 5 == 0:
                url = f"https://github.com/Seed-Lab/Paper-{note['number']}"
                extra["comment"] = f"ICLR 2020. Code: {url}."
                seeds.comment_code[forum] = url.lower()
            if index % 11 == 0:
                extra["journal_ref"] = "ICLR 2020"
            if index % 13 == 0:
                extra["doi"] = f"10.5555/seed.{note['number']}"
            entry = make_entry(
                f"19{month:02d}.{10000 + index:05d}",
                arxiv_title(title, key),
                arxiv_authors(authors, key),
                f"2019-{month:02d}-{1 + key % 28:02d}T17:{key % 60:02d}:00Z",
                **extra,
            )
            seeds.entries.append(entry)
            seeds.truth[forum] = entry
        if index % 7 == 0:
            decoy = make_entry(f"1910.{50000 + index:05d}", title, stranger(authors, index), "2019-10-01T09:00:00Z")
            seeds.entries.append(decoy)
            seeds.decoy_ids.add(decoy.arxiv_id)
            if not on_arxiv:
                seeds.lure[forum] = decoy.arxiv_id
        if index % 9 == 0:
            old = make_entry(f"1405.{1000 + index:04d}", title, authors, "2014-05-20T10:00:00Z")
            seeds.entries.append(old)
            seeds.decoy_ids.add(old.arxiv_id)
    return seeds


@pytest.fixture(scope="module")
def venue_notes(full_venue: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [note for notes in full_venue.values() for note in notes]


@pytest.fixture(scope="module")
def seeds(venue_notes: list[dict[str, Any]]) -> Seeds:
    return seed_full_venue(venue_notes)


@pytest.fixture(scope="module")
def notes_db(
    full_venue: dict[str, list[dict[str, Any]]],
    module_env: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The full venue's notes, harvested once."""
    db = tmp_path_factory.mktemp("arxiv-notes") / "notes.db"
    with FakeOpenReview(full_venue) as fake:
        module_env.setenv("OPENREVIEW_API_BASEURL", fake.url)
        module_env.setenv("OPENREVIEW_API_BASEURL_V2", fake.url)
        assert fetch(db, "notes") == 0
    return db


@dataclass
class Linked:
    db: Path
    requests: list[fa.Request]
    max_in_flight: int


@pytest.fixture(scope="module")
def linked(
    notes_db: Path, seeds: Seeds, module_env: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Linked:
    """The full venue linked to the seeded arXiv once."""
    db = copy_db(notes_db, tmp_path_factory.mktemp("arxiv-linked") / "linked.db")
    with FakeArxiv(seeds.entries) as arxiv:
        module_env.setenv("PAPERHARVEST_ARXIV_API_URL", arxiv.query_url)
        assert fetch(db, "arxiv") == 0
        return Linked(db, arxiv_requests(arxiv), arxiv.max_in_flight)


@pytest.fixture(scope="module")
def coded(linked: Linked, module_env: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The linked full venue after a code stage without the optional APIs (it asks nobody anything)."""
    db = copy_db(linked.db, tmp_path_factory.mktemp("arxiv-coded") / "coded.db")
    assert fetch(db, "code") == 0
    return db


# ---- 1. the full venue --------------------------------------------------------------------------------------


def test_full_venue_links_every_seeded_paper_in_few_requests(
    linked: Linked, seeds: Seeds, venue_notes: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    stored = links(linked.db)
    matched = {f: r for f, r in stored.items() if r["status"] == "matched"}
    title_searches = [r for r in linked.requests if "search_query" in r.query]
    with capsys.disabled():
        print(
            f"\n[arxiv] {len(venue_notes)} papers, {len(seeds.truth)} seeded on arXiv, "
            f"{len(seeds.decoy_ids)} decoys: {len(linked.requests)} arXiv requests "
            f"({len(title_searches)} title searches); matched {len(matched)}, "
            f"unmatched {len(stored) - len(matched)}"
        )
    assert len(linked.requests) <= 300
    # One connection's worth of traffic, never two requests at once.
    assert linked.max_in_flight == 1
    # Every paper is decided, and every paper on arXiv is linked to its own entry.
    assert len(stored) == len(venue_notes) == 2594
    assert {f: r["arxiv_id"] for f, r in matched.items()} == {f: e.arxiv_id for f, e in seeds.truth.items()}
    assert {r["arxiv_id"] for r in matched.values()}.isdisjoint(seeds.decoy_ids)
    assert {r["method"] for r in matched.values()} == {"title-search"}
    counts = last_counts(linked.db)["arxiv"]
    assert (counts["papers"], counts["matched"], counts["unmatched"]) == (2594, len(seeds.truth), 2594 - len(matched))
    assert counts["requests"] == len(linked.requests)


def test_full_venue_links_carry_the_seeded_entry(linked: Linked, seeds: Seeds) -> None:
    stored = links(linked.db)
    for forum, entry in seeds.truth.items():
        row = stored[forum]
        got = (
            row["version"],
            json.loads(row["categories"]),
            row["primary_category"],
            row["abs_url"],
            row["pdf_url"],
            row["published"],
            row["updated"],
            row["title"],
            row["comment"],
            row["journal_ref"],
            row["doi"],
            row["in_window"],
        )
        wanted = (
            entry.version,
            entry.categories,
            entry.primary_category,
            entry.abs_url,
            entry.pdf_url,
            entry.published.isoformat(),
            entry.updated.isoformat(),
            " ".join(entry.title.split()),
            entry.comment,
            entry.journal_ref,
            entry.doi,
            1,
        )
        assert got == wanted, forum
        assert row["score"] >= 0.85 and row["author_overlap"] >= 1
        assert row["abs_url"] == f"https://arxiv.org/abs/{entry.arxiv_id}v{entry.version}"


def test_full_venue_unmatched_papers_keep_their_best_candidate(linked: Linked, seeds: Seeds) -> None:
    stored = links(linked.db)
    unmatched = {f: r for f, r in stored.items() if r["status"] == "unmatched"}
    assert set(unmatched) == set(stored) - set(seeds.truth)
    for row in unmatched.values():
        assert row["arxiv_id"] is None and row["abs_url"] is None and row["version"] is None
        assert (row["best_candidate"] is None) == (row["score"] is None)
        assert row["checked_at"]
    # A paper not on arXiv whose title an in-window paper by other people shares: that paper is its best
    # candidate, with a perfect title score, and it is still not accepted.
    assert seeds.lure
    for forum, decoy in seeds.lure.items():
        row = unmatched[forum]
        assert row["best_candidate"] == decoy, forum
        assert row["score"] == pytest.approx(1.0)
        assert row["author_overlap"] == 0
        assert "no shared author" in row["reasons"]


def test_full_venue_hard_titles_are_linked(linked: Linked, seeds: Seeds, venue_notes: list[dict[str, Any]]) -> None:
    stored = links(linked.db)
    hard = {n["id"] for n in venue_notes if n["content"]["title"] in ARXIV_SPELLING}
    assert len(hard) == len(ARXIV_SPELLING)
    assert {f: stored[f]["arxiv_id"] for f in hard} == {f: seeds.truth[f].arxiv_id for f in hard}


# ---- 3. retry policy ----------------------------------------------------------------------------------------


def test_a_second_run_asks_arxiv_nothing_then_retries_only_unmatched(
    linked: Linked, seeds: Seeds, tmp_path: Path, fake_env: Any
) -> None:
    db = copy_db(linked.db, tmp_path / "x.db")
    before = links(db)
    with FakeArxiv(seeds.entries) as arxiv:
        fake_env(arxiv.url, PAPERHARVEST_ARXIV_API_URL=arxiv.query_url, PAPERHARVEST_ARXIV_DELAY="0")
        assert fetch(db, "arxiv") == 0
        assert arxiv_requests(arxiv) == []
        assert last_counts(db)["arxiv"]["papers"] == 0
        assert links(db) == before

        fake_env(arxiv.url, PAPERHARVEST_ARXIV_RETRY_DAYS="0")
        assert fetch(db, "arxiv") == 0
        searched = arxiv_requests(arxiv)
    after = links(db)
    unmatched = {f for f, r in before.items() if r["status"] == "unmatched"}
    assert 0 < len(searched) <= 300
    assert last_counts(db)["arxiv"]["papers"] == len(unmatched)
    # Matched papers were not looked at again; unmatched ones were, and stay unmatched.
    for forum, row in before.items():
        if forum in unmatched:
            assert after[forum]["checked_at"] > row["checked_at"]
            assert after[forum]["status"] == "unmatched"
        else:
            assert after[forum] == row
    # No matched title was sent to arXiv again.
    queries = " ".join(r.query["search_query"] for r in searched)
    phrases = {p for p in re.findall(r'ti:"([^"]+)"', queries)}
    titles = dict(rows(db, "SELECT forum_id, title FROM papers"))
    matched_titles = [" ".join(re.findall(r"[a-z0-9]+", titles[f].lower())) for f in seeds.truth]
    assert len(matched_titles) > 1000
    assert [t for t in matched_titles if t in phrases] == []
    assert len(phrases) >= len(unmatched) // 2


# ---- 5, 6. code links on the full venue -----------------------------------------------------------------------


def test_full_venue_code_links_are_canonical(coded: Path, shared_data: Path, venue_notes: list[dict[str, Any]]) -> None:
    repositories = rows(coded, "SELECT url FROM code_links WHERE kind = 'repository' AND platform = 'github'")
    assert repositories
    assert [u for (u,) in repositories if not GITHUB_REPO.match(u)] == []
    assert [u for (u,) in repositories if u != u.lower()] == []
    expected = expected_iclr2020(shared_data)
    with_code = scalar(
        coded,
        """SELECT count(DISTINCT c.forum_id) FROM code_links c JOIN papers p USING (forum_id)
           WHERE p.status = 'accepted' AND c.source = 'openreview-code'""",
    )
    assert with_code >= expected.code_count == 335
    assert scalar(coded, "SELECT count(DISTINCT forum_id) FROM code_links") >= expected.code_count

    # Independently of the code under test: a plain github.com/<owner>/<repo> code field is stored as the
    # lower-cased repository URL, official, from the OpenReview code field.
    plain = re.compile(r"\Ahttps?://(?:www\.)?github\.com/([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?\Z")
    stored = {(f, u): (s, o) for f, u, s, o in rows(coded, "SELECT forum_id, url, source, official FROM code_links")}
    checked = 0
    for note in venue_notes:
        found = plain.match(str(note["content"].get("code") or "").strip())
        if found:
            url = f"https://github.com/{found.group(1).lower()}/{found.group(2).lower()}"
            assert stored.get((note["id"], url)) == ("openreview-code", 1), (note["id"], url)
            checked += 1
    assert checked > 200


def test_full_venue_arxiv_comment_links(coded: Path, seeds: Seeds) -> None:
    stored = {
        f: (u, k, s, o)
        for f, u, k, s, o in rows(coded, "SELECT forum_id, url, kind, source, official FROM code_links")
        if s == "arxiv-comment"
    }
    assert seeds.comment_code
    assert stored == {f: (u, "repository", "arxiv-comment", 1) for f, u in seeds.comment_code.items()}


def test_full_venue_summary_shows_arxiv_and_code(coded: Path, seeds: Seeds) -> None:
    conn = sqlite3.connect(coded)
    conn.row_factory = sqlite3.Row
    try:
        summary = {r["forum_id"]: dict(r) for r in conn.execute("SELECT * FROM paper_summary")}
        repos = dict(
            conn.execute("SELECT forum_id, count(*) FROM code_links WHERE kind = 'repository' GROUP BY forum_id")
        )
    finally:
        conn.close()
    for forum, entry in seeds.truth.items():
        assert (summary[forum]["arxiv_id"], summary[forum]["arxiv_url"]) == (entry.arxiv_id, entry.abs_url)
    unlinked = set(summary) - set(seeds.truth)
    assert all(summary[f]["arxiv_id"] is None and summary[f]["arxiv_url"] is None for f in unlinked)
    assert {f: s["code_repositories"] for f, s in summary.items()} == {f: repos.get(f, 0) for f in summary}
    both = [f for f in seeds.comment_code if f in summary]
    assert both and all(summary[f]["code_repositories"] >= 1 and summary[f]["arxiv_id"] for f in both)


# ---- the sample venue ---------------------------------------------------------------------------------------

SAMPLE_BY_NUMBER = {n["number"]: n for notes in load_sample_venue().values() for n in notes}


def sample_id(number: int) -> str:
    return str(SAMPLE_BY_NUMBER[number]["id"])


def seeded_sample() -> dict[str, str]:
    """forum id -> arXiv id, as sample_arxiv_entries seeds them (every third paper is not on arXiv)."""
    ordered = sorted(SAMPLE_BY_NUMBER.values(), key=lambda n: n["number"])
    return {n["id"]: f"1909.{10000 + n['number']:05d}" for i, n in enumerate(ordered) if i % 3 != 2}


def harvest_notes(db: Path, venue: dict[str, list[dict[str, Any]]], fake_env: Any) -> None:
    with FakeOpenReview(venue) as fake:
        fake_env(fake.url)
        assert fetch(db, "notes") == 0


@pytest.fixture()
def sample_db(tmp_path: Path, fake_env: Any) -> Path:
    db = tmp_path / "sample.db"
    harvest_notes(db, load_sample_venue(), fake_env)
    return db


def run_arxiv(db: Path, arxiv: FakeArxiv, fake_env: Any, **env: str) -> int:
    fake_env(arxiv.url, PAPERHARVEST_ARXIV_API_URL=arxiv.query_url, PAPERHARVEST_ARXIV_DELAY="0", **env)
    return fetch(db, "arxiv")


def test_sample_links_two_papers_in_three(sample_db: Path, fake_env: Any) -> None:
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        assert run_arxiv(sample_db, arxiv, fake_env) == 0
        assert len(arxiv_requests(arxiv)) <= 2
    stored = links(sample_db)
    assert len(stored) == 36
    assert {f: r["arxiv_id"] for f, r in stored.items() if r["status"] == "matched"} == seeded_sample()


# ---- 2. explicit ids ----------------------------------------------------------------------------------------


def test_explicit_ids_are_looked_up_and_confirmed(tmp_path: Path, fake_env: Any) -> None:
    venue = copy.deepcopy(load_sample_venue())
    notes = {n["number"]: n for ns in venue.values() for n in ns}
    # 1: its own id in the abstract.
    notes[1]["content"]["abstract"] += "\n\nPreprint: https://arxiv.org/abs/1909.10001v1."
    # 5: its own id beside the code link.
    notes[5]["content"]["code"] = "https://github.com/passgraph/passgraph (paper: arXiv:1909.10005)"
    # 3 (not in the sample's arXiv): a CatalyzeX link naming its 2017 preprint, outside the date window.
    notes[3]["content"]["community_implementations"] = (
        "[![CatalyzeX](/images/catalyzex_icon.svg) 1 code implementation]"
        "(https://www.catalyzex.com/paper/arxiv:1703.01234/code)"
    )
    # 6 (not in the sample's arXiv): cites a paper with its very title, by other people.
    notes[6]["content"]["abstract"] += " Unlike the concurrent arXiv:1810.04805, we ..."
    # 8: cites somebody else's paper (that of paper 1); its own preprint is found by title.
    notes[8]["content"]["abstract"] += " We build on https://arxiv.org/pdf/1909.10001."
    extra = [
        make_entry("1703.01234", notes[3]["content"]["title"], notes[3]["content"]["authors"], "2017-03-03T00:00:00Z"),
        make_entry("1810.04805", notes[6]["content"]["title"], ["Jacob Devlin", "Ming-Wei Chang"], "2018-10-11"),
    ]
    db = tmp_path / "x.db"
    harvest_notes(db, venue, fake_env)
    with FakeArxiv([*sample_arxiv_entries(), *extra]) as arxiv:
        assert run_arxiv(db, arxiv, fake_env) == 0
        id_lists = [r.query["id_list"] for r in arxiv_requests(arxiv) if r.query.get("id_list")]
    assert len(id_lists) == 1
    assert set(id_lists[0].split(",")) == {"1909.10001", "1909.10005", "1703.01234", "1810.04805"}
    stored = links(db)

    def decided(number: int) -> tuple[str, str | None, str | None]:
        row = stored[sample_id(number)]
        return row["status"], row["method"], row["arxiv_id"]

    assert decided(1) == ("matched", "explicit-id", "1909.10001")
    assert decided(5) == ("matched", "explicit-id", "1909.10005")
    assert decided(3) == ("matched", "explicit-id", "1703.01234")
    assert stored[sample_id(3)]["in_window"] == 0
    assert decided(6)[0] == "unmatched" and decided(6)[2] is None
    assert stored[sample_id(6)]["best_candidate"] == "1810.04805"
    assert decided(8) == ("matched", "title-search", "1909.10008")
    # The rest as without the citations.
    wanted = {**seeded_sample(), sample_id(3): "1703.01234"}
    assert {f: r["arxiv_id"] for f, r in stored.items() if r["status"] == "matched"} == wanted
    assert last_counts(db)["arxiv"]["matched"] == len(wanted)


def test_a_title_with_nothing_searchable_is_recorded_unmatched(tmp_path: Path, fake_env: Any) -> None:
    venue = copy.deepcopy(load_sample_venue())
    note = next(n for ns in venue.values() for n in ns if n["number"] == 3)
    note["content"]["title"] = "$\\Omega$"
    db = tmp_path / "x.db"
    harvest_notes(db, venue, fake_env)
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        assert run_arxiv(db, arxiv, fake_env) == 0
    counts = last_counts(db)["arxiv"]
    assert counts["matched"] + counts["unmatched"] == counts["papers"] == 36
    assert links(db)[note["id"]]["status"] == "unmatched"


# ---- 4. failure modes ---------------------------------------------------------------------------------------


def test_503_then_success_completes(sample_db: Path, fake_env: Any) -> None:
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        arxiv.inject(fa.server_error(503, times=2))
        assert run_arxiv(sample_db, arxiv, fake_env) == 0
        assert [r.status for r in arxiv_requests(arxiv)][:3] == [503, 503, 200]
    stored = links(sample_db)
    assert {f: r["arxiv_id"] for f, r in stored.items() if r["status"] == "matched"} == seeded_sample()


def test_persistent_503_exits_4_naming_arxiv_and_keeps_earlier_links(
    sample_db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        assert run_arxiv(sample_db, arxiv, fake_env) == 0
    before = links(sample_db)
    capsys.readouterr()
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        arxiv.inject(fa.server_error(503, times=None))
        # Unmatched papers are due again at once, so this run has to ask arXiv.
        assert (
            run_arxiv(sample_db, arxiv, fake_env, PAPERHARVEST_ARXIV_RETRY_DAYS="0", PAPERHARVEST_MAX_RETRIES="2") == 4
        )
        assert len(arxiv_requests(arxiv)) == 3
    err = capsys.readouterr().err
    assert "arXiv" in err and "503" in err
    assert links(sample_db) == before
    outcome, error = rows(sample_db, "SELECT outcome, error FROM runs ORDER BY run_id DESC LIMIT 1")[0]
    assert outcome == "failed" and "arXiv" in error


def test_persistent_503_on_a_fresh_database_stores_no_link(
    sample_db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        arxiv.inject(fa.server_error(503, times=None))
        assert run_arxiv(sample_db, arxiv, fake_env, PAPERHARVEST_MAX_RETRIES="1") == 4
    assert "arXiv did not answer" in capsys.readouterr().err
    assert links(sample_db) == {}


def test_the_400_error_feed_exits_5(sample_db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        arxiv.inject(fa.error_feed("malformed search_query"))
        assert run_arxiv(sample_db, arxiv, fake_env) == 5
        # Not retried: a 400 will not get better.
        assert len(arxiv_requests(arxiv)) == 1
    err = capsys.readouterr().err
    assert "arXiv rejected the query" in err and "malformed search_query" in err
    assert links(sample_db) == {}


FLOODED = 8  # a sample paper on arXiv whose title 210 older papers contain


def flooded_arxiv() -> FakeArxiv:
    """The sample's arXiv plus 210 earlier in-window papers whose titles hold paper 8's: its batch's hits span
    two pages, and its own preprint, the latest, is on the second."""
    title = SAMPLE_BY_NUMBER[FLOODED]["content"]["title"]
    flood = [
        make_entry(f"1805.{20000 + k:05d}", f"{title}, Part {k}", [f"Flood Writer{k}"], f"2018-05-{1 + k % 28:02d}")
        for k in range(210)
    ]
    return FakeArxiv([*sample_arxiv_entries(), *flood])


def test_a_batch_over_one_page_is_paged(sample_db: Path, fake_env: Any) -> None:
    with flooded_arxiv() as arxiv:
        assert run_arxiv(sample_db, arxiv, fake_env) == 0
        starts = [r.query.get("start") for r in arxiv_requests(arxiv)]
    assert "200" in starts
    assert links(sample_db)[sample_id(FLOODED)]["arxiv_id"] == "1909.10008"


def test_an_empty_page_mid_pagination_is_asked_again(sample_db: Path, fake_env: Any) -> None:
    with flooded_arxiv() as arxiv:
        arxiv.inject(fa.empty_page(match={"start": "200"}))
        assert run_arxiv(sample_db, arxiv, fake_env) == 0
        starts = [r.query.get("start") for r in arxiv_requests(arxiv)]
    assert starts.count("200") == 2
    stored = links(sample_db)
    assert stored[sample_id(FLOODED)]["arxiv_id"] == "1909.10008"
    assert {f: r["arxiv_id"] for f, r in stored.items() if r["status"] == "matched"} == seeded_sample()


def test_an_empty_page_that_persists_is_a_clear_error(
    sample_db: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with flooded_arxiv() as arxiv:
        arxiv.inject(fa.empty_page(match={"start": "200"}, times=None))
        assert run_arxiv(sample_db, arxiv, fake_env) == 5
    err = capsys.readouterr().err
    assert "no entries twice" in err and "start=200" in err
    # The paper whose listing lost a page is not recorded as "not on arXiv": the next run asks again.
    assert sample_id(FLOODED) not in links(sample_db)


# ---- 5. code stage with the code APIs -----------------------------------------------------------------------

HF: dict[str, dict[str, Any]] = {
    # paper 1 has an author TL;DR: its AI summary must not be used.
    "1909.10001": {
        "id": "1909.10001",
        "githubRepo": "https://github.com/LWroblewska/QCert",
        "projectPage": "https://lwroblewska.github.io/qcert/",
        "ai_summary": "A machine summary of paper 1.",
    },
    # paper 4 has none.
    "1909.10004": {
        "id": "1909.10004",
        "githubRepo": "https://github.com/Naledi-K/causal-debias/tree/main",
        "ai_summary": "  A machine summary of paper 4.  ",
    },
    "1909.10022": {"id": "1909.10022", "githubRepo": None, "ai_summary": "A machine summary of paper 22."},
}
PWC: dict[str, dict[str, Any]] = {
    "1909.10004": {
        "id": "1909.10004",
        "repositories": [
            {"url": "https://github.com/naledi-k/causal-debias", "is_official": True},
            {"url": "https://github.com/Someone/Reimpl.git", "is_official": False},
        ],
    },
    "1909.10028": {
        "id": "1909.10028",
        "repositories": [{"url": "https://gitlab.com/Bellini/CL-Rec", "is_official": True}],
    },
}


@pytest.fixture()
def sample_linked(sample_db: Path, fake_env: Any) -> Path:
    with FakeArxiv(sample_arxiv_entries()) as arxiv:
        assert run_arxiv(sample_db, arxiv, fake_env) == 0
    return sample_db


def run_code(db: Path, apis: FakeCodeApis, fake_env: Any, enabled: str = "huggingface,paperswithcode") -> int:
    fake_env(
        apis.url,
        PAPERHARVEST_CODE_APIS=enabled,
        PAPERHARVEST_HF_API_URL=apis.hf_base,
        PAPERHARVEST_PWC_API_URL=apis.pwc_base,
        PAPERHARVEST_MAX_RETRIES="2",
    )
    return fetch(db, "code")


def code_rows(db: Path, forum: str) -> set[tuple[Any, ...]]:
    return set(rows(db, "SELECT url, kind, platform, source, official FROM code_links WHERE forum_id = ?", forum))


def test_code_apis_add_links_and_a_machine_tldr(sample_linked: Path, fake_env: Any) -> None:
    db = sample_linked
    with FakeCodeApis(HF, PWC) as apis:
        assert run_code(db, apis, fake_env) == 0
        matched = len(seeded_sample())
        assert (apis.count("hf"), apis.count("pwc")) == (matched, matched)
    assert code_rows(db, sample_id(1)) == {
        ("https://github.com/lwroblewska/qcert", "repository", "github", "openreview-code", 1),
        ("https://lwroblewska.github.io/qcert/", "project-page", "github-pages", "huggingface", 0),
        ("https://github.com/sample-lab/paper-1", "repository", "github", "arxiv-comment", 1),
    }
    assert code_rows(db, sample_id(4)) == {
        ("https://github.com/naledi-k/causal-debias", "repository", "github", "paperswithcode", 1),
        ("https://github.com/someone/reimpl", "repository", "github", "paperswithcode", 0),
    }
    assert code_rows(db, sample_id(28)) == {
        ("https://gitlab.com/Bellini/CL-Rec", "repository", "gitlab", "paperswithcode", 1),
    }
    tldrs = dict(rows(db, "SELECT forum_id, text || '|' || source FROM machine_tldrs"))
    assert tldrs == {
        sample_id(4): "A machine summary of paper 4.|huggingface",
        sample_id(22): "A machine summary of paper 22.|huggingface",
    }
    summary = {f: (t, s) for f, t, s in rows(db, "SELECT forum_id, tldr, tldr_source FROM paper_summary")}
    assert summary[sample_id(4)] == ("A machine summary of paper 4.", "huggingface")
    assert summary[sample_id(22)] == ("A machine summary of paper 22.", "huggingface")
    assert summary[sample_id(1)][1] == "authors" and "machine" not in summary[sample_id(1)][0]
    counts = last_counts(db)["code"]
    assert counts["machine_tldrs"] == 2
    assert counts["huggingface_answers"] == counts["paperswithcode_answers"] == matched


def test_arxiv_comment_links_in_the_sample(sample_linked: Path, fake_env: Any) -> None:
    db = sample_linked
    assert fetch(db, "code") == 0
    ordered = sorted(SAMPLE_BY_NUMBER.values(), key=lambda n: n["number"])
    wanted = {
        (n["id"], f"https://github.com/sample-lab/paper-{n['number']}")
        for i, n in enumerate(ordered)
        if i % 3 != 2 and i % 2 == 0
    }
    got = set(rows(db, "SELECT forum_id, url FROM code_links WHERE source = 'arxiv-comment'"))
    assert got == wanted


def test_a_dead_code_api_is_skipped_and_reported(
    sample_linked: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = sample_linked
    with FakeCodeApis(HF, PWC) as apis:
        apis.inject(fc.server_error(503, api="pwc", times=None))
        assert run_code(db, apis, fake_env) == 0
        # Asked about one paper only (first try and 2 retries), then left alone.
        assert apis.count("pwc") == 3
        assert apis.count("hf") == len(seeded_sample())
    assert "Papers with Code" in capsys.readouterr().err
    counts = last_counts(db)["code"]
    assert counts["paperswithcode_unavailable"] == 1 and "paperswithcode_answers" not in counts
    assert scalar(db, "SELECT count(*) FROM code_links WHERE source = 'paperswithcode'") == 0
    assert scalar(db, "SELECT count(*) FROM code_links WHERE source = 'huggingface'") >= 1
    assert scalar(db, "SELECT count(*) FROM machine_tldrs") == 2
    assert rows(db, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1") == [("ok",)]


def test_rerunning_the_code_stage_keeps_first_seen(sample_linked: Path, fake_env: Any) -> None:
    db = sample_linked
    with FakeCodeApis(HF, PWC) as apis:
        assert run_code(db, apis, fake_env) == 0
        first = {
            (f, u): (a, b) for f, u, a, b in rows(db, "SELECT forum_id, url, first_seen_at, seen_at FROM code_links")
        }
        asked = apis.count()
        assert run_code(db, apis, fake_env) == 0
        # Answers already stored are not asked for again.
        assert apis.count() == asked
    second = {(f, u): (a, b) for f, u, a, b in rows(db, "SELECT forum_id, url, first_seen_at, seen_at FROM code_links")}
    assert second.keys() == first.keys()
    assert {k: v[0] for k, v in second.items()} == {k: v[0] for k, v in first.items()}
    assert all(second[k][1] > first[k][1] for k in first)


def test_summary_of_a_matched_sample_paper(sample_linked: Path, fake_env: Any) -> None:
    db = sample_linked
    assert fetch(db, "code") == 0
    arxiv_id, url, repos = rows(
        db, "SELECT arxiv_id, arxiv_url, code_repositories FROM paper_summary WHERE forum_id = ?", sample_id(1)
    )[0]
    # Paper 1: its code field and its arXiv comment name one repository each.
    assert (arxiv_id, url, repos) == ("1909.10001", "https://arxiv.org/abs/1909.10001v1", 2)


def test_one_enabled_source_is_not_asked_again(sample_linked: Path, fake_env: Any) -> None:
    db = sample_linked
    with FakeCodeApis(HF, PWC) as apis:
        assert run_code(db, apis, fake_env, enabled="huggingface") == 0
        assert (apis.count("hf"), apis.count("pwc")) == (len(seeded_sample()), 0)
        assert run_code(db, apis, fake_env, enabled="huggingface") == 0
        assert apis.count("hf") == len(seeded_sample())


def test_after_a_dead_source_only_that_source_is_asked_again(sample_linked: Path, fake_env: Any) -> None:
    db = sample_linked
    with FakeCodeApis(HF, PWC) as apis:
        apis.inject(fc.server_error(503, api="pwc", times=None))
        assert run_code(db, apis, fake_env) == 0
    with FakeCodeApis(HF, PWC) as apis:
        assert run_code(db, apis, fake_env) == 0
        # Papers with Code is back: it is asked about every paper, Hugging Face (all answered) about none.
        assert (apis.count("pwc"), apis.count("hf")) == (len(seeded_sample()), 0)
    assert scalar(db, "SELECT count(*) FROM code_links WHERE source = 'paperswithcode'") == 3
