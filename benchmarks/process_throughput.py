"""Throughput of ``process`` (WARC -> Parquet) against bare ``trafilatura.extract``.

Builds a WARC from the real news pages of ../shared/benchmarks/extraction/fundus/html
(repeated under distinct URLs), then times, side by side in one run:

- baseline: ``trafilatura.extract`` over the same pages, one core, no WARC, no output;
- newscorpus ``process`` with 1 worker (per-core comparison) and with 2 workers;

and the peak memory of ``process`` on 1x and 4x the input (it must not grow with input).
Figures are medians over ``--repeat`` runs.

    python benchmarks/process_throughput.py [--copies 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from newscorpus import ProcessOptions, process
from newscorpus.executors import LocalExecutor
from newscorpus.warc import WarcFileWriter

FUNDUS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "extraction" / "fundus"


def load_pages(copies: int) -> list[tuple[str, bytes]]:
    files = sorted((FUNDUS / "html").glob("*.html.gz"))
    if not files:
        sys.exit(f"no pages found under {FUNDUS}/html")
    pages = []
    for copy in range(copies):
        for path in files:
            publisher = path.name.split("_")[0].lower()
            pages.append(
                (
                    f"https://{publisher}.example/{copy}/{path.name[:-3]}",
                    gzip.decompress(path.read_bytes()),
                )
            )
    return pages


def build_warc(pages: list[tuple[str, bytes]], directory: Path) -> Path:
    with WarcFileWriter(directory, prefix="bench") as writer:
        for url, body in pages:
            writer.write_exchange(url, [], "200 OK", [("Content-Type", "text/html")], body)
    return writer.files[0]


def time_trafilatura(pages: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    for url, body in pages:
        trafilatura.extract(body, url=url)
    return time.perf_counter() - start


def time_process(warc: Path, workers: int, records_per_shard: int) -> tuple[float, int]:
    corpus = Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    try:
        start = time.perf_counter()
        summary = process(
            [warc],
            corpus,
            ProcessOptions(),
            LocalExecutor(workers),
            records_per_shard=records_per_shard,
        )
        elapsed = time.perf_counter() - start
        return elapsed, summary.totals().get("write.documents", 0)
    finally:
        shutil.rmtree(corpus, ignore_errors=True)


_PEAK_SCRIPT = """
import json, re, sys, tempfile
from pathlib import Path
from newscorpus.executors import LocalExecutor
from newscorpus.pipeline import process
paths = [Path(p) for p in json.loads(sys.argv[1])]
process(paths, Path(tempfile.mkdtemp()), executor=LocalExecutor(1))
print(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
"""


def peak_memory_mb(warc_paths: list[Path]) -> float:
    """Peak RSS of a fresh process running ``process`` with one worker.

    Read from VmHWM: a child's ru_maxrss counts the parent's size at fork time.
    """
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, json.dumps([str(p) for p in warc_paths])],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="times each page is repeated")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per contender")
    args = parser.parse_args()

    pages = load_pages(args.copies)
    megabytes = sum(len(body) for _, body in pages) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        warc = build_warc(pages, Path(tmp) / "warc")
        per_shard = max(1, len(pages) // 32)
        time_trafilatura(pages[:5])  # warm-up: imports, caches
        runs: dict[str, list[float]] = {"trafilatura": [], "process 1w": [], "process 2w": []}
        kept = 0
        for _ in range(args.repeat):
            runs["trafilatura"].append(time_trafilatura(pages))
            elapsed, kept = time_process(warc, 1, per_shard)
            runs["process 1w"].append(elapsed)
            runs["process 2w"].append(time_process(warc, 2, per_shard)[0])

        print(f"input: {len(pages)} pages, {megabytes:.1f} MB of HTML; {kept} documents kept")
        print(f"{'contender':<14} {'median s':>9} {'docs/s':>8} {'MB/s':>7}")
        medians = {name: statistics.median(times) for name, times in runs.items()}
        for name, seconds in medians.items():
            print(
                f"{name:<14} {seconds:>9.2f} {len(pages) / seconds:>8.1f} "
                f"{megabytes / seconds:>7.2f}"
            )
        per_core = medians["trafilatura"] / medians["process 1w"]
        scaling = medians["process 1w"] / medians["process 2w"]
        print(
            f"ratio process(1 worker) / bare trafilatura, per core: {per_core:.2f}x (target >= 0.8)"
        )
        print(f"speed-up 2 workers / 1 worker: {scaling:.2f}x (target ~2 on 2 cores)")

        big = build_warc(load_pages(args.copies * 4), Path(tmp) / "big")
        small_peak = peak_memory_mb([warc])
        big_peak = peak_memory_mb([big])
        print(
            f"peak memory, 1 worker: {small_peak:.0f} MB on 1x input, {big_peak:.0f} MB on "
            f"4x input (ratio {big_peak / small_peak:.2f}, target ~1)"
        )


if __name__ == "__main__":
    main()
