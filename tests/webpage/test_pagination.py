"""The pages of an article cut into several, found from its URL and its pager."""

from __future__ import annotations

import lxml.html
import pytest

from newscorpus.webpage.pagination import is_other_page, page_number_of, pagination

BASE = "https://news.test/politics/budget-vote"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{BASE}?page=2", (BASE, 2)),
        (f"{BASE}?seite=3&ref=x", (f"{BASE}?ref=x", 3)),
        (f"{BASE}/2/", (BASE, 2)),
        (f"{BASE}/page/3", (BASE, 3)),  # page 3 of the story, not of ".../page"
        ("https://news.test/x/story-183456-2.html", ("https://news.test/x/story-183456.html", 2)),
        (BASE, None),
        ("https://news.test/?p=48213", None),  # WordPress's post id
        ("https://news.test/2024/03/12/", None),  # a date, no story before it
        (f"{BASE}?page=4000", None),  # an id, not a page
    ],
)
def test_page_number_of(url: str, expected: tuple[str, int] | None) -> None:
    assert page_number_of(url) == expected


def _tree(body: str, head: str = "") -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


PAGER = (
    "<article><h1>Budget vote</h1><p>First part of the story.</p>"
    '<nav class="pager">Page 1 of 3 <a href="/politics/budget-vote">1</a> '
    '<a href="/politics/budget-vote?page=2">2</a> <a href="/politics/budget-vote?page=3">3</a> '
    '<a href="/politics/budget-vote?page=2">Next »</a></nav></article>'
)


def test_a_numbered_pager_gives_every_page_and_is_left_out_of_the_text() -> None:
    first = pagination(_tree(PAGER), BASE)
    assert first is not None and (first.key, first.number, first.last) == (BASE, 1, 3)
    assert first.pages == {1: BASE, 2: f"{BASE}?page=2", 3: f"{BASE}?page=3"}
    (pager,) = first.pagers
    assert pager.get("class") == "pager"  # its "Page 1 of 3" too, not the article
    second = pagination(_tree(PAGER), f"{BASE}?page=2")
    assert second is not None and (second.key, second.number) == (BASE, 2)


def test_rel_links_give_the_neighbours() -> None:
    head = f'<link rel="prev" href="{BASE}/1/"><link rel="next" href="{BASE}/3/">'
    page = pagination(_tree("<p>text</p>", head), f"{BASE}/2/")
    assert page is not None and page.number == 2 and sorted(page.pages) == [1, 2, 3]
    # a URL whose own name ends in a number: "covid-19" is no page 19
    covid = "https://news.test/health/covid-19.html"
    page = pagination(_tree('<a href="covid-19-2.html">2</a>'), covid)
    assert page is not None and page.number == 1 and page.pages[2].endswith("covid-19-2.html")


@pytest.mark.parametrize(
    "body",
    [
        '<a href="/politics/budget-vote?page=2">Read the rest of our coverage</a>',  # says nothing
        '<a href="/politics/other-story?page=2">2</a>',  # another story's page
        '<a href="/world/8">8 things to know</a>',  # a link whose text is no number
    ],
)
def test_links_that_do_not_say_they_are_pages_are_not(body: str) -> None:
    assert pagination(_tree(body), BASE) is None


def test_a_wordpress_next_post_link_is_no_page() -> None:
    head = '<link rel="next" href="https://news.test/politics/another-post">'
    assert pagination(_tree("<p>text</p>", head), BASE) is None


def test_is_other_page() -> None:
    assert is_other_page(BASE, f"{BASE}?page=2")  # page 2 naming page 1 its canonical
    assert is_other_page(f"{BASE}/3/", f"{BASE}/2/")
    assert not is_other_page(BASE, BASE)
    assert not is_other_page("https://news.test/politics/other", f"{BASE}?page=2")
