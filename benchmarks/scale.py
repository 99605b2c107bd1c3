"""Scaling out: ``process`` on the local executor (1 and 2 workers) and on Ray (2 workers),
and ``crawl`` with 1 and 2 workers sharing a Redis frontier.

Process: one WARC of ``--copies`` x 80 real news pages
(../shared/benchmarks/extraction/fundus/html) under distinct URLs, 40% of the copies with
one paragraph cut (near duplicates), some URLs fetched twice, so that dedup has work.
Each timed run is a fresh process (the local executor forks only from a single-threaded
process, and Ray's driver has threads); Ray's timing starts once its workers are up (a
cluster is started once, then used by many runs), its start-up is printed beside. All
three give the same corpus (checked).

Crawl: a generated news site on 127.0.0.1 (home, sections, articles) served by a
threaded server that delays each response (a real site is not instantaneous), crawled by
1 worker, then by 2 workers sharing one frontier in a real ``redis-server``, with the
per-host limit set above what the site can serve. Pages/s and the ratio.

Medians over ``--repeat`` runs.

    python benchmarks/scale.py [--copies 40] [--repeat 3] [--articles 600]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FUNDUS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "extraction" / "fundus"
RECORDS_PER_SHARD = 100
_PARAGRAPH = re.compile(rb"<p[ >].*?</p>", re.S)


def build_warc(directory: Path, copies: int, seed: int = 1) -> tuple[Path, int]:
    from newscorpus.warc import WarcFileWriter

    files = sorted((FUNDUS / "html").glob("*.html.gz"))
    if not files:
        sys.exit(f"no pages found under {FUNDUS}/html")
    rng = random.Random(seed)
    records = 0
    with WarcFileWriter(directory, prefix="scale") as writer:
        for copy in range(copies):
            for path in files:
                body = gzip.decompress(path.read_bytes())
                if rng.random() < 0.4:  # a near duplicate: one paragraph cut
                    paragraphs = list(_PARAGRAPH.finditer(body))
                    if paragraphs:
                        cut = rng.choice(paragraphs)
                        body = body[: cut.start()] + body[cut.end() :]
                publisher = path.name.split("_")[0].lower()
                copy_path = 0 if copy and rng.random() < 0.05 else copy  # fetched again
                url = f"https://{publisher}.example/{copy_path}/{path.name[:-8]}"
                headers = [("Content-Type", "text/html")]
                writer.write_exchange(url, [], "200 OK", headers, body)
                records += 1
    return writer.files[0], records


_PROCESS_CHILD = """
import json, sys, time
from pathlib import Path
from newscorpus.executors import ExecutorChoice
from newscorpus.pipeline import process
from newscorpus.store.manifest import read_manifest

kind, workers, warc, corpus, warm = sys.argv[1], int(sys.argv[2]), *map(Path, sys.argv[3:6])
start = time.perf_counter()
with ExecutorChoice(kind, workers).make() as executor:
    startup = time.perf_counter() - start
    if kind == "ray":  # the workers up and their modules imported, as on a running cluster
        process([warm], corpus.with_name(corpus.name + "-warm"), executor=executor)
        startup = time.perf_counter() - start
    start = time.perf_counter()
    process([warc], corpus, executor=executor, records_per_shard=int(sys.argv[6]))
    elapsed = time.perf_counter() - start
manifest = read_manifest(corpus)
print(json.dumps({"seconds": elapsed, "startup": startup, "documents": manifest["documents"],
                  "steps": manifest["steps"]}))
"""


def time_process(kind: str, workers: int, warc: Path, warm: Path, tmp: Path) -> dict:
    corpus = Path(tempfile.mkdtemp(dir=tmp)) / "corpus"
    command = [sys.executable, "-c", _PROCESS_CHILD, kind, str(workers), str(warc), str(corpus),
               str(warm), str(RECORDS_PER_SHARD)]  # fmt: skip
    env = {"RAY_USAGE_STATS_ENABLED": "0", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **env}
    )
    shutil.rmtree(corpus.parent, ignore_errors=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_process(copies: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        warc, records = build_warc(tmp / "warc", copies)
        warm, _ = build_warc(tmp / "warm", 1, seed=2)
        megabytes = warc.stat().st_size / 1e6
        contenders = [("local 1w", "local", 1), ("local 2w", "local", 2), ("ray 2w", "ray", 2)]
        runs: dict[str, list[dict]] = {name: [] for name, _, _ in contenders}
        for _ in range(repeat):
            for name, kind, workers in contenders:
                runs[name].append(time_process(kind, workers, warc, warm, tmp))
    outcomes = {json.dumps([r["documents"], r["steps"]]) for rs in runs.values() for r in rs}
    assert len(outcomes) == 1, "the executors gave different corpora"
    documents = next(iter(runs.values()))[0]["documents"]
    print(
        f"process: {records:,} records ({megabytes:.0f} MB gzip WARC), {documents:,} documents "
        f"kept; {RECORDS_PER_SHARD} records per shard; medians of {repeat} runs"
    )
    print(f"{'executor':<10} {'median s':>9} {'records/s':>10} {'start-up s':>11}")
    medians = {}
    for name, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        startup = statistics.median(r["startup"] for r in results)
        medians[name] = seconds
        print(f"{name:<10} {seconds:>9.2f} {records / seconds:>10.1f} {startup:>11.2f}")
    speedup = medians["local 1w"] / medians["ray 2w"]
    overhead = medians["ray 2w"] / medians["local 2w"] - 1
    local_speedup = medians["local 1w"] / medians["local 2w"]
    print(f"ray 2 workers / local 1 worker: {speedup:.2f}x (target >= 1.7)")
    print(f"local 2 workers / local 1 worker: {local_speedup:.2f}x")
    print(f"ray overhead vs local at 2 workers: {overhead * 100:+.1f}% (target <= 15%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="times the 80 pages are repeated")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contender")
    parser.add_argument("--articles", type=int, default=600, help="articles of the crawled site")
    parser.add_argument("--only", choices=["process", "crawl"], default=None)
    args = parser.parse_args()
    if args.only != "crawl":
        bench_process(args.copies, args.repeat)
    if args.only != "process":
        bench_crawl(args.articles, args.repeat)


_SERVER = """
import sys, time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

class Slow(SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(float(sys.argv[3]))  # a real server takes a moment to answer
        super().do_GET()

    def log_message(self, *args):
        pass

handler = partial(Slow, directory=sys.argv[2])
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
"""


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def crawl_team(base: str, workers: int, frontier: str, run: Path) -> tuple[float, int]:
    """Seconds for ``workers`` crawl processes sharing ``frontier`` to finish, requests."""
    command = [
        sys.executable, "-m", "newscorpus", "-q", "crawl", f"{base}/", "--out", str(run),
        "--allow-private", "--delay", "0", "--max-depth", "3", "--frontier", frontier,
    ]  # fmt: skip
    start = time.perf_counter()
    team = [subprocess.Popen([*command, "--worker-id", f"w{n}"]) for n in range(workers)]
    for process in team:
        if process.wait() != 0:
            sys.exit("a crawl worker failed")
    elapsed = time.perf_counter() - start
    requests = sum(
        json.loads(path.read_text())["requests"] for path in run.glob("crawl-stats-*.json")
    )
    return elapsed, requests


def bench_crawl(articles: int, repeat: int, latency: float = 0.02) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script
    from crawl_throughput import build_site, free_port

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        site = tmp / "site"
        site.mkdir()
        build_site(site, articles)
        web_port, redis_port = free_port(), free_port()
        base = f"http://127.0.0.1:{web_port}"
        sitemap = site / "sitemap.xml"
        sitemap.write_text(sitemap.read_text().replace("BASE", base))
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(web_port), str(site), str(latency)]
        )
        redis = subprocess.Popen(
            [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(web_port)
        _wait_for(redis_port)
        runs: dict[int, list[tuple[float, int]]] = {1: [], 2: []}
        try:
            database = 0
            for _ in range(repeat):
                for workers in (1, 2):
                    database += 1  # a fresh frontier: the whole site again
                    run = tmp / f"run-{database}"
                    frontier = f"redis://127.0.0.1:{redis_port}/{database}"
                    runs[workers].append(crawl_team(base, workers, frontier, run))
                    shutil.rmtree(run)
        finally:
            server.terminate()
            redis.terminate()
            server.wait()
            redis.wait()
    print(
        f"crawl: {articles} articles + sections on 127.0.0.1 ({latency * 1000:.0f} ms per "
        f"response), no politeness delay, 2 requests at a time per host and worker; "
        f"medians of {repeat} runs"
    )
    print(f"{'workers':<8} {'requests':>9} {'wall s':>7} {'pages/s':>8}")
    rates = {}
    for workers, results in runs.items():
        wall = statistics.median(r[0] for r in results)
        requests = int(statistics.median(r[1] for r in results))
        rates[workers] = requests / wall
        print(f"{workers:<8} {requests:>9} {wall:>7.2f} {rates[workers]:>8.1f}")
    print(f"2 workers / 1 worker (pages/s): {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
