"""GitHub users: the normalizer (`GET /users/{login}` answer -> GitHubUser) and the store's queries (which
accounts are due, and every stored account for the attribution). The code stage's use of them, through the CLI
against FakeGitHub, is in test_stage_github_s2.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from paperharvest.errors import NormalizeError
from paperharvest.models import GitHubUser
from paperharvest.normalize.github import github_user
from paperharvest.stages.accounts import known_github_users
from paperharvest.store.db import open_db
from paperharvest.store.github import (
    github_users_due,
    save_github_user,
    save_github_user_gone,
    stored_github_users,
    touch_github_user,
)
from paperharvest.store.schema import ensure_db_shape
from tests.fakes.github_s2 import user_payload

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_user_answer_keeps_name_blog_x_and_kind() -> None:
    payload = user_payload(
        "CRuiz-NLP", name="  Carmen Ruiz ", blog="cruiz.github.io", twitter_username="carmenruiz_nlp", company="@x"
    )
    assert github_user(payload) == GitHubUser(
        login="CRuiz-NLP",
        name="Carmen Ruiz",
        blog="https://cruiz.github.io/",
        twitter_username="carmenruiz_nlp",
        kind="user",
    )
    # GitHub's "nothing set": an empty blog and nulls.
    assert github_user(user_payload("quiet")) == GitHubUser(
        login="quiet", name=None, blog=None, twitter_username=None, kind="user"
    )
    lab = github_user(user_payload("vl-lab", type="Organization", name="Vision Lab", blog="https://vl.example.org"))
    assert (lab.kind, lab.name, lab.blog) == ("organization", "Vision Lab", "https://vl.example.org/")


@pytest.mark.parametrize(
    ("blog", "canonical"),
    [
        ("", None),
        ("   ", None),
        ("HTTPS://Www.Uni.Example.EDU/~cruiz/#top", "https://www.uni.example.edu/~cruiz/"),
        ("http://lab.example.org:8080/people?id=3", "http://lab.example.org:8080/people?id=3"),
        ("//cruiz.dev/blog", "https://cruiz.dev/blog"),
        ("https://münchen.example.de/x", "https://xn--mnchen-3ya.example.de/x"),
        ("https://user:secret@cruiz.dev/", None),
        ("cruiz@uni.example.edu", None),
        ("mailto:cruiz@uni.example.edu", None),
        ("my website is cruiz.dev", None),
        ("ftp://files.example.org/", None),
        ("javascript:alert(1)", None),
        ("http://192.168.1.10/", None),
        ("localhost:3000", None),
        ("https://cruiz.dev:99999/", None),
        (42, None),
    ],
)
def test_blog_is_a_canonical_web_address_or_none(blog: Any, canonical: str | None) -> None:
    assert github_user(user_payload("u", blog=blog)).blog == canonical


@pytest.mark.parametrize(
    ("twitter", "handle"),
    [("carmen_ruiz", "carmen_ruiz"), ("@CarmenRuiz", "CarmenRuiz"), (" ", None), ("x.com/carmen", None), (7, None)],
)
def test_twitter_username_is_a_handle_or_none(twitter: Any, handle: str | None) -> None:
    assert github_user(user_payload("u", twitter_username=twitter)).twitter_username == handle


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "an", "object"],
        {"message": "Not Found", "status": "404"},
        {**user_payload("ok"), "login": ""},
        {**user_payload("ok"), "login": "has space"},
        {**user_payload("ok"), "login": None},
        user_payload("dependabot", type="Bot"),
        user_payload("ok", type=None),
        {"login": "ok"},
    ],
)
def test_an_answer_that_is_not_an_account_is_refused(payload: Any) -> None:
    with pytest.raises(NormalizeError):
        github_user(payload)


# ---- store ----------------------------------------------------------------------------------------------------


def people_db(tmp_path: Path) -> sqlite_utils.Database:
    """Two venues; `ada` and `bo` write for v1 and share the `shared` account; `cy` writes only for v2."""
    db = open_db(tmp_path / "u.db")
    ensure_db_shape(db)
    with db.atomic():
        for venue in ("v1", "v2"):
            db.execute("INSERT INTO venues (key) VALUES (?)", [venue])
        for forum, venue, people in (("p1", "v1", ["ada", "bo"]), ("p2", "v2", ["cy"])):
            db.execute(
                "INSERT INTO papers (forum_id, venue, title, status, invitation) VALUES (?, ?, 't', 'accepted', 'i')",
                [forum, venue],
            )
            for position, person in enumerate(people, 1):
                db.execute("INSERT OR IGNORE INTO authors (author_id) VALUES (?)", [person])
                db.execute(
                    "INSERT INTO paper_authors (forum_id, position, author_id) VALUES (?, ?, ?)",
                    [forum, position, person],
                )
        for person, platform, handle in (
            ("ada", "github", "Ada-L"),
            ("ada", "github", "shared"),
            ("bo", "github", "SHARED"),
            ("bo", "github", "bo-gone"),
            ("bo", "x", "bo_on_x"),
            ("cy", "github", "cy"),
        ):
            # Candidates as the attribution stores them, none chosen: every candidate is asked about.
            db.execute(
                """INSERT INTO author_socials (author_id, platform, handle, url, score, evidence, pages, chosen)
                   VALUES (?, ?, ?, ?, 0.1, '["unowned_page"]', '["https://example.com/"]', 0)""",
                [person, platform, handle, f"https://example.com/{handle}"],
            )
    return db


def save(db: sqlite_utils.Database, login: str, at: datetime, **fields: Any) -> None:
    payload = user_payload(login, **fields)
    save_github_user(db, login, github_user(payload), payload, f'"etag-{login}"', at)


def test_due_users_are_the_venues_never_asked_then_the_longest_unasked(tmp_path: Path) -> None:
    db = people_db(tmp_path)
    # Each of the venue's accounts once, lower-cased; no X account, no other venue's.
    assert github_users_due(db, "v1", T0) == [("ada-l", None), ("bo-gone", None), ("shared", None)]
    assert github_users_due(db, "v2", T0) == [("cy", None)]
    save(db, "shared", datetime(2026, 1, 3, tzinfo=UTC))
    save(db, "Ada-L", datetime(2026, 1, 2, tzinfo=UTC))
    save_github_user_gone(db, "bo-gone", "missing", datetime(2026, 1, 1, tzinfo=UTC))
    # All asked since the cut-off: nothing due.
    assert github_users_due(db, "v1", T0) == []
    # All stale: the longest unasked first; an ETag only where an answer is stored.
    later = datetime(2026, 2, 1, tzinfo=UTC)
    assert github_users_due(db, "v1", later) == [
        ("bo-gone", None),
        ("ada-l", '"etag-Ada-L"'),
        ("shared", '"etag-shared"'),
    ]
    touch_github_user(db, "ADA-L", later)
    assert [login for login, _ in github_users_due(db, "v1", later)] == ["bo-gone", "shared"]


def test_every_stored_github_user_for_the_attribution(tmp_path: Path) -> None:
    db = people_db(tmp_path)
    save(db, "Ada-L", T0, name="Ada Lovelace", blog="ada.example.org", twitter_username="ada_l")
    save(db, "shared", T0, type="Organization", name="The Lab")
    save(db, "cy", T0, name="Cy")
    save_github_user_gone(db, "bo-gone", "missing", T0)
    # An answer today's reader refuses (stored by an older version) is left out, not fatal.
    refused = json.dumps({"login": "shared", "type": "Mannequin"})
    db.execute("UPDATE github_users SET json = ? WHERE login = 'shared'", [refused])
    # Every venue's: the attribution decides over the whole database.
    assert known_github_users(db) == {
        "ada-l": GitHubUser(
            login="Ada-L", name="Ada Lovelace", blog="https://ada.example.org/", twitter_username="ada_l", kind="user"
        ),
        "cy": GitHubUser(login="cy", name="Cy", blog=None, twitter_username=None, kind="user"),
    }
    assert [login for login, _ in stored_github_users(db, "v2")] == ["cy"]
    assert [login for login, _ in stored_github_users(db)] == ["ada-l", "cy", "shared"]
