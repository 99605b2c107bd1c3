"""A live blog's updates, from its JSON-LD or its markup."""

from __future__ import annotations

import lxml.html

from newscorpus.document import Update
from newscorpus.webpage.live_blog import declared_updates, shown_updates


def test_declared_updates_oldest_first_in_plain_text() -> None:
    blog = {
        "@type": "LiveBlogPosting",
        "liveBlogUpdate": [
            {"headline": "Polls close", "datePublished": "2026-05-04T22:00:00Z",
             "articleBody": "<p>Counting begins &amp; first</p><p>results</p>"},
            {"headline": "Turnout high", "datePublished": "2026-05-04T20:00:00+01:00"},
            {"headline": "Turnout high", "datePublished": "2026-05-04T20:00:00+01:00"},  # twice
            "not an update",
            {"articleBody": "An update without a time."},
        ],
    }  # fmt: skip
    assert declared_updates(blog) == [
        Update("2026-05-04T20:00:00+01:00", "Turnout high"),  # 19:00 UTC: before 22:00 UTC
        Update("2026-05-04T22:00:00+00:00", "Polls close\n\nCounting begins & first\n\nresults"),
        Update(None, "An update without a time."),
    ]
    assert declared_updates(
        {"liveBlogUpdate": {"headline": "One", "dateCreated": "2026-05-04"}}
    ) == [Update("2026-05-04", "One")]


def _post(time: str, headline: str, text: str) -> str:
    return (
        f'<div class="liveblog-post"><time datetime="{time}">{time[11:16]}</time>'
        f"<h2>{headline}</h2><p>{text}</p><div class='share'><p>Share</p></div></div>"
    )


def test_updates_shown_in_live_blog_markup() -> None:
    posts = [
        _post("2026-05-04T22:00:00+00:00", "Polls close", "Counting begins."),
        _post("2026-05-04T21:00:00+00:00", "Queues", "Long queues in the north."),
        _post("2026-05-04T20:00:00+00:00", "Turnout", "Turnout is high."),
    ]
    tree = lxml.html.fromstring(f"<html><body><main>{''.join(posts)}</main></body></html>")
    updates = shown_updates(tree)
    assert [u.time for u in updates] == [
        "2026-05-04T20:00:00+00:00", "2026-05-04T21:00:00+00:00", "2026-05-04T22:00:00+00:00"
    ]  # fmt: skip
    assert updates[0].text == "Turnout\n\nTurnout is high."  # the share buttons left out
    # two such elements (a "live" teaser box, a banner) make no live blog
    tree = lxml.html.fromstring(f"<html><body>{''.join(posts[:2])}</body></html>")
    assert shown_updates(tree) == []
