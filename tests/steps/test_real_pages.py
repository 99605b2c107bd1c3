"""Extraction on real news pages nobody here wrote (../shared/, skipped without it)."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

import pytest

from newscorpus.steps import Extract
from newscorpus.warc.reader import WarcResponse
from newscorpus.webpage.visible_metadata import squeezed
from tests.conftest import SHARED, need_shared

SETS = ["fundus", "fundus-multilingual"]


@pytest.mark.parametrize("name", SETS)
def test_no_real_page_is_lost_to_an_error(name: str) -> None:
    """Every page whose truth has a body is extracted or, at worst, found to hold no text;
    never dropped because a parser or a metadata helper failed on it."""
    folder = need_shared(SHARED / "benchmarks" / "extraction" / name)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    lost = []
    helper_errors = 0
    for number, (file, entry) in enumerate(sorted(truth.items())):
        if not any(paragraph.strip() for paragraph in entry["body"]):
            continue
        html = gzip.decompress((folder / "html" / file).read_bytes())
        step = Extract()
        response = WarcResponse(entry["url"], html, None, 200, None, f"{name}.warc.gz", number)
        extracted = list(step.run([response]))
        errors = {k: v for k, v in step.stats.items() if "error" in k or "unparsable" in k}
        helper_errors += sum(errors.values())
        if not extracted and errors:
            lost.append((file, errors))
    assert lost == []
    assert helper_errors == 0  # a helper failing on a real page is a bug to look at


def _real_page(name: str) -> tuple[WarcResponse, dict[str, object]]:
    folder = need_shared(SHARED / "benchmarks" / "extraction" / "fundus-multilingual")
    entry = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))[name]
    html = gzip.decompress((folder / "html" / name).read_bytes())
    return WarcResponse(entry["url"], html, None, 200, None, "real.warc.gz", 0), entry


@pytest.mark.parametrize(
    "name",
    [
        "de_Golem_2025_09_09.html.gz",  # "… - Golem.de"
        "de_Bild_2023_05_15.html.gz",  # "… | Sport | BILD.de": the <h1>
        "de_DW_2023_04_28.html.gz",  # "… | DW | 28.04.2023"
        "it_Tageszeitung_2025_04_16.html.gz",  # no site name given: the host names it
        "us_LATimes_2023_06_26.html.gz",  # JSON-LD's headline differs; <h1> == og:title
        "us_BusinessInsider_2024_02_14.html.gz",  # the same
    ],
)
def test_real_titles_lose_the_site_name(name: str) -> None:
    response, truth = _real_page(name)
    document = Extract().extract(response)
    assert document is not None and document.title == truth["title"]


@pytest.mark.parametrize(
    "name",
    [
        "ca_GlobalNews_2026_05_24.html.gz",  # "A and B"
        "de_LTO_2025_10_20.html.gz",  # the outlet in JSON-LD, the person in the byline
        "lt_LRT_2024_03_31.html.gz",  # "Name, affiliation…, Lrt.lt"
        "jp_MainichiShimbun_2025_01_14.html.gz",  # 毎日新聞 (the outlet) -> the reporter
        "at_DerStandard_2024_05_03.html.gz",  # a byline of <span>s, one name each
        "de_DW_2023_04_28.html.gz",  # "<strong>Autorin/Autor</strong> Name", in a side list
        "cn_People_2024_04_24.html.gz",  # "(责编：牛镛、岳弘彬)" under the text
        "jp_AsahiShimbun_2025_01_13.html.gz",  # "記者タイムライン" in the site's menu: no author
    ],
)
def test_real_authors_are_people_not_outlets(name: str) -> None:
    response, truth = _real_page(name)
    document = Extract().extract(response)
    assert document is not None and document.authors == truth["authors"]


def test_a_real_page_loses_the_next_story_it_appends() -> None:
    """Dagbladet appends the next article (football) under a story about North Korea."""
    response, truth = _real_page("no_Dagbladet_2026_01_06.html.gz")
    document = Extract().extract(response)
    assert document is not None
    assert "Nord-Korea" in document.text and "Solskjær" not in document.text
    assert truth["body"][-1][:40] in document.text


def test_a_real_article_in_several_body_containers_is_whole() -> None:
    """Rzeczpospolita cuts its text into three ``articleBody`` containers with boxes
    between them: the paragraphs of each part are found, in order."""
    response, truth = _real_page("pl_Rzeczpospolita_2025_02_02.html.gz")
    document = Extract().extract(response)
    assert document is not None
    starts = ["Na trzy tygodnie przed", "Tym samym piątkowa debata", "Trudno sobie dzisiaj"]
    assert all(any(p.startswith(s) for p in truth["body"]) for s in starts)
    positions = [document.text.find(s) for s in starts]  # one from each container
    assert -1 not in positions and positions == sorted(positions)


@pytest.mark.parametrize(
    "name",
    [
        "fr_LeMonde_2023_09_01.html.gz",  # <p class="article__desc">
        "es_ElMundo_2024_12_02.html.gz",  # <div class="ue-c-article__standfirst">
        "vn_VnExpress_2025_10_22.html.gz",  # <p class="description">
    ],
)
def test_a_real_standfirst_opens_the_text(name: str) -> None:
    response, truth = _real_page(name)
    document = Extract().extract(response)
    assert document is not None
    assert document.text.split("\n\n")[0][:60] == truth["body"][0][:60]


def test_a_real_app_rendered_page_is_not_lost() -> None:
    """Hankook Ilbo (Next.js) sends the article only as escaped HTML in a script: before,
    no text at all (trafilatura finds none either)."""
    response, truth = _real_page("kr_HankookIlbo_2026_01_29.html.gz")
    step = Extract()
    (document,) = step.run([response])
    assert step.stats["text_from_page_data"] == 1
    paragraphs = [p for p in truth["body"] if len(p) > 60]
    assert sum(p[:30] in document.text for p in paragraphs) >= 0.8 * len(paragraphs)


def test_a_real_pages_embedded_tweets_are_left_out() -> None:
    """The Gateway Pundit quotes two tweets in its article; the ground truth leaves them
    out, as trafilatura does not."""
    folder = need_shared(SHARED / "benchmarks" / "extraction" / "fundus")
    entry = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))[
        "TheGatewayPundit_3.html.gz"
    ]
    html = gzip.decompress((folder / "html" / "TheGatewayPundit_3.html.gz").read_bytes())
    response = WarcResponse(entry["url"], html, None, 200, None, "real.warc.gz", 0)
    document = Extract().extract(response)
    assert document is not None
    assert "@JoeConchaTV" not in document.text and "bragging about this" not in document.text
    assert entry["body"][-1][:40] in document.text


@pytest.mark.parametrize("name", ["FoxNews_2.html.gz", "OccupyDemocrats_1.html.gz"])
def test_a_real_authors_biography_is_not_the_article(name: str) -> None:
    """ "Timothy Nerozzi is a writer for Fox News Digital. You can follow him …": the
    ground truth ends before it, and so does the stored text."""
    from newscorpus.steps import CleanText, RemoveBoilerplate

    folder = need_shared(SHARED / "benchmarks" / "extraction" / "fundus")
    entry = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))[name]
    html = gzip.decompress((folder / "html" / name).read_bytes())
    response = WarcResponse(entry["url"], html, None, 200, None, "real.warc.gz", 0)
    remover = RemoveBoilerplate(lambda domain: frozenset())
    (document,) = list(remover.run(CleanText().run(Extract().run([response]))))
    assert remover.stats["removed_lines.author_bio"] == 1
    assert not any(
        " is a" in line[:60] and "writer" in line for line in document.text.split("\n\n")[-2:]
    )


def test_a_real_pages_teaser_cards_are_left_out() -> None:
    """Taipei Times ends its article with "You might also like": cards of other stories,
    each a link holding a headline and the start of the story."""
    response, truth = _real_page("tw_TaipeiTimes_2024_10_15.html.gz")
    document = Extract().extract(response)
    assert document is not None
    assert "RISK REMAINS" not in document.text and "FIVE-YEAR WINDOW" not in document.text
    assert truth["body"][-1][:40] in document.text


def test_a_real_pages_links_to_other_stories_are_left_out() -> None:
    """Fox News puts "read also" headlines as whole paragraphs, each a link, between the
    paragraphs: they go; every paragraph of the article stays, those that open with a
    link included. A short linked heading of an article stays too."""
    response, truth = _real_page("us_FoxNews_2023_04_28.html.gz")
    step = Extract()
    document = step.extract(response)
    assert document is not None
    assert "SECRET CHINESE POLICE STATION" not in document.text
    assert step.stats["link_lines_removed"] >= 3
    text = squeezed(document.text)
    assert [p for p in truth["body"] if squeezed(p) not in text] == []
    response, truth = _real_page("cz_SeznamZpravy_2025_12_10.html.gz")
    document = Extract().extract(response)
    assert document is not None and "\n\nNational Cyber Security Index\n\n" in document.text


def test_a_real_pages_date_is_not_its_photos() -> None:
    """DW: a photo caption right under the headline dated four days earlier; the page's
    title ends with the article's date."""
    response, truth = _real_page("de_DW_2023_04_28.html.gz")
    (doc,) = Extract().run([response])
    assert str(truth["published"]).startswith("2023-04-28") and doc.published == "2023-04-28"


_DECLARED = re.compile(r'"isAccessibleForFree"\s*:\s*"?(true|false)"?', re.IGNORECASE)
_TIER = re.compile(r'article:content_tier"\s+content="(\w+)"', re.IGNORECASE)


@pytest.mark.parametrize("name", SETS)
def test_real_pages_are_flagged_as_they_declare_access(name: str) -> None:
    """Every real page that declares isAccessibleForFree gets an access flag, and the one
    its declarations agree on (read here from the raw HTML: any "false" among them, of
    the article or of a part of it, makes it paywalled); a page that declares only
    OpenGraph's content tier, the tier's (free or locked; metered says nothing)."""
    folder = need_shared(SHARED / "benchmarks" / "extraction" / name)
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    found: Counter[tuple[str | None, str | None]] = Counter()
    for number, (file, entry) in enumerate(sorted(truth.items())):
        html = gzip.decompress((folder / "html" / file).read_bytes())
        declared = {v.lower() for v in _DECLARED.findall(html.decode("utf-8", "replace"))}
        expected = None if not declared else "paywalled" if "false" in declared else "free"
        tier = _TIER.search(html.decode("utf-8", "replace"))
        if expected is None and tier:
            expected = {"free": "free", "locked": "paywalled"}.get(tier.group(1).lower())
        response = WarcResponse(entry["url"], html, None, 200, None, f"{name}.warc.gz", number)
        docs = list(Extract().run([response]))
        found[(expected, docs[0].access if docs else "lost")] += 1
    wrong = {pair: n for pair, n in found.items() if pair[0] != pair[1]}
    assert wrong == {}, found
    assert found[("paywalled", "paywalled")] >= 5 and found[("free", "free")] >= 5
