"""The one compact JSON encoder: orjson's speed, json's bytes (so stored hashes never depend on the encoder)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from paperharvest.json_text import compact_json, holds_no_lone_surrogate

JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

# Every value json.loads can make: floats of every size (those below 1e-4 are where orjson writes another
# form), integers beyond 64 bits (orjson refuses them), any text, lone surrogates included.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e-5, 9.99e-5, 2.5e-7, 1e-10, 1e16, 0.0001, -0.0, 123456789012345.6])
    | st.text()
    | st.sampled_from(["lr 1e-5", "0.00001 s", "\ud800", "x\udfffy", "\u2028", "\x7f\x1f"])
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
)


@settings(max_examples=600, deadline=None)
@given(values)
def test_compact_json_writes_exactly_what_json_writes(value: Any) -> None:
    assert compact_json(value) == JSON.encode(value)


def test_compact_json_keeps_key_order_and_nesting_beyond_orjsons_depth() -> None:
    deep: Any = "end"
    for _ in range(300):  # orjson stops at 254 levels; json goes on
        deep = [deep]
    value = {"z": 1, "a": [deep], "é": "ü"}
    assert compact_json(value) == JSON.encode(value)
    assert compact_json(value).startswith('{"z":1,"a":[[[')


@given(values)
def test_no_lone_surrogate_is_only_said_of_values_without_one(value: Any) -> None:
    if holds_no_lone_surrogate(value):
        JSON.encode(value).encode("utf-8")  # would raise on a lone surrogate


def test_a_lone_surrogate_anywhere_is_never_said_absent() -> None:
    for value in ["\ud800", {"k": ["a", {"x": "b\udc00"}]}, {"\ud83d": 1}]:
        assert not holds_no_lone_surrogate(value)
    assert holds_no_lone_surrogate({"k": ["a", json.loads('"\\ud83d\\ude00"'), 1.5, None, 2**63 - 1]})
