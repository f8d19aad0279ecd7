"""Reading single JSON values the way every normalizer must: v2's `{"value": ...}` wrapper, numbers that
arrive as numeric strings, and text SQLite cannot store.

Rules of the project, written once: a value that does not fit its field is a rejection (RejectedNote),
never a silent NULL and never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paperharvest.errors import RejectedNote
from paperharvest.json_text import holds_no_lone_surrogate

# What an SQLite INTEGER holds; a larger int makes sqlite3 raise OverflowError at insert time.
SQLITE_INT_MIN, SQLITE_INT_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"\s*[+-]?\d{1,25}\s*\Z")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def content_value(value: Any) -> Any:
    """`{"value": x}` -> x. Anything else is returned as it is (v1 content, or a v2 field without a value)."""
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


def unwrap_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 content object with every field unwrapped; a v1 one comes back unchanged."""
    return {key: content_value(value) for key, value in content.items()}


def show(value: Any) -> str:
    """A value for a message: its repr, cut short (a rejected field may hold a whole nested object)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_int(value: Any, what: str) -> int | None:
    """An integer field: an int, an integral float, or a numeric string ("1194"); None or "" when absent.

    A bool (an int to Python, never a count to OpenReview), any other string, a list or an object, and an
    int SQLite cannot store are rejected.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RejectedNote("bad_type", f"{what} is a boolean, not a number: {value!r}")
    if (isinstance(value, float) and math.isfinite(value) and value.is_integer()) or (
        isinstance(value, str) and _INTEGER.match(value)
    ):
        value = int(value)
    if not isinstance(value, int):
        raise RejectedNote("bad_number", f"{what} is not a number: {show(value)}")
    if not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        raise RejectedNote("bad_number", f"{what} is out of range: {show(value)}")
    return value


def ms_to_datetime(value: Any, what: str = "a timestamp") -> datetime | None:
    """OpenReview times are milliseconds since the epoch, UTC; a numeric string is read as its number."""
    millis = value if isinstance(value, float) else read_int(value, what)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RejectedNote("bad_time", f"{what} is not a time: {show(value)}") from None


def clean_text(value: Any) -> str | None:
    """Trimmed text, or None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    return value or None


def note_times(note: Mapping[str, Any], where: str) -> dict[str, datetime | None]:
    """A note's `created_at` (cdate, else tcdate) and `modified_at` (tmdate), as its record's fields."""
    return {
        "created_at": ms_to_datetime(note.get("cdate") or note.get("tcdate"), f"{where}: cdate"),
        "modified_at": ms_to_datetime(note.get("tmdate"), f"{where}: tmdate"),
    }


def read_text(value: Any, what: str) -> str | None:
    """A text field of a note, as clean_text reads it; anything but a string (or null) is rejected."""
    if value is None or isinstance(value, str):
        return clean_text(value)
    raise RejectedNote("bad_type", f"{what} is a {type(value).__name__}, not text: {show(value)}")


def read_text_list(value: Any, what: str) -> list[str]:
    """A list of text items (a journal's certifications), each trimmed, blanks and repeats left out; null is
    empty. Anything else, or an item that is not text, is rejected."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RejectedNote("bad_type", f"{what} is a {type(value).__name__}, not a list: {show(value)}")
    items = (read_text(item, what) for item in value)
    return list(dict.fromkeys(item for item in items if item))


def reject_lone_surrogates(payload: Any, what: str) -> None:
    """Raise RejectedNote when any string (key or value) anywhere in `payload` holds a lone surrogate.

    json.loads turns an unpaired `\\ud800` escape into a str that cannot be encoded as UTF-8: SQLite and
    `json.dumps(ensure_ascii=False)` raise UnicodeEncodeError on it when the raw note or a record is saved.
    Such a note is rejected rather than repaired (U+FFFD would store text upstream never sent).
    Iterative, so a deeply nested payload cannot exhaust the stack.
    """
    if not _holds_lone_surrogate(payload):
        return
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                raise RejectedNote("lone_surrogate", f"{what}: {_where(path)} holds a lone surrogate")
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                    raise RejectedNote("lone_surrogate", f"{what}: a key under {_where(path)} holds a lone surrogate")
                stack.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{index}]", child) for index, child in enumerate(item))


def _holds_lone_surrogate(payload: Any) -> bool:
    """Whether any string in `payload` holds a lone surrogate: orjson says no for almost every note (by
    writing it, 0.01 s for a whole venue). It also refuses integers beyond 64 bits and nesting deeper than
    254 levels; for those this walk answers without building the path of every value, which for a deeply
    nested payload grows with its depth (quadratic). The concrete types first: json.loads makes dicts, lists
    and strs, and an ABC check per value is slow."""
    if holds_no_lone_surrogate(payload):
        return False
    stack = [payload]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is list:
            stack.extend(item)
        elif isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif kind is dict or isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and not key.isascii() and _SURROGATE.search(key):
                    return True
                if isinstance(child, str):
                    if not child.isascii() and _SURROGATE.search(child):
                        return True
                elif child is not None and not isinstance(child, int | float):
                    stack.append(child)
    return False


def _where(path: str) -> str:
    if not path:
        return "the note"
    return path if len(path) <= 120 else "..." + path[-117:]
