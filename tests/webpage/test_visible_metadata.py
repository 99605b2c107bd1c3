from __future__ import annotations

import lxml.html
import pytest

from newscorpus.webpage.visible_metadata import (
    byline_names,
    find_dates,
    squeezed,
    title_date,
    visible_metadata,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Publié le 12 mars 2024 à 14h05", "2024-03-12T14:05:00"),
        ("12. März 2024", "2024-03-12"),
        ("3 de octubre de 2023", "2023-10-03"),
        ("12 марта 2024 г., 14:05", "2024-03-12T14:05:00"),
        ("Опубліковано 5 травня 2024", "2024-05-05"),
        ("5 maja 2024", "2024-05-05"),
        ("2024. március 12.", "2024-03-12"),
        ("March 5, 2024", "2024-03-05"),
        ("الأربعاء ٧ فبراير ٢٠٢٤ - ١٠:٣٠", "2024-02-07T10:30:00"),
        ("٣ تشرين الأول ٢٠٢٣", "2023-10-03"),
        ("प्रकाशित: 6 जुलाई 2023, 10:30 IST", "2023-07-06T10:30:00"),
        ("2023年12月28日 10:20", "2023-12-28T10:20:00"),
        ("２０２４年３月１２日", "2024-03-12"),
        ("입력 2023.11.08 14:30", "2023-11-08T14:30:00"),
        ("12.03.2024", "2024-03-12"),
    ],
)
def test_dates_in_the_pages_own_language(text: str, expected: str) -> None:
    (found,) = find_dates(text)
    assert found.value == expected and not found.modified


def test_a_revision_date_is_told_from_the_first_one() -> None:
    dates = find_dates("Publié le 12 mars 2024 à 14h05 · Mis à jour le 13 mars 2024 à 09h12")
    assert [(d.value[:10], d.modified) for d in dates] == [
        ("2024-03-12", False),
        ("2024-03-13", True),
    ]
    assert find_dates("03/04/2024", month_first=True)[0].value == "2024-03-04"


def test_impossible_dates_are_not_dates() -> None:
    assert find_dates("31 février 2024, 45 mars 2024, 12 mars 1850, 3 000 habitants") == []


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("Par Marie Dupont et Jean Martin", ["Marie Dupont", "Jean Martin"]),
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Von Anna Schmidt, dpa", ["Anna Schmidt"]),
        ("Автор: Ольга Смирнова", ["Ольга Смирнова"]),
        ("بقلم: أحمد الخطيب", ["أحمد الخطيب"]),
        ("记者 王晓东", ["王晓东"]),
        ("김민수 기자", ["김민수"]),
        ("लेखक: राकेश शर्मा | प्रकाशित: 6 जुलाई 2023", ["राकेश शर्मा"]),
        ("Dienstag, 12. März 2024", []),  # not a byline: "Di" is no prefix here
        ("Photo: Reuters", []),
        ("(责编：牛镛、岳弘彬)", ["牛镛", "岳弘彬"]),
        ("Author: Mia Lund", ["Mia Lund"]),
        ("Autorin/Autor", []),  # a label alone names nobody
    ],
)
def test_bylines(byline: str, names: list[str]) -> None:
    assert byline_names(byline) == names


def test_the_articles_date_not_the_site_headers() -> None:
    page = lxml.html.fromstring(
        "<html><body><header><span class='date'>Mercredi 25 novembre 2026</span></header>"
        "<h1>Un titre</h1><p class='meta'>Publié le 12 mars 2024 · Par Léa Roux</p>"
        "<p>Texte.</p></body></html>"
    )
    found = visible_metadata(page, "fr")
    assert found.published == "2024-03-12" and found.authors == ["Léa Roux"]


def test_a_labelled_byline_anywhere_in_the_page() -> None:
    """No byline near the headline: a line that starts with a role label, wherever it
    stands (a side list, under the text), names the authors; a preposition ("Von") does
    not count there, nor does a label inside a block about other articles."""

    def page(*lines: str) -> lxml.html.HtmlElement:
        return lxml.html.fromstring(
            "<html><body><h1>Ein Titel</h1>"
            + "<p>Ein langer Text über die Lage im Land und was die Leute dazu sagen.</p>" * 6
            + "".join(lines)
            + "</body></html>"
        )

    side = "<ul class='smallList'><li><strong>Autorin/Autor</strong> Roman Goncharenko</li></ul>"
    assert visible_metadata(page(side), "de").authors == ["Roman Goncharenko"]
    assert visible_metadata(page("<div>(责编：牛镛、岳弘彬)</div>"), "zh").authors == [
        "牛镛",
        "岳弘彬",
    ]
    teaser = "<p>Von Montag an gilt der neue Fahrplan für Anna Berg.</p>"
    related = f"<div class='related-articles'>{side}</div>"
    for lines in ([teaser], [related], ["<p>Autor des Buches ist der Gärtner.</p>"]):
        assert visible_metadata(page(*lines), "de").authors == [], lines


def test_a_sites_menu_names_no_author() -> None:
    """A logo <h1> with the site's menu under it: "記者タイムライン" (the reporters'
    timeline, a page of the site) is a link in a menu, not a byline."""
    items = ["速報", "朝刊", "連載", "特集", "記者タイムライン", "天気", "数独"]
    menu = "".join(f'<li><a href="/{i}/">{item}</a></li>' for i, item in enumerate(items))
    page = lxml.html.fromstring(
        f"<html><body><header><h1>朝日</h1><div><ul>{menu}</ul></div></header>"
        "<article><h2>見出し</h2><p>本文です。</p></article></body></html>"
    )
    assert visible_metadata(page, "ja").authors == []
    # a byline under the headline is still read
    page = lxml.html.fromstring(
        "<html><body><h1>見出し</h1><div><span>記者 山田太郎</span></div>"
        "<p>本文。</p></body></html>"
    )
    assert visible_metadata(page, "ja").authors == ["山田太郎"]


def test_squeezed_keeps_exactly_letters_and_digits() -> None:
    text = "n-tv_NTV: Straße ١٢٣ 習近平 é (e\u0301) ½ Ⅻ\u00a0·—"
    assert squeezed(text) == "".join(c for c in text.casefold() if c.isalnum())
    assert squeezed("N-TV") == squeezed("ntv") == "ntv"


def test_a_captions_date_under_the_headline_is_the_photos() -> None:
    page = lxml.html.fromstring(
        "<html><head><title>Gegenoffensive: Ziele und Risiken | Europa | DW | 28.04.2023</title>"
        "</head><body><h1>Gegenoffensive: Ziele und Risiken</h1>"
        "<div class='picBox'><img src='a.jpg'><p>Panzer bei Bachmut, 24. April 2023</p></div>"
        "<p>Der Text des Artikels beginnt hier und ist lang genug.</p></body></html>"
    )
    assert visible_metadata(page, "de").published is None  # not 2023-04-24
    assert title_date(page, "de") == "2023-04-28"


@pytest.mark.parametrize(
    ("title", "language", "expected"),
    [
        ("Schlagzeile | Seite | 28.04.2023", "de", "2023-04-28"),
        ("Headline - March 3, 2024 - Site", "en", "2024-03-03"),
        ("Ataque del 7 de octubre de 2023: un año después | El Diario", "es", None),  # the story's
        ("Headline | Site", "en", None),
    ],
)
def test_a_date_that_is_a_part_of_the_title(
    title: str, language: str, expected: str | None
) -> None:
    page = lxml.html.fromstring(f"<html><head><title>{title}</title></head><body/></html>")
    assert title_date(page, language) == expected
