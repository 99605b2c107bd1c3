"""Article text a page carries only in its data, not in its markup.

Pages rendered by JavaScript frameworks (Next.js, Nuxt, React state) ship the article as
HTML inside a JSON string of a ``<script>``; the DOM holds an empty shell. Nothing is run:
the strings are read and unescaped (once, or twice when the JSON was itself embedded as a
string), and the longest one that is made of paragraphs is the article's HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import lxml.html

MIN_EMBEDDED_CHARS = 300  # of escaped text in one string
MIN_PARAGRAPHS = 3
MAX_SCRIPT_CHARS = 4_000_000  # a bigger script is a bundle, not a page's data
_JS_STRING = re.compile(rf'"((?:[^"\\]|\\.){{{MIN_EMBEDDED_CHARS},}})"', re.DOTALL)
_PARAGRAPH = re.compile(r"<p[\s>]", re.IGNORECASE)


def data_scripts(tree: lxml.html.HtmlElement) -> list[str]:
    """The inline scripts that may carry paragraphs (cheap: a substring test). Taken
    before extraction, which removes scripts from the tree."""
    found = []
    for script in tree.iter("script"):
        code = script.text or ""
        if script.get("src") or len(code) > MAX_SCRIPT_CHARS:
            continue
        if "<p" in code or "u003cp" in code.lower():
            found.append(code)
    return found


def embedded_article_html(scripts: list[str]) -> str | None:
    """The longest string of paragraph HTML in ``scripts``, or None."""
    best: str | None = None
    for code in scripts:
        for value in _html_strings(code, depth=2):
            if best is None or len(value) > len(best):
                best = value
    return best


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
