"""The labelled attribution corpus (tests/fixtures/attribution) and its score: shared by tests and benchmarks.

`evaluate()` reads every listing (a page as one person lists it), runs owners + attribution over the whole
corpus at once (cross-page evidence needs every page) and compares what would be shown with the labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperharvest.models import Candidate, GitHubUser, PersonEvidence, ProfileField
from paperharvest.normalize.attribution import (
    account_key,
    attribute,
    chosen_accounts,
    read_page,
)

CORPUS = Path(__file__).parent / "fixtures" / "attribution"

Account = tuple[str, str]
# The labels give only what an answer says; the rest of a GitHub answer is as for a user with no blog.
GITHUB_USER_DEFAULTS = {"name": None, "blog": None, "twitter_username": None, "kind": "user"}


@dataclass
class Score:
    """Precision and recall of the shown accounts over the corpus, plus the owner outcomes' accuracy."""

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    owner_right: int = 0
    owner_total: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        shown = self.true_positive + self.false_positive
        return self.true_positive / shown if shown else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0

    @property
    def owner_accuracy(self) -> float:
        return self.owner_right / self.owner_total if self.owner_total else 1.0


def load_labels() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    return data


def people(labels: dict[str, Any] | None = None) -> list[PersonEvidence]:
    """Every labelled person as attribution's input: names, profile links, their listed page read for them."""
    labels = labels or load_labels()
    by_person: dict[str, list[dict[str, Any]]] = {}
    for item in labels["listings"]:
        by_person.setdefault(item["person"], []).append(item)
    out = []
    for person_id, record in labels["people"].items():
        names = [entry["fullname"] for entry in record["names"]]
        pages = [
            read_page((CORPUS / item["page"]).read_bytes(), item["url"], names) for item in by_person.get(person_id, [])
        ]
        out.append(
            PersonEvidence(
                person_id=person_id,
                names=names,
                profile=[ProfileField(kind=kind, url=url) for kind, url in sorted(record["profile"].items())],
                pages=pages,
                github_users=[GitHubUser(**{**GITHUB_USER_DEFAULTS, **user}) for user in record["github_users"]],
            )
        )
    return out


def _key(account: Account) -> Account:
    return account_key(*account)


def evaluate(candidates: list[Candidate] | None = None) -> Score:
    labels = load_labels()
    inputs = people(labels)
    shown = chosen_accounts(candidates if candidates is not None else attribute(inputs))
    score = Score()
    expected: dict[str, set[Account]] = {}
    for item in labels["listings"]:
        expected.setdefault(item["person"], set()).update(_key((p, h)) for p, h in item["accounts"])
    for person in inputs:
        for page in person.pages:
            listing = next(i for i in labels["listings"] if i["person"] == person.person_id and i["url"] == page.url)
            score.owner_total += 1
            if page.owner.outcome == listing["owner"]:
                score.owner_right += 1
            else:
                score.wrong.append(
                    f"owner {listing['page']} for {person.person_id}: {page.owner.outcome} "
                    f"(want {listing['owner']}) {page.owner.evidence}"
                )
    for person_id in sorted(labels["people"]):
        got = {_key(a) for a in shown.get(person_id, set())}
        want = expected.get(person_id, set())
        score.true_positive += len(got & want)
        for account in sorted(got - want):
            score.false_positive += 1
            score.wrong.append(f"shown but wrong: {person_id} {account}")
        for account in sorted(want - got):
            score.false_negative += 1
            score.wrong.append(f"missed: {person_id} {account}")
    return score


if __name__ == "__main__":
    result = evaluate()
    print("\n".join(result.wrong))
    print(
        f"precision {result.precision:.3f}  recall {result.recall:.3f}  "
        f"owner accuracy {result.owner_accuracy:.3f} ({result.owner_right}/{result.owner_total})  "
        f"tp {result.true_positive} fp {result.false_positive} fn {result.false_negative}"
    )
