"""URLs: normalisation, and what a URL says about its page. Shared by crawl and process."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# Query parameters that identify a campaign or a visitor, never the page.
_TRACKING_PARAM = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl"
    r"|ref_src|ref_url|cmpid|ocid|xtor|at_medium|at_campaign|sessionid|phpsessid|jsessionid)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED_MARKS = "-._~"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def normalize_url(url: str) -> str:
    """A canonical spelling of ``url``.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters,
    remaining query parameters sorted, path percent-encoding normalised.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = _normalize_percent(parts.path, "/:@!$&'()*+,;=") or "/"
    params = [
        _normalize_percent(param, ":@!$'()*+,;=/?")
        for param in parts.query.split("&")
        if param and not _TRACKING_PARAM.match(unquote(param.split("=", 1)[0]))
    ]
    return urlunsplit((scheme, netloc, path, "&".join(sorted(params)), ""))


def _normalize_percent(part: str, safe: str) -> str:
    """RFC 3986 normalisation: escapes of unreserved characters decoded, other escapes
    kept (upper-case hex), stray ``%`` and characters that need it escaped."""
    part = _STRAY_PERCENT.sub("%25", part)
    part = _ESCAPE.sub(_decode_unreserved, part)
    return quote(part, safe=safe + "%" + _UNRESERVED_MARKS)


def _decode_unreserved(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return (
        char
        if char.isascii() and (char.isalnum() or char in _UNRESERVED_MARKS)
        else ("%" + match.group(1).upper())
    )


def bare_host(host: str) -> str:
    """A host name as newscorpus compares sites: lower case, without a trailing dot
    or a leading ``www.``."""
    return host.lower().rstrip(".").removeprefix("www.")


def url_domain(url: str) -> str:
    """The host of ``url`` in lower case, without a leading ``www.``."""
    return bare_host(urlsplit(url).hostname or "")


_SECOND_LEVEL = frozenset({"com", "co", "org", "net", "ac", "gov", "ne", "or", "go"})


def host_name(url: str) -> str | None:
    """The name a host is registered under: "ntv" for www.ntv.com.tr, "cnn" for
    edition.cnn.com."""
    labels = url_domain(url).split(".")[:-1]  # the top-level domain left out
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    return labels[-1] if labels and labels[-1] else None


# A date in the path (/2026/03/14/, /2026-03-14-) or a long slug or a numeric id marks an
# article; tag, author, section, search and paging paths mark hubs.
_DATE_IN_PATH = re.compile(r"/(19|20)\d{2}[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?[/-]")
_SLUG = re.compile(r"/[^/]*[\w%]+-[\w%]+-[\w%]+-[\w%]+[^/]*(\.html?)?/?$", re.UNICODE)
_NUMERIC_ID = re.compile(r"[/-]\d{5,}(\.html?)?/?$")
_HUB = re.compile(
    r"/(tag|tags|topic|topics|author|authors|category|categories|section|search|page|archive|"
    r"archives|login|register|subscribe|newsletter|account|cart|feed|rss)(/|$|\?)",
    re.IGNORECASE,
)
_NOT_HTML = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|pdf|zip|gz|mp3|mp4|avi|mov|webm|css|js|json|woff2?|ttf)$",
    re.IGNORECASE,
)


def looks_like_article(url: str) -> bool:
    """An article's URL: shaped like one (``has_article_shape``) and not a hub's."""
    path = urlsplit(url).path
    if _HUB.search(path) or _NOT_HTML.search(path):
        return False
    return has_article_shape(url)


def has_article_shape(url: str) -> bool:
    """A date followed by more path, a long slug, or a numeric id: what article URLs have."""
    path = urlsplit(url).path
    dated = _DATE_IN_PATH.search(path + "/")
    if dated and path[dated.end() - 1 :].strip("/"):  # something after the date: a story
        return True
    return bool(_SLUG.search(path) or _NUMERIC_ID.search(path))


def is_hub_path(path: str) -> bool:
    """Tag, author, section, search, paging and account paths: pages that list articles."""
    return bool(_HUB.search(path))


def is_fetchable_page(url: str) -> bool:
    return not _NOT_HTML.search(urlsplit(url).path)
