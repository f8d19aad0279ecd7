"""Re-record the bundled demo sample: serve the hand-written fixture venue, its authors' profiles and their
homepages from fake servers on 127.0.0.1, and run `paperharvest fetch --record` against them, logged in,
so the recording also shows that credentials never reach it.

    python -m tests.fakes.record_sample data/sample/iclr2020
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import string
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
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


# Pages the demo keeps someone else's, so that it shows what is refused (issue 9's own examples): a page
# titled with another person's name, one page two people list, and an advisor's lab page listing students.
NOT_THEIRS = {
    "~Margaret_Ashdown1": "x_reserved_paths_tunde_adeyemi.html",
    "~Hannah_Whitcombe1": "hugo_wowchemy_dmitri_volkov.html",
    "~Tobias_Lindqvist1": "hugo_wowchemy_dmitri_volkov.html",
    "~Arjun_Mehta1": "academicpages_carmen_ruiz.html",
    "~Victor_Lemaire1": "lab_page_vl_lab.html",
    "~Hyun-woo_Kim1": "lab_page_vl_lab.html",
}
# The conference's own account, as many academic pages link it; every CONFERENCE_EVERY-th personalised page
# carries it.
CONFERENCE_LINK = b'<p class="news">Our paper is at <a href="https://twitter.com/iclr_conf">ICLR 2020</a>.</p>'
CONFERENCE_EVERY = 5
# Corpus pages whose person's name is not the file name's last two words, as the page spells it.
_CORPUS_NAME = {
    "coauthors_twitter_liam_oconnor.html": ("Liam", "O'Connor"),
    "gitlab_github_io_meilin_lee.html": ("Mei-Lin", "Lee"),
    "hugo_blox_eunji_park.html": ("Eun-ji", "Park"),
    "latin1_jose_muller.html": ("José", "Müller"),
    "hidden_script_comment_viktor_horvath.html": ("Viktor", "Horváth"),
}
# Pages that also name their person in another script (徐明), which a rewrite cannot carry over.
_NOT_PERSONALISED = frozenset({"utf8_bom_xu_ming.html"})
_ENCODING = {"latin1_jose_muller.html": "cp1252"}
# Accounts a page names only in its `twitter:site` tag, which the attribution reads and EXPECTED.json
# (links and text) does not list.
_META_ACCOUNTS = {"share_buttons_only_marta_nowak.html": [{"platform": "x", "handle": "martanowak"}]}
_EXPECTED: dict[str, Any] = json.loads((HOMEPAGES / "EXPECTED.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SampleHomepage:
    """What the sample serves at one homepage address, and what a reader must find there."""

    page: Page
    corpus_file: str | None  # None for the three failures
    # The person the corpus page was rewritten for (their own page); None when served as written.
    personalised_for: str | None = None
    replacements: tuple[tuple[str, str], ...] = ()

    def expected_accounts(self) -> set[tuple[str, str]]:
        """(platform, handle casefolded) of the accounts the corpus page names (EXPECTED.json and
        _META_ACCOUNTS), as rewritten here."""
        entries = _EXPECTED.get(self.corpus_file or "")
        if not isinstance(entries, list):
            return set()
        entries = [*entries, *_META_ACCOUNTS.get(self.corpus_file or "", [])]
        return {(e["platform"], _rewrite(e["handle"], self.replacements).casefold()) for e in entries}


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").translate(str.maketrans("ŁłØøðÐ", "LlOodD"))
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _handle_word(text: str) -> str:
    return re.sub(r"[^a-z]", "", _ascii(text).lower())


def _name_replacements(old: tuple[str, str], new: tuple[str, str]) -> list[tuple[str, str]]:
    """(old spelling, new spelling) of a person's name in the forms pages and handles use, longest first:
    "Eun-ji Park", "Park Eun-ji", "eunjipark", "epark", "eunjipa", "Park", "Eun-ji", "eunji"."""
    (og, of), (ng, nf) = old, new
    hg, hf, nhg, nhf = _handle_word(og), _handle_word(of), _handle_word(ng), _handle_word(nf)
    # Handles that join both names keep to X's 15 characters: a long name joins as initial + surname.
    joined = nhg if len(nhg + nhf) <= 13 else nhg[0]
    pairs = [
        (f"{og} {of}", f"{ng} {nf}"),
        (f"{of} {og}", f"{ng} {nf}"),
        (_ascii(f"{og} {of}"), _ascii(f"{ng} {nf}")),
        (hg + hf, joined + nhf),
        (f"{hg}.{hf}", f"{joined}.{nhf}"),
        (f"{hg}-{hf}", f"{joined}-{nhf}"),
        (f"{hg}_{hf}", f"{joined}_{nhf}"),
        (hg[0] + hf, nhg[0] + nhf),
        (hg + hf[:2], nhg + nhf[:2]),
        (f"{hg[0]}.{hf}", f"{nhg[0]}.{nhf}"),
        (f"{hg[0]}_{hf}", f"{nhg[0]}_{nhf}"),
        (of, nf),
        (_ascii(of), _ascii(nf)),
        (hf, nhf),
        (og, ng),
        (_ascii(og), _ascii(ng)),
        (hg, nhg),
    ]
    first: dict[str, tuple[str, str]] = {}
    for pair in pairs:  # a page's own spelling first: "Bram" -> "Benedikt", not the handle's "benedikt"
        first.setdefault(pair[0].casefold(), pair)
    return sorted(first.values(), key=lambda pair: -len(pair[0]))


def _id_replacements(corpus_file: str, person: str) -> list[tuple[str, str]]:
    """New Scholar ids and ORCID iDs for the person (valid check digits), so no two people share one."""
    pairs = []
    for entry in _EXPECTED.get(corpus_file) or []:
        digest = hashlib.sha256(f"{person} {entry['handle']}".encode()).digest()
        if entry["platform"] == "scholar":
            alphabet = string.ascii_letters + string.digits
            pairs.append((entry["handle"], "".join(alphabet[b % len(alphabet)] for b in digest[:7]) + "AAAAJ"))
        elif entry["platform"] == "orcid":
            digits = "0000000" + "".join(str(b % 10) for b in digest[:8])
            total = 0
            for digit in digits:
                total = (total + int(digit)) * 2
            check = (12 - total % 11) % 11
            full = digits + ("X" if check == 10 else str(check))
            pairs.append((entry["handle"], "-".join(full[i : i + 4] for i in range(0, 16, 4))))
    return pairs


def _rewrite(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    """Every spelling replaced at once (longest first), keeping an all-lower spelling lower and an
    all-upper one upper; only whole words, where a word ends at anything but a letter (or at an
    escape such as the "%2F" of an address inside an address)."""
    if not replacements:
        return text
    table = {old.casefold(): new for old, new in replacements}
    pattern = re.compile(
        r"(?:(?<![^\W\d_])|(?<=%[0-9A-F]{2}))(?:"
        + "|".join(re.escape(old) for old, _ in replacements)
        + r")(?![^\W\d_])",
        re.IGNORECASE,
    )

    def replace(match: re.Match[str]) -> str:
        found, new = match.group(0), table[match.group(0).casefold()]
        if found.islower():  # an address or a handle
            return _ascii(new).lower()
        return new.upper() if found.isupper() and len(found) > 1 else new

    return pattern.sub(replace, text)


def personalise(corpus_file: str, name: str, person: str) -> SampleHomepage:
    """The corpus page rewritten as `name`'s own: every spelling of its person's name (title, headings, og
    tags, text, addresses, handles) replaced with theirs, and its Scholar ids and ORCID iDs made theirs."""
    stem = corpus_file.removesuffix(".html").split("_")
    old = _CORPUS_NAME.get(corpus_file, (stem[-2].capitalize(), stem[-1].capitalize()))
    words = name.split()
    replacements = (*_name_replacements(old, (" ".join(words[:-1]), words[-1])), *_id_replacements(corpus_file, person))
    raw = (HOMEPAGES / corpus_file).read_bytes()
    encoding = _ENCODING.get(corpus_file, "utf-8")
    text = _rewrite(raw.decode(encoding), replacements)
    body = text.encode(encoding, errors="xmlcharrefreplace")
    return SampleHomepage(Page(body), corpus_file, person, tuple(replacements))


def sample_homepage_plan() -> dict[str, SampleHomepage]:
    """Route key (host + path) -> what each profile homepage serves. Most people get a corpus page that is
    really theirs: the one written for them where the corpus has one, else a spare one personalised for
    them; NOT_THEIRS keep someone else's page; three get the failures a crawl meets."""
    listed: dict[str, tuple[str, str]] = {}
    for profile in load_sample_profiles():
        content = profile.get("content") or {}
        url = (content.get("homepage") or "").strip()
        names = [n.get("fullname") or "" for n in content.get("names") or []]
        if url:
            listed.setdefault(url, (profile["id"], names[0] if names else ""))
    failures = [
        Page(status=302, headers={"Location": "http://10.9.8.7/internal"}),  # must be blocked
        Page(b"<html><title>Not Found</title></html>", status=404),
        Page(b"%PDF-1.4 a CV, not a homepage", content_type="application/pdf"),
    ]
    corpus = sorted(path.name for path in HOMEPAGES.glob("*.html"))
    own = {url: f for url, (_, name) in listed.items() for f in corpus if name and f[:-5].endswith(_slug(name))}
    taken = set(own.values()) | set(NOT_THEIRS.values()) | _NOT_PERSONALISED
    spare = cycle([f for f in corpus if f not in taken])
    plan: dict[str, SampleHomepage] = {}
    personalised = 0
    for index, url in enumerate(sorted(listed)):
        parts = urlsplit(url)
        key = (parts.hostname or "") + (parts.path or "/")
        person, name = listed[url]
        if index < len(failures):
            plan[key] = SampleHomepage(failures[index], None)
        elif url in own or person in NOT_THEIRS:
            corpus_file = own.get(url) or NOT_THEIRS[person]
            plan[key] = SampleHomepage(Page((HOMEPAGES / corpus_file).read_bytes()), corpus_file)
        else:
            served = personalise(next(spare), name, person)
            personalised += 1
            if personalised % CONFERENCE_EVERY == 0:
                body = served.page.body
                cut = body.rfind(b"</body>")
                body = body[:cut] + CONFERENCE_LINK + body[cut:] if cut >= 0 else body + CONFERENCE_LINK
                served = replace(served, page=Page(body))
            plan[key] = served
    return plan


def sample_homepages() -> dict[str, Page]:
    """Route key -> the page the fake web serves there (sample_homepage_plan)."""
    return {key: served.page for key, served in sample_homepage_plan().items()}


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
