"""WARC -> corpus: plan shards, run the stages on each shard, keep completion markers.

A shard is a byte range of one WARC file holding at most ``records_per_shard``
responses. The plan is saved in ``CORPUS/.state/shards.json`` the first time a file is
seen, so a rerun (after a crash, or with more inputs) cuts the same shards and gives
them the same numbers.

Each shard goes through three stages, with a corpus-wide step after each of the first two:

1. **extract** (per shard): WARC records -> documents, cleaned, non-articles dropped,
   line counts taken; the documents are staged in ``.state``.
2. **learn** (driver): the shards' line counts are merged into the boilerplate index,
   which keeps growing across runs; the pages of multi-page articles are indexed.
3. **filter** (per shard): multi-page articles stitched, boilerplate removed, language
   identified, quality filters; dedup keys computed (URL, exact text, MinHash signature).
4. **dedup** (driver): the new documents' keys are clustered with each other and with the
   corpus's dedup index; the decisions are saved before anything is stored.
5. **store** (per shard): decisions applied, the shard's Parquet files renamed into place,
   its keys added to the dedup index, then its completion marker written. Stored
   documents that gained copies get their ``duplicate_count`` rewritten.

A stage's outputs become visible before its marker; a stage without a marker is redone
from scratch, so a killed run resumes exactly.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from newscorpus._files import read_json, write_json_atomic
from newscorpus._parquet import AtomicParquetWriter
from newscorpus._version import __version__
from newscorpus.config import ProcessOptions
from newscorpus.corpus import VERSIONS_DIR, Corpus
from newscorpus.dedup.batch import (
    add_to_index,
    close_batch,
    open_batch,
    plan_batch,
    shard_decisions,
    update_stored,
)
from newscorpus.dedup.keys import KeysWriter
from newscorpus.document import SCHEMA_VERSION, STAGED_SCHEMA, Document
from newscorpus.errors import UserError
from newscorpus.executors import Executor, LocalExecutor, WorkerLost
from newscorpus.steps import (
    ApplyDedup,
    CleanText,
    ComputeDedupKeys,
    DropNonArticles,
    DropPaywalled,
    DropSink,
    Extract,
    IdentifyLanguage,
    QualityFilter,
    Step,
)
from newscorpus.steps.boilerplate import DOCUMENT_LINES_SCHEMA, CountLines, RemoveBoilerplate
from newscorpus.steps.multipage import StitchPages
from newscorpus.store.boilerplate import (
    AUDIT_LINES_PER_SHARD,
    most_common,
    write_boilerplate_report,
)
from newscorpus.store.boilerplate_index import learn_boilerplate, learned_lines
from newscorpus.store.card import write_card
from newscorpus.store.manifest import flat_options, stored_schema_version, write_manifest
from newscorpus.store.page_index import index_pages, page_parts
from newscorpus.store.parquet import (
    DroppedWriter,
    ShardWriter,
    iter_rows,
    remove_shard_outputs,
)
from newscorpus.store.plan import Shard, ShardPlan, expand_inputs, plan_shards
from newscorpus.warc.reader import (
    ReadStats,
    merged_counts,
    read_responses,
)
from newscorpus.warc.remote import RemoteWarc, read_remote_responses

logger = logging.getLogger(__name__)


def extract_steps(
    options: ProcessOptions, on_drop: DropSink | None = None
) -> list[Step[Any, Document]]:
    """Stage 1 of ``process``: WARC records to clean article documents (the stage then
    counts their lines). ``on_drop`` receives what the steps drop."""
    steps: list[Step[Any, Document]] = [
        Extract(include_tables=options.include_tables, on_drop=on_drop),
        CleanText(on_drop=on_drop),
    ]
    if options.drop_non_articles:
        steps.append(DropNonArticles(on_drop=on_drop))
    if options.drop_paywalled:
        steps.append(DropPaywalled(on_drop=on_drop))
    return steps


def filter_steps(
    options: ProcessOptions, on_drop: DropSink | None = None
) -> list[Step[Document, Document]]:
    """Stage 2 of ``process``, after boilerplate removal (a German article ending in
    English prompts is German): language and quality filters (the stage then computes
    dedup keys). ``on_drop`` receives what the steps drop."""
    return [
        IdentifyLanguage(min_score=options.min_language_score),
        QualityFilter(options.quality, languages=options.languages, on_drop=on_drop),
    ]


@dataclass(slots=True)
class ShardTask:
    corpus: str
    shard: Shard
    options: ProcessOptions
    keep_dropped: bool = False
    world_size: int = 1  # shards in the corpus's plan (a shard's number is its rank)


@dataclass(slots=True)
class ShardResult:
    """What one shard did: mergeable counters, written to its completion marker."""

    shard: int
    input: str
    counts: dict[str, int] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)  # per language
    words: dict[str, int] = field(default_factory=dict)  # per language
    domains: dict[str, int] = field(default_factory=dict)
    boilerplate: list[list[Any]] = field(default_factory=list)  # [domain, rule, line, times]
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
        return dict(merged_counts((result.input, result.counts) for result in self.results))


# (stage, result of a shard, stages done, stages in all)
ProgressCallback = Callable[[str, ShardResult, int, int], None]


def _guarded(
    task: ShardTask, stage: str, work: Callable[[Corpus, ShardTask], ShardResult]
) -> ShardResult:
    shard = task.shard
    try:
        return work(Corpus(Path(task.corpus)), task)
    except Exception as exc:  # one bad shard must not stop the others
        logger.error("shard %d (%s) failed in %s: %s", shard.number, shard.path, stage, exc)
        return ShardResult(
            shard=shard.number,
            input=shard.path,
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}",
        )


def _read_marker(path: Path) -> ShardResult:
    result = ShardResult(**read_json(path))
    result.resumed = True
    return result


def _write_marker(path: Path, result: ShardResult) -> None:
    data = asdict(result)
    data.pop("resumed")
    write_json_atomic(path, data)


@dataclass(frozen=True, slots=True)
class Stage:
    """A per-shard stage: its work, the completion marker that says it is done (holding
    its result), and the intermediate files it consumed, removed once the marker is
    written. The store stage's marker is the shard's final one."""

    name: str
    work: Callable[[Corpus, ShardTask], ShardResult]
    marker: Callable[[Corpus, int], Path]
    consumed: tuple[Callable[[Corpus, int], Path], ...] = ()


def run_stage(stage: Stage, task: ShardTask) -> ShardResult:
    """One stage of one shard, unless done already (then its saved result). Never raises."""
    corpus, number = Corpus(Path(task.corpus)), task.shard.number
    own_marker = stage.marker(corpus, number)
    if stage.marker is not Corpus.marker and corpus.marker(number).exists():
        # the shard is finished: the store stage reports it
        return ShardResult(shard=number, input=task.shard.path, resumed=True)
    if own_marker.exists():
        return _read_marker(own_marker)
    result = _guarded(task, stage.name, stage.work)
    if not result.error:
        _write_marker(own_marker, result)
        for consumed in stage.consumed:
            consumed(corpus, number).unlink(missing_ok=True)
    return result


def _extract_shard(corpus: Corpus, task: ShardTask) -> ShardResult:
    shard, options = task.shard, task.options
    read_stats = ReadStats()
    records: Iterable[Any] = (
        read_remote_responses(shard.remote, read_stats, options.max_body_bytes)
        if shard.remote is not None
        else read_responses(
            Path(shard.path), read_stats, shard.start, shard.end, options.max_body_bytes
        )
    )
    with (
        DroppedWriter(corpus.root, shard.number) as dropped,
        AtomicParquetWriter(corpus.staged(shard.number), STAGED_SCHEMA) as staged,
    ):
        line_counter = CountLines()
        steps = [*extract_steps(options, _drop_sink(task, dropped)), line_counter]
        remove_shard_outputs(corpus.root, shard.number, data=False, dropped_steps=_names(steps))
        for document in run_steps(steps, records, task):
            staged.write(document.to_row(STAGED_SCHEMA))
        staged.commit()
        with AtomicParquetWriter(
            corpus.line_counts(shard.number), DOCUMENT_LINES_SCHEMA, row_group_rows=10_000
        ) as line_counts:
            for row in line_counter.rows():
                line_counts.write(row)
            line_counts.commit()
        dropped.commit()
    counts = {f"read.{key}": value for key, value in read_stats.as_counts().items()}
    for step in steps:
        counts.update(step.stats_dict())
    counts["extract.staged"] = staged.rows
    return ShardResult(
        shard=shard.number, input=shard.path, counts=counts, warning=read_stats.error
    )


def _filter_shard(corpus: Corpus, task: ShardTask) -> ShardResult:
    shard, options = task.shard, task.options
    extracted = read_json(corpus.extracted_marker(shard.number))
    learned = learned_lines(corpus.boilerplate_index, options.boilerplate_min_documents)
    page_keys = pq.read_table(corpus.staged(shard.number), columns=["page_key"]).column(0)
    pages = page_parts(corpus, set(page_keys.drop_null().to_pylist()))
    staged = (Document.from_row(row) for row in iter_rows(corpus.staged(shard.number)))
    with (
        DroppedWriter(corpus.root, shard.number) as dropped,
        KeysWriter(corpus.new_keys(shard.number), options.dedup) as keys,
        AtomicParquetWriter(corpus.filtered(shard.number), STAGED_SCHEMA) as filtered,
    ):
        on_drop = _drop_sink(task, dropped)
        remover = RemoveBoilerplate(learned, options.boilerplate_rules, on_drop=on_drop)
        steps = [
            StitchPages(pages),
            remover,
            *filter_steps(options, on_drop),
            ComputeDedupKeys(keys),
        ]
        remove_shard_outputs(corpus.root, shard.number, data=False, dropped_steps=_names(steps))
        for document in run_steps(steps, staged, task):
            filtered.write(document.to_row(STAGED_SCHEMA))
        filtered.commit()
        keys.commit()
        dropped.commit()
    counts = dict(extracted["counts"])
    for step in steps:
        counts.update(step.stats_dict())
    counts["filter.passed"] = filtered.rows
    audit = [
        [domain, rule, line, times]
        for (domain, rule, line), times in most_common(remover.removed, AUDIT_LINES_PER_SHARD)
    ]
    return ShardResult(
        shard=shard.number,
        input=shard.path,
        counts=counts,
        boilerplate=audit,
        warning=extracted.get("warning"),
    )


def _store_shard(corpus: Corpus, task: ShardTask) -> ShardResult:
    shard, options = task.shard, task.options
    filtered = read_json(corpus.filtered_marker(shard.number))
    decisions = shard_decisions(corpus, shard.number)
    rows = (Document.from_row(row) for row in iter_rows(corpus.filtered(shard.number)))
    with (
        DroppedWriter(corpus.root, shard.number) as dropped,
        ShardWriter(corpus.root, shard.number) as writer,
        ShardWriter(corpus.root, shard.number, folder=VERSIONS_DIR) as versions,
    ):
        step = ApplyDedup(
            decisions,
            options.dedup.keep_duplicates,
            on_drop=_drop_sink(task, dropped),
            on_version=versions.write,
        )
        remove_shard_outputs(corpus.root, shard.number, dropped_steps=_names([step]))
        for document in run_steps([step], rows, task):
            writer.write(document)
        dropped.commit()
        versions.commit()
        add_to_index(corpus, shard.number, decisions)
        writer.commit()
    counts = dict(filtered["counts"])
    counts.update(step.stats_dict())
    counts.update(writer.figures.counts())
    return ShardResult(
        shard=shard.number,
        input=shard.path,
        counts=counts,
        documents=dict(writer.figures.documents),
        words=dict(writer.figures.words),
        domains=dict(writer.figures.domains),
        boilerplate=filtered.get("boilerplate", []),
        warning=filtered.get("warning"),
    )


EXTRACT = Stage("extract", _extract_shard, Corpus.extracted_marker)
FILTER = Stage("filter", _filter_shard, Corpus.filtered_marker, consumed=(Corpus.staged,))
STORE = Stage("store", _store_shard, Corpus.marker, consumed=(Corpus.filtered, Corpus.new_keys))


# What executors run: functions of one task, each named after its stage (Ray shows the
# name of a task's function; it takes functions only, not partials).
def run_extract_stage(task: ShardTask) -> ShardResult:
    return run_stage(EXTRACT, task)


def run_filter_stage(task: ShardTask) -> ShardResult:
    return run_stage(FILTER, task)


def run_store_stage(task: ShardTask) -> ShardResult:
    return run_stage(STORE, task)


def _names(steps: Sequence[Step[Any, Any]]) -> list[str]:
    return [step.name for step in steps]


def _drop_sink(task: ShardTask, dropped: DroppedWriter) -> DropSink | None:
    """Where the steps of a shard hand what they drop: its dropped files, with
    ``--keep-dropped``; nowhere (they count it only) without."""
    return dropped.write if task.keep_dropped else None


def run_steps(
    steps: Sequence[Step[Any, Any]], records: Iterable[Any], task: ShardTask
) -> Iterator[Any]:
    """Chain the steps' generators for one shard: the output of one is the input of the
    next (a chain's types vary along it: checked where each chain is built)."""
    stream: Iterable[Any] = records
    for step in steps:
        stream = step.run(stream, rank=task.shard.number, world_size=task.world_size)
    return iter(stream)


def check_schema(corpus: Corpus) -> None:
    """A corpus stored under another schema is not extended: its files and the new ones
    would not load as one table."""
    found = stored_schema_version(corpus.root)
    if found is not None and found != SCHEMA_VERSION:
        raise UserError(
            f"{corpus.root} holds documents of schema {found}; this newscorpus writes schema "
            f"{SCHEMA_VERSION} (the README's schema history says what changed): process "
            "into another --out"
        )


def _check_options(corpus: Corpus, options: ProcessOptions) -> None:
    saved_path = corpus.options_file
    wanted = options.as_dict()
    if saved_path.exists():
        saved, wanted = flat_options(read_json(saved_path)), flat_options(wanted)
        if saved != wanted:
            changes = ", ".join(
                f"{key} {saved.get(key)!r} -> {wanted.get(key)!r}"
                for key in sorted(set(saved) | set(wanted))
                if saved.get(key) != wanted.get(key)
            )
            raise UserError(
                f"{corpus.root} was built with other options ({changes}); use another --out"
            )
    else:
        write_json_atomic(saved_path, wanted)


def process(
    inputs: Sequence[Path | RemoteWarc],
    corpus: Path,
    options: ProcessOptions | None = None,
    executor: Executor | None = None,
    records_per_shard: int = 500,
    on_progress: ProgressCallback | None = None,
    keep_dropped: bool = False,
) -> RunSummary:
    """Turn WARC files into the corpus at ``corpus``; resumes where an earlier run stopped.

    ``on_progress(stage, result, done, total)`` is called as shards finish a stage
    (``extract``, ``filter``, ``store``): ``total`` counts the three stages of every shard.
    ``keep_dropped`` writes what the steps drop to ``CORPUS/dropped/<step>/``.
    """
    options = options or ProcessOptions()
    options.check()
    executor = executor or LocalExecutor()
    # tasks may run in other folders (a Ray worker runs where its node was started)
    corpus = corpus.absolute()
    if records_per_shard < 1:
        raise UserError("records per shard must be at least 1")
    files = expand_inputs(inputs)
    folder = Corpus(corpus)
    folder.prepare()
    with folder.lock():
        check_schema(folder)
        _check_options(folder, options)
        shards = plan_shards(folder, files, records_per_shard)
        world_size = len(ShardPlan.read(folder).numbers())
        tasks = [
            ShardTask(str(corpus), shard, options, keep_dropped, world_size) for shard in shards
        ]
        progress = _Progress(len(tasks) * 3, on_progress)
        extracted = _run_stage(executor, run_extract_stage, tasks, progress)
        learn_boilerplate(folder, [s.number for s in shards])
        ready = [t for t in tasks if not extracted[t.shard.number].error]
        index_pages(folder, [t.shard.number for t in ready])
        filtered = _run_stage(executor, run_filter_stage, ready, progress)
        ready = [t for t in ready if not filtered[t.shard.number].error]
        stored = _deduplicate_and_store(folder, ready, executor, progress, options)
        if all(folder.marker(t.shard.number).exists() for t in tasks):
            folder.page_index.unlink(missing_ok=True)  # every page is stitched and stored
        results = sorted({**extracted, **filtered, **stored}.values(), key=lambda r: r.shard)
        manifest = write_manifest(corpus, options.as_dict(), __version__)
        write_boilerplate_report(corpus)
        write_card(corpus, manifest)
        return RunSummary(corpus=corpus, results=results)


def _deduplicate_and_store(
    corpus: Corpus,
    ready: Sequence[ShardTask],
    executor: Executor,
    progress: _Progress,
    options: ProcessOptions,
) -> dict[int, ShardResult]:
    """Dedup batches and the store stage, until every filtered shard is stored."""
    by_number = {task.shard.number: task for task in ready}
    stored: dict[int, ShardResult] = {}
    while True:
        batch = open_batch(corpus)  # an earlier run's, decided but not all stored
        if batch is None:
            done = [n for n in ShardPlan.read(corpus).numbers() if corpus.marker(n).exists()]
            new = [n for n in by_number if not corpus.marker(n).exists()]
            new = [n for n in new if corpus.filtered_marker(n).exists()]
            if not new:
                break
            batch = plan_batch(corpus, new, done, options.dedup, executor)
        tasks = [by_number[n] for n in batch.shards if n in by_number]
        missing = [n for n in batch.shards if n not in by_number]
        if missing:  # a batch of an earlier run, with shards of inputs not given now
            raise UserError(
                f"an earlier run left shards {missing} unfinished; "
                "run it again with the same inputs to finish them"
            )
        results = _run_stage(executor, run_store_stage, tasks, progress)
        stored.update(results)
        if any(r.error for r in results.values()):
            break  # keep the batch: the next run stores the failed shards with its decisions
        update_stored(corpus, executor)
        close_batch(corpus)
    for number in by_number:  # shards finished by an earlier run
        if number not in stored and corpus.marker(number).exists():
            stored[number] = _read_marker(corpus.marker(number))
    return stored


STAGE_NAMES: dict[Callable[[ShardTask], ShardResult], str] = {
    run_extract_stage: EXTRACT.name,
    run_filter_stage: FILTER.name,
    run_store_stage: STORE.name,
}


@dataclass(slots=True)
class _Progress:
    total: int
    callback: ProgressCallback | None
    done: int = 0

    def __call__(self, stage: str, result: ShardResult) -> None:
        self.done += 1
        if self.callback:
            self.callback(stage, result, self.done, self.total)


def _run_stage(
    executor: Executor,
    stage: Callable[[ShardTask], ShardResult],
    tasks: Sequence[ShardTask],
    progress: _Progress,
) -> dict[int, ShardResult]:
    results: dict[int, ShardResult] = {}
    try:
        # closed on the way out, whatever stops the loop: an interrupt (Ctrl-C, SIGTERM)
        # that lands here rather than inside the executor must stop its workers now, not
        # leave them working through the queue until the interpreter exits
        with closing(executor.map_unordered(stage, tasks)) as finished:
            for result in finished:
                results[result.shard] = result
                progress(STAGE_NAMES[stage], result)
    except WorkerLost as exc:
        raise UserError(f"{exc}; finished shards are kept: run the same command again") from exc
    return results
