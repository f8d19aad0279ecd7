"""The command line: parses flags, builds settings, runs the pipeline, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from paperharvest import __version__
from paperharvest.errors import EXIT_CODES, ConfigError, HarvestError
from paperharvest.net import Network
from paperharvest.net.policy import RetryPolicy
from paperharvest.pipeline import STAGES, Interrupted, run_fetch, stopped_by_signals
from paperharvest.progress import Progress, configure_logging
from paperharvest.rebuild import rebuild
from paperharvest.settings import Settings, load_settings
from paperharvest.store.db import open_db, run_lock, storage_errors
from paperharvest.store.queries import link_tallies, papers_by_status, recent_runs, top_papers, venue_counts
from paperharvest.store.schema import ensure_db_shape
from paperharvest.venues import find_venue, load_all_venues

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
    commands.add_parser("status", parents=[common], help="recent runs and row counts per venue")
    summary = commands.add_parser("summary", parents=[common], help="papers by status and the top papers by rating")
    summary.add_argument("--venue", required=True)
    summary.add_argument("--top", type=int, default=10, help="how many top papers to list (default 10)")
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


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    venue = find_venue(settings.venue_configs_dir, args.venue)
    chosen = {s.strip() for s in args.stages.split(",") if s.strip()}
    skipped = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = sorted((chosen | skipped) - set(STAGES))
    stages = [s for s in STAGES if s in chosen - skipped]
    if unknown or not stages:
        raise ConfigError(f"unknown stage(s) {', '.join(unknown) or '(none left to run)'}; stages: {', '.join(STAGES)}")
    options = {
        "venue": venue.key,
        "stages": stages,
        "record": bool(args.record),
        "replay": bool(args.replay),
        "settings": settings.public_dict(),
    }
    policy = RetryPolicy(
        max_retries=settings.max_retries,
        backoff_base=settings.backoff_base,
        max_retry_after=settings.max_retry_after,
        timeout=settings.request_timeout,
    )
    with run_lock(settings.db_path):
        db = _open_ready_db(settings, create=True)
        network = Network(
            policy, settings.run_deadline, services=settings.services, record_dir=args.record, replay_dir=args.replay
        )
        progress = Progress(enabled=not args.quiet)
        try:
            counts = run_fetch(db, venue, settings, network, options, stages, progress)
        finally:
            progress.close()
    for stage in stages:
        log.info("%s %s: %s", venue.key, stage, _describe(counts[stage]))
    log.info("%d requests -> %s", sum(counts["requests"].values()), settings.db_path)
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    venues = load_all_venues(settings.venue_configs_dir)
    venue_key = find_venue(settings.venue_configs_dir, args.venue).key if args.venue else None
    with run_lock(settings.db_path):
        db = _open_ready_db(settings, create=False)
        done = rebuild(db, venues, venue_key)
    log.info("rebuilt from stored payloads: %s (%s)", _describe(done), settings.db_path)
    return 0


def cmd_venues(args: argparse.Namespace, settings: Settings) -> int:
    for key, venue in load_all_venues(settings.venue_configs_dir).items():
        print(f"{key:<12} {venue.name:<14} API v{venue.api_version}  {venue.venue_id}")
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
    print("\nrecent runs:")
    _print_table(recent_runs(db), ["run_id", "venue", "command", "outcome", "started_at", "ended_at", "error"])
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    venue = find_venue(settings.venue_configs_dir, args.venue)
    db = _open_ready_db(settings, create=False)
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


COMMANDS = {
    "fetch": cmd_fetch,
    "rebuild": cmd_rebuild,
    "venues": cmd_venues,
    "status": cmd_status,
    "summary": cmd_summary,
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
        # A bug, not an input: one line for cron mail, the traceback only when asked for.
        log.debug("traceback of the internal error", exc_info=True)
        hint = "" if args.verbose else " (run again with --verbose for the traceback)"
        print(f"paperharvest: internal error: {type(exc).__name__}: {exc}{hint}; please report it", file=sys.stderr)
        return 1
