"""Scored attribution of accounts to people (normalize/attribution.py), rule by rule, and over the corpus."""

from __future__ import annotations

import random

from paperharvest.models import Candidate, GitHubUser, PersonEvidence, ProfileField
from paperharvest.normalize.attribution import (
    CONFIDENT,
    account_pages,
    attribute,
    chosen_accounts,
    read_page,
)
from tests.attribution_corpus import evaluate, people

ICON = '<i class="fab fa-brands"></i>'


def _page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


def _icon(href: str) -> str:
    return f'<a href="{href}">{ICON}</a>'


def _person(pid: str, names: list[str], *pages: tuple[str, str], **extra: object) -> PersonEvidence:
    readings = [read_page(html, url, names) for html, url in pages]
    return PersonEvidence.model_validate({"person_id": pid, "names": names, "pages": readings, **extra})


def _shown(*persons: PersonEvidence) -> dict[str, set[tuple[str, str]]]:
    return chosen_accounts(attribute(persons))


def _candidate(candidates: list[Candidate], pid: str, platform: str, handle: str) -> Candidate:
    return next(c for c in candidates if (c.person_id, c.platform, c.handle) == (pid, platform, handle))


OWN = (_page("Carmen Ruiz", f'<p class="social">{_icon("https://twitter.com/dragonfly42")}</p>'), "https://c.example/")


def test_corpus_precision_and_recall_of_what_would_be_shown() -> None:
    score = evaluate()
    assert score.true_positive >= 250
    assert score.precision >= 0.99, score.wrong
    assert score.recall >= 0.95, score.wrong


def test_shuffling_people_pages_and_links_changes_nothing() -> None:
    everyone = people()
    expected = attribute(everyone)
    rng = random.Random(9)
    for _ in range(3):
        shuffled = [p.model_copy(update={"pages": rng.sample(p.pages, len(p.pages))}) for p in everyone]
        assert attribute(rng.sample(shuffled, len(shuffled))) == expected


def test_own_page_and_profile_block_are_enough_other_page_never_counts() -> None:
    assert _shown(_person("~c", ["Carmen Ruiz"], OWN))["~c"] == {("x", "dragonfly42")}
    candidates = attribute([_person("~a", ["Arjun Mehta"], OWN)])
    x = _candidate(candidates, "~a", "x", "dragonfly42")
    assert (x.chosen, x.evidence) == (False, ["-page_of_other"])


def test_handle_resembling_the_name_lifts_a_plain_link() -> None:
    # a link in running text whose text is the handle: own page + the handle as text, not enough alone
    body = '<p>I sometimes post as <a href="https://twitter.com/{0}">@{0}</a>.</p>'
    assert "~c" not in _shown(_person("~c", ["Carmen Ruiz"], (_page("Carmen Ruiz", body.format("wavefront")), "u")))
    shown = _shown(_person("~c", ["Carmen Ruiz"], (_page("Carmen Ruiz", body.format("carmenruiz_nlp")), "u")))
    assert shown["~c"] == {("x", "carmenruiz_nlp")}


def test_share_follow_and_built_with_contexts_veto() -> None:
    body = (
        '<div class="share">' + _icon("https://twitter.com/sharebot") + "</div>"
        '<p>Follow <a href="https://twitter.com/mlconf">@mlconf</a> for news.</p>'
        '<p class="social">Follow us: ' + _icon("https://twitter.com/ourworkshop") + "</p>"
        '<p class="links">This site is built with <a href="https://github.com/sitetool">' + ICON + "</a></p>"
    )
    candidates = attribute([_person("~c", ["Carmen Ruiz"], (_page("Carmen Ruiz", body), "https://c.example/"))])
    assert not any(c.chosen for c in candidates if c.platform != "website")
    vetoes = {c.handle: c.evidence for c in candidates}
    assert "-share" in vetoes["sharebot"]
    assert "-follow_other" in vetoes["mlconf"]
    assert "-follow_us" in vetoes["ourworkshop"]
    assert "-built_with" in vetoes["sitetool"]


def test_an_account_on_several_peoples_pages_belongs_to_nobody() -> None:
    block = f'<p class="social">{_icon("https://twitter.com/venuebird")}</p>'
    names = ["Ada Lind", "Bram Osei", "Chen Jia"]
    persons = [_person(f"~{i}", [name], (_page(name, block), f"https://p{i}.example/")) for i, name in enumerate(names)]
    assert len(account_pages(persons)[("x", "venuebird")]) == 3
    candidates = attribute(persons)
    assert all(not c.chosen for c in candidates if c.platform == "x")
    assert "-widely_linked" in _candidate(candidates, "~0", "x", "venuebird").evidence
    # one page alone: the same block is the owner's
    assert _shown(persons[0])["~0"] >= {("x", "venuebird")}


def test_coauthors_linking_each_other_do_not_make_an_account_nobodys() -> None:
    own = _page("Arjun Mehta", f'<p class="social">{_icon("https://twitter.com/zebra_fish")}</p>')
    coauthor = _page("Carmen Ruiz", '<ul><li><a href="https://twitter.com/zebra_fish">Arjun Mehta</a></li></ul>')
    for i in range(3):
        assert (
            "beside_other_name" in read_page(coauthor, f"https://c{i}.example/", ["Carmen Ruiz"]).sightings[0].contexts
        )
    persons = [_person("~a", ["Arjun Mehta"], (own, "https://a.example/"))] + [
        _person(f"~c{i}", ["Carmen Ruiz"], (coauthor, f"https://c{i}.example/")) for i in range(3)
    ]
    shown = _shown(*persons)
    assert ("x", "zebra_fish") in shown["~a"]
    assert all("~c" not in key for key in shown)


def test_known_organisations_are_refused_as_a_last_resort() -> None:
    page = (_page("Carmen Ruiz", f'<p class="social">{_icon("https://twitter.com/iclr_conf")}</p>'), "u")
    candidates = attribute([_person("~c", ["Carmen Ruiz"], page)])
    assert "-known_organisation" in _candidate(candidates, "~c", "x", "iclr_conf").evidence
    assert not _candidate(candidates, "~c", "x", "iclr_conf").chosen


def test_on_a_group_page_only_a_link_beside_the_authors_name_counts() -> None:
    body = (
        f'<div class="lab-social">{_icon("https://github.com/vision-lab")}</div>'
        f'<div class="card"><h3>Ben Carter</h3><p class="links">{_icon("https://github.com/bcarter")}</p></div>'
        f'<div class="card"><h3>Chiara Rossi</h3><p class="links">{_icon("https://github.com/chiara-rossi")}</p></div>'
        '<div class="card"><h3>Deepak Nair</h3></div>'
    )
    lab = (_page("People | Vision Lab", body), "https://lab.example/people")
    shown = _shown(_person("~b", ["Ben Carter"], lab), _person("~d", ["Deepak Nair"], lab))
    assert shown == {"~b": {("github", "bcarter")}}


def test_several_accounts_of_a_platform_on_the_page_lower_each_and_a_tie_shows_none() -> None:
    two = f'<p class="social">{_icon("https://github.com/kiwi-a")}{_icon("https://github.com/kiwi-b")}</p>'
    candidates = attribute([_person("~c", ["Carmen Ruiz"], (_page("Carmen Ruiz", two), "u"))])
    assert all("-several_on_page" in c.evidence and not c.chosen for c in candidates if c.platform == "github")
    named = two.replace("kiwi-b", "cruiz")
    assert ("github", "cruiz") in _shown(_person("~c", ["Carmen Ruiz"], (_page("Carmen Ruiz", named), "u")))["~c"]


def test_institutional_site_chrome_is_not_the_person() -> None:
    body = (
        '<footer><a href="https://www.linkedin.com/school/example-u/">LinkedIn</a>'
        ' <a href="https://twitter.com/example_u">X</a> <a href="https://www.youtube.com/@exampleu">YouTube</a></footer>'
    )
    candidates = attribute([_person("~c", ["Carmen Ruiz"], (_page("Carmen Ruiz", body), "u"))])
    assert {c.handle: "-institutional" in c.evidence for c in candidates if c.platform != "website"} == {
        "example_u": True,
        "exampleu": True,
    }


def test_profile_fields_and_github_answers_confirm_from_a_second_place() -> None:
    none_page = (_page("Home", '<p><a href="https://github.com/mothwing">code</a></p>'), "https://m.example/")
    bare = _person("~l", ["Lara Conti"], none_page)
    assert "~l" not in _shown(bare)
    profile = [ProfileField(kind="linkedin", url="https://www.linkedin.com/in/lconti/")]
    github = [GitHubUser(login="mothwing", name="Lara Conti", blog=None, twitter_username="moth_tweets", kind="user")]
    shown = _shown(bare.model_copy(update={"profile": profile, "github_users": github}))
    assert shown["~l"] == {("linkedin", "lconti"), ("github", "mothwing"), ("x", "moth_tweets")}
    stranger = [
        GitHubUser(login="mothwing", name="Martin Hruby", blog=None, twitter_username="moth_tweets", kind="user")
    ]
    candidates = attribute([bare.model_copy(update={"github_users": stranger})])
    assert "-github_name_differs" in _candidate(candidates, "~l", "github", "mothwing").evidence
    assert not any(c.platform == "x" for c in candidates)


def test_website_is_the_homepage_only_when_the_page_is_the_persons_own() -> None:
    profile = [ProfileField(kind="homepage", url="https://www.C.example/index.html")]
    own = _person("~c", ["Carmen Ruiz"], (OWN[0], "https://c.example/"), profile=profile)
    assert ("website", "c.example") in _shown(own)["~c"]
    other = _person("~a", ["Arjun Mehta"], (OWN[0], "https://c.example/"), profile=profile)
    assert "~a" not in _shown(other)


def test_an_account_chosen_for_two_people_is_shown_for_neither() -> None:
    # Two people's own pages each present @shared_h in their social block (a couple's site, a copied template),
    # strongly enough that each alone passes the bar even with the "linked by two pages" penalty.
    link = '<a href="https://twitter.com/shared_h">@shared_h</a>'
    pages = [
        (_page(name, f'<p class="social">{link}</p>'), f"https://{pid}.example/")
        for pid, name in (("a", "Alma Reyes"), ("b", "Boris Ilic"))
    ]
    alma, boris = _person("~a", ["Alma Reyes"], pages[0]), _person("~b", ["Boris Ilic"], pages[1])
    assert _shown(alma)["~a"] == {("x", "shared_h")}  # alone, it would be hers
    candidates = attribute([alma, boris])
    assert all(_candidate(candidates, pid, "x", "shared_h").score >= CONFIDENT for pid in ("~a", "~b"))
    for pid in ("~a", "~b"):
        candidate = _candidate(candidates, pid, "x", "shared_h")
        assert not candidate.chosen and "-chosen_for_several" in candidate.evidence


def test_on_an_own_page_names_far_from_a_link_do_not_make_it_someone_elses() -> None:
    # The social block sits in a section that also lists co-authors by name: still the owner's account, while a
    # link inside a co-author's own list entry is theirs.
    body = (
        '<div><p>With Jana Novak and Omar Haddad on robust control.</p><div><div><div class="social">'
        + _icon("https://twitter.com/lina_k")
        + '</div></div></div><ul><li>Omar Haddad (<a href="https://github.com/ohaddad">GitHub</a>)</li></ul></div>'
    )
    shown = _shown(_person("~l", ["Lina Kaur"], (_page("Lina Kaur", body), "https://lina.example/")))
    assert shown["~l"] == {("x", "lina_k")}
