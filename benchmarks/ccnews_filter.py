"""Selecting a few sites out of a CC-NEWS file: newscorpus against a plain warcio loop.

Builds a WARC of ``--records`` HTML responses from the real news pages of
../shared/benchmarks/extraction/fundus/html (repeated under distinct URLs on 50 hosts),
where ``--selected`` percent of the responses belong to the chosen sites, then times side
by side in one run, over the same file:

- baseline (what news-please and fundus do): warcio's ArchiveIterator, every response's
  HTML read and decoded to text, then the host checked;
- newscorpus: ``warc.remote.read_remote_responses`` (the reader of ``newscorpus ccnews``),
  sites selected from the WARC headers, only the selected responses' HTTP headers and
  bodies read and decoded, streamed from the file as from a download.

Both hand on the same responses (checked). Figures are medians over ``--repeat`` runs;
peak memory is each contender's own, in a child process, on 1x and 4x the file.

    python benchmarks/ccnews_filter.py [--records 3000] [--selected 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newscorpus.warc import WarcFileWriter
from newscorpus.warc.reader import ReadStats
from newscorpus.warc.remote import RemoteWarc, host_of, read_remote_responses

FUNDUS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "extraction" / "fundus"
HOSTS = 50


def build_warc(directory: Path, records: int, selected_percent: float) -> tuple[Path, set[str]]:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((FUNDUS / "html").glob("*.html.gz"))]
    if not pages:
        sys.exit(f"no pages found under {FUNDUS}/html")
    every = round(100 / selected_percent)
    with WarcFileWriter(directory, prefix="CC-NEWS-bench") as writer:
        for n in range(records):
            host = "chosen.example" if n % every == 0 else f"site{n % HOSTS}.example"
            url = f"https://www.{host}/2024/01/story-{n}.html"
            headers = [("Content-Type", "text/html; charset=utf-8")]
            writer.write_exchange(url, [], "200 OK", headers, pages[n % len(pages)])
    return writer.files[0], {"chosen.example"}


def warcio_loop(path: Path, selected: set[str]) -> list[str]:
    kept = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            html = record.content_stream().read().decode("utf-8", errors="replace")
            url = record.rec_headers.get_header("WARC-Target-URI")
            if html and host_of(url) in selected:
                kept.append(url)
    return kept


def newscorpus_loop(path: Path, selected: set[str]) -> list[str]:
    source = RemoteWarc(str(path), path.name, frozenset(selected))
    kept = []
    for response in read_remote_responses(source, ReadStats()):
        response.body.decode("utf-8", errors="replace")
        kept.append(response.url)
    return kept


CONTENDERS = {"warcio loop (decode all, then filter)": warcio_loop, "newscorpus": newscorpus_loop}


def peak_memory(name: str, path: Path, selected: set[str]) -> float:
    """MB of peak RSS of one contender over ``path``, in a fresh process."""
    code = (
        f"import resource, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "import ccnews_filter as b; "
        f"from pathlib import Path; b.CONTENDERS[{name!r}](Path({str(path)!r}), {selected!r}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--selected", type=float, default=2.0, help="percent of responses")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, selected = build_warc(Path(tmp) / "one", args.records, args.selected)
        big, _ = build_warc(Path(tmp) / "four", args.records * 4, args.selected)
        size = path.stat().st_size / 1e6
        print(f"{args.records:,} responses ({size:.0f} MB gzip), {args.selected}% selected")
        times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        kept: dict[str, list[str]] = {}
        for _ in range(args.repeat):  # interleaved: both see the same machine noise
            for name, loop in CONTENDERS.items():
                start = time.perf_counter()
                kept[name] = loop(path, selected)
                times[name].append(time.perf_counter() - start)
        base_urls, ours_urls = kept.values()
        assert base_urls == ours_urls, "the two loops did not keep the same responses"
        medians = {name: statistics.median(values) for name, values in times.items()}
        base = medians["warcio loop (decode all, then filter)"]
        print(f"{'':40} {'records/s':>10} {'MB/s':>7} {'vs warcio':>9} {'peak MB 1x/4x':>14}")
        for name, seconds in medians.items():
            memory = [peak_memory(name, p, selected) for p in (path, big)]
            print(
                f"{name:40} {args.records / seconds:>10,.0f} {size / seconds:>7,.0f} "
                f"{base / seconds:>8.1f}x {memory[0]:>6.0f}/{memory[1]:<6.0f}"
            )
        print(f"kept {len(ours_urls)} responses; medians of {args.repeat} runs")


if __name__ == "__main__":
    main()
