"""The corpus's private state (``CORPUS/.state``): shard plan, options, completion markers."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_DIR = ".state"


def state_dir(corpus: Path) -> Path:
    return corpus / STATE_DIR


def plan_path(corpus: Path) -> Path:
    return state_dir(corpus) / "shards.json"


def options_path(corpus: Path) -> Path:
    return state_dir(corpus) / "options.json"


def marker_path(corpus: Path, shard: int) -> Path:
    return state_dir(corpus) / "done" / f"{shard:05d}.json"


def marker_paths(corpus: Path) -> list[Path]:
    return sorted((state_dir(corpus) / "done").glob("*.json"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` so that readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
