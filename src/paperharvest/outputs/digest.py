"""The "best papers" post: the digest's papers as Markdown or as one self-contained HTML page.

Both formats are serialised from one page model (headings and paragraphs of text, bold text and links), so
they say the same thing and link to the same places. Every value from the database is text: the Markdown
writer backslash-escapes what Markdown (and GitHub's autolinks) would read as markup, the HTML writer
escapes with `html.escape`, and only http(s) URLs become links.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

from paperharvest.store.digest import DataVersion, DigestPaper, Selection, Venue

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Sep:
    """The writer's own separator between values (" | ", " · "): markup in neither format, so not escaped."""

    text: str


Inline = Text | Strong | Link | Sep
PIPE, DOT = Sep(" | "), Sep(" · ")
Line = tuple[Inline, ...]


@dataclass(frozen=True)
class PaperBlock:
    heading: Line
    paragraphs: tuple[tuple[str, Line], ...]  # (role, line): the role is the HTML paragraph's class


@dataclass(frozen=True)
class Page:
    title: str
    meta: tuple[Line, ...]
    papers: tuple[PaperBlock, ...]


@dataclass(frozen=True)
class Digest:
    venue: Venue
    selection: Selection
    version: DataVersion
    papers: Sequence[DigestPaper]
    machine_tldr: bool = False


_TLDR_SOURCES = {"semantic-scholar": "Semantic Scholar", "huggingface": "Hugging Face"}
_RANKING_WORDS = {
    "mean-rating": "mean rating",
    "confidence-weighted": "confidence-weighted mean rating",
    "rating-change": "rating change during the rebuttal",
    "reviews": "number of reviews",
}
_SOCIALS = (
    ("Twitter", "first_author_x"),
    ("LinkedIn", "first_author_linkedin"),
    ("GitHub", "first_author_github"),
    ("Website", "first_author_website"),
)


def render(digest: Digest, fmt: Format) -> str:
    page = build_page(digest)
    return render_markdown(page) if fmt == "md" else render_html(page)


def build_page(digest: Digest) -> Page:
    count = len(digest.papers)
    title = f"{digest.venue.name}: {count} paper{'' if count == 1 else 's'}"
    meta: list[Line] = [
        (Strong("Venue:"), Text(f" {digest.venue.name} ({digest.venue.key}, {digest.venue.venue_id})")),
        (Strong("Selection:"), Text(f" {describe_selection(digest.selection, digest.machine_tldr)}")),
        (Strong("Data version:"), Text(f" {describe_version(digest.version)}")),
        (Strong("Made with:"), Text(f" {reproduce_command(digest.venue.key, digest.selection, digest.machine_tldr)}")),
    ]
    if not digest.papers:
        meta.append((Text("No paper matches this selection."),))
    papers = tuple(_paper_block(number, paper, digest) for number, paper in enumerate(digest.papers, start=1))
    return Page(title=title, meta=tuple(meta), papers=papers)


def describe_selection(selection: Selection, machine_tldr: bool) -> str:
    if selection.papers:
        words = [f"{len(selection.papers)} papers chosen by forum id, in the order given"]
    else:
        words = [f"status {selection.status}" if selection.status else "all papers"]
        if selection.presentation:
            words.append(f"presented as {selection.presentation}")
        if selection.keyword:
            words.append(f"keyword “{selection.keyword}”")
        if selection.area:
            words.append(f"primary area “{selection.area}”")
        ranked = f"ranked by {_RANKING_WORDS[selection.by]}"
        words.append(f"top {selection.top} {ranked}" if selection.top is not None else ranked)
    if machine_tldr:
        words.append("machine-written TL;DRs where the authors gave none")
    return ", ".join(words)


def reproduce_command(venue_key: str, selection: Selection, machine_tldr: bool) -> str:
    """The command that makes this digest again (from the same data version)."""
    args = ["paperharvest", "digest", "--venue", venue_key]
    if selection.papers:
        args += ["--papers", ",".join(selection.papers)]
    else:
        for flag, value in (
            ("--status", selection.status),
            ("--presentation", selection.presentation),
            ("--keyword", selection.keyword),
            ("--area", selection.area),
            ("--top", None if selection.top is None else str(selection.top)),
        ):
            if value is not None:
                args += [flag, value]
        if selection.by != "mean-rating":
            args += ["--by", selection.by]
    if machine_tldr:
        args.append("--machine-tldr")
    return shlex.join(args)


def describe_version(version: DataVersion) -> str:
    if version.run_id is None:
        return "unknown (no harvest recorded)"
    run = f"run {version.run_id}" + (f", ended {version.ended_at}" if version.ended_at else ", not ended")
    return f"{version.version} ({run})" if version.version else run


def _paper_block(number: int, paper: DigestPaper, digest: Digest) -> PaperBlock:
    paragraphs: list[tuple[str, Line]] = []
    if paper.author_tldr:
        paragraphs.append(("tldr", (Strong("TL;DR:"), Text(f" {paper.author_tldr}"))))
    elif digest.machine_tldr and paper.machine_tldr:
        source = paper.machine_tldr_source or "unknown"
        label = f"Machine-written TL;DR ({_TLDR_SOURCES.get(source, source)}):"
        paragraphs.append(("tldr machine", (Strong(label), Text(f" {paper.machine_tldr}"))))
    links = _joined([_link("Paper", paper.paper_url), _link("Code", paper.code_url)])
    if links:
        paragraphs.append(("links", links))
    paragraphs.append(("outcome", _outcome(paper, digest.selection)))
    if paper.first_author:
        socials = _joined([_link(label, getattr(paper, column)) for label, column in _SOCIALS])
        author: Line = (Strong("First author:"), Text(f" {paper.first_author}"))
        paragraphs.append(("author", author + ((DOT, *socials) if socials else ())))
    heading: Line = (Text(f"{number}. "), _link(paper.title, paper.openreview_url) or Text(paper.title))
    return PaperBlock(heading=heading, paragraphs=tuple(paragraphs))


def _outcome(paper: DigestPaper, selection: Selection) -> Line:
    parts: list[Inline] = (
        [Strong("Decision:"), Text(f" {paper.decision}")]
        if paper.decision
        else [Strong("Status:"), Text(f" {paper.status}")]
    )
    if paper.presentation:
        parts += [DOT, Strong("Presentation:"), Text(f" {paper.presentation}")]
    parts += [DOT, Strong("Mean rating:")]
    if paper.mean_rating is None:
        parts.append(Text(" none (no rated review)"))
        return tuple(parts)
    reviews = f"{paper.rating_count} review{'' if paper.rating_count == 1 else 's'}"
    text = f" {paper.mean_rating:.2f} from {reviews}"
    if selection.by == "confidence-weighted" and paper.weighted_rating is not None:
        text += f" (confidence-weighted {paper.weighted_rating:.2f})"
    if paper.rating_change is not None:
        text += f", {paper.rating_change:+.2f} during the rebuttal"
    parts.append(Text(text))
    return tuple(parts)


def _joined(links: list[Link | None]) -> tuple[Inline, ...]:
    present = [link for link in links if link is not None]
    out: list[Inline] = []
    for i, link in enumerate(present):
        if i:
            out.append(PIPE)
        out.append(link)
    return tuple(out)


def _link(text: str, url: str | None) -> Link | None:
    safe = safe_url(url)
    return None if safe is None else Link(text, safe)


def safe_url(url: str | None) -> str | None:
    """An absolute http(s) URL with a host and no whitespace, with what could end a Markdown link early
    (parentheses, angle brackets, quotes, non-ASCII) percent-encoded; anything else is not linked."""
    if not url or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return quote(url, safe=":/?#@!$&*+,;=%~-._[]")


# --- Markdown ---------------------------------------------------------------------------------------------

# What inline Markdown (CommonMark + GitHub's tables, strikethrough and `$` math) reads as markup. Every line the writer
# makes starts with its own prefix (`#`, `-`, `**`, `[`), so line-start markers (`#`, `1.`, `+`) never arise.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
# GitHub turns `www.`, `http://`, `mailto:` and `xmpp:` in plain text into links; an escaped `.` or `:` stops
# that. (It also links a bare e-mail address, and no escape stops that: it stays a mailto: link.)
_MD_AUTOLINK = re.compile(r"(?i)\bwww\.|(?<=[a-z0-9])://|\b(?:mailto|xmpp):")


def md_text(value: str) -> str:
    """Inert Markdown text on one line: whitespace runs become one space, every special character escaped."""
    escaped = _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", value))
    return _MD_AUTOLINK.sub(lambda m: m.group(0).replace(".", "\\.").replace(":", "\\:"), escaped)


def _md_inline(item: Inline) -> str:
    if isinstance(item, Strong):
        return f"**{md_text(item.text)}**"
    if isinstance(item, Link):
        return f"[{md_text(item.text)}]({item.url})"
    if isinstance(item, Sep):
        return item.text
    return md_text(item.text)


def _md_line(line: Line) -> str:
    return "".join(_md_inline(item) for item in line)


def render_markdown(page: Page) -> str:
    return "\n".join(_md_lines(page)) + "\n"


def _md_lines(page: Page) -> Iterator[str]:
    yield f"# {md_text(page.title)}"
    yield ""
    yield from (f"- {_md_line(line)}" for line in page.meta)
    for paper in page.papers:
        yield ""
        yield f"## {_md_line(paper.heading)}"
        for _role, line in paper.paragraphs:
            yield ""
            yield _md_line(line)


# --- HTML -------------------------------------------------------------------------------------------------

_CSS = """
body { margin: 0; background: #f6f7f9; color: #1d2330; font: 16px/1.55 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 50rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 1rem; }
ul.meta { list-style: none; padding: 0.75rem 1rem; margin: 0 0 2rem; background: #fff;
  border: 1px solid #dde1e8; border-radius: 8px; font-size: 0.9rem; color: #4a5261; }
ul.meta li { margin: 0.15rem 0; overflow-wrap: anywhere; }
section.paper { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 1rem 1.25rem;
  margin: 0 0 1.25rem; }
section.paper h2 { font-size: 1.25rem; line-height: 1.3; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
section.paper p { margin: 0.4rem 0; overflow-wrap: anywhere; }
a { color: #1a5fb4; text-decoration: none; }
a:hover { text-decoration: underline; }
p.tldr.machine { color: #5b6372; font-style: italic; }
p.outcome { font-size: 0.92rem; color: #4a5261; }
""".strip()


def _html_inline(item: Inline) -> str:
    if isinstance(item, Strong):
        return f"<strong>{html.escape(item.text)}</strong>"
    if isinstance(item, Link):
        return f'<a href="{html.escape(item.url, quote=True)}">{html.escape(" ".join(item.text.split()))}</a>'
    return html.escape(item.text)


def _html_line(line: Line) -> str:
    return "".join(_html_inline(item) for item in line)


def render_html(page: Page) -> str:
    meta = "\n".join(f"<li>{_html_line(line)}</li>" for line in page.meta)
    sections = []
    for paper in page.papers:
        paragraphs = "\n".join(
            f'<p class="{html.escape(role, quote=True)}">{_html_line(line)}</p>' for role, line in paper.paragraphs
        )
        sections.append(f'<section class="paper">\n<h2>{_html_line(paper.heading)}</h2>\n{paragraphs}\n</section>')
    title = html.escape(page.title)
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n"
        f'<h1>{title}</h1>\n<ul class="meta">\n{meta}\n</ul>\n{body}\n</main>\n</body>\n</html>\n'
    )
