"""Fuzzing the note normalizers from real note shapes: whatever a note turns into, the answer is a record
that SQLite can store, or the project's own rejection (RejectedNote, quarantined) or config gap
(VenueConfigGap, which stops the run); never a KeyError, a TypeError or a pydantic error.

Seeds are real payloads: ICLR 2020 (v1) and ICLR 2026 (v2) from ../shared/data, and the ICLR 2024 sample
(v2) in tests/fixtures, which is always there. Each example mutates a copy of a seed one to three times:
drop a key, replace a value by any JSON value (huge ints, NaN, lone surrogates, nested junk), send a number
as a numeric string, wrap or nest a value. Derandomized, so a CI run is the same run every time.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperharvest.errors import RejectedNote, VenueConfigGap
from paperharvest.models import NormalizedNote
from paperharvest.normalize.notes import normalize_note
from paperharvest.normalize.notes_v2 import normalize_note_v2
from paperharvest.normalize.values import SQLITE_INT_MAX, SQLITE_INT_MIN
from paperharvest.settings import REPO_CONFIGS
from paperharvest.venues import VenueConfig, load_venue_file
from tests.fakes.iclr2020_venue import ACCEPTED_NOTES_FILE, shared_data_dir

SAMPLE_2024 = Path(__file__).resolve().parent / "fixtures" / "iclr2024_sample" / "notes.json"
RAW_EXAMPLES = "openreview_raw_examples"
V1_EXAMPLES = ("iclr2020_ryxyCeHtPB_guest_v1_directReplies.json", "iclr2020_ryxz8CVYDH_v1_2025_directReplies.json")
V2_EXAMPLE = "iclr2026_zzo3Sy3NSX_v2_2025_replies.json"
# Values a venue config keys on: a mutated one may be a gap in the config, which must stop the run.
CONFIG_FIELDS = {"decision", "venueid", "venue", "rating"}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Normalizer = Callable[[Any], NormalizedNote]

# ---- values -------------------------------------------------------------------------------------------------

_surrogate = st.integers(0xD800, 0xDFFF).map(chr)
_texts = st.one_of(
    st.text(max_size=12),
    st.tuples(st.text(max_size=4), _surrogate, st.text(max_size=4)).map("".join),
    st.from_regex(r"\s?[+-]?\d{1,25}\s?", fullmatch=True),
    st.sampled_from(["", "  ", "8: accept", "6", "1e3", "Accept (Poster)", "Reject", "ICLR 2024 poster"]),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(SQLITE_INT_MAX - 2, SQLITE_INT_MAX + 2),
    st.floats(allow_nan=True, allow_infinity=True),
    _texts,
)
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


# ---- mutations ----------------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _paths(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(node, dict):
        items: Iterator[tuple[str | int, Any]] = iter(node.items())
    elif isinstance(node, list):
        items = iter(enumerate(node))
    else:
        return
    for key, child in items:
        yield (*path, key)
        yield from _paths(child, (*path, key))


def _parent(note: Any, path: Path_) -> Any:
    for key in path[:-1]:
        note = note[key]
    return note


def _nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


def _mutate(data: st.DataObject, note: Any) -> Any:
    if data.draw(st.integers(0, 19), label="replace the whole note") == 0:
        return data.draw(json_values, label="note")
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        # Shallow paths first: shrinking then prefers the paper's own fields to a reply's.
        paths = sorted(_paths(note), key=len)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        parent, key = _parent(note, path), path[-1]
        value = parent[key]
        kind = data.draw(st.sampled_from(["drop", "replace", "surrogate", "numeric", "wrap", "nest", "key"]))
        if kind == "drop":
            del parent[key]
        elif kind == "replace":
            parent[key] = data.draw(json_values, label="value")
        elif kind == "surrogate":
            text = value if isinstance(value, str) else ""
            cut = data.draw(st.integers(0, len(text)), label="at")
            parent[key] = text[:cut] + data.draw(_surrogate) + text[cut:]
        elif kind == "numeric":
            parent[key] = f" {value} " if isinstance(value, int) and not isinstance(value, bool) else "1194"
        elif kind == "wrap":
            parent[key] = {"value": value}
        elif kind == "nest":
            parent[key] = _nested(value, data.draw(st.integers(1, 200), label="depth"))
        elif isinstance(parent, dict):
            parent[f"{key}{data.draw(_surrogate)}"] = parent.pop(key)
    return note


# ---- the property -----------------------------------------------------------------------------------------


def _assert_storable(value: Any) -> None:
    """Every string encodes to UTF-8 and every int fits an SQLite INTEGER: what sqlite3 needs to bind it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            assert SQLITE_INT_MIN <= item <= SQLITE_INT_MAX, item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _record_or_rejection(normalize: Normalizer, note: Any) -> None:
    try:
        record = normalize(note)
    except RejectedNote as exc:
        assert re.fullmatch(r"[a-z0-9_]+", exc.reason), exc.reason
        str(exc).encode("utf-8")  # the message is stored with the raw note and printed
        return
    except VenueConfigGap as exc:
        assert exc.field in CONFIG_FIELDS, exc.field
        str(exc).encode("utf-8")
        return
    assert isinstance(record, NormalizedNote)
    _assert_storable(record.model_dump())
    # The record is what the store writes; its JSON must encode too (assessments are stored as JSON).
    json.dumps(record.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


@functools.cache
def _venue(key: str) -> VenueConfig:
    return load_venue_file(REPO_CONFIGS / f"{key}.toml")


def _shared() -> Path:
    path = shared_data_dir()
    if path is None or not (path / RAW_EXAMPLES).is_dir():
        pytest.skip("../shared/data not found: the v1 and ICLR 2026 seeds are the real payloads CI provides")
    return path


@pytest.fixture(scope="module")
def v1_seeds() -> list[dict[str, Any]]:
    shared = _shared()
    seeds = [json.loads((shared / RAW_EXAMPLES / name).read_text(encoding="utf-8")) for name in V1_EXAMPLES]
    with gzip.open(shared / ACCEPTED_NOTES_FILE, "rt", encoding="utf-8") as fh:
        accepted: list[dict[str, Any]] = json.load(fh)
    # Listing notes without replies, as the accepted-papers file holds them: the first, and one far in.
    return [*seeds, accepted[0], accepted[len(accepted) // 2]]


@pytest.fixture(scope="module")
def v2_real_seed() -> dict[str, Any]:
    seed: dict[str, Any] = json.loads((_shared() / RAW_EXAMPLES / V2_EXAMPLE).read_text(encoding="utf-8"))
    return seed


@pytest.fixture(scope="module")
def v2_sample_seeds() -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = json.loads(SAMPLE_2024.read_text(encoding="utf-8"))["notes"]
    # One note of each venueid (accepted, rejected, withdrawn...): each status takes its own path.
    by_venueid: dict[str, dict[str, Any]] = {}
    for note in notes:
        by_venueid.setdefault(str(note["content"].get("venueid", {}).get("value")), note)
    return list(by_venueid.values())


def test_real_seeds_are_records(v1_seeds: list[dict[str, Any]], v2_real_seed: dict[str, Any]) -> None:
    """Unmutated, every seed normalizes: the fuzzing starts from notes that work."""
    for seed in v1_seeds:
        assert normalize_note(seed, _venue("iclr2020")).paper.title
    assert normalize_note_v2(v2_real_seed, _venue("iclr2026")).reviews


def test_sample_seeds_are_records(v2_sample_seeds: list[dict[str, Any]]) -> None:
    statuses = {normalize_note_v2(seed, _venue("iclr2024")).paper.status for seed in v2_sample_seeds}
    assert len(statuses) >= 3


@FUZZ
@given(data=st.data())
def test_v1_mutated_notes_are_records_or_rejections(data: st.DataObject, v1_seeds: list[dict[str, Any]]) -> None:
    venue = _venue("iclr2020")
    note = _mutate(data, copy.deepcopy(data.draw(st.sampled_from(v1_seeds), label="seed")))
    _record_or_rejection(lambda raw: normalize_note(raw, venue), note)


@FUZZ
@given(data=st.data())
def test_v2_mutated_real_notes_are_records_or_rejections(data: st.DataObject, v2_real_seed: dict[str, Any]) -> None:
    venue = _venue("iclr2026")
    note = _mutate(data, copy.deepcopy(v2_real_seed))
    _record_or_rejection(lambda raw: normalize_note_v2(raw, venue), note)


@FUZZ
@given(data=st.data())
def test_v2_mutated_sample_notes_are_records_or_rejections(
    data: st.DataObject, v2_sample_seeds: list[dict[str, Any]]
) -> None:
    venue = _venue("iclr2024")
    note = _mutate(data, copy.deepcopy(data.draw(st.sampled_from(v2_sample_seeds), label="seed")))
    _record_or_rejection(lambda raw: normalize_note_v2(raw, venue), note)
