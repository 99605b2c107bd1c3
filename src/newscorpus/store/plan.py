"""The shard plan (``CORPUS/.state/shards.json``): the inputs a corpus was built from and
the shards each was cut into, numbered once and for all.

A shard is a byte range of one WARC file holding at most ``records_per_shard``
responses (a streamed CC-NEWS file is one shard). The plan is saved the first time a file
is seen, so a rerun (after a crash, or with more inputs) cuts the same shards and gives
them the same numbers; an input is known by the SHA-256 of its content.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus._files import read_json, write_json_atomic
from newscorpus.corpus import Corpus
from newscorpus.errors import UserError
from newscorpus.warc.reader import check_warc, is_warc_path, response_offsets
from newscorpus.warc.remote import RemoteWarc

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Shard:
    number: int
    path: str
    start: int
    end: int | None
    input_sha256: str  # of the file; of the URL and site selection for a streamed source
    remote: RemoteWarc | None = None  # a file read as it downloads (CC-NEWS)


@dataclass(slots=True)
class PlannedShard:
    number: int
    start: int
    end: int | None  # None: to the end of the file


@dataclass(slots=True)
class PlannedInput:
    name: str
    size: int | None  # None for a streamed file
    shards: list[PlannedShard]
    path: str | None = None  # where it was last read from
    source: str = "warc"  # or "cc-news"
    domains: list[str] = field(default_factory=list)  # the sites selected from it

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "size": self.size}
        if self.source != "warc":
            data["source"] = self.source
            data["domains"] = self.domains
        data["shards"] = [{"number": s.number, "start": s.start, "end": s.end} for s in self.shards]
        if self.path is not None:
            data["path"] = self.path
        return data


@dataclass(slots=True)
class ShardPlan:
    inputs: dict[str, PlannedInput] = field(default_factory=dict)  # by checksum

    @classmethod
    def read(cls, corpus: Corpus) -> ShardPlan:
        """The saved plan (empty when nothing was planned yet)."""
        path = corpus.plan_file
        if not path.exists():
            return cls()
        inputs = {}
        for checksum, entry in read_json(path)["inputs"].items():
            inputs[checksum] = PlannedInput(
                name=entry["name"],
                size=entry["size"],
                shards=[PlannedShard(s["number"], s["start"], s["end"]) for s in entry["shards"]],
                path=entry.get("path"),
                source=entry.get("source", "warc"),
                domains=list(entry.get("domains", [])),
            )
        return cls(inputs)

    def write(self, corpus: Corpus) -> None:
        inputs = {checksum: entry.as_json() for checksum, entry in self.inputs.items()}
        write_json_atomic(corpus.plan_file, {"inputs": inputs})

    def numbers(self) -> list[int]:
        return sorted(s.number for entry in self.inputs.values() for s in entry.shards)

    def names(self) -> list[str]:
        return [entry.name for entry in self.inputs.values()]

    def source(self) -> str:
        """``warc`` (local files), ``cc-news``, or ``mixed``."""
        sources = {entry.source for entry in self.inputs.values()}
        return sources.pop() if len(sources) == 1 else ("mixed" if sources else "warc")


def expand_inputs(inputs: Sequence[Path | RemoteWarc]) -> list[Path | RemoteWarc]:
    """WARC files named, or found (recursively) in folders named; a clear error otherwise.

    Streamed sources (RemoteWarc) pass through as they are."""
    if not inputs:
        raise UserError("nothing to process: give WARC files or folders")
    files: list[Path | RemoteWarc] = []
    for path in inputs:
        if isinstance(path, RemoteWarc):
            files.append(path)
            continue
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
    unique = list(dict.fromkeys(p if isinstance(p, RemoteWarc) else p.resolve() for p in files))
    return unique


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _remote_identity(source: RemoteWarc) -> str:
    """A streamed source is its file name and its site selection: CC-NEWS names are unique
    and their files never change, so the same file from another mirror is the same input."""
    text = "\n".join([source.name, *sorted(source.domains)])
    return hashlib.sha256(text.encode()).hexdigest()


def plan_shards(
    corpus: Corpus, files: Sequence[Path | RemoteWarc], records_per_shard: int
) -> list[Shard]:
    """The shards of ``files``: reused from the saved plan, or cut and saved now."""
    plan = ShardPlan.read(corpus)
    next_number = 1 + max(plan.numbers(), default=-1)
    known_paths = {entry.path: checksum for checksum, entry in plan.inputs.items()}
    shards: list[Shard] = []
    planned: set[str] = set()
    changed = False
    for path in files:
        if isinstance(path, RemoteWarc):  # one shard: it is read as it downloads
            checksum = _remote_identity(path)
            entry = plan.inputs.get(checksum)
            if entry is None:
                entry = PlannedInput(
                    name=path.name,
                    size=None,
                    shards=[PlannedShard(next_number, 0, None)],
                    source=path.source,
                    domains=sorted(path.domains),
                )
                next_number += 1
                plan.inputs[checksum] = entry
                changed = True
            entry.path = path.url
            (only,) = entry.shards
            shards.append(Shard(only.number, path.url, 0, None, checksum, remote=path))
            continue
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
                f"{path} changed since it was processed into {corpus.root}; "
                "give the new content a new file name, or use another --out"
            )
        entry = plan.inputs.get(checksum)
        if entry is None:
            entry = _cut(path, next_number, records_per_shard)
            next_number += len(entry.shards)
            plan.inputs[checksum] = entry
            changed = True
        entry.path = str(path)
        shards.extend(Shard(s.number, str(path), s.start, s.end, checksum) for s in entry.shards)
    if changed:
        plan.write(corpus)
    return shards


def _cut(path: Path, first_number: int, records_per_shard: int) -> PlannedInput:
    """A new input's shards: ``records_per_shard`` responses each."""
    problem = check_warc(path)
    if problem:
        raise UserError(problem)
    offsets = response_offsets(path)
    starts = [0, *offsets[records_per_shard::records_per_shard]]
    ends: list[int | None] = [*starts[1:], None]
    return PlannedInput(
        name=path.name,
        size=path.stat().st_size,
        shards=[
            PlannedShard(first_number + i, start, end)
            for i, (start, end) in enumerate(zip(starts, ends, strict=True))
        ],
    )
