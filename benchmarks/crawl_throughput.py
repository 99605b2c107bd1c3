"""Crawl throughput: ``newscorpus crawl`` against a bare scrapy spider on the same local site.

Generates a static news site of ``--articles`` pages (home, section pages, sitemap,
robots.txt), serves it from another process on 127.0.0.1, and crawls it alternately with

- baseline: a bare scrapy spider that follows every link and saves each body to a file;
- newscorpus: discovery (robots.txt, sitemaps, feeds, links), safety checks, WARC writing
  and crawl state, with the same concurrency and no politeness delay;

printing pages/s, CPU seconds per 1,000 pages and the ratio. Medians over ``--repeat``.

    python benchmarks/crawl_throughput.py [--articles 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONCURRENCY = 8
PARAGRAPH = (
    "The regional council met on Tuesday to discuss the new transport plan, which would add "
    "bus lines to the valleys and extend the night service on weekends. "
)

BARE_SPIDER = """
import sys
from pathlib import Path
import scrapy
from scrapy.crawler import CrawlerProcess

start, out = sys.argv[1], Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

class Bare(scrapy.Spider):
    name = "bare"
    start_urls = [start]
    count = 0

    def parse(self, response):
        Bare.count += 1
        (out / f"{Bare.count}.html").write_bytes(response.body)
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)

process = CrawlerProcess({
    "LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": CONCURRENCY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY, "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False, "HTTPPROXY_ENABLED": False,
})
process.crawl(Bare)
process.start()
print(Bare.count)
"""


def build_site(root: Path, articles: int, per_section: int = 100) -> None:
    sections = (articles + per_section - 1) // per_section
    (root / "robots.txt").write_text("User-agent: *\nSitemap: /sitemap.xml\n")
    links = "".join(f'<li><a href="/section-{s}/">Section {s}</a></li>' for s in range(sections))
    (root / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>")
    locs = []
    for section in range(sections):
        items = []
        for i in range(section * per_section, min(articles, (section + 1) * per_section)):
            path = f"2026/03/{1 + i % 28:02d}/story-number-{i}-of-the-day.html"
            items.append(f'<li><a href="/{path}">Story {i}</a></li>')
            locs.append(f"<url><loc>BASE/{path}</loc></url>")
            page = root / path
            page.parent.mkdir(parents=True, exist_ok=True)
            body = "".join(f"<p>{PARAGRAPH} ({i}, {k})</p>" for k in range(12))
            page.write_text(
                f"<html><head><title>Story {i}</title></head><body><nav>{links}</nav>"
                f"<article><h1>Story {i}</h1>{body}</article></body></html>"
            )
        section_dir = root / f"section-{section}"
        section_dir.mkdir()
        (section_dir / "index.html").write_text(
            f"<html><body><ul>{''.join(items)}</ul></body></html>"
        )
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(locs)
        + "</urlset>"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        build_site(site, args.articles)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        sitemap = site / "sitemap.xml"
        sitemap.write_text(sitemap.read_text().replace("BASE", base))
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(site),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # scrapy reads its callbacks' source: the spider must be a file, not `python -c`
        spider = Path(tmp) / "bare_spider.py"
        spider.write_text(BARE_SPIDER.replace("CONCURRENCY", str(CONCURRENCY)))
        time.sleep(1.0)
        results: dict[str, list[tuple[float, float, int]]] = {"bare scrapy": [], "newscorpus": []}
        try:
            for attempt in range(args.repeat):
                out = Path(tmp) / f"bare-{attempt}"
                wall, cpu, stdout = timed([sys.executable, str(spider), f"{base}/", str(out)])
                results["bare scrapy"].append((wall, cpu, int(stdout.split()[-1])))
                shutil.rmtree(out)

                run = Path(tmp) / f"run-{attempt}"
                wall, cpu, _ = timed(
                    [
                        sys.executable,
                        "-m",
                        "newscorpus",
                        "-q",
                        "crawl",
                        f"{base}/",
                        "--out",
                        str(run),
                        "--allow-private",
                        "--delay",
                        "0",
                        "--max-depth",
                        "3",
                        "--concurrency-per-host",
                        str(CONCURRENCY),
                    ]
                )
                stats = json.loads((run / "crawl-stats.json").read_text())
                results["newscorpus"].append((wall, cpu, stats["requests"]))
                shutil.rmtree(run)
        finally:
            server.terminate()
            server.wait()

    print(
        f"site: {args.articles} articles + section pages on 127.0.0.1, concurrency "
        f"{CONCURRENCY}, medians of {args.repeat} runs"
    )
    print(f"{'contender':<12} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'CPU s/1k pages':>15}")
    rates = {}
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        pages = int(statistics.median(r[2] for r in runs))
        rates[name] = pages / wall
        print(
            f"{name:<12} {pages:>6} {wall:>7.2f} {pages / wall:>8.1f} {cpu / pages * 1000:>15.2f}"
        )
    ratio = rates["newscorpus"] / rates["bare scrapy"]
    print(f"ratio newscorpus / bare scrapy (pages/s): {ratio:.2f}x (target >= 0.7)")


if __name__ == "__main__":
    main()
