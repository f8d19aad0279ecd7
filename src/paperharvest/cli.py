"""The command line: parses flags, builds settings, runs the pipeline, maps errors to exit codes."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import select
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from paperharvest import __version__
from paperharvest.errors import EXIT_CODES, ConfigError, HarvestError
from paperharvest.net import Network
from paperharvest.net.policy import RetryPolicy
from paperharvest.outputs import shorten
from paperharvest.outputs.datasette import datasette_metadata
from paperharvest.outputs.digest import FORMATS, Digest, render
from paperharvest.outputs.export import FORMATS as EXPORT_FORMATS
from paperharvest.outputs.export import choose_tables, export_venue
from paperharvest.outputs.plots import save_plot
from paperharvest.outputs.stats import compute_stats, headline, sections
from paperharvest.pipeline import STAGES, Interrupted, run_fetch, stopped_by_signals
from paperharvest.progress import Progress, configure_logging
from paperharvest.settings import Settings, load_settings
from paperharvest.snapshot import write_snapshot
from paperharvest.sources.openreview import make_client
from paperharvest.store.db import open_db, run_lock, storage_errors
from paperharvest.store.digest import RANKINGS, Selection, data_version, digest_papers, find_venue_row
from paperharvest.store.exports import exportable_tables
from paperharvest.store.queries import (
    latest_data_versions,
    link_tallies,
    papers_by_status,
    recent_runs,
    run_data_versions,
    top_papers,
    venue_counts,
)
from paperharvest.store.schema import ensure_db_shape
from paperharvest.store.venue_configs import ConfigSource, save_venue_config, stored_venue_configs
from paperharvest.store.versions import CHANGE_KINDS, CHANGE_WORDS, first_run_since, list_changes, run_as_of
from paperharvest.venue_groups import derive_from_openreview, discover_venues, venue_config_toml
from paperharvest.venues import VenueConfig, find_venue, load_all_venues

log = logging.getLogger("paperharvest")


def _exit_codes_epilog() -> str:
    return "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, help="SQLite database (default: $PAPERHARVEST_DB or data/paperharvest.db)")
    common.add_argument("--configs", type=Path, help="folder of venue configs (default: configs/venues)")
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="debug output, including each retry")
    noise.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors (for cron)")

    parser = argparse.ArgumentParser(
        prog="paperharvest",
        description="Harvest conference papers, reviews and decisions from OpenReview into SQLite.",
        epilog=_exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"paperharvest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch",
        parents=[common],
        help="harvest a venue into the database",
        epilog=_exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument(
        "--venue", required=True, help="a venue key (iclr2020) or OpenReview id (ICLR.cc/2020/Conference)"
    )
    fetch.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated stages to run, in order ({', '.join(STAGES)})"
    )
    fetch.add_argument("--skip", default="", help="comma-separated stages not to run")
    tape = fetch.add_mutually_exclusive_group()
    tape.add_argument("--record", type=Path, metavar="DIR", help="save every API exchange to DIR (secrets removed)")
    tape.add_argument(
        "--replay", type=Path, metavar="DIR", help="answer every request from a recording in DIR: no network"
    )
    fetch.add_argument(
        "--credentials-file",
        type=Path,
        help="0600 file of KEY=VALUE lines: OPENREVIEW_USERNAME/_PASSWORD or _TOKEN, GITHUB_TOKEN, S2_API_KEY",
    )
    fetch.add_argument("--timeout", type=float, help="seconds to wait for one answer (default 60)")
    fetch.add_argument("--deadline", type=float, help="seconds the whole run may take, retries included (default 3600)")
    fetch.add_argument("--page-size", type=int, help="notes per request, at most 1000 (default 1000)")

    rebuild_cmd = commands.add_parser(
        "rebuild", parents=[common], help="re-normalize the stored raw notes (no network)"
    )
    rebuild_cmd.add_argument("--venue", help="only this venue (default: all)")

    commands.add_parser("venues", parents=[common], help="list the configured venues")
    venue_config = commands.add_parser(
        "venue-config",
        parents=[common],
        help="print the config derived from an API v2 venue's group, as a commented TOML file to review and keep",
    )
    venue_config.add_argument(
        "venue_id", metavar="VENUE_ID", help="an OpenReview venue id (NeurIPS.cc/2024/Conference)"
    )
    discover = commands.add_parser(
        "discover", parents=[common], help="the venues OpenReview lists (its `venues` group), with their API version"
    )
    discover.add_argument("--host", choices=("v1", "v2"), help="list one API host's venues (default: both)")
    discover.add_argument("--match", metavar="TEXT", help="only venue ids containing TEXT (any case)")
    commands.add_parser("status", parents=[common], help="recent runs and row counts per venue")
    summary = commands.add_parser("summary", parents=[common], help="papers by status and the top papers by rating")
    summary.add_argument("--venue", required=True)
    summary.add_argument("--top", type=int, default=10, help="how many top papers to list (default 10)")

    digest = commands.add_parser(
        "digest", parents=[common], help="the venue's best papers as a Markdown post or an HTML page"
    )
    digest.add_argument("--venue", required=True, help="a harvested venue's key or OpenReview id")
    digest.add_argument(
        "--format", choices=FORMATS, default="md", help="md (default) or html (one self-contained page)"
    )
    digest.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (default: stdout)")
    digest.add_argument("--papers", metavar="ID,ID", help="these forum ids, in this order (instead of a selection)")
    digest.add_argument("--status", choices=("accepted", "rejected", "withdrawn", "desk-rejected", "under-review"))
    digest.add_argument("--presentation", choices=("talk", "oral", "spotlight", "poster"))
    digest.add_argument("--keyword", help="papers with this keyword (any case)")
    digest.add_argument("--area", help="papers in this primary area (API v2 venues, any case)")
    digest.add_argument("--top", type=_positive_int, metavar="N", help="only the first N papers of the ranking")
    digest.add_argument("--by", choices=RANKINGS, default="mean-rating", help="ranking (default mean-rating)")
    digest.add_argument(
        "--machine-tldr", action="store_true", help="a machine-written TL;DR, marked so, where the authors gave none"
    )

    export = commands.add_parser(
        "export", parents=[common], help="a venue's tables as CSV, JSON Lines or Parquet, with a dataset card"
    )
    export.add_argument("--venue", required=True, help="a harvested venue's key or OpenReview id")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="csv", help="file format (default csv)")
    which = export.add_mutually_exclusive_group()
    which.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="T",
        help="a table or view to export (repeatable; default paper_summary)",
    )
    which.add_argument(
        "--all", action="store_true", help="every table of the venue (raw payloads: name them with --table)"
    )
    export.add_argument("--out", type=Path, metavar="DIR", help="folder to write to (default data/export/<venue>)")

    stats = commands.add_parser("stats", parents=[common], help="acceptance, rating and topic statistics of a venue")
    stats.add_argument("--venue", required=True, help="a harvested venue's key or OpenReview id")
    stats.add_argument("--plot", type=Path, metavar="FILE", help="also draw them into FILE (.png or .svg)")

    metadata = commands.add_parser(
        "datasette-metadata", parents=[common], help="a Datasette metadata.json describing the database"
    )
    metadata.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (default: stdout)")

    changes = commands.add_parser("changes", parents=[common], help="what changed in a venue, run by run")
    changes.add_argument("--venue", required=True, help="a venue key (iclr2020) or OpenReview id")
    changes.add_argument("--since", metavar="RUN|DATE", help="only runs after run RUN, or started on or after DATE")
    changes.add_argument(
        "--kind", default="", metavar="K,K", help="only these kinds: paper, review, decision, meta-review, comment"
    )
    changes.add_argument("--change", default="", metavar="C,C", help="only these changes (added, edited, withdrawn...)")
    changes.add_argument("--format", choices=("table", "jsonl"), default="table", help="table (default) or jsonl")

    snapshot = commands.add_parser(
        "snapshot", parents=[common], help="a database holding a venue exactly as it was after a run"
    )
    snapshot.add_argument("--venue", required=True, help="a venue key (iclr2020) or OpenReview id")
    snapshot.add_argument(
        "--as-of", required=True, metavar="RUN|DATE", help="a run number, or the last run started by DATE"
    )
    snapshot.add_argument("--out", required=True, type=Path, metavar="FILE.db", help="the new database to write")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        db_path=args.db,
        configs_dir=args.configs,
        credentials_file=getattr(args, "credentials_file", None),
        request_timeout=getattr(args, "timeout", None),
        run_deadline=getattr(args, "deadline", None),
        page_size=getattr(args, "page_size", None),
    )


def _open_ready_db(settings: Settings, *, create: bool) -> sqlite_utils.Database:
    db = open_db(settings.db_path, create=create)
    ensure_db_shape(db)
    return db


def _describe(counts: dict[str, Any]) -> str:
    return ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if isinstance(n, int)) or "nothing"


def _listed(text: str) -> list[str]:
    """The items of a comma-separated flag, blanks left out."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _network(settings: Settings, record: Path | None = None, replay: Path | None = None) -> Network:
    policy = RetryPolicy(
        max_retries=settings.max_retries,
        backoff_base=settings.backoff_base,
        max_retry_after=settings.max_retry_after,
        timeout=settings.request_timeout,
    )
    return Network(policy, settings.run_deadline, services=settings.services, record_dir=record, replay_dir=replay)


def _names_a_venue_id(name: str) -> bool:
    # Config keys are lower-case words; anything else (a slash, capitals: `TMLR`) is an OpenReview id.
    return "/" in name or name != name.lower()


def _kept_configs(settings: Settings) -> dict[str, VenueConfig]:
    """The config files kept in the configs folder, by key; none when there is no such folder."""
    configs = settings.venue_configs_dir
    return load_all_venues(configs) if configs.is_dir() else {}


def _kept_or_derived(
    settings: Settings, name: str, network: Network
) -> tuple[VenueConfig, ConfigSource, Any, Mapping[str, Any] | None]:
    """The venue's kept config file, which always wins; else, for a venue id, the config derived from its group,
    with the logged-in client that read it and the group (the run goes on with both instead of logging in and
    reading the group again)."""
    if not _names_a_venue_id(name):
        # An unknown key is find_venue's error, which lists the keys there are.
        return find_venue(settings.venue_configs_dir, name), "file", None, None
    for config in _kept_configs(settings).values():
        if name in (config.venue_id, config.key):
            return config, "file", None, None
    client = make_client(settings, network)
    derived = derive_from_openreview(client, settings, name)
    log.info("%s: no config file; config derived from its venue group (paperharvest venue-config %s)", name, name)
    return derived.config, "group", client, derived.group


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    chosen, skipped = set(_listed(args.stages)), set(_listed(args.skip))
    unknown = sorted((chosen | skipped) - set(STAGES))
    stages = [s for s in STAGES if s in chosen - skipped]
    if unknown or not stages:
        raise ConfigError(f"unknown stage(s) {', '.join(unknown) or '(none left to run)'}; stages: {', '.join(STAGES)}")
    network = _network(settings, args.record, args.replay)
    venue, source, client, group = _kept_or_derived(settings, args.venue, network)
    options = {
        "venue": venue.key,
        "config": source,
        "stages": stages,
        "record": bool(args.record),
        "replay": bool(args.replay),
        "settings": settings.public_dict(),
    }
    with run_lock(settings.db_path):
        db = _open_ready_db(settings, create=True)
        save_venue_config(db, venue, source)
        progress = Progress(enabled=not args.quiet)
        try:
            counts = run_fetch(db, venue, settings, network, options, stages, progress, client=client, group=group)
        finally:
            progress.close()
    for stage in stages:
        log.info("%s %s: %s", venue.key, stage, _describe(counts[stage]))
    log.info("%d requests -> %s", sum(counts["requests"].values()), settings.db_path)
    log.info("%s data version %s (run %d)", venue.key, counts["data_version"] or "(no notes)", counts["run_id"])
    return 0


def _known_venues(db: sqlite_utils.Database, settings: Settings) -> dict[str, VenueConfig]:
    """The venues the offline commands know: the configs the database's fetches stored (a venue derived from
    its group has no file), and the kept files, which win."""
    return {**stored_venue_configs(db), **_kept_configs(settings)}


def _known_venue(db: sqlite_utils.Database, settings: Settings, name: str) -> VenueConfig:
    """A venue by key or OpenReview id, among the known venues; else find_venue's error listing the keys."""
    return _venue_among(_known_venues(db, settings), settings, name)


def _venue_among(venues: Mapping[str, VenueConfig], settings: Settings, name: str) -> VenueConfig:
    for venue in venues.values():
        if name in (venue.key, venue.venue_id):
            return venue
    return find_venue(settings.venue_configs_dir, name)


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    # Here, not at the top: rebuild needs every stage's derivations, which `fetch --stages notes` does not.
    from paperharvest.rebuild import rebuild

    with run_lock(settings.db_path):
        db = _open_ready_db(settings, create=False)
        venues = _known_venues(db, settings)
        venue_key = _venue_among(venues, settings, args.venue).key if args.venue else None
        done = rebuild(db, venues, venue_key)
    log.info("rebuilt from stored payloads: %s (%s)", _describe(done), settings.db_path)
    return 0


def cmd_venues(args: argparse.Namespace, settings: Settings) -> int:
    for key, venue in load_all_venues(settings.venue_configs_dir).items():
        print(f"{key:<12} {venue.name:<14} API v{venue.api_version}  {venue.venue_id}")
    return 0


def cmd_venue_config(args: argparse.Namespace, settings: Settings) -> int:
    network = _network(settings)
    derived = derive_from_openreview(make_client(settings, network), settings, args.venue_id)
    sys.stdout.write(venue_config_toml(derived, fetched_at=network.now().date().isoformat()))
    kept = settings.venue_configs_dir / f"{derived.config.key}.toml"
    if kept.is_file():
        log.warning("%s exists and wins over this derived config when fetching %s", kept, args.venue_id)
    return 0


# Which API a venue lives on takes a request for its group; more matches than this are listed without it.
DISCOVER_LOOK_UPS = 100


def cmd_discover(args: argparse.Namespace, settings: Settings) -> int:
    network = _network(settings)
    host: Literal[1, 2] | None = 1 if args.host == "v1" else 2 if args.host == "v2" else None
    found = discover_venues(make_client(settings, network), settings, host, args.match, look_up=DISCOVER_LOOK_UPS)
    kept = {config.venue_id: key for key, config in _kept_configs(settings).items()}
    rows = [
        {
            "venue_id": venue.venue_id,
            "api": f"v{venue.api_version}" if venue.api_version else "?",
            "config": kept.get(venue.venue_id) or {2: "(derived)", 1: "(needs one)"}.get(venue.api_version or 0, ""),
        }
        for venue in found
    ]
    _print_table(rows, ["venue_id", "api", "config"])
    if len(found) > DISCOVER_LOOK_UPS:
        log.warning(
            "%d venues: API versions are looked up for %d at most; narrow with --match", len(found), DISCOVER_LOOK_UPS
        )
    return 0


def _print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    cells = [[("" if row[c] is None else str(row[c])) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    db = _open_ready_db(settings, create=False)
    print(f"database: {settings.db_path}")
    print("\nvenues:")
    _print_table(venue_counts(db), ["venue", "papers", "reviews", "decisions", "raw_notes", "last_harvested_at"])
    print("\ndata versions (the latest run of each venue that recorded one):")
    _print_table(latest_data_versions(db), ["venue", "data_version", "run_id", "started_at"])
    print("\nrecent runs:")
    runs = recent_runs(db)
    versions = run_data_versions(db, [run["run_id"] for run in runs])
    runs = [{**run, "data_version": versions.get(run["run_id"])} for run in runs]
    columns = ["run_id", "venue", "command", "outcome", "data_version", "started_at", "ended_at", "error"]
    _print_table(runs, columns)
    return 0


def _short(value: object) -> str:
    return shorten("" if value is None else str(value).replace("\n", " "))


def cmd_changes(args: argparse.Namespace, settings: Settings) -> int:
    db = _open_ready_db(settings, create=False)
    venue = _known_venue(db, settings, args.venue)
    since = first_run_since(db, venue.key, args.since) if args.since else 0
    kinds, words = _listed(args.kind), _listed(args.change)
    for flag, given, known in (("--kind", kinds, CHANGE_KINDS), ("--change", words, CHANGE_WORDS)):
        # A misspelt filter would otherwise print "no changes" and exit 0.
        if unknown := [value for value in given if value not in known]:
            raise ConfigError(f"{flag}: unknown {', '.join(map(repr, unknown))}; one of: {', '.join(known)}")
    found = list_changes(db, venue.key, since_run=since, kinds=kinds, changes=words)
    if args.format == "jsonl":
        for row in found:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    ratings = ("old_rating", "new_rating", "old_confidence", "new_confidence")
    shown = [{**row, "old": _short(row["old"]), "new": _short(row["new"])} for row in found]
    _print_table(shown, ["run_id", "kind", "change", "forum_id", "note_id", "old", "new", *ratings, "at"])
    return 0


def cmd_snapshot(args: argparse.Namespace, settings: Settings) -> int:
    db = _open_ready_db(settings, create=False)
    venue = _known_venue(db, settings, args.venue)
    run_id = run_as_of(db, venue.key, args.as_of)
    with storage_errors(args.out):
        done = write_snapshot(db, venue, run_id, args.out)
    log.info(
        "%s as of run %d: %d papers, data version %s -> %s",
        venue.key,
        run_id,
        done["papers"],
        done["data_version"],
        args.out,
    )
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    db = _open_ready_db(settings, create=False)
    venue = _known_venue(db, settings, args.venue)
    by_status = papers_by_status(db, venue.key)
    total = sum(row["papers"] for row in by_status)
    print(f"{venue.name}: {total} papers in {settings.db_path}\n")
    _print_table(by_status, ["status", "presentation", "papers"])
    top = top_papers(db, venue.key, args.top)
    print(f"\ntop {len(top)} papers by mean rating:")
    _print_table(top, ["mean_rating", "reviews", "outcome", "title", "first_author", "first_author_x", "arxiv_id"])
    linked = link_tallies(db, venue.key)
    print(
        f"\n{linked['arxiv']} of {linked['papers']} papers linked to arXiv, {linked['code']} with a code repository, "
        f"{linked['x']} with the first author's X account"
    )
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _digest_selection(args: argparse.Namespace) -> Selection:
    papers = tuple(dict.fromkeys(_listed(args.papers or "")))
    filters = {
        "--status": args.status,
        "--presentation": args.presentation,
        "--keyword": args.keyword,
        "--area": args.area,
        "--top": args.top,
    }
    if args.papers is not None:
        given = [flag for flag, value in filters.items() if value is not None]
        if not papers or given:
            raise ConfigError(f"--papers takes forum ids and no selection ({', '.join(given) or 'no ids given'})")
        return Selection(papers=papers)
    return Selection(
        status=args.status,
        presentation=args.presentation,
        keyword=args.keyword,
        area=args.area,
        top=args.top,
        by=args.by,
    )


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    selection = _digest_selection(args)
    db = _open_ready_db(settings, create=False)
    venue = find_venue_row(db, args.venue)
    papers = digest_papers(db, venue.key, selection)
    text = render(Digest(venue, selection, data_version(db, venue.key), papers, args.machine_tldr), args.format)
    if _write_out(text, args.out, "the digest"):
        log.info("%d papers -> %s", len(papers), args.out)
    return 0


@contextlib.contextmanager
def _writing(what: str, path: Path) -> Iterator[None]:
    """A file or folder that cannot be written is a usage error naming it."""
    try:
        yield
    except OSError as exc:
        raise ConfigError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None


def _write_out(text: str, path: Path | None, what: str) -> bool:
    """`text` to stdout, or to `path` (True)."""
    if path is None:
        sys.stdout.write(text)
        return False
    with _writing(what, path):
        path.write_text(text, encoding="utf-8")
    return True


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    db = _open_ready_db(settings, create=False)
    venue = find_venue_row(db, args.venue)
    out = args.out or Path("data") / "export" / venue.key
    available = exportable_tables(db)
    tables = choose_tables(available, args.table, args.all)
    with _writing("the export", out):
        written = export_venue(db, venue.key, venue.name, tables, args.format, out, available)
    for item in written:
        log.info("%s: %d rows -> %s", item.table.name, item.rows, item.path)
    log.info("dataset card -> %s", out / "README.md")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    db = _open_ready_db(settings, create=False)
    venue = find_venue_row(db, args.venue)
    computed = compute_stats(db, venue.key, venue.name)
    print(headline(computed))
    for title, columns, rows in sections(computed):
        print(f"\n{title}:" if columns else f"\n{title}")
        if columns:
            _print_table(rows, columns)
    if args.plot:
        with _writing("the plot", args.plot):
            save_plot(computed, args.plot)
        log.info("plot -> %s", args.plot)
    return 0


def cmd_datasette_metadata(args: argparse.Namespace, settings: Settings) -> int:
    _open_ready_db(settings, create=False)  # the metadata describes an existing database of today's shape
    text = json.dumps(datasette_metadata(settings.db_path), indent=2, ensure_ascii=False) + "\n"
    if _write_out(text, args.out, "the metadata"):
        log.info("Datasette metadata -> %s (datasette %s --metadata %s)", args.out, settings.db_path, args.out)
    return 0


COMMANDS = {
    "fetch": cmd_fetch,
    "rebuild": cmd_rebuild,
    "venues": cmd_venues,
    "venue-config": cmd_venue_config,
    "discover": cmd_discover,
    "status": cmd_status,
    "summary": cmd_summary,
    "digest": cmd_digest,
    "export": cmd_export,
    "stats": cmd_stats,
    "datasette-metadata": cmd_datasette_metadata,
    "changes": cmd_changes,
    "snapshot": cmd_snapshot,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(-1 if args.quiet else 1 if args.verbose else 0)
    try:
        with stopped_by_signals():
            settings = _settings(args)
            with storage_errors(settings.db_path):
                return COMMANDS[args.command](args, settings)
    except HarvestError as exc:
        print(f"paperharvest: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (Interrupted, KeyboardInterrupt) as exc:
        name, code = (exc.args[0], exc.exit_code) if isinstance(exc, Interrupted) else ("SIGINT", 130)
        print(f"paperharvest: stopped by {name}; stored pages are kept, the next run resumes", file=sys.stderr)
        return code
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and _reader_gone(sys.stdout):
            # Whoever read the output stopped (`| head`): they have what they wanted. Flushing at exit would
            # fail again, so the rest of the output goes nowhere; 141 is what a shell shows for SIGPIPE.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        # A bug, not an input: one line for cron mail, the traceback only when asked for.
        log.debug("traceback of the internal error", exc_info=True)
        hint = "" if args.verbose else " (run again with --verbose for the traceback)"
        print(f"paperharvest: internal error: {type(exc).__name__}: {exc}{hint}; please report it", file=sys.stderr)
        return 1


def _reader_gone(stream: Any) -> bool:
    """Whether `stream` is a pipe whose reading end was closed, so a BrokenPipeError was about it and not
    about some other pipe or socket."""
    try:
        poller = select.poll()
        poller.register(stream.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no file descriptor, or no poll on this system
        return False
