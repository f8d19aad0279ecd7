"""Whose page is it (normalize/owners.py)."""

from __future__ import annotations

import pytest

from paperharvest.normalize.owners import handle_similarity, name_similarity, page_owner, site_label
from tests.attribution_corpus import evaluate


def _page(title: str, h1: str = "", body: str = "", head: str = "") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body><h1>{h1}</h1>{body}</body></html>"


def test_own_page_from_title_and_heading_with_accents_and_order_folded() -> None:
    owner = page_owner(
        _page("Ruiz García, Carmen", "Carmen Ruiz García"), "https://uni.example/", ["Carmen Ruiz Garcia"]
    )
    assert (owner.outcome, owner.score) == ("own", 100.0)
    assert {"title:own", "h1:own"} <= set(owner.evidence)


def test_any_of_the_profile_names_counts() -> None:
    html = _page("Babatunde Adeyemi", "Babatunde Adeyemi")
    assert page_owner(html, "https://b.example/", ["Tunde Adeyemi"]).outcome == "other"
    assert page_owner(html, "https://b.example/", ["Tunde Adeyemi", "Babatunde Adeyemi"]).outcome == "own"


def test_a_title_naming_someone_else_is_their_page() -> None:
    owner = page_owner(_page("About me - Carmen Ruiz"), "https://cruiz.github.io/", ["Arjun Mehta"])
    assert (owner.outcome, owner.owner) == ("other", "Carmen Ruiz")


def test_the_host_of_a_personal_site_names_its_owner() -> None:
    html = _page("Home", "Welcome")
    assert page_owner(html, "https://cruiz.github.io/", ["Carmen Ruiz"]).outcome == "own"
    # a site named after someone else is recorded, not counted: nicknames and projects make sites too
    other = page_owner(html, "https://cruiz.github.io/", ["Arjun Mehta"])
    assert (other.outcome, other.evidence) == ("none", ["host:other"])


def test_json_ld_person_names_the_owner() -> None:
    head = '<script type="application/ld+json">{"@type": "Person", "name": "Liam O\'Connor"}</script>'
    assert page_owner(_page("Research", "Research", head=head), "https://l.example/", ["Liam OConnor"]).outcome == "own"
    assert page_owner(_page("Research", "Research", head=head), "https://l.example/", ["Ana Lopes"]).outcome == "other"


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("Hannah Whitcombe &amp; Tobias Lindqvist", ["Tobias Lindqvist"]),
        ("Anna und Ben Meyer", ["Anna Meyer"]),
        ("People | Vision Lab", ["Ben Carter"]),
    ],
)
def test_shared_and_lab_pages_are_group_pages(title: str, names: list[str]) -> None:
    assert page_owner(_page(title, title), "https://g.example/", names).outcome == "group"


def test_an_advisors_page_listing_the_student_is_a_group_page_and_otherwise_the_advisors() -> None:
    html = _page(
        "Jane Okafor",
        "Prof. Jane Okafor",
        "<ul><li>Liang Chen (PhD)</li><li>Sven Olsen (PhD)</li><li>Aylin Yilmaz</li></ul>",
    )
    assert page_owner(html, "https://u.example/~okafor/", ["Liang Chen"]).outcome == "group"
    assert page_owner(html, "https://u.example/~okafor/", ["Marco Greco"]).outcome == "other"
    # the advisor's own page stays hers although it lists people
    assert page_owner(html, "https://u.example/~okafor/", ["Jane Okafor"]).outcome == "own"


def test_a_page_naming_nobody_has_no_owner() -> None:
    owner = page_owner(_page("Under construction", "Coming soon"), "https://p.example/", ["Paula Mendes"])
    assert (owner.outcome, owner.owner) == ("none", None)


def test_cjk_titles_and_latin_names_in_parentheses() -> None:
    html = _page("王伟的主页", "王伟 (Wei Wang)")
    assert page_owner(html, "https://w.example/", ["Wei Wang"]).outcome == "own"
    assert page_owner(html, "https://w.example/", ["Wei Wang", "王伟"]).outcome == "own"
    assert page_owner(html, "https://w.example/", ["Ming Li"]).outcome == "other"


def test_name_and_handle_similarity() -> None:
    assert name_similarity("Homepage of C. Ruiz", ["Carmen Ruiz"]) >= 80
    assert name_similarity("Graph Neural Networks", ["Carmen Ruiz"]) < 50
    assert handle_similarity("alexrenda_ml", ["Alex Renda"]) >= 85
    assert handle_similarity("arenda", ["Alex Renda"]) >= 85
    assert handle_similarity("alex-renda-4b1a2c", ["Alex Renda"]) >= 85
    assert handle_similarity("quantumfox", ["Alex Renda"]) < 60
    assert handle_similarity("renda-lab", ["Alex Renda"]) == 0.0
    assert site_label("https://sites.google.com/view/cruiz/home") == "cruiz"
    assert site_label("https://www.uni.edu/~cruiz/") == "cruiz"
    assert site_label("https://www.uni.edu/research/") is None


def test_every_corpus_page_gets_its_labelled_owner() -> None:
    score = evaluate()
    assert score.owner_total >= 100
    assert score.owner_accuracy == 1.0, [w for w in score.wrong if w.startswith("owner")]
