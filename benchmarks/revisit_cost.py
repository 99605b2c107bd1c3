"""Cost of re-visits: requests and WARC bytes of a re-visit crawl, against fetching again.

Serves ``--articles`` article pages on 127.0.0.1 (from another process: the real pages of
../shared/benchmarks/extraction/fundus/html, each under several URLs, when that folder is
there, else small generated ones), crawls them
once, changes ``--changed`` of them, and crawls again when their re-visit is due. Twice:
with a server that answers conditional requests (ETag: an unchanged page is a 304), and
with one that ignores them (it sends the same bytes again). Prints, per run, the article
requests per article of the re-visit crawl (the target: at most one per scheduled visit),
the WARC bytes it wrote, and the ratio to the baseline: archiving every article again, as
a re-crawl that fetches everything does (its bytes: those of the first crawl's articles).

    python benchmarks/revisit_cost.py [--articles 300] [--changed 0.1]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PARAGRAPH = (
    "The regional council met on Tuesday to discuss the new transport plan, which would add "
    "bus lines to the valleys and extend the night service on weekends. "
)

SERVER = r"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import gzip
port, count, changed_file, log_file, validators = (
    int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5] == "on"
)
paragraph, real = sys.argv[6], Path(sys.argv[7])
log = log_file.open("a", buffering=1)
# real news pages when ../shared is there (their sizes are what WARC bytes are about)
pages = [gzip.decompress(p.read_bytes()) for p in sorted(real.glob("*.html.gz"))]

def article(i, version):
    extra = f"<p>Correction {version}: the council meets again on Friday.</p>" if version else ""
    if pages:
        page = pages[i % len(pages)].replace(b"</body>", f"<!-- {i} -->{extra}</body>".encode())
        return page
    body = "".join(f"<p>{paragraph} Story {i}, part {k}.</p>" for k in range(5))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Story {i}"
            f"</title></head><body><article><h1>Story {i}</h1>{body}{extra}</article>"
            "</body></html>").encode()

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        log.write(self.path + "\n")
        if self.path == "/robots.txt":
            return self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if self.path == "/":
            links = "".join(f'<a href="/2026/04/story-{i}.html">{i}</a>' for i in range(count))
            return self.reply(200, f"<html><body>{links}</body></html>".encode())
        if self.path.startswith("/2026/04/story-"):
            i = int(self.path.rsplit("-", 1)[1].split(".")[0])
            changed = json.loads(changed_file.read_text()) if changed_file.exists() else []
            version = 1 if i in changed else 0
            etag = f'"{i}-{version}"'
            if validators and self.headers.get("If-None-Match") == etag:
                return self.reply(304, b"", etag=etag)
            return self.reply(200, article(i, version), etag=etag if validators else None)
        self.reply(404, b"not found")

    def reply(self, status, body, kind="text/html; charset=utf-8", etag=None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared/benchmarks/extraction/fundus/html"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _crawl(base: str, run: Path, revisit: str) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "newscorpus", "crawl", f"{base}/", "--out", str(run),
        "--allow-private", "--delay", "0", "--concurrency-per-host", "8",
        "--max-depth", "2", "--revisit", revisit,
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=1800)
    return dict(json.loads((run / "crawl-stats.json").read_text()))


def _warc_bytes(run: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in (run / "warc").glob("*.warc.gz")}


def _article_requests(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines() if line.startswith("/2026/"))


def measure(articles: int, changed_share: float, validators: bool, delay: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        changed_file, log = folder / "changed.json", folder / "requests.log"
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), str(articles), str(changed_file),
             str(log), "on" if validators else "off", PARAGRAPH, str(REAL_PAGES)],
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            run = folder / "run"
            _crawl(base, run, f"{delay:g}s")
            first_done = time.monotonic()
            first_bytes = sum(_warc_bytes(run).values())
            first_requests = _article_requests(log)
            changed = list(range(0, articles, max(1, round(1 / changed_share))))
            changed_file.write_text(json.dumps(changed))
            time.sleep(max(0.0, first_done + delay + 0.5 - time.monotonic()))
            before = _warc_bytes(run)
            stats = _crawl(base, run, f"{delay:g}s")
            after = _warc_bytes(run)
            revisit_bytes = sum(size - before.get(path, 0) for path, size in after.items())
            requests = _article_requests(log) - first_requests
        finally:
            server.terminate()
            server.wait(timeout=20)
    unchanged = articles - len(changed)
    return {
        "validators": validators,
        "articles": articles,
        "changed": len(changed),
        "article_requests_per_article": requests / articles,
        "first_crawl_bytes": first_bytes,
        "revisit_crawl_bytes": revisit_bytes,
        "revisits": stats.get("revisits", {}),
        "bytes_per_unchanged_article": (
            (revisit_bytes - len(changed) * first_bytes / articles) / unchanged if unchanged else 0
        ),
        "ratio_to_fetching_all_again": revisit_bytes / first_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--changed", type=float, default=0.1, help="share of articles changed")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds to the re-visit")
    args = parser.parse_args()
    pages = "real fundus pages" if REAL_PAGES.is_dir() else "small generated pages"
    print(f"{args.articles} articles ({pages}), {args.changed:.0%} changed before their re-visit")
    print(
        f"{'server':<22}{'req/article':>12}{'1st crawl B':>14}{'re-visit B':>12}"
        f"{'B/unchanged':>13}{'ratio':>8}"
    )
    for validators in (True, False):
        result = measure(args.articles, args.changed, validators, args.delay)
        name = "answers 304" if validators else "ignores validators"
        print(
            f"{name:<22}{result['article_requests_per_article']:>12.2f}"
            f"{result['first_crawl_bytes']:>14,}{result['revisit_crawl_bytes']:>12,}"
            f"{result['bytes_per_unchanged_article']:>13,.0f}"
            f"{result['ratio_to_fetching_all_again']:>8.3f}"
        )
        print(f"  revisits: {result['revisits']}")
    print("ratio: WARC bytes of the re-visit crawl / of archiving every article again")


if __name__ == "__main__":
    main()
