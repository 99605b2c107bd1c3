"""Golden corpora: a change of design must not change the corpus.

Every column of every row (kept and dropped), the boilerplate report and the manifest
(minus its timestamps and input paths) of three inputs are compared, as per-column
digests, with what ``tests/golden/`` recorded: the real WARC samples and the two fundus
sets of ../shared/ (skipped without them), and a crawl of the demo site. Outputs depend
on the libraries that parse and label pages, so a golden file holds their versions and
the comparison is skipped, saying so, under other versions.

After a change that is meant to change the corpus, record again and say in the commit
which rows changed and why::

    NEWSCORPUS_RECORD_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from newscorpus import LocalExecutor, process
from newscorpus.demo import DemoSite
from newscorpus.store.manifest import LIBRARIES
from newscorpus.warc import WarcFileWriter
from tests.conftest import SHARED, WARC_SAMPLES, need_shared

GOLDEN = Path(__file__).resolve().parent / "golden"
# Written into WARC files made by the test itself: the time of writing, the file's name
# and (gzip members of different dates differ in length) the offsets.
WRITTEN_NOW = ("crawled_at", "first_seen", "warc_file", "warc_offset")
# Hosts' ports differ from run to run: URLs are compared with the port replaced, and row
# ids (hashes of URLs) by the canonical URL of the row they name.
ID_COLUMNS = ("id", "duplicate_of")


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _digest(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]


def _normalised(value: Any, bases: dict[str, str]) -> Any:
    if isinstance(value, str):
        for base, name in bases.items():
            value = value.replace(base, name)
        return value
    if isinstance(value, list):
        return [_normalised(item, bases) for item in value]
    if isinstance(value, dict):
        return {key: _normalised(item, bases) for key, item in value.items()}
    return value


def corpus_digest(
    corpus: Path, volatile: tuple[str, ...] = (), bases: dict[str, str] | None = None
) -> dict[str, Any]:
    """Per row (by part and canonical URL) a digest of each column, and digests of the
    boilerplate report and the manifest."""
    bases = bases or {}
    tables = {
        str(path.relative_to(corpus).parent): pq.read_table(path).to_pylist()
        for path in sorted(corpus.glob("data/**/*.parquet"))
        + sorted(corpus.glob("dropped/**/*.parquet"))
    }
    url_of_id = {
        row["id"]: _normalised(row["canonical_url"], bases)
        for rows in tables.values()
        for row in rows
    }
    digests: dict[str, dict[str, str]] = {}
    for part, rows in tables.items():
        part = re.sub(r"^data/.*", "data", part)  # the language folder is a column too
        for row in rows:
            key = f"{part} {_normalised(row['canonical_url'], bases)}"
            while key in digests:  # the same page twice (dropped by two steps): both
                key += " +"
            digests[key] = {
                column: _digest(
                    url_of_id.get(value, value)
                    if column in ID_COLUMNS
                    else _normalised(value, bases)
                )
                for column, value in sorted(row.items())
                if column not in volatile
            }
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    # the time of this run, the tool's versions (in the golden file), and for WARC files
    # written by the test the bytes of Parquet files holding their names
    for key in ("updated", "tool", *(("data_bytes",) if volatile else ())):
        manifest.pop(key, None)
    manifest["inputs"] = [
        {"name": "…", "shards": entry["shards"]} if volatile else {**entry, "path": "…"}
        for entry in manifest["inputs"]
    ]
    boilerplate = json.loads((corpus / "boilerplate.json").read_text(encoding="utf-8"))
    return {
        "rows": digests,
        "manifest": {key: _digest(_normalised(value, bases)) for key, value in manifest.items()},
        "boilerplate": _digest(_normalised(boilerplate, bases)),
    }


def check_golden(name: str, found: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    versions = _versions()
    if os.environ.get("NEWSCORPUS_RECORD_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        recorded = {"versions": versions, **found}
        path.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        return
    golden = json.loads(path.read_text(encoding="utf-8"))
    if golden["versions"] != versions:
        recorded = golden["versions"]
        changed = {
            k: (recorded.get(k), versions.get(k))
            for k in recorded.keys() | versions.keys()
            if recorded.get(k) != versions.get(k)
        }
        pytest.skip(f"recorded under other library versions {changed}: record again")
    assert found["rows"].keys() == golden["rows"].keys(), (
        sorted(found["rows"].keys() - golden["rows"].keys()),
        sorted(golden["rows"].keys() - found["rows"].keys()),
    )
    changed_cells = [
        (key, column)
        for key, columns in golden["rows"].items()
        for column in columns.keys() | found["rows"][key].keys()
        if columns.get(column) != found["rows"][key].get(column)
    ]
    assert changed_cells == []
    assert found["boilerplate"] == golden["boilerplate"]
    assert [
        k
        for k in found["manifest"] | golden["manifest"]
        if found["manifest"].get(k) != golden["manifest"].get(k)
    ] == []


def _process(inputs: list[Path], corpus: Path) -> Path:
    summary = process(inputs, corpus, executor=LocalExecutor(1), keep_dropped=True)
    assert not summary.failed
    return corpus


def test_the_real_warc_samples_give_the_recorded_corpus(tmp_path: Path) -> None:
    need_shared(WARC_SAMPLES)
    corpus = _process(sorted(WARC_SAMPLES.glob("*.warc.gz")), tmp_path / "corpus")
    check_golden("warc-samples", corpus_digest(corpus))


def test_the_fundus_pages_give_the_recorded_corpus(tmp_path: Path) -> None:
    """The 222 real pages of both fundus sets, archived as a crawl would have."""
    folders = [
        need_shared(SHARED / "benchmarks" / "extraction" / name)
        for name in ("fundus", "fundus-multilingual")
    ]
    with WarcFileWriter(tmp_path / "warc", prefix="golden") as writer:
        for folder in folders:
            truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
            for name, entry in sorted(truth.items()):
                html = gzip.decompress((folder / "html" / name).read_bytes())
                writer.write_exchange(
                    entry["url"], [("User-Agent", "golden")], "200 OK",
                    [("Content-Type", "text/html")], html,
                )  # fmt: skip
    corpus = _process(writer.files, tmp_path / "corpus")
    check_golden("fundus", corpus_digest(corpus, volatile=WRITTEN_NOW))


def test_the_demo_crawl_gives_the_recorded_corpus(
    demo_site: DemoSite, demo_warc: Path, tmp_path: Path
) -> None:
    corpus = _process([demo_warc], tmp_path / "corpus")
    # the demo's hosts by a name that keeps when their ports change
    bases = {}
    for n, base in enumerate(demo_site.base_urls):
        bases[base] = f"http://demo-{n}"
        bases[base.split("//", 1)[1]] = f"demo-{n}"  # a host and port standing alone
    check_golden("demo", corpus_digest(corpus, volatile=WRITTEN_NOW, bases=bases))
