"""Semantic Scholar's model-written TL;DRs: `POST {api}/paper/batch?fields=externalIds,tldr,title` with
`{"ids": ["ARXIV:<id>", ...]}`, at most 500 ids a request.

Optional (`PAPERHARVEST_CODE_APIS=semanticscholar`), and only for papers whose authors wrote no TL;DR. S2
answers a list in the order asked, `null` for ids it does not know. An API key (`S2_API_KEY`) goes out only
in the `x-api-key` header, which recordings never keep. A source that stops answering is reported once and
left alone for the rest of the run; it never ends the run. Nothing here knows of SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from paperharvest.errors import ReplayMissing, UpstreamDataError, UpstreamUnavailable

__all__ = ["S2_BATCH_SIZE", "S2_FIELDS", "S2Batch", "fetch_s2_papers"]

S2_BATCH_SIZE = 500  # the API refuses more ids in one request
S2_FIELDS = "externalIds,tldr,title"


@dataclass(frozen=True)
class S2Batch:
    """The answer to one batch: `papers[i]` is S2's entry for `arxiv_ids[i]`, None when S2 does not know it.
    With `error` set the batch went unanswered, and nothing more is asked this run."""

    arxiv_ids: list[str]
    papers: list[dict[str, Any] | None] = field(default_factory=list)
    error: str | None = None


def _error_text(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text[:80]
    if isinstance(data, dict):
        for key in ("error", "message"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return text[:80]


def _read_batch(response: requests.Response, asked: int) -> list[dict[str, Any] | None]:
    status = response.status_code
    what = f"Semantic Scholar answered a batch of {asked} ids"
    try:
        text = response.content.decode("utf-8")
    except UnicodeDecodeError:
        raise UpstreamDataError(f"{what} with HTTP {status} that is not UTF-8") from None
    if status in (401, 403):
        raise UpstreamDataError(f"{what} with HTTP {status} ({_error_text(text)}); is S2_API_KEY right?")
    if status >= 500 or status in (408, 429):
        raise UpstreamUnavailable(f"{what} with HTTP {status}")
    if not 200 <= status < 300:
        raise UpstreamDataError(f"{what} with HTTP {status} ({_error_text(text)})")
    if "json" not in response.headers.get("content-type", ""):
        raise UpstreamDataError(f"{what} with {response.headers.get('content-type') or 'no content type'}, not JSON")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UpstreamDataError(f"{what} with malformed JSON ({exc})") from None
    if not isinstance(data, list) or len(data) != asked:
        raise UpstreamDataError(f"{what} with {type(data).__name__} of {len(data) if isinstance(data, list) else 0}")
    if not all(entry is None or isinstance(entry, dict) for entry in data):
        raise UpstreamDataError(f"{what} with entries that are neither objects nor null")
    return data


def fetch_s2_papers(
    session: requests.Session,
    base_url: str,
    arxiv_ids: Sequence[str],
    *,
    api_key: str | None = None,
    batch_size: int = S2_BATCH_SIZE,
) -> Iterator[S2Batch]:
    """S2's entries for `arxiv_ids`, `batch_size` (≤ 500) ids a request, one S2Batch a request. The first
    batch that fails yields an S2Batch with `error` set and ends the iteration."""
    size = max(1, min(batch_size, S2_BATCH_SIZE))
    url = f"{base_url.rstrip('/')}/paper/batch"
    headers = {"x-api-key": api_key} if api_key else {}
    for start in range(0, len(arxiv_ids), size):
        batch = list(arxiv_ids[start : start + size])
        body = {"ids": [f"ARXIV:{arxiv_id}" for arxiv_id in batch]}
        try:
            response = session.post(url, params={"fields": S2_FIELDS}, json=body, headers=headers)
            papers = _read_batch(response, len(batch))
        except ReplayMissing:
            # A replay that leaves the recording must fail loudly, not pass for a dead source.
            raise
        except (UpstreamUnavailable, UpstreamDataError) as exc:
            yield S2Batch(batch, error=f"{exc}; Semantic Scholar skipped for the rest of the run")
            return
        yield S2Batch(batch, papers)
