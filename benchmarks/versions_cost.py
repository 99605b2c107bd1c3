"""What article versions cost ``process``, when nothing changed and when some pages did.

Builds a WARC from the real news pages of ../shared/benchmarks/extraction/fundus/html:
every page fetched twice an hour apart (as re-visits and CC-NEWS captures give), the
second fetch the same page, except for ``--changed`` of them (a paragraph added: a new
version). Then times, side by side in one run, alternating, medians of ``--repeat``:

- baseline: ``process`` of the newscorpus at ``--baseline`` (the ``src/`` folder of an
  earlier checkout, before versions existed: its same-URL fetches are duplicates);
- newscorpus now, on the same WARC.

Each run is its own process with one worker (imports included, as a user runs it). It
also prints the cost of the version key itself per document (``dedup.versions``: the
comparable text and its hash) against the whole pipeline's time per document.

    git worktree add /tmp/base <commit before versions>
    python benchmarks/versions_cost.py --baseline /tmp/base/src [--copies 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.dataset as ds

from newscorpus.dedup.keys import _hash64
from newscorpus.dedup.versions import version_text
from newscorpus.warc import WarcFileWriter

HERE = Path(__file__).resolve()
SRC = HERE.parents[1] / "src"
FUNDUS = HERE.parents[2] / "shared" / "benchmarks" / "extraction" / "fundus"
# Each edited page gets its own added paragraph: one line added to many pages of a site
# would be that site's boilerplate, and removed.
ADDED = (
    "<p>Update: this article was updated after publication with a statement from {who}, "
    "which said that the plans for page {n} would be published in full next week.</p>"
)
WHO = ("the council", "the ministry", "the company", "the police", "the club", "the union")


def edited(html: bytes, body: list[str], added: str) -> bytes | None:
    """The page with ``added`` after a paragraph of its article (found from the
    ground truth's body), or None when no paragraph is found as it is in the HTML."""
    page = html.decode("utf-8", errors="replace")
    for paragraph in reversed(body):
        at = page.find(paragraph[:40]) if len(paragraph) >= 40 else -1
        end = page.find("</p>", at) if at >= 0 else -1
        if end >= 0:
            end += len("</p>")
            return (page[:end] + added + page[end:]).encode("utf-8")
    return None


def build_warc(folder: Path, copies: int, changed: float) -> tuple[Path, int, int]:
    """Every page fetched twice (the second an hour later), ``changed`` of them edited
    in between; returns (WARC, fetches, pages edited)."""
    files = sorted((FUNDUS / "html").glob("*.html.gz"))
    if not files:
        sys.exit(f"no pages found under {FUNDUS}/html")
    truth = json.loads((FUNDUS / "ground_truth.json").read_text(encoding="utf-8"))
    pages = [gzip.decompress(p.read_bytes()) for p in files]
    bodies = [truth[p.name]["body"] for p in files]
    changed_every = round(1 / changed) if changed else 0
    fetches = edits = 0
    with WarcFileWriter(folder, prefix="versions") as writer:
        for copy in range(copies):
            for n, html in enumerate(pages):
                url = f"https://site{n % 7}.test/{copy}/{n}.html"
                headers = [("Content-Type", "text/html")]
                first = f"2026-05-0{1 + copy}T08:{n % 60:02d}:00Z"
                second = f"2026-05-0{1 + copy}T09:{n % 60:02d}:00Z"
                writer.write_exchange(url, [], "200 OK", headers, html, date=first)
                later = html
                if changed_every and n % changed_every == 0:
                    added = ADDED.format(who=WHO[(n + copy) % len(WHO)], n=n)
                    later = edited(html, bodies[n], added) or html
                    edits += later is not html
                writer.write_exchange(url, [], "200 OK", headers, later, date=second)
                fetches += 2
    (path,) = writer.files
    return path, fetches, edits


def timed_process(src: Path, warc: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    environment = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", "newscorpus", "-q", "process", str(warc), "--out", str(out)]
    start = time.perf_counter()
    subprocess.run([*command, "--workers", "1"], check=True, env=environment)
    return time.perf_counter() - start


def key_cost(corpus: Path, repeat: int) -> float:
    """Median seconds to compute the version key of every stored document."""
    rows = ds.dataset(corpus / "data", format="parquet").to_table(columns=["title", "text"])
    documents = rows.to_pylist()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for row in documents:
            _hash64(version_text(row["title"], row["text"]))
        times.append(time.perf_counter() - start)
    return statistics.median(times) / max(1, len(documents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="src/ of an earlier checkout")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changed", type=float, default=0.0, help="share of pages edited")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warc, fetches, edits = build_warc(folder / "warc", args.copies, args.changed)
        print(f"{fetches} fetches of {fetches // 2} pages, {edits} edited between them")
        times: dict[str, list[float]] = {"baseline": [], "now": []}
        for _ in range(args.repeat):
            times["baseline"].append(timed_process(args.baseline, warc, folder / "base"))
            times["now"].append(timed_process(SRC, warc, folder / "now"))
        for name, values in times.items():
            median = statistics.median(values)
            runs = ", ".join(f"{v:.1f}" for v in values)
            print(f"{name:9s} median {median:6.1f} s  {fetches / median:5.1f} fetches/s  ({runs})")
        ratio = statistics.median(times["now"]) / statistics.median(times["baseline"])
        print(f"ratio now/baseline: {ratio:.3f}")
        per_document = key_cost(folder / "now", args.repeat)
        per_fetch = statistics.median(times["now"]) / fetches
        print(
            f"version key: {per_document * 1e6:.0f} us a document, "
            f"{100 * per_document / per_fetch:.2f}% of process's {per_fetch * 1e3:.1f} ms a fetch"
        )
        changed = ds.dataset(folder / "now" / "data", format="parquet").to_table(
            columns=["version"], filter=ds.field("version") > 1
        )
        print(f"articles with a second version: {changed.num_rows}")


if __name__ == "__main__":
    main()
