"""Serve the demo sites on loopback, each on its own address when the system allows it."""

from __future__ import annotations

import contextlib
import gzip
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Protocol

from newscorpus.demo.site import MeridianSite, Page, WireSite

logger = logging.getLogger(__name__)


class _Site(Protocol):
    def render(self, path: str) -> Page | None: ...


def _handler_for(site: _Site, requested: Callable[[str], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "newscorpus-demo/1"

        def do_GET(self) -> None:
            self._respond(with_body=True)

        def do_HEAD(self) -> None:
            self._respond(with_body=False)

        def _respond(self, with_body: bool) -> None:
            requested(self.path)
            page = site.render(self.path)
            if page is None:
                page = Page(404, "text/html; charset=utf-8", b"<h1>Not found</h1>")
            headers = {"Content-Type": page.content_type}
            body = page.body
            if page.last_modified:
                modified = datetime.fromisoformat(page.last_modified)
                headers["Last-Modified"] = format_datetime(modified, usegmt=False)
                since = self.headers.get("If-Modified-Since")
                if since and page.status == 200 and _not_modified(since, modified):
                    self.send_response(304)
                    self.send_header("Last-Modified", headers["Last-Modified"])
                    self.end_headers()
                    return
            if "gzip" in self.headers.get("Accept-Encoding", "") and page.status == 200:
                body = gzip.compress(body, mtime=0)
                headers["Content-Encoding"] = "gzip"
                headers["Vary"] = "Accept-Encoding"
            headers["Content-Length"] = str(len(body))
            self.send_response(page.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("demo %s " + format, self.client_address[0], *args)

    return Handler


def _not_modified(since: str, modified: datetime) -> bool:
    try:
        return modified.timestamp() <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


class DemoSite:
    """The demo outlet and its syndication partner, served until ``close``.

    The outlet listens on 127.0.0.1 and the partner on 127.0.0.2 (a different host, as
    on the web); where 127.0.0.2 is not available, on another port of 127.0.0.1.
    """

    def __init__(self, host: str = "127.0.0.1", partner_host: str = "127.0.0.2") -> None:
        self._servers: list[ThreadingHTTPServer] = []
        main = self._listen(host, 0)
        port = main.server_address[1]
        try:
            partner = self._listen(partner_host, port)
        except OSError:
            partner = self._listen(host, 0)
        self.meridian = MeridianSite(self._base(main))
        self.wire = WireSite(self._base(partner), self.meridian)
        # requests by URL (path and query), for tests that count what a crawl asked for
        self.requests: Counter[str] = Counter()
        self._requests_lock = threading.Lock()
        main.RequestHandlerClass = _handler_for(self.meridian, self._requested(self.meridian))
        partner.RequestHandlerClass = _handler_for(self.wire, self._requested(self.wire))
        for server in self._servers:
            # polled often: `close` (Ctrl-C on a demo that keeps serving) waits for the loop
            threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()

    def _requested(self, site: MeridianSite | WireSite) -> Callable[[str], None]:
        def count(path: str) -> None:
            with self._requests_lock:
                self.requests[site.base + path] += 1

        return count

    def _listen(self, host: str, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
        server.daemon_threads = True
        self._servers.append(server)
        return server

    @staticmethod
    def _base(server: ThreadingHTTPServer) -> str:
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_urls(self) -> list[str]:
        return [self.meridian.base, self.wire.base]

    def wait(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> DemoSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
