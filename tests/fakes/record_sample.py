"""Re-record the bundled demo sample: serve the hand-written fixture venue, its authors' profiles and their
homepages from fake servers on 127.0.0.1, and run `paperharvest fetch --record` against them, logged in,
so the recording also shows that credentials never reach it.

    python -m tests.fakes.record_sample data/sample/iclr2020
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from itertools import cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from paperharvest.cli import main as paperharvest
from paperharvest.models import ArxivEntry
from tests.fakes.arxiv_server import FakeArxiv, make_entry
from tests.fakes.loopback import loopback_only
from tests.fakes.openreview_v1 import TEST_PASSWORD, TEST_USER, FakeOpenReview
from tests.fakes.web_server import FakeWeb, Page, serving_hosts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VENUE = FIXTURES / "iclr2020_sample" / "notes.json"
PROFILES = FIXTURES / "profiles" / "profiles.json"
HOMEPAGES = FIXTURES / "homepages"
ENV = (
    "OPENREVIEW_API_BASEURL",
    "OPENREVIEW_API_BASEURL_V2",
    "OPENREVIEW_USERNAME",
    "OPENREVIEW_PASSWORD",
    "PAPERHARVEST_ARXIV_API_URL",
    "PAPERHARVEST_ARXIV_DELAY",
)
# The sample is recorded without the optional code APIs and GitHub metadata, whatever the caller's environment.
UNSET = ("GITHUB_TOKEN", "S2_API_KEY", "PAPERHARVEST_CODE_APIS")


def load_sample_venue() -> dict[str, list[dict[str, Any]]]:
    venue: dict[str, list[dict[str, Any]]] = json.loads(VENUE.read_text(encoding="utf-8"))
    return venue


def load_sample_profiles() -> list[dict[str, Any]]:
    profiles: list[dict[str, Any]] = json.loads(PROFILES.read_text(encoding="utf-8"))
    return profiles


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]+", "_", folded.lower()).strip("_")


def sample_homepages() -> dict[str, Page]:
    """Each profile homepage gets a page of the homepage corpus: the page written for that person where the
    corpus has one, else the next unclaimed page; three get the failures a crawl meets."""
    homepages: dict[str, str] = {}
    for profile in load_sample_profiles():
        content = profile.get("content") or {}
        url = (content.get("homepage") or "").strip()
        names = [n.get("fullname") or "" for n in content.get("names") or []]
        if url:
            homepages.setdefault(url, _slug(names[0]) if names else "")
    failures = [
        Page(status=302, headers={"Location": "http://10.9.8.7/internal"}),  # must be blocked
        Page(b"<html><title>Not Found</title></html>", status=404),
        Page(b"%PDF-1.4 a CV, not a homepage", content_type="application/pdf"),
    ]
    corpus = sorted(HOMEPAGES.glob("*.html"))
    own = {url: page for url, slug in homepages.items() for page in corpus if slug and page.stem.endswith(slug)}
    spare = cycle([page for page in corpus if page not in own.values()])
    routes: dict[str, Page] = {}
    for index, url in enumerate(sorted(homepages)):
        parts = urlsplit(url)
        key = (parts.hostname or "") + (parts.path or "/")
        if index < len(failures):
            routes[key] = failures[index]
        else:
            routes[key] = Page((own.get(url) or next(spare)).read_bytes())
    return routes


def sample_arxiv_entries() -> list[ArxivEntry]:
    """arXiv versions of two papers in three (every third is not on arXiv), each a few months before the
    venue, some with a code link in the comment; and decoys: the same titles by other people, years earlier."""
    entries = []
    papers = sorted((note for notes in load_sample_venue().values() for note in notes), key=lambda n: n["number"])
    for index, note in enumerate(papers):
        content, number = note["content"], note["number"]
        if index % 3 == 2:
            continue
        comment = f"Code: https://github.com/sample-lab/paper-{number}" if index % 2 == 0 else None
        entries.append(
            make_entry(
                f"1909.{10000 + number:05d}",
                content["title"],
                content["authors"],
                "2019-09-20T12:00:00Z",
                comment=comment,
                categories=["cs.LG", "stat.ML"],
            )
        )
        if index % 5 == 0:
            decoy_authors = ["Someone Else", "Another Person"]
            entries.append(make_entry(f"1612.{20000 + number:05d}", content["title"], decoy_authors, "2016-12-01"))
    return entries


def harvest_sample(db: Path, *extra: str) -> int:
    """`paperharvest fetch` of the sample venue against the fake servers, logged in; returns its exit code.
    Nothing but 127.0.0.1 can be dialled meanwhile."""
    routes = sample_homepages()
    hosts = {key.split("/", 1)[0] for key in routes}
    with (
        loopback_only(),
        FakeOpenReview(load_sample_venue(), guest_gate="json", profiles=load_sample_profiles()) as fake,
        FakeWeb(routes) as web,
        serving_hosts(web, hosts),
        FakeArxiv(sample_arxiv_entries()) as arxiv,
    ):
        saved = {name: os.environ.get(name) for name in (*ENV, *UNSET)}
        for name in UNSET:
            os.environ.pop(name, None)
        os.environ.update(
            {
                "OPENREVIEW_API_BASEURL": fake.url,
                "OPENREVIEW_API_BASEURL_V2": fake.url,
                "OPENREVIEW_USERNAME": TEST_USER,
                "OPENREVIEW_PASSWORD": TEST_PASSWORD,
                "PAPERHARVEST_ARXIV_API_URL": arxiv.query_url,
                "PAPERHARVEST_ARXIV_DELAY": "0",
            }
        )
        try:
            return paperharvest(["fetch", "--venue", "iclr2020", "--db", str(db), "--quiet", *extra])
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def record(folder: Path) -> int:
    if folder.exists():
        shutil.rmtree(folder)
    with tempfile.TemporaryDirectory() as tmp:
        return harvest_sample(Path(tmp) / "sample.db", "--record", str(folder))


if __name__ == "__main__":
    raise SystemExit(record(Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample/iclr2020")))
