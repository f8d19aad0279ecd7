"""The one answer reader (net/answers.py): one status means one error kind whoever asked, every error names
the service, what was asked, the page and the URL without its secrets; and the sources read through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from paperharvest.cli import main
from paperharvest.errors import AuthError, HarvestError, UpstreamDataError, UpstreamUnavailable
from paperharvest.net import Network
from paperharvest.net.answers import Service, read_json, read_text
from paperharvest.net.policy import RetryPolicy
from paperharvest.sources.arxiv import ArxivPacer, fetch_arxiv_feed
from paperharvest.sources.codelinks import fetch_hf_paper
from paperharvest.sources.openreview import LOGIN_HINT
from paperharvest.sources.semanticscholar import fetch_s2_papers
from tests.fakes import arxiv_server as fa
from tests.fakes import code_apis as fc
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.code_apis import FakeCodeApis
from tests.fakes.github_s2 import FakeSemanticScholar
from tests.fakes.openreview_v1 import CHALLENGE_HTML, TEST_PASSWORD, TEST_USER, FakeOpenReview, html_page, server_error
from tests.fakes.record_sample import load_sample_venue
from tests.helpers import scalar

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
URL = "https://api.example.org/v1/things?api_key=S3CRET-KEY&q=graphs"
KEYED = Service("Example", setting="EXAMPLE_URL", credentials="EXAMPLE_KEY", login_hint="set EXAMPLE_KEY")
OPEN = Service("Example", setting="EXAMPLE_URL")


def answer(status: int, body: str | bytes, content_type: str = JSON, url: str = URL) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"content-type": content_type})
    response._content = body.encode("utf-8") if isinstance(body, str) else body
    response.url = url
    response.request = requests.Request("GET", url).prepare()
    return response


# ---- status -> kind ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthError),
        (403, AuthError),
        (408, UpstreamUnavailable),
        (429, UpstreamUnavailable),
        (500, UpstreamUnavailable),
        (503, UpstreamUnavailable),
        (400, UpstreamDataError),
        (404, UpstreamDataError),
        (410, UpstreamDataError),
        (302, UpstreamDataError),
    ],
)
def test_each_status_has_one_kind(status: int, kind: type[HarvestError]) -> None:
    with pytest.raises(kind) as raised:
        read_json(answer(status, '{"name": "SomeError", "message": "it went wrong"}'), KEYED, "the things")
    assert type(raised.value) is kind
    message = str(raised.value)
    assert message.startswith(f"Example answered the things with HTTP {status} SomeError: it went wrong")
    assert "[GET https://api.example.org/v1/things?api_key=REDACTED&q=graphs]" in message


def test_a_service_without_credentials_reads_a_refusal_as_a_data_error() -> None:
    with pytest.raises(UpstreamDataError, match="HTTP 403"):
        read_json(answer(403, "Forbidden", "text/plain"), OPEN, "the things")


def test_errors_name_the_url_without_its_secrets() -> None:
    url = "https://someone:pa55@api.example.org/x?access_token=T0KEN&api_key=K3Y&q=graphs"
    with pytest.raises(UpstreamUnavailable) as raised:
        read_json(answer(503, "<html>down for maintenance</html>", HTML, url), OPEN, "the things")
    message = str(raised.value)
    for secret in ("pa55", "someone", "T0KEN", "K3Y"):
        assert secret not in message
    assert "GET https://api.example.org/x?access_token=REDACTED&api_key=REDACTED&q=graphs" in message
    assert "'<html>down for maintenance</html>'" in message


# ---- body kinds -------------------------------------------------------------------------------------------------


def test_json_must_be_json_of_the_expected_shape() -> None:
    assert read_json(answer(200, '{"a": 1}'), OPEN, "x") == {"a": 1}
    assert read_json(answer(200, "[1, null]"), OPEN, "x", expect="list") == [1, None]
    with pytest.raises(UpstreamDataError, match="JSON that is not an object"):
        read_json(answer(200, "[1]"), OPEN, "x")
    with pytest.raises(UpstreamDataError, match="JSON that is not a list"):
        read_json(answer(200, "{}"), OPEN, "x", expect="list")
    with pytest.raises(UpstreamDataError, match="malformed JSON"):
        read_json(answer(200, '{"notes": [1, 2'), OPEN, "x")
    with pytest.raises(UpstreamDataError, match="an HTML page, not JSON, starting '<html>oops'"):
        read_json(answer(200, "<html>oops", JSON), OPEN, "x")
    with pytest.raises(UpstreamDataError, match="text/plain, not JSON"):
        read_json(answer(200, "hello", "text/plain"), OPEN, "x")
    with pytest.raises(UpstreamDataError, match="not UTF-8"):
        read_json(answer(200, b'{"a": "\xff"}'), OPEN, "x")
    # Python's json reads these words, JSON has none of them, and a stored note could only hold them as null.
    for word in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(UpstreamDataError, match=f"malformed JSON .{word} is not a JSON value"):
            read_json(answer(200, f'{{"notes": [{{"rating": {word}}}]}}'), OPEN, "x")
    with pytest.raises(UpstreamDataError, match=r"malformed JSON \(-1e999 is too large for a number"):
        read_json(answer(200, '{"notes": [{"rating": -1e999}]}'), OPEN, "x")
    assert read_json(answer(200, '{"r": 1.5e300}'), OPEN, "x") == {"r": 1.5e300}


def test_a_passing_404_must_still_be_the_apis_own_json() -> None:
    response = answer(404, '{"error": "Not Found"}')
    assert read_json(response, OPEN, "x", passing=frozenset({404})) == {"error": "Not Found"}
    with pytest.raises(UpstreamDataError, match=r"HTTP 404 and an HTML page, not JSON.*check EXAMPLE_URL"):
        read_json(answer(404, "<html>no such page</html>", HTML), OPEN, "x", passing=frozenset({404}))


def test_text_must_not_be_html() -> None:
    assert read_text(answer(200, "<?xml version='1.0'?><feed/>", "application/atom+xml"), OPEN, "x", kind="a feed")
    with pytest.raises(UpstreamDataError, match="an HTML page, not an Atom feed"):
        read_text(answer(200, "<!DOCTYPE html><html></html>", "text/xml"), OPEN, "x", kind="an Atom feed")


# ---- challenges: the login hint only when no credentials were set -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [(200, CHALLENGE_HTML, HTML), (403, '{"name": "ChallengeRequiredError", "message": "Please complete"}', JSON)],
)
def test_a_challenge_tells_a_guest_to_log_in_and_a_logged_in_session_that_it_was_challenged(
    status: int, body: str, content_type: str
) -> None:
    guest = Service("OpenReview", credentials="OPENREVIEW_USERNAME", login_hint=LOGIN_HINT)
    with pytest.raises(AuthError) as as_guest:
        read_json(answer(status, body, content_type), guest, "the notes")
    assert LOGIN_HINT in str(as_guest.value)
    member = Service("OpenReview", credentials="OPENREVIEW_USERNAME", login_hint=LOGIN_HINT, logged_in=True)
    with pytest.raises(AuthError) as as_member:
        read_json(answer(status, body, content_type), member, "the notes")
    assert "challenged a logged-in session" in str(as_member.value)
    assert "OPENREVIEW_USERNAME" not in str(as_member.value)


def test_a_challenge_mid_run_with_credentials_does_not_ask_for_them(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ph.db"
    with FakeOpenReview(load_sample_venue(), guest_gate="json") as fake:
        fake_env(fake.url, OPENREVIEW_USERNAME=TEST_USER, OPENREVIEW_PASSWORD=TEST_PASSWORD)
        fake.inject(html_page(match={"invitation": "ICLR.cc/2020/Conference/-/Withdrawn_Submission"}))
        assert main(["fetch", "--venue", "iclr2020", "--db", str(db), "--stages", "notes", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "OpenReview answered the notes of ICLR.cc/2020/Conference/-/Withdrawn_Submission" in err
    assert "challenged a logged-in session" in err and "OPENREVIEW_USERNAME" not in err
    assert scalar(db, "SELECT outcome FROM runs") == "failed"


# ---- 408 is "unavailable" for every source ---------------------------------------------------------------------

# A policy that does not retry 408: whatever the adapter lets through, the reader classifies the same way.
NO_408 = RetryPolicy(max_retries=0, backoff_base=0.01, statuses=frozenset({503}))


def test_408_from_openreview_is_retried_then_unavailable(
    tmp_path: Path, fake_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.db")
    with FakeOpenReview(load_sample_venue()) as fake:
        fake_env(fake.url, PAPERHARVEST_MAX_RETRIES="1")
        fake.inject(server_error(408, times=1))
        assert main(["fetch", "--venue", "iclr2020", "--db", db, "--stages", "notes", "-q"]) == 0
        fake.inject(server_error(408, times=None))
        assert main(["fetch", "--venue", "iclr2020", "--db", db, "--stages", "notes", "-q"]) == 4
    assert "HTTP 408 after 2 attempts" in capsys.readouterr().err


def test_408_from_arxiv_and_the_code_apis_is_unavailable_too() -> None:
    with FakeArxiv() as arxiv:
        arxiv.inject(fa.Fault(status=408, body="Request Timeout", content_type="text/plain"))
        with pytest.raises(UpstreamUnavailable, match=r"arXiv answered .* HTTP 408"):
            fetch_arxiv_feed(Network(NO_408, 30).session(), arxiv.query_url, {"id_list": "2001.00001"}, ArxivPacer(0))
    with FakeCodeApis({}, {}) as code:
        code.inject(fc.CodeApiFault(api="hf", status=408, body="{}", content_type=JSON))
        with pytest.raises(UpstreamUnavailable, match=r"Hugging Face answered the paper 2001\.00001 with HTTP 408"):
            fetch_hf_paper(Network(NO_408, 30).session(), code.hf_base, "2001.00001")


def test_a_refused_s2_key_skips_semantic_scholar_without_ending_the_run() -> None:
    with FakeSemanticScholar({}, api_key="the-right-key") as s2:
        session = Network(NO_408, 30).session()
        batches = list(fetch_s2_papers(session, s2.base, ["2001.00001"], api_key="s2-wr0ng-key"))
    assert len(batches) == 1 and batches[0].error is not None
    assert "Semantic Scholar answered a batch of 1 ids with HTTP 403" in batches[0].error
    assert "check S2_API_KEY" in batches[0].error and "s2-wr0ng-key" not in batches[0].error
