"""WARC -> corpus: plan shards, run the steps on each shard, keep completion markers.

A shard is a byte range of one WARC file holding at most ``records_per_shard``
responses. The plan is saved in ``CORPUS/.state/shards.json`` the first time a file is
seen, so a rerun (after a crash, or with more inputs) cuts the same shards and gives
them the same numbers. A shard's output becomes visible (renamed into place) before its
completion marker is written; a shard without a marker is redone from scratch.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newscorpus import __version__
from newscorpus._files import write_json_atomic
from newscorpus.document import Document
from newscorpus.errors import UserError
from newscorpus.executors import Executor, LocalExecutor, WorkerLost
from newscorpus.steps import (
    CleanText,
    DropRepeatedIds,
    Extract,
    IdentifyLanguage,
    QualityFilter,
    Step,
)
from newscorpus.store.card import write_card
from newscorpus.store.manifest import write_manifest
from newscorpus.store.parquet import ShardWriter, remove_shard_outputs
from newscorpus.store.state import (
    marker_path,
    options_path,
    plan_path,
    read_json,
    state_dir,
)
from newscorpus.warc.reader import (
    DEFAULT_MAX_BODY_BYTES,
    ReadStats,
    check_warc,
    is_warc_path,
    read_responses,
    response_offsets,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ProcessOptions:
    """Everything that changes what ``process`` writes. Fixed for the life of a corpus."""

    min_words: int = 50
    languages: tuple[str, ...] = ()
    min_language_score: float = 0.5
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    include_tables: bool = True

    def check(self) -> None:
        """Validate once, before any work: a mistake here would be fixed in the corpus."""
        from newscorpus.steps.language import known_languages

        unknown = sorted(set(self.languages) - known_languages())
        if unknown:
            raise UserError(
                f"unknown language code(s): {', '.join(unknown)} (use ISO 639-1 codes, e.g. fr)"
            )
        if self.min_words < 0 or not 0 <= self.min_language_score <= 1:
            raise UserError("min_words must be >= 0 and min_language_score within 0..1")

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["languages"] = list(self.languages)
        return values


def build_steps(options: ProcessOptions) -> list[Step]:
    """The steps of ``process``, in order, for one shard."""
    return [
        Extract(include_tables=options.include_tables),
        CleanText(),
        IdentifyLanguage(min_score=options.min_language_score),
        QualityFilter(min_words=options.min_words, languages=options.languages),
        DropRepeatedIds(),
    ]


@dataclass(slots=True)
class Shard:
    number: int
    path: str
    start: int
    end: int | None
    input_sha256: str


@dataclass(slots=True)
class ShardTask:
    corpus: str
    shard: Shard
    options: ProcessOptions


@dataclass(slots=True)
class ShardResult:
    """What one shard did: mergeable counters, written to its completion marker."""

    shard: int
    input: str
    counts: dict[str, int] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)  # per language
    words: dict[str, int] = field(default_factory=dict)  # per language
    domains: dict[str, int] = field(default_factory=dict)
    warning: str | None = None
    error: str | None = None
    resumed: bool = False  # True when the marker of an earlier run was found

    @property
    def kept(self) -> int:
        return sum(self.documents.values())


@dataclass(slots=True)
class RunSummary:
    corpus: Path
    results: list[ShardResult]

    @property
    def failed(self) -> list[ShardResult]:
        return [r for r in self.results if r.error]

    def totals(self) -> dict[str, int]:
        merged: Counter[str] = Counter()
        for result in self.results:
            merged.update(result.counts)
        return dict(merged)


def run_shard(task: ShardTask) -> ShardResult:
    """Process one shard unless its completion marker exists. Never raises."""
    corpus, shard = Path(task.corpus), task.shard
    marker = marker_path(corpus, shard.number)
    if marker.exists():
        result = ShardResult(**read_json(marker))
        result.resumed = True
        return result
    try:
        result = _process_shard(corpus, shard, task.options)
    except Exception as exc:  # one bad shard must not stop the others
        logger.error("shard %d (%s) failed: %s", shard.number, shard.path, exc)
        return ShardResult(
            shard=shard.number,
            input=shard.path,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}",
        )
    marker_data = asdict(result)
    marker_data.pop("resumed")
    write_json_atomic(marker, marker_data)
    return result


def _process_shard(corpus: Path, shard: Shard, options: ProcessOptions) -> ShardResult:
    remove_shard_outputs(corpus, shard.number)
    read_stats = ReadStats()
    records: Iterable[Any] = read_responses(
        Path(shard.path), read_stats, shard.start, shard.end, options.max_body_bytes
    )
    steps = build_steps(options)
    documents: Iterator[Document] = run_steps(steps, records, rank=shard.number)
    with ShardWriter(corpus, shard.number) as writer:
        for document in documents:
            writer.write(document)
        writer.commit()
    counts = {f"read.{key}": value for key, value in read_stats.as_counts().items()}
    for step in steps:
        counts.update(step.stats_dict())
    counts["write.documents"] = sum(writer.documents.values())
    return ShardResult(
        shard=shard.number,
        input=shard.path,
        counts=counts,
        documents=dict(writer.documents),
        words=dict(writer.words),
        domains=dict(writer.domains),
        warning=read_stats.error,
    )


def run_steps(steps: Sequence[Step], records: Iterable[Any], rank: int = 0) -> Iterator[Any]:
    """Chain the steps' generators: the output of one is the input of the next."""
    stream: Iterable[Any] = records
    for step in steps:
        stream = step.run(stream, rank=rank)
    return iter(stream)


def expand_inputs(inputs: Sequence[Path]) -> list[Path]:
    """WARC files named, or found (recursively) in folders named; a clear error otherwise."""
    files: list[Path] = []
    for path in inputs:
        if not path.exists():
            raise UserError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and is_warc_path(p))
            if not found:
                raise UserError(f"{path}: no .warc or .warc.gz files in this folder")
            files.extend(found)
        elif is_warc_path(path):
            files.append(path)
        else:
            raise UserError(f"{path}: not a WARC file (expected a .warc or .warc.gz file)")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan_shards(corpus: Path, files: Sequence[Path], records_per_shard: int) -> list[Shard]:
    """The shards of ``files``: reused from the saved plan, or cut and saved now."""
    saved = plan_path(corpus)
    plan: dict[str, Any] = read_json(saved) if saved.exists() else {"inputs": {}}
    next_number = 1 + max(
        (s["number"] for entry in plan["inputs"].values() for s in entry["shards"]), default=-1
    )
    known_paths = {entry.get("path"): checksum for checksum, entry in plan["inputs"].items()}
    shards: list[Shard] = []
    planned: set[str] = set()
    changed = False
    for path in files:
        try:
            checksum = _sha256(path)
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        if checksum in planned:
            logger.warning("%s: same content as another input, skipped", path)
            continue
        planned.add(checksum)
        if known_paths.get(str(path), checksum) != checksum:
            raise UserError(
                f"{path} changed since it was processed into {corpus}; "
                "give the new content a new file name, or use another --out"
            )
        entry = plan["inputs"].get(checksum)
        if entry is None:
            problem = check_warc(path)
            if problem:
                raise UserError(problem)
            offsets = response_offsets(path)
            starts = [0, *offsets[records_per_shard::records_per_shard]]
            ends: list[int | None] = [*starts[1:], None]
            entry = {
                "name": path.name,
                "size": path.stat().st_size,
                "shards": [
                    {"number": next_number + i, "start": start, "end": end}
                    for i, (start, end) in enumerate(zip(starts, ends, strict=True))
                ],
            }
            next_number += len(starts)
            plan["inputs"][checksum] = entry
            changed = True
        entry["path"] = str(path)
        shards.extend(
            Shard(s["number"], str(path), s["start"], s["end"], checksum) for s in entry["shards"]
        )
    if changed:
        write_json_atomic(saved, plan)
    return shards


def _check_options(corpus: Path, options: ProcessOptions) -> None:
    saved_path = options_path(corpus)
    wanted = options.as_dict()
    if saved_path.exists():
        saved = read_json(saved_path)
        if saved != wanted:
            changes = ", ".join(
                f"{key} {saved.get(key)!r} -> {wanted.get(key)!r}"
                for key in sorted(set(saved) | set(wanted))
                if saved.get(key) != wanted.get(key)
            )
            raise UserError(f"{corpus} was built with other options ({changes}); use another --out")
    else:
        write_json_atomic(saved_path, wanted)


@contextmanager
def _corpus_lock(corpus: Path) -> Iterator[None]:
    """One ``process`` at a time per corpus: two would redo each other's shards."""
    with (state_dir(corpus) / "lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise UserError(f"{corpus} is being written by another process") from exc
        yield


def prepare_corpus(corpus: Path) -> None:
    """Create the corpus folder, or say clearly why it cannot be written."""
    try:
        state_dir(corpus).mkdir(parents=True, exist_ok=True)
        probe = state_dir(corpus) / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"{corpus}: cannot write here ({exc.strerror or exc})") from exc


def process(
    inputs: Sequence[Path],
    corpus: Path,
    options: ProcessOptions | None = None,
    executor: Executor | None = None,
    records_per_shard: int = 500,
    on_shard_done: Callable[[ShardResult, int, int], None] | None = None,
) -> RunSummary:
    """Turn WARC files into the corpus at ``corpus``; resumes where an earlier run stopped."""
    options = options or ProcessOptions()
    options.check()
    executor = executor or LocalExecutor()
    if records_per_shard < 1:
        raise UserError("records per shard must be at least 1")
    files = expand_inputs(inputs)
    prepare_corpus(corpus)
    with _corpus_lock(corpus):
        _check_options(corpus, options)
        shards = plan_shards(corpus, files, records_per_shard)
        tasks = [ShardTask(str(corpus), shard, options) for shard in shards]
        results: list[ShardResult] = []
        try:
            for result in executor.map_unordered(run_shard, tasks):
                results.append(result)
                if on_shard_done:
                    on_shard_done(result, len(results), len(tasks))
        except WorkerLost as exc:
            raise UserError(f"{exc}; finished shards are kept: run the same command again") from exc
        results.sort(key=lambda r: r.shard)
        manifest = write_manifest(corpus, options.as_dict(), __version__)
        write_card(corpus, manifest)
        return RunSummary(corpus=corpus, results=results)
