"""A CC-NEWS-shaped tree served on 127.0.0.1, with range requests and injected faults."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import html_page, news_paragraphs, write_warc

HTML = [("Content-Type", "text/html; charset=utf-8")]


def build_tree(
    root: Path,
    files: dict[str, list[tuple[str, str]]],
    bodies: dict[tuple[str, str], bytes] | None = None,
) -> dict[str, Path]:
    """``files``: CC-NEWS file name -> [(host, slug)]; one article page per entry, its
    page from ``bodies[(file name, slug)]`` when given there, fetched at the time the
    file name says.

    Writes ``crawl-data/CC-NEWS/YYYY/MM/<name>`` and each month's ``warc.paths.gz``."""
    paths: dict[str, Path] = {}
    listings: dict[str, list[str]] = {}
    seed = 0
    for name, pages in files.items():
        year, month = name[8:12], name[12:14]
        folder = root / "crawl-data" / "CC-NEWS" / year / month
        records = []
        for host, slug in pages:
            seed += 1
            url = f"https://{host}/2024/{month}/{slug}.html"
            body = (bodies or {}).get((name, slug))
            records.append((url, body or html_page(f"{host} {slug}", news_paragraphs(seed)), HTML))
        stamp = name[8:22]  # CC-NEWS-YYYYMMDDHHMMSS-NNNNN.warc.gz
        date = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}Z"
        written = write_warc(root / "tmp" / name, records, prefix="x", dates=[date] * len(records))
        folder.mkdir(parents=True, exist_ok=True)
        paths[name] = written.rename(folder / name)
        listings.setdefault(f"{year}/{month}", []).append(
            f"crawl-data/CC-NEWS/{year}/{month}/{name}"
        )
    for month, names in listings.items():
        listing = root / "crawl-data" / "CC-NEWS" / month / "warc.paths.gz"
        listing.write_bytes(gzip.compress(("\n".join(names) + "\n").encode()))
    return paths


class TreeServer:
    """Serves ``root``; ``faults[path]`` is a list of what to do to the next requests:
    ``"500"`` (a server error), ``"404"``, ``"403"``, ``"cut"`` (half the body, then the connection
    closes), ``"slow"`` (the body in small pieces, slowly). ``log`` holds (path, range)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults: dict[str, list[str]] = {}
        self.log: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.log.append((path, self.headers.get("Range")))
                queued = server.faults.get(path) or []
                fault = queued.pop(0) if queued else None
                if fault in ("500", "404", "403"):
                    self.send_error(int(fault))
                    return
                file = server.root / path.lstrip("/")
                if not file.is_file():
                    self.send_error(404)
                    return
                data = file.read_bytes()
                start = 0
                header = self.headers.get("Range")
                if header and header.startswith("bytes="):
                    start = int(header[6:].split("-", 1)[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fault == "cut":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if fault == "slow":
                    for i in range(0, len(body), 2048):
                        self.wfile.write(body[i : i + 2048])
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @contextmanager
    def running(self) -> Iterator[TreeServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
