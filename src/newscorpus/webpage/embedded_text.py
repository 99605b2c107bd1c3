"""Article text a page carries only in its data, not in its markup.

Pages rendered by JavaScript frameworks (Next.js, Nuxt, React state) ship the article in
a ``<script>``; the DOM holds an empty shell. Nothing is run. The article is there either
as HTML inside a JSON string (read and unescaped, once or twice when the JSON was itself
embedded as a string), or as a list of content blocks, one object per paragraph, in the
page's state (``__NEXT_DATA__``, ``window.__INITIAL_STATE__ = {...}``, Nuxt): ``{"type":
"text", "content": ...}`` as Arc XP writes them, ``{"type": "paragraph", "text": ...}``, or
rich-text trees whose blocks hold ``children`` spans (Slate, Sanity's Portable Text). The
longest candidate made of paragraphs is the article's HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.html

MIN_EMBEDDED_CHARS = 300  # of escaped text in one string
MIN_PARAGRAPHS = 3
MAX_SCRIPT_CHARS = 4_000_000  # a bigger script is a bundle, not a page's data
_JS_STRING = re.compile(rf'"((?:[^"\\]|\\.){{{MIN_EMBEDDED_CHARS},}})"', re.DOTALL)
_PARAGRAPH = re.compile(r"<p[\s>]", re.IGNORECASE)
# Where a page's state is: a JSON script, or a global it assigns.
_STATE_SCRIPT = re.compile(
    r"__NEXT_DATA__|__NUXT(?:_DATA)?__|__INITIAL_STATE__|__PRELOADED_STATE__|__APOLLO_STATE__"
    r"|Fusion\.globalContent"
)
_JSON_TYPES = ("application/json", "application/ld+json")
_TEXT_KEYS = ("text", "content", "html", "value", "body")
# Blocks that are not the article's prose.
_NOT_PROSE = re.compile(
    r"image|video|audio|\bad\b|ads|embed|related|gallery|promo|interstitial"
    r"|oembed|social|newsletter|correction_link",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]{0,2000}>")
MIN_BLOCK_CHARS = 25  # a paragraph block: longer than a caption or a label
MAX_STATE_DEPTH = 40


def data_scripts(tree: lxml.html.HtmlElement) -> list[str]:
    """The inline scripts that may carry paragraphs (cheap: a substring test). Taken
    before extraction, which removes scripts from the tree."""
    found = []
    for script in tree.iter("script"):
        code = script.text or ""
        if script.get("src") or len(code) > MAX_SCRIPT_CHARS:
            continue
        kind = (script.get("type") or "").lower()
        if kind == "application/ld+json":
            continue  # structured data: articleBody is trafilatura's to read
        if (
            "<p" in code
            or "u003cp" in code.lower()
            or kind in _JSON_TYPES
            or _STATE_SCRIPT.search(code[:300] + (script.get("id") or ""))
        ):
            found.append(code)
    return found


def embedded_article_html(scripts: list[str]) -> str | None:
    """The longest string of paragraph HTML in ``scripts``, or None."""
    best: str | None = None
    for code in scripts:
        for value in (*_html_strings(code, depth=2), *_block_lists(code)):
            if best is None or len(value) > len(best):
                best = value
    return best


def _block_lists(code: str) -> Iterator[str]:
    """The content-block lists of a script's JSON state, each as paragraph HTML."""
    start = min((i for i in (code.find("{"), code.find("[")) if i >= 0), default=-1)
    if start < 0:
        return
    try:
        state, _ = json.JSONDecoder().raw_decode(code, start)
    except (ValueError, RecursionError):
        return
    stack: list[tuple[Any, int]] = [(state, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_STATE_DEPTH:
            continue
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            paragraphs = [_block_text(item) for item in value if isinstance(item, dict)]
            prose = [p for p in paragraphs if p and len(p) >= MIN_BLOCK_CHARS]
            if len(prose) >= MIN_PARAGRAPHS and sum(map(len, prose)) >= MIN_EMBEDDED_CHARS:
                yield "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
            else:
                stack.extend((item, depth + 1) for item in value)


def _block_text(block: dict[str, Any]) -> str | None:
    """The plain text of one content block, or None when it is no prose block."""
    text = _raw_text(block)
    return " ".join(text.split()) or None if text else None


def without_tags(value: str, between: str = "") -> str:
    """Text written as HTML inside data (JSON strings): tags out (``between`` in their
    place), entities decoded."""
    return html.unescape(_TAG.sub(between, value) if "<" in value else value)


def _raw_text(block: dict[str, Any], depth: int = 0) -> str:
    kind = block.get("type") or block.get("_type") or block.get("__typename") or ""
    if depth > MAX_STATE_DEPTH or (isinstance(kind, str) and _NOT_PROSE.search(kind)):
        return ""
    for key in _TEXT_KEYS:
        value = block.get(key)
        if isinstance(value, str) and value.strip():
            return without_tags(value)
    children = block.get("children")
    if isinstance(children, list):  # a rich-text block: its spans, as written
        return "".join(_raw_text(c, depth + 1) for c in children if isinstance(c, dict))
    return ""


def _html_strings(code: str, depth: int) -> Iterator[str]:
    """String values in ``code`` made of paragraphs; JSON held in a string (React server
    components stream it so) is searched in turn."""
    for match in _JS_STRING.finditer(code):
        try:
            value = json.loads(f'"{match.group(1)}"')
        except ValueError:  # a JavaScript escape JSON does not know: not data
            continue
        if not isinstance(value, str) or len(_PARAGRAPH.findall(value)) < MIN_PARAGRAPHS:
            continue
        if value.lstrip()[:1] in ("{", "[") or '\\"' in value:
            if depth > 1:
                yield from _html_strings(value, depth - 1)
        else:
            yield value
