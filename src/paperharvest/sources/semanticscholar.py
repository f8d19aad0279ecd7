"""Semantic Scholar's model-written TL;DRs: `POST {api}/paper/batch?fields=externalIds,tldr,title` with
`{"ids": ["ARXIV:<id>", ...]}`, at most 500 ids a request.

Optional (`PAPERHARVEST_CODE_APIS=semanticscholar`), and only for papers whose authors wrote no TL;DR. S2
answers a list in the order asked, `null` for ids it does not know. An API key (`S2_API_KEY`) goes out only
in the `x-api-key` header, which recordings never keep. A source that stops answering is reported once and
left alone for the rest of the run; it never ends the run. Nothing here knows of SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from paperharvest.errors import AuthError, ReplayMissing, UpstreamDataError, UpstreamUnavailable
from paperharvest.net.answers import Service, read_json

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


def _read_batch(response: requests.Response, asked: int, service: Service) -> list[dict[str, Any] | None]:
    what = f"a batch of {asked} ids"
    data: list[Any] = read_json(response, service, what, expect="list")
    if len(data) != asked:
        raise UpstreamDataError(f"Semantic Scholar answered {what} with a list of {len(data)}")
    if not all(entry is None or isinstance(entry, dict) for entry in data):
        raise UpstreamDataError(f"Semantic Scholar answered {what} with entries that are neither objects nor null")
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
    service = Service(
        "Semantic Scholar", setting="PAPERHARVEST_S2_API_URL", credentials="S2_API_KEY", logged_in=bool(api_key)
    )
    for start in range(0, len(arxiv_ids), size):
        batch = list(arxiv_ids[start : start + size])
        body = {"ids": [f"ARXIV:{arxiv_id}" for arxiv_id in batch]}
        try:
            response = session.post(url, params={"fields": S2_FIELDS}, json=body, headers=headers)
            papers = _read_batch(response, len(batch), service)
        except ReplayMissing:
            # A replay that leaves the recording must fail loudly, not pass for a dead source.
            raise
        except (AuthError, UpstreamUnavailable, UpstreamDataError) as exc:
            yield S2Batch(batch, error=f"{exc}; Semantic Scholar skipped for the rest of the run")
            return
        yield S2Batch(batch, papers)
