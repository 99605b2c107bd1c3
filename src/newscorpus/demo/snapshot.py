"""Archive the demo sites into a WARC file by walking their sitemaps over real HTTP.

A stand-in for the crawler: it reads robots.txt for the sitemaps, follows sitemap
indexes, and archives every page listed (plus home pages) exactly as received.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from html import unescape
from pathlib import Path

from newscorpus import __version__
from newscorpus.demo.server import DemoSite
from newscorpus.warc.writer import WarcFileWriter

logger = logging.getLogger(__name__)

USER_AGENT = f"newscorpus/{__version__} (demo snapshot)"
DEMO_PREFIX = "newscorpus-demo"  # names of the WARC files the demo writes
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>")
_SITEMAP_LINE = re.compile(r"^\s*sitemap:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
# Loopback only: never let an environment proxy see the demo traffic.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> tuple[int, str, list[tuple[str, str]], bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
    )
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.reason, response.getheaders(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.reason, list(error.headers.items()), error.read()


def _text(headers: list[tuple[str, str]], body: bytes) -> str:
    import gzip

    if any(k.lower() == "content-encoding" and "gzip" in v for k, v in headers):
        body = gzip.decompress(body)
    return body.decode("utf-8", errors="replace")


def site_urls(base: str) -> list[str]:
    """The home page and every page the site's sitemaps list, in a stable order."""
    urls = [f"{base}/"]
    _, _, headers, body = _get(f"{base}/robots.txt")
    pending = _SITEMAP_LINE.findall(_text(headers, body))
    seen_maps: set[str] = set()
    while pending:
        sitemap = pending.pop(0)
        if sitemap in seen_maps:
            continue
        seen_maps.add(sitemap)
        _, _, headers, body = _get(sitemap)
        text = _text(headers, body)
        locations = [unescape(loc) for loc in _LOC.findall(text)]
        if "<sitemapindex" in text:
            pending.extend(locations)
        else:
            urls.extend(locations)
    return list(dict.fromkeys(urls))


def snapshot_to_warc(site: DemoSite, directory: Path, prefix: str = DEMO_PREFIX) -> Path:
    """Fetch every page of the demo sites into one WARC file in ``directory``."""
    writer = WarcFileWriter(
        directory, prefix=prefix, info={"description": "snapshot of the newscorpus demo sites"}
    )
    with writer:
        for base in site.base_urls:
            for url in site_urls(base):
                status, reason, headers, body = _get(url)
                request_headers = [
                    ("User-Agent", USER_AGENT),
                    ("Accept-Encoding", "gzip"),
                    ("Host", url.split("/")[2]),
                ]
                writer.write_exchange(url, request_headers, f"{status} {reason}", headers, body)
    (path,) = writer.files
    return path
