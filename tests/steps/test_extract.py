from __future__ import annotations

import json

from newscorpus.document import Document
from newscorpus.steps import Extract
from newscorpus.warc.reader import WarcResponse

PARAGRAPHS = [
    "The regional parliament voted on Thursday to extend the night train service to the "
    "northern valleys, after a campaign by commuters and tourism boards that lasted two years.",
    "Transport officials said the first trains would run in December, with four departures a "
    "week in each direction and sleeping cars refurbished by a local workshop.",
    "Opposition members questioned the cost of the subsidy but did not vote against the plan, "
    "which passed with a large majority late in the evening.",
]


def _response(html: str, url: str = "https://news.test/2026/03/night-train.html") -> WarcResponse:
    return WarcResponse(url, html.encode(), "utf-8", 200, "2026-03-20T10:00:00Z", "x.warc.gz", 42)


def _extract(html: str, url: str | None = None) -> tuple[Document | None, Extract]:
    step = Extract()
    docs = list(step.run([_response(html, url) if url else _response(html)]))
    return (docs[0] if docs else None), step


def test_structured_metadata_is_used() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "ignored"},
            {
                "@type": "NewsArticle",
                "headline": "Night trains return to the valleys",
                "datePublished": "2026-03-19T18:30:00+01:00",
                "dateModified": "2026-03-20T08:00:00+01:00",
                "author": [{"@type": "Person", "name": "Ana Ruiz"}, {"name": "Tom Berg"}],
                "keywords": "transport, rail",
                "publisher": {"@type": "Organization", "name": "The Valley Post"},
            },
        ],
    }
    head = (
        '<link rel="canonical" href="/2026/03/night-train.html?utm_medium=social&id=7">'
        '<link rel="alternate" hreflang="de" href="https://news.test/de/nachtzug.html">'
        '<link rel="alternate" hreflang="x-default" href="https://news.test/">'
        '<meta name="description" content="The vote ends a two-year campaign.">'
        '<meta property="article:section" content="Transport">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        f'<html lang="en"><head><title>Night trains | The Valley Post</title>{head}</head>'
        f"<body><article><h1>Night trains return to the valleys</h1>{body}</article></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None
    assert doc.title == "Night trains return to the valleys"
    assert doc.canonical_url == "https://news.test/2026/03/night-train.html?id=7"
    assert doc.authors == ["Ana Ruiz", "Tom Berg"]
    assert doc.published == "2026-03-19T18:30:00+01:00"
    assert doc.modified == "2026-03-20T08:00:00+01:00"
    assert doc.sitename == "The Valley Post"
    assert doc.description == "The vote ends a two-year campaign."
    assert {t.lower() for t in doc.tags} == {"transport", "rail"}
    assert [(t.language, t.url) for t in doc.translations] == [
        ("de", "https://news.test/de/nachtzug.html")
    ]
    assert doc.text.split("\n\n") == PARAGRAPHS
    assert doc.declared_language == "en"
    assert (doc.warc_file, doc.warc_offset, doc.crawled_at) == (
        "x.warc.gz",
        42,
        "2026-03-20T10:00:00Z",
    )
    assert step.stats["metadata_fallback"] == 0


def test_pages_without_structured_data_fall_back_to_trafilatura() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        "<html><head><title>Night trains return - Valley Post</title></head><body>"
        '<article><h1>Night trains return</h1><p class="byline">By Ana Ruiz</p>'
        f'<p>Published <time datetime="2026-03-19">19 March 2026</time></p>{body}'
        "</article></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and step.stats["metadata_fallback"] == 1
    assert doc.title and "Night trains return" in doc.title
    assert doc.published == "2026-03-19"
    assert "regional parliament" in doc.text


def test_pages_without_text_are_counted() -> None:
    doc, step = _extract("<html><body><script>var x = 1;</script><nav></nav></body></html>")
    assert doc is None and step.stats["dropped.no_text"] == 1
    doc, step = _extract("   ")
    assert doc is None and step.stats["dropped.empty_page"] == 1


def test_xml_declaration_and_broken_markup_are_tolerated() -> None:
    body = "".join(f"<p>{p}" for p in PARAGRAPHS)  # unclosed paragraphs
    html = f'<?xml version="1.0" encoding="utf-8"?><html><body><div><h1>T</h1>{body}</body>'
    doc, _ = _extract(html)
    assert doc is not None and "northern valleys" in doc.text


def test_hostile_pages_do_not_fail_the_shard() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    control = f"<html><body><article><h1>T\x01</h1>{body}\x0b\x1b</article></body></html>"
    bad_links = (
        '<html><head><link rel="canonical" href="http://[bad/x">'
        '<link rel="alternate" hreflang="de" href="http://[::1">'
        '<meta property="article:published_time" content="2026-03-01T10:00:00+25:00">'
        f"</head><body><article>{body}</article></body></html>"
    )
    nested = '{"a":' * 5000 + "1" + "}" * 5000
    deep_ld = (
        f'<html><head><script type="application/ld+json">{nested}</script></head>'
        f"<body><article>{body}</article></body></html>"
    )
    step = Extract()
    docs = list(step.run([_response(control), _response(bad_links), _response(deep_ld)]))
    assert len(docs) == 3
    assert all("regional parliament" in d.text for d in docs)
    assert docs[1].canonical_url == "https://news.test/2026/03/night-train.html"
    assert docs[1].translations == [] and docs[1].published is None


def test_comments_cost_neither_the_article_nor_its_words() -> None:
    # A comment right under the headline once made a metadata helper raise, and the page
    # was counted as having no text; text after a comment inside a paragraph was lost.
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:])
    html = (
        "<html><body><article><h1>Night trains return</h1><!-- byline goes here -->"
        f"<?php echo 'x'; ?><p>{PARAGRAPHS[0][:60]}<!-- ad slot -->{PARAGRAPHS[0][60:]}</p>"
        f"{body}</article></body></html>"
    )
    document, step = _extract(html)
    assert document is not None, step.stats
    assert PARAGRAPHS[0] in document.text
    assert not [key for key in step.stats if "error" in key], step.stats


def test_a_failing_metadata_helper_costs_only_its_metadata() -> None:
    step = Extract()

    def broken_helper(tree: object) -> str:
        raise ValueError("a bug in a helper")

    assert step._helper("https://news.test/", broken_helper, None) is None
    assert step.stats["helper_error.broken_helper"] == 1


def _page(head: str, headline: str = "Night trains return to the valleys", byline: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<html lang="en"><head>{head}</head><body><article><h1>{headline}</h1>{byline}'
        f"{body}</article></body></html>"
    )


def _ld(**article: object) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", **article}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_the_title_loses_what_the_site_adds_to_the_headline() -> None:
    # the visible headline followed by section and site: the headline
    doc, _ = _extract(_page(_ld(headline="Night trains return to the valleys | Travel | VP")))
    assert doc is not None and doc.title == "Night trains return to the valleys"
    # no such headline in the page: a trailing part naming the site itself is cut
    head = '<meta property="og:title" content="Sleeper cars are back - Valley Post">'
    head += '<meta property="og:site_name" content="Valley Post">'
    doc, _ = _extract(_page(head, headline="Elsewhere"))
    assert doc is not None and doc.title == "Sleeper cars are back"
    # a kicker is part of the title the site chose: kept, as is a dash inside a headline
    head = '<meta property="og:title" content="Rail: night trains are back - and full">'
    doc, _ = _extract(_page(head, headline="Rail"))
    assert doc is not None and doc.title == "Rail: night trains are back - and full"
    # a headline for search engines in JSON-LD, the visible one also in og:title: visible
    visible = "Night trains return to the valleys"
    seo = _ld(headline="Night trains 2026: every route, every price")
    head = f'{seo}<meta property="og:title" content="{visible}">'
    doc, _ = _extract(_page(head))
    assert doc is not None and doc.title == visible
    doc, _ = _extract(_page(seo))  # the <h1> alone does not outvote JSON-LD
    assert doc is not None and doc.title == "Night trains 2026: every route, every price"


def test_authors_are_people_and_agencies_not_the_outlet() -> None:
    url = "https://www.n-tv.de/politik/night-trains-return-to-the-valleys-1234567.html"
    authors = ["Ana Ruiz and Tom Berg", "Twitter", "123456", "AP"]
    doc, _ = _extract(_page(_ld(headline="Night trains", author=authors)), url)
    assert doc is not None and doc.authors == ["Ana Ruiz", "Tom Berg", "AP"]
    affiliation = "Lina Petraitė, professor at the University of Vilnius, Lrt.lt"
    doc, _ = _extract(_page(_ld(headline="Night trains", author=affiliation)), url)
    assert doc is not None and doc.authors == ["Lina Petraitė"]
    # the outlet as the only author: the page's visible byline replaces it, else it stays
    outlet = _ld(headline="Night trains", author="n-tv NACHRICHTEN")
    doc, _ = _extract(_page(outlet, byline='<p class="author">Von Seb Dumitru</p>'), url)
    assert doc is not None and doc.authors == ["Seb Dumitru"]
    doc, _ = _extract(_page(outlet), url)
    assert doc is not None and doc.authors == ["n-tv NACHRICHTEN"]


def test_the_next_story_appended_under_the_article_is_removed() -> None:
    """Endless scrolling: a second full <article> with its own headline follows the page's."""
    other = "The city council approved the new budget after a long debate on Tuesday night. "
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        "<html><body><main><article><h1>Night trains return to the valleys</h1>"
        f"{body}<article><h2>Teaser</h2><p>A short teaser.</p></article></article></main>"
        f"<div><article><h1>Council budget</h1><p>{other * 12}</p><p>{other * 10}</p>"
        "</article></div></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and step.stats["other_articles_removed"] == 1
    assert doc.text.split("\n\n")[:3] == PARAGRAPHS and "council" not in doc.text
    # one story only: nothing is removed
    doc, step = _extract(_page(""))
    assert doc is not None and step.stats["other_articles_removed"] == 0


def test_an_article_cut_into_several_body_containers_is_joined() -> None:
    """Text split into sibling containers of one class with an insert between them: every
    part is kept, in order, and the insert is not."""
    more = [
        "Rail unions welcomed the decision but asked for more staff on the night shifts, "
        "saying that the current rota already stretches the crews on the southern lines.",
        "The first tickets go on sale next month, and the operator expects the sleeping "
        "cars to be fully booked over the winter holidays, when the valleys are busiest.",
    ]
    first = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    second = "".join(f"<p>{p}</p>" for p in more)
    html = (
        "<html><body><main><h1>Night trains return</h1><div class='story'>"
        f"<div class='body article-body'>{first}</div>"
        "<div class='insert'><p>Read also: Buses to replace ferries on the lake</p></div>"
        f"<div class='body article-body'>{second}</div>"
        "</div></main></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and step.stats["body_parts_joined"] == 1
    assert doc.text.split("\n\n") == PARAGRAPHS + more
    # paragraphs that each carry the class's name as a prefix are not body parts
    paragraphs = "".join(f"<div class='article-body__paragraph'>{p}</div>" for p in PARAGRAPHS)
    doc, step = _extract(
        f"<html><body><main><h1>Night trains</h1>{paragraphs}</main></body></html>"
    )
    assert doc is not None and step.stats["body_parts_joined"] == 0


def test_the_summary_under_the_headline_is_kept() -> None:
    """A standfirst outside the body container opens the text; a caption is no standfirst."""
    summary = "The vote ends a two-year campaign by commuters and tourism boards in the north."
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        "<html><body><main><header><h1>Night trains return</h1>"
        "<figure><img src='x.jpg'><figcaption class='caption'>A night train leaves the "
        "station of the northern valley at dusk, in March.</figcaption></figure>"
        f"<p class='article-standfirst'>{summary}</p></header>"
        f"<div class='article-body'>{body}</div></main></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and step.stats["standfirst_added"] == 1
    assert doc.text.split("\n\n") == [summary, *PARAGRAPHS]
    # the page's description names it when no class does; never twice
    head = f'<meta name="description" content="{summary}">'
    html = html.replace("<html>", f"<html><head>{head}</head>").replace(
        "class='article-standfirst'", "class='x1'"
    )
    doc, step = _extract(html)
    assert doc is not None and doc.text.split("\n\n") == [summary, *PARAGRAPHS]


def test_bylines_in_their_many_shapes() -> None:
    spans = "".join(f"<span class='simple'>{n}</span> " for n in ["Ana Ruiz", "Tom Berg Lund"])
    doc, _ = _extract(_page("", byline=f"<div class='article-byline'>{spans}</div>"))
    assert doc is not None and doc.authors == ["Ana Ruiz", "Tom Berg Lund"]
    doc, _ = _extract(_page("", byline="<p class='meta'>Autorin/Autor: Lea Wagner</p>"))
    assert doc is not None and doc.authors == ["Lea Wagner"]
    notice = (
        '<meta name="author" content="若本站收录的文章侵犯了您的权益，请联系我们删除侵权内容！">'
    )
    doc, _ = _extract(_page(notice))  # a copyright notice in the author field
    assert doc is not None and doc.authors == []
    korean = '<meta name="author" content="신현주 기자">'  # the role after the name
    doc, _ = _extract(_page(korean))
    assert doc is not None and doc.authors == ["신현주"]


def test_an_app_rendered_page_gives_its_text_from_the_page_data() -> None:
    """An empty shell whose article is only in a script's JSON (as HTML, escaped), or
    only in JSON-LD ``articleBody``: the text is read from there, no script is run."""
    article = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    state = json.dumps({"props": {"page": {"article": {"title": "Night", "html": article}}}})
    shell = "<div id='root'><nav><a href='/'>Home</a></nav></div>"
    html = (
        "<html><head><title>Night trains</title></head><body>"
        f"{shell}<script id='__NEXT_DATA__' type='application/json'>{state}</script>"
        "</body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and step.stats["text_from_page_data"] == 1
    assert doc.text.split("\n\n") == PARAGRAPHS
    # the JSON itself inside a string, as React server components stream it
    streamed = json.dumps(json.dumps({"body": article}))
    doc, _ = _extract(
        html.replace(state, f"[1,{streamed}]").replace(" type='application/json'", "")
    )
    assert doc is not None and doc.text.split("\n\n") == PARAGRAPHS
    ld = _ld(headline="Night trains", articleBody="\n".join(PARAGRAPHS))
    doc, step = _extract(f"<html><head>{ld}</head><body>{shell}</body></html>")
    assert doc is not None and doc.text.split() == " ".join(PARAGRAPHS).split()


def test_an_app_rendered_page_gives_its_text_from_content_blocks() -> None:
    """The article as a list of content blocks in the page's state, no HTML at all: Arc
    XP's ``{"type": "text", "content"}``, rich text made of spans (Portable Text), in
    ``__NEXT_DATA__`` or a ``window.__INITIAL_STATE__`` assignment. Blocks that are not
    prose (an image's caption, an ad) are left out."""
    arc = [{"type": "text", "content": p} for p in PARAGRAPHS]
    arc.insert(1, {"type": "image", "caption": "The night train at the station, on Monday."})
    arc.insert(2, {"type": "ad", "content": "Advertisement: sleeper cabins from 49 euros!"})
    spans = [
        {"_type": "block", "children": [{"_type": "span", "text": p[:20]}, {"text": p[20:]}]}
        for p in PARAGRAPHS
    ]
    shell = "<div id='app'><nav><a href='/'>Home</a></nav><p>Loading…</p></div>"
    for state, script in [
        ({"props": {"story": {"content_elements": arc}}}, "<script id='__NEXT_DATA__' "
         "type='application/json'>{}</script>"),
        ({"article": {"body": spans}}, "<script>window.__INITIAL_STATE__ = {};</script>"),
    ]:  # fmt: skip
        page = script.replace("{}", json.dumps(state))
        doc, step = _extract(
            f"<html><head><title>Night</title></head><body>{shell}{page}</body></html>"
        )
        assert doc is not None and step.stats["text_from_page_data"] == 1
        assert doc.text.split("\n\n")[-3:] == PARAGRAPHS


def test_embedded_social_posts_are_not_the_articles_text() -> None:
    tweet = (
        '<blockquote class="twitter-tweet"><p lang="en">Gutfeld drew nearly triple the '
        "audience on the same night, a source says.</p>&mdash; A Critic (@critic) "
        '<a href="https://twitter.com/critic/status/1">February 28, 2024</a></blockquote>'
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    body += tweet + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    html = f"<html><body><article><h1>Night trains</h1>{body}</article></body></html>"
    doc, step = _extract(html)
    assert doc is not None and step.stats["social_embeds_removed"] == 1
    assert doc.text.split("\n\n") == PARAGRAPHS and "@critic" not in doc.text
    # a quotation that is no embed stays
    quoted = html.replace(' class="twitter-tweet"', "")
    doc, step = _extract(quoted)
    assert doc is not None and "triple the audience" in doc.text


def test_teaser_cards_of_other_stories_are_not_the_articles_text() -> None:
    """ "You might also like": links that each hold a headline and a teaser paragraph."""
    teaser = "Most willing to defend the valleys, a survey of residents found this week."
    cards = "".join(
        f'<li><a href="/2026/03/{n}.html"><h2>Other story {n}</h2><p>{teaser}</p></a></li>'
        for n in range(3)
    )
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        f"<html><body><article><h1>Night trains</h1>{body}"
        f"<div><h3>You might also like</h3><ul>{cards}</ul></div></article></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and step.stats["teaser_cards_removed"] == 3
    assert "survey of residents" not in doc.text and doc.text.startswith(PARAGRAPHS[0])
    # a link that holds no headline is no card
    first, rest = PARAGRAPHS[1].split(" ", 1)
    linked = html.replace(f"<p>{PARAGRAPHS[1]}</p>", f'<p><a href="/x">{first}</a> {rest}</p>')
    doc, step = _extract(linked)
    assert doc is not None and PARAGRAPHS[1] in doc.text
    assert step.stats["teaser_cards_removed"] == 3


def _listing(read_more: bool) -> str:
    """A section page without structured data: teaser headlines that link to the stories,
    each with a line of summary; or, with ``read_more``, an article with two such links."""
    teasers = "".join(
        f'<li><h2><a href="/2026/03/story-{i}.html">Story number {i} of the week in the '
        f"valleys and beyond</a></h2><p>Summary {i}: what happened, briefly.</p></li>"
        for i in range(10)
    )
    if read_more:
        body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + (
            '<p><a href="/2026/03/older.html">Night trains were cut ten years ago</a></p>'
            '<p><a href="/2026/03/budget.html">The transport budget in numbers</a></p>'
        )
        return f"<html><body><article><h1>Night trains</h1>{body}</article></body></html>"
    return f"<html><body><main><h1>Transport</h1><ul>{teasers}</ul></main></body></html>"


def test_a_page_of_link_teasers_is_a_listing_not_an_article() -> None:
    doc, step = _extract(_listing(read_more=False), "https://news.test/transport/recent")
    assert doc is not None and doc.declared_type == "linklist"
    assert step.stats["link_lists_found"] == 1
    article, step = _extract(_listing(read_more=True), "https://news.test/transport/recent")
    assert article is not None and article.declared_type is None  # two linked lines of eight
    assert "link_lists_found" not in step.stats


def test_a_paragraph_that_is_a_whole_link_to_another_story_is_left_out() -> None:
    ld = {"@type": "NewsArticle", "headline": "Night trains"}
    teaser = "Night trains were cut ten years ago, and how the valleys fought back"
    body = (
        f"<p>{PARAGRAPHS[0]}</p>"
        f'<p><strong><a href="/2026/03/older.html">{teaser.upper()}</a></strong></p>'
        f'<p><a href="/people/ana-ruiz">Ana Ruiz</a> said: {PARAGRAPHS[1]}</p>'
        f'<h2><a href="/topics/rail">Rail</a></h2><p>{PARAGRAPHS[2]}</p>'
    )
    html = (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f"<body><article><h1>Night trains</h1>{body}</article></body></html>"
    )
    doc, step = _extract(html)
    assert doc is not None and teaser.upper() not in doc.text
    assert step.stats["link_lines_removed"] == 1
    assert doc.text.split("\n\n") == [
        PARAGRAPHS[0],
        f"Ana Ruiz said: {PARAGRAPHS[1]}",
        "Rail",
        PARAGRAPHS[2],
    ]


def _page_declaring(*head: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"<html><head>{''.join(head)}</head><body><article>{body}</article></body></html>"


def _graph(*items: dict[str, object]) -> str:
    data = {"@context": "https://schema.org", "@graph": list(items)}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_a_page_says_whether_it_is_paywalled() -> None:
    article = {"@type": "NewsArticle", "headline": "Night trains return"}
    part = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paid"}
    cases = [
        (_graph({**article, "isAccessibleForFree": False}), "paywalled"),
        (_graph({**article, "isAccessibleForFree": "False"}), "paywalled"),
        (_graph({**article, "isAccessibleForFree": "true"}), "free"),
        # Google's markup for a paywalled section: the part, not the article, says so
        (_graph({**article, "isAccessibleForFree": True, "hasPart": part}), "paywalled"),
        (_graph({**article, "hasPart": [part]}), "paywalled"),
        # the article says nothing; the page object around it does
        (_graph({"@type": "WebPage", "isAccessibleForFree": False}, article), "paywalled"),
        # the article's own word wins over the page object's
        (
            _graph(
                {"@type": "WebPage", "isAccessibleForFree": False},
                {**article, "isAccessibleForFree": True},
            ),
            "free",
        ),
        ('<meta property="article:content_tier" content="locked">', "paywalled"),
        ('<meta property="article:content_tier" content="free">', "free"),
        ('<meta property="article:content_tier" content="metered">', None),  # free for some
        (_graph({**article, "isAccessibleForFree": "maybe"}), None),
        (_graph(article), None),
        ("", None),
    ]
    for head, access in cases:
        doc, _ = _extract(_page_declaring(head))
        assert doc is not None and doc.access == access, (head, doc and doc.access)
        assert doc.text.split("\n\n") == PARAGRAPHS  # the text the page shows, flagged
