"""Code links: canonical URLs, URL finding, the per-source candidates, the real ICLR 2020 `code` values, and the
fake Hugging Face / paperswithcode.co server."""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from paperharvest.models import CODE_KINDS, CodeLinkCandidate, CodeUrl
from paperharvest.normalize.links import (
    canonical_code_url,
    code_links_from_hf,
    code_links_from_note,
    code_links_from_pwc,
    code_links_from_text,
    find_urls,
    merge_code_links,
)
from tests.fakes.code_apis import (
    FakeCodeApis,
    dropped_connection,
    html_page,
    rate_limited,
    server_error,
    stall,
)

ACCEPTED_NOTES_FILE = "iclr2020_accepted_notes_v1_full.json.gz"
CATALYZEX_NOTE_FILE = "openreview_raw_examples/iclr2020_ryxz8CVYDH_v1_2025_directReplies.json"
GITHUB_REPO = re.compile(r"^https://github\.com/[^/]+/[^/]+$")


def _shared_data() -> Path:
    env = os.environ.get("PAPERHARVEST_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _load(name: str) -> Any:
    path = _shared_data() / name
    if not path.is_file():
        pytest.skip(f"{path} not found: this test reads the real ICLR 2020 data that lives beside the repo")
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    return json.loads(path.read_text(encoding="utf-8"))


# ---- canonical_code_url ------------------------------------------------------------------------------------

# (as written, canonical url, kind, platform, subpath). Most inputs are real ICLR 2020 `code` values.
CANONICAL: list[tuple[str, str, str, str | None, str | None]] = [
    # GitHub repositories: lower-cased, no .git / tree / blob / query / fragment / www / trailing junk.
    ("https://github.com/LiyuanLucasLiu/RAdam", "https://github.com/liyuanlucasliu/radam", "repository", "github",
     None),
    ("https://github.com/aliborji/WhiteNoiseAnalysis.git", "https://github.com/aliborji/whitenoiseanalysis",
     "repository", "github", None),
    ("https://github.com/carloderamo/shared/tree/master", "https://github.com/carloderamo/shared", "repository",
     "github", "master"),
    ("https://github.com/tensorflow/addons/blob/master/tensorflow_addons/optimizers/lamb.py",
     "https://github.com/tensorflow/addons", "repository", "github", "master/tensorflow_addons/optimizers/lamb.py"),
    ("https://github.com/google-research/google-research/tree/master/cfq",
     "https://github.com/google-research/google-research", "repository", "github", "master/cfq"),
    ("https://github.com/hangg7/deformable-kernels/", "https://github.com/hangg7/deformable-kernels", "repository",
     "github", None),
    ("https://www.github.com/google/neural-tangents", "https://github.com/google/neural-tangents", "repository",
     "github", None),
    ("https://github.com/facebookresearch/impact-driven-exploration\xa0",
     "https://github.com/facebookresearch/impact-driven-exploration", "repository", "github", None),
    ("https://github.com/NNReasoning/What-Can-Neural-Networks-Reason-About ",
     "https://github.com/nnreasoning/what-can-neural-networks-reason-about", "repository", "github", None),
    # A trailing hyphen is part of this real repository's name, not punctuation.
    ("https://github.com/ParthaEth/Regularized_autoencoders-RAE-",
     "https://github.com/parthaeth/regularized_autoencoders-rae-", "repository", "github", None),
    ("github.com/owner/Repo", "https://github.com/owner/repo", "repository", "github", None),
    ("git@github.com:owner/repo.git", "https://github.com/owner/repo", "repository", "github", None),
    ("git+https://github.com/owner/repo.git@v1.0", "https://github.com/owner/repo", "repository", "github", None),
    ("git://github.com/owner/repo.git", "https://github.com/owner/repo", "repository", "github", None),
    ("https://github.com/owner/repo#readme", "https://github.com/owner/repo", "repository", "github", None),
    ("https://github.com/owner/repo?tab=readme-ov-file", "https://github.com/owner/repo", "repository", "github", None),
    ("https://github.com/owner/repo).", "https://github.com/owner/repo", "repository", "github", None),
    ("<https://github.com/owner/repo>", "https://github.com/owner/repo", "repository", "github", None),
    ("https://github.com/owner/repo.git/", "https://github.com/owner/repo", "repository", "github", None),
    # Credentials in a URL must never be stored.
    ("https://ghp_secret123@github.com/owner/repo", "https://github.com/owner/repo", "repository", "github", None),
    ("https://github.com/owner/repo/releases/download/v1/model.zip", "https://github.com/owner/repo", "repository",
     "github", None),
    ("https://raw.githubusercontent.com/Owner/Repo/main/README.md", "https://github.com/owner/repo", "repository",
     "github", "main/README.md"),
    ("https://api.github.com/repos/owner/repo", "https://github.com/owner/repo", "repository", "github", None),
    # A notebook Colab opens from GitHub is that repository's code.
    ("https://colab.research.google.com/github/google/neural-tangents/blob/master/notebooks/x.ipynb",
     "https://github.com/google/neural-tangents", "repository", "github", "master/notebooks/x.ipynb"),
    # GitHub users, organisations, gists, site pages.
    ("http://github.com/AvigdorZ", "https://github.com/avigdorz", "user", "github", None),
    ("https://github.com/deepsphere.", "https://github.com/deepsphere", "user", "github", None),
    ("https://github.com/orgs/google-research/repositories", "https://github.com/google-research", "user", "github",
     None),
    ("https://github.com/topics/deep-learning", "https://github.com/topics/deep-learning", "other", "github", None),
    ("https://gist.github.com/Karpathy/d4dee566867f8291f086", "https://gist.github.com/karpathy/d4dee566867f8291f086",
     "gist", "github", None),
    ("https://gist.github.com/d4dee566867f8291f086.git", "https://gist.github.com/d4dee566867f8291f086", "gist",
     "github", None),
    ("http://rohitgirdhar.github.io/CATER", "https://rohitgirdhar.github.io/CATER", "project-page", "github-pages",
     None),
    ("https://Automated-Discovery.github.io/", "https://automated-discovery.github.io", "project-page",
     "github-pages", None),
    # GitLab (groups nest; everything from /-/ on is a view), Bitbucket, self-hosted GitLab.
    ("https://gitlab.com/Group/sub/Project/-/tree/main/src", "https://gitlab.com/Group/sub/Project", "repository",
     "gitlab", "main/src"),
    ("https://www.gitlab.com/user/repo.git", "https://gitlab.com/user/repo", "repository", "gitlab", None),
    ("https://gitlab.com/user/repo/blob/master/train.py", "https://gitlab.com/user/repo", "repository", "gitlab",
     "master/train.py"),
    ("https://gitlab.inria.fr/team/project", "https://gitlab.inria.fr/team/project", "repository", "gitlab", None),
    ("https://gitlab.com/someuser", "https://gitlab.com/someuser", "user", "gitlab", None),
    ("https://bitbucket.org/Workspace/Repo/src/master/", "https://bitbucket.org/workspace/repo", "repository",
     "bitbucket", "master"),
    # Hugging Face: owner/name is a model, a lone name an owner page; datasets and spaces have their prefix.
    ("https://huggingface.co/google-bert/bert-base-uncased/tree/main",
     "https://huggingface.co/google-bert/bert-base-uncased", "model", "huggingface", "main"),
    # A root-level name is an owner page today, even when the link shows it was a model once (see links.py).
    ("https://huggingface.co/bert-base-uncased/resolve/main/config.json", "https://huggingface.co/bert-base-uncased",
     "user", "huggingface", "main/config.json"),
    ("https://huggingface.co/datasets/rajpurkar/squad/viewer", "https://huggingface.co/datasets/rajpurkar/squad",
     "dataset", "huggingface", None),
    ("https://hf.co/spaces/Owner/Demo", "https://huggingface.co/spaces/Owner/Demo", "space", "huggingface", None),
    ("https://huggingface.co/facebook", "https://huggingface.co/facebook", "user", "huggingface", None),
    ("https://huggingface.co/papers/1910.01108", "https://huggingface.co/papers/1910.01108", "catalog",
     "huggingface", None),
    # File shares: the part that addresses the file stays, sharing and download switches go.
    ("https://drive.google.com/file/d/1koVpH2RhkOl4_Xm_q8Iy1FuX3zQxC9gd/view?usp=sharing",
     "https://drive.google.com/file/d/1koVpH2RhkOl4_Xm_q8Iy1FuX3zQxC9gd", "file-share", "google-drive", None),
    ("https://drive.google.com/open?id=1UThGvkkvFvKX8ogsfwvdA3uY8xzDlIuL",
     "https://drive.google.com/open?id=1UThGvkkvFvKX8ogsfwvdA3uY8xzDlIuL", "file-share", "google-drive", None),
    ("https://drive.google.com/drive/u/1/folders/1nPM6fmvN5fTsSaWsOcGFbhMVW7Fxso-Y?resourcekey=0-abc&usp=sharing",
     "https://drive.google.com/drive/folders/1nPM6fmvN5fTsSaWsOcGFbhMVW7Fxso-Y?resourcekey=0-abc", "file-share",
     "google-drive", None),
    ("https://drive.google.com/uc?export=download&id=1q8PqhF9eOLOHOcOCGVKXtA",
     "https://drive.google.com/file/d/1q8PqhF9eOLOHOcOCGVKXtA", "file-share", "google-drive", None),
    ("https://docs.google.com/document/d/1qr-sROZ7q93/edit?fbclid=IwAR1Hw", "https://docs.google.com/document/d/1qr-sROZ7q93",
     "file-share", "google-docs", None),
    ("https://www.dropbox.com/s/yrjhx8ifowdktwh/ncf_code.zip?dl=0", "https://dropbox.com/s/yrjhx8ifowdktwh/ncf_code.zip",
     "file-share", "dropbox", None),
    # The rlkey is the secret half of a new-style Dropbox link: dropping it would break the link.
    ("https://www.dropbox.com/scl/fi/abc123/code.zip?rlkey=xyz&st=q1&dl=0",
     "https://dropbox.com/scl/fi/abc123/code.zip?rlkey=xyz", "file-share", "dropbox", None),
    ("https://anonymous.4open.science/repository/a93c04c6-a0b9-49ff-9c14-f817fd405fda/README.md",
     "https://anonymous.4open.science/r/a93c04c6-a0b9-49ff-9c14-f817fd405fda", "file-share", "anonymous-github", None),
    ("https://zenodo.org/record/3712345", "https://zenodo.org/records/3712345", "file-share", "zenodo", None),
    ("https://doi.org/10.5281/zenodo.3712345", "https://doi.org/10.5281/zenodo.3712345", "file-share", "zenodo", None),
    ("https://figshare.com/articles/software/Code/12345?file=999",
     "https://figshare.com/articles/software/Code/12345?file=999", "file-share", "figshare", None),
    # The fragment of a mega.nz link is its decryption key.
    ("https://mega.nz/#F!DrA12KCT!4BC_rfjqN5pXBbCl9Ay1DA", "https://mega.nz/#F!DrA12KCT!4BC_rfjqN5pXBbCl9Ay1DA",
     "file-share", "mega", None),
    # A signed object URL's query is a credential.
    ("https://storage.googleapis.com/bucket/code.zip?X-Goog-Signature=abc",
     "https://storage.googleapis.com/bucket/code.zip", "file-share", "google-cloud-storage", None),
    ("http://s000.tinyupload.com/?file_id=37064871945432677939",
     "http://s000.tinyupload.com/?file_id=37064871945432677939", "file-share", "tinyupload", None),
    ("https://OSF.io/ABCDE/", "https://osf.io/abcde", "file-share", "osf", None),
    ("ftp://ftp.cs.example.edu/pub/code.tar.gz", "ftp://ftp.cs.example.edu/pub/code.tar.gz", "file-share", None, None),
    # Pages, catalogues, shorteners and unknown sites.
    ("https://sites.google.com/view/iclr2020-pcpo", "https://sites.google.com/view/iclr2020-pcpo", "project-page",
     "google-sites", None),
    ("https://www.catalyzex.com/paper/x/code", "https://catalyzex.com/paper/x/code", "catalog", "catalyzex", None),
    ("https://arxiv.org/abs/1909.11942v6", "https://arxiv.org/abs/1909.11942v6", "other", "arxiv", None),
    ("http://bit.ly/2lCkfsr", "https://bit.ly/2lCkfsr", "other", "url-shortener", None),
    ("http://www.cs.cmu.edu/~bdhingra/pages/drkit.html", "http://www.cs.cmu.edu/~bdhingra/pages/drkit.html", "other",
     None, None),
    ("http://clevrer.csail.mit.edu/", "http://clevrer.csail.mit.edu", "other", None, None),
    ("https://Example.org:443/page?utm_source=x&id=3#section", "https://example.org/page?id=3", "other", None, None),
    ("https://app.example.org/#/demo", "https://app.example.org/#/demo", "other", None, None),
    ("https://en.wikipedia.org/wiki/Sorting_(algorithm)", "https://en.wikipedia.org/wiki/Sorting_(algorithm)",
     "other", None, None),
]  # fmt: skip

NOT_URLS = [
    "",
    "   ",
    "not a url",
    "model.py",
    "N/A",
    "https://",
    "http://localhost:8888/tree",
    "mailto:someone@example.org",
    "javascript:alert(1)",
    "https://github.com/<owner>/<repo>",
    "https://github.com/owner/repo https://github.com/x/y",
    "https://exa mple.com/x",
    "https://[::1",
    "https://-bad-.com/x",
]


def test_the_table_is_big_enough() -> None:
    assert len(CANONICAL) >= 40
    assert len({row[0] for row in CANONICAL}) == len(CANONICAL)


@pytest.mark.parametrize(("given", "url", "kind", "platform", "subpath"), CANONICAL, ids=[r[0][:60] for r in CANONICAL])
def test_canonical_code_url(given: str, url: str, kind: str, platform: str | None, subpath: str | None) -> None:
    assert canonical_code_url(given) == CodeUrl(url=url, kind=kind, platform=platform, subpath=subpath)


@pytest.mark.parametrize("given", [r[1] for r in CANONICAL], ids=[r[1][:60] for r in CANONICAL])
def test_canonical_form_is_a_fixed_point(given: str) -> None:
    code = canonical_code_url(given)
    assert code is not None
    assert code.url == given
    assert code.subpath is None


@pytest.mark.parametrize("given", NOT_URLS)
def test_not_a_url(given: str) -> None:
    assert canonical_code_url(given) is None


def test_canonical_form_is_a_fixed_point_for_junk_too() -> None:
    """Seeded random strings built from URL parts: nothing raises, and every result canonicalises to itself."""
    rng = random.Random(20200426)
    parts = [
        "https://", "http://", "github.com/", "gist.github.com/", "raw.githubusercontent.com/", "gitlab.com/",
        "gitlab.x.org/", "bitbucket.org/", "huggingface.co/", "hf.co/", "www.", "/", ".git", "/tree/", "/blob/",
        "/-/", "?", "#", "-", "_", ".", "@", ":", "(", ")", "a", "B", "datasets/", "spaces/", "papers/", "orgs/",
        "users/", "drive.google.com/", "file/d/", "folders/", "open?id=", "&resourcekey=", "x.github.io", "%2F",
        " ", "git@", "bit.ly/", "dropbox.com/", "?rlkey=", "&dl=0", "mega.nz/", "zenodo.org/record/", "1",
        "doi.org/10.5281/zenodo.", "osf.io/", "anonymous.4open.science/r/", "colab.research.google.com/github/",
        "storage.googleapis.com/", "utm_source=", "=", "&", "example.org", "\xa0", "\u3002", "]", "'",
    ]  # fmt: skip
    for _ in range(20000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 12)))
        code = canonical_code_url(text)
        if code is not None:
            again = canonical_code_url(code.url)
            assert again is not None, (text, code)
            assert (again.url, again.kind, again.platform) == (code.url, code.kind, code.platform), text
        for url in find_urls(text):
            canonical_code_url(url)


def test_unknown_kind_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="kind"):
        CodeUrl(url="https://x.org", kind="repo", platform=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source"):
        CodeLinkCandidate(url="https://x.org", kind="other", platform=None, source="twitter", official=False)  # type: ignore[arg-type]


# ---- find_urls ---------------------------------------------------------------------------------------------

FIND: list[tuple[str, list[str]]] = [
    # Real abstract endings.
    ("Code is available at https://github.com/delta2323/gnn-asymptotics.", ["https://github.com/delta2323/gnn-asymptotics"]),
    ("Our code is publicly available at: \\url{https://github.com/jjy1994/Certify_Topk}. ",
     ["https://github.com/jjy1994/Certify_Topk"]),
    ("Codes are released on~https://github.com/DropEdge/DropEdge.", ["https://github.com/DropEdge/DropEdge"]),
    ("The code is available at https://github.com/JaminFong/FNA .", ["https://github.com/JaminFong/FNA"]),
    # Two real `code` values holding two links each.
    ("https://github.com/optyang/proxsgd; https://github.com/cc-hpc-itwm/proxsgd",
     ["https://github.com/optyang/proxsgd", "https://github.com/cc-hpc-itwm/proxsgd"]),
    ("https://drive.google.com/open?id=1-vPO5g  https://drive.google.com/open?id=1qXHG9",
     ["https://drive.google.com/open?id=1-vPO5g", "https://drive.google.com/open?id=1qXHG9"]),
    ("https://a.example.org/x,https://b.example.org/y", ["https://a.example.org/x", "https://b.example.org/y"]),
    # Markdown: the CatalyzeX badge's image path is relative, so only the link counts; duplicates fold.
    ("[![CatalyzeX](/images/catalyzex_icon.svg) 1 code implementation]"
     "(https://www.catalyzex.com/paper/learning-to-learn-by-zeroth-order-oracle/code)",
     ["https://www.catalyzex.com/paper/learning-to-learn-by-zeroth-order-oracle/code"]),
    ("[code](https://github.com/x/y) and [https://github.com/x/y](https://github.com/x/y)", ["https://github.com/x/y"]),
    ("(see https://en.wikipedia.org/wiki/Sort_(c++))", ["https://en.wikipedia.org/wiki/Sort_(c++)"]),
    ("([code](https://github.com/x/y)).", ["https://github.com/x/y"]),
    # Scheme-less links to code hosts, and www. names.
    ("bare github.com/owner/repo, and www.example.com/page.", ["github.com/owner/repo", "www.example.com/page"]),
    ("see abc.github.io/proj/ for videos", ["abc.github.io/proj/"]),
    # Not URLs: e-mail addresses, a host without a path, relative links.
    ("write to someone@github.com or visit github.com", []),
    ("see /images/x.svg and ./code/", []),
    ("no links here", []),
    # Markup and punctuation around a URL.
    ('<a href="https://github.com/x/y">code</a>', ["https://github.com/x/y"]),
    ("**https://github.com/x/y**", ["https://github.com/x/y"]),
    ("代码：https://github.com/x/y。更多", ["https://github.com/x/y"]),
    ("https://github.com/x/y\xa0next", ["https://github.com/x/y"]),
    ("'https://github.com/x/y'", ["https://github.com/x/y"]),
    ("at http:// nothing", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), FIND, ids=[t[:50] for t, _ in FIND])
def test_find_urls(text: str, expected: list[str]) -> None:
    assert find_urls(text) == expected


# ---- the real ICLR 2020 code values ------------------------------------------------------------------------

# Real `code` values that come out as kind "other": they canonicalise, but say nothing about code by themselves.
SHORTENED = "URL shortener: where it leads is unknown without following it, which a pure function cannot"
OWN_SITE = "a page on the authors' own site, not a code host (code_links_from_note records it as project-page)"
NOT_CODE: dict[str, str] = {
    "http://bit.ly/uniqueclasscount": SHORTENED,
    "https://bit.ly/2wdQYGd": SHORTENED,
    "https://bit.ly/2mBJLyk": SHORTENED,
    "http://bit.ly/2lCkfsr": SHORTENED,
    "http://bit.ly/2wjgn1a": SHORTENED,
    "https://goo.gl/PVWQ9K": SHORTENED,
    "http://www.robots.ox.ac.uk/~vgg/research/auto_novel/": OWN_SITE,
    "http://whyu.me/reclor/": OWN_SITE,
    "http://clevrer.csail.mit.edu/": OWN_SITE,
    "https://danijar.com/dreamer": OWN_SITE,
    "https://www.daml.in.tum.de/dimenet": OWN_SITE,
    "http://dap.csail.mit.edu/": OWN_SITE,
    "http://www.cs.cmu.edu/~bdhingra/pages/drkit.html": OWN_SITE,
}

# What the 338 URLs in the 335 values are, by (kind, platform). Checked by hand against the list of values.
REAL_KINDS = {
    ("repository", "github"): 255,
    ("file-share", "google-drive"): 31,
    ("file-share", "dropbox"): 10,
    ("file-share", "anonymous-github"): 8,
    ("other", None): 7,
    ("other", "url-shortener"): 6,
    ("project-page", "github-pages"): 5,
    ("user", "github"): 5,
    ("file-share", "google-cloud-storage"): 3,
    ("file-share", "tinyupload"): 2,
    ("project-page", "google-sites"): 2,
    ("file-share", "sendspace"): 1,
    ("file-share", "mega"): 1,
    ("file-share", "anonfile"): 1,
    ("file-share", "google-docs"): 1,
}


@pytest.fixture(scope="module")
def accepted_notes() -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = _load(ACCEPTED_NOTES_FILE)
    return notes


def _code_values(notes: list[dict[str, Any]]) -> list[str]:
    return [n["content"]["code"] for n in notes if "code" in n["content"]]


def test_every_real_code_value_canonicalises(accepted_notes: list[dict[str, Any]]) -> None:
    values = _code_values(accepted_notes)
    assert len(accepted_notes) == 687
    assert len(values) == 335
    kinds: Counter[tuple[str, str | None]] = Counter()
    not_code: dict[str, str] = {}
    for value in values:
        urls = find_urls(value)
        # Three real values hold two links each; every other one is exactly one link.
        assert 1 <= len(urls) <= 2, value
        for raw in urls:
            code = canonical_code_url(raw)
            assert code is not None, raw
            again = canonical_code_url(code.url)
            assert again is not None and (again.url, again.kind, again.platform) == (code.url, code.kind, code.platform)
            assert code.kind in CODE_KINDS
            url = code.url
            assert not re.search(r"\s", url) and url == url.strip()
            assert not url.endswith((".git", ".", ",", ")", ";", ":", "'", '"')), url
            # A page keeps the trailing slash it was given (`.../JEM/`); a repository or share never has one.
            assert not url.endswith("/") or code.kind in ("project-page", "other"), url
            assert "/tree/" not in url and "/blob/" not in url and ".git/" not in url
            assert "usp=" not in url and "dl=" not in url and "fbclid" not in url
            if code.platform == "github" and code.kind == "repository":
                assert GITHUB_REPO.match(url) and url == url.lower(), url
            if code.platform is not None:
                # Only a site we do not recognise keeps its www.: nothing proves the bare name would answer.
                assert "://www." not in url, url
            kinds[(code.kind, code.platform)] += 1
            if code.kind == "other":
                not_code[raw] = NOT_CODE.get(raw, "NOT LISTED")
    assert not_code == NOT_CODE
    assert len(not_code) == 13
    assert dict(kinds) == REAL_KINDS
    assert sum(kinds.values()) == 338


def test_code_links_of_the_real_notes(accepted_notes: list[dict[str, Any]]) -> None:
    by_source: Counter[tuple[str, str, bool]] = Counter()
    with_code = 0
    for note in accepted_notes:
        links = code_links_from_note(note["content"])
        if "code" in note["content"]:
            with_code += 1
            assert any(link.source == "openreview-code" for link in links), note["id"]
        assert len({link.url for link in links}) == len(links)
        for link in links:
            code = canonical_code_url(link.url)
            assert code is not None and code.url == link.url
            by_source[(link.source, link.kind, link.official)] += 1
    assert with_code == 335
    code_field = sum(n for (source, _, _), n in by_source.items() if source == "openreview-code")
    assert code_field == 338
    # The seven unknown-site pages in the code field become project pages.
    assert by_source[("openreview-code", "project-page", True)] == 5 + 2 + 7
    # Abstract links not already given in the code field: four repositories the authors name, and pages.
    assert by_source[("abstract", "repository", True)] == 4
    assert all(
        official is False for (source, kind, official) in by_source if source == "abstract" and kind != "repository"
    )


def test_community_implementations_of_a_2025_note() -> None:
    note = _load(CATALYZEX_NOTE_FILE)
    assert code_links_from_note(note["content"]) == [
        CodeLinkCandidate(url="https://github.com/ryoungj/zo-l2l", kind="repository", platform="github",
                          source="openreview-code", official=True),
        CodeLinkCandidate(url="https://catalyzex.com/paper/learning-to-learn-by-zeroth-order-oracle/code",
                          kind="catalog", platform="catalyzex", source="community-implementations", official=False),
    ]  # fmt: skip


# ---- code_links_from_note and code_links_from_text ---------------------------------------------------------


def test_note_sources_official_rules_and_merging() -> None:
    content = {
        "code": "https://danijar.com/dreamer",
        "community_implementations": "[impl](https://github.com/Someone/Port) [impl](https://github.com/x/theirs)",
        "abstract": "We build on https://github.com/someone/port. Videos at https://sites.google.com/view/v. "
        "Data: https://www.dropbox.com/s/abc/data.zip?dl=0 and https://arxiv.org/abs/1234.5678.",
    }
    links = code_links_from_note(content)
    assert [(link.url, link.kind, link.source, link.official) for link in links] == [
        ("https://danijar.com/dreamer", "project-page", "openreview-code", True),
        # The abstract names this repository too, so its official claim replaces the community listing.
        ("https://github.com/someone/port", "repository", "abstract", True),
        ("https://github.com/x/theirs", "repository", "community-implementations", False),
        ("https://sites.google.com/view/v", "project-page", "abstract", False),
        ("https://dropbox.com/s/abc/data.zip", "file-share", "abstract", False),
    ]


def test_note_code_field_forms() -> None:
    assert code_links_from_note({"code": "git@github.com:x/y.git"})[0].url == "https://github.com/x/y"
    assert code_links_from_note({"code": "Available upon request"}) == []
    assert code_links_from_note({"code": None, "abstract": None}) == []
    assert code_links_from_note({}) == []
    # API v2 wraps values; TMLR-style content may be a list.
    wrapped = code_links_from_note({"code": {"value": "https://github.com/a/b"}})
    assert [link.url for link in wrapped] == ["https://github.com/a/b"]
    listed = code_links_from_note({"code": ["https://github.com/a/b", "https://gitlab.com/c/d"]})
    assert [link.url for link in listed] == ["https://github.com/a/b", "https://gitlab.com/c/d"]
    assert code_links_from_note({"code": "https://github.com/a/b"}, code_key=None) == []
    assert code_links_from_note({"code_url": "https://github.com/a/b"}, code_key="code_url")[0].official is True


def test_arxiv_comment_links() -> None:
    comment = "ICLR 2020. Code: https://github.com/a/b. Full version at http://www.example.edu/~x/paper.ps.gz"
    links = code_links_from_text(comment, source="arxiv-comment")
    assert [(link.url, link.kind, link.official) for link in links] == [
        ("https://github.com/a/b", "repository", True),
        ("http://www.example.edu/~x/paper.ps.gz", "other", False),
    ]
    assert code_links_from_text(None, source="arxiv-comment") == []
    # Citations of papers are never code links.
    assert code_links_from_text("see https://arxiv.org/abs/1 and https://doi.org/10.1145/1", source="abstract") == []


def test_merge_keeps_first_unless_a_later_one_is_official() -> None:
    def make(url: str, source: str, official: bool) -> CodeLinkCandidate:
        return CodeLinkCandidate(url=url, kind="repository", platform="github", source=source, official=official)

    first = make("https://github.com/a/b", "huggingface", False)
    official = make("https://github.com/a/b", "paperswithcode", True)
    later = make("https://github.com/a/b", "openreview-code", True)
    other = make("https://github.com/c/d", "huggingface", False)
    assert merge_code_links([first, other, official, later]) == [official, other]


# ---- Hugging Face and paperswithcode.co payloads ------------------------------------------------------------

# The shape of `GET https://huggingface.co/api/papers/{arxiv_id}` (fields abridged; values made up).
HF_ALBERT: dict[str, Any] = {
    "id": "1909.11942",
    "title": "ALBERT: A Lite BERT for Self-supervised Learning of Language Representations",
    "summary": "Increasing model size when pretraining natural language representations ...",
    "publishedAt": "2019-09-26T07:06:13.000Z",
    "upvotes": 3,
    "githubRepo": "https://github.com/google-research/ALBERT",
    "githubStars": 3200,
    "projectPage": "https://albert.example.org/",
    "ai_summary": "  ALBERT cuts BERT's parameters with factorised embeddings and cross-layer sharing.  ",
    "ai_keywords": ["ALBERT", "parameter sharing"],
}
# The shape of `GET https://paperswithcode.co/api/v1/papers/{arxiv_id}?include_resources=true`.
PWC_ALBERT: dict[str, Any] = {
    "id": "albert-a-lite-bert-for-self-supervised",
    "arxiv_id": "1909.11942",
    "title": "ALBERT: A Lite BERT for Self-supervised Learning of Language Representations",
    "repositories": [
        {"url": "https://github.com/google-research/albert", "is_official": False, "stars": 3200},
        {"url": "https://github.com/google-research/ALBERT.git", "is_official": True, "stars": 3200},
        {"url": "https://github.com/brightmart/albert_zh", "is_official": False},
        {"url": "https://gitlab.com/x/albert", "is_official": "true"},
        {"url": None, "is_official": True},
        {"url": "not a url"},
        "junk",
    ],
}


def test_hf_payload() -> None:
    links, summary = code_links_from_hf(HF_ALBERT)
    assert links == [
        CodeLinkCandidate(url="https://github.com/google-research/albert", kind="repository", platform="github",
                          source="huggingface", official=False),
        CodeLinkCandidate(url="https://albert.example.org", kind="project-page", platform=None, source="huggingface",
                          official=False),
    ]  # fmt: skip
    assert summary == "ALBERT cuts BERT's parameters with factorised embeddings and cross-layer sharing."


@pytest.mark.parametrize(
    "payload",
    [
        {"error": "Not Found"},
        {"id": "1", "githubRepo": None, "projectPage": "", "ai_summary": "   "},
        {"id": "1", "githubRepo": 42, "projectPage": ["x"], "ai_summary": 7},
        [],
        None,
    ],
)
def test_hf_payload_without_links(payload: Any) -> None:
    assert code_links_from_hf(payload) == ([], None)


def test_hf_same_repo_in_both_fields_is_one_link() -> None:
    links, summary = code_links_from_hf({"githubRepo": "https://github.com/a/b", "projectPage": "github.com/A/B/"})
    assert [link.url for link in links] == ["https://github.com/a/b"] and summary is None


def test_pwc_payload() -> None:
    links = code_links_from_pwc(PWC_ALBERT)
    assert [(link.url, link.official, link.source) for link in links] == [
        # Listed twice, spelt two ways; the official listing wins.
        ("https://github.com/google-research/albert", True, "paperswithcode"),
        ("https://github.com/brightmart/albert_zh", False, "paperswithcode"),
        # Only a JSON true is official.
        ("https://gitlab.com/x/albert", False, "paperswithcode"),
    ]


@pytest.mark.parametrize(
    "payload", [{"detail": "Not found."}, {"repositories": None}, {"repositories": {"url": "x"}}, [], None]
)
def test_pwc_payload_without_links(payload: Any) -> None:
    assert code_links_from_pwc(payload) == []


# ---- the fake server ----------------------------------------------------------------------------------------


@pytest.fixture()
def apis() -> Iterator[FakeCodeApis]:
    old_style = {"id": "cs/0112017", "githubRepo": None, "ai_summary": None}
    with FakeCodeApis({"1909.11942": HF_ALBERT, "cs/0112017": old_style}, {"1909.11942": PWC_ALBERT}) as fake:
        yield fake


@pytest.fixture()
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    # A proxy from the environment must not sit between the test and 127.0.0.1.
    session.trust_env = False
    yield session
    session.close()


def test_fake_serves_hf_papers(apis: FakeCodeApis, http: requests.Session) -> None:
    answer = http.get(f"{apis.hf_base}/papers/1909.11942", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    links, summary = code_links_from_hf(answer.json())
    assert [link.url for link in links] == ["https://github.com/google-research/albert", "https://albert.example.org"]
    assert summary is not None

    missing = http.get(f"{apis.hf_base}/papers/2001.00001", timeout=5)
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
    assert http.get(f"{apis.hf_base}/papers/cs/0112017", timeout=5).json()["id"] == "cs/0112017"
    assert apis.count("hf") == 3 and apis.count("hf", "2001.00001") == 1 and apis.count("pwc") == 0


def test_fake_serves_pwc_papers(apis: FakeCodeApis, http: requests.Session) -> None:
    url = f"{apis.pwc_base}/papers/1909.11942"
    full = http.get(url, params={"include_resources": "true"}, timeout=5)
    assert full.status_code == 200
    assert len(code_links_from_pwc(full.json())) == 3
    bare = http.get(url, timeout=5).json()
    assert "repositories" not in bare and code_links_from_pwc(bare) == []
    missing = http.get(f"{apis.pwc_base}/papers/2001.00001", params={"include_resources": "true"}, timeout=5)
    assert missing.status_code == 404
    assert apis.requests[0].query == {"include_resources": "true"}
    assert apis.count("pwc") == 3 and apis.count() == 3


def test_fake_server_errors(apis: FakeCodeApis, http: requests.Session) -> None:
    apis.inject(server_error(503, api="hf"), server_error(500, api="pwc"))
    down = http.get(f"{apis.hf_base}/papers/1909.11942", timeout=5)
    assert down.status_code == 503 and down.headers["Content-Type"].startswith("text/html")
    broken = http.get(f"{apis.pwc_base}/papers/1909.11942", timeout=5)
    assert broken.status_code == 500 and broken.json() == {"error": "Internal Error"}
    # One-shot: the next requests are answered.
    assert http.get(f"{apis.hf_base}/papers/1909.11942", timeout=5).status_code == 200
    assert http.get(f"{apis.pwc_base}/papers/1909.11942", timeout=5).status_code == 200
    assert apis.pending_faults == []


def test_fake_html_and_rate_limit(apis: FakeCodeApis, http: requests.Session) -> None:
    apis.inject(html_page(api="hf"), rate_limited(30, api="pwc", times=2))
    page = http.get(f"{apis.hf_base}/papers/1909.11942", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        page.json()
    for _ in range(2):
        limited = http.get(f"{apis.pwc_base}/papers/1909.11942", timeout=5)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "30"
    assert http.get(f"{apis.pwc_base}/papers/1909.11942", timeout=5).status_code == 200
    assert [r.status for r in apis.requests] == [200, 429, 429, 200]


def test_fake_faults_by_arxiv_id_and_forever(apis: FakeCodeApis, http: requests.Session) -> None:
    apis.inject(server_error(502, arxiv_id="2001.00001", times=None))
    for _ in range(3):
        assert http.get(f"{apis.hf_base}/papers/2001.00001", timeout=5).status_code == 502
    assert http.get(f"{apis.pwc_base}/papers/2001.00001", timeout=5).status_code == 502
    assert http.get(f"{apis.hf_base}/papers/1909.11942", timeout=5).status_code == 200
    assert len(apis.pending_faults) == 1
    assert apis.count(arxiv_id="2001.00001") == 4


def test_fake_stall_and_dropped_connection(apis: FakeCodeApis, http: requests.Session) -> None:
    apis.inject(stall(5, api="hf"), dropped_connection(api="pwc"))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{apis.hf_base}/papers/1909.11942", timeout=0.3)
    assert time.monotonic() - started < 3
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(f"{apis.pwc_base}/papers/1909.11942", timeout=5)
    assert apis.count() == 2 and all(r.status is None for r in apis.requests)


def test_fake_stops_while_a_request_stalls(http: requests.Session) -> None:
    fake = FakeCodeApis({"1": {"id": "1"}}).start()
    fake.inject(stall(60))
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{fake.hf_base}/papers/1", timeout=0.2)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 5


def test_fake_unknown_path(apis: FakeCodeApis, http: requests.Session) -> None:
    apis.inject(server_error(500))
    # Faults only apply to the two APIs' paths, so this 404 leaves the fault in place.
    assert http.get(f"{apis.url}/api/models", timeout=5).status_code == 404
    assert len(apis.pending_faults) == 1
