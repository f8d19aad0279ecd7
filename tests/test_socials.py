"""Social accounts on homepages: canonical forms, non-profiles, the ORCID checksum, confidence, and the
hand-labelled homepage corpus in fixtures/homepages (EXPECTED.json says what a careful reader takes off each
page). Every expected value here is written down, never computed by the code under test.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from paperharvest.models import SocialLink
from paperharvest.normalize.links import canonical_code_url
from paperharvest.normalize.socials import canonical_social, extract_socials

HOMEPAGES = Path(__file__).parent / "fixtures" / "homepages"
EXPECTED: dict[str, Any] = json.loads((HOMEPAGES / "EXPECTED.json").read_text(encoding="utf-8"))
PAGES = sorted(name for name, value in EXPECTED.items() if isinstance(value, list))
PAGE_URL = "https://www.example.edu/homepages/"

S2_AUTHOR = "https://www.semanticscholar.org/author/1741101"
YT_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
YT_CHANNEL = f"https://www.youtube.com/channel/{YT_ID}"

# (what a page may hold, platform, handle, canonical url)
SAME_ACCOUNT = [
    ("https://twitter.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://x.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("http://www.twitter.com/jdoe_ml/", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://www.x.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://mobile.twitter.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://m.twitter.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://twitter.com/jdoe_ml?lang=en", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://twitter.com/jdoe_ml?ref_src=twsrc%5Etfw", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://twitter.com/#!/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("http://twitter.com/#!/jdoe_ml/", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://mobile.twitter.com/#!/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://x.com/@jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://twitter.com/#!/jdoe_ml?lang=en", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://mobile.x.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://x.com/jdoe_ml/with_replies", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://twitter.com/jdoe_ml/media", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("twitter.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("//twitter.com/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("HTTPS://TWITTER.COM/jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("  https://x.com/jdoe_ml \n", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("@jdoe_ml", "x", "jdoe_ml", "https://x.com/jdoe_ml"),
    ("https://twitter.com/JDoe_ML", "x", "JDoe_ML", "https://x.com/JDoe_ML"),
    ("https://x.com/abcdefghij12345", "x", "abcdefghij12345", "https://x.com/abcdefghij12345"),
    (
        "https://www.google.com/url?q=https%3A%2F%2Ftwitter.com%2Fjdoe_ml&sa=D&sntz=1&usg=AOvVaw0fict",
        "x",
        "jdoe_ml",
        "https://x.com/jdoe_ml",
    ),
    ("https://github.com/jdoe", "github", "jdoe", "https://github.com/jdoe"),
    ("http://www.github.com/jdoe/", "github", "jdoe", "https://github.com/jdoe"),
    ("github.com/jdoe?tab=repositories", "github", "jdoe", "https://github.com/jdoe"),
    ("https://github.com/JDoe", "github", "JDoe", "https://github.com/JDoe"),
    ("https://gitlab.com/jdoe", "gitlab", "jdoe", "https://gitlab.com/jdoe"),
    ("gitlab.com/jdoe/", "gitlab", "jdoe", "https://gitlab.com/jdoe"),
    ("https://www.linkedin.com/in/jane-doe-42", "linkedin", "jane-doe-42", "https://www.linkedin.com/in/jane-doe-42"),
    ("https://linkedin.com/in/jane-doe-42/", "linkedin", "jane-doe-42", "https://www.linkedin.com/in/jane-doe-42"),
    ("https://uk.linkedin.com/in/Jane-Doe-42", "linkedin", "jane-doe-42", "https://www.linkedin.com/in/jane-doe-42"),
    (
        "https://de.linkedin.com/in/jane-doe-42?originalSubdomain=de",
        "linkedin",
        "jane-doe-42",
        "https://www.linkedin.com/in/jane-doe-42",
    ),
    (
        "https://www.linkedin.com/in/jane-doe-42/en",
        "linkedin",
        "jane-doe-42",
        "https://www.linkedin.com/in/jane-doe-42",
    ),
    ("https://m.linkedin.com/in/jane-doe-42", "linkedin", "jane-doe-42", "https://www.linkedin.com/in/jane-doe-42"),
    (
        "https://www.linkedin.com/in/jane-doe-42/recent-activity/all/",
        "linkedin",
        "jane-doe-42",
        "https://www.linkedin.com/in/jane-doe-42",
    ),
    ("linkedin.com/in/JANE-DOE-42", "linkedin", "jane-doe-42", "https://www.linkedin.com/in/jane-doe-42"),
    (
        "https://www.linkedin.com/in/andr%C3%A9-silva",
        "linkedin",
        "andré-silva",
        "https://www.linkedin.com/in/andr%C3%A9-silva",
    ),
    (
        "https://bsky.app/profile/jane.bsky.social",
        "bluesky",
        "jane.bsky.social",
        "https://bsky.app/profile/jane.bsky.social",
    ),
    (
        "https://bsky.app/profile/Jane.BSKY.social/",
        "bluesky",
        "jane.bsky.social",
        "https://bsky.app/profile/jane.bsky.social",
    ),
    (
        "https://bsky.app/profile/jane.example.org",
        "bluesky",
        "jane.example.org",
        "https://bsky.app/profile/jane.example.org",
    ),
    (
        "https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx",
        "bluesky",
        "did:plc:abcdefghijklmnopqrstuvwx",
        "https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx",
    ),
    ("https://mastodon.social/@jane", "mastodon", "jane@mastodon.social", "https://mastodon.social/@jane"),
    ("https://mastodon.social/@jane/", "mastodon", "jane@mastodon.social", "https://mastodon.social/@jane"),
    ("https://Mastodon.Social/@jane", "mastodon", "jane@mastodon.social", "https://mastodon.social/@jane"),
    (
        "https://fosstodon.org/@jane@mastodon.social",
        "mastodon",
        "jane@mastodon.social",
        "https://mastodon.social/@jane",
    ),
    ("@jane@mastodon.social", "mastodon", "jane@mastodon.social", "https://mastodon.social/@jane"),
    ("@jane@Mastodon.Social", "mastodon", "jane@mastodon.social", "https://mastodon.social/@jane"),
    ("https://sigmoid.social/@jane.doe", "mastodon", "jane.doe@sigmoid.social", "https://sigmoid.social/@jane.doe"),
    (
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl",
        "scholar",
        "AbCdEfGhIjKl",
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl",
    ),
    (
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl&hl=en",
        "scholar",
        "AbCdEfGhIjKl",
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl",
    ),
    (
        "https://scholar.google.co.uk/citations?hl=en&user=AbCdEfGhIjKl",
        "scholar",
        "AbCdEfGhIjKl",
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl",
    ),
    (
        "https://scholar.google.com.hk/citations?user=AbCdEfGhIjKl&view_op=list_works&sortby=pubdate",
        "scholar",
        "AbCdEfGhIjKl",
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl",
    ),
    (
        "http://scholar.google.de/citations/?user=AbCdEfGhIjKl&oi=ao",
        "scholar",
        "AbCdEfGhIjKl",
        "https://scholar.google.com/citations?user=AbCdEfGhIjKl",
    ),
    ("https://orcid.org/0000-0002-1825-0097", "orcid", "0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
    ("http://orcid.org/0000-0002-1825-0097/", "orcid", "0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
    (
        "https://www.orcid.org/0000-0002-1825-0097",
        "orcid",
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
    ),
    ("orcid.org/0000-0002-1825-0097", "orcid", "0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
    ("0000-0002-1825-0097", "orcid", "0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
    ("https://orcid.org/0000-0002-1694-233x", "orcid", "0000-0002-1694-233X", "https://orcid.org/0000-0002-1694-233X"),
    # Semantic Scholar: the number is the author, the name slug is decoration.
    ("https://www.semanticscholar.org/author/Jane-Doe/1741101", "semanticscholar", "1741101", S2_AUTHOR),
    ("https://semanticscholar.org/author/1741101", "semanticscholar", "1741101", S2_AUTHOR),
    ("https://www.semanticscholar.org/author/Jane-Doe/1741101?sort=influence", "semanticscholar", "1741101", S2_AUTHOR),
    ("semanticscholar.org/author/Jane-Doe/1741101/", "semanticscholar", "1741101", S2_AUTHOR),
    ("https://www.semanticscholar.org/author/Jos%C3%A9-P%C3%A9rez/1741101", "semanticscholar", "1741101", S2_AUTHOR),
    # DBLP: the pid when the URL has one, else the old name key.
    ("https://dblp.org/pid/123/4567.html", "dblp", "123/4567", "https://dblp.org/pid/123/4567"),
    ("https://dblp.org/pid/123/4567", "dblp", "123/4567", "https://dblp.org/pid/123/4567"),
    ("http://dblp.uni-trier.de/pid/123/4567.html", "dblp", "123/4567", "https://dblp.org/pid/123/4567"),
    ("https://dblp.org/pid/123/4567.html?view=by-type", "dblp", "123/4567", "https://dblp.org/pid/123/4567"),
    ("dblp.org/pid/123/4567.html", "dblp", "123/4567", "https://dblp.org/pid/123/4567"),
    ("https://dblp.org/pid/123/4567-2.html", "dblp", "123/4567-2", "https://dblp.org/pid/123/4567-2"),
    (
        "https://dblp.org/pid/h/GeoffreyEHinton.html",
        "dblp",
        "h/GeoffreyEHinton",
        "https://dblp.org/pid/h/GeoffreyEHinton",
    ),
    ("https://dblp.uni-trier.de/pers/hd/d/Doe:Jane", "dblp", "Doe:Jane", "https://dblp.org/pers/hd/d/Doe:Jane"),
    ("https://dblp.org/pers/hd/d/Doe:Jane", "dblp", "Doe:Jane", "https://dblp.org/pers/hd/d/Doe:Jane"),
    ("https://dblp.org/pers/d/Doe:Jane.html", "dblp", "Doe:Jane", "https://dblp.org/pers/hd/d/Doe:Jane"),
    (
        "https://dblp.uni-trier.de/pers/hd/h/Hinton:Geoffrey_E=",
        "dblp",
        "Hinton:Geoffrey_E=",
        "https://dblp.org/pers/hd/h/Hinton:Geoffrey_E=",
    ),
    # Threads: Instagram names, lower-case, at threads.com since 2025.
    ("https://www.threads.net/@jane.doe", "threads", "jane.doe", "https://www.threads.com/@jane.doe"),
    ("https://threads.com/@Jane.Doe/", "threads", "jane.doe", "https://www.threads.com/@jane.doe"),
    ("https://www.threads.com/@jane.doe?hl=en", "threads", "jane.doe", "https://www.threads.com/@jane.doe"),
    ("threads.net/@jane_doe", "threads", "jane_doe", "https://www.threads.com/@jane_doe"),
    # Hugging Face: one name, not one of its own pages.
    ("https://huggingface.co/jdoe", "huggingface", "jdoe", "https://huggingface.co/jdoe"),
    ("https://huggingface.co/JDoe/", "huggingface", "JDoe", "https://huggingface.co/JDoe"),
    ("https://www.huggingface.co/jdoe?sort_models=likes#models", "huggingface", "jdoe", "https://huggingface.co/jdoe"),
    ("https://hf.co/jdoe", "huggingface", "jdoe", "https://huggingface.co/jdoe"),
    ("huggingface.co/jane.doe", "huggingface", "jane.doe", "https://huggingface.co/jane.doe"),
    # YouTube: handles, custom and legacy user names (case-insensitive), channel ids (case-sensitive), and tabs.
    ("https://www.youtube.com/@JaneDoeML", "youtube", "janedoeml", "https://www.youtube.com/@janedoeml"),
    ("https://m.youtube.com/@janedoeml/videos", "youtube", "janedoeml", "https://www.youtube.com/@janedoeml"),
    ("https://youtube.com/@janedoeml?si=AbC123", "youtube", "janedoeml", "https://www.youtube.com/@janedoeml"),
    ("https://www.youtube.com/@janedoeml/shorts", "youtube", "janedoeml", "https://www.youtube.com/@janedoeml"),
    ("youtube.com/@janedoeml/", "youtube", "janedoeml", "https://www.youtube.com/@janedoeml"),
    ("https://www.youtube.com/c/JaneDoeML", "youtube", "c/janedoeml", "https://www.youtube.com/c/janedoeml"),
    ("https://www.youtube.com/c/JaneDoeML/about", "youtube", "c/janedoeml", "https://www.youtube.com/c/janedoeml"),
    ("https://www.youtube.com/user/JaneDoe1/", "youtube", "user/janedoe1", "https://www.youtube.com/user/janedoe1"),
    ("https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw", "youtube", f"channel/{YT_ID}", YT_CHANNEL),
    ("https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw/videos", "youtube", f"channel/{YT_ID}", YT_CHANNEL),
]

NOT_PROFILES = [
    # X: share, intent, hashtag, search, app pages, posts, malformed handles
    "https://twitter.com/intent/tweet?text=hello&via=jdoe_ml",
    "https://twitter.com/intent/follow?screen_name=jdoe_ml",
    "https://x.com/intent/post?text=hello",
    "https://twitter.com/share?url=https%3A%2F%2Fexample.edu%2F",
    "https://twitter.com/hashtag/ICLR2025?src=hash",
    "https://twitter.com/search?q=%23ICLR2025",
    "https://twitter.com/#!/search?q=iclr",
    "https://twitter.com/home?status=hello",
    "https://x.com/home",
    "https://x.com/i/lists/1234567890",
    "https://x.com/explore",
    "https://x.com/settings",
    "https://x.com/i/flow/login",
    "https://x.com/notifications",
    "https://x.com/messages",
    "https://x.com/compose/post",
    "https://x.com/search?q=from%3Ajdoe_ml",
    "https://x.com/hashtag/NeurIPS",
    "https://mobile.twitter.com/home",
    "https://twitter.com/#!/home",
    "https://x.com/home/media",
    "https://x.com/jdoe_ml/followers",
    "https://twitter.com/jdoe_ml/status/1234567890123456789",
    "https://x.com/jdoe_ml/likes",
    "https://twitter.com/",
    "https://x.com/abcdefghij123456",
    "https://x.com/jane-doe",
    "@home",
    "@jane-doe",
    # GitHub: repositories, pages sites, reserved paths, gists
    "https://github.com/jdoe/project",
    "https://github.com/jdoe/project/issues/12",
    "https://jdoe.github.io/",
    "https://jdoe.github.io/project/",
    "https://github.com/features",
    "https://github.com/features/copilot",
    "https://github.com/sponsors/jdoe",
    "https://github.com/about",
    "https://github.com/login?return_to=%2Fjdoe",
    "https://github.com/topics/nlp",
    "https://github.com/collections/machine-learning",
    "https://github.com/marketplace",
    "https://github.com/settings/profile",
    "https://github.com/notifications",
    "https://github.com/orgs",
    # an organisation, named as one: not a person's account
    "https://github.com/orgs/jdoe-lab",
    "https://github.com/orgs/jdoe-lab/repositories",
    "https://github.com/orgs/jdoe-lab/people",
    "https://github.com/topics",
    "https://github.com/sponsors",
    "https://github.com/",
    "https://github.com/-jdoe",
    "https://gist.github.com/jdoe/0123456789abcdef",
    "https://gitlab.com/jdoe/project",
    "https://gitlab.com/explore",
    # LinkedIn: organisations, feeds, articles, shares
    "https://www.linkedin.com/company/example-ai/",
    "https://www.linkedin.com/school/example-university/",
    "https://www.linkedin.com/showcase/example-ai-research/",
    "https://www.linkedin.com/company/example-ai/about/",
    "https://uk.linkedin.com/school/example-university",
    "https://www.linkedin.com/posts/jdoe_activity-7123456789",
    "https://www.linkedin.com/feed/",
    "https://www.linkedin.com/shareArticle?mini=true&url=https%3A%2F%2Fexample.edu",
    "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fexample.edu",
    "https://www.linkedin.com/pulse/scaling-retrieval-jane-doe/",
    "https://www.linkedin.com/in/",
    "https://lnkd.in/e3AbCdE",
    # Bluesky: posts, intents, search, handles that are not domains
    "https://bsky.app/profile/jane.bsky.social/post/3kq2abcxyz22a",
    "https://bsky.app/intent/compose?text=hello",
    "https://bsky.app/search?q=iclr",
    "https://bsky.app/profile/notadomain",
    # /@name on sites that are not Mastodon; posts; e-mail addresses
    "https://medium.com/@jane",
    "https://www.tiktok.com/@jane",
    "https://observablehq.com/@jane",
    "https://music.youtube.com/@jane",
    "https://mastodon.social/@jane/112233445566778899",
    "https://mastodon.social/",
    "jane@mastodon.social",
    # Scholar: searches, author search, one paper
    "https://scholar.google.com/scholar?q=transformers",
    "https://scholar.google.com/citations?view_op=search_authors&mauthors=label:nlp",
    "https://scholar.google.com/citations?view_op=view_citation&user=AbCdEfGhIjKl&citation_for_view=AbCdEfGhIjKl:u5HHmVD_uO8C",
    "https://scholar.google.com/citations?user=short",
    # ORCID: wrong check digit, wrong shape
    "https://orcid.org/0000-0002-1825-0098",
    "https://orcid.org/0000-0002-1825-009",
    "https://orcid.org/my-orcid?orcid=0000-0002-1825-0097",
    # Semantic Scholar: papers, searches, an author without the id, the API
    "https://www.semanticscholar.org/paper/Attention-Is-All-You-Need/204e3073870fae3d05bcbc2f6a8e263d9b72e776",
    "https://www.semanticscholar.org/author/Jane-Doe",
    # the last number under someone's page need not be theirs
    "https://www.semanticscholar.org/author/Jane-Doe/1741101/coauthors/1741102",
    "https://www.semanticscholar.org/search?q=jane%20doe",
    "https://www.semanticscholar.org/me/research",
    "https://api.semanticscholar.org/graph/v1/author/1741101",
    # DBLP: venues, papers, searches, incomplete person paths
    "https://dblp.org/db/conf/iclr/iclr2020.html",
    "https://dblp.org/rec/conf/iclr/DoeS20.html",
    "https://dblp.org/search?q=Jane+Doe",
    "https://dblp.org/pid/123",
    "https://dblp.org/pid/123/4567/extra.html",
    "https://dblp.org/pers/hd/d/",
    "https://dblp.org/pers/hd/d/NoColonHere",
    "https://dblp.org/",
    # Threads: posts, pages without an @name, names Instagram cannot issue
    "https://www.threads.net/@jane.doe/post/C1a2b3c4d5e",
    "https://www.threads.net/jane.doe",
    "https://www.threads.net/intent/post?text=hello",
    "https://www.threads.com/search?q=iclr",
    "https://www.threads.net/@",
    "https://www.threads.net/@jane-doe",
    # Hugging Face: its own pages, and anything under a name (a model, a dataset, a space)
    "https://huggingface.co/models",
    "https://huggingface.co/models?search=bert",
    "https://huggingface.co/datasets",
    "https://huggingface.co/datasets/rajpurkar/squad",
    "https://huggingface.co/spaces",
    "https://huggingface.co/spaces/jdoe/demo",
    "https://huggingface.co/docs",
    "https://huggingface.co/docs/transformers/index",
    "https://huggingface.co/blog",
    "https://huggingface.co/blog/rlhf",
    "https://huggingface.co/papers",
    "https://huggingface.co/papers/1910.01108",
    "https://huggingface.co/organizations",
    "https://huggingface.co/join",
    "https://huggingface.co/pricing",
    "https://huggingface.co/google-bert/bert-base-uncased",
    "https://huggingface.co/jdoe/tree/main",
    "https://huggingface.co/",
    # YouTube: videos, embeds, playlists, shorts, searches, feeds; a bare /<name> is as often YouTube's own page
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://www.youtube.com/embed/dQw4w9WgXcQ",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    "https://www.youtube.com/playlist?list=PLAbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "https://www.youtube.com/shorts/abc123DEF45",
    "https://www.youtube.com/live/abc123DEF45",
    "https://www.youtube.com/results?search_query=iclr",
    "https://www.youtube.com/feed/subscriptions",
    "https://www.youtube.com/hashtag/iclr",
    "https://www.youtube.com/channel/notachannelid",
    "https://www.youtube.com/@janedoeml/community/extra",
    "https://www.youtube.com/@janedoeml/watch",
    "https://www.youtube.com/@ab",
    "https://www.youtube.com/janedoeml",
    "https://www.youtube.com/",
    # not links to anything
    "mailto:jdoe@example.edu",
    "javascript:void(0)",
    "tel:+15555550100",
    "ftp://github.com/jdoe",
    "data:text/html,hello",
    "",
    "   ",
    "http://[::1",
    "https://www.example.edu/~jdoe/",
    "publications.html",
    "#top",
    "https://www.google.com/url?q=https%3A%2F%2Fwww.example.edu%2F&sa=D&sntz=1",
]

ORCID_VALID = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"]
# A changed check digit, two neighbouring digits swapped, a digit replaced: MOD 11-2 catches each.
ORCID_INVALID = [
    "0000-0002-1825-0098",
    "0000-0002-1825-0079",
    "0000-0002-1852-0097",
    "0000-0001-5109-3070",
    "0000-0002-1694-2330",
    "0000-0002-6914-233X",
    "0000-0003-1825-0097",
]


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>"


def accounts(links: list[SocialLink]) -> set[tuple[str, str, str]]:
    return {(link.platform, link.handle.lower(), link.confidence) for link in links}


def records(entries: list[dict[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    return sorted(tuple(sorted(entry.items())) for entry in entries)


@pytest.mark.parametrize(("value", "platform", "handle", "url"), SAME_ACCOUNT)
def test_variants_canonicalise_to_one_account(value: str, platform: str, handle: str, url: str) -> None:
    link = canonical_social(value)
    assert link is not None
    assert (link.platform, link.handle, link.url) == (platform, handle, url)


@pytest.mark.parametrize("value", NOT_PROFILES)
def test_non_profiles_are_none(value: str) -> None:
    assert canonical_social(value) is None


def test_relative_links_resolve_against_the_base_url() -> None:
    assert canonical_social("/jdoe_ml", base_url="https://twitter.com/") == SocialLink(
        platform="x", handle="jdoe_ml", url="https://x.com/jdoe_ml", evidence="link", confidence="high"
    )
    assert canonical_social("../jdoe", base_url="https://github.com/orgs/") == SocialLink(
        platform="github", handle="jdoe", url="https://github.com/jdoe", evidence="link", confidence="high"
    )
    assert canonical_social("/jdoe_ml") is None
    assert canonical_social("publications.html", base_url="https://www.example.edu/~jdoe/") is None
    assert canonical_social("mailto:jdoe@example.edu", base_url="https://www.example.edu/") is None


def test_evidence_says_whether_a_handle_was_written_as_text() -> None:
    typed = canonical_social("@jdoe_ml")
    linked = canonical_social("https://x.com/jdoe_ml")
    mastodon = canonical_social("@jane@mastodon.social")
    assert typed is not None and (typed.evidence, typed.confidence) == ("text", "high")
    assert linked is not None and (linked.evidence, linked.confidence) == ("link", "high")
    assert mastodon is not None and mastodon.evidence == "text"


@pytest.mark.parametrize("identifier", ORCID_VALID)
def test_orcid_with_a_valid_check_digit(identifier: str) -> None:
    link = canonical_social(f"https://orcid.org/{identifier}")
    assert link is not None and link.handle == identifier


@pytest.mark.parametrize("identifier", ORCID_INVALID)
def test_orcid_with_a_wrong_check_digit(identifier: str) -> None:
    assert canonical_social(f"https://orcid.org/{identifier}") is None
    assert canonical_social(identifier) is None


def test_nested_redirect_wrappers_are_not_followed_forever() -> None:
    url = "https://twitter.com/jdoe_ml"
    for _ in range(3000):
        url = "https://www.google.com/url?q=" + url
    assert canonical_social(url) is None


@pytest.mark.parametrize(
    "body",
    [
        "<p>Twitter: @jdoe_ml</p>",
        "<p>twitter: @jdoe_ml</p>",
        "<p>X: @jdoe_ml</p>",
        "<p>Twitter/X: @jdoe_ml</p>",
        "<p>X (formerly Twitter): @jdoe_ml</p>",
        "<p>X/Twitter @jdoe_ml</p>",
        "<dl><dt>Twitter</dt><dd>@jdoe_ml</dd></dl>",
        "<p>My Twitter handle is @jdoe_ml.</p>",
        "<p>Find me on Twitter as @jdoe_ml</p>",
        "<p>Follow me @jdoe_ml on Twitter!</p>",
        "<p>I am @jdoe_ml on X.</p>",
        "<p>Twitter\uff1a@jdoe_ml</p>",
        "<p>X \u2013 @jdoe_ml</p>",
        "<p>Twitter - @jdoe_ml</p>",
        "<p>Suivez-moi sur Twitter : @jdoe_ml</p>",
    ],
)
def test_handle_in_text_labelled_as_twitter(body: str) -> None:
    assert extract_socials(page(body), PAGE_URL) == [
        SocialLink(platform="x", handle="jdoe_ml", url="https://x.com/jdoe_ml", evidence="text", confidence="high")
    ]


@pytest.mark.parametrize(
    "body",
    [
        "<p>Say hi to @jdoe_ml at the poster session.</p>",
        "<p>x: @jdoe_ml</p>",
        "<p>Xavier: @jdoe_ml</p>",
        "<p>TwitterBot @jdoe_ml</p>",
        "<p>@jdoe_ml on Mastodon</p>",
        "<p>Mastodon: @jdoe_ml@mastodon.social</p>",
        "<p>Twitter: @jdoe_ml@mastodon.social</p>",
        "<p>Twitter: jdoe@example.edu</p>",
        "<p>Twitter: @jane.doe</p>",
        "<p>Twitter: @abcdefghij123456</p>",
        "<pre>@inproceedings{doe2024,\n  title={On Twitter}}</pre>",
        "<script>var label = 'Twitter: @jdoe_ml';</script>",
        "<style>/* Twitter: @jdoe_ml */</style>",
        "<!-- Twitter: @jdoe_ml -->",
    ],
)
def test_handle_in_text_without_a_twitter_label_is_ignored(body: str) -> None:
    assert extract_socials(page(body), PAGE_URL) == []


def test_one_account_of_a_platform_is_high_several_are_low() -> None:
    html = page(
        '<a href="https://x.com/jdoe_ml">me</a> with <a href="https://x.com/coauthor_a">A</a>'
        ' and <a href="https://twitter.com/coauthor_b">B</a>; code: <a href="https://github.com/jdoe">GitHub</a>'
    )
    assert accounts(extract_socials(html, PAGE_URL)) == {
        ("x", "jdoe_ml", "low"),
        ("x", "coauthor_a", "low"),
        ("x", "coauthor_b", "low"),
        ("github", "jdoe", "high"),
    }


def test_spellings_of_one_account_count_once_and_keep_the_first_spelling() -> None:
    html = page(
        '<a href="https://x.com/JDoe_ML">X</a> <a href="https://mobile.twitter.com/#!/jdoe_ml">old</a>'
        "<p>Twitter: @JDOE_ML</p>"
    )
    assert extract_socials(html, PAGE_URL) == [
        SocialLink(platform="x", handle="JDoe_ML", url="https://x.com/JDoe_ML", evidence="link", confidence="high")
    ]


def test_scholar_ids_that_differ_in_case_are_different_profiles() -> None:
    html = page(
        '<a href="https://scholar.google.com/citations?user=AbCdEfGhIjKl">me</a>'
        '<a href="https://scholar.google.com/citations?user=abcdefghijkl">someone else</a>'
    )
    assert [(link.handle, link.confidence) for link in extract_socials(html, PAGE_URL)] == [
        ("AbCdEfGhIjKl", "low"),
        ("abcdefghijkl", "low"),
    ]


def test_rel_me_is_the_strongest_evidence() -> None:
    html = (
        '<html><head><link rel="me" href="https://fosstodon.org/@jane"><link rel="stylesheet" href="https://github.com/x">'
        '<link rel="author" href="https://twitter.com/not_read"></head><body>'
        '<a href="https://github.com/jane">GitHub</a> <a rel="nofollow ME" href="https://github.com/jane">again</a>'
        "<p>Twitter: @jane_ml</p> <a href='https://x.com/jane_ml'>X</a></body></html>"
    )
    assert [(link.platform, link.evidence) for link in extract_socials(html, PAGE_URL)] == [
        ("mastodon", "rel-me"),
        ("github", "rel-me"),
        ("x", "link"),
    ]


INSTITUTION_FOOTER = (
    '<footer><a href="https://x.com/ExampleUni">X</a> <a href="https://github.com/example-uni">GitHub</a>'
    ' <a href="https://www.linkedin.com/school/example-university/">LinkedIn</a></footer>'
)


def test_an_institutions_accounts_in_site_chrome_are_not_the_authors() -> None:
    html = page('<main><a href="https://x.com/jdoe_ml">my X</a></main>' + INSTITUTION_FOOTER)
    assert accounts(extract_socials(html, PAGE_URL)) == {("x", "jdoe_ml", "high")}


@pytest.mark.parametrize(
    "chrome",
    [
        '<div role="contentinfo"><div class="social"><a href="https://x.com/ExampleUni">X</a></div>'
        '<a href="https://www.linkedin.com/company/example-ai">LinkedIn</a></div>',
        '<header><nav><a href="https://x.com/ExampleUni">X</a>'
        '<a href="https://uk.linkedin.com/company/example-ai/">LinkedIn</a></nav></header>',
    ],
)
def test_site_chrome_is_recognised_by_role_and_by_nesting(chrome: str) -> None:
    assert extract_socials(page(chrome), PAGE_URL) == []


def test_chrome_without_an_organisation_page_keeps_its_links() -> None:
    html = page(
        '<footer><a href="https://x.com/jdoe_ml">X</a> <a href="https://www.linkedin.com/in/jdoe">LinkedIn</a></footer>'
        '<main>I work at <a href="https://www.linkedin.com/company/example-ai">Example AI</a>.</main>'
    )
    assert accounts(extract_socials(html, PAGE_URL)) == {("x", "jdoe_ml", "high"), ("linkedin", "jdoe", "high")}


@pytest.mark.parametrize(
    ("charset", "member"),
    [
        ("windows-1252", "andr\u00e9-silva"),
        ("iso-8859-1", "andr\u00e9-silva"),
        ("utf-8", "andr\u00e9-silva"),
        ("utf-8", "\u5f20\u4f1f-ml"),
        ("gb18030", "\u5f20\u4f1f-ml"),
        ("shift_jis", "\u5c71\u7530-taro"),
        ("koi8-r", "\u0438\u0432\u0430\u043d-petrov"),
    ],
)
def test_bytes_are_decoded_with_the_declared_charset(charset: str, member: str) -> None:
    html = f'<html><head><meta charset="{charset}"></head><body><a href="https://www.linkedin.com/in/{member}">in</a>'
    assert [link.handle for link in extract_socials(html.encode(charset), PAGE_URL)] == [member]


@pytest.mark.parametrize("label", ["utf-16", "base64", "undefined", "idna", "x-user-defined", "no-such-charset"])
def test_unusable_charset_labels_fall_back_to_utf8(label: str) -> None:
    data = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={label}"><a href="https://github.com/jdoe">gh</a>'
    )
    assert [link.handle for link in extract_socials(data.encode("ascii"), PAGE_URL)] == ["jdoe"]


def test_a_byte_order_mark_wins_over_the_meta_label() -> None:
    html = '\ufeff<meta charset="windows-1252"><a href="https://www.linkedin.com/in/andr\u00e9-silva">in</a>'
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        assert [link.handle for link in extract_socials(html.encode(encoding), PAGE_URL)] == ["andr\u00e9-silva"]


def test_latin1_labels_are_read_as_windows_1252() -> None:
    # 0x96 is an en dash in windows-1252 and an invisible control character in ISO 8859-1.
    data = b'<meta charset="iso-8859-1"><p>Twitter \x96 @jdoe_ml</p>'
    assert [link.handle for link in extract_socials(data, PAGE_URL)] == ["jdoe_ml"]


@pytest.mark.parametrize("section", ["<![foo[ bar ]]>", "<![ x [ y ]]>", "<![if !supportLists]>"])
def test_marked_sections_html_parser_rejects_are_read_as_bogus_comments(section: str) -> None:
    html = page(f'{section}<a href="https://github.com/jdoe">GitHub</a><![endif]>')
    assert accounts(extract_socials(html, PAGE_URL)) == {("github", "jdoe", "high")}


def test_corpus_is_large_small_and_fully_labelled() -> None:
    on_disk = sorted(path.name for path in HOMEPAGES.glob("*.html"))
    assert on_disk == PAGES
    assert len(PAGES) >= 28
    assert all(path.stat().st_size < 20_000 for path in HOMEPAGES.iterdir())
    assert {name: value["expect"] for name, value in EXPECTED.items() if isinstance(value, dict)} == {
        "huge.html": "too_large",
        "not_html.pdf": "not_html",
        "redirect_private": "blocked",
        "redirect_loop": "too_many_redirects",
    }
    assert (HOMEPAGES / "not_html.pdf").read_bytes().startswith(b"%PDF-")
    assert not (HOMEPAGES / "huge.html").exists()


@pytest.mark.parametrize("name", PAGES)
def test_corpus_accounts_and_confidence(name: str) -> None:
    found = extract_socials((HOMEPAGES / name).read_bytes(), PAGE_URL + name)
    expected = {(entry["platform"], entry["handle"].lower(), entry["confidence"]) for entry in EXPECTED[name]}
    assert accounts(found) == expected


@pytest.mark.parametrize("name", PAGES)
def test_corpus_records(name: str) -> None:
    found = extract_socials((HOMEPAGES / name).read_bytes(), PAGE_URL + name)
    assert records([link.model_dump() for link in found]) == records(EXPECTED[name])
    assert len(found) == len(EXPECTED[name])
    for link in found:
        again = canonical_social(link.url)
        assert again is not None and (again.platform, again.url) == (link.platform, link.url)


def test_a_pdf_is_not_read_as_a_page() -> None:
    # The fake PDF holds a link annotation to an X account, which only a PDF reader would follow.
    assert b"twitter.com/cv_only_author" in (HOMEPAGES / "not_html.pdf").read_bytes()
    assert extract_socials((HOMEPAGES / "not_html.pdf").read_bytes(), PAGE_URL + "not_html.pdf") == []


def junk_html(size: int, seed: int) -> str:
    """Broken markup: stray and misnested tags, attributes without values or closing quotes, marked sections,
    processing instructions, bad entities, NULs, mixed scripts, and now and then an element never closed.
    That last kind stays rare on purpose: html.parser trees cost depth x text nodes to build (see
    `extract_socials`), so 5 MB of unclosed tags takes minutes, though it still does not raise."""
    rng = random.Random(seed)
    fragments = [
        "<p>x</p>", "</span>", "</div>", "<table><tr><td>x</td></table>", '<a href="/x?y=1&z=2">x</a>', "</a>",
        "<br/>", "<?php echo 1; ?>", "<!DOCTYPE junk>", "<a href=>x</a>", "<img src=x onerror=>", "<![foo[ bar ]]>",
        "<![endif]>", "&#xFFFFFFFF;", "&#0;", "&amp", "\x00", "\ufffd", "</>", "<a/ href=''>x</a>",
        "<svg><use xlink:href='#i'/></svg>", "<b><i>x</b></i>", "<<>>", "=\"'", "Twitter", "@@x", "github.com",
        "\u00e9", "\u4e2d\u6587",
    ]  # fmt: skip
    unclosed = ['<div class="a', "<p>", "<li>", "<font size=2>", "<table><tr><td>"]
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "\n"]
    parts: list[str] = []
    length = 0
    while length < size:
        draw = rng.random()
        if draw < 0.0001:
            part = rng.choice(unclosed)
        elif draw < 0.05:
            part = rng.choice(fragments)
        else:
            part = rng.choice(words) + " "
        parts.append(part)
        length += len(part)
    return "".join(parts)


def test_five_megabytes_of_junk_does_not_raise() -> None:
    needle = '<p><a href="https://github.com/needle-user">GitHub</a></p>'
    html = needle + junk_html(5_000_000, seed=1)
    assert accounts(extract_socials(html, PAGE_URL)) == {("github", "needle-user", "high")}
    assert accounts(extract_socials(html.encode("utf-8", errors="replace"), PAGE_URL)) == {
        ("github", "needle-user", "high")
    }


def test_random_bytes_do_not_raise() -> None:
    data = random.Random(2).randbytes(1_000_000)
    assert extract_socials(data, PAGE_URL) == []
    assert extract_socials(b"\xff\xfe" + data, PAGE_URL) == []


# GitHub's own pages (one list for code links and socials), real-looking accounts, an Enterprise Managed
# User's underscore name, and names GitHub cannot issue.
@pytest.mark.parametrize(
    ("name", "is_account"),
    [
        ("blog", False), ("education", False), ("sponsors", False), ("orgs", False), ("Settings", False),
        ("karpathy", True), ("google-research", True), ("ann_corp", True), ("a" * 39, True),
        ("a" * 40, False), ("-lead", False), ("dot.name", False),
    ],
)  # fmt: skip
def test_code_links_and_socials_agree_on_github_accounts(name: str, is_account: bool) -> None:
    code = canonical_code_url(f"https://github.com/{name}")
    social = canonical_social(f"https://github.com/{name}")
    assert (code is not None and code.kind == "user") == is_account
    assert (social is not None) == is_account


def test_youtube_channel_ids_keep_their_case_and_handles_fold_it() -> None:
    # Two channels whose ids differ only in case, and one handle spelt two ways.
    html = page(
        '<a href="https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw">one</a>'
        '<a href="https://www.youtube.com/channel/UC_X5xg1ov2p6Uzz5fsm9tTW">another</a>'
        '<a href="https://www.youtube.com/@JaneDoeML">me</a><a href="https://youtube.com/@janedoeml/videos">again</a>'
    )
    assert [(link.handle, link.confidence) for link in extract_socials(html, PAGE_URL)] == [
        ("channel/UC_x5XG1OV2P6uZZ5FSM9Ttw", "low"),
        ("channel/UC_X5xg1ov2p6Uzz5fsm9tTW", "low"),
        ("janedoeml", "low"),
    ]


# Hugging Face's own pages, people and organisations, and what is under a name: code links and socials read
# `huggingface.co/<name>` by one rule.
@pytest.mark.parametrize(
    ("path", "is_account"),
    [
        ("models", False), ("datasets", False), ("spaces", False), ("docs", False), ("blog", False),
        ("papers", False), ("settings", False), ("jdoe", True), ("google-bert", True), ("jane.doe", True),
        ("google-bert/bert-base-uncased", False), ("-jdoe", False),
    ],
)  # fmt: skip
def test_code_links_and_socials_agree_on_hugging_face_accounts(path: str, is_account: bool) -> None:
    code = canonical_code_url(f"https://huggingface.co/{path}")
    social = canonical_social(f"https://huggingface.co/{path}")
    assert (code is not None and code.kind == "user") == is_account
    assert (social is not None) == is_account
