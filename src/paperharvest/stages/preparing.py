"""Preparing a page of submissions for the store (normalizing each note, splitting it into versions, making
its rows): in a helper process on a machine with a second core, else on the store thread.

The store writes a page in parts of PART notes, all in the page's one transaction; with the helper, part
k+1 is prepared on the other core while part k is written. Preparing and writing are each about half of a
page's time, and Python threads cannot run them side by side: SQLite's executemany takes the GIL back for
every row, so normalizing on one thread beside the writes on another took 1.07 s for ICLR 2020 against
1.06 s one after the other.

The helper starts with the stage, imports while the venue's group is fetched, and takes every page that
arrives once it is ready (until then pages are prepared on the store thread, so its start-up costs no
time; for a small venue it may never be used, which costs a fifth of a second of the other core). It is
sent a page as the page arrives, so it prepares the page's first parts while the page before is still
being written. It is fed the notes themselves; it reads no network and no database and writes nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, BinaryIO

from paperharvest.errors import HarvestError
from paperharvest.normalize.any_version import normalize_or_reject
from paperharvest.store.prepare import PreparedPage, prepare_page
from paperharvest.venues import VenueConfig

PART = 20
log = logging.getLogger(__name__)


def prepare_part(
    venue: VenueConfig,
    invitation: str,
    notes: Sequence[Mapping[str, Any]],
    fetched_at: str,
    decisions_by_forum: Mapping[str, Sequence[Mapping[str, Any]]] | None,
) -> PreparedPage:
    normalized = [normalize_or_reject(note, venue, decisions_by_forum) for note in notes]
    return prepare_page(venue, invitation, notes, normalized, fetched_at, related=decisions_by_forum)


def parts_of(notes: Sequence[Mapping[str, Any]]) -> list[Sequence[Mapping[str, Any]]]:
    return [notes[start : start + PART] for start in range(0, len(notes), PART)]


# ---- the helper process -------------------------------------------------------------------------------------


ANSWER_PIPE_BYTES = 1 << 20


def _widen(pipe: IO[bytes] | None) -> None:
    """Let the helper run a few parts ahead of the writer. In a 64 KiB pipe (Linux's default) a prepared part
    (about 200 KB) waited for the writer to finish the part before, so the two went in lock-step and each
    part cost the slower side's time: 1 MiB (the most Linux allows without privileges) made the notes stage's
    store 9% faster (measured with `make bench`). Where the system refuses, they keep the lock-step."""
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if pipe is not None and setting is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), setting, ANSWER_PIPE_BYTES)


class Helper:
    """A helper process (`python -m paperharvest.stages.preparing`) that prepares parts of pages.

    It starts at once, to import while the stage asks for the venue's group. Pickles cross its stdin and
    stdout: first the venue (`begin`), then per part (invitation, notes, fetched_at) in
    and the PreparedPage (or the error preparing it raised) out, in order. A feeder thread writes the parts,
    so a big part never waits on a big result. The helper runs in a session of its own, so a Ctrl-C at the
    terminal reaches only this process, which then stops it; it exits when its stdin closes, this process
    killed included.
    """

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "paperharvest.stages.preparing"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        _widen(self._proc.stdout)
        self._jobs: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._ready = False
        self._feed_failure: Exception | None = None
        self._sent = 0  # answers asked for (main thread)
        self._read_count = 0  # answers read (store thread)
        self._feeder = threading.Thread(target=self._feed, name="paperharvest-helper-feed", daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while (job := self._jobs.get()) is not None:
                # Pickled whole first, so that a job that cannot be pickled leaves no half of it on the pipe.
                stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
                stdin.flush()
        except (BrokenPipeError, ValueError):  # the helper stopped: reading its answer says so
            pass
        except Exception as exc:  # a job that cannot be pickled: said by the next read
            self._feed_failure = exc
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _read(self) -> tuple[bool, Any]:
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            answer: tuple[bool, Any] = pickle.load(stdout)
        except (EOFError, pickle.UnpicklingError, OSError, ValueError):  # ValueError: read after close()
            why = f"could not be sent a page: {self._feed_failure!r}" if self._feed_failure else self.ended()
            raise HarvestError(
                f"the helper process preparing notes stopped unexpectedly ({why}); "
                "pages stored before are kept; run again"
            ) from None
        return answer

    def ready(self) -> bool:
        """Whether the helper has started (it says so once it has imported what it prepares with and been
        sent the venue, by `begin`)."""
        if not self._ready:
            stdout = self._proc.stdout
            assert stdout is not None
            if select.select([stdout], [], [], 0)[0]:
                self._read()
                self._ready = True
        return self._ready

    def ended(self) -> str:
        """How the helper ended (waiting up to 5 s for it to, if it has not yet)."""
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"

    def begin(self, venue: VenueConfig, decisions_by_forum: Mapping[str, Sequence[Mapping[str, Any]]] | None) -> None:
        """What every part is prepared for: sent once, before the parts."""
        self._jobs.put((venue, decisions_by_forum))

    def send(self, invitation: str, parts: Sequence[Sequence[Mapping[str, Any]]], fetched_at: str) -> int:
        """Have these parts prepared; returns where their answers start in the order of all answers."""
        start = self._sent
        for part in parts:
            self._jobs.put((invitation, part, fetched_at))
        self._sent += len(parts)
        return start

    def answers(self, start: int, count: int) -> Iterator[PreparedPage]:
        """The `count` prepared parts whose answers start at `start` (as `send` said), in order. Answers
        before them that no one read (a page whose writing failed) are read and dropped first."""
        while self._read_count < start:
            self._next()
        for _ in range(count):
            ok, value = self._next()
            if not ok:
                raise value
            assert isinstance(value, PreparedPage)
            yield value

    def _next(self) -> tuple[bool, Any]:
        answer = self._read()
        self._read_count += 1
        return answer

    def kill(self) -> None:
        """Stop preparing now (a signal stopped the stage): a read waiting on an answer ends at once."""
        self._proc.kill()

    def close(self) -> None:
        """Stop the helper at once: it holds nothing but parts in preparation."""
        self.kill()
        self._proc.wait()
        self._jobs.put(None)
        self._feeder.join()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The helper's side: prepare each part sent until stdin closes. When the stage's process is gone (its
    pipes closed, perhaps mid-pickle), the helper ends without a word: stderr is the run's, read in cron mail."""
    with contextlib.suppress(EOFError, pickle.UnpicklingError, OSError):
        venue, decisions_by_forum = pickle.load(stdin)
        _answer(stdout, (True, None))  # ready
        while True:
            invitation, notes, fetched_at = pickle.load(stdin)
            try:
                prepared = prepare_part(venue, invitation, notes, fetched_at, decisions_by_forum)
                _answer(stdout, (True, prepared))
            except Exception as exc:  # a config gap, or a bug: raised again in the writer, with this traceback
                exc.add_note("in the helper process preparing notes:\n" + traceback.format_exc().rstrip())
                _answer(stdout, (False, exc))


def _answer(stdout: BinaryIO, answer: tuple[bool, Any]) -> None:
    ok, value = answer
    try:
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        if not ok:
            pickle.loads(data)
    except Exception:
        if ok:
            raise
        # An error that cannot be sent, or not rebuilt on the other side: its words can.
        words = "".join(traceback.format_exception(value)).rstrip()
        data = pickle.dumps((False, HarvestError(f"preparing notes failed: {value!r}\n{words}")))
    stdout.write(data)
    stdout.flush()


def spare_core() -> bool:
    """Whether this process may use a second core (then the helper prepares pages)."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) >= 2


@dataclass(frozen=True)
class PageToPrepare:
    """A page handed to Preparers.send: its parts, and whether the helper has them."""

    invitation: str
    parts: list[Sequence[Mapping[str, Any]]]
    fetched_at: str
    in_helper: bool
    # Where its answers start among the helper's (see Helper.send).
    first_answer: int = 0


class Preparers:
    """Where the notes stage prepares each page. On entering, the helper starts (on a machine with a second
    core); `begin` says what the pages are prepared for; `send` each page from the main thread as it arrives
    (so the helper can prepare it while the page before is written), then write the parts `parts` yields,
    in order, on the store thread. The helper is stopped when the block ends.
    """

    def __init__(self, venue: VenueConfig) -> None:
        self.venue = venue
        self.decisions_by_forum: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
        self._helper: Helper | None = None
        self.prepared_in_helper = 0

    def begin(self, decisions_by_forum: Mapping[str, Sequence[Mapping[str, Any]]] | None) -> None:
        """The notes outside the pages that their records are read with (2018's venue-wide decisions)."""
        self.decisions_by_forum = decisions_by_forum
        if self._helper is not None:
            self._helper.begin(self.venue, decisions_by_forum)

    def helper_ready(self) -> bool:
        if self._helper is None:
            return False
        try:
            return self._helper.ready()
        except HarvestError:
            # It never started (or died before its first page): the pages are prepared here instead.
            why = self._helper.ended()
            self._helper.close()
            log.warning("the helper process that prepares notes did not start (%s); preparing them here", why)
            self._helper = None
            return False

    def send(self, invitation: str, notes: Sequence[Mapping[str, Any]], fetched_at: str) -> PageToPrepare:
        """The page, sent to the helper if it is ready (else it is prepared on the store thread)."""
        parts = parts_of(notes)
        if not self.helper_ready():
            return PageToPrepare(invitation, parts, fetched_at, in_helper=False)
        assert self._helper is not None
        first = self._helper.send(invitation, parts, fetched_at)
        return PageToPrepare(invitation, parts, fetched_at, in_helper=True, first_answer=first)

    def parts(self, page: PageToPrepare) -> Iterator[PreparedPage]:
        """The page's prepared parts, in order. Left unread (its writing failed), a page's answers are
        dropped when the next page's are read."""
        if not page.in_helper:
            for part in page.parts:
                yield prepare_part(self.venue, page.invitation, part, page.fetched_at, self.decisions_by_forum)
            return
        assert self._helper is not None
        for prepared in self._helper.answers(page.first_answer, len(page.parts)):
            self.prepared_in_helper += len(prepared.notes) + len(prepared.rejected)
            yield prepared

    def stop_helper(self) -> None:
        """A signal stopped the stage: the page being written stops waiting on the helper."""
        if self._helper is not None:
            self._helper.kill()

    def __enter__(self) -> Preparers:
        if spare_core():
            self._helper = Helper()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._helper is not None:
            self._helper.close()


if __name__ == "__main__":
    # The notes stage stops the helper (it kills it, or its stdin closes when the stage's process dies); a
    # stray Ctrl-C must not print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
