"""Code-link APIs keyed by arXiv id: Hugging Face papers and the read-only Papers with Code mirror.

Both are optional extras. A source that stops answering is reported once and left alone for the rest of the
run; it never ends the run. Payloads are yielded raw (normalize/links.py reads them) and nothing here knows
of SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import requests

from paperharvest.errors import ReplayMissing, UpstreamDataError, UpstreamUnavailable

__all__ = ["CodeApiAnswer", "CodeSource", "fetch_code_apis", "fetch_hf_paper", "fetch_pwc_paper"]

CodeSource = Literal["huggingface", "paperswithcode"]
_Fetch = Callable[[requests.Session, str, str], "dict[str, Any] | None"]
_NAMES: dict[CodeSource, str] = {"huggingface": "Hugging Face", "paperswithcode": "Papers with Code"}


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


def _read_paper(response: requests.Response, source: CodeSource, arxiv_id: str) -> dict[str, Any] | None:
    name, status = _NAMES[source], response.status_code
    what = f"{name} answered the paper {arxiv_id}"
    content_type = response.headers.get("content-type", "")
    try:
        # JSON is UTF-8 by its RFC; requests would guess a charset when the header names none.
        text = response.content.decode("utf-8")
    except UnicodeDecodeError:
        raise UpstreamDataError(f"{what} with HTTP {status} that is not UTF-8") from None
    is_html = "html" in content_type or text.lstrip()[:1] == "<"
    if status == 404:
        # An HTML 404 is a web server's page, not the API's "not indexed": a wrong base URL would otherwise
        # read as "no paper has code" for the whole run.
        if is_html:
            raise UpstreamDataError(f"{what} with an HTML 404 page; is the API base URL right?")
        return None
    if status >= 500 or status in (408, 429):
        raise UpstreamUnavailable(f"{what} with HTTP {status}")
    if not 200 <= status < 300:
        raise UpstreamDataError(f"{what} with HTTP {status} (starts {text[:60]!r})")
    if "json" not in content_type or is_html:
        raise UpstreamDataError(f"{what} with {content_type or 'no content type'}, not JSON (starts {text[:60]!r})")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UpstreamDataError(f"{what} with malformed JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UpstreamDataError(f"{what} with JSON that is not an object")
    return data


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
                yield CodeApiAnswer(source, arxiv_id, None, f"{exc}; {_NAMES[source]} skipped for the rest of the run")
                continue
            yield CodeApiAnswer(source, arxiv_id, payload)
