"""Real crawls (scrapy in a subprocess) of real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastwarc import ArchiveIterator, WarcRecordType

from newscorpus.demo import DemoSite
from tests.conftest import crawl, ctrl_c_reaches_it
from tests.crawl.site import LocalNewsSite, LoggedRequest, Reply, article_html, html


def archived(run_dir: Path) -> list[str]:
    """Target URIs of the response records of every WARC file of a crawl, in order."""
    urls = []
    for path in sorted((run_dir / "warc").glob("*.warc.gz")):
        for record in ArchiveIterator(str(path), record_types=WarcRecordType.response):
            urls.append(record.headers["WARC-Target-URI"])
    return urls


def paths(urls: list[str]) -> list[str]:
    return ["/" + url.split("/", 3)[3] for url in urls]


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def stats(run_dir: Path) -> dict:
    return json.loads((run_dir / "crawl-stats.json").read_text())


def test_discovery_through_every_path(site: LocalNewsSite, tmp_path: Path) -> None:
    base = site.base
    site.page("/robots.txt", f"User-agent: *\nSitemap: {base}/sitemap_index.xml\n")
    site.routes["/robots.txt"] = lambda r: (
        200,
        {"Content-Type": "text/plain"},
        f"User-agent: *\nSitemap: {base}/sitemap_index.xml\n".encode(),
    )
    xml = {"Content-Type": "application/xml"}
    site.routes["/sitemap_index.xml"] = lambda r: (
        200,
        xml,
        (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
        ).encode(),
    )
    site.routes["/sitemap-news.xml"] = lambda r: (
        200,
        xml,
        (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"<url><loc>{base}/n/1</loc><news:news><news:publication_date>2026-03-01"
            "</news:publication_date><news:language>en</news:language></news:news></url>"
            "</urlset>"
        ).encode(),
    )
    site.routes["/feed.xml"] = lambda r: (
        200,
        {"Content-Type": "application/rss+xml"},
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>a</title><link>{base}/2026/03/02/from-the-rss-feed</link></item>"
            "</channel></rss>"
        ).encode(),
    )
    site.routes["/atom"] = lambda r: (
        200,
        {"Content-Type": "application/atom+xml"},
        (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            f'<entry><title>b</title><link rel="alternate" href="{base}/2026/03/03/from-atom"/>'
            "</entry></feed>"
        ).encode(),
    )
    site.page(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" '
        'href="/feed.xml"><link rel="alternate" type="application/atom+xml" href="/atom">'
        '</head><body><a href="/world/">World</a><a href="/tag/ferries">Tag</a></body></html>',
    )
    site.page(
        "/world/",
        '<html><body><a href="/2026/03/04/found-by-following-links.html">x</a>'
        '<a href="/world/?page=2">next</a></body></html>',
    )
    site.page(
        "/world/?page=2",
        '<html><body><a href="/2026/03/05/on-the-second-page.html">y</a></body></html>',
    )
    site.page("/tag/ferries", "<html><body>no articles here</body></html>")
    for path in (
        "/n/1",
        "/2026/03/02/from-the-rss-feed",
        "/2026/03/03/from-atom",
        "/2026/03/04/found-by-following-links.html",
        "/2026/03/05/on-the-second-page.html",
    ):
        site.page(path, article_html(path))
    run_dir = tmp_path / "run"
    ok(crawl([f"{base}/"], run_dir))
    got = set(paths(archived(run_dir)))
    assert {
        "/n/1",
        "/2026/03/02/from-the-rss-feed",
        "/2026/03/03/from-atom",
        "/2026/03/04/found-by-following-links.html",
        "/2026/03/05/on-the-second-page.html",
    } <= got
    summary = stats(run_dir)
    assert summary["articles_found"] >= 5
    assert summary["per_host"]["127.0.0.1"]["articles_archived"] >= 5
    # every page archived once; sitemaps, feeds and robots.txt are not HTML: not archived
    assert len(archived(run_dir)) == len(got)
    assert not got & {"/robots.txt", "/feed.xml", "/atom", "/sitemap_index.xml"}
    agents = {r.headers.get("User-Agent") for r in site.log}
    assert agents and all(a and a.startswith("newscorpus/") and "+http" in a for a in agents)


def test_robots_disallow_and_crawl_delay_are_obeyed(site: LocalNewsSite, tmp_path: Path) -> None:
    robots = "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.5\n"
    site.routes["/robots.txt"] = lambda r: (200, {"Content-Type": "text/plain"}, robots.encode())
    links = "".join(f'<a href="/2026/03/0{i}/public-story-number-{i}.html">p</a>' for i in range(4))
    site.page(
        "/",
        f'<html><body>{links}<a href="/private/2026/03/01/secret-story-here.html">s'
        "</a></body></html>",
    )
    for i in range(4):
        site.page(f"/2026/03/0{i}/public-story-number-{i}.html", article_html(f"public {i}"))
    site.page("/private/2026/03/01/secret-story-here.html", article_html("secret"))
    run_dir = tmp_path / "run"
    ok(crawl([f"{site.base}/"], run_dir, "--delay", "0"))
    assert site.requested("/private/") == []
    assert stats(run_dir)["robots_refusals"] >= 1
    assert stats(run_dir)["errors"] == 0  # a refusal is not an error
    assert len(site.requested("/2026/")) == 4
    # Crawl-delay 0.5 s, though --delay 0 was asked: every request after robots.txt (the
    # home page included) leaves 0.5 s after the previous one ended, so the site sees
    # them at least that far apart, however busy this machine is
    times = [r.time for r in site.log if r.path != "/robots.txt"]
    gaps = [b - a for a, b in itertools.pairwise(sorted(times))]
    assert min(gaps) >= 0.5 * 0.99, sorted(gaps)[:3]


def test_a_recrawl_never_requests_what_robots_txt_disallows(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    """Refused URLs are remembered as refused, not as failures to retry; when a later
    crawl meets them again (queued from the state at start, linked again), they wait for
    robots.txt like every request and are refused again."""
    robots = "User-agent: *\nDisallow: /internal/\nDisallow: /account/\n"
    site.routes["/robots.txt"] = lambda r: (200, {"Content-Type": "text/plain"}, robots.encode())
    hidden = [
        "/account/signin?next=/en/",
        "/internal/",
        *(f"/internal/2026/11/2{i}/draft-story-number-{i}.html" for i in range(6)),
    ]
    public = [f"/2026/11/2{i}/public-story-number-{i}.html" for i in range(3)]
    site.page("/", "".join(f'<a href="{path}">x</a>' for path in [*hidden, *public]))
    for path in [*hidden, *public]:
        site.page(path, article_html(path))
    run_dir = tmp_path / "run"
    for _ in range(3):
        ok(crawl([f"{site.base}/"], run_dir))
        assert [r.path for r in site.log if r.path in hidden] == []
        assert stats(run_dir)["robots_refusals"] == len(hidden)
        assert stats(run_dir)["errors"] == 0
        assert stats(run_dir)["urls"].get("failed", 0) == 0
    assert sorted(set(site.requested("/2026/"))) == public
    assert not any("/internal/" in url or "/account/" in url for url in archived(run_dir))


def test_redirect_loop_slow_page_and_flaky_server(site: LocalNewsSite, tmp_path: Path) -> None:
    site.routes["/2026/03/01/loop-a-story-here.html"] = lambda r: (
        302,
        {"Location": "/2026/03/01/loop-b-story-here.html"},
        b"",
    )
    site.routes["/2026/03/01/loop-b-story-here.html"] = lambda r: (
        302,
        {"Location": "/2026/03/01/loop-a-story-here.html"},
        b"",
    )

    def slow(request: LoggedRequest) -> Reply:
        time.sleep(3)
        return html(article_html("slow"))

    site.routes["/2026/03/02/a-very-slow-story.html"] = slow
    calls = {"n": 0}

    def flaky(request: LoggedRequest) -> Reply:
        calls["n"] += 1
        return html(article_html("flaky")) if calls["n"] > 1 else (503, {}, b"busy")

    site.routes["/2026/03/03/a-flaky-story-here.html"] = flaky
    site.page("/2026/03/04/a-normal-story-here.html", article_html("normal"))
    links = "".join(
        f'<a href="{p}">x</a>'
        for p in (
            "/2026/03/01/loop-a-story-here.html",
            "/2026/03/02/a-very-slow-story.html",
            "/2026/03/03/a-flaky-story-here.html",
            "/2026/03/04/a-normal-story-here.html",
        )
    )
    site.page("/", f"<html><body>{links}</body></html>")
    run_dir = tmp_path / "run"
    started = time.monotonic()
    ok(crawl([f"{site.base}/"], run_dir, "--timeout", "1"))
    assert time.monotonic() - started < 60
    got = paths(archived(run_dir))
    assert sorted(got) == [
        "/",
        "/2026/03/03/a-flaky-story-here.html",
        "/2026/03/04/a-normal-story-here.html",
    ]
    assert calls["n"] == 2
    assert 2 <= len(site.requested("/2026/03/01/loop-")) <= 12  # cut by the redirect limit
    summary = stats(run_dir)
    assert summary["responses_by_status"]["503"] == 1 and summary["errors"] >= 1


def test_huge_pages_and_compression_bombs_are_not_archived(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    huge = article_html("huge") + "<!-- " + "x" * 3_000_000 + " -->"
    site.page("/2026/03/01/a-huge-story-here.html", huge)
    bomb = gzip.compress(b"<html><body>" + b"\0" * 60_000_000, compresslevel=9)
    site.routes["/2026/03/02/a-bomb-story-here.html"] = lambda r: (
        200,
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        bomb,
    )
    site.page("/2026/03/03/a-normal-story-here.html", article_html("normal"))
    links = "".join(
        f'<a href="/2026/03/0{i}/a-{n}-story-here.html">x</a>'
        for i, n in ((1, "huge"), (2, "bomb"), (3, "normal"))
    )
    site.page("/", f"<html><body>{links}</body></html>")
    run_dir = tmp_path / "run"
    result = ok(crawl([f"{site.base}/"], run_dir, "--max-page-mb", "1"))
    assert sorted(paths(archived(run_dir))) == ["/", "/2026/03/03/a-normal-story-here.html"]
    assert "Traceback" not in result.stderr
    assert len(bomb) < 1024 * 1024  # the bomb is small on the wire: only inflation is big


def test_calendar_and_query_traps_are_cut(site: LocalNewsSite, tmp_path: Path) -> None:
    def calendar(request: LoggedRequest) -> Reply:
        month = int(request.path.rsplit("=", 1)[1])
        return html(f'<html><body><a href="/events?month={month + 1}">next</a></body></html>')

    for month in range(0, 200):
        site.routes[f"/events?month={month}"] = calendar

    def listing(request: LoggedRequest) -> Reply:
        n = int(request.path.rsplit("=", 1)[1])
        return html(f'<html><body><a href="/list?sort={n + 1}">more</a></body></html>')

    for n in range(0, 200):
        site.routes[f"/list?sort={n}"] = listing
    site.page(
        "/",
        '<html><body><a href="/events?month=0">calendar</a>'
        '<a href="/list?sort=0">list</a></body></html>',
    )
    run_dir = tmp_path / "run"
    ok(crawl([f"{site.base}/"], run_dir, "--max-depth", "50"))
    assert len(site.requested("/events")) == 0
    assert len(site.requested("/list")) <= 6
    assert stats(run_dir)["traps_cut"] >= 2


def test_windows_1251_page_declared_in_meta_reads_right(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    first = (
        "Городской совет во вторник утвердил бюджет на строительство нового моста через реку. "
        "Работы начнутся весной и продлятся около трёх лет, сообщили в мэрии. "
        "Старый мост, построенный в 1958 году, закроют для грузовиков уже в апреле."
    )
    second = (
        "Жители прибрежных районов давно жаловались на пробки в часы пик. "
        "Депутаты от оппозиции потребовали опубликовать смету и провести открытые слушания. "
        "Мэр пообещал, что пешеходная дорожка появится на мосту одновременно с проезжей частью."
    )
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        f"<title>Новости</title></head><body><article><h1>Мост</h1><p>{first}</p><p>{second}</p>"
        "</article></body></html>"
    ).encode("cp1251")
    site.routes["/2026/03/01/novyj-most-cherez-reku.html"] = lambda r: (
        200,
        {"Content-Type": "text/html", "X-Compress": "1"},
        page,
    )
    site.page(
        "/", '<html><body><a href="/2026/03/01/novyj-most-cherez-reku.html">m</a></body></html>'
    )
    run_dir, corpus = tmp_path / "run", tmp_path / "corpus"
    ok(crawl([f"{site.base}/"], run_dir))
    command = [
        sys.executable,
        "-m",
        "newscorpus",
        "-q",
        "process",
        str(run_dir / "warc"),
        "--out",
        str(corpus),
        "--min-words",
        "20",
        "-w",
        "1",
    ]
    subprocess.run(command, check=True)
    import pyarrow.dataset as ds

    rows = ds.dataset(corpus / "data").to_table().to_pylist()
    (row,) = [r for r in rows if r["url"].endswith("novyj-most-cherez-reku.html")]
    assert row["language"] == "ru" and "Городской совет во вторник утвердил бюджет" in row["text"]


def test_loopback_is_refused_without_allow_private(site: LocalNewsSite, tmp_path: Path) -> None:
    site.page("/", "<html><body>hello</body></html>")
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "newscorpus",
        "crawl",
        f"{site.base}/",
        "--out",
        str(run_dir),
        "--delay",
        "0",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0  # nothing could be crawled: the crawl failed
    assert site.log == []
    assert "not a public address" in result.stderr and "--allow-private" in result.stderr
    assert stats(run_dir)["scrapy"]["newscorpus/refused/private_address"] >= 1


@pytest.mark.parametrize("verbosity", [[], ["-vv"]], ids=["default", "debug"])
def test_a_crawl_that_fetches_no_home_page_fails_in_one_line(
    site: LocalNewsSite, tmp_path: Path, verbosity: list[str]
) -> None:
    from tests.conftest import free_port

    disallowed = LocalNewsSite().start()  # robots.txt keeps every page out
    disallowed.routes["/robots.txt"] = lambda r: (200, {}, b"User-agent: *\nDisallow: /\n")
    unreachable = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    try:
        command = [
            sys.executable, "-m", "newscorpus", *verbosity, "crawl", unreachable,
            f"{disallowed.base}/", "--out", str(tmp_path / "run"), "--allow-private",
            "--delay", "0",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        disallowed.stop()
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if not verbosity:
        assert len(lines) == 1, result.stderr
    assert "nothing crawled" in result.stderr and "disallowed by its robots.txt" in result.stderr
    assert "Connection" in result.stderr  # why the other one failed


def test_quiet_and_json_crawls_print_only_their_result(site: LocalNewsSite, tmp_path: Path) -> None:
    site.page("/", '<a href="/2026/03/01/a-story-to-fetch-here.html">x</a>')
    site.page("/2026/03/01/a-story-to-fetch-here.html", article_html("story"))
    for mode in ("-q", "--json"):
        command = [
            sys.executable, "-m", "newscorpus", mode, "crawl", f"{site.base}/",
            "--out", str(tmp_path / mode), "--allow-private", "--delay", "0",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        if mode == "--json":
            assert json.loads(result.stdout)["warc_records"] >= 2
        else:
            assert result.stdout == ""


def _many_articles(site: LocalNewsSite, count: int, start: int = 0) -> None:
    links = "".join(
        f'<a href="/2026/03/01/story-number-{i}-of-many.html">s</a>' for i in range(count + start)
    )
    site.page(
        "/",
        f"<html><body>{links}</body></html>",
        **{"Last-Modified": "Mon, 02 Mar 2026 09:00:00 GMT"},
    )
    for i in range(start, start + count):
        site.page(
            f"/2026/03/01/story-number-{i}-of-many.html",
            article_html(f"story {i}"),
            **{"Last-Modified": "Mon, 02 Mar 2026 10:00:00 GMT"},
        )


def test_killed_crawl_resumes_without_writing_anything_twice(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    _many_articles(site, 60)
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "newscorpus",
        "-q",
        "crawl",
        f"{site.base}/",
        "--out",
        str(run_dir),
        "--allow-private",
        "--delay",
        "0.05",
        "--max-depth",
        "2",
    ]
    child = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(site.requested("/2026/")) < 15:
        time.sleep(0.02)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    fetched_before = len(site.requested("/2026/"))
    assert 15 <= fetched_before < 60, "the crawl was not interrupted mid-way"
    assert list((run_dir / "warc").glob("*.open"))  # a half-written file was left behind

    ok(crawl([f"{site.base}/"], run_dir, "--max-depth", "2"))
    urls = [u for u in archived(run_dir) if "/2026/" in u]
    assert len(urls) == len(set(urls)) == 60
    assert not list((run_dir / "warc").glob("*.open"))


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_crawl_says_so_and_resumes(
    site: LocalNewsSite, tmp_path: Path, how: int
) -> None:
    _many_articles(site, 40)
    run_dir = tmp_path / "run"
    command = [
        sys.executable, "-m", "newscorpus", "crawl", f"{site.base}/", "--out", str(run_dir),
        "--allow-private", "--delay", "0.05",
    ]  # fmt: skip
    child = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_reaches_it
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(site.requested("/2026/")) < 5:
        time.sleep(0.02)
    child.send_signal(how)  # Ctrl-C, or a service manager stopping it
    _, errors = child.communicate(timeout=60)
    assert child.returncode == 130, errors[-2000:]
    assert "interrupted" in errors and "Traceback" not in errors, errors[-2000:]
    assert len(site.requested("/2026/")) < 40, "the crawl ended before the signal"

    ok(crawl([f"{site.base}/"], run_dir))
    urls = [u for u in archived(run_dir) if "/2026/" in u]
    assert len(urls) == len(set(urls)) == 40


def test_second_crawl_fetches_only_new_articles(site: LocalNewsSite, tmp_path: Path) -> None:
    _many_articles(site, 5)
    run_dir = tmp_path / "run"
    ok(crawl([f"{site.base}/"], run_dir))
    first_files = sorted((run_dir / "warc").glob("*.warc.gz"))
    assert len(first_files) == 1
    site.log.clear()
    _many_articles(site, 3, start=5)
    time.sleep(1.1)  # a new WARC file name (names carry the second)
    ok(crawl([f"{site.base}/"], run_dir))
    fetched = site.requested("/2026/")
    assert sorted(fetched) == sorted(
        f"/2026/03/01/story-number-{i}-of-many.html" for i in range(5, 8)
    )
    files = sorted((run_dir / "warc").glob("*.warc.gz"))
    assert len(files) == 2 and files[0] == first_files[0]
    new_urls = [u for u in archived(run_dir) if "/2026/" in u]
    assert len(new_urls) == len(set(new_urls)) == 8
    (home,) = [r for r in site.log if r.path == "/"]  # hubs are fetched again,
    assert home.headers.get("If-Modified-Since") == "Mon, 02 Mar 2026 09:00:00 GMT"  # conditionally


def test_sources_file_feeds_patterns_and_page_limit(site: LocalNewsSite, tmp_path: Path) -> None:
    base = site.base
    site.routes["/hidden-feed.xml"] = lambda r: (
        200,
        {"Content-Type": "application/rss+xml"},
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            + "".join(f"<item><link>{base}/news/item-{i}</link></item>" for i in range(6))
            + f"<item><link>{base}/live/ticker-one-two-three</link></item>"
            "</channel></rss>"
        ).encode(),
    )
    site.page("/", "<html><body>no links here</body></html>")
    for i in range(6):
        site.page(f"/news/item-{i}", article_html(f"item {i}"))
    site.page("/live/ticker-one-two-three", article_html("live"))
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "local"\nstart_urls = ["{base}/"]\n'
        f'feeds = ["{base}/hidden-feed.xml"]\nexclude = ["/live/"]\nmax_pages = 6\n'
    )
    run_dir = tmp_path / "run"
    ok(crawl(["--sources", str(sources)], run_dir))
    assert site.requested("/live/") == []
    # pages count against the limit of 6 (home and articles; not robots.txt or feeds)
    assert len(site.requested("/news/")) == 5
    assert site.requested("/rss") == site.requested("/feed") == []  # feeds given: no probing
    assert stats(run_dir)["scrapy"]["newscorpus/skipped/site_page_limit"] == 1


def test_a_bad_sources_file_is_one_line(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nstart_urls = ["https://a.example/"]\nmax_depth = "deep"\n')
    result = crawl(["--sources", str(sources)], tmp_path / "run")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "line 3" in result.stderr and "max_depth" in result.stderr


def test_build_crawls_and_processes(demo_site, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    command = [
        sys.executable,
        "-m",
        "newscorpus",
        "build",
        f"{demo_site.meridian.base}/",
        "--out",
        str(corpus),
        "--allow-private",
        "--delay",
        "0",
        "-w",
        "1",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "corpus-crawl" / "crawl-stats.json").exists()
    import pyarrow.dataset as ds

    languages = set(
        ds.dataset(corpus / "data").to_table(columns=["language"])["language"].to_pylist()
    )
    assert {"en", "fr", "de", "ru", "ar", "zh"} <= languages


def test_concurrency_per_host_is_held(site: LocalNewsSite, tmp_path: Path) -> None:
    import threading

    lock = threading.Lock()
    in_flight = {"now": 0, "max": 0}

    def slow_article(request: LoggedRequest) -> Reply:
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(0.3)
        with lock:
            in_flight["now"] -= 1
        return html(article_html(request.path))

    links = ""
    for i in range(8):
        path = f"/2026/03/01/parallel-story-number-{i}.html"
        site.routes[path] = slow_article
        links += f'<a href="{path}">s</a>'
    site.page("/", f"<html><body>{links}</body></html>")
    ok(crawl([f"{site.base}/"], tmp_path / "run", "--concurrency-per-host", "2"))
    assert in_flight["max"] == 2


def test_a_redirect_to_a_private_address_is_refused(site: LocalNewsSite, tmp_path: Path) -> None:
    # Reached through --allow-private? No: the check runs on every request, redirects too;
    # here the seed is public-looking but only resolvable to loopback via a redirect.
    site.routes["/2026/03/01/moved-story-elsewhere.html"] = lambda r: (
        301,
        {"Location": "http://10.255.255.1/secret"},
        b"",
    )
    site.page(
        "/", '<html><body><a href="/2026/03/01/moved-story-elsewhere.html">m</a></body></html>'
    )
    from newscorpus.crawl.middlewares import refused_address

    assert refused_address("10.255.255.1") == "10.255.255.1"
    assert refused_address("127.0.0.1") == "127.0.0.1"
    assert refused_address("::1") == "::1"
    assert refused_address("169.254.169.254") == "169.254.169.254"
    assert refused_address("8.8.8.8") is None  # resolved locally, never contacted


def test_redirected_articles_are_archived_once_across_crawls(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    target = "/2026/03/01/the-story-that-moved-here.html"
    site.page(target, article_html("moved"))
    site.routes["/2026/03/01/old-address-of-the-story.html"] = lambda r: (
        301,
        {"Location": target},
        b"",
    )
    site.page(
        "/",
        '<html><body><a href="/2026/03/01/old-address-of-the-story.html">a</a>'
        f'<a href="{target}">b</a></body></html>',
    )
    run_dir = tmp_path / "run"
    ok(crawl([f"{site.base}/"], run_dir))
    site.routes["/2026/03/02/yet-another-old-address.html"] = lambda r: (
        302,
        {"Location": target},
        b"",
    )
    site.page(
        "/", '<html><body><a href="/2026/03/02/yet-another-old-address.html">c</a></body></html>'
    )
    time.sleep(1.1)
    ok(crawl([f"{site.base}/"], run_dir))
    assert [p for p in paths(archived(run_dir)) if p.startswith("/2026/")] == [target]


def test_failed_articles_are_retried_by_the_next_crawl(site: LocalNewsSite, tmp_path: Path) -> None:
    path = "/2026/03/01/a-story-the-server-hid-once.html"
    answers = {"ok": False}
    site.routes[path] = lambda r: (
        html(article_html("late")) if answers["ok"] else (503, {}, b"busy")
    )

    def home(request: LoggedRequest) -> Reply:
        if request.headers.get("If-Modified-Since"):
            return 304, {}, b""  # unchanged: the link is not seen again
        return html(
            f'<html><body><a href="{path}">x</a></body></html>',
            **{"Last-Modified": "Mon, 02 Mar 2026 09:00:00 GMT"},
        )

    site.routes["/"] = home
    run_dir = tmp_path / "run"
    ok(crawl([f"{site.base}/"], run_dir))
    assert paths(archived(run_dir)) == ["/"]
    answers["ok"] = True
    time.sleep(1.1)
    ok(crawl([f"{site.base}/"], run_dir))
    assert path in paths(archived(run_dir))


def test_offsite_redirects_and_unreachable_robots(site: LocalNewsSite, tmp_path: Path) -> None:
    other = LocalNewsSite().start()
    try:
        other.page("/elsewhere", article_html("spam"))
        site.routes["/2026/03/01/a-story-that-leaves-the-site.html"] = lambda r: (
            301,
            {"Location": f"{other.base}/elsewhere"},
            b"",
        )
        site.page(
            "/",
            '<html><body><a href="/2026/03/01/a-story-that-leaves-the-site.html">'
            "x</a></body></html>",
        )
        run_dir = tmp_path / "run"
        ok(crawl([f"{site.base}/"], run_dir))
        assert not any("elsewhere" in u for u in archived(run_dir))
    finally:
        other.stop()

    broken = LocalNewsSite().start()
    try:
        broken.routes["/robots.txt"] = lambda r: (503, {}, b"down")
        broken.page("/", article_html("home"))
        result = crawl([f"{broken.base}/"], tmp_path / "run2")
        assert {r.path for r in broken.log} == {"/robots.txt"}  # RFC 9309: disallow all
        assert result.returncode != 0 and "robots.txt could not be fetched" in result.stderr
    finally:
        broken.stop()


def test_odd_feeds_sitemaps_and_xhtml(site: LocalNewsSite, tmp_path: Path) -> None:
    base = site.base
    site.routes["/robots.txt"] = lambda r: (
        200,
        {"Content-Type": "text/plain"},
        f"Sitemap: {base}/sitemap.xml.gz\nSitemap: {base}/index-0.xml\n".encode(),
    )
    urlset = (
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}'
        "/2026/03/01/found-in-a-gzipped-sitemap</loc></url></urlset>"
    ).encode()
    site.routes["/sitemap.xml.gz"] = lambda r: (
        200,
        {"Content-Type": "application/octet-stream"},
        gzip.compress(urlset),
    )

    def chain(request: LoggedRequest) -> Reply:  # an endless chain of sitemap indexes
        n = int(request.path.split("-")[1].split(".")[0])
        return (
            200,
            {"Content-Type": "application/xml"},
            (
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
                f"<loc>{base}/index-{n + 1}.xml</loc></sitemap></sitemapindex>"
            ).encode(),
        )

    for n in range(100):
        site.routes[f"/index-{n}.xml"] = chain
    site.routes["/feed.xml"] = lambda r: (200, {"Content-Type": "application/rss+xml"}, b"")
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        '<head><link rel="alternate" type="application/rss+xml" href="/feed.xml"/></head>'
        '<body><a href="/2026/03/02/linked-from-an-xhtml-page">a</a>'
        '<a href="http://[oops/">bad</a></body></html>'
    )
    site.page("/", xhtml)
    for path in ("/2026/03/01/found-in-a-gzipped-sitemap", "/2026/03/02/linked-from-an-xhtml-page"):
        site.page(path, article_html(path))
    run_dir = tmp_path / "run"
    result = ok(crawl([f"{base}/"], run_dir))
    assert "Traceback" not in result.stderr
    got = paths(archived(run_dir))
    assert "/2026/03/01/found-in-a-gzipped-sitemap" in got
    assert "/2026/03/02/linked-from-an-xhtml-page" in got
    assert len(site.requested("/index-")) <= 5


def test_one_crawl_per_run_folder(site: LocalNewsSite, tmp_path: Path) -> None:
    import fcntl

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with (run_dir / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = crawl([f"{site.base}/"], run_dir)
    assert result.returncode != 0 and "being crawled by another process" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_per_host_delay_is_held(site: LocalNewsSite, tmp_path: Path) -> None:
    _many_articles(site, 5)
    ok(crawl([f"{site.base}/"], tmp_path / "run", "--delay", "0.3"))
    assert len(site.requested("/2026/")) == 5
    # each request leaves 0.3 s after the previous one to the host ended: the site sees
    # them at least that far apart, robots.txt included
    times = sorted(r.time for r in site.log)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.3 * 0.99, sorted(gaps)[:3]


def test_an_ipv6_literal_site_is_crawled(tmp_path: Path) -> None:
    try:
        site = LocalNewsSite().start("::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        site.page("/", '<a href="/2026/03/01/a-story-served-over-ipv6.html">x</a>')
        site.page("/2026/03/01/a-story-served-over-ipv6.html", article_html("over IPv6"))
        run_dir = tmp_path / "run"
        ok(crawl([f"{site.base}/"], run_dir))
    finally:
        site.stop()
    assert site.base.startswith("http://[::1]:")
    assert "/2026/03/01/a-story-served-over-ipv6.html" in paths(archived(run_dir))


def test_an_articles_amp_twin_is_not_fetched(site: LocalNewsSite, tmp_path: Path) -> None:
    """The home page links a story and its AMP page (they name each other): whichever is
    fetched first is archived, the other is never requested, now or in a re-crawl. The
    story found only as a page names its AMP twin, which is never requested either."""
    page, amp = "/2026/03/05/ferries-are-back.html", "/amp/2026/03/05/ferries-are-back.html"
    other, other_amp = "/2026/03/06/trams-run-late.html", "/amp/2026/03/06/trams-run-late.html"
    for canonical, twin in ((page, amp), (other, other_amp)):
        names = f'<link rel="canonical" href="{canonical}"><link rel="amphtml" href="{twin}">'
        site.page(canonical, article_html(f"Story {canonical}", names))
        site.page(
            twin, article_html(f"Story {canonical}", f'<link rel="canonical" href="{canonical}">')
        )
    site.page("/", f'<html><body><a href="{page}">a</a> <a href="{amp}">amp</a> '
                   f'<a href="{other}">b</a></body></html>')  # fmt: skip
    run_dir = tmp_path / "run"
    # one request at a time: the twin waits for its turn while the first is archived
    ok(crawl([f"{site.base}/"], run_dir, "--delay", "0.05"))
    fetched = [path for path in (page, amp) if site.requested(path)]
    assert len(fetched) == 1 and len(site.requested(fetched[0])) == 1, fetched
    assert site.requested(other_amp) == []
    assert sorted(p for p in paths(archived(run_dir)) if "/2026/" in p) == sorted([*fetched, other])
    assert stats(run_dir)["errors"] == 0  # a twin left out is not an error
    before = len(site.log)
    ok(crawl([f"{site.base}/"], run_dir, "--delay", "0.05"))
    assert [r.path for r in site.log[before:] if "/2026/" in r.path] == []


def test_build_into_a_corpus_of_another_schema_fails_before_the_crawl(
    site: LocalNewsSite, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text('{"format": "newscorpus", "schema_version": "2"}')
    command = [sys.executable, "-m", "newscorpus", "build", f"{site.base}/", "--out",
               str(corpus), "--allow-private"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "holds documents of schema 2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert site.log == []  # not one request


def test_the_demos_page_types_cost_what_they_should(tmp_path: Path) -> None:
    """The demo outlet's story in three pages: every page fetched once, though only its
    first is listed anywhere, and none counted against the site's page limit; its AMP
    twin never requested (its article, listed first by the sitemap, goes first)."""
    with DemoSite() as demo:
        site = demo.meridian
        ok(crawl([f"{site.base}/"], tmp_path / "run", "--delay", "0.05"))
        cut = next(s for s in site.data["stories"] if s.get("pages") == 3)
        pages = [
            f"{site.base}{site.article_path(cut, language)}{suffix}"
            for language in cut["versions"]
            for suffix in ("", "?page=2", "?page=3")
        ]
        assert [demo.requests[url] for url in pages] == [1] * 18
        ((amp, story, language),) = site.amp_paths()
        assert demo.requests[site.base + amp] == 0
        assert demo.requests[site.base + site.article_path(story, language)] == 1
        assert set(pages) <= set(archived(tmp_path / "run"))
        crawl_stats = stats(tmp_path / "run")
        assert crawl_stats["scrapy"]["newscorpus/article_pages_found"] == 12
        assert crawl_stats["per_host"]["127.0.0.1"]["article_pages_archived"] == 12
        assert crawl_stats["errors"] <= 1  # the footer's /newsletter link is a 404
        # a page limit that the site's other pages fill exactly still takes every page
        counted = [
            url
            for url in demo.requests
            if url.startswith(site.base) and not url.endswith((".txt", ".xml"))
            and "?page=" not in url
        ]  # fmt: skip
        limit = str(len(counted))
        ok(crawl([f"{site.base}/"], tmp_path / "limited", "--max-pages-per-site", limit))
        assert sorted(archived(tmp_path / "limited")) == sorted(archived(tmp_path / "run"))
