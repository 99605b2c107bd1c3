"""The updates of a live blog: each with its time and text, oldest first.

A live blog says what it is to search engines (schema.org ``LiveBlogPosting``) and lists
its updates there (``liveBlogUpdate``: headline, body, time). A page that does not list
them shows them in the usual markup: one element per update, named so in its class
(``liveblog-post``, ``live-update``, ``lb-post``...), each with a ``<time>``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import lxml.html

from newscorpus.document import Update, first_iso_date
from newscorpus.webpage.embedded_text import without_tags

MAX_UPDATES = 2000
_SPACE = re.compile(r"[^\S\n]+")
_UPDATE_CLASS = re.compile(
    r"(?:^|\s)[\w-]*(?:live[-_]?blog[-_]?(?:post|entry|update|item)|live[-_]?(?:update|post|entry)"
    r"|lb[-_](?:post|entry|item))(?:$|\s)",
    re.IGNORECASE,
)
_CLUTTER = re.compile(r"share|social|related|advert|promo|newsletter", re.IGNORECASE)
MAX_UPDATE_DEPTH = 8  # levels from an update's <time> up to the update
MIN_MARKUP_UPDATES = 3  # with a time each: fewer may be a page's "live" banner


def declared_updates(live_blog: dict[str, Any]) -> list[Update]:
    """The updates a LiveBlogPosting lists (JSON-LD), oldest first."""
    value = live_blog.get("liveBlogUpdate")
    items = value if isinstance(value, list) else [value]
    updates = []
    for item in items[:MAX_UPDATES]:
        if not isinstance(item, dict):
            continue
        time = first_iso_date(
            [item.get("datePublished"), item.get("dateCreated"), item.get("dateModified")]
        )
        parts = [item.get("headline"), item.get("articleBody") or item.get("text")]
        text = "\n\n".join(_plain(part) for part in parts if isinstance(part, str) and part.strip())
        if text:
            updates.append(Update(time, text))
    return _oldest_first(updates)


def shown_updates(tree: lxml.html.HtmlElement) -> list[Update]:
    """The updates the page shows in live-blog markup, oldest first ([] when fewer than
    ``MIN_MARKUP_UPDATES`` elements with a time are found: then it is no live blog)."""
    updates = []
    for element in _update_elements(tree):
        time = first_iso_date(t.get("datetime") for t in element.iter("time"))
        text = "\n\n".join(_paragraphs(element))
        if time and text:
            updates.append(Update(time, text))
    return _oldest_first(updates) if len(updates) >= MIN_MARKUP_UPDATES else []


def _update_elements(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The elements whose class names them an update and that hold a ``<time>``: found
    from the page's few ``<time>`` elements up (a walk over every element's class costs
    more than the rest of this module), the outermost such ancestor of each, once."""
    found: list[lxml.html.HtmlElement] = []
    for time in tree.iter("time"):
        update = None
        for level, ancestor in enumerate(time.iterancestors()):
            if level >= MAX_UPDATE_DEPTH:
                break
            if _UPDATE_CLASS.search(ancestor.get("class") or ""):
                update = ancestor
        if update is not None and not any(update is seen for seen in found):
            found.append(update)
    return found


def _paragraphs(element: lxml.html.HtmlElement) -> list[str]:
    """The text of an update's blocks (headline and paragraphs), without its time."""
    blocks = element.xpath(".//h1|.//h2|.//h3|.//h4|.//p|.//li|.//blockquote")
    texts = []
    for block in blocks:
        inside = []  # the block's ancestors within the update
        for ancestor in block.iterancestors():
            if ancestor is element:
                break
            inside.append(ancestor)
        if any(ancestor in blocks for ancestor in inside):
            continue
        if any(_CLUTTER.search(e.get("class") or "") for e in [block, *inside]):
            continue
        text = _SPACE.sub(" ", block.text_content()).strip()
        if text:
            texts.append(text)
    return texts


def merge_updates(newer: list[Update], older: list[Update]) -> list[Update]:
    """A live blog's updates over two fetches: the newer fetch's, and those of the older
    one that it no longer shows (a page lists its latest updates only); an update edited
    in between (the same time) is the newer fetch's. Oldest first."""
    times = {u.time for u in newer if u.time}
    texts = {u.text for u in newer}
    gone = [u for u in older if (u.time not in times if u.time else u.text not in texts)]
    return _oldest_first([*newer, *gone])


def _oldest_first(updates: list[Update]) -> list[Update]:
    """Updates by time (those without one keep their place at the end), each text once."""
    seen: set[str] = set()
    unique = []
    for update in updates:
        if update.text not in seen:
            seen.add(update.text)
            unique.append(update)
    timed = sorted((u for u in unique if u.time), key=lambda u: _sort_key(u.time or ""))
    return timed + [u for u in unique if not u.time]


def _sort_key(time: str) -> str:
    """Times as pages write them sort as UTC instants where they carry an offset."""
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        return time
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def _plain(value: str) -> str:
    """A JSON-LD text as paragraphs: tags out, one blank line between paragraphs."""
    text = without_tags(value, "\n")
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)
