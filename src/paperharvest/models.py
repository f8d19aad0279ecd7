"""The pydantic records that flow from normalize to store. One class a table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from paperharvest.venues import Presentation, Status


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PaperAuthor(Record):
    """An author as the submission lists them: name and id as given (an e-mail in 2020); either may be missing."""

    forum_id: str
    position: int
    author_id: str | None
    name: str | None


class Author(Record):
    """One author id; richer profile data comes from the profile stage later."""

    author_id: str
    name: str | None
    email_domain: str | None


class Review(Record):
    review_id: str
    forum_id: str
    reviewer: str
    rating: int | None
    rating_label: str | None
    confidence: int | None
    title: str | None
    text: str | None
    assessments: dict[str, Any]
    created_at: datetime | None
    modified_at: datetime | None


class Decision(Record):
    decision_id: str
    forum_id: str
    decision: str
    comment: str | None
    created_at: datetime | None
    modified_at: datetime | None


class Paper(Record):
    forum_id: str
    venue: str
    number: int | None
    title: str
    abstract: str | None
    tldr: str | None
    keywords: list[str]
    pdf_url: str | None
    status: Status
    presentation: Presentation | None
    decision: str | None
    code_url: str | None
    invitation: str
    created_at: datetime | None
    modified_at: datetime | None


class NormalizedNote(Record):
    """Everything one submission note (with its direct replies) turns into."""

    paper: Paper
    paper_authors: list[PaperAuthor]
    authors: list[Author]
    reviews: list[Review]
    decision: Decision | None
