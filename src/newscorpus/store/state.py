"""The corpus's private state (``CORPUS/.state``): shard plan, options, completion markers,
staged shards and the boilerplate index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newscorpus.errors import UserError

STATE_DIR = ".state"


def state_dir(corpus: Path) -> Path:
    return corpus / STATE_DIR


def plan_path(corpus: Path) -> Path:
    return state_dir(corpus) / "shards.json"


def options_path(corpus: Path) -> Path:
    return state_dir(corpus) / "options.json"


def marker_path(corpus: Path, shard: int) -> Path:
    return state_dir(corpus) / "done" / f"{shard:05d}.json"


def extracted_marker_path(corpus: Path, shard: int) -> Path:
    """Stage 1 (extract) of ``shard`` is done."""
    return state_dir(corpus) / "extracted" / f"{shard:05d}.json"


def staged_path(corpus: Path, shard: int) -> Path:
    """The documents of ``shard`` between stage 1 and stage 2."""
    return state_dir(corpus) / "staged" / f"{shard:05d}.parquet"


def line_counts_path(corpus: Path, shard: int) -> Path:
    """Line counts of ``shard``, until merged into the boilerplate index."""
    return state_dir(corpus) / "lines" / f"{shard:05d}.parquet"


def filtered_marker_path(corpus: Path, shard: int) -> Path:
    """Stage 2 (filter) of ``shard`` is done."""
    return state_dir(corpus) / "filtered" / f"{shard:05d}.json"


def filtered_path(corpus: Path, shard: int) -> Path:
    """The documents of ``shard`` between stage 2 and the store stage."""
    return state_dir(corpus) / "filtered" / f"{shard:05d}.parquet"


def dedup_dir(corpus: Path) -> Path:
    return state_dir(corpus) / "dedup"


def new_keys_path(corpus: Path, shard: int) -> Path:
    """Dedup keys of the documents ``shard`` passed, until the shard is stored."""
    return dedup_dir(corpus) / "keys" / f"{shard:05d}.parquet"


def index_keys_path(corpus: Path, shard: int) -> Path:
    """Dedup keys of the documents ``shard`` stored: the corpus's dedup index."""
    return dedup_dir(corpus) / "index" / f"{shard:05d}.parquet"


def boilerplate_index_path(corpus: Path) -> Path:
    return state_dir(corpus) / "boilerplate.sqlite"


def marker_paths(corpus: Path) -> list[Path]:
    return sorted((state_dir(corpus) / "done").glob("*.json"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_rebuilt_json(path: Path) -> dict[str, Any]:
    """A JSON table that every run of process rebuilds (manifest, boilerplate report): a
    damaged one is a one-line error saying so. A missing one raises FileNotFoundError."""
    try:
        data = read_json(path)
    except ValueError as exc:
        raise UserError(f"{path}: damaged ({exc}); run process again to rebuild it") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: damaged (not a JSON object); run process again to rebuild it")
    return data
