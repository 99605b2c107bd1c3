"""Peak memory of ``process`` on long articles: bounded by bytes, not by rows.

Builds one WARC of ``--articles`` generated news articles (HTML, ``--min-kb`` to
``--max-kb`` of body text each: distinct, varied paragraphs of English words, so that
every filter keeps them and dedup drops none; the same pages every run), all in one
shard, and runs the whole ``process`` on it (extraction, boilerplate, language, quality
filters, dedup keys and clustering, storage) with ``LocalExecutor(1)``, each run in a
fresh Python process. Figures, medians of ``--repeat`` runs:

- peak RSS of that process (VmHWM: with one worker the shard's work runs in it, driver
  included), and, with ``--workers 2`` (the shard cut in two), the peak RSS of the worker
  processes (``ru_maxrss`` of the children: the highest of them) and of the parent;
- throughput, documents stored per second.

Contenders, alternated so that machine noise hits all alike:

- ``bounded``: ``process`` as it is;
- ``rows`` (the named baseline): the buffering by row count alone that ``process`` had
  before, restored in the run: byte budgets set to infinity (2,000 rows per row group,
  1,000 documents per dedup-key batch, MinHash over a whole batch at once) and the former
  ``iter_rows`` (1,000-row batches, every row group pre-buffered);
- ``short``: the same number of pages with ~5 KB articles (the floor: imports, models).

    python benchmarks/process_memory.py [--articles 300] [--repeat 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Common English words: sentences drawn from them look like running text to the language
# identifier and to the quality filters, and two articles never share a 5-word shingle.
_WORDS_TEXT = """
the of and to in a is that for it as was with be by on not he i this are or his from at
which but have an they you were her she there one all we their been has would when who
will more if no out so said what up its about into than them can only other new some
could time these two may then do first any my now such like our over man me even most
made after also did many before must through back years where much your way well down
should because each just those people how too little state good very make world still own
see men work long get here between both life being under never day same another know
while last might us great old year off come since against go came right used take three
government minister police court city council report market company president election
water country week house month region service school office health public security money
business economy growth workers union budget policy percent prices energy climate rain
river bridge station airport hospital doctors patients students teachers parents children
village coast border army soldiers leaders talks agreement deal plan vote parliament law
judge trial case evidence witness investigation officials spokesman statement interview
season match team players coach goal points league final injury stadium fans record win
film music festival artist museum book author theatre audience critics gallery concert
research scientists study data results survey experts analysis university laboratory
technology software network phone internet users companies shares investors bank rates
inflation exports imports farmers harvest food supply demand shortage crisis recovery
storm flooding fire damage residents homes roads traffic transport trains buses drivers
announced reported confirmed warned said added explained argued claimed denied suggested
expected planned decided agreed refused promised continued started finished opened closed
increased reduced raised cut rose fell grew dropped remained reached passed approved
local national regional international foreign domestic federal central northern southern
eastern western early late recent previous next former current major small large higher
lower strong weak important difficult possible likely clear serious significant popular
"""
WORDS = _WORDS_TEXT.split()
_NAMES_TEXT = """
Anderson Baker Carter Dubois Evans Fischer Garcia Hansen Ivanov Jensen Kowalski Larsen
Martin Novak Olsen Petrov Quinn Rossi Schmidt Tanaka Usman Virtanen Weber Xavier Young Zhang
"""
NAMES = _NAMES_TEXT.split()
_PLACES_TEXT = """
Lisbon Oslo Warsaw Dublin Madrid Vienna Prague Lyon Porto Turin Hamburg Bergen Ghent Krakow
Seville Zurich Malmo Tampere Leeds Bristol Naples Bilbao Utrecht Aarhus Riga Tallinn Vilnius
"""
PLACES = _PLACES_TEXT.split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(9, 26))
    if rng.random() < 0.35:
        words[rng.randrange(len(words))] = rng.choice(NAMES)
    if rng.random() < 0.25:
        words[rng.randrange(len(words))] = rng.choice(PLACES)
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), str(rng.randint(2, 9_999)))
    if len(words) > 12 and rng.random() < 0.4:
        words[rng.randrange(3, len(words) - 3)] += ","
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def article_text(seed: int, chars: int) -> list[str]:
    """Paragraphs of about ``chars`` characters in all, the same for the same seed."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    size = 0
    while size < chars:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 7)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return paragraphs


def article_html(number: int, chars: int) -> tuple[str, bytes]:
    rng = random.Random(10_000 + number)
    site = f"news{number % 7}.example"
    title = f"{rng.choice(PLACES)} {rng.choice(WORDS)} {rng.choice(WORDS)} report {number}"
    body = "\n".join(f"<p>{p}</p>" for p in article_text(number, chars))
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2024-03-{1 + number % 28:02d}T08:00:00Z">
<meta name="author" content="{rng.choice(NAMES)} {rng.choice(NAMES)}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<main><article><h1>{title}</h1>
<div class="article-body">
{body}
</div></article></main>
<footer><p>Contact the newsroom.</p></footer>
</body></html>"""
    return f"https://{site}/2024/03/story-{number}.html", html.encode()


def build_warc(directory: Path, articles: int, min_kb: int, max_kb: int) -> tuple[Path, float]:
    """One WARC of ``articles`` pages; returns its path and the MB of article text."""
    from newscorpus.warc import WarcFileWriter

    rng = random.Random(7)
    text_bytes = 0
    with WarcFileWriter(directory, prefix="memory") as writer:
        for number in range(articles):
            chars = rng.randint(min_kb * 1000, max_kb * 1000)
            url, html = article_html(number, chars)
            text_bytes += chars
            writer.write_exchange(url, [], "200 OK", [("Content-Type", "text/html")], html)
    return writer.files[0], text_bytes / 1e6


# One run, in a fresh process: peak RSS from /proc (VmHWM) and from the children's
# ru_maxrss. ``rows`` restores the buffering by row count alone: every byte budget
# infinite.
_RUN = """
import json, re, resource, sys, tempfile, time
from pathlib import Path
from newscorpus import LocalExecutor, ProcessOptions, process
from newscorpus.steps.filters import QualityThresholds
warc, workers, records, unbounded = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if unbounded == "rows":  # the buffering of before: by row count alone
    import pyarrow.parquet as pq
    from newscorpus import pipeline
    from newscorpus.dedup import keys, minhash
    from newscorpus import _parquet
    from newscorpus.store import parquet
    def iter_rows(path, columns=None):
        for batch in pq.ParquetFile(path).iter_batches(columns=columns, batch_size=1000):
            yield from batch.to_pylist()
    parquet.iter_rows = pipeline.iter_rows = iter_rows
    _parquet.ROW_GROUP_BYTES = keys.KeysWriter.BATCH_BYTES = 1 << 62
    minhash.PIECE_BYTES = minhash.PIECE_SHINGLES = 1 << 62
options = ProcessOptions(quality=QualityThresholds(max_words=10_000_000))
start = time.perf_counter()
summary = process([Path(warc)], Path(tempfile.mkdtemp()), options, LocalExecutor(workers),
                  records_per_shard=records)
elapsed = time.perf_counter() - start
status = Path("/proc/self/status").read_text()
print(json.dumps({
    "seconds": elapsed,
    "documents": summary.totals().get("write.documents", 0),
    "failed": len(summary.failed),
    "self_mb": int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024,
    "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def run_once(warc: Path, workers: int, records: int, mode: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", _RUN, str(warc), str(workers), str(records), mode],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"{mode} run failed:\n{result.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(result.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--min-kb", type=int, default=200, help="least text per article")
    parser.add_argument("--max-kb", type=int, default=800, help="most text per article")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender")
    parser.add_argument("--workers", type=int, default=1, help="1: in-process; 2: a pool")
    parser.add_argument(
        "--only", choices=["bounded", "rows", "short"], action="append", help="contenders"
    )
    args = parser.parse_args()
    contenders = args.only or ["bounded", "rows", "short"]

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        long_warc, long_mb = build_warc(Path(tmp) / "long", args.articles, args.min_kb, args.max_kb)
        short_warc, short_mb = build_warc(Path(tmp) / "short", args.articles, 4, 6)
        # one shard per worker: with 2 workers, each holds half the articles
        records = -(-args.articles // args.workers)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
        for attempt in range(args.repeat):
            for name in contenders:
                warc = short_warc if name == "short" else long_warc
                mode = "rows" if name == "rows" else "bytes"
                figures = run_once(warc, args.workers, records, mode)
                runs[name].append(figures)
                print(
                    f"run {attempt + 1} {name:<8} {figures['seconds']:7.1f} s "
                    f"{figures['documents']:5.0f} docs, peak {figures['self_mb']:6.0f} MB "
                    f"(children {figures['children_mb']:.0f} MB)",
                    flush=True,
                )

    print(
        f"\n{args.articles} articles, {args.min_kb}-{args.max_kb} KB of text each "
        f"({long_mb:.0f} MB in all; short: {short_mb:.1f} MB), {args.workers} worker(s), "
        f"{-(-args.articles // records)} shard(s); medians of {args.repeat}"
    )
    worker_key = "self_mb" if args.workers == 1 else "children_mb"
    print(f"{'contender':<10} {'docs':>5} {'peak worker MB':>15} {'parent MB':>10} {'docs/s':>8}")
    medians: dict[str, dict[str, float]] = {}
    for name, figures in runs.items():
        med = {key: statistics.median(f[key] for f in figures) for key in figures[0]}
        medians[name] = med
        parent = med["self_mb"] if args.workers > 1 else float("nan")
        print(
            f"{name:<10} {med['documents']:>5.0f} {med[worker_key]:>15.0f} {parent:>10.0f} "
            f"{med['documents'] / med['seconds']:>8.2f}"
        )
    if "bounded" in medians and "rows" in medians:
        bounded, rows = medians["bounded"], medians["rows"]
        print(
            f"peak memory, bounded / rows: {bounded[worker_key] / rows[worker_key]:.2f} "
            f"(target: bounded <= 600 MB); throughput, bounded / rows: "
            f"{rows['seconds'] / bounded['seconds']:.3f} (target >= 0.95)"
        )


if __name__ == "__main__":
    main()
