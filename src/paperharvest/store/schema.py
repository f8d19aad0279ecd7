"""ensure_db_shape: tables, foreign keys, indexes, FTS, views, and migrations between schema versions.

The schema version lives in `PRAGMA user_version`. Each migration moves it up by one and runs in one
transaction, so a crash mid-migration leaves the previous version intact. Every table and column is
documented in docs/schema.md.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import sqlite_utils

from paperharvest.errors import DatabaseError
from paperharvest.store.versions import reproducible_raw_texts

PAPER_SUMMARY_SQL = """
SELECT
  p.forum_id,
  p.venue,
  p.number,
  p.title,
  p.status,
  p.presentation,
  p.decision,
  round(avg(r.rating), 2) AS mean_rating,
  min(r.rating) AS min_rating,
  max(r.rating) AS max_rating,
  count(r.rating) AS rating_count,
  p.tldr,
  p.code_url,
  (SELECT pa.name FROM paper_authors pa WHERE pa.forum_id = p.forum_id ORDER BY pa.position LIMIT 1)
    AS first_author,
  'https://openreview.net/forum?id=' || p.forum_id AS openreview_url
FROM papers p
LEFT JOIN reviews r ON r.forum_id = p.forum_id
GROUP BY p.forum_id
"""


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("venues").create(
        {
            "key": str,
            "venue_id": str,
            "name": str,
            "api_version": int,
            "year": int,
            "last_harvested_at": str,
            "last_run_id": int,
        },
        pk="key",
    )
    db.table("papers").create(
        {
            "forum_id": str,
            "venue": str,
            "number": int,
            "title": str,
            "abstract": str,
            "tldr": str,
            "keywords": str,
            "pdf_url": str,
            "status": str,
            "presentation": str,
            "decision": str,
            "code_url": str,
            "invitation": str,
            "created_at": str,
            "modified_at": str,
            "harvested_at": str,
        },
        pk="forum_id",
        not_null={"venue", "title", "status", "invitation"},
        foreign_keys=[("venue", "venues", "key")],
    )
    db.table("authors").create({"author_id": str, "name": str, "email_domain": str}, pk="author_id")
    db.execute("""
        CREATE TABLE paper_authors (
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          author_id TEXT REFERENCES authors(author_id),
          name TEXT,
          PRIMARY KEY (forum_id, position)
        )""")
    db.execute("""
        CREATE TABLE reviews (
          review_id TEXT PRIMARY KEY,
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          reviewer TEXT NOT NULL,
          rating INTEGER,
          rating_label TEXT,
          confidence INTEGER,
          title TEXT,
          text TEXT,
          assessments TEXT,
          created_at TEXT,
          modified_at TEXT
        )""")
    db.execute("""
        CREATE TABLE decisions (
          decision_id TEXT PRIMARY KEY,
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          decision TEXT NOT NULL,
          comment TEXT,
          created_at TEXT,
          modified_at TEXT
        )""")
    db.table("raw_notes").create(
        {
            "note_id": str,
            "venue": str,
            "invitation": str,
            "api_version": int,
            "tmdate": int,
            "sha256": str,
            "fetched_at": str,
            "json": str,
        },
        pk="note_id",
        not_null={"venue", "invitation", "sha256", "fetched_at", "json"},
        foreign_keys=[("venue", "venues", "key")],
    )
    db.execute("""
        CREATE TABLE runs (
          run_id INTEGER PRIMARY KEY AUTOINCREMENT,
          venue TEXT,
          command TEXT NOT NULL,
          options TEXT,
          versions TEXT,
          started_at TEXT NOT NULL,
          ended_at TEXT,
          outcome TEXT NOT NULL,
          error TEXT,
          counts TEXT
        )""")
    db.table("papers").create_index(["venue", "status"])
    db.table("paper_authors").create_index(["author_id"])
    db.table("reviews").create_index(["forum_id"])
    db.table("decisions").create_index(["forum_id"])
    db.table("raw_notes").create_index(["venue"])
    db.table("runs").create_index(["venue", "run_id"])
    db.table("papers").enable_fts(["title", "abstract", "tldr", "keywords"], create_triggers=True, tokenize="porter")
    db.create_view("paper_summary", PAPER_SUMMARY_SQL)


def _edited(sql: str, *edits: tuple[str, str]) -> str:
    """A view's SQL with lines replaced; each line must be there, so a wrong edit fails loudly."""
    for old, new in edits:
        if old not in sql:
            raise ValueError(f"view SQL lacks {old!r}")
        sql = sql.replace(old, new)
    return sql


def _best_social(platform: str) -> str:
    """A view column: the person's account on `platform`, high confidence first, then profile links."""
    return (
        f"  (SELECT url FROM author_socials s WHERE s.author_id = fa.author_id AND s.platform = '{platform}'\n"
        f"     ORDER BY s.confidence = 'high' DESC, s.source = 'openreview_profile' DESC LIMIT 1)"
        f" AS first_author_{platform},\n"
    )


PAPER_SUMMARY_V2_SQL = _edited(
    PAPER_SUMMARY_SQL,
    (
        "  (SELECT pa.name FROM paper_authors pa WHERE pa.forum_id = p.forum_id ORDER BY pa.position LIMIT 1)\n"
        "    AS first_author,\n",
        "  fa.name AS first_author,\n"
        "  fa.author_id AS first_author_id,\n"
        "  a.institution AS first_author_institution,\n"
        "  a.position AS first_author_position,\n"
        "  (SELECT url FROM author_links l WHERE l.author_id = fa.author_id AND l.kind = 'homepage' LIMIT 1)\n"
        "    AS first_author_homepage,\n" + "".join(_best_social(platform) for platform in ("x", "github", "linkedin")),
    ),
    (
        "LEFT JOIN reviews r ON r.forum_id = p.forum_id\n",
        "LEFT JOIN reviews r ON r.forum_id = p.forum_id\n"
        "LEFT JOIN paper_authors fa ON fa.forum_id = p.forum_id AND fa.position = 1\n"
        "LEFT JOIN authors a ON a.author_id = fa.author_id\n",
    ),
)


def _v2_people(db: sqlite_utils.Database) -> None:
    """Authors become people: one row per person (a profile id, or the listed id while unresolved),
    with aliases, profile history and links, homepages and socials."""
    db.execute("ALTER TABLE authors RENAME COLUMN name TO preferred_name")
    for column in (
        "names",
        "position",
        "institution",
        "institution_domain",
        "institution_country",
        "profile_state",
        "resolved_at",
    ):
        db.execute(f"ALTER TABLE authors ADD COLUMN {column} TEXT")
    db.execute("ALTER TABLE authors ADD COLUMN resolution TEXT NOT NULL DEFAULT 'pending'")
    db.execute("""
        CREATE TABLE author_aliases (
          alias TEXT PRIMARY KEY,
          author_id TEXT NOT NULL REFERENCES authors(author_id)
        )""")
    db.execute("INSERT INTO author_aliases (alias, author_id) SELECT author_id, author_id FROM authors")
    db.execute("ALTER TABLE paper_authors ADD COLUMN listed_id TEXT")
    db.execute("UPDATE paper_authors SET listed_id = author_id")
    db.execute("""
        CREATE TABLE author_history (
          author_id TEXT NOT NULL REFERENCES authors(author_id) ON DELETE CASCADE,
          ordinal INTEGER NOT NULL,
          position TEXT,
          institution TEXT,
          institution_domain TEXT,
          institution_country TEXT,
          start_year INTEGER,
          end_year INTEGER,
          is_current INTEGER NOT NULL,
          PRIMARY KEY (author_id, ordinal)
        )""")
    db.execute("""
        CREATE TABLE author_links (
          author_id TEXT NOT NULL REFERENCES authors(author_id) ON DELETE CASCADE,
          kind TEXT NOT NULL,
          url TEXT NOT NULL,
          PRIMARY KEY (author_id, kind, url)
        )""")
    db.execute("""
        CREATE TABLE raw_profiles (
          profile_id TEXT PRIMARY KEY,
          sha256 TEXT NOT NULL,
          fetched_at TEXT NOT NULL,
          json TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE homepages (
          url TEXT PRIMARY KEY,
          final_url TEXT,
          outcome TEXT NOT NULL,
          status INTEGER,
          etag TEXT,
          last_modified TEXT,
          detail TEXT,
          fetched_at TEXT NOT NULL,
          html BLOB,
          owners TEXT
        )""")
    db.execute("""
        CREATE TABLE author_socials (
          author_id TEXT NOT NULL REFERENCES authors(author_id) ON DELETE CASCADE,
          platform TEXT NOT NULL,
          handle TEXT NOT NULL,
          url TEXT NOT NULL,
          source TEXT NOT NULL,
          page_url TEXT,
          evidence TEXT,
          confidence TEXT NOT NULL,
          seen_at TEXT NOT NULL,
          PRIMARY KEY (author_id, platform, handle, source)
        )""")
    db.table("author_aliases").create_index(["author_id"])
    db.table("author_links").create_index(["kind", "url"])
    db.table("author_socials").create_index(["page_url"])
    db.table("authors").create_index(["resolution"])
    db.execute("DROP VIEW paper_summary")
    db.create_view("paper_summary", PAPER_SUMMARY_V2_SQL)


PAPER_SUMMARY_V3_SQL = _edited(
    PAPER_SUMMARY_V2_SQL,
    (
        "  p.tldr,\n",
        "  coalesce(p.tldr, m.text) AS tldr,\n"
        "  CASE WHEN p.tldr IS NOT NULL THEN 'authors' ELSE m.source END AS tldr_source,\n",
    ),
    (
        "  p.code_url,\n",
        "  p.code_url,\n"
        "  (SELECT count(*) FROM code_links c WHERE c.forum_id = p.forum_id AND c.kind = 'repository')\n"
        "    AS code_repositories,\n"
        "  x.arxiv_id,\n"
        "  x.abs_url AS arxiv_url,\n",
    ),
    (
        "LEFT JOIN authors a ON a.author_id = fa.author_id\n",
        "LEFT JOIN authors a ON a.author_id = fa.author_id\n"
        "LEFT JOIN arxiv_links x ON x.forum_id = p.forum_id AND x.status = 'matched'\n"
        "LEFT JOIN machine_tldrs m ON m.forum_id = p.forum_id\n",
    ),
)


def _v3_links(db: sqlite_utils.Database) -> None:
    """arXiv links, code links, machine-written TL;DRs, and the raw answers they come from."""
    db.execute("""
        CREATE TABLE arxiv_links (
          forum_id TEXT PRIMARY KEY REFERENCES papers(forum_id) ON DELETE CASCADE,
          status TEXT NOT NULL,
          method TEXT,
          arxiv_id TEXT,
          version INTEGER,
          title TEXT,
          published TEXT,
          updated TEXT,
          primary_category TEXT,
          categories TEXT,
          abs_url TEXT,
          pdf_url TEXT,
          comment TEXT,
          journal_ref TEXT,
          doi TEXT,
          score REAL,
          author_overlap INTEGER,
          in_window INTEGER,
          best_candidate TEXT,
          reasons TEXT,
          checked_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE raw_arxiv_feeds (
          feed_key TEXT PRIMARY KEY,
          params TEXT NOT NULL,
          fetched_at TEXT NOT NULL,
          xml TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE code_links (
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          url TEXT NOT NULL,
          kind TEXT NOT NULL,
          platform TEXT,
          source TEXT NOT NULL,
          official INTEGER NOT NULL,
          first_seen_at TEXT NOT NULL,
          seen_at TEXT NOT NULL,
          PRIMARY KEY (forum_id, url)
        )""")
    db.execute("""
        CREATE TABLE raw_code_answers (
          source TEXT NOT NULL,
          arxiv_id TEXT NOT NULL,
          fetched_at TEXT NOT NULL,
          json TEXT,
          PRIMARY KEY (source, arxiv_id)
        )""")
    db.execute("""
        CREATE TABLE machine_tldrs (
          forum_id TEXT PRIMARY KEY REFERENCES papers(forum_id) ON DELETE CASCADE,
          text TEXT NOT NULL,
          source TEXT NOT NULL,
          fetched_at TEXT NOT NULL
        )""")
    db.table("arxiv_links").create_index(["arxiv_id"])
    db.table("code_links").create_index(["url"])
    db.execute("DROP VIEW paper_summary")
    db.create_view("paper_summary", PAPER_SUMMARY_V3_SQL)


def _v4_repositories(db: sqlite_utils.Database) -> None:
    """GitHub metadata of the repositories papers link to, with the raw answer it was read from."""
    db.execute("""
        CREATE TABLE repositories (
          url TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          name TEXT NOT NULL,
          status TEXT NOT NULL,
          stars INTEGER,
          forks INTEGER,
          archived INTEGER,
          license TEXT,
          pushed_at TEXT,
          default_branch TEXT,
          description TEXT,
          etag TEXT,
          fetched_at TEXT NOT NULL,
          json TEXT
        )""")


def _v5_quarantine_and_people(db: sqlite_utils.Database) -> None:
    """Rejected notes; the hash of every input a paper is derived from; the ids and e-mails each profile
    names, and aliases two profiles share marked ambiguous (their author_id may then be NULL)."""
    db.execute("""
        CREATE TABLE rejected_notes (
          note_id TEXT PRIMARY KEY,
          venue TEXT NOT NULL REFERENCES venues(key),
          invitation TEXT NOT NULL,
          reason TEXT NOT NULL,
          message TEXT NOT NULL,
          json TEXT NOT NULL,
          run_id INTEGER REFERENCES runs(run_id),
          rejected_at TEXT NOT NULL
        )""")
    db.table("rejected_notes").create_index(["venue"])
    db.table("rejected_notes").create_index(["run_id"])
    db.execute("ALTER TABLE raw_notes ADD COLUMN inputs_sha256 TEXT")
    # Venues with venue-wide decisions get a different key and so are re-derived once, healing any decision
    # the old key missed; every other note keeps its key and is not.
    db.execute("UPDATE raw_notes SET inputs_sha256 = sha256")
    db.execute("""
        CREATE TABLE author_aliases_v5 (
          alias TEXT PRIMARY KEY,
          author_id TEXT REFERENCES authors(author_id),
          ambiguous INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("INSERT INTO author_aliases_v5 (alias, author_id) SELECT alias, author_id FROM author_aliases")
    db.execute("DROP TABLE author_aliases")
    db.execute("ALTER TABLE author_aliases_v5 RENAME TO author_aliases")
    db.table("author_aliases").create_index(["author_id"])
    db.execute("CREATE INDEX idx_author_aliases_lower_alias ON author_aliases (lower(alias))")
    db.table("paper_authors").create_index(["listed_id"])
    db.execute("""
        CREATE TABLE profile_keys (
          profile_id TEXT NOT NULL REFERENCES raw_profiles(profile_id) ON DELETE CASCADE,
          key TEXT NOT NULL,
          kind TEXT NOT NULL,
          PRIMARY KEY (profile_id, key, kind)
        )""")
    db.table("profile_keys").create_index(["key"])


def _chosen_account(platform: str, column: str | None = None) -> str:
    """A view column: the person's chosen account on `platform` (one at most; see author_socials.chosen)."""
    return (
        f"  (SELECT url FROM author_socials s WHERE s.author_id = fa.author_id AND s.platform = '{platform}'"
        f" AND s.chosen = 1)\n    AS first_author_{column or platform},\n"
    )


PAPER_SUMMARY_V6_SQL = _edited(
    PAPER_SUMMARY_V3_SQL,
    (
        "".join(_best_social(platform) for platform in ("x", "github", "linkedin")),
        "".join(_chosen_account(platform) for platform in ("x", "github", "linkedin"))
        + _chosen_account("website")
        + _chosen_account("scholar"),
    ),
)


def _v6_attribution(db: sqlite_utils.Database) -> None:
    """Whose account is it: GitHub's answers about the accounts authors' socials name (a second place that
    can confirm a person's name, homepage and X account); each homepage read for each person who lists it
    (whose page it is, every account it shows and where); and author_socials remade as one scored candidate
    per (person, platform, handle), at most one chosen per platform, decided over the whole database."""
    db.execute("""
        CREATE TABLE github_users (
          login TEXT PRIMARY KEY,
          name TEXT,
          blog TEXT,
          twitter_username TEXT,
          kind TEXT,
          status TEXT NOT NULL,
          etag TEXT,
          fetched_at TEXT NOT NULL,
          json TEXT
        )""")
    db.execute("""
        CREATE TABLE homepage_readings (
          url TEXT NOT NULL REFERENCES homepages(url) ON DELETE CASCADE,
          author_id TEXT NOT NULL REFERENCES authors(author_id) ON DELETE CASCADE,
          owner_match TEXT NOT NULL,
          owner TEXT,
          owner_score REAL NOT NULL,
          owner_evidence TEXT NOT NULL,
          reading TEXT NOT NULL,
          PRIMARY KEY (url, author_id)
        )""")
    db.table("homepage_readings").create_index(["author_id"])
    db.execute("ALTER TABLE homepages ADD COLUMN owner TEXT")
    db.execute("ALTER TABLE homepages ADD COLUMN owner_match TEXT")
    db.execute("DROP VIEW paper_summary")
    db.execute("DROP TABLE author_socials")
    db.execute("""
        CREATE TABLE author_socials (
          author_id TEXT NOT NULL REFERENCES authors(author_id) ON DELETE CASCADE,
          platform TEXT NOT NULL,
          handle TEXT NOT NULL,
          url TEXT NOT NULL,
          score REAL NOT NULL,
          evidence TEXT NOT NULL,
          pages TEXT NOT NULL,
          chosen INTEGER NOT NULL,
          PRIMARY KEY (author_id, platform, handle)
        )""")
    db.table("author_socials").create_index(["platform", "handle"])
    db.create_view("paper_summary", PAPER_SUMMARY_V6_SQL)


REVIEW_HISTORY_SQL = """
SELECT
  rv.review_id,
  rv.forum_id,
  v.venue,
  row_number() OVER (PARTITION BY rv.review_id ORDER BY rv.version_id) AS version,
  rv.rating,
  rv.confidence,
  rv.modified_at,
  v.first_run_id,
  v.until_run_id,
  v.fetched_at,
  v.version_id
FROM review_versions rv
JOIN note_versions v ON v.version_id = rv.version_id
"""

PAPER_FIRST_VERSIONS_SQL = """
SELECT
  p.forum_id,
  p.venue,
  (SELECT count(*) FROM paper_versions c WHERE c.forum_id = p.forum_id) AS versions,
  v.first_run_id,
  f.title AS first_title,
  f.abstract AS first_abstract,
  f.keywords AS first_keywords,
  f.pdf_url AS first_pdf_url,
  f.modified_at AS first_modified_at,
  p.title,
  p.abstract,
  p.keywords,
  p.pdf_url,
  p.modified_at,
  f.title IS NOT p.title AS title_revised,
  f.abstract IS NOT p.abstract AS abstract_revised,
  f.pdf_url IS NOT p.pdf_url AS pdf_revised
FROM papers p
JOIN paper_versions f ON f.version_id = (SELECT min(version_id) FROM paper_versions c WHERE c.forum_id = p.forum_id)
JOIN note_versions v ON v.version_id = f.version_id
"""

# Before the decision: each review's last version modified before the decision was posted.
PAPER_RATING_HISTORY_SQL = """
WITH seen AS (
  SELECT rv.forum_id, rv.review_id, rv.rating, rv.version_id, julianday(rv.modified_at) AS t,
    row_number() OVER (PARTITION BY rv.review_id ORDER BY rv.version_id) AS n
  FROM review_versions rv WHERE rv.rating IS NOT NULL
),
first AS (SELECT forum_id, avg(rating) AS mean, count(*) AS ratings FROM seen WHERE n = 1 GROUP BY forum_id),
before AS (
  SELECT s.forum_id, avg(s.rating) AS mean, count(*) AS ratings
  FROM seen s JOIN decisions d ON d.forum_id = s.forum_id
  WHERE s.t < julianday(d.created_at) AND NOT EXISTS (
    SELECT 1 FROM seen later WHERE later.review_id = s.review_id AND later.n > s.n
      AND later.t < julianday(d.created_at))
  GROUP BY s.forum_id
),
now AS (SELECT forum_id, avg(rating) AS mean, count(rating) AS ratings FROM reviews GROUP BY forum_id),
-- The change during the review period, as the harvest saw it: over the review versions fetched before the
-- paper's decision was posted (all of them while undecided), each review's last rating minus its first,
-- averaged. Known only where a later run of the venue looked again before the decision: a paper seen by one
-- harvest alone, or only after its decision, has no known change (NULL, never 0).
harvested AS (
  SELECT h.forum_id, h.rating, h.fetched_at, dd.created_at AS decided_at,
    row_number() OVER (PARTITION BY h.review_id ORDER BY h.version) AS oldest,
    row_number() OVER (PARTITION BY h.review_id ORDER BY h.version DESC) AS newest
  FROM review_history h LEFT JOIN decisions dd ON dd.forum_id = h.forum_id
  WHERE h.rating IS NOT NULL AND (dd.created_at IS NULL OR julianday(h.fetched_at) < julianday(dd.created_at))
),
looked_again AS (
  SELECT s.forum_id FROM (
    SELECT forum_id, min(fetched_at) AS first_fetch, max(decided_at) AS decided_at FROM harvested GROUP BY forum_id
  ) s JOIN papers pp ON pp.forum_id = s.forum_id
  WHERE EXISTS (
    SELECT 1 FROM runs r WHERE r.venue = pp.venue AND julianday(r.started_at) > julianday(s.first_fetch)
      AND (s.decided_at IS NULL OR julianday(r.started_at) < julianday(s.decided_at)))
),
change AS (
  SELECT forum_id,
    round(avg(CASE WHEN newest = 1 THEN rating END) - avg(CASE WHEN oldest = 1 THEN rating END), 2) AS rating_change
  FROM harvested WHERE forum_id IN (SELECT forum_id FROM looked_again) GROUP BY forum_id
)
SELECT
  p.forum_id,
  p.venue,
  p.status,
  p.decision,
  d.created_at AS decision_at,
  round(first.mean, 2) AS mean_rating_first,
  first.ratings AS ratings_first,
  round(before.mean, 2) AS mean_rating_before_decision,
  before.ratings AS ratings_before_decision,
  round(now.mean, 2) AS mean_rating_now,
  now.ratings AS ratings_now,
  change.rating_change
FROM papers p
LEFT JOIN decisions d ON d.forum_id = p.forum_id
LEFT JOIN first ON first.forum_id = p.forum_id
LEFT JOIN before ON before.forum_id = p.forum_id
LEFT JOIN now ON now.forum_id = p.forum_id
LEFT JOIN change ON change.forum_id = p.forum_id
"""


def _v7_history(db: sqlite_utils.Database) -> None:
    """Every version of every note, the records read from each submission and review version, what changed
    in each run, and each run's data version."""
    db.execute("""
        CREATE TABLE note_versions (
          version_id INTEGER PRIMARY KEY,
          venue TEXT NOT NULL REFERENCES venues(key),
          forum_id TEXT NOT NULL,
          parent_id TEXT NOT NULL,
          note_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          invitation TEXT,
          tmdate INTEGER,
          sha256 TEXT NOT NULL,
          json TEXT NOT NULL,
          first_run_id INTEGER REFERENCES runs(run_id),
          until_run_id INTEGER REFERENCES runs(run_id),
          fetched_at TEXT NOT NULL
        )""")
    # One current version per part of a stored note; an unchanged re-run reads it and writes nothing.
    db.execute(
        "CREATE UNIQUE INDEX idx_note_versions_current ON note_versions (venue, parent_id, note_id, kind)"
        " WHERE until_run_id IS NULL"
    )
    db.table("note_versions").create_index(["forum_id"])
    db.table("note_versions").create_index(["note_id"])
    db.table("note_versions").create_index(["venue", "first_run_id"])
    db.table("note_versions").create_index(["venue", "until_run_id"])
    db.execute("""
        CREATE TABLE paper_versions (
          version_id INTEGER PRIMARY KEY REFERENCES note_versions(version_id) ON DELETE CASCADE,
          forum_id TEXT NOT NULL,
          title TEXT NOT NULL,
          abstract TEXT,
          tldr TEXT,
          keywords TEXT,
          pdf_url TEXT,
          modified_at TEXT
        )""")
    db.execute("""
        CREATE TABLE review_versions (
          version_id INTEGER PRIMARY KEY REFERENCES note_versions(version_id) ON DELETE CASCADE,
          review_id TEXT NOT NULL,
          forum_id TEXT NOT NULL,
          rating INTEGER,
          confidence INTEGER,
          modified_at TEXT
        )""")
    db.table("paper_versions").create_index(["forum_id"])
    db.table("review_versions").create_index(["review_id"])
    db.table("review_versions").create_index(["forum_id"])
    db.execute("""
        CREATE TABLE changes (
          run_id INTEGER NOT NULL REFERENCES runs(run_id),
          venue TEXT NOT NULL REFERENCES venues(key),
          forum_id TEXT NOT NULL,
          note_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          change TEXT NOT NULL,
          old TEXT,
          new TEXT,
          old_rating INTEGER,
          new_rating INTEGER,
          old_confidence INTEGER,
          new_confidence INTEGER,
          at TEXT
        )""")
    db.table("changes").create_index(["venue", "run_id"])
    db.table("changes").create_index(["forum_id"])
    db.execute("ALTER TABLE runs ADD COLUMN data_version TEXT")
    db.create_view("review_history", REVIEW_HISTORY_SQL)
    db.create_view("paper_first_versions", PAPER_FIRST_VERSIONS_SQL)
    db.create_view("paper_rating_history", PAPER_RATING_HISTORY_SQL)


def _v8_comments(db: sqlite_utils.Database) -> None:
    """Each paper's discussion (official and public comments, author responses, rebuttals), for venues
    fetched with their whole forum."""
    db.execute("""
        CREATE TABLE comments (
          comment_id TEXT PRIMARY KEY,
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          replyto TEXT NOT NULL,
          invitation TEXT NOT NULL,
          kind TEXT NOT NULL,
          role TEXT NOT NULL,
          signer TEXT,
          title TEXT,
          text TEXT,
          signatures TEXT NOT NULL,
          created_at TEXT,
          modified_at TEXT
        )""")
    db.table("comments").create_index(["forum_id"])
    db.table("comments").create_index(["replyto"])


def _v9_venues(db: sqlite_utils.Database) -> None:
    """The config each venue was last fetched with, and where it came from, so a venue derived from its
    OpenReview group (no file in configs/) can be rebuilt and queried without the network."""
    db.execute("ALTER TABLE venues ADD COLUMN config TEXT")
    db.execute("ALTER TABLE venues ADD COLUMN config_source TEXT")


def _v10_venues_published(db: sqlite_utils.Database) -> None:
    """What each venue makes public (rejected papers, reviews), so `stats` can tell a venue's acceptance rate
    from a share of the papers it chose to show; and journal certifications, one row per paper and name."""
    db.execute("ALTER TABLE venues ADD COLUMN published_rejected TEXT")
    db.execute("ALTER TABLE venues ADD COLUMN published_reviews TEXT")
    # Before this version paperharvest shipped ICLR conference configs only, and ICLR shows every rejected
    # paper and every review. Other venues (a user's own config) stay unknown until their next fetch.
    db.execute(
        "UPDATE venues SET published_rejected = 'all', published_reviews = 'public'"
        " WHERE venue_id LIKE 'ICLR.cc/%/Conference'"
    )
    db.execute("""
        CREATE TABLE paper_certifications (
          forum_id TEXT NOT NULL REFERENCES papers(forum_id) ON DELETE CASCADE,
          certification TEXT NOT NULL,
          PRIMARY KEY (forum_id, certification)
        )""")
    db.table("paper_certifications").create_index(["certification"])


SUBMISSION_NOTES_SQL = """
SELECT
  p.forum_id,
  p.venue,
  coalesce(r.json, v.json) AS json
FROM papers p
JOIN raw_notes r ON r.note_id = p.forum_id
LEFT JOIN note_versions v
  ON v.venue = r.venue AND v.parent_id = r.note_id AND v.note_id = r.note_id AND v.kind = 'submission'
  AND v.until_run_id IS NULL
"""


def _v11_note_text_once(db: sqlite_utils.Database) -> None:
    """Each note's text is kept once, in its versions: `raw_notes.json` may be NULL, and is wherever the
    current versions give the text back exactly; `submission_notes` gives each paper's note (without its
    replies from its versions, whole where its row keeps the text).
    The texts dropped are known before the table is copied, so each is written once, as NULL (the file
    keeps its size until a VACUUM)."""
    dropped = reproducible_raw_texts(db)
    db.execute("""
        CREATE TABLE raw_notes_v11 (
          note_id TEXT PRIMARY KEY,
          venue TEXT NOT NULL REFERENCES venues(key),
          invitation TEXT NOT NULL,
          api_version INTEGER,
          tmdate INTEGER,
          sha256 TEXT NOT NULL,
          fetched_at TEXT NOT NULL,
          json TEXT,
          inputs_sha256 TEXT
        )""")
    columns = "note_id, venue, invitation, api_version, tmdate, sha256, fetched_at, json, inputs_sha256"
    # In stored order: rebuild reads the notes in it.
    kept = (
        "note_id, venue, invitation, api_version, tmdate, sha256, fetched_at,"
        " CASE WHEN note_id IN (SELECT value FROM json_each(?)) THEN NULL ELSE json END, inputs_sha256"
    )
    db.execute(
        f"INSERT INTO raw_notes_v11 ({columns}) SELECT {kept} FROM raw_notes ORDER BY rowid", [json.dumps(dropped)]
    )
    db.execute("DROP TABLE raw_notes")
    db.execute("ALTER TABLE raw_notes_v11 RENAME TO raw_notes")
    db.table("raw_notes").create_index(["venue"])
    db.create_view("submission_notes", SUBMISSION_NOTES_SQL)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial,
    _v2_people,
    _v3_links,
    _v4_repositories,
    _v5_quarantine_and_people,
    _v6_attribution,
    _v7_history,
    _v8_comments,
    _v9_venues,
    _v10_venues_published,
    _v11_note_text_once,
]
SCHEMA_VERSION = len(MIGRATIONS)
PAGE_SIZE = 16384


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Bring any database (new or older) to the current schema; refuse one from a newer paperharvest."""
    try:
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"the database has schema version {version}, newer than this paperharvest knows "
                f"({SCHEMA_VERSION}); upgrade paperharvest"
            )
        if version == 0 and not db.table_names():
            # A new file only (an existing one keeps the page size it was made with): notes are kilobytes of JSON,
            # and 16 KiB pages write a venue about 8% faster than 4 KiB (measured with `make bench`).
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        if version < SCHEMA_VERSION and db.journal_mode != "wal":
            # WAL lets a notebook read while cron writes; it cannot be switched on inside a transaction.
            db.enable_wal()
        for number in range(version, SCHEMA_VERSION):
            with db.atomic():
                MIGRATIONS[number](db)
                db.execute(f"PRAGMA user_version = {number + 1}")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot prepare the database schema: {exc}") from None
