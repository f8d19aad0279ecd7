"""Code-link APIs keyed by arXiv id: Hugging Face papers and the read-only Papers with Code mirror.

Both are optional extras. A source that stops answering is reported once and left alone for the rest of the
run; it never ends the run. Payloads are yielded raw (normalize/links.py reads them) and nothing here knows
of SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import requests

from paperharvest.errors import ReplayMissing, UpstreamDataError, UpstreamUnavailable
from paperharvest.net.answers import Service, read_json

__all__ = ["CodeApiAnswer", "CodeSource", "fetch_code_apis", "fetch_hf_paper", "fetch_pwc_paper"]

CodeSource = Literal["huggingface", "paperswithcode"]
_Fetch = Callable[[requests.Session, str, str], "dict[str, Any] | None"]


@dataclass(frozen=True)
class CodeApiAnswer:
    """One source's answer about one arXiv id: `payload` None with no `error` means "not indexed" (404)."""

    source: CodeSource
    arxiv_id: str
    payload: dict[str, Any] | None
    error: str | None = None


def _paper_url(base_url: str, arxiv_id: str) -> str:
    # Old-style ids (cs/0112017) keep their slash: both APIs take everything after /papers/ as the id.
    return f"{base_url.rstrip('/')}/papers/{quote(arxiv_id, safe='/')}"


_SERVICES: dict[CodeSource, Service] = {
    "huggingface": Service("Hugging Face", setting="PAPERHARVEST_HF_API_URL"),
    "paperswithcode": Service("Papers with Code", setting="PAPERHARVEST_PWC_API_URL"),
}


def _read_paper(response: requests.Response, source: CodeSource, arxiv_id: str) -> dict[str, Any] | None:
    # A 404 is "not indexed" only in the API's own JSON: the reader refuses a web server's HTML 404, which a
    # wrong base URL would otherwise turn into "no paper has code" for the whole run.
    data: dict[str, Any] = read_json(response, _SERVICES[source], f"the paper {arxiv_id}", passing=frozenset({404}))
    return None if response.status_code == 404 else data


def fetch_hf_paper(session: requests.Session, base_url: str, arxiv_id: str) -> dict[str, Any] | None:
    """GET `{base_url}/papers/{arxiv_id}` (base_url like https://huggingface.co/api); None when not indexed."""
    return _read_paper(session.get(_paper_url(base_url, arxiv_id)), "huggingface", arxiv_id)


def fetch_pwc_paper(session: requests.Session, base_url: str, arxiv_id: str) -> dict[str, Any] | None:
    """GET `{base_url}/papers/{arxiv_id}?include_resources=true` (base_url like https://paperswithcode.co/api/v1);
    None when not indexed. Without include_resources the answer leaves out `repositories`, the part we want."""
    response = session.get(_paper_url(base_url, arxiv_id), params={"include_resources": "true"})
    return _read_paper(response, "paperswithcode", arxiv_id)


def fetch_code_apis(
    session: requests.Session, *, hf_base: str | None, pwc_base: str | None, arxiv_ids: Sequence[str]
) -> Iterator[CodeApiAnswer]:
    """Each enabled source's answer for each id, id by id. A `None` base disables that source.

    A source that fails (unavailable after the adapter's retries, or answering garbage) yields one answer
    with `error` set and is asked nothing more: a dead API would otherwise cost every remaining id its full
    retry budget.
    """
    sources: list[tuple[CodeSource, str, _Fetch]] = []
    if hf_base is not None:
        sources.append(("huggingface", hf_base, fetch_hf_paper))
    if pwc_base is not None:
        sources.append(("paperswithcode", pwc_base, fetch_pwc_paper))
    dead: set[CodeSource] = set()
    for arxiv_id in arxiv_ids:
        for source, base, fetch in sources:
            if source in dead:
                continue
            try:
                payload = fetch(session, base, arxiv_id)
            except ReplayMissing:
                # A replay that leaves the recording must fail loudly, not pass for a dead source.
                raise
            except (UpstreamUnavailable, UpstreamDataError) as exc:
                dead.add(source)
                yield CodeApiAnswer(
                    source, arxiv_id, None, f"{exc}; {_SERVICES[source].name} skipped for the rest of the run"
                )
                continue
            yield CodeApiAnswer(source, arxiv_id, payload)
