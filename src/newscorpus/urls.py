"""URL normalisation shared by extraction, deduplication and (later) the crawler."""

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


def url_domain(url: str) -> str:
    """The host of ``url`` in lower case, without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")
