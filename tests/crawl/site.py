"""A scriptable news site on 127.0.0.1 for crawler tests, with a log of every request."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict[str, str], bytes]
Route = Callable[["LoggedRequest"], Reply]

PARAGRAPH = (
    "The harbour authority confirmed on Monday that the new ferry line will start in June, "
    "connecting the old town with the islands twice a day during the summer season. "
)


def article_html(title: str, extra_head: str = "", charset: str = "utf-8") -> str:
    body = "".join(f"<p>{PARAGRAPH} Story: {title}.</p>" for _ in range(4))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="{charset}"><title>{title}</title>'
        f"{extra_head}</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def html(text: str, status: int = 200, **headers: str) -> Reply:
    return status, {"Content-Type": "text/html; charset=utf-8", **headers}, text.encode()


@dataclass
class LoggedRequest:
    path: str
    headers: dict[str, str]
    time: float


@dataclass
class LocalNewsSite:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[LoggedRequest] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host!s}:{port}"

    def page(self, path: str, text: str, **headers: str) -> None:
        self.routes[path] = lambda request: html(text, **headers)

    def requested(self, prefix: str) -> list[str]:
        return [r.path for r in self.log if r.path.startswith(prefix)]

    def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalNewsSite:
        """Serve on ``host`` (``::1`` for IPv6 loopback), on ``port`` or a free one."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                request = LoggedRequest(self.path, dict(self.headers), time.monotonic())
                site.log.append(request)
                route = site.routes.get(self.path)
                status, headers, body = route(request) if route else (404, {}, b"not found")
                if "gzip" in self.headers.get("Accept-Encoding", "") and headers.pop(
                    "X-Compress", None
                ):
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server_class = ThreadingHTTPServer
        if ":" in host:

            class ServerV6(ThreadingHTTPServer):
                address_family = socket.AF_INET6

            server_class = ServerV6
        self.server = server_class((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
